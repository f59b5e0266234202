// Realised-volatility regimes: a rolling realised volatility over the last W returns, and
// quantile cut points learned once on a warm-up sample that then classify every new value
// (terciles by default: low / normal / high). Storage is allocated at construction, from the
// memory resource given (a detector pool passes its arena); add(), classify() and rank() never
// allocate. Touches nothing outside itself.
#pragma once
#include <cstddef>
#include <cstring>
#include <memory_resource>
#include <span>
#include <utility>
#include <vector>

namespace hft::regime {

// Fixed-capacity ring of the last N values (allocated once). Only pushed slots are ever read, so
// the storage is left uninitialised: a detector pool built at start (1,024 detectors, ~40 KB of
// rings each) then touches only the pages its instruments fill. A copy allocates from the
// default resource (as a pmr container's copy does).
class Ring {
 public:
  explicit Ring(std::size_t cap = 1, std::pmr::memory_resource* mr = std::pmr::get_default_resource())
      : cap_(cap ? cap : 1), mr_(mr), buf_(static_cast<double*>(mr->allocate(cap_ * sizeof(double), alignof(double)))) {}
  Ring(const Ring& o) : Ring(o.cap_) {
    std::memcpy(buf_, o.buf_, cap_ * sizeof(double));  // bytes: unset slots too
    head_ = o.head_;
    size_ = o.size_;
  }
  Ring(Ring&& o) noexcept
      : cap_(o.cap_), mr_(o.mr_), buf_(std::exchange(o.buf_, nullptr)), head_(o.head_), size_(o.size_) {}
  Ring& operator=(Ring o) noexcept {  // copy or move, then swap
    std::swap(cap_, o.cap_);
    std::swap(mr_, o.mr_);
    std::swap(buf_, o.buf_);
    std::swap(head_, o.head_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~Ring() {
    if (buf_ != nullptr) mr_->deallocate(buf_, cap_ * sizeof(double), alignof(double));
  }
  void push(double v) noexcept {
    buf_[head_] = v;
    head_ = head_ + 1 == cap_ ? 0 : head_ + 1;
    if (size_ < cap_) ++size_;
  }
  // i = 0 is the newest, i = size()-1 the oldest.
  double back(std::size_t i) const noexcept { return buf_[(head_ + cap_ - 1 - i) % cap_]; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return cap_; }
  bool full() const noexcept { return size_ == cap_; }
  void clear() noexcept { head_ = size_ = 0; }
  // Oldest-to-newest copy (off the hot path: for a background refit).
  template <class Vec>  // std::vector<double> or std::pmr::vector<double>
  void copy_to(Vec& out) const {
    out.resize(size_);
    for (std::size_t i = 0; i < size_; ++i) out[i] = back(size_ - 1 - i);
  }

 private:
  std::size_t cap_;
  std::pmr::memory_resource* mr_;
  double* buf_;
  std::size_t head_ = 0, size_ = 0;
};

// sqrt(mean of r^2) over the last W returns (zero-mean realised volatility, the usual choice for
// high-frequency returns). Running sum of squares, re-summed exactly from the window every W
// updates so rounding cannot drift.
class RollingRealizedVol {
 public:
  explicit RollingRealizedVol(std::size_t window, std::pmr::memory_resource* mr = std::pmr::get_default_resource());
  void add(double r) noexcept;
  bool ready() const noexcept { return ring_.full(); }
  double value() const noexcept;  // NaN until ready
  std::size_t window() const noexcept { return ring_.capacity(); }
  void reset() noexcept {  // empty again (keeps its storage)
    ring_.clear();
    ss_ = 0;
    since_resum_ = 0;
  }

 private:
  Ring ring_;
  double ss_ = 0;
  std::size_t since_resum_ = 0;
};

// Quantile cut points at the given probabilities (sorted, in (0,1)), computed by linear
// interpolation between order statistics (Hyndman-Fan type 7, numpy's default):
//   h = (n - 1) p,  q = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
class QuantileRegimes {
 public:
  QuantileRegimes(std::size_t warmup, std::vector<double> probs = {1.0 / 3.0, 2.0 / 3.0},
                  std::pmr::memory_resource* mr = std::pmr::get_default_resource());

  // Feeds the warm-up sample; returns true once learned. Non-finite values are counted and
  // skipped. Values after the warm-up are ignored (the cut points are fixed).
  bool add_warmup(double v);
  bool ready() const noexcept { return ready_; }
  // Forgets the sample (keeps its storage) so it can be learned again.
  void reset() noexcept {
    sample_.clear();
    ready_ = false;
  }
  std::span<const double> cuts() const noexcept { return cuts_; }
  // Bucket 0..cuts().size(): the number of cut points <= v (so terciles give 0 low, 1 normal,
  // 2 high). -1 before ready or for a non-finite v.
  int classify(double v) const noexcept;
  // Empirical CDF of the warm-up sample at v: fraction of warm-up values <= v (O(log n)).
  double rank(double v) const noexcept;
  std::size_t rejected() const noexcept { return rejected_; }

 private:
  std::size_t warmup_;
  std::pmr::vector<double> probs_, sample_, cuts_;
  bool ready_ = false;
  std::size_t rejected_ = 0;
};

// Type-7 quantile of an already sorted sample (exposed for reuse; the tests do not use it as
// their reference).
double sorted_quantile(std::span<const double> sorted, double p) noexcept;

}  // namespace hft::regime
