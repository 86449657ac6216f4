// An engine (EngineFixture: temp store, fake clock, runs on the test's thread) whose connections use the REST
// source against the fake SaaS API, plus an oracle that reads the SQLite destination and the fake's records
// into the same shape so a test can compare them value by value.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/rest/rest_source.h"
#include "connectors/rest/rest_source_hooks.h"
#include "engine/engine_fixture.h"
#include "fakes/fake_saas/fake_saas.h"
#include "fakes/hooked_sink.h"

namespace ferry::testing {

// A model's rows by primary key, each row a JSON object of every field the definition maps.
using ModelRows = std::map<int64_t, core::Json>;
// Model id -> rows: what a destination holds, or what it should hold.
using Snapshot = std::map<std::string, ModelRows>;

// What moving a destination from `before` to `after` must count, worked out without ferry.
inline core::Counts count_changes(const Snapshot& before, const Snapshot& after) {
  core::Counts counts;
  for (const auto& [model, rows] : after) {
    const auto old = before.find(model);
    for (const auto& [id, row] : rows) {
      const core::Json* previous = nullptr;
      if (old != before.end()) {
        if (auto it = old->second.find(id); it != old->second.end()) previous = &it->second;
      }
      if (previous == nullptr) {
        ++counts.inserted;
      } else if (*previous != row) {
        ++counts.updated;
      }
    }
  }
  for (const auto& [model, rows] : before) {
    const auto now = after.find(model);
    for (const auto& [id, row] : rows) {
      if (now == after.end() || !now->second.contains(id)) ++counts.deleted;
    }
  }
  return counts;
}

inline int64_t row_count(const Snapshot& snapshot) {
  int64_t rows = 0;
  for (const auto& [model, model_rows] : snapshot) rows += static_cast<int64_t>(model_rows.size());
  return rows;
}

// The shipped connectors/definitions/fake_saas.json with every model switched to one pagination style
// (the fake serves each style under its own path prefix) and a small page size, so a run reads many pages.
inline core::Json fake_saas_definition(const std::string& style, int page_size) {
  static const std::map<std::string, std::string> kPrefix = {{"cursor_body", "cursor"},
                                                             {"next_url_body", "next"},
                                                             {"link_header", "link"},
                                                             {"offset", "offset"},
                                                             {"page", "page"}};
  std::ifstream in(std::filesystem::path(__FILE__).parent_path() /
                   "../../connectors/definitions/fake_saas.json");
  core::Json definition = core::Json::parse(in);
  for (auto& model : definition["models"]) {
    const std::string path = model["path"].get<std::string>();
    model["path"] = "/" + kPrefix.at(style) + path.substr(path.rfind('/'));
    model["pagination"] = {{"style", style}, {"page_size_param", "page_size"}, {"page_size", page_size}};
    // The link-header style answers with a bare array; every other style wraps it in {"results": [...]}.
    model["records"] = style == "link_header" ? "" : "/results";
  }
  return definition;
}

// Calls the fixture's after-batch hook once the engine has committed each batch, so a test can kill the
// worker between two pages exactly as tests/fakes/fake_source does for the sample source.
class AfterBatchSource final : public connectors::Source {
 public:
  AfterBatchSource(connectors::SourcePtr inner, std::shared_ptr<FakeSourceControl> control)
      : inner_(std::move(inner)), control_(std::move(control)) {}
  connectors::CheckResult check() override { return inner_->check(); }
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

class RestEngineFixture : public EngineFixture {
 protected:
  // The REST source exactly as shipped, except that retry waits (backoff and Retry-After) are recorded
  // instead of slept, so fault-heavy runs take milliseconds, and the fixture's after-batch hook runs after
  // every committed batch. The rate limiter keeps its real clock and sleeper.
  static constexpr const char* kQuickRetryRest = "rest_quick_retry";

  RestEngineFixture() {
    auto spec = connectors::rest_source_spec();
    spec.type = kQuickRetryRest;
    registry.add_source(
        {spec, [waits = retry_waits, control = control_state](const core::Json& config,
                                                              const connectors::ConnectorContext& context) {
           connectors::rest::RestSourceHooks hooks;
           hooks.retry_sleeper = [waits](core::Duration wait, std::stop_token) { waits->push_back(wait); };
           hooks.unit_random = [] { return 0.5; };
           return connectors::SourcePtr(std::make_unique<AfterBatchSource>(
               connectors::rest::make_rest_source(config, context, std::move(hooks)), control));
         }});
  }

  static core::Json fake_credentials() {
    return {{"refresh_token", FakeSaas::kRefreshToken},
            {"client_id", FakeSaas::kClientId},
            {"client_secret", FakeSaas::kClientSecret}};
  }

