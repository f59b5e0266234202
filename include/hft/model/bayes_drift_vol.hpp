// Online Bayesian estimate of the drift and volatility of a stream of returns r_i = m + s e_i,
// e_i ~ N(0, 1), with a conjugate Normal-Inverse-Gamma prior and optional exponential forgetting.
//
// This is BayesLinear (model/linear.hpp) with an intercept only, in its conventions (m, V, a, b:
// drift | s^2 ~ N(m, s^2 V), s^2 ~ InvGamma(a, b)), written as a scalar so that it needs no
// inputs or storage and can forget: with p = 1 BayesLinear's rank-1 step is this update, but
// BayesLinear has no discount and requires at least one input. Update with discount d in (0, 1]:
//   k' = d / V,  a' = d a,  b' = d b                          (old evidence down-weighted)
//   k = k' + 1,  m_new = (k' m + r) / k,  V = 1 / k,
//   a = a' + 1/2,  b = b' + (k' / k) (r - m)^2 / 2.
// With d = 1 this is the exact conjugate posterior: V = 1/(1/V0 + n), m = V (m0/V0 + sum r),
// a = a0 + n/2, b = b0 + (sum r^2 + m0^2/V0 - m^2/V) / 2. With d < 1 it is the same posterior with
// observation i weighted d^(n-i) (and the prior d^n): an effective memory of 1/(1 - d) returns.
// Posterior: drift ~ Student-t(2a, m, (b/a) V); s^2 ~ InvGamma(a, b), E s^2 = b/(a-1),
// E s = sqrt(b) Gamma(a - 1/2) / Gamma(a). Predictive of the next return: Student-t(2a, m,
// (b/a)(1 + V)).
// update() is O(1), no allocation (hot path). The intervals evaluate Student-t and gamma
// quantiles by bisection (a few microseconds; no allocation, fine per sample but not per event).
//
// May touch: core/.
#pragma once
#include <cstdint>

namespace hft::model {

struct CredibleInterval {
  double lo = 0, hi = 0;
};

class BayesDriftVol {
 public:
  // Prior m0, V0 > 0, a0 > 0, b0 > 0; discount in (0, 1]. Throws std::invalid_argument otherwise.
  BayesDriftVol(double m0, double V0, double a0, double b0, double discount = 1.0);

  // One return. Returns false (and changes nothing) when r is not finite.
  bool update(double r) noexcept;

  double m() const noexcept { return m_; }  // posterior mean of the drift
  double V() const noexcept { return V_; }
  double a() const noexcept { return a_; }
  double b() const noexcept { return b_; }
  double discount() const noexcept { return d_; }
  std::uint64_t n() const noexcept { return n_; }
  double dof() const noexcept { return 2 * a_; }

  double drift_scale() const noexcept;  // scale of the drift's Student-t: sqrt(b V / a)
  double sigma2_mean() const noexcept;  // E s^2 = b / (a - 1) (+inf for a <= 1)
  double sigma_mean() const noexcept;   // E s = sqrt(b) Gamma(a - 1/2) / Gamma(a)
  // Equal-tailed credible intervals of probability `level` in (0, 1).
  CredibleInterval drift_interval(double level) const noexcept;
  CredibleInterval sigma_interval(double level) const noexcept;
  // Predictive Student-t of the next return: location m, scale^2 (b/a)(1 + V), dof 2a.
  double predictive_scale2() const noexcept { return b_ / a_ * (1 + V_); }
  CredibleInterval predictive_interval(double level) const noexcept;

 private:
  double m_, V_, a_, b_, d_;
  std::uint64_t n_ = 0;
};

// Distribution functions the intervals use (exposed for the tests). student_t_cdf(t, nu) for
// nu > 0; student_t_quantile(p, nu) for p in (0, 1); gamma_p(a, x) = regularized lower incomplete
// gamma P(a, x); gamma_quantile(p, a): the x with P(a, x) = p (Gamma(a, 1)).
double student_t_cdf(double t, double nu) noexcept;
double student_t_quantile(double p, double nu) noexcept;
double gamma_p(double a, double x) noexcept;
double gamma_quantile(double p, double a) noexcept;

}  // namespace hft::model
