// SpscRing against boost::lockfree::spsc_queue, in the same run, on two pinned cores:
//  - throughput: one producer pushes items one at a time, one consumer pops them (items/s);
//    also our ring with batch pop on the consumer side, the way the engine uses it;
//  - round trip: ping-pong of one item over two rings (ns per round trip).
// Producer / ping run on the benchmark thread pinned to HFT_BENCH_CPU_A (default 0), the consumer /
// pong thread on HFT_BENCH_CPU_B (default 1). Ring capacity 65536 (the engine's default).
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <cstdint>
#include <cstdlib>
#include <thread>

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

// Items carry 1..N; 0 never appears, so the consumer can check it saw every value in order.
template <class Q, bool kBatchPop, bool kIdle = false>
void BM_Throughput(benchmark::State& state) {
  pin(env_cpu("HFT_BENCH_CPU_A", 0));
  Q q;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> out_of_order{0};
  std::atomic<std::uint64_t> polls_empty{0}, polls_full{0};
  std::thread consumer([&] {
    pin(env_cpu("HFT_BENCH_CPU_B", 1));
    std::uint64_t expect = 1, bad = 0, empty = 0, got = 0;
    std::uint64_t buf[256];
    while (!stop.load(std::memory_order_relaxed)) {
      if constexpr (kBatchPop) {
        const std::size_t n = q.pop_n(buf, 256);
        for (std::size_t i = 0; i < n; ++i) bad += buf[i] != expect++;
        if (n) {
          ++got;
          consumed.store(expect - 1, std::memory_order_release);
        } else {
          ++empty;
          if constexpr (kIdle) hft::cpu_relax();
        }
      } else {
        std::uint64_t v;
        if (q.pop(v)) {
          ++got;
          bad += v != expect++;
          consumed.store(expect - 1, std::memory_order_release);
        } else {
          ++empty;
          if constexpr (kIdle) hft::cpu_relax();
        }
      }
    }
    out_of_order.store(bad);
    polls_empty.store(empty);
    polls_full.store(got);
  });
  std::uint64_t next = 1;
  for (auto _ : state) {
    const std::uint64_t end = next + kItemsPerIter;
    for (; next < end; ++next)
      while (!q.push(next)) {
      }
    while (consumed.load(std::memory_order_acquire) != next - 1) {
    }
  }
  stop.store(true);
  consumer.join();
  state.SetItemsProcessed(static_cast<std::int64_t>(next - 1));
  state.counters["out_of_order"] = static_cast<double>(out_of_order.load());
  // How the consumer met the ring: items per successful pop, and polls that found it empty
  // per item (each such poll pulls the producer's index line away from the producer).
  state.counters["items_per_pop"] = static_cast<double>(next - 1) / static_cast<double>(std::max<std::uint64_t>(1, polls_full.load()));
  state.counters["empty_polls_per_item"] = static_cast<double>(polls_empty.load()) / static_cast<double>(next - 1);
}

template <class Q>
void BM_RoundTrip(benchmark::State& state) {
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
  std::uint64_t n = 0, wrong = 0;
  for (auto _ : state) {
    ++n;
    while (!ping.push(n)) {
    }
    std::uint64_t v;
    while (!pong.pop(v)) {
    }
    wrong += v != n;
  }
  stop.store(true);
  responder.join();
  state.counters["wrong_replies"] = static_cast<double>(wrong);
  state.counters["ns_per_round_trip"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK_TEMPLATE(BM_Throughput, Ours, false)->Name("throughput/hft::SpscRing")->UseRealTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Boost, false)->Name("throughput/boost::spsc_queue")->UseRealTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Ours, true)->Name("throughput_batch_pop/hft::SpscRing")->UseRealTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Boost, true)->Name("throughput_batch_pop/boost::spsc_queue")->UseRealTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Ours, true, true)->Name("throughput_batch_pop_pause/hft::SpscRing")->UseRealTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_Throughput, Boost, true, true)->Name("throughput_batch_pop_pause/boost::spsc_queue")->UseRealTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_RoundTrip, Ours)->Name("round_trip/hft::SpscRing")->UseRealTime()->MinTime(1.0);
BENCHMARK_TEMPLATE(BM_RoundTrip, Boost)->Name("round_trip/boost::spsc_queue")->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
