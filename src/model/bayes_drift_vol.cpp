#include "hft/model/bayes_drift_vol.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace hft::model {
namespace {

// Regularized incomplete beta I_x(a, b) by its continued fraction (modified Lentz).
double bdv_beta_cf(double a, double b, double x) noexcept {
  constexpr double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 500; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-15) break;
  }
  return h;
}

double bdv_inc_beta(double a, double b, double x) noexcept {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double lbt = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return std::exp(lbt) * bdv_beta_cf(a, b, x) / a;
  return 1 - std::exp(lbt) * bdv_beta_cf(b, a, 1 - x) / b;
}

// Monotone f on [lo, hi] with f(lo) <= target <= f(hi): bisection to the double's resolution.
template <class F>
double bdv_bisect(F&& f, double target, double lo, double hi) noexcept {
  for (int i = 0; i < 200 && hi - lo > 1e-15 * std::max(1.0, std::fabs(lo) + std::fabs(hi)); ++i) {
    const double mid = 0.5 * (lo + hi);
    (f(mid) < target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double student_t_cdf(double t, double nu) noexcept {
  if (std::isnan(t) || !(nu > 0)) return std::numeric_limits<double>::quiet_NaN();
  const double tail = 0.5 * bdv_inc_beta(0.5 * nu, 0.5, nu / (nu + t * t));  // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double nu) noexcept {
  if (!(p > 0 && p < 1) || !(nu > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.5) return 0;
  if (p < 0.5) return -student_t_quantile(1 - p, nu);
  double hi = 1;
  while (student_t_cdf(hi, nu) < p && hi < 1e300) hi *= 2;
  return bdv_bisect([nu](double t) { return student_t_cdf(t, nu); }, p, 0, hi);
}

double gamma_p(double a, double x) noexcept {
  if (!(a > 0) || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (x <= 0) return 0;
  const double lead = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1) {  // series
    double sum = 1 / a, term = sum;
    for (int n = 1; n < 10000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-16) break;
    }
    return std::exp(lead) * sum;
  }
  // continued fraction for Q(a, x) (modified Lentz)
  constexpr double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-16) break;
  }
  return 1 - std::exp(lead) * h;
}

double gamma_quantile(double p, double a) noexcept {
  if (!(p > 0 && p < 1) || !(a > 0)) return std::numeric_limits<double>::quiet_NaN();
  double hi = a + 1;
  while (gamma_p(a, hi) < p && hi < 1e300) hi *= 2;
  return bdv_bisect([a](double x) { return gamma_p(a, x); }, p, 0, hi);
}

BayesDriftVol::BayesDriftVol(double m0, double V0, double a0, double b0, double discount)
    : m_(m0), V_(V0), a_(a0), b_(b0), d_(discount) {
  if (!std::isfinite(m0) || !(V0 > 0) || !(a0 > 0) || !(b0 > 0) || !std::isfinite(V0) || !std::isfinite(a0) ||
      !std::isfinite(b0) || !(discount > 0 && discount <= 1))
    throw std::invalid_argument("BayesDriftVol: need finite m0, V0, a0, b0 > 0 and discount in (0, 1]");
}

bool BayesDriftVol::update(double r) noexcept {
  if (!std::isfinite(r)) return false;
  const double k_old = d_ / V_;  // prior precision (in units of s^-2) after forgetting
  const double k = k_old + 1;
  const double e = r - m_;
  m_ += e / k;
  V_ = 1 / k;
  a_ = d_ * a_ + 0.5;
  b_ = d_ * b_ + 0.5 * (k_old / k) * e * e;
  ++n_;
  return true;
}

double BayesDriftVol::drift_scale() const noexcept { return std::sqrt(b_ * V_ / a_); }

double BayesDriftVol::sigma2_mean() const noexcept {
  return a_ > 1 ? b_ / (a_ - 1) : std::numeric_limits<double>::infinity();
}

double BayesDriftVol::sigma_mean() const noexcept {
  if (!(a_ > 0.5)) return std::numeric_limits<double>::infinity();
  return std::sqrt(b_) * std::exp(std::lgamma(a_ - 0.5) - std::lgamma(a_));
}

CredibleInterval BayesDriftVol::drift_interval(double level) const noexcept {
  const double q = student_t_quantile(0.5 + 0.5 * level, 2 * a_) * drift_scale();
  return {m_ - q, m_ + q};
}

CredibleInterval BayesDriftVol::sigma_interval(double level) const noexcept {
  // s^2 = b / G with G ~ Gamma(a, 1): its upper quantile of s^2 comes from G's lower one.
  const double g_lo = gamma_quantile(0.5 - 0.5 * level, a_), g_hi = gamma_quantile(0.5 + 0.5 * level, a_);
  return {std::sqrt(b_ / g_hi), std::sqrt(b_ / g_lo)};
}

CredibleInterval BayesDriftVol::predictive_interval(double level) const noexcept {
  const double q = student_t_quantile(0.5 + 0.5 * level, 2 * a_) * std::sqrt(predictive_scale2());
  return {m_ - q, m_ + q};
}

}  // namespace hft::model
