#include "connectors/sample/sample_source.h"

#include <gtest/gtest.h>

#include "fakes/collecting_sink.h"

#include "connectors/sample/sample_data.h"

namespace ferry::connectors {
namespace {

using testing::CollectingSink;

SourcePtr source(int64_t generation, int64_t batch_size = 100) {
  return make_sample_source(
      {{"seed", 5}, {"size", 1000}, {"generation", generation}, {"batch_size", batch_size}});
}

TEST(SampleSourceTest, DeterministicAndSizedAsAsked) {
  CollectingSink a, b;
  const auto schema = sample::SampleData::schema("hris.Employee");
  source(0)->read(schema, "", a, {});
  source(0)->read(schema, "", b, {});
  EXPECT_EQ(a.rows.size(), 400u);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cursors.back(), R"({"g":0})");
  EXPECT_EQ(source(0)->discover().size(), 4u);
}

TEST(SampleSourceTest, IncrementalReadYieldsExactlyTheGenerationsChanges) {
  const auto schema = sample::SampleData::schema("hris.Employee");
  CollectingSink full0, full1, inc;
  source(0)->read(schema, "", full0, {});
  source(3)->read(schema, "", full1, {});
  source(3)->read(schema, R"({"g":0})", inc, {});
  std::map<int64_t, std::vector<Value>> before, after;
  for (auto& r : full0.rows) before[std::get<int64_t>(r[0])] = r;
  for (auto& r : full1.rows) after[std::get<int64_t>(r[0])] = r;
  size_t changes = 0;
  for (auto& [id, row] : after) changes += !before.contains(id) || before[id] != row;
  for (auto& [id, row] : before) changes += !after.contains(id);
  EXPECT_EQ(inc.rows.size(), changes);
  for (size_t i = 0; i < inc.rows.size(); ++i) {
    const auto id = std::get<int64_t>(inc.rows[i][0]);
    EXPECT_EQ(inc.deleted[i], !after.contains(id));
    if (!inc.deleted[i]) {
      EXPECT_EQ(inc.rows[i], after[id]);
    }
  }
  EXPECT_EQ(inc.cursors.back(), R"({"g":3})");
}

TEST(SampleSourceTest, ResumesAMidReadCursorWithoutRepeatsOrGaps) {
  const auto schema = sample::SampleData::schema("ats.Candidate");
  CollectingSink whole, head;
  source(0, 50)->read(schema, "", whole, {});
  std::stop_source stop;
  struct StopAfterOne : BatchSink {
    CollectingSink& inner;
    std::stop_source& stop;
    StopAfterOne(CollectingSink& i, std::stop_source& s) : inner(i), stop(s) {}
    void accept(RecordBatch&& b, const Cursor& c) override {
      inner.accept(std::move(b), c);
      stop.request_stop();
    }
  } first(head, stop);
  source(0, 50)->read(schema, "", first, stop.get_token());
  ASSERT_EQ(head.rows.size(), 50u);
  CollectingSink tail;
  source(0, 50)->read(schema, head.cursors.back(), tail, {});
  head.rows.insert(head.rows.end(), tail.rows.begin(), tail.rows.end());
  EXPECT_EQ(head.rows, whole.rows);
}

TEST(SampleSourceTest, ACursorAheadOfTheSourceIsAConfigError) {
  CollectingSink sink;
  EXPECT_THROW(source(0)->read(sample::SampleData::schema("hris.Team"), R"({"g":5})", sink, {}),
               core::FerryError);
  EXPECT_THROW(source(0)->read(sample::SampleData::schema("hris.Team"), "garbage", sink, {}),
               core::FerryError);
}

}  // namespace
}  // namespace ferry::connectors
