#include "cli/commands/runtime.h"

#include <sys/prctl.h>

#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "api/request_context.h"
#include "connectors/process/sandbox.h"
#include "core/ids.h"
#include "core/log.h"

namespace ferry::cli {

// Of the shutdown bound, what runs get to reach a batch boundary; the rest (at most 5 s) is for the calls
// then cancelled to unwind.
std::chrono::milliseconds stop_grace(std::chrono::seconds bound) {
  return bound - std::min<std::chrono::milliseconds>(bound / 2, std::chrono::seconds(5));
}

std::pair<std::string, uint16_t> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  uint16_t port = 0;
  if (colon == std::string::npos ||
      std::from_chars(listen.data() + colon + 1, listen.data() + listen.size(), port).ec != std::errc{}) {
    throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                           "--listen must be HOST:PORT, got '" + listen + "'");
  }
  return {listen.substr(0, colon), port};
}

namespace {

// A worker process's only routes: what probes and scrapers poll. No tenant route, so no tenant key is ever
// checked here.
api::Dispatch probe_dispatch(api::HttpMetrics& metrics) {
  return [&metrics](api::HttpRequest&& request, api::Reply reply) {
    api::HttpResponse response =
        request.method != "GET"      ? api::json_error(405, "method_not_allowed", "only GET is served here")
        : request.path == "/healthz" ? api::json_response(200, {{"status", "ok"}})
        : request.path == "/metrics"
            ? api::HttpResponse{200, metrics.render(), "text/plain; version=0.0.4", {}}
            : api::json_error(404, "not_found", "a worker serves /healthz and /metrics only");
    const bool probe = request.path == "/healthz" || request.path == "/metrics";
    metrics.record(response.status, probe ? request.path : "unmatched", request.method);
    reply(std::move(response));
  };
}

}  // namespace

Runtime::Runtime(RuntimeOptions options) : options_(std::move(options)) {
  // A connector process that runs as ferry's user (no sandbox on this host) must not read ferry's memory or
  // /proc/<pid>/environ, where FERRY_MASTER_KEY may be: a non-dumpable process keeps them root-owned.
  ::prctl(PR_SET_DUMPABLE, 0);
  const bool serves_api = options_.role == ProcessRole::kServe;
  if (!serves_api && !store::is_postgres_url(options_.db)) {
    throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                           "ferry worker needs a shared PostgreSQL store (--db postgres://…); with a SQLite "
                           "store, `ferry serve --workers N` runs the workers itself");
  }
  store::StoreOptions store_options;
  if (!options_.master_key_file.empty()) store_options.master_key_file = options_.master_key_file;
  store_ = store::open_store(options_.db, store_options);
  registry_ = connectors::builtin_registry();
  auto policy = options_.settings.connector_policy(options_.db);
  if (!options_.master_key_file.empty())
    policy.process.hidden_paths.push_back(std::filesystem::absolute(options_.master_key_file));
  engine::WorkerPoolOptions pool_options;
  pool_options.workers = options_.workers;
  pool_options.tenant_max_running = static_cast<int>(options_.settings.tenant_max_running);  // 0: the default
  pool_options.lease_expiry_margin = static_cast<int>(options_.settings.lease_expiry_margin);
  pool_options.executor.lease = options_.lease;
  pool_options.executor.metrics = &metrics_;
  // heartbeats well inside the lease, so a slow page never loses it
  pool_options.executor.heartbeat_interval =
      std::min<std::chrono::milliseconds>(pool_options.executor.heartbeat_interval, options_.lease / 3);
  pool_options.host_id = core::new_uuid().substr(0, 8);
  pool_options.stop_grace = stop_grace(std::chrono::seconds(options_.settings.shutdown_timeout));
  // The control wakes this process's idle workers when it queues a run; a worker process queues none itself
  // but for retries, which the pool's own housekeeping wakes it for.
  control_ = std::make_unique<engine::SyncControl>(
      *store_, registry_, clock_,
      [this] {
        if (pool_) pool_->wake();
      },
      &metrics_);
  if (serves_api) scheduler_ = std::make_unique<engine::Scheduler>(*store_, *control_, clock_);
  pool_ = std::make_unique<engine::WorkerPool>(*store_, registry_, clock_, scheduler_.get(), pool_options);
  if (serves_api) {
    // Many `ferry serve` share a PostgreSQL store: one bucket per key for all of them, in the store.
    const api::RateLimitOptions rate_limit{options_.settings.rate_limit,
                                           static_cast<double>(options_.settings.rate_burst),
                                           store::is_postgres_url(options_.db)};
    app_ = std::make_unique<api::App>(api::Services{*store_, registry_, *control_, clock_}, rate_limit,
                                      api::ConnectorPoolOptions{}, api::ResponseCacheOptions{}, &metrics_);
    listen([this](api::HttpRequest&& request, api::Reply reply) {
      app_->handle_async(std::move(request), std::move(reply));
    });
  } else if (!options_.listen.empty()) {
    listen(probe_dispatch(probe_metrics_));
  }
  // Set before any worker starts: every connector is created under this policy.
  if (server_) {
    const auto [host, port] = parse_listen(options_.listen);
    policy.egress.deny_own_listener(host, server_->port());
  }
  registry_.set_policy(std::move(policy));
  if (serves_api) {
    engine::WebhookDelivererOptions webhooks;
    webhooks.senders = static_cast<int>(options_.settings.webhook_senders);
    webhooks.timeout =
        std::chrono::milliseconds(static_cast<int64_t>(options_.settings.webhook_timeout * 1000));
    webhooks.retry.base =
        std::chrono::microseconds(static_cast<int64_t>(options_.settings.webhook_retry_base * 1e6));
    // Receivers are tenants' addresses like any connection's: the same policy, own listener included.
    webhooks.egress = std::make_shared<const core::EgressPolicy>(registry_.policy().egress);
    webhooks.owner = pool_options.host_id;
    webhooks.metrics = &metrics_;
    webhooks_ = std::make_unique<engine::WebhookDeliverer>(*store_, clock_, std::move(webhooks));
  }
}

