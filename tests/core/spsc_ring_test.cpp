// SpscRing: capacity rounding, FIFO order, full/empty edges, batch operations, and a two-thread
// transfer of many items that must arrive complete and in order (also run under TSAN).
#include "hft/core/spsc_ring.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

TEST(SpscRing, CapacityRoundsUpToPowerOfTwo) {
  EXPECT_EQ(hft::SpscRing<int>(0).capacity(), 2u);
  EXPECT_EQ(hft::SpscRing<int>(3).capacity(), 4u);
  EXPECT_EQ(hft::SpscRing<int>(1024).capacity(), 1024u);
  EXPECT_EQ(hft::SpscRing<int>(1025).capacity(), 2048u);
}

TEST(SpscRing, FullAndEmptyEdges) {
  hft::SpscRing<int> r(4);
  int v = -1;
  EXPECT_FALSE(r.try_pop(v));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(r.try_push(i));
  EXPECT_FALSE(r.try_push(99));  // full: the fifth item is refused, not overwritten
  EXPECT_EQ(r.size_approx(), 4u);
  for (int i = 0; i < 4; ++i) {
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
  std::vector<int> in(20);
  for (int i = 0; i < 20; ++i) in[static_cast<std::size_t>(i)] = i;
  EXPECT_EQ(r.push_batch(in.data(), 5), 5u);
  EXPECT_EQ(r.push_batch(in.data() + 5, 15), 3u);  // only 3 slots left
  int out[16];
  EXPECT_EQ(r.pop_batch(out, 16), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], i);
  EXPECT_EQ(r.pop_batch(out, 16), 0u);
  EXPECT_EQ(r.push_batch(in.data() + 8, 12), 8u);
  EXPECT_EQ(r.pop_batch(out, 3), 3u);
  EXPECT_EQ(out[0], 8);
  EXPECT_EQ(out[2], 10);
}

// Batches are copied as at most two runs (before and after the wrap): every batch size at every
// starting slot, pushed and popped in batches, comes out whole and in order.
TEST(SpscRing, BatchesWrapAtEverySlot) {
  hft::SpscRing<std::uint64_t> r(8);
  std::uint64_t next_in = 0, next_out = 0;
  for (std::size_t start = 0; start < 8; ++start) {
    for (std::size_t k = 1; k <= 8; ++k) {
      // move the indices to `start` modulo the capacity
      while (next_in % 8 != start) {
        ASSERT_TRUE(r.try_push(next_in++));
        std::uint64_t v = 0;
        ASSERT_TRUE(r.try_pop(v));
        ASSERT_EQ(v, next_out++);
      }
      std::uint64_t in[8], out[8] = {};
      for (std::size_t i = 0; i < k; ++i) in[i] = next_in + i;
      ASSERT_EQ(r.push_batch(in, k), k);
      next_in += k;
      ASSERT_EQ(r.pop_batch(out, 8), k) << "start " << start << " k " << k;
      for (std::size_t i = 0; i < k; ++i) ASSERT_EQ(out[i], next_out++) << "start " << start << " k " << k;
    }
  }
}

// Items are kept as bytes beside their slot's sequence word: sizes that are not a multiple of 8
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

// One producer thread, one consumer thread, a small ring so that both full and empty are hit
// often; every item must arrive exactly once, in order, intact.
TEST(SpscRing, TwoThreadsTransferEverythingInOrder) {
  constexpr std::uint64_t kItems = 2'000'000;
  hft::SpscRing<Item> r(64);
  std::thread producer([&] {
    std::uint64_t i = 0;
    Item batch[7];
    while (i < kItems) {
      if (i % 3 == 0) {  // mix single and batch pushes
        if (r.try_push(Item{i, i * 0x9E3779B97F4A7C15ull})) ++i;
      } else {
        std::size_t n = 0;
        for (; n < 7 && i + n < kItems; ++n) batch[n] = Item{i + n, (i + n) * 0x9E3779B97F4A7C15ull};
        i += r.push_batch(batch, n);
      }
    }
  });
  std::uint64_t expect = 0, bad = 0;
  Item buf[5];
  while (expect < kItems) {
    const std::size_t n = (expect % 2) ? r.pop_batch(buf, 5) : (r.try_pop(buf[0]) ? 1 : 0);
    for (std::size_t k = 0; k < n; ++k) {
      if (buf[k].seq != expect || buf[k].check != expect * 0x9E3779B97F4A7C15ull) ++bad;
      ++expect;
    }
  }
  producer.join();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(expect, kItems);
  Item extra{};
  EXPECT_FALSE(r.try_pop(extra));
}

}  // namespace
