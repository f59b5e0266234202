#include "hft/model/arma_garch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "hft/regime/optimize.hpp"

namespace hft::model {

namespace {
constexpr double kAgNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kAgInf = std::numeric_limits<double>::infinity();
constexpr double kAgLog2Pi = 1.8378770664093454836;  // log(2 pi)

double ag_logistic(double x) noexcept { return 1.0 / (1.0 + std::exp(-x)); }
double ag_logit(double p) noexcept { return std::log(p / (1.0 - p)); }

// Coordinates of the BFGS: x = (log omega, logit(alpha+beta), logit(alpha/(alpha+beta)),
// [c], [atanh phi, atanh theta]) on returns scaled to unit variance.
struct AgLayout {
  bool mean, arma;
  Eigen::Index k() const noexcept { return 3 + (mean ? 1 : 0) + (arma ? 2 : 0); }
  Eigen::Index ic() const noexcept { return 3; }
  Eigen::Index iphi() const noexcept { return mean ? 4 : 3; }

  ArmaGarchParams params(const Eigen::VectorXd& x) const noexcept {
    const double pers = ag_logistic(x[1]), share = ag_logistic(x[2]);
    ArmaGarchParams p;
    p.omega = std::exp(x[0]);
    p.alpha = pers * share;
    p.beta = pers * (1.0 - share);
    p.c = mean ? x[ic()] : 0.0;
    p.phi = arma ? std::tanh(x[iphi()]) : 0.0;
    p.theta = arma ? std::tanh(x[iphi() + 1]) : 0.0;
    return p;
  }
  Eigen::VectorXd coords(const ArmaGarchParams& p) const {
    Eigen::VectorXd x(k());
    const double pers = std::clamp(p.alpha + p.beta, 1e-6, 1 - 1e-9);
    x[0] = std::log(p.omega);
    x[1] = ag_logit(pers);
    x[2] = ag_logit(std::clamp(p.alpha / pers, 1e-9, 1 - 1e-9));
    if (mean) x[ic()] = p.c;
    if (arma) {
      x[iphi()] = std::atanh(std::clamp(p.phi, -0.99, 0.99));
      x[iphi() + 1] = std::atanh(std::clamp(p.theta, -0.99, 0.99));
    }
    return x;
  }
  // Natural parameters (c, phi, theta, omega, alpha, beta) that are estimated, in that order.
  // Returns how many (k()).
  int estimated(std::array<int, kArmaGarchParams>& idx) const noexcept {
    int m = 0;
    if (mean) idx[static_cast<std::size_t>(m++)] = 0;
    if (arma) {
      idx[static_cast<std::size_t>(m++)] = 1;
      idx[static_cast<std::size_t>(m++)] = 2;
    }
    for (int j = 3; j < 6; ++j) idx[static_cast<std::size_t>(m++)] = j;
    return m;
  }
};

std::array<double, kArmaGarchParams> as_array(const ArmaGarchParams& p) noexcept {
  return {p.c, p.phi, p.theta, p.omega, p.alpha, p.beta};
}
ArmaGarchParams from_array(const std::array<double, kArmaGarchParams>& a) noexcept {
  return {a[0], a[1], a[2], a[3], a[4], a[5]};
}
}  // namespace

bool arma_garch_valid(const ArmaGarchParams& p) noexcept {
  return std::isfinite(p.c) && std::isfinite(p.phi) && std::isfinite(p.theta) && std::abs(p.phi) < 1 &&
         std::abs(p.theta) < 1 && regime::garch_valid(garch_part(p));
}

regime::GarchParams garch_part(const ArmaGarchParams& p) noexcept {
  const double mu = std::abs(p.phi) < 1 ? p.c / (1 - p.phi) : kAgNaN;
  return regime::GarchParams{p.omega, p.alpha, p.beta, std::isfinite(mu) ? mu : 0.0};
}

double arma_garch_mean(const ArmaGarchParams& p) noexcept {
  return arma_garch_valid(p) ? p.c / (1 - p.phi) : kAgNaN;
}

double arma_garch_unconditional_variance(const ArmaGarchParams& p) noexcept {
  return arma_garch_valid(p) ? p.omega / (1 - p.alpha - p.beta) : kAgNaN;
}

double arma_garch_vol_half_life(const ArmaGarchParams& p) noexcept {
  if (!arma_garch_valid(p)) return kAgNaN;
  const double pers = p.alpha + p.beta;
  return pers > 0 ? std::log(0.5) / std::log(pers) : 0.0;
}

double arma_garch_loglik(std::span<const double> r, const ArmaGarchParams& p, double sigma2_0) noexcept {
  if (r.empty()) return 0;
  if (!(std::abs(p.phi) < 1)) return -kAgInf;
  double s2 = sigma2_0, ll = 0, m = p.c / (1 - p.phi);
  for (std::size_t t = 0; t < r.size(); ++t) {
    if (!(s2 > 0) || !std::isfinite(s2)) return -kAgInf;
    const double e = r[t] - m;
    ll += -0.5 * (kAgLog2Pi + std::log(s2) + e * e / s2);
    s2 = p.omega + p.alpha * e * e + p.beta * s2;
    m = p.c + p.phi * r[t] + p.theta * e;
  }
  return std::isfinite(ll) ? ll : -kAgInf;
}

ArmaGarchFit fit_arma_garch(std::span<const double> returns, const ArmaGarchOptions& opt) {
  ArmaGarchFit out;
  out.se.fill(kAgNaN);
  const std::size_t n = returns.size();
  out.n = n;
  const AgLayout lay{opt.fit_mean, opt.fit_arma};
  out.k = static_cast<int>(lay.k());

  // The GARCH-only fit: checks the input with regime's rules and gives the variance part's start.
  regime::FitOptions go;
  go.fit_mean = opt.fit_mean;
  go.min_moves = opt.min_moves;
  go.max_iter = opt.max_iter;
  go.starts = std::clamp(opt.starts, 1, 6);
  go.grad_tol = opt.grad_tol;
  go.standard_errors = false;
  const regime::GarchFit g = regime::fit_garch(returns, go);
  using regime::FitStatus;
  if (g.status == FitStatus::TooFewReturns || g.status == FitStatus::NonFinite ||
      g.status == FitStatus::ZeroVariance || g.status == FitStatus::TooFewMoves) {
    out.status = g.status;
    out.error = "fit_arma_garch: " + g.error.substr(g.error.find(':') + 2);
    return out;
  }
  double mean = 0;
  for (double v : returns) mean += v;
  mean /= static_cast<double>(n);
  const double var = g.sigma2_0, sd = std::sqrt(var);
  std::vector<double> y(returns.begin(), returns.end());
  for (double& v : y) v /= sd;
  double rho1 = 0;  // lag-1 autocorrelation (an AR(1) start)
  {
    double num = 0, den = 0;
    const double my = mean / sd;
    for (std::size_t t = 0; t < n; ++t) {
      den += (y[t] - my) * (y[t] - my);
      if (t) num += (y[t] - my) * (y[t - 1] - my);
    }
    rho1 = std::clamp(den > 0 ? num / den : 0.0, -0.9, 0.9);
  }
  const regime::Objective obj = [&](const Eigen::VectorXd& x) {
    const double ll = arma_garch_loglik(y, lay.params(x), 1.0);
    return std::isfinite(ll) ? -ll / static_cast<double>(n) : kAgInf;
  };

  // Starts: the GARCH-only optimum (scaled) and two fixed GARCH points, each with the ARMA part
  // at (0, 0) and at the AR(1) guess (rho_1, 0); c at the sample mean's value for that phi.
  std::vector<ArmaGarchParams> starts;
  const std::vector<std::array<double, 2>> arma_starts =
      opt.fit_arma ? std::vector<std::array<double, 2>>{{0.0, 0.0}, {rho1, 0.0}}
                   : std::vector<std::array<double, 2>>{{0.0, 0.0}};
  std::vector<std::array<double, 3>> garch_starts{{0.05, 0.08 * 0.95, 0.92 * 0.95}, {0.2, 0.16, 0.64}};
  if (regime::garch_valid(g.params) && g.params.alpha > 0)
    garch_starts.insert(garch_starts.begin(), {g.params.omega / var, g.params.alpha, g.params.beta});
  if (opt.warm && arma_garch_valid(*opt.warm)) {  // a refit: the previous optimum, scaled, and one fresh start
    const ArmaGarchParams& w = *opt.warm;
    starts.push_back({opt.fit_mean ? w.c / sd : 0.0, opt.fit_arma ? w.phi : 0.0, opt.fit_arma ? w.theta : 0.0,
                      w.omega / var, w.alpha, w.beta});
    const auto& gs = garch_starts.front();
    starts.push_back({opt.fit_mean ? mean / sd : 0.0, 0.0, 0.0, gs[0], gs[1], gs[2]});
  } else {
    for (const auto& gs : garch_starts)
      for (const auto& as : arma_starts)
        starts.push_back({opt.fit_mean ? (mean / sd) * (1 - as[0]) : 0.0, as[0], as[1], gs[0], gs[1], gs[2]});
  }

  regime::BfgsResult best{Eigen::VectorXd(), kAgInf, 0, false};
  for (const auto& s : starts) {
    regime::BfgsResult r = regime::minimize_bfgs(obj, lay.coords(s), opt.max_iter, opt.grad_tol);
    if (std::isfinite(r.f) && r.f < best.f) best = std::move(r);
  }
  if (!std::isfinite(best.f)) {
    out.status = FitStatus::NoLikelihood;
    out.error = "fit_arma_garch: likelihood not finite at any starting point";
    return out;
  }
  const ArmaGarchParams ps = lay.params(best.x);
  out.params = ps;
  out.params.c = ps.c * sd;
  out.params.omega = ps.omega * var;
  out.sigma2_0 = var;
  out.loglik = arma_garch_loglik(returns, out.params, var);
  out.aic = 2.0 * out.k - 2.0 * out.loglik;
  out.bic = out.k * std::log(static_cast<double>(n)) - 2.0 * out.loglik;
  out.iterations = best.iters;
  out.converged = best.converged;
  out.status = regime::garch_fit_verdict(garch_part(out.params), var, out.converged);
  if (out.status == FitStatus::Ok && (std::abs(ps.phi) >= kArmaMaxRoot || std::abs(ps.theta) >= kArmaMaxRoot))
    out.status = FitStatus::Boundary;
  if (out.status != FitStatus::Ok)
    out.error = std::string("fit_arma_garch: ") + regime::fit_status_name(out.status);

  if (opt.standard_errors) {
    // Numerical Hessian of -loglik in the estimated natural parameters (scaled units); its
    // inverse is the asymptotic covariance.
    std::array<int, kArmaGarchParams> idx{};
    const auto k = static_cast<Eigen::Index>(lay.estimated(idx));
    const auto base = as_array(ps);
    Eigen::VectorXd th(k), h(k);
    for (Eigen::Index i = 0; i < k; ++i) {
      th[i] = base[static_cast<std::size_t>(idx[static_cast<std::size_t>(i)])];
      h[i] = 1e-4 * std::max(std::abs(th[i]), 1e-2);
    }
    const regime::Objective nll = [&](const Eigen::VectorXd& t) {
      auto a = base;
      for (Eigen::Index i = 0; i < k; ++i) a[static_cast<std::size_t>(idx[static_cast<std::size_t>(i)])] = t[i];
      return -arma_garch_loglik(y, from_array(a), 1.0);
    };
    Eigen::VectorXd se;
    if (regime::inverse_diagonal_sqrt(regime::numerical_hessian(nll, th, h), se)) {
      for (Eigen::Index i = 0; i < k; ++i) {
        const auto j = static_cast<std::size_t>(idx[static_cast<std::size_t>(i)]);
        out.se[j] = se[i] * (j == 0 ? sd : j == 3 ? var : 1.0);
      }
    }
  }
  return out;
}

void ArmaGarchFilter::reset(const ArmaGarchParams& p, double sigma2_0) noexcept {
  if (arma_garch_valid(p)) p_ = p;
  else ++bad_params_;
  s2_ = (sigma2_0 > 0 && std::isfinite(sigma2_0)) ? sigma2_0 : p_.omega / (1 - p_.alpha - p_.beta);
  m_ = p_.c / (1 - p_.phi);
  r_ = m_;
  e_ = 0;
  n_ = 0;
}

bool ArmaGarchFilter::set_params(const ArmaGarchParams& p) noexcept {
  if (!arma_garch_valid(p)) {
    ++bad_params_;
    return false;
  }
  p_ = p;
  m_ = p_.c + p_.phi * r_ + p_.theta * e_;
  return true;
}

void ArmaGarchFilter::update(double r) noexcept {
  if (!std::isfinite(r)) {  // a bad sample must not poison the state forever
    ++bad_returns_;
    return;
  }
  e_ = r - m_;
  r_ = r;
  s2_ = p_.omega + p_.alpha * e_ * e_ + p_.beta * s2_;
  m_ = p_.c + p_.phi * r_ + p_.theta * e_;
  ++n_;
}

double ArmaGarchFilter::standardized(double r) const noexcept { return (r - m_) / std::sqrt(s2_); }

ArmaGarchForecast ArmaGarchFilter::forecast(int h) const noexcept {
  h = std::max(h, 1);
  const double mu = p_.c / (1 - p_.phi);
  const double pers = p_.alpha + p_.beta;
  const double V = p_.omega / (1 - pers);
  ArmaGarchForecast f;
  // sigma^2_{t+i} expected, i = 1..h; psi_j and the cumulated Psi_j, j = 0..h-1.
  auto s2_at = [&](int i) { return V + std::pow(pers, i - 1) * (s2_ - V); };
  double psi = 1, Psi = 1, phipow = 1;  // psi_0, Psi_0, phi^0
  for (int j = 0; j < h; ++j) {
    const double s2 = s2_at(h - j);  // the shock e_{t+h-j} carries weight psi_j in r_{t+h}
    f.variance += psi * psi * s2;
    f.cum_variance += Psi * Psi * s2;
    // mean of r_{t+j+1}
    f.cum_mean += mu + phipow * (m_ - mu);
    psi = (j == 0 ? (p_.phi + p_.theta) : psi * p_.phi);
    Psi += psi;
    phipow *= p_.phi;
  }
  f.mean = mu + std::pow(p_.phi, h - 1) * (m_ - mu);
  f.sigma2 = s2_at(h);
  return f;
}

}  // namespace hft::model
