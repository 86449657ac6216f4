// A ferry engine on a temp SQLite store with a fake clock and the fake source: runs execute on the test's
// thread via WorkerPool::run_once, so nothing sleeps and nothing races.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "connectors/sample/sample_data.h"
#include "core/ids.h"
#include "db/sqlite/database.h"
#include "engine/control.h"
#include "engine/worker_pool.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_source.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::testing {

// Polls `done` every 10 ms for up to a minute (real worker threads; never an assertion on speed).
template <typename Predicate>
bool eventually(Predicate done) {
  for (int i = 0; i < 6000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class EngineFixture : public ::testing::Test {
 protected:
  EngineFixture()
      : store(dir.file("ferry.db"), core::SecretBox(key())),
        control_state(std::make_shared<FakeSourceControl>()),
        registry(registry_with_fake_source(control_state)),
        control(store, registry, clock),
        pool(store, registry, clock, nullptr, pool_options()) {
    tenant = store.create_tenant("acme");
    registry.set_policy(test_policy(dir));
  }

  // Tenants' files under the temp dir; loopback reachable (the fake SaaS API and the test PostgreSQL run
  // there), as an operator would allow it with --allow-egress.
  static connectors::ConnectorPolicy test_policy(const TempDir& dir) {
    connectors::ConnectorPolicy policy;
    policy.data_root = dir.path() / "data";
    policy.egress.allow("127.0.0.0/8");
    policy.egress.allow("::1/128");
    return policy;
  }

  static std::array<unsigned char, 32> key() {
    std::array<unsigned char, 32> k{};
    k.fill(9);
    return k;
  }
  static engine::WorkerPoolOptions pool_options() {
    engine::WorkerPoolOptions o;
    o.workers = 0;
    o.executor.lease = std::chrono::seconds(30);
    return o;
  }

  core::Connection make_connection(int64_t size, int64_t batch_size = 1000,
                                   const std::string& type = "fake") {
    const auto now = clock.now();
    core::Connection c{core::new_uuid(),
                       tenant.id,
                       "hr",
                       type,
                       {{"seed", 42}, {"size", size}, {"generation", 0}, {"batch_size", batch_size}},
                       core::Json::object(),
                       core::new_token("act_"),
                       now,
                       now};
    store.insert_connection(c);
    return c;
  }

  core::Sync make_sync(const core::Connection& c) {
    core::Sync s;
    s.id = core::new_uuid();
    s.tenant_id = tenant.id;
    s.connection_id = c.id;
    s.destination_type = "sqlite";
    s.destination_config = {{"path", "destination.db"}};
    s.created_at = s.updated_at = clock.now();
    store.insert_sync(s);
    return s;
  }

  void set_generation(core::Connection& c, int64_t generation) {
    c.config["generation"] = generation;
    store.update_connection(c);
  }

  core::Run trigger(const core::Sync& s, bool full_refresh = false) {
    return control.trigger(s, {std::nullopt, full_refresh, "test"}).run;
  }

  core::Run run_to_end(const core::Run& run) {
    while (pool.run_once("test-worker")) {
    }
    return *store.run_by_id(run.id);
  }

  // Where the sync's relative destination path lands: the tenant's data directory.
  std::string destination_path() const { return (tenant_dir() / "destination.db").string(); }
  std::filesystem::path tenant_dir() const { return dir.path() / "data" / tenant.id; }

  int64_t destination_rows(const std::string& model) {
    sqlite::Database db(destination_path());
    auto stmt = db.prepare("SELECT count(*) FROM " + sqlite::quote_identifier(model));
    stmt.step();
    return stmt.int64(0);
  }

  // Asserts the destination holds exactly the sample source's records at `generation`, value by value.
  void expect_destination_equals_source(int64_t size, int64_t generation) {
    connectors::sample::SampleData data(42, size);
    sqlite::Database db(destination_path());
    for (const auto& model : data.models()) {
      const auto schema = connectors::sample::SampleData::schema(model.model_id);
      auto stmt = db.prepare("SELECT * FROM " + sqlite::quote_identifier(model.model_id) + " ORDER BY id");
      int64_t expected_id = 0;
      int64_t rows = 0;
      while (stmt.step()) {
        const int64_t id = stmt.int64(0);
        // every id the destination skipped must be dead at this generation
        for (++expected_id; expected_id < id; ++expected_id) {
          ASSERT_FALSE(data.state(model, expected_id, generation).alive)
              << model.model_id << " missing id " << id;
        }
        const auto state = data.state(model, id, generation);
        ASSERT_TRUE(state.alive) << model.model_id << " has deleted id " << id;
        const auto values = data.values(model, id, state.modified_generation);
        for (size_t c = 0; c < values.size(); ++c) {
          const auto& v = values[c];
          const int col = static_cast<int>(c);
          if (std::holds_alternative<std::monostate>(v)) {
            ASSERT_TRUE(stmt.is_null(col));
          } else if (auto* i = std::get_if<int64_t>(&v)) {
            ASSERT_EQ(stmt.int64(col), *i) << model.model_id << " id " << id << " " << schema.fields[c].name;
          } else if (auto* d = std::get_if<double>(&v)) {
            ASSERT_DOUBLE_EQ(stmt.real(col), *d);
          } else if (auto* b = std::get_if<bool>(&v)) {
            ASSERT_EQ(stmt.int64(col), *b ? 1 : 0);
          } else {
            ASSERT_EQ(stmt.text(col), std::get<std::string>(v)) << model.model_id << " id " << id;
          }
        }
        ++rows;
      }
      for (++expected_id; expected_id <= data.max_id(model, generation); ++expected_id) {
        ASSERT_FALSE(data.state(model, expected_id, generation).alive)
            << model.model_id << " missing id " << expected_id;
      }
      ASSERT_GT(rows, 0);
    }
  }

  // What moving the sample from one generation to another changes, counted independently of ferry.
  static core::Counts expected_changes(int64_t size, int64_t from, int64_t to) {
    connectors::sample::SampleData data(42, size);
    core::Counts counts;
    for (const auto& model : data.models()) {
      for (int64_t id = 1; id <= data.max_id(model, to); ++id) {
        const auto before = data.state(model, id, from);
        const auto after = data.state(model, id, to);
        if (!before.alive && after.alive) ++counts.inserted;
        if (before.alive && !after.alive) ++counts.deleted;
        if (before.alive && after.alive && before.modified_generation != after.modified_generation)
          ++counts.updated;
      }
    }
    return counts;
  }

  TempDir dir;
  FakeClock clock;
  store::SqliteStore store;
  std::shared_ptr<FakeSourceControl> control_state;
  connectors::Registry registry;
  engine::SyncControl control;
  engine::WorkerPool pool;
  core::Tenant tenant;
};

}  // namespace ferry::testing
