#include "fakes/fake_source.h"

#include "fakes/hooked_sink.h"

namespace ferry::testing {
namespace {

// Passes on rows, dropping tombstones (hide_deletes).
class NoTombstoneSink final : public connectors::BatchSink {
 public:
  explicit NoTombstoneSink(connectors::BatchSink& inner) : inner_(inner) {}
  void accept(connectors::RecordBatch&& batch, const connectors::Cursor& cursor) override {
    connectors::RecordBatch rows(batch.columns());
    for (size_t r = 0; r < batch.rows(); ++r) {
      if (!batch.deleted(r)) rows.add_row_from(batch, r);
    }
    inner_.accept(std::move(rows), cursor);
  }

 private:
  connectors::BatchSink& inner_;
};

// Passes on the primary-key columns of each row.
class KeyColumnsSink final : public connectors::BatchSink {
 public:
  KeyColumnsSink(connectors::BatchSink& inner, const connectors::ModelSchema& model) : inner_(inner) {
    for (const auto& key : model.primary_key) columns_.push_back(static_cast<size_t>(model.field_index(key)));
  }
  void accept(connectors::RecordBatch&& batch, const connectors::Cursor& cursor) override {
    connectors::RecordBatch keys(columns_.size());
    for (size_t r = 0; r < batch.rows(); ++r) {
      std::vector<connectors::Value> key;
      for (size_t c : columns_) key.push_back(batch.at(r, c));
      keys.add_row(std::move(key));
    }
    inner_.accept(std::move(keys), cursor);
  }

 private:
  connectors::BatchSink& inner_;
  std::vector<size_t> columns_;
};

class FakeSource final : public connectors::Source {
 public:
  FakeSource(connectors::SourcePtr inner, std::shared_ptr<FakeSourceControl> control)
      : inner_(std::move(inner)), control_(std::move(control)) {}
  connectors::CheckResult check() override {
    if (control_->fail_check) return {false, control_->fail_check->what(), control_->fail_check->category()};
    return inner_->check();
  }
  std::vector<connectors::ModelSchema> discover() override {
    ++control_->discoveries;
    return inner_->discover();
  }
  void read(const connectors::ModelSchema& model, const connectors::Cursor& from, connectors::BatchSink& sink,
            std::stop_token stop) override {
    HookedSink hooked(sink, model.model_id, control_->after_batch);
    if (!control_->hide_deletes) return inner_->read(model, from, hooked, stop);
    NoTombstoneSink rows(hooked);
    inner_->read(model, from, rows, stop);
  }
  bool read_keys(const connectors::ModelSchema& model, connectors::BatchSink& sink,
                 std::stop_token stop) override {
    if (!control_->hide_deletes) return false;
    ++control_->key_listings;
    KeyColumnsSink keys(sink, model);
    NoTombstoneSink rows(keys);
    inner_->read(model, "", rows, stop);  // a full read lists exactly the live rows, in key order
    return true;
  }
  std::optional<int64_t> read_counting(const connectors::ModelSchema& model, const connectors::Cursor& from,
                                       connectors::BatchSink& sink, std::stop_token stop) override {
    read(model, from, sink, stop);
    if (!control_->hide_deletes || !control_->counts_rows || stop.stop_requested()) return std::nullopt;
    RowCounter counter;
    NoTombstoneSink rows(counter);
    inner_->read(model, "", rows, {});
    return counter.rows;
  }

 private:
  struct RowCounter final : connectors::BatchSink {
    void accept(connectors::RecordBatch&& batch, const connectors::Cursor&) override {
      rows += static_cast<int64_t>(batch.rows());
    }
    int64_t rows = 0;
  };

  connectors::SourcePtr inner_;
  std::shared_ptr<FakeSourceControl> control_;
};

}  // namespace

connectors::Registry registry_with_fake_source(std::shared_ptr<FakeSourceControl> control) {
  auto registry = connectors::builtin_registry();
  auto spec = connectors::sample_source_spec();
  spec.type = "fake";
  registry.add_source(
      {spec,
       [control](const core::Json& config, const connectors::ConnectorContext&) -> connectors::SourcePtr {
         return std::make_unique<FakeSource>(connectors::make_sample_source(config), control);
       }});
  return registry;
}

}  // namespace ferry::testing
