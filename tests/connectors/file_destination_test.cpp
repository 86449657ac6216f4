// The file destination writes into a temporary directory; after every commit the test reads the model's file
// back and compares it with the exact text it must hold, spelled out by hand.
#include "connectors/file/file_destination.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "connectors/sqlite/sqlite_source.h"
#include "core/encoding.h"
#include "engine/engine_fixture.h"
#include "fakes/temp_dir.h"

namespace ferry::connectors {
namespace {

namespace fs = std::filesystem;
using core::Counts;
using core::ErrorCategory;
using core::FerryError;
using core::Json;

const Value kNull{};

ModelSchema people() {
  ModelSchema s;
  s.model_id = "crm.Person";
  s.fields = {{"id", FieldType::kInteger}, {"name", FieldType::kString}, {"vip", FieldType::kBoolean}};
  s.primary_key = {"id"};
  return s;
}

RecordBatch rows(std::initializer_list<std::tuple<int64_t, Value, Value>> values) {
  RecordBatch b(3);
  for (const auto& [id, name, vip] : values) b.add_row({id, name, vip});
  return b;
}

RecordBatch tombstones(std::initializer_list<int64_t> ids) {
  RecordBatch b(3);
  for (const int64_t id : ids) b.add_tombstone({id, kNull, kNull});
  return b;
}

class FileDestinationTest : public ::testing::Test {
 protected:
  DestinationPtr destination(Json extra = Json::object()) {
    Json config = extra;
    config["directory"] = dir.path().string();
    EXPECT_EQ(validate_config(file_destination_spec(), config), "");
    return make_file_destination(with_defaults(file_destination_spec(), config));
  }

