// The engine's telemetry series in a Prometheus registry: counters per event kind, per book and
// source error reason, per thread (events, batches, idle loops, ring drops and full waits),
// gauges for ring depths, live orders and resident memory, and the latency histograms (per stage
// and end to end). The hot threads keep their own single-writer counters; sync() copies them into
// the registry's series on the control thread just before a render. May touch: engine/, telemetry/.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hft/engine/engine.hpp"
#include "hft/telemetry/metrics.hpp"

namespace hft::engine {

class EngineMetrics {
 public:
  EngineMetrics(const Engine& engine, telemetry::Registry& registry);
  void sync();  // control thread, before render_prometheus()

 private:
  const Engine& engine_;
  telemetry::Registry& reg_;
  std::vector<std::pair<telemetry::Counter*, const RelaxedCounter*>> counters_;
  std::vector<std::pair<telemetry::Counter*, std::function<std::uint64_t()>>> derived_;  // sums of counters
  std::vector<telemetry::Counter*> source_;  // by SourceMirror slot, registered as names appear
};

// Resident set size of this process in bytes (/proc/self/statm), 0 if unreadable.
std::int64_t resident_bytes();

}  // namespace hft::engine
