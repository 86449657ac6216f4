#include "connectors/sample/sample_source.h"

#include "connectors/sample/sample_data.h"

namespace ferry::connectors {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;
using sample::SampleData;

// Cursor shapes (JSON):
//   {"g":G}                      the model is synced up to generation G
//   {"g":G,"after":ID}           a full read of generation G, done up to ID
//   {"g":G0,"to":G1,"after":ID}  reading the changes G0 -> G1, done up to ID
struct Position {
  int64_t from_generation = -1;  // -1: full read
  int64_t to_generation = 0;
  int64_t after_id = 0;
};

Position parse_cursor(const Cursor& cursor, int64_t current_generation) {
  if (cursor.empty()) return {-1, current_generation, 0};
  const Json j = Json::parse(cursor, nullptr, false);
  if (!j.is_object() || !j.contains("g") || !j["g"].is_number_integer()) {
    throw FerryError(ErrorCategory::kConfigInvalid, "sample source: unreadable cursor " + cursor);
  }
  const int64_t g = j["g"].get<int64_t>();
  const int64_t after = j.value("after", int64_t{0});
  if (j.contains("to")) return {g, j["to"].get<int64_t>(), after};
  if (j.contains("after")) return {-1, g, after};  // resume a full read of generation g
  if (g > current_generation) {
    throw FerryError(ErrorCategory::kConfigInvalid, "sample source: cursor is at generation " +
                                                        std::to_string(g) + " but the source is at " +
                                                        std::to_string(current_generation) +
                                                        "; run a full refresh");
  }
  return {g, current_generation, 0};
}

class SampleSource final : public Source {
 public:
  SampleSource(uint64_t seed, int64_t size, int64_t generation, int64_t batch_size)
      : data_(seed, size), generation_(generation), batch_size_(batch_size) {}

  CheckResult check() override { return {true, "sample source is always reachable", std::nullopt}; }

  std::vector<ModelSchema> discover() override { return SampleData::schemas(); }

  void read(const ModelSchema& schema, const Cursor& from, BatchSink& sink, std::stop_token stop) override {
    const sample::ModelDef* model = data_.model(schema.model_id);
    if (model == nullptr) {
      throw FerryError(ErrorCategory::kConfigInvalid, "sample source has no model " + schema.model_id);
    }
    const Position pos = parse_cursor(from, generation_);
    const bool full = pos.from_generation < 0;
    const int64_t last_id = data_.max_id(*model, pos.to_generation);
    RecordBatch batch(schema.fields.size());
    batch.reserve(static_cast<size_t>(batch_size_));
    auto position_after = [&](int64_t id) {
      Json c{{"g", full ? pos.to_generation : pos.from_generation}, {"after", id}};
      if (!full) c["to"] = pos.to_generation;
      return c.dump();
    };
    for (int64_t id = pos.after_id + 1; id <= last_id; ++id) {
      const auto now = data_.state(*model, id, pos.to_generation);
      if (full) {
        if (now.alive) batch.add_row(data_.values(*model, id, now.modified_generation));
      } else {
        const auto before = data_.state(*model, id, pos.from_generation);
        if (before.alive && !now.alive) {
          std::vector<Value> key(schema.fields.size());
          key[0] = id;
          batch.add_tombstone(std::move(key));
        } else if (now.alive && (!before.alive || now.modified_generation != before.modified_generation)) {
          batch.add_row(data_.values(*model, id, now.modified_generation));
        }
      }
      if (static_cast<int64_t>(batch.rows()) >= batch_size_) {
        if (stop.stop_requested()) return;
        sink.accept(std::move(batch), position_after(id));
        batch = RecordBatch(schema.fields.size());
        if (stop.stop_requested()) return;
      }
    }
    if (stop.stop_requested()) return;
    sink.accept(std::move(batch), Json{{"g", pos.to_generation}}.dump());
  }

 private:
  SampleData data_;
  int64_t generation_;
  int64_t batch_size_;
};

}  // namespace

Spec sample_source_spec() {
  return Spec{
      "sample",
      {
          {"seed", "integer", false, false, 1, "seed of the generated dataset", 0, std::nullopt},
          {"size", "integer", false, false, 1000, "records across all models", 0, 1'000'000'000},
          {"generation", "integer", false, false, 0, "how many change sets have been applied", 0, 10'000},
          {"batch_size", "integer", false, false, 1000, "records per batch", 1, 100'000},
          {"api_key", "string", false, true, nullptr, "an example secret; unused", std::nullopt,
           std::nullopt},
      }};
}

SourcePtr make_sample_source(const core::Json& config) {
  return std::make_unique<SampleSource>(config.at("seed").get<uint64_t>(), config.at("size").get<int64_t>(),
                                        config.at("generation").get<int64_t>(),
                                        config.at("batch_size").get<int64_t>());
}

}  // namespace ferry::connectors
