// SpscRing: capacity rounding, FIFO order, full/empty edges, batch operations, and a two-thread
// transfer of many items that must arrive complete and in order (also run under TSAN).
#include "hft/core/spsc_ring.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

struct Big {
  unsigned char bytes[40];
};

// A power of two of groups, at least what was asked: an item of 29 bytes or more is a group of
// its own (powers of two, as the engine's rings), smaller ones share a line with the word.
TEST(SpscRing, CapacityIsAPowerOfTwoOfGroupsAtLeastWhatWasAsked) {
  EXPECT_EQ(hft::SpscRing<Big>::kGroup, 1u);
  EXPECT_EQ(hft::SpscRing<Big>(0).capacity(), 2u);
  EXPECT_EQ(hft::SpscRing<Big>(3).capacity(), 4u);
  EXPECT_EQ(hft::SpscRing<Big>(1024).capacity(), 1024u);
  EXPECT_EQ(hft::SpscRing<Big>(1025).capacity(), 2048u);
  EXPECT_EQ(hft::SpscRing<std::uint64_t>::kGroup, 7u);  // 7 * 8 + 8 = 64 bytes
  EXPECT_EQ(hft::SpscRing<int>::kGroup, 14u);
  struct Item28 {
    unsigned char bytes[28];
  };
  struct Item29 {
    unsigned char bytes[29];
  };
  EXPECT_EQ(hft::SpscRing<Item28>::kGroup, 2u);  // 2 * 28 + 8 = 64
  EXPECT_EQ(hft::SpscRing<Item29>::kGroup, 1u);
  EXPECT_EQ(hft::SpscRing<std::uint64_t>(8).capacity(), 14u);   // 2 groups
  EXPECT_EQ(hft::SpscRing<std::uint64_t>(15).capacity(), 28u);  // 3 groups -> 4
  EXPECT_EQ(hft::SpscRing<std::uint64_t>(65536).capacity(), 16384u * 7);
}

TEST(SpscRing, FullAndEmptyEdges) {
  hft::SpscRing<int> r(4);
  const int cap = static_cast<int>(r.capacity());
  int v = -1;
  EXPECT_FALSE(r.try_pop(v));
  for (int i = 0; i < cap; ++i) EXPECT_TRUE(r.try_push(i));
  EXPECT_FALSE(r.try_push(99));  // full: one more item is refused, not overwritten
  EXPECT_EQ(r.size_approx(), r.capacity());
  for (int i = 0; i < cap; ++i) {
    ASSERT_TRUE(r.try_pop(v));
    EXPECT_EQ(v, i);
  }
  EXPECT_FALSE(r.try_pop(v));
  EXPECT_TRUE(r.empty_approx());
}

TEST(SpscRing, WrapsAroundManyTimes) {
  hft::SpscRing<std::uint64_t> r(8);
  std::uint64_t next_in = 0, next_out = 0, v = 0;
  for (int round = 0; round < 1000; ++round) {
    const int k = 1 + round % 8;
    for (int i = 0; i < k; ++i) ASSERT_TRUE(r.try_push(next_in++));
    for (int i = 0; i < k; ++i) {
      ASSERT_TRUE(r.try_pop(v));
      ASSERT_EQ(v, next_out++);
    }
  }
}

TEST(SpscRing, BatchPushAndPopAreBoundedByRoomAndContents) {
  hft::SpscRing<int> r(8);
  const std::size_t cap = r.capacity();
  std::vector<int> in(3 * cap), out(2 * cap);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int>(i);
  EXPECT_EQ(r.push_batch(in.data(), 5), 5u);
  EXPECT_EQ(r.push_batch(in.data() + 5, 2 * cap), cap - 5);  // only cap - 5 slots left
  EXPECT_EQ(r.pop_batch(out.data(), 2 * cap), cap);
  for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(out[i], static_cast<int>(i));
  EXPECT_EQ(r.pop_batch(out.data(), 2 * cap), 0u);
  EXPECT_EQ(r.push_batch(in.data() + cap, 2 * cap), cap);
  EXPECT_EQ(r.pop_batch(out.data(), 3), 3u);
  EXPECT_EQ(out[0], static_cast<int>(cap));
  EXPECT_EQ(out[2], static_cast<int>(cap) + 2);
}

// Batches are copied group by group, across the wrap: every batch size at every starting slot,
// pushed and popped in batches, comes out whole and in order (items in groups of 7, of 1).
template <class T>
void expect_batches_wrap_at_every_slot() {
  hft::SpscRing<T> r(8);
  const std::size_t cap = r.capacity();
  auto make = [](std::uint64_t i) {  // every byte depends on i
    T t{};
    unsigned char* b = reinterpret_cast<unsigned char*>(&t);
    for (std::size_t j = 0; j < sizeof(T); ++j) b[j] = static_cast<unsigned char>(i * 131 + j);
    return t;
  };
  auto same = [&](const T& got, std::uint64_t i) {
    const T want = make(i);
    return std::memcmp(&got, &want, sizeof(T)) == 0;
  };
  std::uint64_t next_in = 0, next_out = 0;
  for (std::size_t start = 0; start < cap; ++start) {
    for (std::size_t k = 1; k <= cap; ++k) {
      // move the indices to `start` modulo the capacity
      while (next_in % cap != start) {
        ASSERT_TRUE(r.try_push(make(next_in++)));
        T v{};
        ASSERT_TRUE(r.try_pop(v));
        ASSERT_TRUE(same(v, next_out++));
      }
      std::vector<T> in(k), out(cap);
      for (std::size_t i = 0; i < k; ++i) in[i] = make(next_in + i);
      ASSERT_EQ(r.push_batch(in.data(), k), k);
      next_in += k;
      ASSERT_EQ(r.pop_batch(out.data(), cap), k) << "start " << start << " k " << k;
      for (std::size_t i = 0; i < k; ++i)
        ASSERT_TRUE(same(out[i], next_out++)) << "start " << start << " k " << k;
    }
  }
}
TEST(SpscRing, BatchesWrapAtEverySlot) {
  expect_batches_wrap_at_every_slot<std::uint64_t>();
  expect_batches_wrap_at_every_slot<Big>();
}

