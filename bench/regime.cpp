// Cost of the regime stage's parts. BM_DetectorDay: a RegimeDetector (engine default config) fed
// every mid of a recorded day (HFT_BENCH_PCAP, mids taken from the L3 books once, outside the
// timing): ns per mid, mean live BOCPD run lengths; arg: BOCPD R_max (0: the config's, 64). BM_BocpdUpdate:
// Bocpd::update alone on simulated unit-scale series: arg 0 stationary (nothing to prune: the
// worst case, all R_max bins live once the series is long), arg 1 segments of 100..300
// observations with shifts (pruning drops the old segment's run lengths).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "bench_events.hpp"
#include "hft/config/config.hpp"
#include "hft/engine/stage_config.hpp"
#include "hft/engine/stages.hpp"
#include "hft/regime/bocpd.hpp"
#include "hft/regime/detector.hpp"

namespace {

using namespace hft;

struct Mid {
  Nanos ts;
  double mid;
  InstrumentId id;
};

const std::vector<Mid>& mids() {
  static const std::vector<Mid> out = [] {
    std::vector<Mid> v;
    const config::Config cfg = config::default_config();  // feed.max_orders 2^22
    engine::StageEnv env{cfg};
    auto bs = std::make_unique<engine::BookStage>(env);
    engine::Envelope e{};
    for (const MarketEvent& ev : bench::day_events()) {
      e.ev = ev;
      bs->on_event(e);
      if (e.top.bid > 0 && e.top.ask > e.top.bid)
        v.push_back({e.ev.ts_exch, 0.5 * static_cast<double>(e.top.bid + e.top.ask), e.ev.instrument});
    }
    return v;
  }();
  return out;
}

void BM_DetectorDay(benchmark::State& state) {
  const auto& ms = mids();
  if (ms.empty()) return state.SkipWithError("set HFT_BENCH_PCAP to a pcap");
  regime::RegimeConfig cfg = engine::regime_config(config::default_config());
  if (state.range(0) > 0) cfg.bocpd.max_run = static_cast<std::size_t>(state.range(0));  // else the config's
  std::uint64_t samples = 0;
  double bins = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // one instrument per id, as the engine's stage keeps them
    std::vector<std::unique_ptr<regime::RegimeDetector>> ds;
    state.ResumeTiming();
    samples = 0;
    bins = 0;
    for (const Mid& m : ms) {
      if (m.id >= ds.size()) ds.resize(m.id + 1);
      if (!ds[m.id]) ds[m.id] = std::make_unique<regime::RegimeDetector>(cfg);
      const int n = ds[m.id]->on_mid(m.ts, m.mid);
      if (n > 0 && ds[m.id]->state().ready) {
        samples += static_cast<std::uint64_t>(n);
        bins += static_cast<double>(ds[m.id]->bocpd().active_bins()) * n;
      }
    }
    benchmark::DoNotOptimize(ds.data());
  }
  state.counters["ns_per_mid"] = benchmark::Counter(
      static_cast<double>(ms.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["mids"] = static_cast<double>(ms.size());
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["mean_bins"] = samples ? bins / static_cast<double>(samples) : 0;
}

std::vector<double> series(int kind, std::size_t n) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> z(0.0, 1.0);
  std::uniform_int_distribution<int> len(100, 300);
  std::vector<double> x;
  double mu = 0, sd = 1;
  while (x.size() < n) {
    const int k = kind == 0 ? static_cast<int>(n) : len(rng);
    for (int i = 0; i < k && x.size() < n; ++i) x.push_back(mu + sd * z(rng));
    mu = mu == 0 ? 2.0 : 0.0;
    sd = sd == 1 ? 2.5 : 1.0;
  }
  return x;
}

void BM_BocpdUpdate(benchmark::State& state) {
  const std::vector<double> x = series(static_cast<int>(state.range(0)), 20000);
  regime::BocpdConfig cfg;  // the library's defaults (hazard 1/500); R_max from the arg
  cfg.max_run = static_cast<std::size_t>(state.range(1));
  regime::Bocpd b(cfg);
  for (std::size_t i = 0; i < 2000; ++i) b.update(x[i]);  // past the start-up
  std::size_t i = 2000;
  double bins = 0;
  std::uint64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.update(x[i]));
    bins += static_cast<double>(b.active_bins());
    ++n;
    if (++i == x.size()) i = 2000;
  }
  state.counters["mean_bins"] = n ? bins / static_cast<double>(n) : 0;
}

BENCHMARK(BM_DetectorDay)->Arg(0)->Arg(256)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_BocpdUpdate)->Args({0, 512})->Args({1, 512})->Args({0, 64});

}  // namespace

BENCHMARK_MAIN();
