// The backtest report files: report.json (stable schema, docs/report.md; the same input gives the
// same bytes; wall-clock measurements only inside its "wall" object), report.html
// (self-contained: inline CSS and SVG charts, no scripts, fonts or links to fetch), orders.csv
// and fills.csv (a header row, one row per recorded order / fill).
// May touch: report/, core/. Off the hot path (end of run).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hft/report/metrics.hpp"
#include "hft/report/recorder.hpp"

namespace hft::report {

inline constexpr int kSchemaVersion = 1;

struct RunMeta {
  std::string config_path;
  std::string input;        // the replayed source
  std::string version;      // hftd version string
  std::uint64_t seed = 0;
};

// A pipeline stage's latency (wall clock, ns): percentiles and the non-empty histogram buckets.
struct StageLatency {
  struct Bucket {
    std::uint64_t lower = 0, upper = 0, count = 0;  // ns, inclusive bounds
  };
  std::string name;
  std::uint64_t count = 0;
  double p50 = 0, p99 = 0, p999 = 0;
  std::vector<Bucket> buckets;
};

// From a telemetry::LatencyHistogram snapshot (a template so report/ needs no telemetry/):
//   stage_latency<telemetry::LatencyHistogram>("features", hist.snapshot())
template <class Hist>
StageLatency stage_latency(std::string name, const typename Hist::Snapshot& s) {
  StageLatency l;
  l.name = std::move(name);
  l.count = s.count;
  l.p50 = s.percentile(50);
  l.p99 = s.percentile(99);
  l.p999 = s.percentile(99.9);
  for (std::size_t i = 0; i < s.buckets.size(); ++i)
    if (s.buckets[i]) l.buckets.push_back({Hist::bucket_lower(i), Hist::bucket_upper(i), s.buckets[i]});
  return l;
}

struct FeatureGain {
  std::string name;
  double gain = 0;
};

struct NamedCount {
  std::string name;
  std::uint64_t value = 0;
};

// Continuous learning: one retrain request and what the learner decided.
struct LearningEvent {
  Nanos t_request = 0;
  std::string reason, outcome, why, version;
  std::size_t train_rows = 0, test_rows = 0;
  double champion_log_loss = 0, challenger_log_loss = 0;  // NaN when none
};

// The served model's online quality over a span of exchange time (labels resolved in it).
struct QualityRow {
  Nanos t_from = 0;
  std::uint64_t labels = 0;
  double accuracy = 0, log_loss = 0;
};

struct ReportInput {
  Recording rec;                              // Recorder::data() after finish()
  RunMeta run;
  std::vector<std::string> strategy_names;    // by strategy index (missing: "s<index>")
  std::vector<std::string> instrument_names;  // by instrument id (missing: "#<id>")
  std::vector<FeatureGain> features;          // any order; shown by gain
  std::vector<std::string> models;            // model versions in use
  std::vector<LearningEvent> learning;        // retrain requests and decisions, in time order
  std::vector<QualityRow> quality;            // online prediction quality over time
  std::vector<NamedCount> risk_counters;
  std::uint64_t events = 0;                   // market events processed
  // Wall clock (report.json "wall"):
  double wall_seconds = 0;
  std::vector<StageLatency> latency;
};

std::string report_json(const ReportInput& in);
std::string report_html(const ReportInput& in);
std::string orders_csv(const ReportInput& in);
std::string fills_csv(const ReportInput& in);
// Creates dir if needed and writes the four files; throws std::runtime_error naming the file.
void write_report(const std::string& dir, const ReportInput& in);

}  // namespace hft::report
