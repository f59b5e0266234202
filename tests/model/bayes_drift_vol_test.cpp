// BayesDriftVol against independent references: the batch Normal-Inverse-Gamma posterior from the
// sample's sums (with and without exponential weights), published Student-t and chi-square
// quantiles, and the frequentist coverage of the credible intervals over simulated seeds.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "hft/model/bayes_drift_vol.hpp"

namespace hft::model {
namespace {

struct Batch {
  double m, V, a, b;
};

// Conjugate posterior from weighted sums: observation i weighted w_i = d^(n-1-i), prior d^n.
Batch batch_posterior(const std::vector<double>& r, double m0, double V0, double a0, double b0, double d) {
  const std::size_t n = r.size();
  double sw = 0, swy = 0, swy2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = std::pow(d, static_cast<double>(n - 1 - i));
    sw += w;
    swy += w * r[i];
    swy2 += w * r[i] * r[i];
  }
  const double dn = std::pow(d, static_cast<double>(n));
  const double k0 = dn / V0, k = k0 + sw;
  const double m = (k0 * m0 + swy) / k;
  return {m, 1 / k, dn * a0 + 0.5 * sw, dn * b0 + 0.5 * (swy2 + k0 * m0 * m0 - k * m * m)};
}

TEST(BayesDriftVol, EqualsBatchPosterior) {
  std::mt19937_64 g(7);
  std::normal_distribution<double> nd(0.02, 0.5);
  for (double d : {1.0, 0.99, 0.9}) {
    std::vector<double> r;
    BayesDriftVol est(0.1, 2.0, 3.0, 0.4, d);
    for (int i = 0; i < 400; ++i) {
      r.push_back(nd(g));
      ASSERT_TRUE(est.update(r.back()));
    }
    const Batch b = batch_posterior(r, 0.1, 2.0, 3.0, 0.4, d);
    EXPECT_NEAR(est.m(), b.m, 1e-12) << d;
    EXPECT_NEAR(est.V(), b.V, 1e-12 * b.V) << d;
    EXPECT_NEAR(est.a(), b.a, 1e-10 * b.a) << d;
    EXPECT_NEAR(est.b(), b.b, 1e-9 * b.b) << d;
    EXPECT_EQ(est.n(), 400u);
  }
}

TEST(BayesDriftVol, QuantilesMatchPublishedTables) {
  // Student-t 97.5% points (standard tables): nu = 1, 5, 10, 30.
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062047362, 1e-8);
  EXPECT_NEAR(student_t_quantile(0.975, 5), 2.5705818366, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.2281388520, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.0422724563, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.025, 10), -2.2281388520, 1e-9);
  // chi-square(10) 2.5% and 97.5% points 3.246973, 20.483177: Gamma(5, 1) = chi2(10) / 2.
  EXPECT_NEAR(2 * gamma_quantile(0.025, 5), 3.246973, 1e-6);
  EXPECT_NEAR(2 * gamma_quantile(0.975, 5), 20.483177, 1e-6);
  EXPECT_NEAR(gamma_p(1, 2), 1 - std::exp(-2), 1e-14);  // exponential
}

TEST(BayesDriftVol, CredibleIntervalsCoverAtTheirLevel) {
  const int runs = 2000, n = 200;
  const double mu = 0.3, sigma = 2;
  int cover_m = 0, cover_s = 0, cover_pred = 0;
  for (int s = 0; s < runs; ++s) {
    std::mt19937_64 g(100 + static_cast<std::uint64_t>(s));
    std::normal_distribution<double> nd(mu, sigma);
    BayesDriftVol est(0, 1e6, 1e-3, 1e-3);
    for (int i = 0; i < n; ++i) est.update(nd(g));
    const auto im = est.drift_interval(0.95), is = est.sigma_interval(0.95), ip = est.predictive_interval(0.95);
    cover_m += im.lo <= mu && mu <= im.hi;
    cover_s += is.lo <= sigma && sigma <= is.hi;
    const double next = nd(g);
    cover_pred += ip.lo <= next && next <= ip.hi;
  }
  const double sd = std::sqrt(0.95 * 0.05 / runs);
  const double fm = cover_m / double(runs), fs = cover_s / double(runs), fp = cover_pred / double(runs);
  std::printf("coverage of 95%% intervals over %d runs: drift %.4f, sigma %.4f, next return %.4f (binomial sd %.4f)\n",
              runs, fm, fs, fp, sd);
  EXPECT_NEAR(fm, 0.95, 4 * sd);
  EXPECT_NEAR(fs, 0.95, 4 * sd);
  EXPECT_NEAR(fp, 0.95, 4 * sd);
}

TEST(BayesDriftVol, ForgettingTracksAChangeAndMomentsAreRight) {
  std::mt19937_64 g(3);
  std::normal_distribution<double> a(0, 1), b(1, 1);
  BayesDriftVol keep(0, 100, 1, 1), forget(0, 100, 1, 1, 0.98);
  for (int i = 0; i < 2000; ++i) keep.update(a(g)), forget.update(a(g));
  for (int i = 0; i < 2000; ++i) {
    const double r = b(g);
    keep.update(r);
    forget.update(r);
  }
  EXPECT_NEAR(forget.m(), 1, 0.35);  // memory ~50 returns: sd ~ 0.14
  EXPECT_NEAR(keep.m(), 0.5, 0.1);
  EXPECT_NEAR(forget.dof(), 2 * (0.5 / (1 - 0.98)), 1e-6);  // a -> 1/(2(1-d))
  // E s and E s^2 of the InvGamma posterior: E s^2 >= (E s)^2 and both near the true 1 (+ the
  // change's spread for the full-memory one).
  EXPECT_GT(forget.sigma2_mean(), forget.sigma_mean() * forget.sigma_mean());
  EXPECT_NEAR(forget.sigma_mean(), 1, 0.3);
  EXPECT_FALSE(forget.update(std::nan("")));
  EXPECT_THROW(BayesDriftVol(0, 1, 1, 1, 0), std::invalid_argument);
  EXPECT_THROW(BayesDriftVol(0, -1, 1, 1), std::invalid_argument);
}

}  // namespace
}  // namespace hft::model
