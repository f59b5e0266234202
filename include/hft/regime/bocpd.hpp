// Bayesian online change-point detection (Adams and MacKay 2007, "Bayesian Online Changepoint
// Detection", arXiv:0710.3742) for a Gaussian series with unknown mean and variance: conjugate
// Normal-Gamma model, constant hazard H, run-length distribution bounded to R_max bins.
// O(live run lengths) per observation (at most R_max), all storage allocated at construction.
// Touches nothing outside itself.
//
// Run length r after observation t = the current segment is the last r observations (r = 0: a
// change just after x_t; its parameters are the prior). Step (in log space, so no underflow):
//   pi_r   = Student-t predictive of x_t under run r's posterior
//   P(r+1) ∝ P(r) pi_r (1 - H),   P(0) ∝ sum_r P(r) pi_r H,   then normalise.
// Bounding: the last bin holds "run length >= R_max - 1". Mass that would grow past it is merged
// into it rather than dropped: dropping it (plain truncation) throws away the most probable
// hypothesis once a segment outlasts R_max and the renormalised remainder would look like a change.
// With a constant hazard P(r_t = 0 | x_1..t) = H exactly, so the useful change probability is
// p_recent() = P(r_t < recent), the mass on a change within the last `recent` observations.
// A change is reported when the MAP run length drops by at least min_drop to at most half of its
// previous value, the posterior mass on run lengths up to that half is at least min_mass, and the
// implied start differs from the last reported one by min_drop or more; the new segment is the
// last map_run() observations.
//
// Cost (it runs on the hot path): run lengths whose log joint falls more than `prune` below the
// largest are dropped from the top of the band (Adams-MacKay practice; a dropped bin holds
// < e^-prune of the largest bin's mass, 3e-17 at the default 38), so after a clear change only
// the new segment's run lengths are iterated. A dropped run length can regain some mass later
// in the exact recursion: at 30 the posterior moved by up to 2e-11, at 38 by < 1e-12 (tests). Per live run length: one log (log beta of the
// grown statistics, kept for the next step) and one exp (the evidence sum), both inline
// (fastmath.hpp); terms that depend only on the count are tabulated at construction. Run length
// r lives at slot start + r of a buffer twice R_max long, so growth r -> r+1 is a decrement of
// start rather than a copy (the band is moved back once every R_max observations).
#pragma once
#include <cstddef>
#include <span>
#include <memory_resource>
#include <vector>

namespace hft::regime {

struct NormalGammaPrior {
  double mu0 = 0;      // prior mean
  double kappa0 = 0.1; // pseudo-observations behind mu0
  double alpha0 = 1;   // precision ~ Gamma(alpha0, rate beta0)
  double beta0 = 1;
};

// log of the Normal-Gamma posterior predictive: a Student-t with 2 alpha degrees of freedom,
// location mu, scale^2 = beta (kappa + 1) / (alpha kappa).
double normal_gamma_log_predictive(double x, double mu, double kappa, double alpha,
                                   double beta) noexcept;

struct BocpdConfig {
  std::size_t max_run = 512;    // R_max bins (>= 8)
  double hazard = 1.0 / 500;    // constant hazard, in (0, 1)
  NormalGammaPrior prior{};
  std::size_t recent = 5;       // p_recent() = P(r < recent)
  std::size_t min_drop = 10;    // MAP drop needed to report a change
  double min_mass = 0.5;        // and P(r <= previous MAP / 2) needed with it
  double prune = 38;            // drop top run lengths this far (log) below the largest; <= 0: never
  bool allow_avx2 = true;       // inner loops in AVX2+FMA when the CPU has them (else SSE2)
};

class Bocpd {
 public:
  explicit Bocpd(const BocpdConfig& cfg = {}, std::pmr::memory_resource* mr = std::pmr::get_default_resource());

  // Returns true when this observation reports a change point. Non-finite x (or |x| > 1e100,
  // whose square would overflow the statistics) is counted and skipped.
  bool update(double x) noexcept;
  void reset() noexcept;  // back to "a change just happened", keeps storage

  double p_r0() const noexcept;       // P(r_t = 0), = H with a constant hazard
  double p_recent() const noexcept;   // P(r_t < recent)
  std::size_t map_run() const noexcept { return map_; }
  bool change() const noexcept { return change_; }
  std::size_t active_bins() const noexcept { return len_; }
  // Log posterior of run lengths 0..active_bins()-1.
  std::span<const double> log_run_probs() const noexcept { return {lp_.data() + s_, len_}; }
  // Posterior parameters of run length r (r < active_bins()).
  struct Posterior { double mu, kappa, alpha, beta; };
  Posterior posterior(std::size_t r) const noexcept;

  std::size_t observations() const noexcept { return n_; }
  std::size_t changes() const noexcept { return n_changes_; }
  std::size_t rejected() const noexcept { return rejected_; }
  const BocpdConfig& config() const noexcept { return cfg_; }

 private:
  BocpdConfig cfg_;
  std::size_t R_;
  double log_h_, log_1mh_, log_beta0_;
  // Per count n < R_ (run length r < R_ - 1 has count r): with kappa = kappa0 + n,
  // a = alpha0 + n/2, the log predictive is  k_n + a lb - (a + 1/2) lb'  where lb, lb' are log
  // beta before and after the observation (see bocpd.cpp).
  std::pmr::vector<double> kn_;   // lgamma(a + 1/2) - lgamma(a) - (log pi + log(2 (kappa + 1) / kappa)) / 2
  std::pmr::vector<double> an_;   // a
  std::pmr::vector<double> hk_;   // kappa / (2 (kappa + 1)): beta' = beta + hk d^2
  std::pmr::vector<double> ik_;   // 1 / (kappa + 1): mu' = mu + d ik
  // Bins: run length r at slot s_ + r (capacity 2 R_). lb_ = log beta_.
  std::pmr::vector<double> lp_, mu_, beta_, lb_;
  bool avx2_ = false;        // inner loops: the AVX2+FMA build (CPU has them) or the SSE2 one
  double cap_cnt_ = 0;       // count of the last bin when len_ == R_ (>= R_ - 1)
  std::size_t s_ = 0, len_ = 1, map_ = 0, n_ = 0, n_changes_ = 0, rejected_ = 0, last_at_ = 0;
  bool change_ = false;
};

}  // namespace hft::regime
