#include "hft/model/cointegration.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

namespace hft::model {

namespace {
constexpr double kCiNaN = std::numeric_limits<double>::quiet_NaN();

struct Regression {
  Eigen::VectorXd coef, se;
  double ssr = 0;
  bool ok = false;
};

// OLS by column-pivoting QR; classical standard errors sqrt(s^2 diag((X'X)^-1)), s^2 = SSR/(n-k).
Regression regress(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  Regression r;
  const auto n = X.rows(), k = X.cols();
  if (n <= k || !X.allFinite() || !y.allFinite()) return r;
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(X);
  if (qr.rank() < k) return r;
  r.coef = qr.solve(y);
  r.ssr = (y - X * r.coef).squaredNorm();
  const Eigen::MatrixXd xtx_inv = (X.transpose() * X).inverse();
  const double s2 = r.ssr / static_cast<double>(n - k);
  r.se = (s2 * xtx_inv.diagonal()).cwiseSqrt();
  r.ok = r.coef.allFinite() && r.se.allFinite();
  return r;
}

// du_t on [u_{t-1}, du_{t-1}, .., du_{t-p}, (1)] for t = first..n-1 (indices into u).
Regression adf_regression(std::span<const double> u, int p, std::size_t first, bool constant) {
  const std::size_t n = u.size();
  const auto rows = static_cast<Eigen::Index>(n - first);
  const Eigen::Index k = 1 + p + (constant ? 1 : 0);
  Eigen::MatrixXd X(rows, k);
  Eigen::VectorXd y(rows);
  for (std::size_t t = first; t < n; ++t) {
    const auto i = static_cast<Eigen::Index>(t - first);
    y[i] = u[t] - u[t - 1];
    X(i, 0) = u[t - 1];
    for (int j = 1; j <= p; ++j) X(i, j) = u[t - static_cast<std::size_t>(j)] - u[t - static_cast<std::size_t>(j) - 1];
    if (constant) X(i, k - 1) = 1.0;
  }
  return regress(X, y);
}
}  // namespace

OlsLine ols_line(std::span<const double> y, std::span<const double> x) {
  OlsLine o;
  const std::size_t n = y.size();
  o.n = n;
  if (n < 3 || x.size() != n) return o;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) return o;
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxx = 0, sxy = 0, syy = 0;  // centred: no cancellation on log prices
  for (std::size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  // x constant: its mean need not equal its value in floating point, so sxx can be a rounding
  // residue instead of 0; test the values themselves.
  if (!(sxx > 0) || std::all_of(x.begin(), x.end(), [&](double v) { return v == x[0]; })) return o;
  o.b = sxy / sxx;
  o.a = my - o.b * mx;
  const double ssr = std::max(syy - o.b * sxy, 0.0);
  const double s2 = ssr / static_cast<double>(n - 2);
  o.resid_sd = std::sqrt(s2);
  o.se_b = std::sqrt(s2 / sxx);
  o.se_a = std::sqrt(s2 * (1.0 / static_cast<double>(n) + mx * mx / sxx));
  o.r2 = syy > 0 ? 1.0 - ssr / syy : 0.0;
  o.ok = true;
  return o;
}

AdfResult adf_test(std::span<const double> u, const AdfOptions& opt) {
  AdfResult res;
  const std::size_t n = u.size();
  for (double v : u)
    if (!std::isfinite(v)) return res;
  int maxp = opt.max_lags;
  if (maxp < 0) maxp = opt.autolag ? static_cast<int>(std::floor(12.0 * std::pow(static_cast<double>(n) / 100.0, 0.25))) : 0;
  const int extra = opt.constant ? 1 : 0;
  // Keep at least 10 residual degrees of freedom in the largest regression.
  while (maxp > 0 && static_cast<long>(n) - maxp - 1 < maxp + 1 + extra + 10) --maxp;
  if (static_cast<long>(n) - maxp - 1 < maxp + 1 + extra + 3) return res;
  int p = maxp;
  if (opt.autolag) {
    const auto first = static_cast<std::size_t>(maxp + 1);
    const double nobs = static_cast<double>(n - first);
    double best = std::numeric_limits<double>::infinity();
    for (int q = 0; q <= maxp; ++q) {
      const Regression r = adf_regression(u, q, first, opt.constant);
      if (!r.ok || !(r.ssr > 0)) continue;
      const double aic = nobs * std::log(r.ssr / nobs) + 2.0 * (q + 1 + extra);
      if (aic < best) {
        best = aic;
        p = q;
      }
    }
    if (!std::isfinite(best)) return res;
  }
  const Regression r = adf_regression(u, p, static_cast<std::size_t>(p + 1), opt.constant);
  if (!r.ok || !(r.se[0] > 0)) return res;
  res.gamma = r.coef[0];
  res.se_gamma = r.se[0];
  res.stat = r.coef[0] / r.se[0];
  res.lags = p;
  res.nobs = n - static_cast<std::size_t>(p + 1);
  res.ok = std::isfinite(res.stat);
  return res;
}

double eg_critical_value(double level, std::size_t nobs) noexcept {
  // MacKinnon, J. G. (2010), "Critical Values for Cointegration Tests", Queen's Economics
  // Department Working Paper 1227, Table 2: tau_c, N = 2 (b_inf, b1, b2; b3 = 0). The same
  // surface form as MacKinnon (1991); the 2010 coefficients supersede the 1991 ones. b2 at 1% is
  // -22.527 as in the paper (statsmodels' adfvalues.py carries -33.527: 0.001 apart at T = 100).
  struct Row { double level, binf, b1, b2; };
  static constexpr Row rows[] = {{0.01, -3.89644, -10.9519, -22.527},
                                 {0.05, -3.33613, -6.1101, -6.823},
                                 {0.10, -3.04445, -4.2412, -2.720}};
  for (const Row& r : rows) {
    if (std::abs(level - r.level) < 1e-9) {
      if (nobs == 0) return r.binf;
      const double iT = 1.0 / static_cast<double>(nobs);
      return r.binf + r.b1 * iT + r.b2 * iT * iT;
    }
  }
  return kCiNaN;
}

double spread_half_life(std::span<const double> u, double* phi_out) {
  if (phi_out) *phi_out = kCiNaN;
  const std::size_t n = u.size();
  if (n < 3) return kCiNaN;
  // du_t = k + phi u_{t-1}: simple regression, centred sums.
  double mx = 0, my = 0;
  for (std::size_t t = 1; t < n; ++t) {
    mx += u[t - 1];
    my += u[t] - u[t - 1];
  }
  const double m = static_cast<double>(n - 1);
  mx /= m;
  my /= m;
  double sxx = 0, sxy = 0;
  for (std::size_t t = 1; t < n; ++t) {
    sxx += (u[t - 1] - mx) * (u[t - 1] - mx);
    sxy += (u[t - 1] - mx) * (u[t] - u[t - 1] - my);
  }
  if (!(sxx > 0) || !std::isfinite(sxy)) return kCiNaN;
  const double phi = sxy / sxx;
  if (phi_out) *phi_out = phi;
  if (phi >= 0) return std::numeric_limits<double>::infinity();
  if (phi <= -1) return kCiNaN;
  return -std::log(2.0) / std::log1p(phi);
}

EngleGranger engle_granger(std::span<const double> y, std::span<const double> x, const AdfOptions& opt) {
  EngleGranger eg;
  eg.line = ols_line(y, x);
  if (!eg.line.ok) return eg;
  std::vector<double> u(y.size());
  for (std::size_t i = 0; i < u.size(); ++i) u[i] = y[i] - eg.line.a - eg.line.b * x[i];
  eg.adf = adf_test(u, opt);
  eg.half_life = spread_half_life(u, &eg.phi);
  if (!eg.adf.ok) return eg;
  eg.cv1 = eg_critical_value(0.01, eg.adf.nobs);
  eg.cv5 = eg_critical_value(0.05, eg.adf.nobs);
  eg.cv10 = eg_critical_value(0.10, eg.adf.nobs);
  eg.reject5 = eg.adf.stat < eg.cv5;
  eg.ok = true;
  return eg;
}

RollingCointegration::RollingCointegration(std::size_t window, std::size_t refit_every, const AdfOptions& opt)
    : window_(std::max<std::size_t>(window, 3)),
      refit_every_(std::max<std::size_t>(refit_every, 1)),
      opt_(opt),
      xs_(window_),
      ys_(window_),
      scratch_y_(window_),
      scratch_x_(window_) {}

void RollingCointegration::clear() noexcept {
  head_ = count_ = since_refit_ = 0;
  x0_ = y0_ = sx_ = sy_ = sxx_ = sxy_ = syy_ = last_x_ = last_y_ = 0;
}

void RollingCointegration::update(double y, double x) noexcept {
  if (!std::isfinite(x) || !std::isfinite(y)) {
    ++rejected_;
    return;
  }
  if (count_ == 0) {
    x0_ = x;
    y0_ = y;
  }
  if (count_ >= window_) {  // the oldest pair leaves
    const double ox = xs_[head_] - x0_, oy = ys_[head_] - y0_;
    sx_ -= ox;
    sy_ -= oy;
    sxx_ -= ox * ox;
    sxy_ -= ox * oy;
    syy_ -= oy * oy;
  }
  xs_[head_] = x;
  ys_[head_] = y;
  head_ = head_ + 1 == window_ ? 0 : head_ + 1;
  const double dx = x - x0_, dy = y - y0_;
  sx_ += dx;
  sy_ += dy;
  sxx_ += dx * dx;
  sxy_ += dx * dy;
  syy_ += dy * dy;
  last_x_ = x;
  last_y_ = y;
  ++count_;
  ++since_refit_;
}

void RollingCointegration::sums(double& n, double& cxx, double& cxy, double& cyy, double& mx, double& my) const noexcept {
  n = static_cast<double>(size());
  mx = n > 0 ? sx_ / n : 0;
  my = n > 0 ? sy_ / n : 0;
  cxx = sxx_ - n * mx * mx;
  // A constant x leaves a rounding residue, not 0: below 1e-12 of the raw moment it is 0.
  if (cxx <= 1e-12 * sxx_) cxx = 0;
  cxy = sxy_ - n * mx * my;
  cyy = syy_ - n * my * my;
}

double RollingCointegration::beta() const noexcept {
  double n, cxx, cxy, cyy, mx, my;
  sums(n, cxx, cxy, cyy, mx, my);
  return (n >= 3 && cxx > 0) ? cxy / cxx : kCiNaN;
}

double RollingCointegration::alpha() const noexcept {
  double n, cxx, cxy, cyy, mx, my;
  sums(n, cxx, cxy, cyy, mx, my);
  if (!(n >= 3 && cxx > 0)) return kCiNaN;
  return (y0_ + my) - (cxy / cxx) * (x0_ + mx);
}

double RollingCointegration::spread_sd() const noexcept {
  double n, cxx, cxy, cyy, mx, my;
  sums(n, cxx, cxy, cyy, mx, my);
  if (!(n >= 3 && cxx > 0)) return kCiNaN;
  return std::sqrt(std::max(cyy - (cxy / cxx) * cxy, 0.0) / (n - 2));
}

double RollingCointegration::spread() const noexcept {
  double n, cxx, cxy, cyy, mx, my;
  sums(n, cxx, cxy, cyy, mx, my);
  if (!(n >= 3 && cxx > 0)) return kCiNaN;
  const double b = cxy / cxx;
  // In deviations from the reference: (y - y0 - my) - b (x - x0 - mx).
  return (last_y_ - y0_ - my) - b * (last_x_ - x0_ - mx);
}

double RollingCointegration::zscore() const noexcept {
  const double s = spread(), sd = spread_sd();
  return sd > 0 ? s / sd : kCiNaN;
}

const EngleGranger& RollingCointegration::refit() {
  const std::size_t n = size();
  // Chronological copy: the oldest pair sits at head_ once the ring is full.
  const std::size_t start = count_ >= window_ ? head_ : 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t j = (start + i) % window_;
    scratch_y_[i] = ys_[j];
    scratch_x_[i] = xs_[j];
  }
  if (n > 0) {  // exact sums about a fresh reference: no accumulated rounding
    x0_ = scratch_x_[0];
    y0_ = scratch_y_[0];
    sx_ = sy_ = sxx_ = sxy_ = syy_ = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double dx = scratch_x_[i] - x0_, dy = scratch_y_[i] - y0_;
      sx_ += dx;
      sy_ += dy;
      sxx_ += dx * dx;
      sxy_ += dx * dy;
      syy_ += dy * dy;
    }
  }
  eg_ = engle_granger(std::span<const double>(scratch_y_.data(), n), std::span<const double>(scratch_x_.data(), n), opt_);
  since_refit_ = 0;
  ++refits_;
  return eg_;
}

}  // namespace hft::model