  std::string contents(const std::string& name) const {
    std::ifstream in(dir.path() / name, std::ios::binary);
    if (!in) return "<missing>";
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

  ferry::testing::TempDir dir;
  ModelSchema schema = people();
};

TEST_F(FileDestinationTest, UpsertsTombstonesAndFullPassDeletesWithExactCountsAndFiles) {
  auto d = destination();
  d->prepare(schema);
  EXPECT_EQ(contents("crm.Person.jsonl"), "") << "prepare writes the (empty) model file";

  EXPECT_EQ(
      d->write(schema, rows({{2, std::string("alan"), false}, {1, std::string("ada"), true}}), {"r1", "c1"}),
      (Counts{2, 0, 0, 0}));
  EXPECT_EQ(contents("crm.Person.jsonl"),
            "{\"id\":1,\"name\":\"ada\",\"vip\":true}\n"
            "{\"id\":2,\"name\":\"alan\",\"vip\":false}\n");

  EXPECT_EQ(
      d->write(schema,
               rows({{1, std::string("ada"), true}, {2, std::string("alan t"), false}, {3, kNull, kNull}}),
               {"r1", "c2"}),
      (Counts{1, 1, 0, 0}));
  EXPECT_EQ(contents("crm.Person.jsonl"),
            "{\"id\":1,\"name\":\"ada\",\"vip\":true}\n"
            "{\"id\":2,\"name\":\"alan t\",\"vip\":false}\n"
            "{\"id\":3,\"name\":null,\"vip\":null}\n");

  EXPECT_EQ(d->write(schema, tombstones({2, 99}), {"r1", "c3"}), (Counts{0, 0, 1, 0}))
      << "a tombstone for a row never written is not counted";
  EXPECT_EQ(contents("crm.Person.jsonl"),
            "{\"id\":1,\"name\":\"ada\",\"vip\":true}\n"
            "{\"id\":3,\"name\":null,\"vip\":null}\n");
  EXPECT_EQ(d->checkpoint("crm.Person")->counts, (Counts{3, 1, 1, 0}));

  // A second run sees only row 3: the full pass deletes row 1.
  EXPECT_EQ(d->write(schema, rows({{3, kNull, kNull}}), {"r2", "d1"}), (Counts{0, 0, 0, 0}));
  EXPECT_EQ(d->finish_full_pass(schema, {"r2", "d2"}), (Counts{0, 0, 1, 0}));
  EXPECT_EQ(contents("crm.Person.jsonl"), "{\"id\":3,\"name\":null,\"vip\":null}\n");
  const auto cp = d->checkpoint("crm.Person");
  EXPECT_EQ(cp->run_id, "r2");
  EXPECT_EQ(cp->cursor, "d2");
  EXPECT_EQ(cp->counts, (Counts{0, 0, 1, 0}));
}

TEST_F(FileDestinationTest, CheckpointsSurviveANewDestinationOnTheSameDirectory) {
  {
    auto d = destination();
    d->prepare(schema);
    d->write(schema, rows({{1, std::string("a"), true}}), {"r1", "{\"after\":[1]}"});
    d->write(schema, rows({{2, std::string("b"), true}}), {"r1", "{\"after\":[2]}"});
  }
  auto again = destination();
  EXPECT_FALSE(again->checkpoint("other").has_value());
  const auto cp = again->checkpoint("crm.Person");
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->run_id, "r1");
  EXPECT_EQ(cp->cursor, "{\"after\":[2]}");
  EXPECT_EQ(cp->counts, (Counts{2, 0, 0, 0}));
  again->prepare(schema);
  EXPECT_EQ(again->write(schema, rows({{2, std::string("b"), true}}), {"r1", "end"}), (Counts{0, 0, 0, 0}))
      << "the rows survived too: row 2 is unchanged";
}

TEST_F(FileDestinationTest, CsvFollowsRfc4180AndKeepsNullApartFromTheEmptyString) {
  auto d = destination({{"format", "csv"}});
  d->prepare(schema);
  d->write(schema,
           rows({{1, std::string("plain"), true},
                 {2, std::string("comma, \"quoted\""), false},
                 {3, std::string("two\nlines\r\nhere"), kNull},
                 {4, std::string(""), kNull},
                 {5, kNull, true},
                 {6, std::string("Zoë – 東京 🚀"), false}}),
           {"r1", "c"});
  EXPECT_EQ(contents("crm.Person.csv"),
            "id,name,vip\r\n"
            "1,plain,true\r\n"
            "2,\"comma, \"\"quoted\"\"\",false\r\n"
            "3,\"two\nlines\r\nhere\",\r\n"
            "4,\"\",\r\n"
            "5,,true\r\n"
            "6,Zoë – 東京 🚀,false\r\n");
}

TEST_F(FileDestinationTest, ValuesKeepTheirTypes) {
  ModelSchema s;
  s.model_id = "types";
  s.fields = {{"id", FieldType::kInteger},  {"n", FieldType::kNumber}, {"d", FieldType::kDecimal},
              {"b", FieldType::kBytes},     {"j", FieldType::kJson},   {"a", FieldType::kArray},
              {"t", FieldType::kTimestamp}, {"u", FieldType::kUuid},   {"s", FieldType::kString}};
  s.primary_key = {"id"};
  const std::string bytes("\0\x01\xff\0", 4);
  RecordBatch b(9);
  b.add_row({int64_t{-7}, 0.1, std::string("12345678901234567890.000001"), bytes,
             std::string("{\"k\": [1, 2.5, \"x\"],\n \"big\": 123456789012345678901234567890}"),
             std::string("[1,2,3]"), std::string("2026-01-02T03:04:05.123456Z"),
             std::string("0e8b4c7a-8d59-4f6e-9d3c-2f1a6b5c4d3e"), std::string("line\nbreak \"q\" \\")});
  b.add_row({int64_t{8}, kNull, kNull, std::string(), kNull, kNull, kNull, kNull, kNull});

  auto d = destination();
  d->prepare(s);
  d->write(s, b, {"r1", "c"});
  const std::string text = contents("types.jsonl");
  EXPECT_EQ(
      text,
      "{\"id\":-7,\"n\":0.1,\"d\":\"12345678901234567890.000001\",\"b\":\"AAH/AA==\","
      "\"j\":{\"k\": [1, 2.5, \"x\"],  \"big\": 123456789012345678901234567890},\"a\":[1,2,3],"
      "\"t\":\"2026-01-02T03:04:05.123456Z\",\"u\":\"0e8b4c7a-8d59-4f6e-9d3c-2f1a6b5c4d3e\","
      "\"s\":\"line\\nbreak \\\"q\\\" \\\\\"}\n"
      "{\"id\":8,\"n\":null,\"d\":null,\"b\":\"\",\"j\":null,\"a\":null,\"t\":null,\"u\":null,\"s\":null}\n");

  // Read back with a JSON parser: every value comes back as it went in.
  const Json first = Json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(first["id"], -7);
  EXPECT_EQ(first["n"].get<double>(), 0.1);
  EXPECT_EQ(core::base64_decode(first["b"].get<std::string>()), bytes);
  EXPECT_EQ(first["j"]["k"], Json::parse("[1, 2.5, \"x\"]"));
  EXPECT_EQ(first["a"], Json::parse("[1,2,3]"));
  EXPECT_EQ(first["s"], "line\nbreak \"q\" \\");
}

TEST_F(FileDestinationTest, LargeModelsAreRewrittenWhenTheirReadEnds) {
  auto d = destination({{"rewrite_max_rows", 2}});
  d->prepare(schema);
  d->write(schema, rows({{1, std::string("a"), true}, {2, std::string("b"), true}}), {"r1", "c1"});
  const std::string two_rows =
      "{\"id\":1,\"name\":\"a\",\"vip\":true}\n"
      "{\"id\":2,\"name\":\"b\",\"vip\":true}\n";
  EXPECT_EQ(contents("crm.Person.jsonl"), two_rows) << "2 rows: still rewritten per batch";
  d->write(schema, rows({{3, std::string("c"), true}}), {"r1", "c2"});
  EXPECT_EQ(contents("crm.Person.jsonl"), two_rows) << "3 rows: the file waits for the end of the read";

  ModelSchema other = schema;
  other.model_id = "crm.Company";
  d->prepare(other);  // the engine moves on to the next model: the previous read is over
  EXPECT_EQ(contents("crm.Person.jsonl"), two_rows + "{\"id\":3,\"name\":\"c\",\"vip\":true}\n");

  const std::string three_rows = contents("crm.Person.jsonl");
  d->prepare(schema);
  d->write(schema, rows({{4, std::string("d"), false}}), {"r2", "c3"});
  EXPECT_EQ(contents("crm.Person.jsonl"), three_rows);
  d.reset();  // the end of the run
  EXPECT_EQ(contents("crm.Person.jsonl"), three_rows + "{\"id\":4,\"name\":\"d\",\"vip\":false}\n");
}

TEST_F(FileDestinationTest, AKeySweepDeletesRowsTheSourceNoLongerListsAndRewritesTheFile) {
  auto d = destination({{"rewrite_max_rows", 0}});
  d->prepare(schema);
  d->write(schema,
           rows({{1, std::string("a"), true}, {2, std::string("b"), true}, {3, std::string("c"), true}}),
           {"r1", "c1"});
  EXPECT_EQ(contents("crm.Person.jsonl"), "") << "large-model mode: the read is not over yet";
  auto sweep = d->begin_key_sweep(schema);
  ASSERT_TRUE(sweep);
  RecordBatch keys(1);
  keys.add_row({int64_t{3}});
  keys.add_row({int64_t{1}});
  sweep->add(keys);
  EXPECT_EQ(sweep->finish({"r1", "c2"}), (Counts{0, 0, 1, 0}));
  EXPECT_EQ(contents("crm.Person.jsonl"),
            "{\"id\":1,\"name\":\"a\",\"vip\":true}\n"
            "{\"id\":3,\"name\":\"c\",\"vip\":true}\n");
  EXPECT_EQ(d->checkpoint("crm.Person")->cursor, "c2");
}

// A real crash: a child process commits a batch and dies before the file is rewritten (no destructors run).
TEST_F(FileDestinationTest, AProcessKilledAfterACommitLeavesTheOldFileAndTheNextPrepareRepairsIt) {
  {
    auto d = destination();
    d->prepare(schema);
    d->write(schema, rows({{1, std::string("a"), true}}), {"r1", "c1"});
  }
  const std::string before = "{\"id\":1,\"name\":\"a\",\"vip\":true}\n";
  ASSERT_EQ(contents("crm.Person.jsonl"), before);

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Large-model mode: the batch commits to the state and the file is left for the end of the read.
    try {
      auto d = destination({{"rewrite_max_rows", 0}});
      d->prepare(schema);
      d->write(schema, rows({{2, std::string("b"), false}}), {"r1", "c2"});
      _exit(0);  // inside the scope: `d` is never destroyed
    } catch (...) {
      _exit(1);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  EXPECT_EQ(contents("crm.Person.jsonl"), before) << "the previous committed file is intact";
  auto d = destination();
  EXPECT_EQ(d->checkpoint("crm.Person")->cursor, "c2") << "the batch and its cursor were committed";
  d->prepare(schema);
  EXPECT_EQ(contents("crm.Person.jsonl"), before + "{\"id\":2,\"name\":\"b\",\"vip\":false}\n");
}

TEST_F(FileDestinationTest, ATemporaryFileLeftByACrashIsReplacedAndNeverSeen) {
  {
    std::ofstream torn(dir.path() / ".crm.Person.jsonl.tmp", std::ios::binary);
    torn << "{\"id\":1,\"na";
  }
  auto d = destination();
  d->prepare(schema);
  d->write(schema, rows({{1, std::string("a"), true}}), {"r1", "c1"});
  EXPECT_EQ(contents("crm.Person.jsonl"), "{\"id\":1,\"name\":\"a\",\"vip\":true}\n");
  EXPECT_FALSE(fs::exists(dir.path() / ".crm.Person.jsonl.tmp"));
}

TEST_F(FileDestinationTest, ANewFieldRewritesTheFileWithTheNewColumn) {
  auto d = destination();
  d->prepare(schema);
  d->write(schema, rows({{1, std::string("a"), true}}), {"r1", "c1"});
  auto wider = schema;
  wider.fields.push_back({"email", FieldType::kString});
  d->prepare(wider);
  EXPECT_EQ(contents("crm.Person.jsonl"), "{\"id\":1,\"name\":\"a\",\"vip\":true,\"email\":null}\n");
}

TEST_F(FileDestinationTest, ModelIdsBecomeSafeFileNamesAndCollisionsAreRefused) {
  auto d = destination();
  ModelSchema odd = schema;
  odd.model_id = "../etc/passwd";
  d->prepare(odd);
  EXPECT_TRUE(fs::exists(dir.path() / "_.._etc_passwd.jsonl"));
  ModelSchema clash = schema;
  clash.model_id = "_.._etc_passwd";
  try {
    d->prepare(clash);
    FAIL() << "two models were given one file";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
    EXPECT_NE(std::string(e.what()).find("../etc/passwd"), std::string::npos) << e.what();
  }
}

TEST_F(FileDestinationTest, ConfigIsChecked) {
  const Spec spec = file_destination_spec();
  EXPECT_NE(validate_config(spec, Json::object()), "") << "directory is required";
  EXPECT_THROW(make_file_destination({{"directory", dir.path().string()}, {"format", "xml"}}), FerryError);
  EXPECT_EQ(with_defaults(spec, Json{{"directory", "x"}})["format"], "jsonl");
}

// The engine end to end: a SQLite database synced into JSON-lines files, incrementally, then in full.
class SqliteToFileSyncTest : public ferry::testing::EngineFixture {
 protected:
  // Both files live in the tenant's data directory, where the connections name them relatively.
  void source_sql(const std::string& statements) {
    std::filesystem::create_directories(tenant_dir());
    sqlite::Database db((tenant_dir() / "app.db").string());
    db.exec(statements);
  }

  core::Sync file_sync() {
    const auto now = clock.now();
    core::Connection c{core::new_uuid(),
                       tenant.id,
                       "app",
                       "sqlite",
                       {{"path", "app.db"}, {"batch_size", 2}},
                       Json::object(),
                       core::new_token("act_"),
                       now,
                       now};
    store.insert_connection(c);
    core::Sync s;
    s.id = core::new_uuid();
    s.tenant_id = tenant.id;
    s.connection_id = c.id;
    s.destination_type = "file";
    s.destination_config = {{"directory", "out"}};
    s.created_at = s.updated_at = now;
    store.insert_sync(s);
    return s;
  }

  std::string output() const {
    std::ifstream in(tenant_dir() / "out" / "items.jsonl", std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
};

TEST_F(SqliteToFileSyncTest, IncrementalAndFullRunsKeepTheFileEqualToTheTable) {
  source_sql(
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, updated_at TEXT);"
      "INSERT INTO items VALUES (1, 'a', '2024-01-01'), (2, 'b', '2024-01-01'), (3, 'c', '2024-01-01')");
  const auto sync = file_sync();
  auto run = run_to_end(trigger(sync));
  ASSERT_EQ(run.state, core::RunState::kComplete) << run.error.value_or("");
  EXPECT_EQ(run.counts, (Counts{3, 0, 0, 0}));
  EXPECT_EQ(output(),
            "{\"id\":1,\"name\":\"a\",\"updated_at\":\"2024-01-01\"}\n"
            "{\"id\":2,\"name\":\"b\",\"updated_at\":\"2024-01-01\"}\n"
            "{\"id\":3,\"name\":\"c\",\"updated_at\":\"2024-01-01\"}\n");

  source_sql(
      "UPDATE items SET name = 'B', updated_at = '2024-01-02' WHERE id = 2;"
      "INSERT INTO items VALUES (4, 'd', '2024-01-02'); DELETE FROM items WHERE id = 3");
  run = run_to_end(trigger(sync));
  ASSERT_EQ(run.state, core::RunState::kComplete) << run.error.value_or("");
  EXPECT_EQ(run.counts, (Counts{1, 1, 1, 0}))
      << "the changed rows were read, and the key sweep found the deleted one";
  EXPECT_EQ(output(),
            "{\"id\":1,\"name\":\"a\",\"updated_at\":\"2024-01-01\"}\n"
            "{\"id\":2,\"name\":\"B\",\"updated_at\":\"2024-01-02\"}\n"
            "{\"id\":4,\"name\":\"d\",\"updated_at\":\"2024-01-02\"}\n");

  source_sql("DELETE FROM items WHERE id = 1");
  run = run_to_end(trigger(sync, /*full_refresh=*/true));
  ASSERT_EQ(run.state, core::RunState::kComplete) << run.error.value_or("");
  EXPECT_EQ(run.counts, (Counts{0, 0, 1, 0}));
  EXPECT_EQ(output(),
            "{\"id\":2,\"name\":\"B\",\"updated_at\":\"2024-01-02\"}\n"
            "{\"id\":4,\"name\":\"d\",\"updated_at\":\"2024-01-02\"}\n");
}

}  // namespace
}  // namespace ferry::connectors