  // A connection of `type` ("rest" or kQuickRetryRest) to the fake; `extra` adds or overrides config keys.
  core::Connection make_rest_connection(const std::string& type, core::Json definition,
                                        const core::Json& extra = core::Json::object(),
                                        core::Json credentials = fake_credentials()) {
    definition_ = definition;
    core::Json config{{"definition", std::move(definition)},
                      {"base_url", fake.base_url()},
                      {"timeout_seconds", 10},
                      {"max_attempts", 8}};
    for (const auto& [key, value] : extra.items()) config[key] = value;
    const auto now = clock.now();
    core::Connection c{core::new_uuid(),
                       tenant.id,
                       "saas",
                       type,
                       std::move(config),
                       {{"credentials", std::move(credentials)}},
                       core::new_token("act_"),
                       now,
                       now};
    store.insert_connection(c);
    return c;
  }

  // The fake's live records (remote_was_deleted ones left out) of every model of the last connection's
  // definition: what the destination must hold.
  Snapshot fake_snapshot() const {
    Snapshot out;
    for (const auto& model : definition_["models"]) {
      const std::string path = model["path"].get<std::string>();
      ModelRows& rows = out[model["model_id"].get<std::string>()];
      for (const auto& record : fake.records(path.substr(path.rfind('/') + 1))) {
        if (record.at("remote_was_deleted").get<bool>()) continue;
        core::Json row = core::Json::object();
        for (const auto& field : model["fields"]) {
          const std::string name = field["name"].get<std::string>();
          EXPECT_TRUE(record.contains(name)) << "the fake renders no " << name;
          row[name] = record.value(name, core::Json(nullptr));
        }
        rows.emplace(record.at("id").get<int64_t>(), std::move(row));
      }
    }
    return out;
  }

  // Every mapped column of every destination table, read back into the fake's JSON shapes.
  Snapshot destination_snapshot() {
    Snapshot out;
    sqlite::Database db(destination_path());
    for (const auto& model : definition_["models"]) {
      const std::string model_id = model["model_id"].get<std::string>();
      ModelRows& rows = out[model_id];
      auto exists = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
      exists.bind(1, model_id);
      exists.step();
      if (exists.int64(0) == 0) continue;
      std::string columns;
      for (const auto& field : model["fields"]) {
        columns += (columns.empty() ? "" : ", ") + sqlite::quote_identifier(field["name"].get<std::string>());
      }
      auto stmt = db.prepare("SELECT " + columns + " FROM " + sqlite::quote_identifier(model_id));
      while (stmt.step()) {
        core::Json row = core::Json::object();
        int column = 0;
        for (const auto& field : model["fields"]) {
          row[field["name"].get<std::string>()] =
              column_as_json(stmt, column++, field["type"].get<std::string>());
        }
        const int64_t id = row.at("id").get<int64_t>();
        EXPECT_TRUE(rows.emplace(id, std::move(row)).second) << model_id << " holds id " << id << " twice";
      }
    }
    return out;
  }

  // Asserts the destination equals `want` row by row, naming the first differing rows.
  void expect_destination_equals(const Snapshot& want, const std::string& label) {
    const Snapshot have = destination_snapshot();
    for (const auto& [model, rows] : want) {
      const ModelRows& got = have.at(model);
      EXPECT_EQ(got.size(), rows.size()) << label << ": " << model << " row count";
      int reported = 0;
      for (const auto& [id, row] : rows) {
        const auto it = got.find(id);
        if (it == got.end()) {
          if (reported++ < 3) ADD_FAILURE() << label << ": " << model << " is missing id " << id;
        } else if (it->second != row) {
          if (reported++ < 3)
            ADD_FAILURE() << label << ": " << model << " id " << id << "\n  destination " << it->second.dump()
                          << "\n  fake        " << row.dump();
        }
      }
      for (const auto& [id, row] : got) {
        if (!rows.contains(id) && reported++ < 3)
          ADD_FAILURE() << label << ": " << model << " has extra id " << id;
      }
      EXPECT_EQ(reported, 0) << label << ": " << model << " rows differ from the fake";
    }
  }

  std::shared_ptr<std::vector<core::Duration>> retry_waits = std::make_shared<std::vector<core::Duration>>();
  FakeSaas fake;

 private:
  static core::Json column_as_json(sqlite::Statement& stmt, int column, const std::string& type) {
    if (stmt.is_null(column)) return nullptr;
    if (type == "integer") return stmt.int64(column);
    if (type == "number") return stmt.real(column);
    if (type == "boolean") return stmt.int64(column) != 0;
    if (type == "json") return core::Json::parse(stmt.text(column));
    return stmt.text(column);  // string, timestamp
  }

  core::Json definition_;
};

}  // namespace ferry::testing
