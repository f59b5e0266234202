// BOCPD: the Student-t predictive against its closed form and against numerical integration of
// the Normal-Gamma mixture; the run-length posterior against a brute-force implementation written
// here (batch posteriors, no bound); the bound on a long quiet series; and detection quality on
// simulated series with known change points (precision, recall, delay printed and asserted).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "hft/regime/bocpd.hpp"

using namespace hft::regime;

namespace {

// Student-t density written from the textbook formula with tgamma and pow.
double t_density(double x, double mu, double kappa, double alpha, double beta) {
  const double nu = 2 * alpha, s2 = beta * (kappa + 1) / (alpha * kappa);
  return std::tgamma((nu + 1) / 2) / (std::tgamma(nu / 2) * std::sqrt(nu * M_PI * s2)) *
         std::pow(1 + (x - mu) * (x - mu) / (nu * s2), -(nu + 1) / 2);
}

// The same predictive as a mixture: integral over the precision tau of
// N(x | mu, (1 + 1/kappa) / tau) Gamma(tau | alpha, rate beta), by Simpson's rule on log tau.
double mixture_density(double x, double mu, double kappa, double alpha, double beta) {
  const int n = 20000;
  const double lo = std::log(1e-8), hi = std::log(1e4), h = (hi - lo) / n;
  double s = 0;
  for (int i = 0; i <= n; ++i) {
    const double tau = std::exp(lo + i * h);
    const double var = (1 + 1 / kappa) / tau;
    const double normal = std::exp(-(x - mu) * (x - mu) / (2 * var)) / std::sqrt(2 * M_PI * var);
    const double gamma = std::exp(alpha * std::log(beta) - std::lgamma(alpha) +
                                  (alpha - 1) * std::log(tau) - beta * tau);
    const double w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
    s += w * normal * gamma * tau;  // d tau = tau d log tau
  }
  return s * h / 3;
}

struct NG {
  double mu, kappa, alpha, beta;
};
// Batch Normal-Gamma posterior of observations x[from, to).
NG batch_posterior(const std::vector<double>& x, std::size_t from, std::size_t to, const NormalGammaPrior& p) {
  const double n = static_cast<double>(to - from);
  if (to == from) return {p.mu0, p.kappa0, p.alpha0, p.beta0};
  double mean = 0;
  for (std::size_t i = from; i < to; ++i) mean += x[i];
  mean /= n;
  double ss = 0;
  for (std::size_t i = from; i < to; ++i) ss += (x[i] - mean) * (x[i] - mean);
  return {(p.kappa0 * p.mu0 + n * mean) / (p.kappa0 + n), p.kappa0 + n, p.alpha0 + n / 2,
          p.beta0 + 0.5 * ss + p.kappa0 * n * (mean - p.mu0) * (mean - p.mu0) / (2 * (p.kappa0 + n))};
}

struct Series {
  std::vector<double> x;
  std::vector<std::size_t> changes;  // index of the first observation of each new segment
};

// Segments of 100..300 observations; at each change the mean moves by 1..2.5 current standard
// deviations, or the standard deviation is multiplied or divided by 2.5..3.5, or both.
Series simulate_segments(std::uint64_t seed, int segments) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> len(100, 300), kind(0, 2), sign(0, 1);
  std::uniform_real_distribution<double> shift(1.0, 2.5), factor(2.5, 3.5);
  std::normal_distribution<double> z(0.0, 1.0);
  Series s;
  double mu = 0, sd = 1;
  for (int k = 0; k < segments; ++k) {
    if (k > 0) {
      s.changes.push_back(s.x.size());
      const int kd = kind(rng);
      if (kd != 1) mu += (sign(rng) ? 1 : -1) * shift(rng) * sd;
      if (kd != 0) {
        double f = factor(rng);
        // keep the scale within [0.25, 4] so the prior stays sensible
        if (sd * f > 4 || (sign(rng) && sd / f >= 0.25)) f = 1 / f;
        sd *= f;
      }
      if (std::abs(mu) > 6) mu = 0;  // stay near the prior's location
    }
    const int n = len(rng);
    for (int i = 0; i < n; ++i) s.x.push_back(mu + sd * z(rng));
  }
  return s;
}

}  // namespace

