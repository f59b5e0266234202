// Realised-volatility quantiles, variance ratio and rolling AR(1): each streaming value against a
// direct batch recomputation from the window written here (relative 1e-9), plus known answers
// (numpy's quantiles, the AR(1) variance ratio formula, a random walk).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "hft/regime/mean_reversion.hpp"
#include "hft/regime/vol_regime.hpp"

using namespace hft::regime;

namespace {

// Reference type-7 quantile written out independently of the library.
double ref_quantile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1) * p;
  const double fl = std::floor(h);
  const auto i = static_cast<std::size_t>(fl);
  const double lo = v[i], hi = v[std::min(i + 1, v.size() - 1)];
  return lo + (h - fl) * (hi - lo);
}

// Returns with regime-switching volatility, so the windows see very different scales.
std::vector<double> switching_returns(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> r(n);
  double vol = 1e-4;
  for (std::size_t t = 0; t < n; ++t) {
    if (t % 700 == 0) vol = (t / 700) % 3 == 0 ? 1e-4 : ((t / 700) % 3 == 1 ? 5e-4 : 2e-5);
    r[t] = 2e-6 + vol * z(rng);
  }
  return r;
}

// Batch variance ratio from its definition on the window w (oldest first).
double batch_vr(const std::vector<double>& w, std::size_t q) {
  const std::size_t n = w.size();
  double mu = 0;
  for (double v : w) mu += v;
  mu /= static_cast<double>(n);
  double sa = 0;
  for (double v : w) sa += (v - mu) * (v - mu);
  sa /= static_cast<double>(n - 1);
  double sc = 0;
  for (std::size_t t = q - 1; t < n; ++t) {
    double R = 0;
    for (std::size_t j = 0; j < q; ++j) R += w[t - j];
    sc += (R - static_cast<double>(q) * mu) * (R - static_cast<double>(q) * mu);
  }
  const double qd = static_cast<double>(q), nd = static_cast<double>(n);
  sc /= qd * (nd - qd + 1) * (1 - qd / nd);
  return sc / sa;
}

// Batch OLS slope of w[t] on w[t-1] with centred sums.
double batch_phi(const std::vector<double>& w) {
  const std::size_t n = w.size() - 1;
  double mx = 0, my = 0;
  for (std::size_t t = 1; t <= n; ++t) {
    mx += w[t - 1];
    my += w[t];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (std::size_t t = 1; t <= n; ++t) {
    sxy += (w[t - 1] - mx) * (w[t] - my);
    sxx += (w[t - 1] - mx) * (w[t - 1] - mx);
  }
  return sxy / sxx;
}

std::vector<double> simulate_ar1(double phi, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1e-4);
  std::vector<double> r(n);
  double x = 0;
  for (std::size_t t = 0; t < n + 100; ++t) {
    x = phi * x + z(rng);
    if (t >= 100) r[t - 100] = x;
  }
  return r;
}

}  // namespace

TEST(VolRegime, QuantilesMatchNumpyValues) {
  QuantileRegimes q(10, {0.25, 0.5, 0.75});
  for (double v : {7.0, 3.0, 10.0, 1.0, 5.0, 9.0, 2.0, 8.0, 4.0, 6.0}) q.add_warmup(v);
  ASSERT_TRUE(q.ready());
  // numpy.quantile(range(1, 11), [0.25, 0.5, 0.75]) = [3.25, 5.5, 7.75]
  EXPECT_DOUBLE_EQ(q.cuts()[0], 3.25);
  EXPECT_DOUBLE_EQ(q.cuts()[1], 5.5);
  EXPECT_DOUBLE_EQ(q.cuts()[2], 7.75);
  EXPECT_EQ(q.classify(3.0), 0);
  EXPECT_EQ(q.classify(3.25), 1);
  EXPECT_EQ(q.classify(6.0), 2);
  EXPECT_EQ(q.classify(100.0), 3);
  EXPECT_DOUBLE_EQ(q.rank(5.0), 0.5);
  EXPECT_DOUBLE_EQ(q.rank(0.0), 0.0);
  EXPECT_DOUBLE_EQ(q.rank(10.0), 1.0);

  QuantileRegimes t(11);  // terciles of {3,1,4,1,5,9,2,6,5,3,5}: numpy gives [3, 5]
  for (double v : {3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0}) t.add_warmup(v);
  EXPECT_DOUBLE_EQ(t.cuts()[0], 3.0);
  EXPECT_DOUBLE_EQ(t.cuts()[1], 5.0);
}

