#include "fakes/fake_source.h"

namespace ferry::testing {
namespace {

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

class FakeSource final : public connectors::Source {
 public:
  FakeSource(connectors::SourcePtr inner, std::shared_ptr<FakeSourceControl> control)
      : inner_(std::move(inner)), control_(std::move(control)) {}
  connectors::CheckResult check() override {
    if (control_->fail_check) return {false, control_->fail_check->what(), control_->fail_check->category()};
    return inner_->check();
  }
  std::vector<connectors::ModelSchema> discover() override { return inner_->discover(); }
  void read(const connectors::ModelSchema& model, const connectors::Cursor& from, connectors::BatchSink& sink,
            std::stop_token stop) override {
    HookedSink hooked(sink, model.model_id, control_->after_batch);
    inner_->read(model, from, hooked, stop);
  }

 private:
  connectors::SourcePtr inner_;
  std::shared_ptr<FakeSourceControl> control_;
};

}  // namespace

connectors::Registry registry_with_fake_source(std::shared_ptr<FakeSourceControl> control) {
  auto registry = connectors::builtin_registry();
  auto spec = connectors::sample_source_spec();
  spec.type = "fake";
  registry.add_source({spec, [control](const core::Json& config) -> connectors::SourcePtr {
                         return std::make_unique<FakeSource>(connectors::make_sample_source(config), control);
                       }});
  return registry;
}

}  // namespace ferry::testing
