#include "hft/regime/garch.hpp"

#include "hft/regime/optimize.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

namespace hft::regime {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLog2Pi = 1.8378770664093454836;  // log(2 pi)

double logistic(double x) noexcept { return 1.0 / (1.0 + std::exp(-x)); }
double logit(double p) noexcept { return std::log(p / (1.0 - p)); }

using Vec = Eigen::VectorXd;

// x = (log omega, logit persistence, logit alpha's share of it[, mu]) -> the parameters, with
// the persistence and share that the gradient's chain rule needs.
struct Unconstrained {
  double pers, share;
  GarchParams p;
};
Unconstrained from_unconstrained(std::span<const double> x) noexcept {
  const double pers = logistic(x[1]), share = logistic(x[2]);
  return {pers, share, GarchParams{std::exp(x[0]), pers * share, pers * (1.0 - share), x.size() == 4 ? x[3] : 0.0}};
}

}  // namespace

bool garch_valid(const GarchParams& p) noexcept {
  return std::isfinite(p.omega) && std::isfinite(p.alpha) && std::isfinite(p.beta) &&
         std::isfinite(p.mu) && p.omega > 0 && p.alpha >= 0 && p.beta >= 0 && p.alpha + p.beta < 1;
}

bool garch_boundary(const GarchParams& p) noexcept {
  return p.alpha + p.beta >= kGarchMaxPersistence || p.alpha < kGarchMinAlpha || p.beta < kGarchMinBeta;
}

const char* fit_status_name(FitStatus s) noexcept {
  switch (s) {
    case FitStatus::Ok: return "ok";
    case FitStatus::TooFewReturns: return "too_few_returns";
    case FitStatus::NonFinite: return "non_finite";
    case FitStatus::ZeroVariance: return "zero_variance";
    case FitStatus::TooFewMoves: return "too_few_moves";
    case FitStatus::NoLikelihood: return "no_likelihood";
    case FitStatus::NotConverged: return "not_converged";
    case FitStatus::Boundary: return "boundary";
  }
  return "?";
}

// Converged and usable, or why not: an unconverged stop, a variance that underflowed to zero
// (omega * var below the smallest double), or a boundary optimum. The last includes a long-run
// variance omega / (1 - alpha - beta) more than 10x away from the window's own variance
// (sigma2_0): near alpha + beta = 1 omega is not identified and that ratio can be anything
// (seen on a generated day: alpha + beta = 0.9988 on 521 returns, just inside the persistence
// bound); an order of magnitude is far outside the sampling error of a window's variance.
FitStatus garch_fit_verdict(const GarchParams& p, double sigma2_0, bool converged) noexcept {
  if (!converged) return FitStatus::NotConverged;
  if (!(p.omega > 0) || !std::isfinite(p.omega)) return FitStatus::ZeroVariance;
  if (garch_boundary(p)) return FitStatus::Boundary;
  const double uv = garch_unconditional_variance(p);
  if (!(uv > sigma2_0 / 10 && uv < sigma2_0 * 10)) return FitStatus::Boundary;
  return FitStatus::Ok;
}

double garch_unconditional_variance(const GarchParams& p) noexcept {
  return garch_valid(p) ? p.omega / (1.0 - p.alpha - p.beta) : kNaN;
}

double garch_loglik(std::span<const double> r, const GarchParams& p, double sigma2_0) noexcept {
  double s2 = sigma2_0, ll = 0;
  for (std::size_t t = 0; t < r.size(); ++t) {
    if (!(s2 > 0) || !std::isfinite(s2)) return -kInf;
    const double e = r[t] - p.mu;
    ll += -0.5 * (kLog2Pi + std::log(s2) + e * e / s2);
    s2 = p.omega + p.alpha * e * e + p.beta * s2;
  }
  return std::isfinite(ll) ? ll : -kInf;
}

