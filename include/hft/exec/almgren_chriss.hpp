// Almgren & Chriss (2000), "Optimal execution of portfolio transactions": the mean-variance
// optimal liquidation of X shares in N periods of length tau = T/N under linear permanent
// (gamma) and temporary (epsilon sgn(n) + eta n/tau) impact and an arithmetic random walk of
// volatility sigma; lambda is the risk aversion of E + lambda V.
// May touch: core.
//
//   eta_tilde = eta - gamma tau / 2,   kappa_tilde^2 = lambda sigma^2 / eta_tilde,
//   kappa: cosh(kappa tau) = 1 + tau^2 kappa_tilde^2 / 2,
//   x_j = X sinh(kappa (T - t_j)) / sinh(kappa T),  t_j = j tau,  n_j = x_{j-1} - x_j,
//   E = gamma X^2 / 2 + epsilon sum |n_j| + (eta_tilde / tau) sum n_j^2,
//   V = sigma^2 tau sum_{j=1..N} x_j^2,
// and the paper's closed forms of E and V for the optimal trajectory (equations of section 2.2).
// lambda = 0 gives the linear (naive) schedule; lambda -> infinity sells everything in the
// first period (E = epsilon X + eta X^2 / tau, V = 0).
// Numerics: the trajectory is evaluated as e^{-kappa t} expm1(-2 kappa (T-t)) / expm1(-2 kappa T),
// so no sinh overflows for large kappa T and no precision is lost for small kappa T; the
// closed-form E and V are evaluated in the same overflow-free form. Where kappa T < 1e-3 the
// closed-form V is a difference of nearly equal terms (relative error ~ 1e-16 / (kappa T)^2), so
// ac_closed_form reports E and V by the direct sum there (result.closed_form = false).
#pragma once
#include <vector>

namespace hft::exec {

struct AcParams {
  double X;        // shares to sell (negative: to buy)
  double T;        // horizon (the unit of time of sigma, eta: days in the paper)
  int N;           // number of periods
  double sigma;    // $/share/sqrt(time)
  double eta;      // temporary impact, ($/share)/(shares/time)
  double epsilon;  // fixed cost per share ($/share: half the spread plus fees)
  double gamma;    // permanent impact, ($/share)/share
  double lambda;   // risk aversion, 1/$
};

struct AcResult {
  double kappa;        // per unit of time
  double kappa_tilde;  // sqrt(lambda sigma^2 / eta_tilde)
  double expected_cost;
  double variance;
  std::vector<double> holdings;  // x_0 = X .. x_N = 0 (N + 1 values)
  std::vector<double> trades;    // n_1 .. n_N (N values)
  bool closed_form = true;       // false: E, V from the direct sum (kappa T < 1e-3, see above)
};

// N >= 1, T > 0, every field finite, sigma, eta, epsilon, gamma, lambda >= 0, eta_tilde > 0.
bool ac_valid(const AcParams& p) noexcept;

// kappa, kappa_tilde (as above). Throws std::invalid_argument if !ac_valid(p).
AcResult ac_closed_form(const AcParams& p);
// E and V of the given trajectory (holdings x_0..x_N, N + 1 values, x_0 = X and x_N = 0 expected
// but not required) by direct summation; kappa, kappa_tilde as in ac_closed_form. Throws
// std::invalid_argument if !ac_valid(p) or holdings.size() != N + 1.
AcResult ac_direct_sum(const AcParams& p, const std::vector<double>& holdings);
// The N optimal trade sizes n_1..n_N (their sum is X up to rounding) into trades_out, which
// must hold N doubles. Invalid parameters (!ac_valid): N <= 0 writes nothing, otherwise N zeros.
void ac_schedule(const AcParams& p, double* trades_out) noexcept;

}  // namespace hft::exec
