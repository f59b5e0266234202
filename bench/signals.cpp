// Cost of steps 1-3 on the hot path: cleaning + the default feature set + regimes, per event,
// over a whole recorded day held in memory. Two passes over the same events, each with fresh
// books: (1) the L3 books alone, (2) the books plus the clean, features and regime stages exactly
// as the engine chains them (engine::CleanStage, FeatureStage, RegimeStage). The difference is
// the signal cost; both are reported (ns per event) with the feature count.
// Input: HFT_BENCH_PCAP (bench/run passes a converted LOBSTER day and a generated day).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/engine/stage_config.hpp"
#include "hft/engine/stages.hpp"
#include "hft/feed/pcap_source.hpp"

namespace {

using namespace hft;

const std::vector<MarketEvent>& events() {
  static const std::vector<MarketEvent> evs = [] {
    std::vector<MarketEvent> v;
    const char* path = std::getenv("HFT_BENCH_PCAP");
    if (!path || !*path) return v;
    auto src = feed::open_pcap_source(path, {});
    std::vector<MarketEvent> buf(feed::kMaxBatch);
    while (const auto n = src->next(buf)) v.insert(v.end(), buf.begin(), buf.begin() + static_cast<long>(n));
    return v;
  }();
  return evs;
}

// The engine's default sizes: enough for these days; larger pools only add first-touch page
// faults to the timed loop (each iteration starts with fresh books).
book::BookConfig book_config() { return book::BookConfig{}; }

void BM_BooksOnly(benchmark::State& state) {
  const auto& evs = events();
  if (evs.empty()) return state.SkipWithError("set HFT_BENCH_PCAP to a pcap");
  for (auto _ : state) {
    state.PauseTiming();
    auto bs = std::make_unique<engine::BookStage>(book_config());
    engine::Envelope e{};
    state.ResumeTiming();
    for (const MarketEvent& ev : evs) {
      e.ev = ev;
      bs->on_event(e);
    }
    benchmark::DoNotOptimize(e.top);
  }
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(evs.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events"] = static_cast<double>(evs.size());
}

// Steps added one at a time (range(0)): 1 clean, 2 + features, 3 + regimes, 4 + the float
// feature vector read after every event (what a model evaluated on every event pays).
void BM_BooksPlus(benchmark::State& state) {
  const auto& evs = events();
  if (evs.empty()) return state.SkipWithError("set HFT_BENCH_PCAP to a pcap");
  const int steps = static_cast<int>(state.range(0));
  const config::Config cfg = config::default_config();
  std::size_t n_features = 0;
  std::uint64_t dropped = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto bs = std::make_unique<engine::BookStage>(book_config());
    const std::size_t ni = bs->books.config().max_instruments;
    auto cs = std::make_unique<engine::CleanStage>(engine::clean_config(cfg), bs->books, ni);
    auto fs = std::make_unique<engine::FeatureStage>(engine::feature_config(cfg), bs->books, ni);
    auto rs = std::make_unique<engine::RegimeStage>(engine::regime_config(cfg), ni);
    n_features = fs->engine.schema().names.size();
    engine::Envelope e{};
    float sink = 0;
    dropped = 0;
    state.ResumeTiming();
    for (const MarketEvent& ev : evs) {
      e.ev = ev;
      bs->on_event(e);
      if (steps >= 1 && !cs->on_event(e)) {
        ++dropped;
        continue;
      }
      if (steps >= 2) fs->on_event(e);
      if (steps >= 3) rs->on_event(e);
      if (steps >= 4) sink += fs->engine.current(ev.instrument).v[0];
    }
    benchmark::DoNotOptimize(e.regime);
    benchmark::DoNotOptimize(sink);
  }
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(evs.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events"] = static_cast<double>(evs.size());
  state.counters["features"] = static_cast<double>(n_features);
  state.counters["dropped"] = static_cast<double>(dropped);
}

BENCHMARK(BM_BooksOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_BooksPlus)->Unit(benchmark::kMillisecond)->MinTime(2.0)->DenseRange(1, 4)->ArgName("steps");

}  // namespace

BENCHMARK_MAIN();
