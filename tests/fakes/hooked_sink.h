// The BatchSink wrapper that lets a test act between batches (the fake source and the REST engine fixture
// wrap their reads in it): it passes each batch on, then calls a hook.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "connectors/source.h"

namespace ferry::testing {

// Called after each batch the source hands over, with the 1-based batch number of this read.
using BatchHook = std::function<void(const std::string& model_id, int batch_number)>;

// Calls `hook` once `inner` has accepted each batch (for the engine's sink: once the batch is committed), so
// a hook that throws or kills the worker does so between two batches.
class HookedSink final : public connectors::BatchSink {
 public:
  HookedSink(connectors::BatchSink& inner, const std::string& model_id, const BatchHook& hook)
      : inner_(inner), model_id_(model_id), hook_(hook) {}
  void accept(connectors::RecordBatch&& batch, const connectors::Cursor& cursor) override {
    inner_.accept(std::move(batch), cursor);
    if (hook_) hook_(model_id_, ++batches_);
  }

 private:
  connectors::BatchSink& inner_;
  const std::string& model_id_;
  const BatchHook& hook_;
  int batches_ = 0;
};

}  // namespace ferry::testing
