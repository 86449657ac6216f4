// Fixtures are written by each test into its own temporary directory; expected values are spelled out by
// hand.
#include "connectors/file/file_source.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fakes/collecting_sink.h"

#include "connectors/spec.h"

namespace ferry::connectors {
namespace {

namespace fs = std::filesystem;
using core::ErrorCategory;
using core::FerryError;
using core::Json;
using Row = std::vector<Value>;

using testing::collect;
using testing::CollectingSink;
using testing::find_model;

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("ferry_file_source_" + std::to_string(rd()) + "_" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void write(const std::string& name, const std::string& content) {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out << content;
  }
  void append(const std::string& name, const std::string& content) {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::app);
    out << content;
  }

  SourcePtr source(Json extra = Json::object()) {
    Json config = extra;
    config["path"] = dir_.string();
    EXPECT_EQ(validate_config(file_source_spec(), config), "");
    return make_file_source(with_defaults(file_source_spec(), config));
  }

  fs::path dir_;
};

const Value kNull{};

TEST_F(FileSourceTest, SpecDeclaresFieldsWithDefaults) {
  const Spec spec = file_source_spec();
  EXPECT_EQ(spec.type, "file");
  ASSERT_EQ(spec.fields.size(), 4u);
  EXPECT_EQ(spec.fields[0].name, "path");
  EXPECT_TRUE(spec.fields[0].required);
  EXPECT_EQ(spec.fields[1].default_value, "id");
  EXPECT_EQ(spec.fields[2].default_value, "updated_at");
  EXPECT_EQ(spec.fields[3].default_value, 1000);
  EXPECT_EQ(spec.fields[3].minimum, 1);
  EXPECT_EQ(spec.fields[3].maximum, 100000);
  EXPECT_NE(validate_config(spec, Json{{"path", "/x"}, {"batch_size", 0}}), "");
  EXPECT_NE(validate_config(spec, Json::object()), "");
}

TEST_F(FileSourceTest, CsvAndJsonlDiscoverInferTypes) {
  write("hris.Employee.csv",
        "id,name,salary,active,updated_at,zip,mixed,empty\n"
        "1,Ann,100,true,2024-01-01T10:00:00Z,02134,7,\n"
        "2,Bob,100.5,false,2024-01-02T10:00:00+02:00,10001,x,\n"
        "3,,,,,,,\n");
  write("crm.Contact.jsonl",
        "{\"id\":1,\"zeta\":\"a\",\"alpha\":2,\"meta\":{\"k\":[1,2]}}\n"
        "\n"
        "{\"id\":2,\"zeta\":null,\"alpha\":2.5,\"flag\":true,\"seen\":\"2024-03-01T00:00:00Z\",\"tags\":["
        "\"x\"]}\n"
        "   \n"
        "{\"id\":3,\"flag\":false,\"meta\":null,\"nothing\":null}\n");
  write("notes.txt", "ignored");
  auto src = source();
  const auto models = src->discover();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].model_id, "crm.Contact");
  EXPECT_EQ(models[1].model_id, "hris.Employee");

  const ModelSchema& jsonl = models[0];
  const std::vector<std::pair<std::string, FieldType>> expected_jsonl{
      {"id", FieldType::kInteger}, {"zeta", FieldType::kString},   {"alpha", FieldType::kNumber},
      {"meta", FieldType::kJson},  {"flag", FieldType::kBoolean},  {"seen", FieldType::kTimestamp},
      {"tags", FieldType::kJson},  {"nothing", FieldType::kString}};
  ASSERT_EQ(jsonl.fields.size(), expected_jsonl.size());
  for (size_t i = 0; i < expected_jsonl.size(); ++i) {
    EXPECT_EQ(jsonl.fields[i].name, expected_jsonl[i].first) << i;
    EXPECT_EQ(jsonl.fields[i].type, expected_jsonl[i].second) << jsonl.fields[i].name;
  }
  EXPECT_EQ(jsonl.primary_key, std::vector<std::string>{"id"});
  EXPECT_FALSE(jsonl.cursor_field.has_value());
  EXPECT_FALSE(jsonl.supports_incremental);

  const ModelSchema& csv = models[1];
  const std::vector<std::pair<std::string, FieldType>> expected_csv{
      {"id", FieldType::kInteger},     {"name", FieldType::kString},          {"salary", FieldType::kNumber},
      {"active", FieldType::kBoolean}, {"updated_at", FieldType::kTimestamp}, {"zip", FieldType::kString},
      {"mixed", FieldType::kString},   {"empty", FieldType::kString}};
  ASSERT_EQ(csv.fields.size(), expected_csv.size());
  for (size_t i = 0; i < expected_csv.size(); ++i) {
    EXPECT_EQ(csv.fields[i].name, expected_csv[i].first) << i;
    EXPECT_EQ(csv.fields[i].type, expected_csv[i].second) << csv.fields[i].name;
  }
  EXPECT_EQ(csv.primary_key, std::vector<std::string>{"id"});
  EXPECT_EQ(csv.cursor_field, std::optional<std::string>("updated_at"));
  EXPECT_TRUE(csv.supports_incremental);
}

