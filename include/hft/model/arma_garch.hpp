// ARMA(1,1)-GARCH(1,1) by Gaussian (quasi-)maximum likelihood: the conditional mean of a return
// series (short-horizon autocorrelation, e.g. bid-ask bounce) and its conditional variance
// (volatility clustering) in one model; a streaming filter (hot path: O(1), no allocation) and
// closed-form h-step forecasts.
//
//   r_t = c + phi r_{t-1} + theta e_{t-1} + e_t,   e_t = sigma_t z_t,  z_t ~ N(0,1)
//   sigma_t^2 = omega + alpha e_{t-1}^2 + beta sigma_{t-1}^2
//   |phi| < 1 (stationary), |theta| < 1 (invertible), omega > 0, alpha, beta >= 0, alpha+beta < 1
//
// The likelihood conditions on the start as regime::garch_loglik does: the first return's mean
// is the unconditional mean mu = c / (1 - phi) and its variance sigma2_0 (the fit uses the
// sample variance). With phi = theta = 0 it is garch_loglik with mu = c, term for term.
// The optimiser, the GARCH boundary rules and the fit statuses are regime/garch's.
//
// May touch: core/, regime/ (garch, optimize).
#pragma once
#include <array>
#include <cstddef>
#include <span>
#include <string>

#include "hft/regime/garch.hpp"

