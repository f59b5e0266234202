// GARCH(1,1) volatility clustering: a streaming conditional-variance filter (hot path, O(1), no
// allocation) and Gaussian maximum-likelihood estimation with Eigen (background: allocates, takes
// milliseconds). Touches nothing but its arguments; fit_garch is a pure function, so a learner
// thread can fit on a copy of the returns and the owner of a GarchFilter swaps the result in.
//
//   r_t = mu + e_t,  e_t = sigma_t z_t,  z_t ~ N(0,1)
//   sigma_t^2 = omega + alpha e_{t-1}^2 + beta sigma_{t-1}^2,  omega > 0, alpha, beta >= 0, alpha+beta < 1
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace hft::regime {

struct GarchParams {
  double omega, alpha, beta;
  double mu = 0;
};

// omega > 0, alpha >= 0, beta >= 0, alpha + beta < 1, all finite.
bool garch_valid(const GarchParams& p) noexcept;
// Boundary optima: valid parameters the likelihood cannot tell from the edge of the parameter
// space, so not a usable volatility model (see fit_garch). Tolerances:
//  - alpha + beta >= 0.999: a shock's half-life of ~700 samples or more, a fifth of the default
//    3600-return refit window; the likelihood is flat towards 1 there (integrated GARCH, no
//    unconditional variance to revert to) and this is where flat runs of zero returns, or
//    an intraday activity pattern the model does not have, push the estimate;
//  - alpha < 1e-3: the variance does not react to returns (a 5-sigma move raises it by under
//    2.5%), and beta is then not identified (it only trades off against omega);
//  - beta < 1e-3: the optimum sits on the beta = 0 wall (both ~0 = constant variance).
// 1e-3 is a tenth or less of the standard error of alpha and beta at a few thousand returns
// (about 0.01..0.03, GarchRecovery): an estimate that close to a wall is at the wall. The BFGS
// runs in logit coordinates, where a wall is at infinity and "converged" (gradient ~0) there
// means "ran into it", not an interior optimum.
inline constexpr double kGarchMaxPersistence = 0.999;
inline constexpr double kGarchMinAlpha = 1e-3;
inline constexpr double kGarchMinBeta = 1e-3;
bool garch_boundary(const GarchParams& p) noexcept;
// omega / (1 - alpha - beta); NaN when the parameters are not valid.
double garch_unconditional_variance(const GarchParams& p) noexcept;

// Gaussian log-likelihood of returns r[0..n) with sigma_0^2 = sigma2_0 as the variance of r[0]:
//   sum_t -0.5 (log(2 pi) + log sigma_t^2 + e_t^2 / sigma_t^2).
// -inf when a variance is not positive or a value is not finite.
double garch_loglik(std::span<const double> r, const GarchParams& p, double sigma2_0) noexcept;

// fit_garch's objective: -loglik / n of returns y scaled to unit variance (sigma_0^2 = 1), at the
// unconstrained x = (log omega, logit(alpha + beta), logit(alpha / (alpha + beta))[, mu]) (three
// values, mu = 0, or four; NaN for another size, a g of another size or no returns), +inf where
// the likelihood is not finite. With g (x's size) also its gradient, in the same pass: the
// derivatives of sigma_t^2 follow the variance recursion, then the chain rule to x (central
// differences took 2k more passes a BFGS step).
double garch_objective(std::span<const double> y, std::span<const double> x, std::span<double> g = {}) noexcept;

struct FitOptions {
  bool fit_mean = true;       // estimate mu (else mu = 0)
  // Non-zero returns the window must hold (else FitStatus::TooFewMoves): GARCH explains the
  // size of price moves; a window of mostly zero returns (a quiet instrument on a fixed grid)
  // has nothing to fit and drives the optimum to a boundary. Default: RegimeConfig::min_moves.
  std::size_t min_moves = 100;
  int max_iter = 400;         // BFGS iterations per start
  int starts = 4;             // starting points tried (1..6); the best optimum is kept
  double grad_tol = 1e-7;     // converged when the largest |gradient| of -loglik/n is below
  bool standard_errors = true;  // from the inverse numerical Hessian of -loglik
  // Tried first when valid (a refit starts from the parameters in use, near the new optimum);
  // then `starts` of the fixed starting points (0: none).
  bool warm = false;
  GarchParams warm_start{0, 0, 0, 0};
};

// Why a fit is not usable (Ok: it is). Every fit_garch result carries exactly one.
enum class FitStatus : std::uint8_t {
  Ok = 0,         // "ok": converged to an interior optimum with a positive variance
  TooFewReturns,  // "too_few_returns": fewer than 50 returns
  NonFinite,      // "non_finite": a NaN or infinite return in the input
  ZeroVariance,   // "zero_variance": the returns (or the fitted variance) are zero
  TooFewMoves,    // "too_few_moves": fewer than FitOptions::min_moves non-zero returns
  NoLikelihood,   // "no_likelihood": likelihood not finite from any starting point
  NotConverged,   // "not_converged": the optimiser stopped without converging
  Boundary,       // "boundary": converged, but on the edge (garch_boundary, or a long-run
                  //   variance 10x or more away from the window's: see garch.cpp)
};
inline constexpr std::size_t kFitStatusCount = 8;
// fit_garch's verdict on an optimum (shared with fits that embed a GARCH(1,1) variance, e.g.
// model/arma_garch): NotConverged, ZeroVariance (omega not positive or not finite), Boundary
// (garch_boundary, or a long-run variance 10x or more away from sigma2_0, the sample's), else Ok.
FitStatus garch_fit_verdict(const GarchParams& p, double sigma2_0, bool converged) noexcept;
// The snake_case names above (metric labels); "?" for a value out of range.
const char* fit_status_name(FitStatus s) noexcept;

struct GarchFit {
  GarchParams params{0, 0, 0, 0};
  double loglik = 0;          // at params, with sigma2_0 below, in the units of the input
  double sigma2_0 = 0;        // variance used for the first return: mean squared deviation
  int iterations = 0;         // BFGS iterations of the start that won
  bool converged = false;
  // Asymptotic standard errors of omega, alpha, beta, mu (NaN when the Hessian is not positive
  // definite, when not asked, or for mu when not fitted).
  std::array<double, 4> se{};
  std::string error;          // empty when parameters were estimated; else why not (text)
  FitStatus status = FitStatus::NotConverged;
  // The one acceptance rule (refits and the detector's warm-up fit alike): only a usable fit's
  // parameters may be swapped in. converged alone is not enough (boundary optima converge).
  bool usable() const noexcept { return status == FitStatus::Ok; }
};

// Maximum likelihood. Parameters are optimised through transforms that keep them valid:
// omega = exp(x0), alpha + beta = logistic(x1), alpha / (alpha + beta) = logistic(x2), mu = x3,
// on returns scaled to unit variance (so omega's scale does not hurt the conditioning), by BFGS
// with central-difference gradients and a backtracking (Armijo) line search, from several starts
// (and a warm start when given).
// Needs at least 50 finite returns with positive variance and min_moves non-zero ones;
// otherwise error and status say why. status is Ok only for a converged, non-boundary optimum.
GarchFit fit_garch(std::span<const double> returns, const FitOptions& opt = {});

// The streaming filter. variance() is the conditional variance of the NEXT return; update(r)
// consumes that return and moves the forecast one step on.
class GarchFilter {
 public:
  GarchFilter() = default;
  GarchFilter(const GarchParams& p, double sigma2_0) noexcept { reset(p, sigma2_0); }

  void reset(const GarchParams& p, double sigma2_0) noexcept;
  // Swaps parameters between updates, keeping the current variance state (so a refit does not
  // restart the filter). Invalid parameters are refused (returns false, counted).
  bool set_params(const GarchParams& p) noexcept;
  const GarchParams& params() const noexcept { return p_; }

  void update(double r) noexcept;
  double variance() const noexcept { return s2_; }
  double sigma() const noexcept;
  // E[sigma_{t+h}^2], h >= 1 (h = 1 is variance()).
  double forecast_variance(int h) const noexcept;
  // (r - mu) / sigma for the next return r.
  double standardized(double r) const noexcept;

  std::size_t updates() const noexcept { return n_; }
  std::size_t rejected_params() const noexcept { return bad_params_; }
  std::size_t rejected_returns() const noexcept { return bad_returns_; }

 private:
  GarchParams p_{1e-12, 0, 0, 0};
  double s2_ = 1e-12;
  std::size_t n_ = 0, bad_params_ = 0, bad_returns_ = 0;
};

}  // namespace hft::regime