double garch_objective(std::span<const double> y, std::span<const double> x, std::span<double> g) noexcept {
  if (x.size() < 3 || x.size() > 4 || (!g.empty() && g.size() != x.size()) || y.empty()) return kNaN;
  const bool fit_mean = x.size() == 4;
  const auto [pers, share, p] = from_unconstrained(x);
  const double omega = p.omega, alpha = p.alpha, beta = p.beta, mu = p.mu;
  double s2 = 1.0, ll = 0;
  double dw = 0, da = 0, db = 0, dm = 0;  // d sigma_t^2 / d(omega, alpha, beta, mu); sigma_0^2 is fixed
  double gw = 0, ga = 0, gb = 0, gm = 0;  // d loglik / d(omega, alpha, beta, mu)
  for (const double r : y) {
    if (!(s2 > 0) || !std::isfinite(s2)) return kInf;
    const double e = r - mu, e2 = e * e, inv = 1.0 / s2;
    ll += -0.5 * (kLog2Pi + std::log(s2) + e2 * inv);
    if (!g.empty()) {
      const double c = -0.5 * (inv - e2 * inv * inv);  // d loglik_t / d sigma_t^2
      gw += c * dw;
      ga += c * da;
      gb += c * db;
      gm += c * dm + e * inv;  // and through e_t = r_t - mu
      dw = 1.0 + beta * dw;
      da = e2 + beta * da;
      db = s2 + beta * db;
      dm = -2.0 * alpha * e + beta * dm;
    }
    s2 = omega + alpha * e2 + beta * s2;
  }
  if (!std::isfinite(ll)) return kInf;
  const double n = static_cast<double>(y.size());
  if (!g.empty()) {
    const double dpers = pers * (1.0 - pers), dshare = share * (1.0 - share);
    g[0] = -gw * omega / n;
    g[1] = -(ga * share + gb * (1.0 - share)) * dpers / n;
    g[2] = -(ga - gb) * pers * dshare / n;
    if (fit_mean) g[3] = -gm / n;
  }
  return -ll / n;
}