namespace hft::model {

struct ArmaGarchParams {
  double c = 0, phi = 0, theta = 0;         // mean equation
  double omega = 0, alpha = 0, beta = 0;    // variance equation
};
inline constexpr std::size_t kArmaGarchParams = 6;  // c, phi, theta, omega, alpha, beta

// All finite, |phi| < 1, |theta| < 1 and the GARCH part valid (regime::garch_valid).
bool arma_garch_valid(const ArmaGarchParams& p) noexcept;
// The variance part as regime::GarchParams (mu = unconditional mean).
regime::GarchParams garch_part(const ArmaGarchParams& p) noexcept;
// c / (1 - phi); omega / (1 - alpha - beta) (NaN when not valid).
double arma_garch_mean(const ArmaGarchParams& p) noexcept;
double arma_garch_unconditional_variance(const ArmaGarchParams& p) noexcept;
// Half-life of a variance shock in samples: ln 0.5 / ln(alpha + beta) (NaN when not valid,
// +inf when alpha + beta >= 1).
double arma_garch_vol_half_life(const ArmaGarchParams& p) noexcept;

// Gaussian log-likelihood of r[0..n): sum_t -0.5 (log 2pi + log sigma_t^2 + e_t^2 / sigma_t^2),
// with e_0 = r_0 - c / (1 - phi), sigma_0^2 = sigma2_0. -inf when a variance is not positive or
// a value not finite.
double arma_garch_loglik(std::span<const double> r, const ArmaGarchParams& p, double sigma2_0) noexcept;

struct ArmaGarchOptions {
  bool fit_mean = true;   // estimate c (else c = 0)
  bool fit_arma = true;   // estimate phi, theta (else both 0: the model is regime's GARCH(1,1))
  std::size_t min_moves = 100;  // non-zero returns needed (see regime::FitOptions::min_moves)
  int max_iter = 500;     // BFGS iterations per start
  int starts = 4;         // GARCH starting points (1..6) per ARMA starting point
  double grad_tol = 1e-7; // on -loglik / n in the transformed coordinates
  bool standard_errors = true;
  // A previous fit's parameters (refits): when valid, the ARMA starts are this point and the
  // GARCH-only optimum with ARMA (0, 0) only (2 runs instead of up to 6).
  const ArmaGarchParams* warm = nullptr;
};

struct ArmaGarchFit {
  ArmaGarchParams params;
  double loglik = 0;      // at params with sigma2_0, in the units of the input
  double sigma2_0 = 0;    // sample variance, the variance of the first return
  std::size_t n = 0;      // returns used
  int k = 0;              // parameters estimated
  double aic = 0, bic = 0;  // 2k - 2 ll, k ln n - 2 ll
  int iterations = 0;
  bool converged = false;
  // Asymptotic standard errors of c, phi, theta, omega, alpha, beta from the inverse numerical
  // Hessian of -loglik (NaN when not positive definite, not asked, or not estimated).
  std::array<double, kArmaGarchParams> se{};
  regime::FitStatus status = regime::FitStatus::NotConverged;
  std::string error;      // empty when parameters were estimated
  bool usable() const noexcept { return status == regime::FitStatus::Ok; }
};

// |phi| or |theta| at or above this is a boundary optimum (a unit or non-invertible root).
inline constexpr double kArmaMaxRoot = 0.999;

// Maximum likelihood on returns scaled to unit variance, in transformed coordinates
// (omega = exp, alpha + beta and alpha's share logistic as in regime::fit_garch, phi = tanh,
// theta = tanh, c free) by regime::minimize_bfgs from several starts: the GARCH starts of
// fit_garch crossed with ARMA starts (0, 0) and (rho_1, 0) (rho_1: lag-1 autocorrelation).
// status: regime's statuses and rules (regime::garch_fit_verdict on the variance part), plus
// Boundary when |phi| or |theta| >= kArmaMaxRoot. Note: phi = -theta cancels (a common root)
// and the pair is then not identified: on serially uncorrelated returns expect large se for
// phi and theta, not a failure.
ArmaGarchFit fit_arma_garch(std::span<const double> returns, const ArmaGarchOptions& opt = {});

// What a forecast made after return t says about return t+h (h >= 1), given everything up to t:
//   mean      E[r_{t+h}]          = mu + phi^{h-1} (m_{t+1} - mu),  mu = c / (1 - phi)
//   sigma2    E[sigma^2_{t+h}]    = V + (alpha+beta)^{h-1} (sigma^2_{t+1} - V),  V = omega/(1-a-b)
//   variance  Var(r_{t+h})        = sum_{j=0}^{h-1} psi_j^2 E[sigma^2_{t+h-j}],
//             psi_0 = 1, psi_j = (phi + theta) phi^{j-1}: the variance of the error of the mean
//             forecast of the single return r_{t+h} (the e's are uncorrelated, so this is exact
//             under the model, not an approximation).
//   cum_mean, cum_variance: the same for the sum r_{t+1} + ... + r_{t+h} (the h-step log
//             return), with the cumulated weights Psi_j = sum_{i<=j} psi_i.
struct ArmaGarchForecast {
  double mean = 0, sigma2 = 0, variance = 0;
  double cum_mean = 0, cum_variance = 0;
};

// The streaming filter. After update(r_t): mean() and variance() are the one-step forecasts for
// r_{t+1}. O(1) per update, no allocation (hot path).
class ArmaGarchFilter {
 public:
  ArmaGarchFilter() = default;
  // Starts at the stationary state: next mean mu, next variance sigma2_0 (or V when sigma2_0 is
  // not positive), no previous shock.
  ArmaGarchFilter(const ArmaGarchParams& p, double sigma2_0) noexcept { reset(p, sigma2_0); }
  void reset(const ArmaGarchParams& p, double sigma2_0) noexcept;
  // Swaps parameters between updates, keeping the state (last return, shock, variance); the
  // next mean is recomputed with the new parameters. Invalid parameters refused and counted.
  bool set_params(const ArmaGarchParams& p) noexcept;
  const ArmaGarchParams& params() const noexcept { return p_; }

  // Consumes return r_t (non-finite: ignored and counted).
  void update(double r) noexcept;
  double mean() const noexcept { return m_; }       // E[r_{t+1}]
  double variance() const noexcept { return s2_; }  // sigma^2_{t+1}
  double last_shock() const noexcept { return e_; } // e_t = r_t - E_{t-1}[r_t]
  // (r - mean()) / sqrt(variance()) for the next return r.
  double standardized(double r) const noexcept;
  // h-step forecast (h >= 1; h < 1 is taken as 1). O(h), no allocation.
  ArmaGarchForecast forecast(int h) const noexcept;

  std::size_t updates() const noexcept { return n_; }
  std::size_t rejected_params() const noexcept { return bad_params_; }
  std::size_t rejected_returns() const noexcept { return bad_returns_; }

 private:
  ArmaGarchParams p_{0, 0, 0, 1e-12, 0, 0};
  double r_ = 0, e_ = 0, m_ = 0, s2_ = 1e-12;
  std::size_t n_ = 0, bad_params_ = 0, bad_returns_ = 0;
};

}  // namespace hft::model
