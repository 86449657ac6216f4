// The Source fake: wraps the deterministic sample source and lets a test act between batches (cancel,
// crash the worker, inject an error) or fail discovery/check.
#pragma once

#include <functional>
#include <memory>

#include "connectors/registry.h"
#include "connectors/sample/sample_source.h"
#include "fakes/hooked_sink.h"

namespace ferry::testing {

struct FakeSourceControl {
  BatchHook after_batch;                       // may throw to simulate failures (see fakes/hooked_sink.h)
  std::optional<core::FerryError> fail_check;  // check() reports this
  // Like a database without change capture: incremental reads carry no tombstones, and the source lists its
  // current keys instead (Source::read_keys).
  bool hide_deletes = false;
  bool counts_rows = true;  // with hide_deletes: answers Source::read_counting
  int key_listings = 0;     // read_keys calls so far
  int discoveries = 0;      // discover calls so far
};

// A registry with the built-in connectors plus source type "fake" (sample-compatible config) driven by
// `control`.
connectors::Registry registry_with_fake_source(std::shared_ptr<FakeSourceControl> control);

}  // namespace ferry::testing