GarchFit fit_garch(std::span<const double> returns, const FitOptions& opt) {
  GarchFit out;
  out.se.fill(kNaN);
  const std::size_t n = returns.size();
  if (n < 50) {
    out.error = "fit_garch: need at least 50 returns, got " + std::to_string(n);
    out.status = FitStatus::TooFewReturns;
    return out;
  }
  double mean = 0;
  std::size_t moves = 0;
  for (double v : returns) {
    if (!std::isfinite(v)) {
      out.error = "fit_garch: non-finite return in input";
      out.status = FitStatus::NonFinite;
      return out;
    }
    mean += v;
    moves += v != 0;
  }
  mean /= static_cast<double>(n);
  double var = 0;
  for (double v : returns) var += (v - mean) * (v - mean);
  var /= static_cast<double>(n);
  if (!(var > 0) || !std::isfinite(var)) {
    out.error = "fit_garch: returns have zero variance";
    out.status = FitStatus::ZeroVariance;
    return out;
  }
  if (moves < opt.min_moves) {
    out.error = "fit_garch: " + std::to_string(moves) + " non-zero returns, need " + std::to_string(opt.min_moves);
    out.status = FitStatus::TooFewMoves;
    return out;
  }
  const double sd = std::sqrt(var);
  std::vector<double> y(returns.begin(), returns.end());
  for (double& v : y) v /= sd;
  const Eigen::Index k = opt.fit_mean ? 4 : 3;
  // -loglik / n in the scaled units (sigma2_0 = var in original units = 1 scaled), with its
  // analytic gradient.
  const ObjectiveGrad obj = [&y](const Vec& v, Vec* g) {
    const std::span<const double> x(v.data(), static_cast<std::size_t>(v.size()));
    if (g == nullptr) return garch_objective(y, x);
    g->resize(v.size());
    return garch_objective(y, x, {g->data(), static_cast<std::size_t>(g->size())});
  };
  BfgsOptions bo;
  bo.max_iter = opt.max_iter;
  bo.grad_tol = opt.grad_tol;

  // Starting points (persistence, alpha share), with variance targeting for omega.
  static constexpr std::array<std::array<double, 2>, 6> starts{
      {{0.95, 0.08}, {0.80, 0.20}, {0.99, 0.05}, {0.50, 0.30}, {0.90, 0.40}, {0.995, 0.02}}};
  const bool warm = opt.warm && garch_valid(opt.warm_start) && opt.warm_start.alpha > 0 &&
                    std::isfinite(opt.warm_start.mu);
  const int nstarts = std::clamp(opt.starts, warm ? 0 : 1, 6);
  BfgsResult best{Vec(), kInf, 0, false};
  if (warm) {  // in the scaled units: omega / var, mu / sd
    const GarchParams& w = opt.warm_start;
    const double pers = w.alpha + w.beta;
    Vec x0(k);
    x0[0] = std::log(w.omega / var);
    x0[1] = logit(pers);
    x0[2] = logit(std::clamp(w.alpha / pers, 1e-9, 1 - 1e-9));
    if (opt.fit_mean) x0[3] = w.mu / sd;
    BfgsResult r = minimize_bfgs(obj, x0, bo);
    if (std::isfinite(r.f)) best = std::move(r);
  }
  for (int s = 0; s < nstarts; ++s) {
    Vec x0(k);
    const double pers = starts[static_cast<std::size_t>(s)][0];
    x0[0] = std::log(1.0 - pers);
    x0[1] = logit(pers);
    x0[2] = logit(starts[static_cast<std::size_t>(s)][1]);
    if (opt.fit_mean) x0[3] = mean / sd;
    BfgsResult r = minimize_bfgs(obj, x0, bo);
    if (std::isfinite(r.f) && r.f < best.f) best = std::move(r);
  }
  if (!std::isfinite(best.f)) {
    out.error = "fit_garch: likelihood not finite at any starting point";
    out.status = FitStatus::NoLikelihood;
    return out;
  }
  const GarchParams ps = from_unconstrained({best.x.data(), static_cast<std::size_t>(best.x.size())}).p;
  out.params = GarchParams{ps.omega * var, ps.alpha, ps.beta, ps.mu * sd};
  out.sigma2_0 = var;
  out.loglik = garch_loglik(returns, out.params, var);
  out.iterations = best.iters;
  out.converged = best.converged;
  out.status = garch_fit_verdict(out.params, out.sigma2_0, out.converged);

  if (opt.standard_errors) {
    // Numerical Hessian of -loglik in the natural (scaled) parameters theta = (omega, alpha,
    // beta[, mu]); the inverse is the asymptotic covariance.
    Vec th(k);
    th[0] = ps.omega;
    th[1] = ps.alpha;
    th[2] = ps.beta;
    if (opt.fit_mean) th[3] = ps.mu;
    const Objective nll = [&](const Vec& t) {
      const GarchParams q{t[0], t[1], t[2], opt.fit_mean ? t[3] : 0.0};
      return -garch_loglik(y, q, 1.0);
    };
    Vec h(k);
    for (Eigen::Index i = 0; i < k; ++i) h[i] = 1e-4 * std::max(std::abs(th[i]), 1e-2);
    Vec se;
    if (inverse_diagonal_sqrt(numerical_hessian(nll, th, h), se)) {
      out.se[0] = se[0] * var;
      out.se[1] = se[1];
      out.se[2] = se[2];
      if (opt.fit_mean) out.se[3] = se[3] * sd;
    }
  }
  return out;
}

void GarchFilter::reset(const GarchParams& p, double sigma2_0) noexcept {
  if (garch_valid(p)) p_ = p;
  else ++bad_params_;
  s2_ = (sigma2_0 > 0 && std::isfinite(sigma2_0)) ? sigma2_0 : garch_unconditional_variance(p_);
  n_ = 0;
}

bool GarchFilter::set_params(const GarchParams& p) noexcept {
  if (!garch_valid(p)) {
    ++bad_params_;
    return false;
  }
  p_ = p;
  return true;
}

void GarchFilter::update(double r) noexcept {
  if (!std::isfinite(r)) {  // a bad sample must not poison the variance forever
    ++bad_returns_;
    return;
  }
  const double e = r - p_.mu;
  s2_ = p_.omega + p_.alpha * e * e + p_.beta * s2_;
  ++n_;
}

double GarchFilter::sigma() const noexcept { return std::sqrt(s2_); }

double GarchFilter::forecast_variance(int h) const noexcept {
  if (h <= 1) return s2_;
  const double vbar = garch_unconditional_variance(p_);
  return vbar + std::pow(p_.alpha + p_.beta, h - 1) * (s2_ - vbar);
}

double GarchFilter::standardized(double r) const noexcept { return (r - p_.mu) / std::sqrt(s2_); }

}  // namespace hft::regime
