// SpscRing against boost::lockfree::spsc_queue, on two pinned cores:
//  - throughput: one producer pushes items one at a time, one consumer pops them (items/s): the
//    consumer pops one item at a time, or in batches (the way the engine's stages read a ring),
//    polling again at once when it finds the ring empty, or after a PAUSE (as the engine does);
//  - round trip: ping-pong of one item over two rings (ns per round trip).
// Producer / ping run on the benchmark thread pinned to HFT_BENCH_CPU_A (default 0), the consumer /
// pong thread on HFT_BENCH_CPU_B (default 1). Ring capacity 65536 (the engine's default).
//
// paired/*: on this VM the two vCPUs' placement changes every few seconds (round trip 160-250 ns
// when they share a core's cache, 650-950 ns when they do not), which moves every figure by 3-10x
// between runs and within one. A paired benchmark runs both queues in short alternating slices
// (ours-boost, then boost-ours) and reports the ratio of each adjacent pair, so that a placement
// change between two runs does not decide which queue looks faster: ratio > 1: ours is faster.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <thread>
#include <vector>

#include "hft/core/cpu_relax.hpp"
#include "hft/core/spsc_ring.hpp"

namespace {

constexpr std::size_t kCapacity = 65536;
constexpr std::uint64_t kItemsPerIter = 1 << 20;

int env_cpu(const char* name, int def) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : def;
}
void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// One interface over both queues, so the loops below are shared.
struct Ours {
  hft::SpscRing<std::uint64_t> q{kCapacity};
  bool push(std::uint64_t v) { return q.try_push(v); }
  bool pop(std::uint64_t& v) { return q.try_pop(v); }
  std::size_t pop_n(std::uint64_t* out, std::size_t n) { return q.pop_batch(out, n); }
};
struct Boost {
  boost::lockfree::spsc_queue<std::uint64_t> q{kCapacity};
  bool push(std::uint64_t v) { return q.push(v); }
  bool pop(std::uint64_t& v) { return q.pop(v); }
  std::size_t pop_n(std::uint64_t* out, std::size_t n) { return q.pop(out, n); }
};

enum class Consumer { One, Batch, BatchPause };

struct Slice {
  double seconds = 0;
  std::uint64_t out_of_order = 0, pops = 0, empty_polls = 0;
};

// Pushes `items` items (1..items; 0 never appears, so the consumer can check that it saw every
// value in order) through a fresh queue to a consumer thread; times from the first push to the
// consumer's last pop.
template <class Q>
Slice throughput_slice(Consumer how, std::uint64_t items) {
  pin(env_cpu("HFT_BENCH_CPU_A", 0));
  Q q;
  std::atomic<std::uint64_t> consumed{0};
  Slice s;
  std::thread consumer([&] {
    pin(env_cpu("HFT_BENCH_CPU_B", 1));
    std::uint64_t expect = 1, bad = 0, empty = 0, got = 0;
    std::uint64_t buf[256];
    while (expect <= items) {
      std::size_t n;
      if (how == Consumer::One) {
        n = q.pop(buf[0]) ? 1 : 0;
      } else {
        n = q.pop_n(buf, 256);
      }
      for (std::size_t i = 0; i < n; ++i) bad += buf[i] != expect++;
      if (n) {
        ++got;
      } else {
        ++empty;
        if (how == Consumer::BatchPause) hft::cpu_relax();
      }
    }
    s.out_of_order = bad;
    s.pops = got;
    s.empty_polls = empty;
    consumed.store(expect - 1, std::memory_order_release);
  });
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t v = 1; v <= items; ++v)
    while (!q.push(v)) {
    }
  while (consumed.load(std::memory_order_acquire) != items) {
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  consumer.join();
  return s;
}

// n round trips of one item over two rings; returns the seconds taken (wrong replies counted).
template <class Q>
double round_trip_slice(std::uint64_t n, std::uint64_t& wrong) {
  pin(env_cpu("HFT_BENCH_CPU_A", 0));
  Q ping, pong;
  std::atomic<bool> stop{false};
  std::thread responder([&] {
    pin(env_cpu("HFT_BENCH_CPU_B", 1));
    std::uint64_t v;
    while (!stop.load(std::memory_order_relaxed))
      if (ping.pop(v))
        while (!pong.push(v)) {
        }
  });
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 1; i <= n; ++i) {
    while (!ping.push(i)) {
    }
    std::uint64_t v;
    while (!pong.pop(v)) {
    }
    wrong += v != i;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop.store(true);
  responder.join();
  return s;
}