TEST_F(FileSourceTest, InferenceLooksOnlyAtTheFirstThousandRows) {
  std::string csv = "id,code\n";
  for (int i = 1; i <= 1000; ++i) csv += std::to_string(i) + "," + std::to_string(i) + "\n";
  csv += "1001,abc\n";  // row 1001 would make `code` a string if it were looked at
  write("m.csv", csv);
  auto src = source();
  const auto m = find_model(*src, "m");
  ASSERT_EQ(m.fields.size(), 2u);
  EXPECT_EQ(m.fields[1].type, FieldType::kInteger);
}

TEST_F(FileSourceTest, QuotedCsvWithCommasNewlinesEscapedQuotesAndCrlf) {
  write("q.csv",
        "id,text,note\r\n"
        "1,\"a, b\",plain\r\n"
        "2,\"line one\r\nline two\",\"say \"\"hi\"\"\"\r\n"
        "3,\"\",\"\"\"\"\r\n"
        "\r\n"
        "4,last,\"x,\ny\"");  // no final line break
  auto src = source();
  const auto m = find_model(*src, "q");
  ASSERT_EQ(m.fields.size(), 3u);
  EXPECT_EQ(m.fields[0].name, "id");
  EXPECT_EQ(m.fields[2].name, "note");
  EXPECT_EQ(m.fields[0].type, FieldType::kInteger);
  const auto sink = collect(*src, m);
  ASSERT_EQ(sink.rows.size(), 4u);
  EXPECT_EQ(sink.rows[0], (Row{int64_t{1}, std::string("a, b"), std::string("plain")}));
  EXPECT_EQ(sink.rows[1], (Row{int64_t{2}, std::string("line one\r\nline two"), std::string("say \"hi\"")}));
  EXPECT_EQ(sink.rows[2], (Row{int64_t{3}, kNull, std::string("\"")}));
  EXPECT_EQ(sink.rows[3], (Row{int64_t{4}, std::string("last"), std::string("x,\ny")}));
}

TEST_F(FileSourceTest, UnterminatedQuoteIsAConfigErrorWithItsLine) {
  write("q.csv", "id,text\n1,ok\n2,\"never closed\n3,x\n");
  auto src = source();
  try {
    src->discover();
    FAIL() << "expected FerryError";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
    EXPECT_NE(std::string(e.what()).find("q.csv:3:"), std::string::npos) << e.what();
  }
}

TEST_F(FileSourceTest, FullReadValuesAreExact) {
  write("hris.Employee.csv",
        "id,name,salary,active,updated_at\n"
        "1,Ann,100,true,2024-01-01T10:00:00Z\n"
        "2,Bob,100.25,false,2024-01-02T10:00:00.5+02:00\n"
        "3,,,,\n");
  write("events.jsonl",
        "{\"id\":10,\"payload\":{\"b\":1,\"a\":[true,null]},\"score\":1.5,\"label\":\"x\",\"at\":\"2024-05-"
        "05T05:05:05Z\"}\n"
        "{\"id\":11,\"payload\":[],\"score\":2,\"label\":null}\n");
  auto src = source(Json{{"batch_size", 2}});

  const auto csv = collect(*src, find_model(*src, "hris.Employee"));
  ASSERT_EQ(csv.rows.size(), 3u);
  EXPECT_EQ(csv.rows[0],
            (Row{int64_t{1}, std::string("Ann"), 100.0, true, std::string("2024-01-01T10:00:00.000000Z")}));
  EXPECT_EQ(csv.rows[1],
            (Row{int64_t{2}, std::string("Bob"), 100.25, false, std::string("2024-01-02T08:00:00.500000Z")}));
  EXPECT_EQ(csv.rows[2], (Row{int64_t{3}, kNull, kNull, kNull, kNull}));
  EXPECT_EQ(csv.batch_rows, (std::vector<size_t>{2, 1}));
  EXPECT_EQ(Json::parse(csv.cursors.back()),
            (Json{{"cursor_value", "2024-01-02T08:00:00.500000Z"}, {"key", "2"}}));

  const auto jm = find_model(*src, "events");
  ASSERT_EQ(jm.fields.size(), 5u);
  EXPECT_EQ(jm.fields[1].type, FieldType::kJson);
  EXPECT_EQ(jm.fields[2].type, FieldType::kNumber);
  EXPECT_EQ(jm.fields[4].type, FieldType::kTimestamp);
  const auto jsonl = collect(*src, jm);
  ASSERT_EQ(jsonl.rows.size(), 2u);
  EXPECT_EQ(jsonl.rows[0], (Row{int64_t{10}, std::string("{\"b\":1,\"a\":[true,null]}"), 1.5,
                                std::string("x"), std::string("2024-05-05T05:05:05.000000Z")}));
  EXPECT_EQ(jsonl.rows[1], (Row{int64_t{11}, std::string("[]"), 2.0, kNull, kNull}));
  // Batches of 2: one full batch, then the final (empty) batch with the final cursor.
  EXPECT_EQ(jsonl.batch_rows, (std::vector<size_t>{2, 0}));
  EXPECT_EQ(jsonl.cursors.back(), "{}");  // no updated_at: every read is a full read
}

