// SpscRing: capacity rounding, FIFO order, full/empty edges, batch operations, and a two-thread
// transfer of many items that must arrive complete and in order (also run under TSAN).
#include "hft/core/spsc_ring.hpp"

#include <gtest/gtest.h>

#include <cstdint>
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
