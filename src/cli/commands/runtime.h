// cli/runtime: wires one ferry process: store, connector registry, engine (scheduler + workers) and the
// HTTP server, with graceful shutdown on SIGINT/SIGTERM. A `serve` process runs the API and the scheduler
// (while it leads) and any number of workers; a `worker` process only claims and runs, with an optional
// /healthz and /metrics listener.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "api/app.h"
#include "cli/operator_settings.h"
#include "engine/webhook_deliverer.h"
#include "engine/worker_pool.h"

namespace ferry::cli {

// What a process serves besides its workers.
enum class ProcessRole {
  kServe,   // the API and the scheduler
  kWorker,  // nothing but /healthz and /metrics, and only with a `listen` address
};

struct RuntimeOptions {
  std::string db;
  std::string master_key_file;  // empty: FERRY_MASTER_KEY, else the store's default
  ProcessRole role = ProcessRole::kServe;
  std::string listen = "127.0.0.1:8080";  // kWorker: empty for no listener
  int workers = 2;
  bool fallback_to_free_port = false;  // if `listen` is taken, bind port 0 instead
  // How long a run's claim lasts without a heartbeat: after a worker dies, its run is resumed elsewhere once
  // this passes.
  std::chrono::seconds lease{60};
  OperatorSettings settings;
};

// Catches SIGINT/SIGTERM from its construction on. Made before anything starts, so a SIGTERM that arrives
// while the process is still starting (an orchestrator that stops a pod at once) means "shut down gracefully"
// rather than the default instant death with runs mid-batch.
class ShutdownSignals {
 public:
  ShutdownSignals();
  // Blocks until one of the signals arrived (returns at once if one already did).
  void wait();

 private:
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
};

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options);
  ~Runtime();

  store::Store& store() { return *store_; }
  engine::SyncControl& control() { return *control_; }
  const connectors::Registry& registry() const { return registry_; }
  const core::Clock& clock() const { return clock_; }
  // Where the HTTP server listens; empty without one.
  std::string address() const { return server_ ? server_->address() : std::string(); }

  // Starts the workers and HTTP threads; returns at once.
  void start();
  // Blocks until `signals` caught SIGINT/SIGTERM, then stops gracefully.
  void wait_for_signal(ShutdownSignals& signals);
  void stop();

 private:
  // The HTTP server for `dispatch` on options_.listen (or a free port, if allowed and it is taken).
  void listen(api::Dispatch dispatch);

  RuntimeOptions options_;
  core::SystemClock clock_;
  store::StorePtr store_;
  // The process's: the engine and the HTTP server record into it, /metrics renders it. Its queue-depth
  // gauge reads store_, and no scrape outlives the server.
  core::Metrics metrics_;
  connectors::Registry registry_;
  std::unique_ptr<engine::WorkerPool> pool_;
  std::unique_ptr<engine::SyncControl> control_;
  std::unique_ptr<engine::Scheduler> scheduler_;
  std::unique_ptr<api::App> app_;                       // kServe
  std::unique_ptr<engine::WebhookDeliverer> webhooks_;  // kServe
  api::HttpMetrics probe_metrics_{&metrics_};           // kWorker's /metrics
  boost::asio::io_context io_;
  std::unique_ptr<api::HttpServer> server_;
  std::vector<std::jthread> io_threads_;
  bool stopped_ = false;
};

// "HOST:PORT" -> (host, port); throws FerryError(kConfigInvalid) on a malformed value.
std::pair<std::string, uint16_t> parse_listen(const std::string& listen);

}  // namespace ferry::cli