void Runtime::listen(api::Dispatch dispatch) {
  auto [host, port] = parse_listen(options_.listen);
  try {
    server_ = std::make_unique<api::HttpServer>(io_, host, port, dispatch);
  } catch (const boost::system::system_error& e) {
    if (!options_.fallback_to_free_port) {
      throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                             "cannot listen on " + options_.listen + ": " + e.what());
    }
    server_ = std::make_unique<api::HttpServer>(io_, host, 0, dispatch);
  }
}

Runtime::~Runtime() {
  stop();
}

void Runtime::start() {
  pool_->start();
  if (webhooks_) webhooks_->start();
  for (int i = 0; i < (server_ ? 2 : 0); ++i) {
    io_threads_.emplace_back([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  const auto& policy = registry_.policy();
  core::log(*core::named_logger("cli"), spdlog::level::info, "operator policy",
            {{"data_root", policy.data_root.string()},
             {"process_connector", registry_.enabled("process")
                                       ? connectors::process::process_isolation_summary(policy.process)
                                       : std::string("disabled")}});
  const char* role = options_.role == ProcessRole::kServe ? "serve" : "worker";
  core::log(*core::named_logger("cli"), spdlog::level::info, server_ ? "listening" : "started",
            {{"role", role}, {"address", address()}, {"workers", options_.workers}});
  if (options_.workers == 0 && !store::is_postgres_url(options_.db)) {
    core::log(*core::named_logger("cli"), spdlog::level::warn,
              "no worker threads beside a SQLite store: queued runs wait until a serve with workers starts");
  }
}

ShutdownSignals::ShutdownSignals() : signals_(io_, SIGINT, SIGTERM) {}

void ShutdownSignals::wait() {
  // A signal caught before this wait is queued by the signal_set and completes it at once.
  signals_.async_wait([](const boost::system::error_code&, int) {});
  io_.run();
}

void Runtime::wait_for_signal(ShutdownSignals& signals) {
  signals.wait();
  const auto bound = std::chrono::seconds(options_.settings.shutdown_timeout);
  core::log(*core::named_logger("cli"), spdlog::level::info, "shutting down: finishing current batches",
            {{"shutdown_timeout_s", bound.count()}});
  // The bound holds even against a call that ignores its cancel: past it the process exits with that work in
  // flight. The store is crash-safe, and the run resumes from its last committed batch once its lease lapses.
  const std::jthread watchdog([bound](std::stop_token done) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    wake.wait_for(lock, done, bound, [] { return false; });
    if (done.stop_requested()) return;
    core::log(*core::named_logger("cli"), spdlog::level::err,
              "shutdown bound passed: exiting with work in flight (it resumes after its lease)",
              {{"shutdown_timeout_s", bound.count()}});
    std::_Exit(1);
  });
  stop();
}

void Runtime::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (server_) server_->stop();
  if (app_) app_->stop();  // connector calls in flight return before the HTTP threads go
  if (webhooks_) webhooks_->stop();
  pool_->stop();  // running batches commit; their runs go back to the queue
  io_.stop();
  io_threads_.clear();
  core::log(*core::named_logger("cli"), spdlog::level::info, "stopped");
}

}  // namespace ferry::cli
