// Engle-Granger cointegration: OLS and the ADF statistic against normal equations solved here
// by Gaussian elimination; beta and the spread's half-life recovered on simulated cointegrated
// pairs (tolerances from the sample size, derived below); the 5% critical value checked by the
// rejection rate on independent random walks (binomial tolerance); the rolling version against
// the batch fit on its window.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "hft/model/cointegration.hpp"

using namespace hft::model;

namespace {

// Solves A z = b (dense, partial pivoting): the test's own linear algebra.
std::vector<double> solve(std::vector<std::vector<double>> A, std::vector<double> b) {
  const std::size_t k = b.size();
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < k; ++r)
      if (std::abs(A[r][c]) > std::abs(A[piv][c])) piv = r;
    std::swap(A[c], A[piv]);
    std::swap(b[c], b[piv]);
    for (std::size_t r = c + 1; r < k; ++r) {
      const double f = A[r][c] / A[c][c];
      for (std::size_t j = c; j < k; ++j) A[r][j] -= f * A[c][j];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> z(k);
  for (std::size_t c = k; c-- > 0;) {
    double s = b[c];
    for (std::size_t j = c + 1; j < k; ++j) s -= A[c][j] * z[j];
    z[c] = s / A[c][c];
  }
  return z;
}

// Normal equations for the regression rows -> (coefficients, standard errors).
void normal_equations(const std::vector<std::vector<double>>& X, const std::vector<double>& y,
                      std::vector<double>& coef, std::vector<double>& se) {
  const std::size_t n = y.size(), k = X[0].size();
  std::vector<std::vector<double>> xtx(k, std::vector<double>(k, 0));
  std::vector<double> xty(k, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t a = 0; a < k; ++a) {
      xty[a] += X[i][a] * y[i];
      for (std::size_t b = 0; b < k; ++b) xtx[a][b] += X[i][a] * X[i][b];
    }
  coef = solve(xtx, xty);
  double ssr = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double f = 0;
    for (std::size_t a = 0; a < k; ++a) f += X[i][a] * coef[a];
    ssr += (y[i] - f) * (y[i] - f);
  }
  const double s2 = ssr / static_cast<double>(n - k);
  se.assign(k, 0);
  for (std::size_t a = 0; a < k; ++a) {  // column a of (X'X)^-1
    std::vector<double> e(k, 0);
    e[a] = 1;
    se[a] = std::sqrt(s2 * solve(xtx, e)[a]);
  }
}

struct Pair {
  std::vector<double> x, y, s;
};

// x a Gaussian random walk (step sd 1), y = a + b x + s with s an AR(1) spread
// s_t = rho s_{t-1} + eta_t (sd eta), started at its stationary distribution.
Pair simulate_pair(std::size_t n, double a, double b, double rho, double sd_eta, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  Pair p;
  double x = 100, s = z(rng) * sd_eta / std::sqrt(1 - rho * rho);
  for (std::size_t t = 0; t < n; ++t) {
    x += z(rng);
    s = rho * s + sd_eta * z(rng);
    p.x.push_back(x);
    p.s.push_back(s);
    p.y.push_back(a + b * x + s);
  }
  return p;
}

}  // namespace

TEST(Cointegration, OlsAndAdfMatchNormalEquations) {
  const Pair p = simulate_pair(60, 1.0, 0.7, 0.6, 0.3, 11);
  const OlsLine l = ols_line(p.y, p.x);
  ASSERT_TRUE(l.ok);
  std::vector<std::vector<double>> X;
  for (double v : p.x) X.push_back({1.0, v});
  std::vector<double> c, se;
  normal_equations(X, p.y, c, se);
  EXPECT_NEAR(l.a, c[0], 1e-9 * (1 + std::abs(c[0])));
  EXPECT_NEAR(l.b, c[1], 1e-10);
  EXPECT_NEAR(l.se_a, se[0], 1e-8 * se[0]);
  EXPECT_NEAR(l.se_b, se[1], 1e-8 * se[1]);

  // ADF with 2 lags on the residual: du_t on u_{t-1}, du_{t-1}, du_{t-2}, t = 3..n-1.
  std::vector<double> u;
  for (std::size_t i = 0; i < p.x.size(); ++i) u.push_back(p.y[i] - l.a - l.b * p.x[i]);
  for (bool constant : {false, true}) {
    std::vector<std::vector<double>> Z;
    std::vector<double> dy;
    for (std::size_t t = 3; t < u.size(); ++t) {
      std::vector<double> row{u[t - 1], u[t - 1] - u[t - 2], u[t - 2] - u[t - 3]};
      if (constant) row.push_back(1.0);
      Z.push_back(row);
      dy.push_back(u[t] - u[t - 1]);
    }
    normal_equations(Z, dy, c, se);
    AdfOptions o;
    o.max_lags = 2;
    o.autolag = false;
    o.constant = constant;
    const AdfResult r = adf_test(u, o);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.lags, 2);
    EXPECT_EQ(r.nobs, u.size() - 3);
    EXPECT_NEAR(r.gamma, c[0], 1e-10);
    EXPECT_NEAR(r.stat, c[0] / se[0], 1e-8 * std::abs(c[0] / se[0]));
  }
  // The half-life's phi: du_t = k + phi u_{t-1}.
  std::vector<std::vector<double>> H;
  std::vector<double> du;
  for (std::size_t t = 1; t < u.size(); ++t) {
    H.push_back({1.0, u[t - 1]});
    du.push_back(u[t] - u[t - 1]);
  }
  normal_equations(H, du, c, se);
  double phi = 0;
  const double hl = spread_half_life(u, &phi);
  EXPECT_NEAR(phi, c[1], 1e-10);
  EXPECT_NEAR(hl, -std::log(2.0) / std::log(1 + c[1]), 1e-9);
}

