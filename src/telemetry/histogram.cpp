#include "hft/telemetry/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace hft::telemetry {

double LatencyHistogram::Snapshot::percentile(double p) const noexcept {
  if (count == 0) return 0.0;
  if (!(p >= 0.0)) p = 0.0;  // also NaN
  if (p > 100.0) p = 100.0;
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count)));
  rank = std::clamp<std::uint64_t>(rank, 1, count);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= rank) {
      const double lo = static_cast<double>(bucket_lower(i));
      const double hi = static_cast<double>(bucket_upper(i));
      const double mid = lo + (hi - lo) / 2.0;
      return std::min(std::max(mid, static_cast<double>(min)), static_cast<double>(max));
    }
  }
  return static_cast<double>(max);
}

void LatencyHistogram::Snapshot::merge(const Snapshot& o) {
  if (o.count == 0) return;
  for (std::size_t i = 0; i < buckets.size() && i < o.buckets.size(); ++i) buckets[i] += o.buckets[i];
  min = count ? std::min(min, o.min) : o.min;
  max = count ? std::max(max, o.max) : o.max;
  count += o.count;
  sum += o.sum;
  overflow += o.overflow;
}

void LatencyHistogram::merge(const Snapshot& s) noexcept {
  if (s.count == 0) return;
  for (std::size_t i = 0; i < kBuckets && i < s.buckets.size(); ++i)
    if (s.buckets[i]) bump(buckets_[i], s.buckets[i]);
  bump(count_, s.count);
  bump(sum_, s.sum);
  bump(overflow_, s.overflow);
  if (s.min < min_.load(std::memory_order_relaxed)) min_.store(s.min, std::memory_order_relaxed);
  if (s.max > max_.load(std::memory_order_relaxed)) max_.store(s.max, std::memory_order_relaxed);
}

void LatencyHistogram::reset() noexcept {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
  min_.store(std::numeric_limits<std::uint64_t>::max(), std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
  overflow_.store(0, std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
  Snapshot s;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    s.count += s.buckets[i];
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  s.overflow = overflow_.load(std::memory_order_relaxed);
  if (s.count) {
    s.min = min_.load(std::memory_order_relaxed);
    s.max = max_.load(std::memory_order_relaxed);
    // A record racing with this snapshot may have bumped its bucket but not yet min/max: keep
    // them consistent with the buckets (so percentile() clamps into a valid range).
    std::size_t first = 0, last = kBuckets - 1;
    while (s.buckets[first] == 0) ++first;
    while (s.buckets[last] == 0) --last;
    s.min = std::min(s.min, bucket_upper(first));
    s.max = std::max(s.max, bucket_lower(last));
    if (s.min > s.max) std::swap(s.min, s.max);
  }
  if (unit_ns_ == 1.0 || s.count == 0) return s;
  // Recorded in another unit (ticks): every bucket moves, at its midpoint, to the ns bucket.
  auto conv = [u = unit_ns_](double v) {
    const double ns = v * u;
    return ns >= 1.8e19 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(std::llround(ns));
  };
  Snapshot t;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (s.buckets[i] == 0) continue;
    const double mid = static_cast<double>(bucket_lower(i)) +
                       static_cast<double>(bucket_upper(i) - bucket_lower(i)) / 2.0;
    t.buckets[bucket_index(conv(mid))] += s.buckets[i];
  }
  t.count = s.count;
  t.sum = conv(static_cast<double>(s.sum));
  t.overflow = s.overflow;
  std::size_t first = 0, last = kBuckets - 1;
  while (t.buckets[first] == 0) ++first;
  while (t.buckets[last] == 0) --last;
  // min and max kept inside their (moved) buckets, so percentile() stays consistent.
  t.min = std::clamp(conv(static_cast<double>(s.min)), bucket_lower(first), bucket_upper(first));
  t.max = std::clamp(conv(static_cast<double>(s.max)), bucket_lower(last), bucket_upper(last));
  if (t.min > t.max) std::swap(t.min, t.max);
  return t;
}

}  // namespace hft::telemetry
