// connectors/rest/retry_after: how long a `Retry-After` header asks a client to wait (RFC 9110 §10.2.3). Both
// forms are honoured: delay-seconds ("120") and an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", or the
// obsolete RFC 850 and asctime forms every recipient must still accept).
#pragma once

#include <optional>
#include <string_view>

#include "core/time.h"

namespace ferry::connectors::rest {

// The wait `header` asks for, measured from `now` for the date form: never negative (a date already past
// means "now"), never above `cap` (a server cannot park a sync for days). nullopt when the header is
// neither form.
std::optional<core::Duration> retry_after_delay(std::string_view header, core::Timestamp now,
                                                core::Duration cap);

}  // namespace ferry::connectors::rest