TEST(Cointegration, CriticalValuesAreMacKinnons) {
  // Asymptotic values of MacKinnon (2010), N = 2, constant; the 5% one the "about -3.34" of
  // REFERENCES.md.
  EXPECT_DOUBLE_EQ(eg_critical_value(0.05, 0), -3.33613);
  EXPECT_DOUBLE_EQ(eg_critical_value(0.01, 0), -3.89644);
  EXPECT_DOUBLE_EQ(eg_critical_value(0.10, 0), -3.04445);
  EXPECT_NEAR(eg_critical_value(0.05, 100), -3.33613 - 6.1101 / 100 - 6.823 / 1e4, 1e-12);
  EXPECT_TRUE(std::isnan(eg_critical_value(0.02, 100)));
}

// n = 3000, a = 2, b = 1.5, rho = 0.95 (half-life -ln2/ln 0.95 = 13.5), eta sd 0.5; six seeds.
// Tolerances:
//  - beta: b_hat - b = sum (x - xbar) s / sum (x - xbar)^2; with s autocorrelated its sd is about
//    sqrt(lrv(s) / Sxx), lrv(s) = sd_eta^2 / (1 - rho)^2 the long-run variance of the spread.
//    Computed per seed from its own x; allowed 4 of them.
//  - half-life: phi_hat of the AR(1) has sd sqrt((1 - rho^2) / n) and a downward bias of about
//    (1 + 3 rho) / n; by the delta method d hl / d rho = ln 2 / (rho ln^2 rho). Allowed: 4 sd
//    plus the bias, on the half-life.
//  - the ADF must reject at 5% (the statistic is about (rho - 1) / sd = -12 here).
TEST(Cointegration, RecoversBetaAndHalfLifeOnCointegratedPairs) {
  const double a = 2, b = 1.5, rho = 0.95, sd_eta = 0.5;
  const std::size_t n = 3000;
  const double hl_true = -std::log(2.0) / std::log(rho);
  const double lrv = sd_eta * sd_eta / ((1 - rho) * (1 - rho));
  const double sd_rho = std::sqrt((1 - rho * rho) / n), bias_rho = (1 + 3 * rho) / n;
  const double dhl = std::log(2.0) / (rho * std::log(rho) * std::log(rho));
  const double hl_tol = dhl * (4 * sd_rho + bias_rho);
  std::printf("  true beta %.3f, half-life %.2f (tolerance %.2f)\n", b, hl_true, hl_tol);
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const Pair p = simulate_pair(n, a, b, rho, sd_eta, 500 + seed);
    double mx = 0;
    for (double v : p.x) mx += v;
    mx /= static_cast<double>(n);
    double sxx = 0;
    for (double v : p.x) sxx += (v - mx) * (v - mx);
    const double beta_tol = 4 * std::sqrt(lrv / sxx);
    const EngleGranger eg = engle_granger(p.y, p.x);
    ASSERT_TRUE(eg.ok);
    std::printf("  seed %llu: beta %.4f (tol %.4f) adf %.2f (lags %d, cv5 %.3f) half-life %.2f\n",
                static_cast<unsigned long long>(seed), eg.line.b, beta_tol, eg.adf.stat, eg.adf.lags, eg.cv5,
                eg.half_life);
    EXPECT_NEAR(eg.line.b, b, beta_tol);
    EXPECT_TRUE(eg.reject5);
    EXPECT_LT(eg.adf.stat, eg.cv1);
    EXPECT_NEAR(eg.half_life, hl_true, hl_tol);
  }
}

