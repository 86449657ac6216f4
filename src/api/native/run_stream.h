// api/native/run_stream: GET /v1/runs/{id}/stream, a run's live progress as server-sent events. One thread
// per App polls the store for every open stream (never an HTTP thread), and caps how many streams a tenant
// and the process may hold open, so streams cannot exhaust the server (docs/api-v1.md).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "api/router.h"
#include "api/services.h"
#include "core/domain.h"

namespace ferry::api::native {

struct RunStreamOptions {
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds keep_alive{15000};  // a comment line when nothing changed for this long
  int max_per_tenant = 4;
  int max_total = 64;
};

class RunStreams {
 public:
  explicit RunStreams(store::Store& store, RunStreamOptions options = {});
  ~RunStreams();
  RunStreams(const RunStreams&) = delete;
  RunStreams& operator=(const RunStreams&) = delete;

  // The streamed answer for `run`, already loaded for `tenant_id`: its first event now, the others as the
  // run changes, until it is final. 429 too_many_streams when the tenant or the process is at its cap.
  HttpResponse open(const std::string& tenant_id, const core::Run& run);
  // Ends every open stream (its last chunk is sent) and the polling thread; a stream opened afterwards ends
  // after its first event. Idempotent.
  void stop();
  // Streams holding a slot (opened and not yet ended), for tests.
  int open_count() const;

  struct Shared;  // what the polling thread, the streams and their slots share (run_stream.cpp)

 private:
  void poll();
  void ensure_polling();

  store::Store& store_;
  RunStreamOptions options_;
  std::shared_ptr<Shared> shared_;
  std::mutex thread_mutex_;
  std::thread thread_;
  bool stopped_ = false;  // under thread_mutex_
};

void add_run_stream_route(Router& router, Services services, RunStreams& streams);

}  // namespace ferry::api::native