TEST(Bocpd, PredictiveMatchesClosedFormAndMixtureIntegral) {
  const NG cases[] = {{0.0, 0.1, 1.0, 1.0}, {1.5, 3.0, 2.5, 0.7}, {-0.3, 20.0, 10.5, 12.0}};
  for (const NG& c : cases) {
    for (double x : {-3.0, -0.5, 0.0, 0.4, 2.0, 7.5}) {
      const double lp = normal_gamma_log_predictive(x, c.mu, c.kappa, c.alpha, c.beta);
      const double direct = t_density(x, c.mu, c.kappa, c.alpha, c.beta);
      EXPECT_NEAR(std::exp(lp), direct, 1e-12 * std::max(1.0, direct)) << x;
      EXPECT_NEAR(std::exp(lp) / mixture_density(x, c.mu, c.kappa, c.alpha, c.beta), 1.0, 1e-6) << x;
    }
  }
}

TEST(Bocpd, RunLengthPosteriorMatchesBruteForce) {
  // Two segments; the bound (64 bins) is never reached in 60 observations, so the streaming
  // posterior must equal the exact one.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> x;
  for (int i = 0; i < 30; ++i) x.push_back(0.2 + 0.8 * z(rng));
  for (int i = 0; i < 30; ++i) x.push_back(2.5 + 1.5 * z(rng));
  BocpdConfig cfg;
  cfg.max_run = 64;
  cfg.hazard = 0.02;
  cfg.prior = {0.1, 0.5, 2.0, 1.5};
  Bocpd b(cfg);
  // Brute force: log joint over run lengths 0..t, each predictive from the batch posterior of
  // the last r observations.
  std::vector<double> lj{0.0};  // log P(r_0 = 0) = 0
  double worst = 0;
  for (std::size_t t = 0; t < x.size(); ++t) {
    std::vector<double> next(lj.size() + 1);
    std::vector<double> lpr(lj.size());
    for (std::size_t r = 0; r < lj.size(); ++r) {
      const NG p = batch_posterior(x, t - r, t, cfg.prior);
      lpr[r] = lj[r] + std::log(t_density(x[t], p.mu, p.kappa, p.alpha, p.beta));
    }
    double cp = 0;
    for (double v : lpr) cp += std::exp(v);
    next[0] = std::log(cp) + std::log(cfg.hazard);
    for (std::size_t r = 0; r < lpr.size(); ++r) next[r + 1] = lpr[r] + std::log(1 - cfg.hazard);
    double z0 = 0;
    for (double v : next) z0 += std::exp(v);
    for (double& v : next) v -= std::log(z0);
    lj = next;
    b.update(x[t]);
    ASSERT_EQ(b.active_bins(), lj.size());
    const auto lp = b.log_run_probs();
    std::size_t ref_map = 0;
    for (std::size_t r = 0; r < lj.size(); ++r) {
      worst = std::max(worst, std::abs(std::exp(lp[r]) - std::exp(lj[r])));
      if (lj[r] > lj[ref_map]) ref_map = r;
      // Posterior statistics of each run length equal the batch posterior.
      const NG p = batch_posterior(x, t + 1 - r, t + 1, cfg.prior);
      const auto q = b.posterior(r);
      ASSERT_NEAR(q.mu, p.mu, 1e-12 * (1 + std::abs(p.mu)));
      ASSERT_NEAR(q.beta, p.beta, 1e-10 * p.beta);
      ASSERT_DOUBLE_EQ(q.kappa, p.kappa);
      ASSERT_DOUBLE_EQ(q.alpha, p.alpha);
    }
    EXPECT_EQ(b.map_run(), ref_map) << t;
    EXPECT_NEAR(b.p_r0(), cfg.hazard, 1e-12);  // constant hazard
  }
  EXPECT_LT(worst, 1e-12);
  // The change at observation 30 is found: by the end the MAP segment starts there.
  EXPECT_NEAR(static_cast<double>(b.map_run()), 30.0, 3.0);
}

