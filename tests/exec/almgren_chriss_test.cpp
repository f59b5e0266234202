// Almgren-Chriss: the closed forms against direct summation, the trajectory against the
// discrete Euler-Lagrange equation it must solve, optimality against perturbed trajectories,
// the limits (lambda -> 0 linear, lambda -> infinity all at once), and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hft/exec/almgren_chriss.hpp"

using namespace hft::exec;

namespace {

// Table 1 of the paper, lambda = 1e-6.
AcParams table1(double lambda = 1e-6, int N = 5) { return {1e6, 5, N, 0.95, 2.5e-6, 0.0625, 2.5e-7, lambda}; }

double utility(const AcParams& p, const std::vector<double>& x) {
  const auto r = ac_direct_sum(p, x);
  return r.expected_cost + p.lambda * r.variance;
}

}  // namespace

TEST(AlmgrenChriss, KappaOfTheTable1Example) {
  const auto r = ac_closed_form(table1());
  EXPECT_NEAR(r.kappa, 0.6071, 5e-5);  // REFERENCES.md
  // cosh(kappa tau) = 1 + tau^2 kt^2 / 2 with kt^2 = lambda sigma^2 / (eta - gamma tau / 2).
  const double kt2 = 1e-6 * 0.95 * 0.95 / (2.5e-6 - 0.5 * 2.5e-7);
  EXPECT_NEAR(r.kappa_tilde * r.kappa_tilde, kt2, 1e-15);
  EXPECT_NEAR(std::cosh(r.kappa * 1.0), 1 + kt2 / 2, 1e-14);
}

TEST(AlmgrenChriss, ClosedFormsMatchDirectSummation) {
  for (double lambda : {1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-2})
    for (int N : {1, 2, 5, 20, 250}) {
      const auto p = table1(lambda, N);
      const auto cf = ac_closed_form(p);
      const auto ds = ac_direct_sum(p, cf.holdings);
      if (!cf.closed_form) continue;  // kappa T < 1e-3: E, V are the sums themselves
      EXPECT_NEAR(cf.expected_cost, ds.expected_cost, 1e-9 * ds.expected_cost) << lambda << " " << N;
      EXPECT_NEAR(cf.variance, ds.variance, 1e-9 * ds.variance + 1e-300) << lambda << " " << N;
    }
  // kappa T = 1e-3 is where the closed form is kept: still within 1e-9 there.
  const auto cf = ac_closed_form(table1(1e-8, 5));
  EXPECT_TRUE(cf.closed_form);
}

TEST(AlmgrenChriss, TrajectorySolvesTheDiscreteEulerLagrangeEquation) {
  // Optimality condition (paper, section 2.2): (x_{j-1} - 2 x_j + x_{j+1}) / tau^2 = kt~^2 x_j,
  // with kt~^2 = 2 (cosh(kappa tau) - 1) / tau^2 = lambda sigma^2 / eta_tilde.
  for (int N : {5, 50}) {
    const auto p = table1(1e-6, N);
    const auto r = ac_closed_form(p);
    const double tau = p.T / N, kt2 = r.kappa_tilde * r.kappa_tilde;
    for (int j = 1; j < N; ++j) {
      const double lhs = (r.holdings[j - 1] - 2 * r.holdings[j] + r.holdings[j + 1]) / (tau * tau);
      EXPECT_NEAR(lhs, kt2 * r.holdings[j], 1e-9 * p.X / (tau * tau)) << j;
    }
    EXPECT_EQ(r.holdings.front(), p.X);
    EXPECT_EQ(r.holdings.back(), 0.0);
  }
}

TEST(AlmgrenChriss, OptimalAgainstPerturbedTrajectories) {
  const auto p = table1();
  const auto r = ac_closed_form(p);
  const double u0 = utility(p, r.holdings);
  for (int j = 1; j < p.N; ++j)
    for (double d : {-1000.0, 1000.0}) {
      auto x = r.holdings;
      x[j] += d;
      EXPECT_GT(utility(p, x), u0) << j << " " << d;
    }
  // The naive schedule is worse for this lambda, and better in expected cost alone.
  const auto naive = ac_closed_form(table1(0));
  EXPECT_GT(utility(p, naive.holdings), u0);
  EXPECT_LT(naive.expected_cost, r.expected_cost);
}

TEST(AlmgrenChriss, TradesSumToXAndScheduleAgrees) {
  for (double lambda : {0.0, 1e-6, 1e-3, 10.0})
    for (double X : {1e6, -3e5}) {
      auto p = table1(lambda, 7);
      p.X = X;
      const auto r = ac_closed_form(p);
      std::vector<double> n(7);
      ac_schedule(p, n.data());
      double sum = 0;
      for (int j = 0; j < 7; ++j) {
        sum += n[j];
        EXPECT_NEAR(n[j], r.trades[j], 1e-9 * std::fabs(X));
      }
      EXPECT_NEAR(sum, X, 1e-12 * std::fabs(X));
    }
}

TEST(AlmgrenChriss, Limits) {
  // lambda = 0: linear schedule; E = gamma X^2/2 + epsilon X + eta_tilde X^2 / T and
  // V = sigma^2 X^2 T (1 - 1/N)(1 - 1/(2N)) / 3 (the paper's naive strategy).
  const auto p0 = table1(0);
  const auto lin = ac_closed_form(p0);
  for (int j = 0; j <= 5; ++j) EXPECT_NEAR(lin.holdings[j], 1e6 * (1 - j / 5.0), 1e-6);
  EXPECT_NEAR(lin.expected_cost, 125000 + 62500 + 2.375e-6 * 1e12 / 5, 1e-6);
  EXPECT_NEAR(lin.variance, 0.9025 * 1e12 * 5 * 0.8 * 0.9 / 3, 1e-3);
  // A tiny lambda gives nearly the linear schedule (kappa T ~ 1e-7: summed E, V).
  const auto tiny = ac_closed_form(table1(1e-20));
  EXPECT_FALSE(tiny.closed_form);
  EXPECT_NEAR(tiny.holdings[2], lin.holdings[2], 1e-6);
  // lambda -> infinity: everything in the first period, E -> epsilon X + eta X^2 / tau, V -> 0,
  // without overflow (kappa T in the hundreds).
  const auto big = ac_closed_form(table1(1e6));
  EXPECT_GT(big.kappa * 5, 100);
  EXPECT_NEAR(big.trades[0], 1e6, 1e-3);
  EXPECT_NEAR(big.expected_cost, 62500 + 2.5e-6 * 1e12, 1.0);
  EXPECT_TRUE(std::isfinite(big.variance));
  EXPECT_LT(big.variance, 1.0);
}

TEST(AlmgrenChriss, BadInput) {
  auto p = table1();
  p.N = 0;
  EXPECT_FALSE(ac_valid(p));
  EXPECT_THROW(ac_closed_form(p), std::invalid_argument);
  ac_schedule(p, nullptr);  // N <= 0: writes nothing
  p = table1();
  p.eta = 1e-7;  // eta_tilde = 1e-7 - 1.25e-7 < 0
  EXPECT_FALSE(ac_valid(p));
  std::vector<double> n(5, 7.0);
  ac_schedule(p, n.data());
  for (double v : n) EXPECT_EQ(v, 0.0);
  p = table1();
  p.lambda = NAN;
  EXPECT_THROW(ac_closed_form(p), std::invalid_argument);
  EXPECT_THROW(ac_direct_sum(table1(), std::vector<double>(3)), std::invalid_argument);
}