TEST_F(FileSourceTest, IncrementalReadReturnsExactlyAppendedAndModifiedRows) {
  write("t.csv",
        "id,name,updated_at\n"
        "1,a,2024-01-01T00:00:00Z\n"
        "2,b,2024-01-02T00:00:00Z\n"
        "3,c,2024-01-03T00:00:00Z\n");
  auto src = source();
  const auto m = find_model(*src, "t");
  const auto first = collect(*src, m);
  EXPECT_EQ(first.ids(), (std::vector<int64_t>{1, 2, 3}));
  ASSERT_EQ(first.cursors.size(), 1u);
  EXPECT_EQ(Json::parse(first.cursors[0]),
            (Json{{"cursor_value", "2024-01-03T00:00:00.000000Z"}, {"key", "3"}}));

  write("t.csv",
        "id,name,updated_at\n"
        "1,a2,2024-01-05T00:00:00Z\n"  // modified
        "2,b,2024-01-02T00:00:00Z\n"
        "3,c,2024-01-03T00:00:00Z\n"
        "4,d,2024-01-04T00:00:00Z\n"  // appended
        "5,e,2024-01-03T12:00:00Z\n"  // appended, older than row 1's new time
        "6,f,\n");                    // no cursor value: full reads only
  const auto second = collect(*src, m, first.cursors[0]);
  EXPECT_EQ(second.ids(), (std::vector<int64_t>{1, 4, 5}));
  EXPECT_EQ(std::get<std::string>(second.rows[0][1]), "a2");
  EXPECT_EQ(Json::parse(second.cursors.back()),
            (Json{{"cursor_value", "2024-01-05T00:00:00.000000Z"}, {"key", "1"}}));

  const auto third = collect(*src, m, second.cursors.back());
  EXPECT_TRUE(third.rows.empty());
  EXPECT_EQ(third.cursors, std::vector<Cursor>{second.cursors.back()});

  EXPECT_EQ(collect(*src, m).ids(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(FileSourceTest, TiesOnTheCursorTimestampAreNotSkipped) {
  write("t.jsonl",
        "{\"id\":1,\"updated_at\":\"2024-01-01T00:00:00Z\"}\n"
        "{\"id\":9,\"updated_at\":\"2024-01-02T00:00:00Z\"}\n");
  auto src = source();
  const auto m = find_model(*src, "t");
  const auto first = collect(*src, m);
  EXPECT_EQ(Json::parse(first.cursors.back()),
            (Json{{"cursor_value", "2024-01-02T00:00:00.000000Z"}, {"key", "9"}}));

  // Same timestamp as the cursor's row; 10 > 9 only numerically ("10" < "9" as strings). The +01:00 row is
  // 2024-01-01T23:30:00Z: earlier, although its text sorts later.
  append("t.jsonl",
         "{\"id\":10,\"updated_at\":\"2024-01-02T00:00:00Z\"}\n"
         "{\"id\":11,\"updated_at\":\"2024-01-02T00:30:00+01:00\"}\n"
         "{\"id\":12,\"updated_at\":\"2024-01-02T00:00:00.000001Z\"}\n");
  const auto second = collect(*src, m, first.cursors.back());
  EXPECT_EQ(second.ids(), (std::vector<int64_t>{10, 12}));
  EXPECT_EQ(Json::parse(second.cursors.back()),
            (Json{{"cursor_value", "2024-01-02T00:00:00.000001Z"}, {"key", "12"}}));

  // Cursor values compare as instants, not text: this cursor is the same instant as row 9's.
  const auto offset_cursor = collect(*src, m, R"({"cursor_value":"2024-01-02T01:00:00+01:00","key":"9"})");
  EXPECT_EQ(offset_cursor.ids(), (std::vector<int64_t>{10, 12}));
}

TEST_F(FileSourceTest, ResumesFromAMidReadCursorWithoutRepeatsOrGaps) {
  for (const std::string name : {"r.csv", "r.jsonl"}) {
    SCOPED_TRACE(name);
    const bool csv = name == "r.csv";
    auto row = [&](int id, const std::string& at) {
      return csv ? std::to_string(id) + ",\"multi\nline " + std::to_string(id) + "\"," + at + "\n"
                 : "{\"id\":" + std::to_string(id) + ",\"text\":\"t\",\"updated_at\":\"" + at + "\"}\n";
    };
    std::string content = csv ? "id,text,updated_at\n" : "";
    const std::vector<std::string> times{"2024-01-05T00:00:00Z", "2024-01-01T00:00:00Z",
                                         "2024-01-03T00:00:00Z", "2024-01-02T00:00:00Z",
                                         "2024-01-04T00:00:00Z"};
    for (int id = 1; id <= 5; ++id) content += row(id, times[static_cast<size_t>(id - 1)]);
    write(name, content);
    auto src = source(Json{{"batch_size", 2}});
    const auto m = find_model(*src, "r");

    // A full read, resumed after its first batch.
    const auto full = collect(*src, m);
    EXPECT_EQ(full.ids(), (std::vector<int64_t>{1, 2, 3, 4, 5}));
    ASSERT_EQ(full.cursors.size(), 3u);
    const Json mid = Json::parse(full.cursors[0]);
    EXPECT_TRUE(mid.contains("offset"));
    EXPECT_EQ(mid["line"], csv ? 5 : 2);
    EXPECT_TRUE(mid["since"].is_null());
    EXPECT_EQ(mid["max"], (Json{{"cursor_value", "2024-01-05T00:00:00.000000Z"}, {"key", "1"}}));
    const auto resumed = collect(*src, m, full.cursors[0]);
    EXPECT_EQ(resumed.ids(), (std::vector<int64_t>{3, 4, 5}));
    EXPECT_EQ(resumed.cursors.back(), full.cursors.back());

    // An incremental read (from row 4's pair) resumed after its first batch keeps its filter: row 4, after
    // the resume point, stays filtered out.
    const std::string since = Json{{"cursor_value", "2024-01-02T00:00:00.000000Z"}, {"key", "4"}}.dump();
    const auto incremental = collect(*src, m, since);
    EXPECT_EQ(incremental.ids(), (std::vector<int64_t>{1, 3, 5}));
    const Json mid2 = Json::parse(incremental.cursors[0]);
    EXPECT_EQ(mid2["since"], Json::parse(since));
    const auto resumed2 = collect(*src, m, incremental.cursors[0]);
    EXPECT_EQ(resumed2.ids(), (std::vector<int64_t>{5}));
    EXPECT_EQ(resumed2.cursors.back(), incremental.cursors.back());
    EXPECT_EQ(Json::parse(resumed2.cursors.back()),
              (Json{{"cursor_value", "2024-01-05T00:00:00.000000Z"}, {"key", "1"}}));
    fs::remove(dir_ / name);
  }
}

TEST_F(FileSourceTest, BadValueIsAConfigErrorNamingFileLineAndColumn) {
  std::string csv = "id,amount\n";
  for (int i = 1; i <= 1200; ++i) csv += std::to_string(i) + "," + std::to_string(i * 2) + "\n";
  csv += "1201,abc\n";  // line 1202, after the inference window
  write("pay.csv", csv);
  std::string jsonl;
  for (int i = 1; i <= 1000; ++i) jsonl += "{\"id\":" + std::to_string(i) + ",\"n\":5}\n";
  jsonl += "\n{\"n\":6,\"id\":\"two\"}\n";  // line 1002 (1001 is blank)
  write("ev.jsonl", jsonl);
  auto src = source();
  for (const auto& [id, where, column] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"pay", "pay.csv:1202:", "amount"}, {"ev", "ev.jsonl:1002:", "id"}}) {
    const auto m = find_model(*src, id);
    try {
      collect(*src, m);
      FAIL() << "expected FerryError for " << id;
    } catch (const FerryError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
      const std::string message = e.what();
      EXPECT_NE(message.find(where), std::string::npos) << message;
      EXPECT_NE(message.find("'" + column + "'"), std::string::npos) << message;
    }
  }
}

TEST_F(FileSourceTest, MalformedJsonlLineIsAConfigError) {
  write("bad.jsonl", "{\"id\":1}\n\n{\"id\":2,\n{\"id\":3}\n");
  write("arr.jsonl", "{\"id\":1}\n[1,2]\n");
  auto src = source();
  const auto expect_malformed = [](const std::function<void()>& fn, const std::string& where) {
    try {
      fn();
      ADD_FAILURE() << "expected FerryError";
    } catch (const FerryError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
      EXPECT_NE(std::string(e.what()).find(where + " malformed JSON"), std::string::npos) << e.what();
    }
  };
  expect_malformed([&] { src->discover(); }, "arr.jsonl:2:");
  ModelSchema m;
  m.model_id = "bad";
  m.fields = {{"id", FieldType::kInteger}};
  m.primary_key = {"id"};
  m.supports_incremental = false;
  expect_malformed([&] { collect(*src, m); }, "bad.jsonl:3:");
}

TEST_F(FileSourceTest, MissingPrimaryKeyColumnFailsTheRead) {
  write("nokey.csv", "code,updated_at\nA,2024-01-01T00:00:00Z\n");
  auto src = source();
  const auto m = find_model(*src, "nokey");
  EXPECT_EQ(m.fields.size(), 2u);
  try {
    collect(*src, m);
    FAIL() << "expected FerryError";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
    const std::string message = e.what();
    EXPECT_NE(message.find("nokey"), std::string::npos) << message;
    EXPECT_NE(message.find("'id'"), std::string::npos) << message;
  }
  auto by_code = source(Json{{"primary_key", "code"}});
  EXPECT_EQ(collect(*by_code, find_model(*by_code, "nokey")).rows.size(), 1u);
}

TEST_F(FileSourceTest, CheckReportsMissingOrEmptyDirectory) {
  const fs::path missing = dir_ / "nope";
  auto gone = make_file_source(with_defaults(file_source_spec(), Json{{"path", missing.string()}}));
  auto result = gone->check();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.category, ErrorCategory::kConfigInvalid);
  EXPECT_NE(result.message.find(missing.string()), std::string::npos) << result.message;

  auto src = source();
  result = src->check();
  EXPECT_FALSE(result.ok) << "an empty directory has no models";
  EXPECT_EQ(result.category, ErrorCategory::kConfigInvalid);
  EXPECT_NE(result.message.find(dir_.string()), std::string::npos) << result.message;

  write("a.jsonl", "{\"id\":1}\n");
  result = src->check();
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_FALSE(result.category.has_value());
}

