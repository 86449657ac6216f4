// core::Metrics renders the Prometheus text format: one HELP and TYPE per family, labels escaped, histogram
// buckets cumulative and ending at +Inf, gauges read at each render; an undeclared name is a bug, not a new
// series.
#include "core/metrics.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ferry::core {
namespace {

TEST(MetricsTest, CountersRenderOneSeriesPerLabelSet) {
  Metrics metrics;
  metrics.declare_counter("ferry_runs_total", "Runs that ended, by final state");
  metrics.add("ferry_runs_total", {{"state", "complete"}});
  metrics.add("ferry_runs_total", {{"state", "complete"}}, 2);
  metrics.add("ferry_runs_total", {{"state", "failed"}});
  EXPECT_EQ(metrics.render(),
            "# HELP ferry_runs_total Runs that ended, by final state\n"
            "# TYPE ferry_runs_total counter\n"
            "ferry_runs_total{state=\"complete\"} 3\n"
            "ferry_runs_total{state=\"failed\"} 1\n");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  Metrics metrics;
  metrics.declare_counter("c", "a \\ help\nwith a newline");
  metrics.add("c", {{"route", "a\"b\\c\nd"}});
  EXPECT_EQ(metrics.render(),
            "# HELP c a \\\\ help\\nwith a newline\n"
            "# TYPE c counter\n"
            "c{route=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndEndAtInf) {
  Metrics metrics;
  metrics.declare_histogram("d_seconds", "durations", {0.5, 1});
  for (const double v : {0.25, 0.5, 0.75, 3.0}) metrics.observe("d_seconds", {{"route", "/v1/runs/{id}"}}, v);
  EXPECT_EQ(metrics.render(),
            "# HELP d_seconds durations\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{route=\"/v1/runs/{id}\",le=\"0.5\"} 2\n"
            "d_seconds_bucket{route=\"/v1/runs/{id}\",le=\"1\"} 3\n"
            "d_seconds_bucket{route=\"/v1/runs/{id}\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{route=\"/v1/runs/{id}\"} 4.5\n"
            "d_seconds_count{route=\"/v1/runs/{id}\"} 4\n");
}

TEST(MetricsTest, GaugesAreReadAtEachRender) {
  Metrics metrics;
  double depth = 3;
  metrics.declare_gauge("q", "queued", [&] {
    return std::vector<GaugeSample>{{{{"state", "queued"}}, depth}};
  });
  EXPECT_NE(metrics.render().find("q{state=\"queued\"} 3\n"), std::string::npos);
  depth = 5;
  EXPECT_NE(metrics.render().find("q{state=\"queued\"} 5\n"), std::string::npos);
}

TEST(MetricsTest, AnUndeclaredOrMistypedNameThrows) {
  Metrics metrics;
  metrics.declare_counter("c", "a counter");
  EXPECT_THROW(metrics.add("nope", {}), std::logic_error);
  EXPECT_THROW(metrics.observe("c", {}, 1), std::logic_error);
}

TEST(MetricsTest, TheProcessReportsItsMemoryAndDescriptors) {
  Metrics metrics;
  declare_process_metrics(metrics);
  const auto text = metrics.render();
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE process_open_fds gauge\nprocess_open_fds "), std::string::npos) << text;
  EXPECT_EQ(text.find("process_open_fds 0\n"), std::string::npos) << "stdin, stdout and stderr are open";
}

}  // namespace
}  // namespace ferry::core