// Items are kept as bytes beside their group's sequence word: sizes that are not a multiple of 8
// and over-aligned items (the engine's envelopes are aligned to 64) come out whole, laps apart,
// through single and batch pops.
template <class T>
void expect_whole_items() {
  hft::SpscRing<T> r(4);
  auto make = [](std::uint64_t i) {
    T t{};
    for (std::size_t b = 0; b < sizeof(t.bytes); ++b) t.bytes[b] = static_cast<unsigned char>(i * 31 + b);
    return t;
  };
  std::uint64_t in = 0, out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 3; ++k) ASSERT_TRUE(r.try_push(make(in++)));
    T got[3];
    const std::size_t n = round % 2 ? r.pop_batch(got, 3) : (r.try_pop(got[0]) ? 1 : 0);
    ASSERT_GE(n, 1u);
    for (std::size_t k = 0; k < n; ++k) {
      const T want = make(out++);
      ASSERT_EQ(std::memcmp(got[k].bytes, want.bytes, sizeof(want.bytes)), 0) << "item " << out - 1;
    }
    while (r.try_pop(got[0])) {
      const T want = make(out++);
      ASSERT_EQ(std::memcmp(got[0].bytes, want.bytes, sizeof(want.bytes)), 0) << "item " << out - 1;
    }
  }
  EXPECT_EQ(in, out);
}
struct Odd {
  unsigned char bytes[3];
};
struct alignas(64) Wide {
  unsigned char bytes[100];
};
TEST(SpscRing, ItemsOfAnySizeAndAlignmentComeOutWhole) {
  expect_whole_items<Odd>();
  expect_whole_items<Wide>();
}

struct Item {
  std::uint64_t seq;
  std::uint64_t check;  // a function of seq: a torn or stale slot would not match
};
struct BigItem {  // a group of its own, as the engine's envelopes are
  std::uint64_t seq;
  std::uint64_t check;
  unsigned char pad[112];
};
struct SmallItem {  // seven to a group, as bench_ring's
  std::uint64_t seq;
};
template <class T>
T make_item(std::uint64_t i) {
  T t{};
  t.seq = i;
  if constexpr (requires { t.check; }) t.check = i * 0x9E3779B97F4A7C15ull;
  return t;
}
template <class T>
bool item_ok(const T& t, std::uint64_t i) {
  if constexpr (requires { t.check; }) return t.seq == i && t.check == i * 0x9E3779B97F4A7C15ull;
  else return t.seq == i;
}

// One producer thread, one consumer thread, a small ring so that both full and empty are hit
// often; every item must arrive exactly once, in order, intact. The producer announces how far
// it is about to push before each push, so a consumer that gets more items than that (a broken
// ring handing out slots not written yet) stops at once and ends the producer too: the test fails
// instead of hanging on a ring whose indices no longer agree.
// mixed: the consumer alternates single and batch pops; else batch pops only (they read the
// groups' words to learn what came, and must stop at a group the producer is still filling).
template <class T>
void expect_two_threads_transfer_in_order(bool mixed) {
  constexpr std::uint64_t kItems = 300'000;  // x 6 runs: about the 2M items of the one run before (CI time)
  hft::SpscRing<T> r(64);
  std::atomic<bool> consumer_done{false};
  std::atomic<std::uint64_t> announced{0};  // items pushed or being pushed: an upper bound
  std::thread producer([&] {
    std::uint64_t i = 0;
    T batch[7];
    while (i < kItems && !consumer_done.load(std::memory_order_relaxed)) {
      if (i % 3 == 0) {  // mix single and batch pushes
        announced.store(i + 1, std::memory_order_release);
        if (r.try_push(make_item<T>(i))) ++i;
      } else {
        std::size_t n = 0;
        for (; n < 7 && i + n < kItems; ++n) batch[n] = make_item<T>(i + n);
        announced.store(i + n, std::memory_order_release);
        i += r.push_batch(batch, n);
      }
    }
  });
  std::uint64_t expect = 0, bad = 0;
  bool ran_past = false;
  T buf[5];
  while (expect < kItems && !ran_past) {
    const std::size_t n = (!mixed || expect % 2) ? r.pop_batch(buf, 5) : (r.try_pop(buf[0]) ? 1 : 0);
    for (std::size_t k = 0; k < n; ++k) bad += !item_ok(buf[k], expect++);
    ran_past = expect > announced.load(std::memory_order_acquire);
  }
  consumer_done.store(true, std::memory_order_relaxed);
  producer.join();
  EXPECT_FALSE(ran_past) << "the consumer got items the producer had not pushed";
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(expect, kItems);
  T extra{};
  EXPECT_FALSE(r.try_pop(extra));
}
TEST(SpscRing, TwoThreadsTransferEverythingInOrder) {
  for (bool mixed : {true, false}) {
    SCOPED_TRACE(mixed ? "single and batch pops" : "batch pops");
    expect_two_threads_transfer_in_order<Item>(mixed);
    expect_two_threads_transfer_in_order<BigItem>(mixed);
    expect_two_threads_transfer_in_order<SmallItem>(mixed);
  }
}

}  // namespace
