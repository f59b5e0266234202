#include "hft/telemetry/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace hft::telemetry {
namespace {

using H = LatencyHistogram;

TEST(Histogram, BucketsTileTheRangeWithBoundedWidth) {
  EXPECT_EQ(H::bucket_lower(0), 0u);
  for (std::size_t i = 0; i + 1 < H::kBuckets; ++i) {
    ASSERT_EQ(H::bucket_upper(i) + 1, H::bucket_lower(i + 1)) << i;
    const std::uint64_t lo = H::bucket_lower(i), w = H::bucket_upper(i) - lo + 1;
    if (lo >= 2 * H::kSub) {
      ASSERT_LE(static_cast<double>(w) / static_cast<double>(lo), 1.0 / static_cast<double>(H::kSub)) << i;
    } else {
      ASSERT_EQ(w, 1u) << i;  // exact below 2^(k+1)
    }
  }
  EXPECT_EQ(H::bucket_upper(H::kBuckets - 1), H::kMaxValue);
  EXPECT_GE(static_cast<double>(H::kMaxValue), 1e11);
}

TEST(Histogram, IndexAgreesWithBounds) {
  std::mt19937_64 rng(7);
  for (std::uint64_t v = 0; v < 5000; ++v) {
    const std::size_t i = H::bucket_index(v);
    ASSERT_LE(H::bucket_lower(i), v);
    ASSERT_GE(H::bucket_upper(i), v);
  }
  for (int n = 0; n < 100000; ++n) {
    const std::uint64_t v = rng() >> (rng() % 64);
    const std::size_t i = H::bucket_index(v);
    ASSERT_LT(i, H::kBuckets);
    if (v <= H::kMaxValue) {
      ASSERT_LE(H::bucket_lower(i), v);
      ASSERT_GE(H::bucket_upper(i), v);
    } else {
      ASSERT_EQ(i, H::kBuckets - 1);
    }
  }
}

// Nearest-rank percentile of sorted data: the independent reference.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

TEST(Histogram, PercentilesWithinRelativeErrorOnLogNormalData) {
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> dist(std::log(2000.0), 1.5);
    auto h = std::make_unique<H>();
    std::vector<std::uint64_t> v;
    std::uint64_t sum = 0;
    for (int i = 0; i < 200000; ++i) {
      const auto x = static_cast<std::uint64_t>(dist(rng));
      v.push_back(x);
      sum += x;
      h->record(x);
    }
    std::sort(v.begin(), v.end());
    const H::Snapshot s = h->snapshot();
    EXPECT_EQ(s.count, v.size());
    EXPECT_EQ(s.sum, sum);
    EXPECT_EQ(s.min, v.front());
    EXPECT_EQ(s.max, v.back());
    for (double p : {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
      const double e = static_cast<double>(exact_percentile(v, p));
      const double got = s.percentile(p);
      EXPECT_LE(std::abs(got - e), e * H::kRelativeError + 1e-9) << "p" << p << " seed " << seed;
    }
    EXPECT_DOUBLE_EQ(s.quantile(0.99), s.percentile(99.0));
  }
}

// Ticks recorded, ns read: each percentile within two bucket half-widths (the tick bucket's
// and the ns bucket's) of the exact percentile of the values converted one by one.
TEST(Histogram, RecordsTicksAndReadsNs) {
  for (const double ns_per_tick : {0.3125, 0.4, 1.7}) {
    std::mt19937_64 rng(11);
    std::lognormal_distribution<double> dist(std::log(3000.0), 1.2);
    auto h = std::make_unique<H>();
    h->set_unit_ns(ns_per_tick);
    std::vector<std::uint64_t> ns;
    std::uint64_t sum_ticks = 0;
    for (int i = 0; i < 100000; ++i) {
      const auto t = static_cast<std::uint64_t>(dist(rng));
      h->record(t);
      sum_ticks += t;
      ns.push_back(static_cast<std::uint64_t>(std::llround(static_cast<double>(t) * ns_per_tick)));
    }
    std::sort(ns.begin(), ns.end());
    const H::Snapshot s = h->snapshot();
    EXPECT_EQ(s.count, ns.size());
    EXPECT_NEAR(static_cast<double>(s.sum), static_cast<double>(sum_ticks) * ns_per_tick, 1.0);
    EXPECT_NEAR(static_cast<double>(s.min), static_cast<double>(ns.front()), 1.0 + ns.front() * 2 * H::kRelativeError);
    EXPECT_NEAR(static_cast<double>(s.max), static_cast<double>(ns.back()), 1.0 + ns.back() * 2 * H::kRelativeError);
    std::uint64_t in_buckets = 0;
    for (auto b : s.buckets) in_buckets += b;
    EXPECT_EQ(in_buckets, s.count);
    for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9}) {
      const double e = static_cast<double>(exact_percentile(ns, p));
      EXPECT_LE(std::abs(s.percentile(p) - e), e * 2 * H::kRelativeError + 1.0) << "p" << p << " " << ns_per_tick;
    }
  }
}

