#include "connectors/sample/sample_data.h"

#include <fmt/format.h>

#include <array>
#include <stdexcept>

#include "core/time.h"

namespace ferry::connectors::sample {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t hash(uint64_t seed, const std::string& model, int64_t id, int64_t generation, uint64_t salt) {
  uint64_t h = mix(seed ^ salt);
  for (char c : model) h = mix(h ^ static_cast<unsigned char>(c));
  h = mix(h ^ static_cast<uint64_t>(id));
  return mix(h ^ static_cast<uint64_t>(generation));
}

constexpr std::array<const char*, 12> kFirstNames{"Ada",     "Grace",    "Alan",   "Edsger",
                                                  "Barbara", "Ken",      "Dennis", "Frances",
                                                  "John",    "Margaret", "Linus",  "Radia"};
constexpr std::array<const char*, 12> kLastNames{"Lovelace", "Hopper",   "Turing",   "Dijkstra",
                                                 "Liskov",   "Thompson", "Ritchie",  "Allen",
                                                 "Backus",   "Hamilton", "Torvalds", "Perlman"};
constexpr std::array<const char*, 6> kTitles{"Engineer", "Designer",  "Manager",
                                             "Analyst",  "Recruiter", "Director"};
constexpr std::array<const char*, 6> kStages{"applied", "screen", "interview", "offer", "hired", "rejected"};
constexpr std::array<const char*, 5> kCompanies{"Initech", "Globex", "Hooli", "Umbrella", "Stark"};

// 2024-01-01T00:00:00Z; each generation is one day later.
constexpr int64_t kEpochMicros = 1704067200LL * 1000000;
constexpr int64_t kDayMicros = 86400LL * 1000000;

std::string timestamp(int64_t generation, int64_t id) {
  return core::format_rfc3339(
      core::from_micros(kEpochMicros + generation * kDayMicros + (id % 86400) * 1000000 + 123456));
}

template <size_t N>
std::string pick(const std::array<const char*, N>& names, uint64_t h) {
  return names[h % N];
}

}  // namespace

SampleData::SampleData(uint64_t seed, int64_t size) : seed_(seed) {
  const int64_t employees = size * 4 / 10;
  const int64_t teams = size / 10;
  const int64_t candidates = size * 3 / 10;
  const int64_t applications = size - employees - teams - candidates;
  auto def = [](const char* id, int64_t n) {
    return ModelDef{id, n, n == 0 ? 0 : std::max<int64_t>(1, n / 200)};
  };
  models_ = {def("hris.Employee", employees), def("hris.Team", teams), def("ats.Candidate", candidates),
             def("ats.Application", applications)};
}

const ModelDef* SampleData::model(const std::string& model_id) const {
  for (const auto& m : models_) {
    if (m.model_id == model_id) return &m;
  }
  return nullptr;
}

ModelSchema SampleData::schema(const std::string& model_id) {
  using T = FieldType;
  ModelSchema s;
  s.model_id = model_id;
  s.primary_key = {"id"};
  s.cursor_field = "updated_at";
  if (model_id == "hris.Employee") {
    s.fields = {{"id", T::kInteger},          {"first_name", T::kString}, {"last_name", T::kString},
                {"email", T::kString},        {"team_id", T::kInteger},   {"title", T::kString},
                {"salary", T::kNumber},       {"is_active", T::kBoolean}, {"hired_at", T::kTimestamp},
                {"updated_at", T::kTimestamp}};
  } else if (model_id == "hris.Team") {
    s.fields = {{"id", T::kInteger},
                {"name", T::kString},
                {"parent_team_id", T::kInteger},
                {"updated_at", T::kTimestamp}};
  } else if (model_id == "ats.Candidate") {
    s.fields = {{"id", T::kInteger},   {"first_name", T::kString}, {"last_name", T::kString},
                {"email", T::kString}, {"company", T::kString},    {"updated_at", T::kTimestamp}};
  } else if (model_id == "ats.Application") {
    s.fields = {{"id", T::kInteger},   {"candidate_id", T::kInteger}, {"job_id", T::kInteger},
                {"stage", T::kString}, {"applied_at", T::kTimestamp}, {"updated_at", T::kTimestamp}};
  } else {
    throw std::invalid_argument("unknown sample model " + model_id);
  }
  return s;
}

std::vector<ModelSchema> SampleData::schemas() {
  return {schema("hris.Employee"), schema("hris.Team"), schema("ats.Candidate"), schema("ats.Application")};
}

int64_t SampleData::max_id(const ModelDef& model, int64_t generation) const {
  return model.base_count + model.inserts_per_gen * generation;
}

SampleData::RowState SampleData::state(const ModelDef& model, int64_t id, int64_t generation) const {
  if (id < 1 || id > max_id(model, generation)) return {};
  const int64_t created =
      id <= model.base_count ? 0 : (id - model.base_count - 1) / model.inserts_per_gen + 1;
  RowState row{true, created};
  for (int64_t g = created + 1; g <= generation; ++g) {
    const uint64_t roll = hash(seed_, model.model_id, id, g, 0xde1e7e) % 1000;
    if (roll < 5) return {false, g};             // ~0.5% deleted this generation
    if (roll < 15) row.modified_generation = g;  // ~1% updated this generation
  }
  return row;
}

std::vector<Value> SampleData::values(const ModelDef& model, int64_t id, int64_t gen) const {
  const uint64_t h = hash(seed_, model.model_id, id, gen, 0xa11ce);
  const uint64_t stable = hash(seed_, model.model_id, id, 0, 0xb0b);  // unchanged by updates
  const std::string first = pick(kFirstNames, stable);
  const std::string last = pick(kLastNames, stable >> 8);
  const std::string updated_at = timestamp(gen, id);
  if (model.model_id == "hris.Employee") {
    const int64_t teams = std::max<int64_t>(1, model.base_count / 4);
    return {id,
            first,
            last,
            fmt::format("{}.{}{}@example.com", first, last, id),
            static_cast<int64_t>(h % teams + 1),
            fmt::format("{} {}", pick(kTitles, h >> 4), gen == 0 ? "I" : fmt::format("v{}", gen)),
            static_cast<double>(40000 + (h >> 12) % 160000) + 0.5,
            (h >> 20) % 10 != 0,
            timestamp(0, id),
            updated_at};
  }
  if (model.model_id == "hris.Team") {
    Value parent = id > 1 ? Value{static_cast<int64_t>(stable % (id - 1) + 1)} : Value{};
    return {id, fmt::format("Team {} g{}", id, gen), std::move(parent), updated_at};
  }
  if (model.model_id == "ats.Candidate") {
    return {id,        first, last, fmt::format("{}{}@candidates.example", first, id), pick(kCompanies, h),
            updated_at};
  }
  return {id,
          static_cast<int64_t>(stable % 1000 + 1),
          static_cast<int64_t>(h % 50 + 1),
          pick(kStages, h >> 3),
          timestamp(0, id),
          updated_at};
}

}  // namespace ferry::connectors::sample
