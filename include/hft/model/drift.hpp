// Concept-drift detectors for continuous learning: Page-Hinkley and ADWIN (ADWIN2, the
// exponential-histogram version of Bifet and Gavalda 2007). Both watch one number per update
// (e.g. a model's per-sample log-loss, or 1/0 hits) and say when its distribution changed.
// Hot-path clean: every array is sized at construction; update() never allocates, takes no
// lock and does bounded work (Page-Hinkley O(1); ADWIN amortised O(log W) per update, a cut
// check every `clock` updates costing O(M log W) per bucket dropped).
//
// Page-Hinkley (as in river / scikit-multiflow, without fading): with the running mean
// xbar_t = (x_1 + ... + x_t) / t (x_t included),
//   increase: m_t = sum_{i<=t} (x_i - xbar_i - delta),  statistic = m_t - min_{0<=i<=t} m_i
//   decrease: m_t = sum_{i<=t} (x_i - xbar_i + delta),  statistic = max_{0<=i<=t} m_i - m_t
// (m_0 = 0); an alarm when the statistic exceeds lambda and at least min_instances values have
// been seen since the last reset. After an alarm the detector restarts from nothing.
//
// ADWIN2: the window is kept as buckets of 2^r values (row r holds at most M buckets; a row
// with M + 1 merges its two oldest into one bucket of the next row). Each bucket keeps its
// sum and its sum of squared deviations (merged exactly, Chan et al.), so the window's mean
// and variance are exact. Every `clock` updates the cut test runs over every bucket boundary
// (old part W0 = the buckets before the boundary, new part W1 = the rest, each of at least
// min_sub_window values): it cuts when |mean(W0) - mean(W1)| > eps_cut, with the
// variance-based bound used in practice (paper section 3, MOA / river):
//   eps_cut = sqrt((2 / m) sigma_W^2 ln(2 / delta')) + (2 / (3 m)) ln(2 / delta'),
//   m = 1 / (1/n0 + 1/n1) (harmonic mean of the sizes), sigma_W^2 = variance of the window,
//   delta' = delta / ln(W)  (a union bound over the O(log W) boundaries, as MOA / river).
// A cut drops the oldest bucket and the test runs again, until no boundary cuts.
// The window holds at most M (2^max_rows - 1) values: when the oldest row overflows, its
// oldest bucket is dropped (counted in capacity_drops; not an alarm).
//
// May touch: standard library only.
#pragma once
#include <cstdint>
#include <vector>

namespace hft::model {

// ---------------------------------------------------------------- Page-Hinkley

enum class DriftDirection : std::uint8_t {
  Increase,  // the monitored value went up (a loss such as log-loss)
  Decrease,  // it went down (a hit rate)
};

struct PageHinkleyConfig {
  double delta = 0.005;   // tolerance: changes of the mean smaller than this are ignored
  double lambda = 50.0;   // alarm threshold on the cumulative deviation
  std::uint64_t min_instances = 30;  // no alarm before this many values since the last reset
  DriftDirection direction = DriftDirection::Increase;
};

struct PageHinkley {
  PageHinkleyConfig cfg;
  // detection state (cleared by reset() and after every alarm)
  std::uint64_t n = 0;   // values since the last reset
  double mean = 0;       // their running mean
  double sum = 0;        // m_t
  double extreme = 0;    // min (increase) or max (decrease) of m_0..m_t
  // totals since construction (reset() keeps them)
  std::uint64_t updates = 0;
  std::uint64_t alarms = 0;
  std::uint64_t ignored = 0;  // non-finite inputs

  // Throws std::invalid_argument naming the field (delta < 0, lambda <= 0, not finite).
  explicit PageHinkley(const PageHinkleyConfig& c = {});
  // Adds x; true when drift is detected now (the state is then reset). A non-finite x is
  // ignored (counted in `ignored`) and returns false.
  bool update(double x) noexcept;
  // The statistic compared with lambda (0 right after a reset).
  double statistic() const noexcept;
  void reset() noexcept;
};

// ---------------------------------------------------------------- ADWIN

struct AdwinConfig {
  double delta = 0.002;         // confidence of the cut test
  std::uint32_t max_buckets = 5;  // M: buckets per row before two merge
  std::uint32_t max_rows = 24;  // rows: the window holds at most M (2^rows - 1) values
  std::uint32_t clock = 32;     // cut test every this many updates
  std::uint32_t min_sub_window = 5;  // each side of a cut holds at least this many values
};

struct AdwinBucket {
  double sum = 0;  // of the values
  double m2 = 0;   // sum of squared deviations from the bucket's mean
};

struct Adwin {
  AdwinConfig cfg;
  // max_rows rows of (max_buckets + 1) slots each, a ring per row (oldest at head).
  std::vector<AdwinBucket> slots;
  std::vector<std::uint32_t> head, count;  // per row
  std::uint32_t rows_used = 0;             // rows 0..rows_used-1 may hold buckets
  // window totals
  std::uint64_t width = 0;
  double total = 0;
  double m2 = 0;
  // totals since construction (reset() keeps them)
  std::uint64_t updates = 0;
  std::uint64_t alarms = 0;          // updates on which the window was cut
  std::uint64_t checks = 0;          // cut tests run (each over every boundary)
  std::uint64_t buckets_dropped = 0; // by cuts
  std::uint64_t capacity_drops = 0;  // oldest buckets dropped because the window was full
  std::uint64_t ignored = 0;         // non-finite inputs

  // Allocates every array now. Throws std::invalid_argument naming the field (delta not in
  // (0, 1), max_buckets < 2, max_rows not in [1, 62], clock < 1, min_sub_window < 1).
  explicit Adwin(const AdwinConfig& c = {});
  // Adds x; true when the window was cut now (drift detected). Non-finite x: ignored.
  bool update(double x) noexcept;
  double mean() const noexcept { return width ? total / static_cast<double>(width) : 0.0; }
  double variance() const noexcept { return width ? m2 / static_cast<double>(width) : 0.0; }
  std::uint64_t size() const noexcept { return width; }
  std::uint64_t capacity() const noexcept;  // M (2^rows - 1)
  // Empties the window (counters kept).
  void reset() noexcept;
  // The bound above for sub-window sizes n0, n1 and window variance var (W = n0 + n1).
  static double eps_cut(double n0, double n1, double var, double delta) noexcept;

 private:
  AdwinBucket& at(std::uint32_t row, std::uint32_t k) noexcept;  // k-th oldest of the row
  const AdwinBucket& at(std::uint32_t row, std::uint32_t k) const noexcept;
  void drop_oldest() noexcept;
  bool any_cut() const noexcept;
};

}  // namespace hft::model
