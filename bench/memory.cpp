// What this machine's memory gives a data structure read at random, the floor under the L3
// book's cost on wide days: ns per 64-byte line read at random addresses of a buffer of the
// given size (MiB, on transparent huge pages and prefaulted, as the books' pools are), (1) one
// read after another, each address taken from the line before (latency: a pointer chase) and
// (2) reads whose addresses are known in advance, prefetched `ahead` reads early (throughput:
// as many misses in flight as the core allows, what Books::apply_batch aims at). On a day with a
// million live orders, a book event that removes an order reads its index entry, the order and
// its level and writes its two queue neighbours: up to five such lines, each of the first three
// found from the one before, so that the book sits between the two figures times its lines.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "hft/core/pages.hpp"

namespace {

struct Buffer {
  hft::core::PageMap map;
  std::uint64_t* words = nullptr;
  std::size_t lines = 0;
  explicit Buffer(std::size_t mib) {
    map = hft::core::map_pages(mib << 20, /*huge=*/true, /*prefault=*/true);
    words = static_cast<std::uint64_t*>(map.base);
    lines = (mib << 20) / 64;
  }
  ~Buffer() { hft::core::unmap_pages(map); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

std::uint64_t next_random(std::uint64_t& s) noexcept {  // xorshift64*
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 0x2545F4914F6CDD1DULL;
}

constexpr std::size_t kReads = std::size_t{1} << 22;  // per benchmark iteration

// Latency: each line holds the index of the next line to read, a single random cycle through
// all lines (Sattolo's shuffle), so no read can start before the one before has arrived.
void BM_LineChase(benchmark::State& st) {
  Buffer b(static_cast<std::size_t>(st.range(0)));
  std::vector<std::uint32_t> perm(b.lines);
  for (std::size_t i = 0; i < b.lines; ++i) perm[i] = static_cast<std::uint32_t>(i);
  std::uint64_t s = 0x9E3779B97F4A7C15ULL;
  for (std::size_t i = b.lines - 1; i > 0; --i) std::swap(perm[i], perm[next_random(s) % i]);
  for (std::size_t i = 0; i < b.lines; ++i) b.words[perm[i] * 8] = perm[(i + 1) % b.lines];
  std::uint64_t at = perm[0];
  for (auto _ : st)
    for (std::size_t k = 0; k < kReads; ++k) at = b.words[at * 8];
  benchmark::DoNotOptimize(at);
  st.counters["ns_per_line"] = benchmark::Counter(static_cast<double>(st.iterations() * kReads),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Throughput: the addresses come from a generator that needs no memory, each is prefetched
// `ahead` reads before it is read and summed (independent reads: the core overlaps them).
void BM_LineRandomRead(benchmark::State& st) {
  Buffer b(static_cast<std::size_t>(st.range(0)));
  const auto ahead = static_cast<std::size_t>(st.range(1));
  const std::size_t mask = b.lines - 1;  // sizes are powers of two
  std::uint64_t sum = 0;
  for (auto _ : st) {
    std::uint64_t lead = 12345, lag = 12345;
    for (std::size_t k = 0; k < ahead; ++k) __builtin_prefetch(&b.words[(next_random(lead) & mask) * 8]);
    for (std::size_t k = 0; k < kReads; ++k) {
      __builtin_prefetch(&b.words[(next_random(lead) & mask) * 8]);
      sum += b.words[(next_random(lag) & mask) * 8];
    }
  }
  benchmark::DoNotOptimize(sum);
  st.counters["ns_per_line"] = benchmark::Counter(static_cast<double>(st.iterations() * kReads),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(BM_LineChase)->Arg(1)->Arg(4)->Arg(16)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_LineRandomRead)
    ->ArgsProduct({{16, 64, 256, 1024}, {0, 8, 16, 32}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_MAIN();
