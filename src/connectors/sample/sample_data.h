// connectors/sample: a deterministic HRIS/ATS dataset of any size. Every record is a pure function of
// (seed, model, id, generation), so tests and benchmarks can materialise any generation independently.
// Each generation step inserts ~0.5%, updates ~1% and deletes ~0.5% of a model's base rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/record.h"

namespace ferry::connectors::sample {

struct ModelDef {
  std::string model_id;
  int64_t base_count;       // rows at generation 0
  int64_t inserts_per_gen;  // new rows each generation adds
};

class SampleData {
 public:
  SampleData(uint64_t seed, int64_t size);

  const std::vector<ModelDef>& models() const { return models_; }
  const ModelDef* model(const std::string& model_id) const;
  static ModelSchema schema(const std::string& model_id);
  static std::vector<ModelSchema> schemas();

  // Highest id that can exist at `generation`.
  int64_t max_id(const ModelDef& model, int64_t generation) const;

  struct RowState {
    bool alive = false;
    int64_t modified_generation = 0;  // generation of the last insert/update
  };
  RowState state(const ModelDef& model, int64_t id, int64_t generation) const;
  // The record's values at `modified_generation`, in schema field order.
  std::vector<Value> values(const ModelDef& model, int64_t id, int64_t modified_generation) const;

 private:
  uint64_t seed_;
  std::vector<ModelDef> models_;
};

}  // namespace ferry::connectors::sample
