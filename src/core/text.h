// core/text: small string helpers shared by request parsing, settings and SQL building.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::core {

// "a,b,,c" -> {"a", "b", "c"}: the non-empty pieces between separators, untrimmed.
std::vector<std::string> split_nonempty(std::string_view text, char separator);

// {"a", "b"}, ", " -> "a, b"
std::string join(const std::vector<std::string>& parts, std::string_view separator);

}  // namespace ferry::core
