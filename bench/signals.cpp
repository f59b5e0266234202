// Cost of steps 1-3 on the hot path: cleaning + the default feature set + regimes, per event,
// over a whole recorded day held in memory, each iteration with fresh books and stages, exactly
// as the engine chains them (engine::BookStage, CleanStage, FeatureStage, RegimeStage).
//  BM_BooksOnly: the L3 books alone (the baseline to subtract).
//  BM_BooksPlus/steps:N: 1 + cleaning, 2 + features (state update per event), 3 + regimes with
//    both halves of the regime stage on this one thread (the hot half, then the detectors' work
//    whenever a batch is queued: the whole CPU cost; the detectors' share is timed apart and
//    reported as regime_thread_ns_per_event, so hot path = ns_per_event - that), 4 + the float
//    feature vector read after every event (what a model evaluated on every event pays on top).
//  BM_HotThread/ack_only:0: steps 3 as the engine runs them, the detectors on a second thread
//    (cpu 0): the hot thread's CPU time, net of and with the time it waited for the regime
//    thread. In this as-fast-as-possible run the regime thread is busy all the time (on this VM
//    the busy sibling vCPU slows the hot thread: a pessimistic figure); in a live feed it is a
//    grid interval ahead and mostly asleep. ack_only:1: the second thread only acknowledges the
//    batches (no detectors): the hot half and the hand-off with an idle sibling.
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

// The engine's default sizes: enough for these days; larger pools only add first-touch page
// faults to the timed loop (each iteration starts with fresh books).
book::BookConfig book_config() { return book::BookConfig{}; }

// Fresh books and the stages after them, as the engine builds them from the default config.
struct Stages {
  explicit Stages(const config::Config& cfg)
      : bs(std::make_unique<engine::BookStage>(book_config())),
        cs(std::make_unique<engine::CleanStage>(engine::clean_config(cfg), bs->books, max_instruments())),
        fs(std::make_unique<engine::FeatureStage>(engine::feature_config(cfg), bs->books, max_instruments())),
        rs(std::make_unique<engine::RegimeStage>(engine::regime_config(cfg), max_instruments())) {}
  std::size_t max_instruments() const { return bs->books.config().max_instruments; }
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

void BM_BooksPlus(benchmark::State& state) {
  const auto& evs = events();
  if (evs.empty()) return state.SkipWithError("set HFT_BENCH_PCAP to a pcap");
  const int steps = static_cast<int>(state.range(0));
  const double ns_per_tick = telemetry::calibrate_tsc().ns_per_tick;
  std::uint64_t work_ticks = 0;
  double work_ns = 0;
  const config::Config cfg = config::default_config();
  std::size_t n_features = 0;
  std::uint64_t dropped = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Stages st(cfg);
    auto& [bs, cs, fs, rs] = st;
    n_features = fs->engine.schema().names.size();
    engine::Envelope e{};
    float sink = 0;
    work_ticks = 0;
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
      if (steps >= 3) {
        rs->on_event(e);
        if (!rs->ring.empty_approx()) {  // the detectors' share, timed apart (once per batch)
          const std::uint64_t t0 = telemetry::rdtsc();
          rs->work();
          work_ticks += telemetry::rdtsc() - t0;
        }
      }
      if (steps >= 4) sink += fs->engine.current(ev.instrument).v[0];
    }
    benchmark::DoNotOptimize(e.regime);
    benchmark::DoNotOptimize(sink);
    work_ns += static_cast<double>(work_ticks) * ns_per_tick;
  }
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(evs.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events"] = static_cast<double>(evs.size());
  state.counters["features"] = static_cast<double>(n_features);
  state.counters["dropped"] = static_cast<double>(dropped);
  if (steps >= 3) {
    // The regime detectors' part (what the engine runs on the regime thread), per event.
    state.counters["regime_thread_ns_per_event"] = benchmark::Counter(
        work_ns / static_cast<double>(evs.size()), benchmark::Counter::kAvgIterations);
  }
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
    engine::RegimeStage::Channel& c = *rs.chans[buf[k].id];
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
  std::uint64_t waits = 0;
  double wait_ns = 0, loop_ns = 0;  // the hot thread's CPU time in the loops (CLOCK_THREAD_CPUTIME_ID)
  const double ns_per_tick = telemetry::calibrate_tsc().ns_per_tick;
  for (auto _ : state) {
    state.PauseTiming();
    Stages st(cfg);
    auto& [bs, cs, fs, rs] = st;
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
    waits = rs->waits.get();
    wait_ns += static_cast<double>(rs->wait_ticks.get()) * ns_per_tick;
    state.ResumeTiming();
  }
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(evs.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events"] = static_cast<double>(evs.size());
  state.counters["regime_waits"] = static_cast<double>(waits);
  // The hot thread's time less the time it spent waiting for the regime thread (which falls
  // behind when a replay delivers samples faster than its detectors run: see regime_waits).
  const double n_ev = static_cast<double>(evs.size()) * static_cast<double>(state.iterations());
  state.counters["ns_per_event_not_waiting"] = (loop_ns - wait_ns) / n_ev;
  state.counters["ns_per_event_waiting"] = wait_ns / n_ev;
}

BENCHMARK(BM_BooksOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_BooksPlus)->Unit(benchmark::kMillisecond)->MinTime(2.0)->DenseRange(1, 4)->ArgName("steps");
BENCHMARK(BM_HotThread)->Unit(benchmark::kMillisecond)->MinTime(2.0)->Arg(0)->Arg(1)->Arg(2)->ArgName("ack_only");

}  // namespace

BENCHMARK_MAIN();
