// SlotStack and SlotQueue against the lists they replace (a vector filled with n-1 .. 0 used from
// its back; a ring filled with 0 .. n-1): the same slot numbers in the same order through long
// random runs of takes and frees, the pool full and empty many times over.
#include "hft/core/free_slots.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace {

using hft::core::kNoSlot;
using hft::core::SlotQueue;
using hft::core::SlotStack;

// Removes and returns one of the taken slots, picked at random.
std::uint32_t free_one(std::vector<std::uint32_t>& taken, std::mt19937_64& rng) {
  const std::size_t i = rng() % taken.size();
  const std::uint32_t k = taken[i];
  taken[i] = taken.back();
  taken.pop_back();
  return k;
}

TEST(FreeSlots, StackHandsOutWhatAFilledListGives) {
  for (std::uint32_t n : {1u, 2u, 7u, 64u, 1000u}) {
    SlotStack s;
    s.init(n);
    std::vector<std::uint32_t> ref;  // the list the exchange filled at start
    for (std::uint32_t i = n; i-- > 0;) ref.push_back(i);
    std::vector<std::uint32_t> taken;
    std::mt19937_64 rng(n);
    std::uint32_t high = 0;  // 1 + the highest slot handed out
    for (int step = 0; step < 200000; ++step) {
      ASSERT_EQ(s.empty(), ref.empty());
      ASSERT_EQ(s.size(), ref.size());
      // Takes more often than frees in the first half, fewer in the second: both ends reached.
      const bool take = !ref.empty() && (taken.empty() || rng() % 100 < (step < 100000 ? 60u : 40u));
      if (take) {
        ASSERT_EQ(s.top(), ref.back()) << "n " << n << " step " << step;
        taken.push_back(s.top());
        high = std::max(high, s.top() + 1);
        s.pop();
        ref.pop_back();
      } else if (!taken.empty()) {
        const std::uint32_t k = free_one(taken, rng);
        s.push(k);
        ref.push_back(k);
      }
      ASSERT_EQ(s.ever_used(), high);
    }
  }
}

TEST(FreeSlots, QueueHandsOutWhatAFilledRingGives) {
  for (std::uint32_t n : {1u, 3u, 64u, 999u}) {
    std::vector<std::uint32_t> ring(n, 0xDEADBEEFu);  // contents unused: the queue writes first
    SlotQueue q;
    q.init(n, ring.data());
    std::deque<std::uint32_t> ref;
    for (std::uint32_t i = 0; i < n; ++i) ref.push_back(i);
    std::vector<std::uint32_t> taken;
    std::mt19937_64 rng(n + 17);
    for (int step = 0; step < 200000; ++step) {
      const bool take = taken.empty() || rng() % 100 < (step % 20000 < 10000 ? 65u : 35u);
      if (take) {
        const std::uint32_t k = q.pop();
        if (ref.empty()) {
          ASSERT_EQ(k, kNoSlot);
          continue;
        }
        ASSERT_EQ(k, ref.front()) << "n " << n << " step " << step;
        ref.pop_front();
        taken.push_back(k);
      } else {
        const std::uint32_t k = free_one(taken, rng);
        q.push(k);
        ref.push_back(k);
      }
    }
  }
}

}  // namespace