TEST(VolRegime, WarmupQuantilesAndClassificationMatchSortedVector) {
  const auto r = switching_returns(20000, 5);
  RollingRealizedVol rv(60);
  QuantileRegimes q(3000);
  q.add_warmup(NAN);  // counted, skipped
  EXPECT_EQ(q.rejected(), 1u);
  std::vector<double> warm;
  double lo = 0, hi = 0;
  std::size_t buckets[3] = {0, 0, 0};
  std::size_t checked = 0;
  for (std::size_t t = 0; t < r.size(); ++t) {
    rv.add(r[t]);
    if (!rv.ready()) continue;
    double ss = 0;
    for (std::size_t j = t + 1 - 60; j <= t; ++j) ss += r[j] * r[j];
    const double ref_rv = std::sqrt(ss / 60);
    ASSERT_NEAR(rv.value(), ref_rv, 1e-9 * ref_rv) << t;
    if (!q.ready()) {
      warm.push_back(rv.value());
      q.add_warmup(rv.value());
      continue;
    }
    if (checked == 0) {
      ASSERT_EQ(warm.size(), 3000u);
      lo = ref_quantile(warm, 1.0 / 3);
      hi = ref_quantile(warm, 2.0 / 3);
      EXPECT_NEAR(q.cuts()[0], lo, 1e-15);
      EXPECT_NEAR(q.cuts()[1], hi, 1e-15);
    }
    const double v = rv.value();
    EXPECT_EQ(q.classify(v), (v >= lo) + (v >= hi)) << t;
    ++buckets[static_cast<std::size_t>(q.classify(v))];
    if (checked % 97 == 0) {  // counting 3000 values: sample it
      const double below = static_cast<double>(std::count_if(warm.begin(), warm.end(),
                                                             [&](double w) { return w <= v; }));
      EXPECT_DOUBLE_EQ(q.rank(v), below / 3000.0);
    }
    ++checked;
  }
  EXPECT_GT(checked, 10000u);
  // The series switches between three volatility levels: every bucket is used.
  EXPECT_GT(buckets[0], 2000u);
  EXPECT_GT(buckets[1], 2000u);
  EXPECT_GT(buckets[2], 2000u);
}

TEST(MeanReversion, RollingEqualsBatchRecomputation) {
  const auto r = switching_returns(6000, 11);
  RollingVarianceRatio vr(300, 5);
  RollingAR1 ar(250);
  std::vector<double> all;
  double worst_vr = 0, worst_phi = 0;
  for (std::size_t t = 0; t < r.size(); ++t) {
    vr.add(r[t]);
    ar.add(r[t]);
    all.push_back(r[t]);
    if (all.size() < 300) {
      EXPECT_FALSE(vr.ready());
      EXPECT_TRUE(std::isnan(vr.ratio()));
    }
    if (vr.ready() && t % 7 == 0) {
      const std::vector<double> w(all.end() - 300, all.end());
      const double ref = batch_vr(w, 5);
      const double err = std::abs(vr.ratio() - ref) / std::max(1.0, std::abs(ref));
      worst_vr = std::max(worst_vr, err);
      ASSERT_LT(err, 1e-9) << t;
    }
    if (ar.ready() && t % 7 == 0) {
      const std::vector<double> w(all.end() - 251, all.end());
      const double ref = batch_phi(w);
      const double err = std::abs(ar.phi() - ref) / std::max(1.0, std::abs(ref));
      worst_phi = std::max(worst_phi, err);
      ASSERT_LT(err, 1e-9) << t;
    }
  }
  std::printf("rolling vs batch: worst relative error VR %.3g, AR(1) phi %.3g\n", worst_vr, worst_phi);
}

TEST(MeanReversion, SimulatedAr1AndRandomWalk) {
  // Population VR(q) of an AR(1) in returns: 1 + 2 sum_{k=1}^{q-1} (1 - k/q) phi^k.
  auto theory = [](double phi, int q) {
    double s = 0;
    for (int k = 1; k < q; ++k) s += (1.0 - static_cast<double>(k) / q) * std::pow(phi, k);
    return 1 + 2 * s;
  };
  for (double phi : {0.5, -0.3, 0.0}) {
    const auto r = simulate_ar1(phi, 20000, 42 + static_cast<std::uint64_t>(phi * 10 + 10));
    RollingVarianceRatio vr(20000, 5);
    RollingAR1 ar(19999);
    for (double v : r) {
      vr.add(v);
      ar.add(v);
    }
    std::printf("AR(1) phi=%+.1f: VR(5) %.4f (theory %.4f, z %+.1f), phi_hat %+.4f (t %+.1f)\n", phi,
                vr.ratio(), theory(phi, 5), vr.z(), ar.phi(), ar.t_stat());
    EXPECT_NEAR(vr.ratio(), theory(phi, 5), 0.08) << phi;
    EXPECT_NEAR(ar.phi(), phi, 0.03) << phi;
    if (phi == 0.0) {
      EXPECT_LT(std::abs(vr.z()), 3.5);
    } else if (phi > 0) {
      EXPECT_GT(vr.z(), 10);
    } else {
      EXPECT_LT(vr.z(), -10);
    }
  }
  // Under a random walk the z statistic is about N(0,1): over 1000 disjoint windows of 400,
  // roughly 5% exceed 1.96 (1000 windows: 50 expected, sd 7).
  std::mt19937_64 rng(7);
  std::normal_distribution<double> z(0.0, 1.0);
  RollingVarianceRatio vr(400, 4);
  int big = 0, windows = 0;
  for (int t = 1; t <= 400000; ++t) {
    vr.add(z(rng));
    if (t % 400 == 0) {
      ++windows;
      big += std::abs(vr.z()) > 1.96;
    }
  }
  std::printf("random walk: %d of %d windows with |z| > 1.96\n", big, windows);
  EXPECT_GE(big, 25);
  EXPECT_LE(big, 80);
}