TEST(Histogram, SmallValuesAreExact) {
  auto h = std::make_unique<H>();
  for (std::uint64_t x = 1; x <= 60; ++x) h->record(x);
  const auto s = h->snapshot();
  EXPECT_EQ(s.percentile(50), 30.0);
  EXPECT_EQ(s.percentile(100), 60.0);
  EXPECT_EQ(s.percentile(0), 1.0);
}

TEST(Histogram, EmptyAndOverflow) {
  auto h = std::make_unique<H>();
  auto s = h->snapshot();
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.percentile(50), 0.0);
  h->record(100);
  h->record(1'000'000'000'000ull);  // 1000 s: beyond the range
  s = h->snapshot();
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(s.overflow, 1u);
  EXPECT_EQ(s.buckets[H::kBuckets - 1], 1u);
  EXPECT_EQ(s.max, 1'000'000'000'000ull);
  EXPECT_GE(s.percentile(100), static_cast<double>(H::bucket_lower(H::kBuckets - 1)));
  h->reset();
  EXPECT_EQ(h->snapshot().count, 0u);
}

TEST(Histogram, MergeEqualsRecordingTheUnion) {
  auto a = std::make_unique<H>(), b = std::make_unique<H>(), all = std::make_unique<H>();
  std::mt19937_64 rng(11);
  for (int i = 0; i < 5000; ++i) {
    const std::uint64_t x = rng() % 10'000'000;
    (i % 3 ? a : b)->record(x);
    all->record(x);
  }
  auto sa = a->snapshot();
  sa.merge(b->snapshot());
  const auto sall = all->snapshot();
  EXPECT_EQ(sa.buckets, sall.buckets);
  EXPECT_EQ(sa.count, sall.count);
  EXPECT_EQ(sa.sum, sall.sum);
  EXPECT_EQ(sa.min, sall.min);
  EXPECT_EQ(sa.max, sall.max);
  a->merge(*b);
  EXPECT_EQ(a->snapshot().buckets, sall.buckets);
  EXPECT_EQ(a->snapshot().min, sall.min);
}

// One writer, one concurrent reader (TSAN checks there is no data race).
TEST(Histogram, ConcurrentSnapshotWhileRecording) {
  auto h = std::make_unique<H>();
  constexpr int kN = 200000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kN; ++i) h->record(static_cast<std::uint64_t>(i % 100000));
    done.store(true, std::memory_order_release);
  });
  std::uint64_t last = 0;
  bool monotone = true;
  while (!done.load(std::memory_order_acquire)) {
    const auto s = h->snapshot();
    monotone = monotone && s.count >= last;
    last = s.count;
    if (s.count) {
      const double p = s.percentile(50);
      monotone = monotone && p >= static_cast<double>(s.min) && p <= static_cast<double>(s.max);
    }
  }
  writer.join();
  EXPECT_TRUE(monotone);
  EXPECT_EQ(h->snapshot().count, static_cast<std::uint64_t>(kN));
}

}  // namespace
}  // namespace hft::telemetry
