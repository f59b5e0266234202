// Cost per update of the drift detectors (hft/model/drift.hpp) on a Bernoulli stream whose
// mean changes every 20,000 values (0.2 / 0.5), precomputed outside the timing.
// BM_PageHinkley: O(1) per update. BM_Adwin/clock: ADWIN2 (M = 5), cut test every `clock`
// updates (arg); the window stays near one regime's length, about 20,000 values.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "hft/model/drift.hpp"

namespace {

const std::vector<double>& values() {
  static const std::vector<double> v = [] {
    std::vector<double> out(1 << 20);
    std::mt19937_64 g(7);
    std::uniform_real_distribution<double> u(0, 1);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = u(g) < ((i / 20'000) % 2 ? 0.5 : 0.2) ? 1.0 : 0.0;
    return out;
  }();
  return v;
}

void BM_PageHinkley(benchmark::State& st) {
  const auto& v = values();
  hft::model::PageHinkleyConfig c;
  c.delta = 0.1;
  hft::model::PageHinkley ph(c);
  std::size_t i = 0;
  for (auto _ : st) {
    benchmark::DoNotOptimize(ph.update(v[i]));
    i = (i + 1) & (v.size() - 1);
  }
  st.counters["alarms"] = static_cast<double>(ph.alarms);
}
BENCHMARK(BM_PageHinkley);

void BM_Adwin(benchmark::State& st) {
  const auto& v = values();
  hft::model::AdwinConfig c;
  c.clock = static_cast<std::uint32_t>(st.range(0));
  hft::model::Adwin a(c);
  std::size_t i = 0;
  for (auto _ : st) {
    benchmark::DoNotOptimize(a.update(v[i]));
    i = (i + 1) & (v.size() - 1);
  }
  st.counters["alarms"] = static_cast<double>(a.alarms);
  st.counters["window"] = static_cast<double>(a.size());
}
BENCHMARK(BM_Adwin)->Arg(1)->Arg(32);

}  // namespace

BENCHMARK_MAIN();
