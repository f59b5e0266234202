// Avellaneda-Stoikov quotes against hand-computed values; GLFT closed form against the exact
// bounded-inventory solution; the exact solution against two independent computations (the
// nonlinear HJB integrated by RK4, whose Hamiltonian is checked by brute-force maximisation, and
// Eigen's symmetric eigensolver for the asymptotic regime); snap_quotes edge cases; the arrival
// estimator on simulated Poisson streams.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <vector>

#include "hft/exec/avellaneda_stoikov.hpp"

using namespace hft::exec;

namespace {

const MmParams kAsParams{0.1, 2.0, 1.5, 140.0};     // AS 2008 section 3.3
const MmParams kGlftParams{0.01, 0.3, 0.3, 0.9};    // GLFT 2013 example (ticks, seconds)

double eta_of(const MmParams& p) { return p.A * std::pow(1 + p.gamma / p.k, -(1 + p.k / p.gamma)); }
double c_of(const MmParams& p) { return std::log(1 + p.gamma / p.k) / p.gamma; }

// sup over delta of (A/gamma) e^{-k delta} (1 - e^{-gamma (delta + dp)}) by golden section.
double hamiltonian_brute(const MmParams& p, double dp) {
  auto f = [&](double d) { return p.A / p.gamma * std::exp(-p.k * d) * (1 - std::exp(-p.gamma * (d + dp))); };
  double lo = -dp - 5, hi = -dp + 50 / p.k;
  const double g = (std::sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 200; ++i) {
    const double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    (f(a) < f(b) ? lo : hi) = (f(a) < f(b) ? a : b);
  }
  return f(0.5 * (lo + hi));
}

// theta_q(t) of u = -exp(-gamma (x + q s + theta_q)) from the nonlinear HJB
//   theta_q' = gamma sigma^2 q^2 / 2 - H(theta_{q+1} - theta_q) - H(theta_{q-1} - theta_q),
//   H(dp) = (eta / k) e^{k dp} (the sup, checked against hamiltonian_brute), theta(T) = 0,
// integrated backward over T by RK4 with n steps; returns the depths at t = 0.
void hjb_rk4(const MmParams& p, int Q, double T, int n, std::vector<double>& bid, std::vector<double>& ask) {
  const int m = 2 * Q + 1;
  const double eta = eta_of(p), c = c_of(p);
  auto rhs = [&](const std::vector<double>& th, std::vector<double>& out) {  // d theta / d(T - t)
    for (int i = 0; i < m; ++i) {
      const double q = i - Q;
      double h = 0;
      if (i + 1 < m) h += eta / p.k * std::exp(p.k * (th[i + 1] - th[i]));
      if (i > 0) h += eta / p.k * std::exp(p.k * (th[i - 1] - th[i]));
      out[i] = -0.5 * p.gamma * p.sigma * p.sigma * q * q + h;
    }
  };
  std::vector<double> th(m, 0.0), k1(m), k2(m), k3(m), k4(m), tmp(m);
  const double h = T / n;
  for (int s = 0; s < n; ++s) {
    rhs(th, k1);
    for (int i = 0; i < m; ++i) tmp[i] = th[i] + 0.5 * h * k1[i];
    rhs(tmp, k2);
    for (int i = 0; i < m; ++i) tmp[i] = th[i] + 0.5 * h * k2[i];
    rhs(tmp, k3);
    for (int i = 0; i < m; ++i) tmp[i] = th[i] + h * k3[i];
    rhs(tmp, k4);
    for (int i = 0; i < m; ++i) th[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  bid.assign(m, NAN);
  ask.assign(m, NAN);
  for (int i = 0; i < m; ++i) {
    if (i + 1 < m) bid[i] = th[i] - th[i + 1] + c;
    if (i > 0) ask[i] = th[i] - th[i - 1] + c;
  }
}

}  // namespace

TEST(AvellanedaStoikov, HandComputedQuotes) {
  // mid 100, q = 2, tau = 0.5: r = 100 - 2 * 0.1 * 4 * 0.5 = 99.6;
  // spread = 0.1 * 4 * 0.5 + 20 ln(16/15) = 0.2 + 1.29077042 = 1.49077042.
  EXPECT_NEAR(as_reservation_price(100, 2, 0, kAsParams, 0.5), 99.6, 1e-12);
  EXPECT_NEAR(as_spread(kAsParams, 0.5), 1.49077042, 1e-8);
  const auto qt = as_quotes(100, 2, 0, kAsParams, 0.5);
  EXPECT_NEAR(qt.bid, 99.6 - 0.74538521, 1e-8);
  EXPECT_NEAR(qt.ask, 99.6 + 0.74538521, 1e-8);
  // Drift 0.3 per second over tau = 0.5 moves both quotes up by 0.15.
  const auto qd = as_quotes(100, 2, 0.3, kAsParams, 0.5);
  EXPECT_NEAR(qd.bid - qt.bid, 0.15, 1e-12);
  EXPECT_NEAR(qd.ask - qt.ask, 0.15, 1e-12);
  // At the horizon and beyond (tau <= 0): no inventory skew, the risk-neutral-like spread.
  EXPECT_NEAR(as_reservation_price(100, 5, 1, kAsParams, -3), 100, 1e-12);
  EXPECT_NEAR(as_spread(kAsParams, -3), 1.29077042, 1e-8);
  // gamma -> 0: spread -> 2/k.
  EXPECT_NEAR(as_spread({1e-9, 2, 1.5, 140}, 0), 2 / 1.5, 1e-8);
  EXPECT_TRUE(mm_params_valid(kAsParams));
  EXPECT_FALSE(mm_params_valid({0, 2, 1.5, 140}));
  EXPECT_FALSE(mm_params_valid({0.1, 2, 1.5, NAN}));
}

TEST(Glft, ClosedFormHandValuesAndDrift) {
  // GLFT example: c = 100 ln(1 + 1/30), w = sqrt(0.09 * 0.01 / (2 * 0.3 * 0.9) (31/30)^31).
  const double c = 100 * std::log(31.0 / 30.0);
  const double w = std::sqrt(0.09 * 0.01 / 0.54 * std::pow(31.0 / 30.0, 31.0));
  const auto q0 = glft_quotes(1000, 0, 0, kGlftParams);
  EXPECT_NEAR(1000 - q0.bid, c + 0.5 * w, 1e-10);
  EXPECT_NEAR(q0.ask - 1000, c + 0.5 * w, 1e-10);
  const auto q3 = glft_quotes(1000, 3, 0, kGlftParams);
  EXPECT_NEAR(1000 - q3.bid, c + 3.5 * w, 1e-10);
  EXPECT_NEAR(q3.ask - 1000, c - 2.5 * w, 1e-10);
  // Gueant 2017: a drift mu acts as an inventory shift of -mu / (gamma sigma^2).
  const double mu = 0.0009;  // ticks per second: shift of 1 lot
  const auto qd = glft_quotes(1000, 3, mu, kGlftParams);
  const auto qs = glft_quotes(1000, 2, 0, kGlftParams);
  EXPECT_NEAR(qd.bid, qs.bid, 1e-9);
  EXPECT_NEAR(qd.ask, qs.ask, 1e-9);
}

TEST(Glft, HamiltonianSupremumMatchesBruteForce) {
  for (const auto& p : {kAsParams, kGlftParams})
    for (double dp : {-2.0, -0.3, 0.0, 0.7, 3.0}) {
      const double closed = eta_of(p) / p.k * std::exp(p.k * dp);
      EXPECT_NEAR(hamiltonian_brute(p, dp), closed, 1e-9 * closed) << dp;
    }
}

TEST(Glft, ExactMatchesTheNonlinearHjbIntegratedIndependently) {
  struct Case {
    MmParams p;
    int Q;
    double T;
    int steps;
  };
  for (const auto& cs : {Case{kGlftParams, 30, 60.0, 6000}, Case{kAsParams, 8, 1.0, 20000}}) {
    const auto ex = glft_exact(cs.p, cs.Q, cs.T);
    std::vector<double> bid, ask;
    hjb_rk4(cs.p, cs.Q, cs.T, cs.steps, bid, ask);
    ASSERT_EQ(ex.bid_depth.size(), bid.size());
    for (std::size_t i = 0; i < bid.size(); ++i) {
      if (i + 1 < bid.size()) {
        EXPECT_NEAR(ex.bid_depth[i], bid[i], 1e-8) << "q " << int(i) - cs.Q;
      }
      if (i > 0) {
        EXPECT_NEAR(ex.ask_depth[i], ask[i], 1e-8) << "q " << int(i) - cs.Q;
      }
    }
    EXPECT_TRUE(std::isnan(ex.bid_depth.back()));
    EXPECT_TRUE(std::isnan(ex.ask_depth.front()));
  }
  // T = 0: v = 1, both depths are the constant c.
  const auto z = glft_exact(kAsParams, 3, 0);
  EXPECT_NEAR(z.bid_depth[3], c_of(kAsParams), 1e-12);
}

TEST(Glft, AsymptoticMatchesEigenvectorAndLongHorizon) {
  for (const auto& p : {kGlftParams, kAsParams}) {
    const int Q = 20, n = 2 * Q + 1;
    const auto inf = glft_exact(p, Q, INFINITY);
    // Independent: the eigenvector of M's smallest eigenvalue by Eigen's symmetric eigensolver.
    Eigen::MatrixXd M = Eigen::MatrixXd::Zero(n, n);
    const double alpha = 0.5 * p.k * p.gamma * p.sigma * p.sigma, eta = eta_of(p);
    for (int i = 0; i < n; ++i) {
      M(i, i) = alpha * (i - Q) * (i - Q);
      if (i > 0) M(i, i - 1) = M(i - 1, i) = -eta;
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(M);
    Eigen::VectorXd f = es.eigenvectors().col(0);
    if (f(Q) < 0) f = -f;
    for (int i = 0; i + 1 < n; ++i) {
      const double db = std::log(f(i) / f(i + 1)) / p.k + c_of(p);
      // The eigensolver's absolute accuracy (~1e-16) bounds the ratio's accuracy where f is small.
      const double tol = 1e-12 / std::min(f(i), f(i + 1)) + 1e-9;
      EXPECT_NEAR(inf.bid_depth[i], db, tol) << "q " << i - Q;
    }
    // A long finite horizon converges to it.
    const auto lng = glft_exact(p, Q, 1e5);
    for (int i = 0; i + 1 < n; ++i) EXPECT_NEAR(lng.bid_depth[i], inf.bid_depth[i], 1e-9);
  }
}

TEST(Glft, ClosedFormApproximatesExactNearZeroInventory) {
  // The closed form is the leading term of the exact asymptotic quotes for a large inventory
  // bound: near q = 0 it should place each quote within a small fraction of one inventory step
  // w of the exact one; at the bound (where the closed form ignores the constraint) it must not.
  for (const auto& p : {kGlftParams, kAsParams}) {
    const int Q = 30;
    const auto ex = glft_exact(p, Q, INFINITY);
    const double w = std::sqrt(p.sigma * p.sigma * p.gamma / (2 * p.k * p.A) *
                               std::pow(1 + p.gamma / p.k, 1 + p.k / p.gamma));
    for (int q = -5; q <= 5; ++q) {
      const auto cq = glft_quotes(0, q, 0, p);
      const auto u = static_cast<std::size_t>(q + Q);
      EXPECT_NEAR(-cq.bid, ex.bid_depth[u], 0.1 * w) << "q " << q;
      EXPECT_NEAR(cq.ask, ex.ask_depth[u], 0.1 * w) << "q " << q;
    }
    const auto cb = glft_quotes(0, -Q, 0, p);
    EXPECT_GT(std::fabs(-cb.bid - ex.bid_depth[0]), w) << "the comparison must be able to fail";
  }
}

TEST(Glft, BadArgumentsThrow) {
  EXPECT_THROW(glft_exact({0, 1, 1, 1}, 5, 1), std::invalid_argument);
  EXPECT_THROW(glft_exact(kAsParams, 0, 1), std::invalid_argument);
  EXPECT_THROW(glft_exact(kAsParams, 5, -1), std::invalid_argument);
  EXPECT_THROW(glft_exact(kAsParams, 5, NAN), std::invalid_argument);
}

TEST(SnapQuotes, RoundsOutward) {
  auto s = snap_quotes({10050.0, 10150.0}, 100, 1, 0, 0);
  EXPECT_EQ(s.bid, 10000);
  EXPECT_EQ(s.ask, 10200);
  s = snap_quotes({10000.0, 10100.0}, 100, 1, 0, 0);  // on the grid: unchanged
  EXPECT_EQ(s.bid, 10000);
  EXPECT_EQ(s.ask, 10100);
}

TEST(SnapQuotes, MinimumSpread) {
  // 1 tick apart after snapping; 3 wanted: one tick on each side.
  auto s = snap_quotes({10010.0, 10020.0}, 100, 3, 0, 0);
  EXPECT_EQ(s.bid, 9900);
  EXPECT_EQ(s.ask, 10200);
  // 2 wanted: the extra tick goes where the pair stays nearest the continuous centre 10015.
  s = snap_quotes({10010.0, 10020.0}, 100, 2, 0, 0);
  EXPECT_EQ(s.bid, 9900);
  EXPECT_EQ(s.ask, 10100);
  s = snap_quotes({10080.0, 10090.0}, 100, 2, 0, 0);  // centre 10085: ask side
  EXPECT_EQ(s.bid, 10000);
  EXPECT_EQ(s.ask, 10200);
  // Equal quotes on the grid and min spread 0: still one tick (a pair must not lock itself).
  s = snap_quotes({10000.0, 10000.0}, 100, 0, 0, 0);
  EXPECT_EQ(s.ask - s.bid, 100);
  // Quotes given crossed (bid above ask) come back ordered.
  s = snap_quotes({10300.0, 10000.0}, 100, 1, 0, 0);
  EXPECT_LT(s.bid, s.ask);
  EXPECT_EQ(s.ask - s.bid, 100);
}

TEST(SnapQuotes, NeverCrossesTheOppositeBest) {
  auto s = snap_quotes({10250.0, 10400.0}, 100, 1, 10100, 10200);  // bid at the best ask
  EXPECT_EQ(s.bid, 10100);
  EXPECT_EQ(s.ask, 10400);
  s = snap_quotes({9700.0, 9850.0}, 100, 1, 9900, 10000);  // ask at the best bid
  EXPECT_EQ(s.ask, 10000);
  EXPECT_EQ(s.bid, 9700);
  s = snap_quotes({10250.0, 10400.0}, 100, 1, 0, 0);  // best unknown: no change
  EXPECT_EQ(s.bid, 10200);
  s = snap_quotes({10199.0, 10400.0}, 100, 1, 10100, 10200);  // just below the best ask: kept
  EXPECT_EQ(s.bid, 10100);
}

TEST(SnapQuotes, BadInputMeansNoQuote) {
  EXPECT_EQ(snap_quotes({100.0, 200.0}, 0, 1, 0, 0).bid, 0);
  EXPECT_EQ(snap_quotes({100.0, 200.0}, -5, 1, 0, 0).ask, 0);
  auto s = snap_quotes({NAN, 10100.0}, 100, 1, 0, 0);
  EXPECT_EQ(s.bid, 0);
  EXPECT_EQ(s.ask, 10100);
  s = snap_quotes({10000.0, INFINITY}, 100, 1, 0, 0);
  EXPECT_EQ(s.bid, 10000);
  EXPECT_EQ(s.ask, 0);
  s = snap_quotes({-50.0, 100.0}, 100, 1, 0, 0);  // a bid at or below 0 is no bid
  EXPECT_EQ(s.bid, 0);
  EXPECT_EQ(s.ask, 100);
  s = snap_quotes({1e300, 2e300}, 100, 1, 0, 0);  // out of range
  EXPECT_EQ(s.bid, 0);
  EXPECT_EQ(s.ask, 0);
}

namespace {

// Poisson trades at rate A, depth ~ Exp(k): the rate of trades reaching depth >= d is A e^{-k d}.
void feed(ArrivalEstimator& e, double A, double k, double seconds, std::mt19937_64& rng) {
  std::exponential_distribution<double> gap(A), depth(k);
  double t = 0;
  for (;;) {
    const double g = gap(rng);
    if (t + g > seconds) {
      e.on_time(seconds - t);
      return;
    }
    t += g;
    e.on_time(g);
    e.on_trade(depth(rng));
  }
}

}  // namespace

TEST(ArrivalEstimator, RecoversAAndKFromAPoissonStream) {
  std::mt19937_64 rng(42);
  ArrivalEstimator e(0.25, 24, 0.0);
  double A = 0, k = 0;
  EXPECT_FALSE(e.fit(A, k));  // nothing seen yet
  feed(e, 50.0, 1.5, 2000.0, rng);  // ~100000 trades
  ASSERT_TRUE(e.fit(A, k));
  // Standard errors: k ~ 1.5 / sqrt(1e5) ~ 0.3%, A ~ 0.5%; 3% leaves a wide margin.
  EXPECT_NEAR(k, 1.5, 0.03 * 1.5);
  EXPECT_NEAR(A, 50.0, 0.03 * 50.0);
  EXPECT_EQ(e.rejected, 0u);
  std::printf("estimated A %.3f (50), k %.4f (1.5) from %llu trades\n", A, k,
              static_cast<unsigned long long>(e.trades));
}

TEST(ArrivalEstimator, ForgettingFollowsAChange) {
  std::mt19937_64 rng(7);
  ArrivalEstimator e(0.25, 32, 100.0);  // half-life 100 s
  feed(e, 50.0, 1.5, 1000.0, rng);
  double A = 0, k = 0;
  ASSERT_TRUE(e.fit(A, k));
  EXPECT_NEAR(k, 1.5, 0.05 * 1.5);
  feed(e, 80.0, 1.0, 1500.0, rng);  // 15 half-lives: the old regime weighs 3e-5
  ASSERT_TRUE(e.fit(A, k));
  EXPECT_NEAR(k, 1.0, 0.06);
  EXPECT_NEAR(A, 80.0, 0.06 * 80.0);
  // Effective exposure: half_life / ln 2 = 144 s at most.
  EXPECT_LT(e.exposure_s, 100.0 / std::log(2.0) + 1e-9);
  EXPECT_GT(e.exposure_s, 144.0);
}

TEST(ArrivalEstimator, RejectsBadInputAndConfig) {
  ArrivalEstimator e(0.5, 8, 0.0);
  e.on_trade(-1.0);
  e.on_trade(NAN);
  e.on_trade(1.0, 0.0);
  e.on_time(-1.0);
  e.on_time(INFINITY);
  EXPECT_EQ(e.rejected, 5u);
  EXPECT_EQ(e.trades, 0u);
  e.on_trade(1e9);  // far beyond the last bucket: counted there
  EXPECT_EQ(e.count[7], 1.0);
  double A = 0, k = 0;
  EXPECT_FALSE(e.fit(A, k));  // no exposure, one bucket
  EXPECT_THROW(ArrivalEstimator(0.0, 8, 0.0), std::invalid_argument);
  EXPECT_THROW(ArrivalEstimator(0.5, 1, 0.0), std::invalid_argument);
  EXPECT_THROW(ArrivalEstimator(0.5, ArrivalEstimator::kMaxBuckets + 1, 0.0), std::invalid_argument);
}