// Two independent random walks, 1000 seeds, n = 250: no cointegration, so the test at 5% must
// reject in about 5% of the seeds. Binomial sd sqrt(1000 * 0.05 * 0.95) = 6.9: 50 +- 3.5 sd =
// [26, 74]. Checks the critical values and the statistic together (wrong N = 1 values, -2.86,
// would reject about 20%).
TEST(Cointegration, IndependentRandomWalksRejectAtTheNominalRate) {
  const int seeds = 1000;
  for (bool autolag : {true, false}) {
    int rejects = 0;
    AdfOptions o;
    o.autolag = autolag;
    o.max_lags = autolag ? -1 : 0;
    for (int s = 0; s < seeds; ++s) {
      std::mt19937_64 rng(90000 + static_cast<std::uint64_t>(s));
      std::normal_distribution<double> z(0.0, 1.0);
      std::vector<double> x, y;
      double xv = 0, yv = 0;
      for (int t = 0; t < 250; ++t) {
        xv += z(rng);
        yv += z(rng);
        x.push_back(xv);
        y.push_back(yv);
      }
      const EngleGranger eg = engle_granger(y, x, o);
      ASSERT_TRUE(eg.ok);
      rejects += eg.reject5;
    }
    std::printf("  independent walks, %s: %d of %d rejected at 5%%\n", autolag ? "AIC lags" : "no lags", rejects,
                seeds);
    EXPECT_GE(rejects, 26);
    EXPECT_LE(rejects, 74);
  }
}

TEST(Cointegration, RollingMatchesTheBatchFitOnItsWindow) {
  const Pair p = simulate_pair(1500, 3.0, 0.8, 0.9, 0.2, 7);
  const std::size_t W = 400;
  RollingCointegration rc(W, 100);
  for (std::size_t t = 0; t < p.x.size(); ++t) {
    rc.update(p.y[t], p.x[t]);
    if (rc.refit_due()) {
      const EngleGranger& eg = rc.refit();
      const std::span<const double> ys(p.y.data() + t + 1 - W, W), xs(p.x.data() + t + 1 - W, W);
      const EngleGranger ref = engle_granger(ys, xs);
      EXPECT_NEAR(eg.adf.stat, ref.adf.stat, 1e-9);
      EXPECT_NEAR(eg.half_life, ref.half_life, 1e-9);
    }
    if (t + 1 >= W && (t % 37 == 0 || t + 1 == p.x.size())) {  // between refits too
      const std::span<const double> ys(p.y.data() + t + 1 - W, W), xs(p.x.data() + t + 1 - W, W);
      const OlsLine l = ols_line(ys, xs);
      EXPECT_NEAR(rc.beta(), l.b, 1e-9) << t;
      EXPECT_NEAR(rc.alpha(), l.a, 1e-7) << t;
      EXPECT_NEAR(rc.spread_sd(), l.resid_sd, 1e-9) << t;
      const double s = p.y[t] - l.a - l.b * p.x[t];
      EXPECT_NEAR(rc.spread(), s, 1e-8) << t;
      EXPECT_NEAR(rc.zscore(), s / l.resid_sd, 1e-6) << t;
    }
  }
  EXPECT_EQ(rc.refits(), (1500 - W) / 100 + 1);
  rc.update(std::nan(""), 1.0);
  EXPECT_EQ(rc.rejected(), 1u);
  // Too little data: not ok, no crash.
  const std::vector<double> two{1.0, 2.0};
  EXPECT_FALSE(engle_granger(two, two).ok);
  const std::vector<double> flat(50, 1.0), ramp = [] {
    std::vector<double> v;
    for (int i = 0; i < 50; ++i) v.push_back(i);
    return v;
  }();
  EXPECT_FALSE(engle_granger(ramp, flat).ok);  // x constant
  // A constant x whose mean is not exactly its value in floating point (seen on a quiet
  // instrument's log mid): still constant.
  const std::vector<double> quiet(1800, std::log(1234.5));
  EXPECT_FALSE(ols_line(ramp, std::span<const double>(quiet.data(), 50)).ok);
  RollingCointegration rq(20, 5);
  for (int i = 0; i < 40; ++i) rq.update(i * 0.1, i < 20 ? 1.0 + i : std::log(1234.5));
  EXPECT_TRUE(std::isnan(rq.beta()));
  EXPECT_TRUE(std::isnan(rq.zscore()));
  EXPECT_FALSE(adf_test(two).ok);
  RollingCointegration empty(10, 5);
  EXPECT_TRUE(std::isnan(empty.beta()));
  EXPECT_TRUE(std::isnan(empty.zscore()));
}
