// Cost of steps 1-3 on the hot path: cleaning + the default feature set + regimes, per event,
// over a whole recorded day held in memory, each iteration with fresh books and stages, exactly
// as the engine chains them (engine::BookStage, CleanStage, FeatureStage, RegimeStage).
//  BM_BooksOnly: the L3 books alone (the baseline to subtract).
//  BM_BooksPlus/steps:N: 1 + cleaning, 2 + features (state update per event), 3 + regimes as a
//    replay runs them (the detectors inline on this thread at the events that pass a grid
//    point), 4 + the float feature vector read after every event (what a model evaluated on
//    every event pays on top).
//  BM_HotThread/ack_only:0: steps 1-3 as a live feed runs them, the detectors on a second thread
//    (cpu 0): the hot thread's CPU time (it never waits; batches whose label was not ready are
//    counted as late). In this as-fast-as-possible run the regime thread is busy all the time (on
//    this VM the busy sibling vCPU slows the hot thread: a pessimistic figure); in a live feed it
//    is a grid interval ahead and mostly asleep. ack_only:1: the second thread only acknowledges
//    the batches (no detectors): the hot half and the hand-off with an idle sibling.
// Input: HFT_BENCH_PCAP (bench/run passes a converted LOBSTER day and a generated day).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_events.hpp"
#include "hft/config/config.hpp"
#include "hft/core/cpu_relax.hpp"
#include "hft/engine/stage_config.hpp"
#include "hft/engine/engine.hpp"
#include "hft/engine/stages.hpp"
#include "hft/telemetry/tsc_clock.hpp"

namespace {

using namespace hft;

const std::vector<MarketEvent>& events() { return bench::day_events(); }

// Fresh books and the stages after them, as the engine builds them from the default config;
// live: the regime detectors' live arrangement (a second thread must call work()).
struct Stages {
  Stages(const config::Config& cfg, bool live) : env{cfg} {
    env.live = live;
    bs = std::make_unique<engine::BookStage>(env);
    cs = std::make_unique<engine::CleanStage>(env);
    fs = std::make_unique<engine::FeatureStage>(env);
    rs = std::make_unique<engine::RegimeStage>(env);
  }
  engine::StageEnv env;
  std::unique_ptr<engine::BookStage> bs;
  std::unique_ptr<engine::CleanStage> cs;
  std::unique_ptr<engine::FeatureStage> fs;
  std::unique_ptr<engine::RegimeStage> rs;
};

void BM_BooksOnly(benchmark::State& state) {
  const auto& evs = events();
  if (evs.empty()) return state.SkipWithError("set HFT_BENCH_PCAP to a pcap");
  for (auto _ : state) {
    state.PauseTiming();
    const config::Config cfg = config::default_config();
    engine::StageEnv env{cfg};
    auto bs = std::make_unique<engine::BookStage>(env);
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

void BM_BooksPlus(benchmark::State& state) {
  const auto& evs = events();
  if (evs.empty()) return state.SkipWithError("set HFT_BENCH_PCAP to a pcap");
  const int steps = static_cast<int>(state.range(0));
  const config::Config cfg = config::default_config();
  std::size_t n_features = 0;
  std::uint64_t dropped = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Stages st(cfg, false);
    auto& bs = st.bs;
    auto& cs = st.cs;
    auto& fs = st.fs;
    auto& rs = st.rs;
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

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// A regime thread that runs no detectors: it takes the samples and marks each batch done (label
// 0), so the hot thread's figure is its own half and the cross-core hand-off, with an idle
// sibling (arg 1).
std::size_t ack(engine::RegimeStage& rs) {
  engine::RegimeStage::Msg buf[256];
  const std::size_t n = rs.ring.pop_batch(buf, 256);
  for (std::size_t k = 0; k < n; ++k) {
    if (!buf[k].last) continue;
    engine::RegimeStage::Channel& c = *rs.chans[buf[k].id];  // created before its first message
    c.done_label.store(++c.finished << 8, std::memory_order_release);
  }
  return n;
}

// arg 0: the detectors on the second thread; 1: acknowledgements only (see ack()); 2: the same,
// sleeping 50 us whenever the ring is empty (a mostly idle sibling; the hot thread then waits
// often, and that time is reported apart).
void BM_HotThread(benchmark::State& state) {
  const auto& evs = events();
  if (evs.empty()) return state.SkipWithError("set HFT_BENCH_PCAP to a pcap");
  const bool ack_only = state.range(0) >= 1, napping = state.range(0) == 2;
  const config::Config cfg = config::default_config();
  std::uint64_t late = 0;
  double loop_ns = 0;  // the hot thread's CPU time in the loops (CLOCK_THREAD_CPUTIME_ID)
  for (auto _ : state) {
    state.PauseTiming();
    Stages st(cfg, true);
    auto& bs = st.bs;
    auto& cs = st.cs;
    auto& fs = st.fs;
    auto& rs = st.rs;
    std::atomic<bool> stop{false};
    std::thread worker([&] {
      if (std::thread::hardware_concurrency() > 1) (void)engine::pin_current_thread(0, 0);
      for (;;) {
        const bool stopping = stop.load(std::memory_order_acquire);
        if ((ack_only ? ack(*rs) : rs->work()) == 0) {
          if (stopping) break;
          if (napping) std::this_thread::sleep_for(std::chrono::microseconds(50));
          else cpu_relax(engine::RegimeStage::kIdlePollPauses);  // as the engine's regime thread
        }
      }
    });
    engine::Envelope e{};
    state.ResumeTiming();
    const double t0 = thread_cpu_ns();
    for (const MarketEvent& ev : evs) {
      e.ev = ev;
      bs->on_event(e);
      if (!cs->on_event(e)) continue;
      fs->on_event(e);
      rs->on_event(e);
    }
    benchmark::DoNotOptimize(e.regime);
    loop_ns += thread_cpu_ns() - t0;
    state.PauseTiming();
    stop.store(true, std::memory_order_release);
    worker.join();
    late = rs->late.get();
    state.ResumeTiming();
  }
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(evs.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events"] = static_cast<double>(evs.size());
  state.counters["regime_late_batches"] = static_cast<double>(late);
  const double n_ev = static_cast<double>(evs.size()) * static_cast<double>(state.iterations());
  state.counters["hot_thread_cpu_ns_per_event"] = loop_ns / n_ev;
}

BENCHMARK(BM_BooksOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_BooksPlus)->Unit(benchmark::kMillisecond)->MinTime(2.0)->DenseRange(1, 4)->ArgName("steps");
BENCHMARK(BM_HotThread)->Unit(benchmark::kMillisecond)->MinTime(2.0)->Arg(0)->Arg(1)->Arg(2)->ArgName("ack_only");

}  // namespace

BENCHMARK_MAIN();
