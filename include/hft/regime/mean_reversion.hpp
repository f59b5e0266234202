// Mean reversion versus trend on a rolling window of returns, O(1) per return (O(q) for the
// variance ratio's q-period sum), no allocation after construction. Running sums are re-summed
// exactly from the window every window-length updates so rounding cannot drift.
// Touches nothing outside itself.
//
// Variance ratio (Lo and MacKinlay 1988, overlapping, bias-corrected), window of N returns:
//   mu = (1/N) sum r_t,  sa2 = 1/(N-1) sum (r_t - mu)^2,
//   sc2 = 1/m sum_{t=q..N} (r_t + ... + r_{t-q+1} - q mu)^2,  m = q (N-q+1) (1 - q/N),
//   VR(q) = sc2 / sa2,  z = (VR - 1) / sqrt(2 (2q-1)(q-1) / (3 q N))  (homoskedastic).
// VR < 1: mean reversion, VR > 1: trend, VR = 1: random walk.
//
// AR(1): OLS with intercept of r_t on r_{t-1} over the last W pairs; phi < 0 mean reversion.
#pragma once
#include <cstddef>

#include "hft/regime/vol_regime.hpp"  // Ring

namespace hft::regime {

class RollingVarianceRatio {
 public:
  // q >= 2, window >= 2 q (clamped).
  RollingVarianceRatio(std::size_t window, std::size_t q, std::pmr::memory_resource* mr = std::pmr::get_default_resource());
  void add(double r) noexcept;
  bool ready() const noexcept { return r_.full(); }
  double ratio() const noexcept;   // NaN until ready or when the window has no variance
  double z() const noexcept;       // homoskedastic z statistic of VR - 1
  std::size_t window() const noexcept { return r_.capacity(); }
  std::size_t q() const noexcept { return q_; }

 private:
  void resum() noexcept;
  std::size_t q_;
  Ring r_, qs_;  // returns; overlapping q-period sums fully inside the window
  double s1_ = 0, s2_ = 0, q1_ = 0, q2_ = 0;
  std::size_t since_resum_ = 0;
};

class RollingAR1 {
 public:
  // window = number of pairs, >= 3
  explicit RollingAR1(std::size_t window, std::pmr::memory_resource* mr = std::pmr::get_default_resource());
  void add(double r) noexcept;
  bool ready() const noexcept { return r_.full(); }
  double phi() const noexcept;        // NaN until ready or when r_{t-1} has no variance
  double intercept() const noexcept;
  double t_stat() const noexcept;     // phi / OLS standard error
  std::size_t window() const noexcept { return r_.capacity() - 1; }

 private:
  void resum() noexcept;
  Ring r_;  // window + 1 returns
  double sx_ = 0, sy_ = 0, sxx_ = 0, sxy_ = 0, syy_ = 0;
  std::size_t since_resum_ = 0;
};

}  // namespace hft::regime
