// api/compat/polytomic/polytomic_schedule: Polytomic's schedule object <-> ferry's manual/interval/cron.
//   manual -> manual             continuous -> every minute (interval 1)
//   hourly -> "M * * * *"        daily -> "M H * * *"        weekly -> "M H * * DOW"
//   custom -> "minute hour day_of_month month day_of_week" (missing parts are "*")
// builder, runafter, multi and dbtcloud have no ferry equivalent and are refused (422).
#pragma once

#include "core/domain.h"

namespace ferry::api::compat::polytomic {

// Throws ApiError 400 for wrong types, 422 for a schedule ferry cannot run.
core::Schedule parse_schedule(const core::Json& schedule);
core::Json render_schedule(const core::Schedule& schedule);
// GET /api/syncs/schedules: the frequencies ferry serves, with the fields each one reads.
core::Json schedule_options();

}  // namespace ferry::api::compat::polytomic
