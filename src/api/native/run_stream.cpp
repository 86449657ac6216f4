#include "api/native/run_stream.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <vector>

#include "api/logger.h"
#include "api/native/native_api.h"
#include "api/native/render.h"
#include "core/ids.h"
#include "core/run_state.h"

namespace ferry::api::native {

namespace {

using Clock = std::chrono::steady_clock;

std::string run_event(const std::string& json) {
  return "event: run\ndata: " + json + "\n\n";
}

// The same bytes GET /v1/runs/{id} answers with.
std::string rendered(const core::Run& run) {
  return json_response(200, render_run(run)).body;
}

}  // namespace

namespace {
struct Watch;
}  // namespace

struct RunStreams::Shared {
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  int total = 0;
  std::map<std::string, int> per_tenant;
  std::vector<std::shared_ptr<Watch>> watching;
};

namespace {

// A stream's place under the caps, from open() until the stream ends or is dropped unstarted.
class Slot {
 public:
  Slot(std::shared_ptr<RunStreams::Shared> shared, std::string tenant_id)
      : shared_(std::move(shared)), tenant_id_(std::move(tenant_id)) {}
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot() {
    std::lock_guard lock(shared_->mutex);
    --shared_->total;
    if (--shared_->per_tenant[tenant_id_] <= 0) shared_->per_tenant.erase(tenant_id_);
  }

 private:
  std::shared_ptr<RunStreams::Shared> shared_;
  std::string tenant_id_;
};

// One open stream, as the polling thread sees it.
struct Watch {
  std::string tenant_id;
  std::string run_id;
  std::string last;  // the JSON last sent
  Clock::time_point last_sent;
  std::shared_ptr<StreamWriter> writer;
  std::unique_ptr<Slot> slot;  // released with the last reference, never under Shared::mutex
};

class RunStream final : public ResponseStream {
 public:
  RunStream(std::shared_ptr<RunStreams::Shared> shared, std::unique_ptr<Watch> watch, bool final)
      : shared_(std::move(shared)), watch_(std::move(watch)), final_(final) {}

  void start(std::shared_ptr<StreamWriter> writer) override {
    // A final run's one event is in the head's body already.
    if (final_) return writer->close();
    watch_->writer = writer;
    watch_->last_sent = Clock::now();
    {
      std::lock_guard lock(shared_->mutex);
      if (!shared_->stopping) {
        shared_->watching.push_back(std::move(watch_));
        return;
      }
    }
    writer->close();
  }

 private:
  std::shared_ptr<RunStreams::Shared> shared_;
  std::unique_ptr<Watch> watch_;
  bool final_;
};

}  // namespace

RunStreams::RunStreams(store::Store& store, RunStreamOptions options)
    : store_(store), options_(options), shared_(std::make_shared<Shared>()) {}

RunStreams::~RunStreams() {
  stop();
}

HttpResponse RunStreams::open(const std::string& tenant_id, const core::Run& run) {
  const bool final = core::is_terminal(run.state);
  auto watch = std::make_unique<Watch>();
  {
    std::lock_guard lock(shared_->mutex);
    const auto held = shared_->per_tenant.find(tenant_id);
    if (held != shared_->per_tenant.end() && held->second >= options_.max_per_tenant) {
      throw ApiError(429, "too_many_streams",
                     "this tenant has " + std::to_string(options_.max_per_tenant) +
                         " run streams open already; close one, or poll GET /v1/runs/{id}");
    }
    if (shared_->total >= options_.max_total) {
      throw ApiError(429, "too_many_streams",
                     "the server has too many run streams open; poll GET /v1/runs/{id} instead");
    }
    ++shared_->total;
    ++shared_->per_tenant[tenant_id];
  }
  watch->slot = std::make_unique<Slot>(shared_, tenant_id);
  watch->tenant_id = tenant_id;
  watch->run_id = run.id;
  watch->last = rendered(run);
  if (!final) ensure_polling();

  HttpResponse response(200, run_event(watch->last), "text/event-stream",
                        {{"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}});
  response.stream = std::make_shared<RunStream>(shared_, std::move(watch), final);
  return response;
}

void RunStreams::stop() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->wake.notify_all();
  std::lock_guard lock(thread_mutex_);
  stopped_ = true;
  if (thread_.joinable()) thread_.join();
}

int RunStreams::open_count() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->total;
}

void RunStreams::ensure_polling() {
  std::lock_guard lock(thread_mutex_);
  if (!thread_.joinable() && !stopped_) thread_ = std::thread([this] { poll(); });
}

void RunStreams::poll() {
  // Sends the run's JSON when it differs from what the stream sent last, and the end after a final state.
  // False when the stream is over.
  const auto tick = [this](Watch& watch) {
    if (watch.writer->closed()) return false;
    std::optional<core::Run> run;
    try {
      run = store_.run(watch.tenant_id, watch.run_id);
    } catch (const std::exception& e) {
      // The client falls back to polling, which reports the store's failure in /v1's shape.
      core::log(logger(), spdlog::level::warn, "run stream: store read failed",
                {{"run_id", watch.run_id}, {"error", e.what()}});
      run.reset();
    }
    if (!run) {  // gone (its sync was deleted) or unreadable
      watch.writer->close();
      return false;
    }
    const auto now = Clock::now();
    auto json = rendered(*run);
    if (json != watch.last) {
      if (!watch.writer->write(run_event(json))) return false;
      watch.last = std::move(json);
      watch.last_sent = now;
      if (core::is_terminal(run->state)) {
        watch.writer->close();
        return false;
      }
    } else if (now - watch.last_sent >= options_.keep_alive) {
      // Keeps proxies and load balancers from closing a quiet connection.
      if (!watch.writer->write(": keep-alive\n\n")) return false;
      watch.last_sent = now;
    }
    return true;
  };

  std::unique_lock lock(shared_->mutex);
  while (!shared_->stopping) {
    shared_->wake.wait_for(lock, options_.poll_interval, [this] { return shared_->stopping; });
    if (shared_->stopping) break;
    auto watching = shared_->watching;
    lock.unlock();
    std::vector<std::shared_ptr<Watch>> over;
    for (const auto& watch : watching) {
      if (!tick(*watch)) over.push_back(watch);
    }
    lock.lock();
    std::erase_if(shared_->watching, [&over](const std::shared_ptr<Watch>& watch) {
      return std::find(over.begin(), over.end(), watch) != over.end();
    });
    // The last references to ended streams go here, outside the lock their slots take.
    lock.unlock();
    watching.clear();
    over.clear();
    lock.lock();
  }
  const auto watching = std::move(shared_->watching);
  shared_->watching.clear();
  lock.unlock();
  for (const auto& watch : watching) watch->writer->close();
}

void add_run_stream_route(Router& router, Services services, RunStreams& streams) {
  router.add("GET", "/v1/runs/{id}/stream",
             authenticated(services, [services, &streams](const RequestContext& ctx) mutable {
               const auto& id = ctx.param("id");
               if (!core::is_uuid(id)) throw_not_found("run");
               const auto run = services.store.run(ctx.tenant.id, id);
               if (!run) throw_not_found("run");
               return streams.open(ctx.tenant.id, *run);
             }));
}

}  // namespace ferry::api::native
