// api/compat/stuut/stuut_render: ferry's runs and connections in Stuut's JSON (seed 002). A Stuut "Sync" is
// one model within one run; the runs one request started are one batch (batch_id = the batch's first run id).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/request_context.h"
#include "api/router.h"
#include "api/services.h"

namespace ferry::api::compat::stuut {

// `model_initial`: the model has not completed a sync yet (its state says so).
core::Json render_sync_record(const core::Run& run, const core::RunTask& task, bool model_initial);

// The Sync records of a run, in task order.
core::Json render_batch(Services& services, const core::Run& run);

// Stuut's Connection: the connection, its health and its models with each model's last Sync.
core::Json render_connection(Services& services, const core::Connection& connection);

}  // namespace ferry::api::compat::stuut