TEST(Bocpd, BoundedRunLengthKeepsLongSegment) {
  // 2000 quiet observations with 32 bins: the capped bin must hold the mass (plain truncation
  // would drop it once the segment outlives the bound and the rest would look like a change), so
  // the bounded detector reports no more changes than an effectively unbounded one (2100 bins).
  std::size_t capped_total = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    BocpdConfig cfg;
    cfg.max_run = 32;
    Bocpd b(cfg);
    cfg.max_run = 2100;
    Bocpd full(cfg);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z(0.0, 1.0);
    for (int i = 0; i < 2000; ++i) {
      const double v = z(rng);
      b.update(v);
      full.update(v);
    }
    EXPECT_LE(b.changes(), full.changes() + 1) << seed;
    capped_total += b.changes();
    EXPECT_EQ(b.active_bins(), 32u);
    EXPECT_EQ(b.map_run(), 31u);
    EXPECT_EQ(full.map_run(), 2000u);
    EXPECT_LT(b.p_recent(), 0.05);
    EXPECT_NEAR(b.p_recent(), full.p_recent(), 1e-3);
    if (seed == 1) {
      b.update(NAN);
      EXPECT_EQ(b.rejected(), 1u);
      // A level shift is still found after the bound was reached.
      bool found = false;
      for (int i = 0; i < 40 && !found; ++i) found = b.update(5 + z(rng));
      EXPECT_TRUE(found);
    }
  }
  EXPECT_LE(capped_total, 4u);
}

// R_max 64 is the engine's default (config cp_max_run): longer runs share the capped bin, which
// keeps their statistics; 400 bounds nothing on these segments (100..300 observations).
class BocpdDetection : public ::testing::TestWithParam<std::size_t> {};

TEST_P(BocpdDetection, DetectsKnownChangePoints) {
  // A detection is true if it falls within D = 50 observations at or after a true change not yet
  // matched; every other detection is false. Ten seeds, 20 segments each.
  const std::size_t D = 50;
  BocpdConfig cfg;
  cfg.max_run = GetParam();
  cfg.hazard = 1.0 / 500;  // deliberately below the true rate (1/200): fewer false alarms
  cfg.prior = {0.0, 0.1, 1.0, 1.0};
  std::size_t tp = 0, fp = 0, total = 0;
  double delay_sum = 0;
  std::vector<std::size_t> delays;
  std::printf("BOCPD detection (R_max=%zu, hazard=1/500, D=%zu):\n", cfg.max_run, D);
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const Series s = simulate_segments(seed * 101, 20);
    Bocpd b(cfg);
    std::vector<bool> matched(s.changes.size(), false);
    std::size_t stp = 0, sfp = 0;
    for (std::size_t t = 0; t < s.x.size(); ++t) {
      if (!b.update(s.x[t])) continue;
      bool hit = false;
      for (std::size_t k = 0; k < s.changes.size(); ++k) {
        if (!matched[k] && t >= s.changes[k] && t < s.changes[k] + D) {
          matched[k] = hit = true;
          delays.push_back(t - s.changes[k]);
          delay_sum += static_cast<double>(t - s.changes[k]);
          break;
        }
      }
      hit ? ++stp : ++sfp;
    }
    std::printf("  seed %2llu: %zu changes, %zu detected, %zu false\n",
                static_cast<unsigned long long>(seed), s.changes.size(), stp, sfp);
    tp += stp;
    fp += sfp;
    total += s.changes.size();
  }
  const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
  const double recall = static_cast<double>(tp) / static_cast<double>(total);
  const double mean_delay = delay_sum / static_cast<double>(tp);
  std::sort(delays.begin(), delays.end());
  std::printf("  total: %zu changes, %zu true detections, %zu false: precision %.3f recall %.3f "
              "mean delay %.1f obs (median %zu, 90%% %zu)\n",
              total, tp, fp, precision, recall, mean_delay, delays[delays.size() / 2],
              delays[delays.size() * 9 / 10]);
  EXPECT_GE(recall, 0.9);
  EXPECT_GE(precision, 0.9);
  EXPECT_LE(mean_delay, 12.0);
}

INSTANTIATE_TEST_SUITE_P(Rmax, BocpdDetection, ::testing::Values(std::size_t{64}, std::size_t{400}));
