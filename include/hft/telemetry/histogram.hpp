// A latency histogram in the HdrHistogram style: values in nanoseconds, exact below 2^(kSubBits+1),
// then every power-of-two range [2^m, 2^(m+1)) split into 2^kSubBits equal sub-buckets, so a
// bucket's width is at most 1/2^kSubBits (3.1%) of its lower bound. Range up to 2^37 - 1 ns
// (~137 s); larger values land in the top bucket and are also counted in `overflow`.
// record() is O(1), allocation-free, for ONE writer thread; any other thread may call snapshot()
// concurrently (every cell is an atomic written with relaxed load+store, so there is no data
// race; a snapshot taken mid-record may miss that one value or see count and sum one apart).
// May touch: nothing (header only, standard library).
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace hft::telemetry {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 5;                         // relative bucket width 1/32
  static constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBits;
  static constexpr unsigned kMaxExp = 36;                         // top range [2^36, 2^37)
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << (kMaxExp + 1)) - 1;
  static constexpr std::size_t kBuckets = kSub + (kMaxExp - kSubBits + 1) * kSub;  // 1056
  // percentile() returns the midpoint of a bucket, so it is within this relative error of the
  // exact (nearest-rank) percentile: half a bucket width over the bucket's lower bound.
  static constexpr double kRelativeError = 1.0 / static_cast<double>(2 * kSub);

  // Bucket of a value (values above kMaxValue -> the last bucket).
  static constexpr std::size_t bucket_index(std::uint64_t v) noexcept {
    if (v < kSub) return static_cast<std::size_t>(v);
    if (v > kMaxValue) return kBuckets - 1;
    const unsigned m = static_cast<unsigned>(std::bit_width(v)) - 1;  // 2^m <= v < 2^(m+1)
    const unsigned shift = m - kSubBits;
    return static_cast<std::size_t>(kSub + shift * kSub + ((v >> shift) - kSub));
  }
  // Smallest and largest value of a bucket (inclusive).
  static constexpr std::uint64_t bucket_lower(std::size_t i) noexcept {
    if (i < kSub) return i;
    const std::uint64_t shift = (i - kSub) / kSub;
    const std::uint64_t sub = (i - kSub) % kSub;
    return (kSub + sub) << shift;
  }
  static constexpr std::uint64_t bucket_upper(std::size_t i) noexcept {
    if (i < kSub) return i;
    const std::uint64_t shift = (i - kSub) / kSub;
    return bucket_lower(i) + (std::uint64_t{1} << shift) - 1;
  }

  // A plain copy, safe to keep and combine. Counts come from the buckets, so they agree.
  struct Snapshot {
    std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(kBuckets, 0);
    std::uint64_t count = 0;
    std::uint64_t sum = 0;       // of recorded values (overflowed values counted as recorded)
    std::uint64_t min = 0;       // 0 when empty
    std::uint64_t max = 0;
    std::uint64_t overflow = 0;  // values above kMaxValue

    // p in [0, 100]; the nearest-rank percentile: the smallest bucket whose cumulative count
    // reaches ceil(p/100 * count) (at least 1), reported as that bucket's midpoint clamped to
    // [min, max]. 0 when empty.
    double percentile(double p) const noexcept;
    // q in [0, 1]: percentile(100 q).
    double quantile(double q) const noexcept { return percentile(q * 100.0); }
    double mean() const noexcept {
      return count ? static_cast<double>(sum) / static_cast<double>(count) : 0.0;
    }
    void merge(const Snapshot& o);
  };

  LatencyHistogram() noexcept { reset(); }
  // Values may be recorded in another unit than ns (the engine records raw cycle-counter ticks,
  // so that a timed event pays no conversion): snapshot() converts to ns, each bucket at its
  // midpoint, so a percentile's error is then up to two bucket half-widths (about 3%). Set
  // before the first record; 1.0 (the default) records ns as they are.
  void set_unit_ns(double ns_per_unit) noexcept { unit_ns_ = ns_per_unit > 0.0 ? ns_per_unit : 1.0; }
  double unit_ns() const noexcept { return unit_ns_; }
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Writer thread only. The value is in the histogram's unit (ns unless set_unit_ns()).
  void record(std::uint64_t ns) noexcept {
    bump(buckets_[bucket_index(ns)], 1);
    bump(count_, 1);
    bump(sum_, ns);
    if (ns < min_.load(std::memory_order_relaxed)) min_.store(ns, std::memory_order_relaxed);
    if (ns > max_.load(std::memory_order_relaxed)) max_.store(ns, std::memory_order_relaxed);
    if (ns > kMaxValue) [[unlikely]] bump(overflow_, 1);
  }
  // Writer thread only: adds another histogram's content (read as a snapshot, in ns; so only
  // into a histogram that records ns).
  void merge(const LatencyHistogram& o) noexcept { merge(o.snapshot()); }
  void merge(const Snapshot& s) noexcept;
  // Writer thread only.
  void reset() noexcept;

  // Any thread. Values in ns.
  Snapshot snapshot() const;
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  static void bump(std::atomic<std::uint64_t>& a, std::uint64_t n) noexcept {
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint64_t> min_{std::numeric_limits<std::uint64_t>::max()};
  std::atomic<std::uint64_t> max_{0};
  std::atomic<std::uint64_t> overflow_{0};
  double unit_ns_ = 1.0;
};

}  // namespace hft::telemetry
