// Almgren-Chriss (2000): kappa, the optimal trajectory, closed-form and summed E and V.
#include "hft/exec/almgren_chriss.hpp"

#include <cmath>
#include <stdexcept>

namespace hft::exec {
namespace {

double eta_tilde(const AcParams& p) noexcept { return p.eta - 0.5 * p.gamma * p.T / p.N; }

// kappa from cosh(kappa tau) = 1 + tau^2 kt^2 / 2: acosh(1 + y) = log1p(y + sqrt(y (2 + y))),
// accurate for small y where acosh(1 + y) would lose the digits of y.
void kappas(const AcParams& p, double& kappa, double& kt) noexcept {
  const double tau = p.T / p.N;
  const double kt2 = p.lambda * p.sigma * p.sigma / eta_tilde(p);
  kt = std::sqrt(kt2);
  const double y = 0.5 * tau * tau * kt2;
  kappa = std::log1p(y + std::sqrt(y * (2.0 + y))) / tau;
}

// x_j / X = sinh(kappa (T - t)) / sinh(kappa T) without overflow:
// e^{-kappa t} expm1(-2 kappa (T - t)) / expm1(-2 kappa T); kappa = 0: (T - t) / T.
double fraction_left(double kappa, double T, double t) noexcept {
  if (kappa == 0) return (T - t) / T;
  return std::exp(-kappa * t) * std::expm1(-2.0 * kappa * (T - t)) / std::expm1(-2.0 * kappa * T);
}

void fill_holdings(const AcParams& p, double kappa, std::vector<double>& x) {
  x.resize(static_cast<std::size_t>(p.N) + 1);
  const double tau = p.T / p.N;
  x[0] = p.X;
  for (int j = 1; j < p.N; ++j) x[static_cast<std::size_t>(j)] = p.X * fraction_left(kappa, p.T, j * tau);
  x[static_cast<std::size_t>(p.N)] = 0.0;
}

void sums(const AcParams& p, AcResult& r) {
  const double tau = p.T / p.N;
  r.trades.resize(static_cast<std::size_t>(p.N));
  double abs_n = 0, n2 = 0, x2 = 0;
  for (int j = 1; j <= p.N; ++j) {
    const auto u = static_cast<std::size_t>(j);
    const double n = r.holdings[u - 1] - r.holdings[u];
    r.trades[u - 1] = n;
    abs_n += std::fabs(n);
    n2 += n * n;
    x2 += r.holdings[u] * r.holdings[u];
  }
  r.expected_cost = 0.5 * p.gamma * p.X * p.X + p.epsilon * abs_n + eta_tilde(p) / tau * n2;
  r.variance = p.sigma * p.sigma * tau * x2;
}

void check(const AcParams& p) {
  if (!ac_valid(p))
    throw std::invalid_argument(
        "Almgren-Chriss: need N >= 1, T > 0, finite values, sigma, eta, epsilon, gamma, lambda >= 0 "
        "and eta - gamma T / (2N) > 0");
}

}  // namespace

bool ac_valid(const AcParams& p) noexcept {
  const double v[] = {p.X, p.T, p.sigma, p.eta, p.epsilon, p.gamma, p.lambda};
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return p.N >= 1 && p.T > 0 && p.sigma >= 0 && p.eta >= 0 && p.epsilon >= 0 && p.gamma >= 0 &&
         p.lambda >= 0 && eta_tilde(p) > 0;
}

AcResult ac_closed_form(const AcParams& p) {
  check(p);
  AcResult r;
  kappas(p, r.kappa, r.kappa_tilde);
  fill_holdings(p, r.kappa, r.holdings);
  sums(p, r);  // the trades, and E, V by summation (kept where the closed form is ill-conditioned)
  const double k = r.kappa, T = p.T, tau = T / p.N, X = p.X;
  if (k * T < 1e-3) {
    r.closed_form = false;
    return r;
  }
  // With a = kappa tau, b = kappa T (a <= b), all in overflow-free exponential form:
  //   sinh(a) / sinh(b)^2 = 2 e^{a - 2b} (-expm1(-2a)) / expm1(-2b)^2
  //   cosh(b - a) / (sinh(b) sinh(a)) = 2 e^{-2a} (1 + e^{-2(b - a)}) / (expm1(-2b) expm1(-2a))
  //   1 / sinh(b)^2 = 4 e^{-2b} / expm1(-2b)^2
  const double a = k * tau, b = k * T;
  const double em2a = std::expm1(-2.0 * a), em2b = std::expm1(-2.0 * b);
  const double sinh_a_over_sinh2_b = -2.0 * std::exp(a - 2.0 * b) * em2a / (em2b * em2b);
  const double coth_b = 1.0 / std::tanh(b);
  // E = gamma X^2/2 + epsilon |X| + eta_tilde X^2 tanh(a/2) (tau sinh(2b) + 2T sinh(a)) / (2 tau^2 sinh^2 b)
  //   with sinh(2b) / sinh^2(b) = 2 coth(b).
  r.expected_cost = 0.5 * p.gamma * X * X + p.epsilon * std::fabs(X) +
                    eta_tilde(p) * X * X * std::tanh(0.5 * a) * (2.0 * tau * coth_b + 2.0 * T * sinh_a_over_sinh2_b) /
                        (2.0 * tau * tau);
  // V = sigma^2 X^2 / 2 (tau sinh(b) cosh(b - a) - T sinh(a)) / (sinh^2(b) sinh(a))
  //   = sigma^2 X^2 / 2 (tau cosh(b - a) / (sinh b sinh a) - T / sinh^2 b)
  const double cosh_ratio = 2.0 * std::exp(-2.0 * a) * (1.0 + std::exp(-2.0 * (b - a))) / (em2b * em2a);
  const double inv_sinh2_b = 4.0 * std::exp(-2.0 * b) / (em2b * em2b);
  r.variance = 0.5 * p.sigma * p.sigma * X * X * (tau * cosh_ratio - T * inv_sinh2_b);
  return r;
}

AcResult ac_direct_sum(const AcParams& p, const std::vector<double>& holdings) {
  check(p);
  if (holdings.size() != static_cast<std::size_t>(p.N) + 1)
    throw std::invalid_argument("ac_direct_sum: holdings must have N + 1 values");
  AcResult r;
  kappas(p, r.kappa, r.kappa_tilde);
  r.holdings = holdings;
  sums(p, r);
  r.closed_form = false;
  return r;
}

void ac_schedule(const AcParams& p, double* trades_out) noexcept {
  if (p.N <= 0) return;
  if (!ac_valid(p)) {
    for (int j = 0; j < p.N; ++j) trades_out[j] = 0;
    return;
  }
  double kappa = 0, kt = 0;
  kappas(p, kappa, kt);
  const double tau = p.T / p.N;
  double prev = p.X;
  for (int j = 1; j <= p.N; ++j) {
    const double x = j == p.N ? 0.0 : p.X * fraction_left(kappa, p.T, j * tau);
    trades_out[j - 1] = prev - x;
    prev = x;
  }
}

}  // namespace hft::exec