TEST_F(FileSourceTest, StopTokenIsHonoured) {
  std::string csv = "id,updated_at\n";
  for (int i = 1; i <= 10; ++i) csv += std::to_string(i) + ",2024-01-01T00:00:00Z\n";
  write("s.csv", csv);
  auto src = source(Json{{"batch_size", 2}});
  const auto m = find_model(*src, "s");

  std::stop_source stopper;
  CollectingSink sink;
  sink.on_accept = [&] { stopper.request_stop(); };
  src->read(m, "", sink, stopper.get_token());
  EXPECT_EQ(sink.batch_rows, (std::vector<size_t>{2}));
  EXPECT_TRUE(Json::parse(sink.cursors[0]).contains("offset")) << "no final cursor after a stop";

  std::stop_source already;
  already.request_stop();
  CollectingSink none;
  src->read(m, "", none, already.get_token());
  EXPECT_TRUE(none.cursors.empty());
}

TEST_F(FileSourceTest, UnreadableCursorIsAConfigError) {
  write("c.csv", "id,updated_at\n1,2024-01-01T00:00:00Z\n");
  auto src = source();
  const auto m = find_model(*src, "c");
  try {
    collect(*src, m, "not json");
    FAIL() << "expected FerryError";
  } catch (const FerryError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
  }
  // An offset that no longer falls on a row boundary, or lies past the end (the file was rewritten), is
  // refused, not misread.
  for (const std::string offset : {"20", "1000"}) {
    try {
      collect(*src, m, R"({"offset":)" + offset + R"(,"line":1,"since":null,"max":null})");
      ADD_FAILURE() << "expected FerryError for offset " << offset;
    } catch (const FerryError& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kConfigInvalid);
      EXPECT_NE(std::string(e.what()).find("full refresh"), std::string::npos) << e.what();
    }
  }
  // A boundary offset is accepted: the row after it is read.
  EXPECT_EQ(collect(*src, m, R"({"offset":14,"line":1,"since":null,"max":null})").ids(),
            (std::vector<int64_t>{1}));
}

}  // namespace
}  // namespace ferry::connectors
