// core/text: small string helpers shared by request parsing and settings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::core {

// "a,b,,c" -> {"a", "b", "c"}: the non-empty pieces between separators, untrimmed.
std::vector<std::string> split_nonempty(std::string_view text, char separator);

}  // namespace ferry::core
