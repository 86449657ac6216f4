#include "api/compat/airweave/airweave_errors.h"

#include "api/logger.h"

namespace ferry::api::compat::airweave {

using core::Json;

HttpResponse detail_response(int status, const Json& detail) {
  return json_response(status, {{"detail", detail}});
}

void ValidationErrors::add(Json loc, const std::string& type, const std::string& msg, Json input, Json ctx) {
  Json error = {{"type", type}, {"loc", std::move(loc)}, {"msg", msg}, {"input", std::move(input)}};
  if (!ctx.is_null()) error["ctx"] = std::move(ctx);
  errors_.push_back(std::move(error));
}

void ValidationErrors::raise_if_any() const {
  if (!errors_.empty()) throw AirweaveError(422, errors_);
}

void fail_validation(Json loc, const std::string& type, const std::string& msg, Json input, Json ctx) {
  ValidationErrors errors;
  errors.add(std::move(loc), type, msg, std::move(input), std::move(ctx));
  errors.raise_if_any();
  throw std::logic_error("unreachable");
}

namespace {

HttpResponse internal_error(const HttpRequest& request, const std::string& what) {
  core::log(logger(), spdlog::level::err, "airweave request failed",
            {{"path", request.path}, {"error", what}});
  return detail_response(500, "Internal server error");
}

HttpResponse run_handler(const AirweaveHandler& handler, const RequestContext& context) {
  try {
    return handler(context);
  } catch (const AirweaveError& e) {
    return detail_response(e.status(), e.detail());
  } catch (const ApiError& e) {
    return detail_response(e.status(), e.what());
  } catch (const core::FerryError& e) {
    // A source that cannot be opened or read with its config is the caller's problem, not ours.
    if (e.category() == core::ErrorCategory::kInternal ||
        e.category() == core::ErrorCategory::kDestinationError) {
      return internal_error(context.request, e.what());
    }
    return detail_response(400, e.what());
  } catch (const std::exception& e) {
    return internal_error(context.request, e.what());
  }
}

}  // namespace

Handler airweave_route(native::Services services, AirweaveHandler handler) {
  return [services, handler = std::move(handler)](const HttpRequest& request, const PathParams& params) {
    const auto key = request.header("x-api-key");
    if (!key || key->empty()) return detail_response(401, "No valid authentication provided");
    std::optional<core::Tenant> tenant;
    try {
      tenant = services.store.tenant_for_api_key(*key);
    } catch (const std::exception& e) {
      return internal_error(request, e.what());
    }
    if (!tenant) return detail_response(403, "Invalid or expired API key");
    return run_handler(handler, RequestContext{request, params, *tenant});
  };
}

}  // namespace ferry::api::compat::airweave