template <class Q, Consumer kHow>
void BM_Throughput(benchmark::State& state) {
  std::uint64_t items = 0, bad = 0, pops = 0, empty = 0;
  for (auto _ : state) {
    const Slice s = throughput_slice<Q>(kHow, kItemsPerIter);
    state.SetIterationTime(s.seconds);
    items += kItemsPerIter;
    bad += s.out_of_order;
    pops += s.pops;
    empty += s.empty_polls;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(items));
  state.counters["out_of_order"] = static_cast<double>(bad);
  // How the consumer met the ring: items per successful pop, and polls that found it empty per
  // item (each such poll reads the producer's index line, taking it away from the producer).
  state.counters["items_per_pop"] = static_cast<double>(items) / static_cast<double>(std::max<std::uint64_t>(1, pops));
  state.counters["empty_polls_per_item"] = static_cast<double>(empty) / static_cast<double>(std::max<std::uint64_t>(1, items));
}

template <class Q>
void BM_RoundTrip(benchmark::State& state) {
  constexpr std::uint64_t kTrips = 20000;
  std::uint64_t n = 0, wrong = 0;
  double secs = 0;
  for (auto _ : state) {
    const double s = round_trip_slice<Q>(kTrips, wrong);
    state.SetIterationTime(s);
    secs += s;
    n += kTrips;
  }
  state.counters["wrong_replies"] = static_cast<double>(wrong);
  state.counters["ns_per_round_trip"] = secs * 1e9 / static_cast<double>(std::max<std::uint64_t>(1, n));
}

// One paired iteration: ours and boost's on one slice each, in alternating order; the ratio of
// their speeds (> 1: ours faster).
enum class Measure { One, Batch, BatchPause, RoundTrip };
constexpr std::uint64_t kPairItems = 1 << 20, kPairTrips = 20000;

// Seconds that one slice of kM takes on queue Q.
template <Measure kM, class Q>
double slice_seconds(std::uint64_t& wrong) {
  if constexpr (kM == Measure::RoundTrip) {
    return round_trip_slice<Q>(kPairTrips, wrong);
  } else {
    constexpr Consumer how = kM == Measure::One ? Consumer::One : kM == Measure::Batch ? Consumer::Batch : Consumer::BatchPause;
    const Slice s = throughput_slice<Q>(how, kPairItems);
    wrong += s.out_of_order;
    return s.seconds;
  }
}

template <Measure kM>
void BM_Paired(benchmark::State& state) {
  std::vector<double> ratio;
  std::uint64_t wrong = 0, flip = 0;
  for (auto _ : state) {
    double ours, boost;
    if (flip++ & 1) {
      boost = slice_seconds<kM, Boost>(wrong);
      ours = slice_seconds<kM, Ours>(wrong);
    } else {
      ours = slice_seconds<kM, Ours>(wrong);
      boost = slice_seconds<kM, Boost>(wrong);
    }
    ratio.push_back(boost / ours);  // same work: boost's time over ours
  }
  std::sort(ratio.begin(), ratio.end());
  const std::size_t n = ratio.size();
  state.counters["pairs"] = static_cast<double>(n);
  state.counters["ours_faster_in"] = static_cast<double>(ratio.end() - std::upper_bound(ratio.begin(), ratio.end(), 1.0));
  state.counters["ratio_min"] = ratio.front();
  state.counters["ratio_p25"] = ratio[n / 4];
  state.counters["ratio_median"] = ratio[n / 2];
  state.counters["ratio_p75"] = ratio[(3 * n) / 4];
  state.counters["ratio_max"] = ratio.back();
  state.counters["wrong"] = static_cast<double>(wrong);
}

BENCHMARK_TEMPLATE(BM_Throughput, Ours, Consumer::One)->Name("throughput/hft::SpscRing")->UseManualTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Boost, Consumer::One)->Name("throughput/boost::spsc_queue")->UseManualTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Ours, Consumer::Batch)->Name("throughput_batch_pop/hft::SpscRing")->UseManualTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Boost, Consumer::Batch)->Name("throughput_batch_pop/boost::spsc_queue")->UseManualTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Ours, Consumer::BatchPause)->Name("throughput_batch_pop_pause/hft::SpscRing")->UseManualTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Boost, Consumer::BatchPause)->Name("throughput_batch_pop_pause/boost::spsc_queue")->UseManualTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_RoundTrip, Ours)->Name("round_trip/hft::SpscRing")->UseManualTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_RoundTrip, Boost)->Name("round_trip/boost::spsc_queue")->UseManualTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Paired, Measure::One)->Name("paired/throughput")->Iterations(40)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Paired, Measure::Batch)->Name("paired/throughput_batch_pop")->Iterations(40)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Paired, Measure::BatchPause)->Name("paired/throughput_batch_pop_pause")->Iterations(40)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Paired, Measure::RoundTrip)->Name("paired/round_trip")->Iterations(40)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
