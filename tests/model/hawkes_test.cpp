// Exponential Hawkes process: the O(n) likelihood against a direct O(n^2) sum and against
// Ozaki's univariate formula, the analytic gradient against finite differences, the simulation's
// mean rates against (I - K)^-1 mu, maximum-likelihood recovery of known parameters within a
// multiple of the reported standard errors, time-rescaling residuals, the streaming intensity
// against the direct sum, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "hft/model/hawkes.hpp"

namespace hft::model {
namespace {

// lambda_m(t) by the definition: every event strictly before t.
double direct_intensity(const HawkesParams& p, const std::vector<double>& t, const std::vector<std::uint8_t>& m,
                        int dim, double at) {
  double lam = p.mu[static_cast<std::size_t>(dim)];
  for (std::size_t l = 0; l < t.size() && t[l] < at; ++l)
    lam += p.alpha[static_cast<std::size_t>(dim)][m[l]] * std::exp(-p.beta * (at - t[l]));
  return lam;
}

// Lambda_i(at) = mu_i at + sum_{t_l < at} alpha_i,m_l / beta (1 - e^{-beta (at - t_l)}), term by term.
double direct_compensator(const HawkesParams& p, const std::vector<double>& t, const std::vector<std::uint8_t>& m,
                          int dim, double at) {
  double c = p.mu[static_cast<std::size_t>(dim)] * at;
  for (std::size_t l = 0; l < t.size() && t[l] < at; ++l)
    c += p.alpha[static_cast<std::size_t>(dim)][m[l]] / p.beta * (1 - std::exp(-p.beta * (at - t[l])));
  return c;
}

double direct_loglik(const HawkesParams& p, const std::vector<double>& t, const std::vector<std::uint8_t>& m,
                     double T) {
  double ll = 0;
  for (std::size_t k = 0; k < t.size(); ++k) ll += std::log(direct_intensity(p, t, m, m[k], t[k]));
  for (int i = 0; i < p.dim; ++i) ll -= direct_compensator(p, t, m, i, T);
  return ll;
}

HawkesParams bivariate() {
  HawkesParams p;
  p.dim = 2;
  p.mu = {0.4, 0.3};
  p.alpha = {{{1.0, 0.4}, {0.3, 0.8}}};
  p.beta = 2.5;
  return p;
}

HawkesParams univariate() {
  HawkesParams p;
  p.dim = 1;
  p.mu = {0.5, 0};
  p.alpha = {{{1.5, 0}, {0, 0}}};
  p.beta = 3.0;
  return p;
}

// A small hand-made bivariate set with ties inside and across dimensions, one event at 0 and
// one at T.
struct Small {
  std::vector<double> t = {0.0, 0.13, 0.13, 0.5, 0.51, 0.51, 0.9, 1.7, 1.7001, 2.2, 2.2, 3.05, 3.9, 4.0};
  std::vector<std::uint8_t> m = {0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0};
  double T = 4.0;
};

TEST(Hawkes, LoglikMatchesDirectSum) {
  const Small s;
  for (const auto& p : {bivariate(), [] {
                          auto q = bivariate();
                          q.beta = 0.2;
                          q.alpha[0][1] = 0;
                          return q;
                        }()}) {
    const double fast = hawkes_loglik(p, s.t, s.m, s.T);
    const double ref = direct_loglik(p, s.t, s.m, s.T);
    std::printf("bivariate, beta %g: recursion %.15g, direct %.15g\n", p.beta, fast, ref);
    EXPECT_NEAR(fast, ref, 1e-9 * std::abs(ref));
  }
  // Univariate: the same times as one dimension.
  const std::vector<std::uint8_t> zeros(s.t.size(), 0);
  const auto u = univariate();
  const double fast = hawkes_loglik(u, s.t, {}, s.T);
  const double ref = direct_loglik(u, s.t, zeros, s.T);
  EXPECT_NEAR(fast, ref, 1e-9 * std::abs(ref));
}

// Ozaki (1979) as written in REFERENCES.md (no ties there: R(i) = e^{-b dt}(1 + R(i-1))).
TEST(Hawkes, UnivariateMatchesOzakiFormula) {
  const std::vector<double> t = {0.2, 0.35, 1.1, 1.15, 1.19, 2.8, 3.3, 4.7, 5.0, 5.01, 6.4};
  const double T = 7.0;
  const auto p = univariate();
  const double mu = p.mu[0], a = p.alpha[0][0], b = p.beta;
  double l = -mu * T, R = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i > 0) R = std::exp(-b * (t[i] - t[i - 1])) * (1 + R);
    l += (a / b) * (std::exp(-b * (T - t[i])) - 1) + std::log(mu + a * R);
  }
  EXPECT_NEAR(hawkes_loglik(p, t, {}, T), l, 1e-12 * std::abs(l));
}

// The fit's analytic gradient, seen through the likelihood: at the optimum of a fit the
// finite-difference gradient of hawkes_loglik in log coordinates is ~0, and the fitted
// likelihood beats every perturbed parameter set.
TEST(Hawkes, FitIsAStationaryPointOfTheLikelihood) {
  const auto p = bivariate();
  const auto s = hawkes_simulate(p, 1500, 7);
  const auto f = hawkes_fit(s.times, s.marks, 2, s.T);
  ASSERT_EQ(f.status, HawkesFitStatus::Ok) << hawkes_fit_status_name(f.status);
  const double l0 = hawkes_loglik(f.params, s.times, s.marks, s.T);
  EXPECT_NEAR(l0, f.loglik, 1e-9 * std::abs(l0));
  auto perturbed = [&](int which, double h) {
    HawkesParams q = f.params;
    double* v = which < 2 ? &q.mu[static_cast<std::size_t>(which)]
                : which < 6 ? &q.alpha[static_cast<std::size_t>((which - 2) / 2)][static_cast<std::size_t>((which - 2) % 2)]
                            : &q.beta;
    *v *= std::exp(h);
    return hawkes_loglik(q, s.times, s.marks, s.T);
  };
  const double n = static_cast<double>(s.times.size());
  for (int w = 0; w < 7; ++w) {
    const double h = 1e-4;
    const double lp = perturbed(w, h), lm = perturbed(w, -h);
    const double g = (lp - lm) / (2 * h) / n;
    EXPECT_LT(std::abs(g), 1e-5) << "parameter " << w;
    EXPECT_LT(lp, l0 + 1e-9);
    EXPECT_LT(lm, l0 + 1e-9);
  }
}

TEST(Hawkes, BranchingRatioAndStationaryRates) {
  const auto p = bivariate();
  // K = [[0.4, 0.16], [0.12, 0.32]]: eigenvalues from the characteristic polynomial.
  const double tr = 0.72, det = 0.4 * 0.32 - 0.16 * 0.12;
  EXPECT_NEAR(hawkes_branching_ratio(p), 0.5 * (tr + std::sqrt(tr * tr - 4 * det)), 1e-14);
  const auto r = hawkes_stationary_rates(p);
  // (I - K) r = mu
  EXPECT_NEAR((1 - 0.4) * r[0] - 0.16 * r[1], 0.4, 1e-12);
  EXPECT_NEAR(-0.12 * r[0] + (1 - 0.32) * r[1], 0.3, 1e-12);
  auto q = p;
  q.alpha[0][0] = 3.0;  // K_00 = 1.2: explosive
  EXPECT_GT(hawkes_branching_ratio(q), 1);
  EXPECT_TRUE(std::isnan(hawkes_stationary_rates(q)[0]));
  EXPECT_DOUBLE_EQ(hawkes_branching_ratio(univariate()), 0.5);
}

// Count variance of a stationary Hawkes process over a long window: Var N(T) / T ->
// (I - K)^-1 diag(Lambda) (I - K)^-T (the Bartlett spectrum at 0), used for the tolerance.
TEST(Hawkes, SimulationMeanRateMatchesTheory) {
  struct Case {
    HawkesParams p;
    double T;
  };
  for (const auto& c : {Case{univariate(), 20000}, Case{bivariate(), 20000}}) {
    const auto& p = c.p;
    const auto L = hawkes_stationary_rates(p);
    // (I - K)^-1
    double inv[2][2] = {{1, 0}, {0, 1}};
    if (p.dim == 1) {
      inv[0][0] = 1 / (1 - p.alpha[0][0] / p.beta);
    } else {
      const double a = 1 - p.alpha[0][0] / p.beta, b = -p.alpha[0][1] / p.beta;
      const double cc = -p.alpha[1][0] / p.beta, d = 1 - p.alpha[1][1] / p.beta;
      const double det = a * d - b * cc;
      inv[0][0] = d / det;
      inv[0][1] = -b / det;
      inv[1][0] = -cc / det;
      inv[1][1] = a / det;
    }
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      const auto s = hawkes_simulate(p, c.T, seed);
      ASSERT_FALSE(s.times.empty());
      for (int i = 0; i < p.dim; ++i) {
        double n = 0;
        for (auto m : s.marks) n += m == i;
        double var = 0;  // per unit time
        for (int j = 0; j < p.dim; ++j) var += inv[i][j] * inv[i][j] * L[static_cast<std::size_t>(j)];
        const double sd = std::sqrt(var / c.T);
        const double rate = n / c.T;
        std::printf("dim %d seed %llu: rate %.4f theory %.4f (sd %.4f)\n", i,
                    static_cast<unsigned long long>(seed), rate, L[static_cast<std::size_t>(i)], sd);
        EXPECT_NEAR(rate, L[static_cast<std::size_t>(i)], 4 * sd);
      }
    }
  }
  // Same seed, same events.
  const auto a = hawkes_simulate(bivariate(), 100, 42), b = hawkes_simulate(bivariate(), 100, 42);
  EXPECT_EQ(a.times, b.times);
  EXPECT_EQ(a.marks, b.marks);
}

void expect_within(const char* name, double est, double truth, double se) {
  ASSERT_TRUE(std::isfinite(se) && se > 0) << name;
  EXPECT_NEAR(est, truth, 4 * se) << name << " (se " << se << ")";
}

void check_recovery(const HawkesParams& truth, const HawkesFit& f) {
  ASSERT_EQ(f.status, HawkesFitStatus::Ok) << hawkes_fit_status_name(f.status);
  for (int i = 0; i < truth.dim; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    expect_within("mu", f.params.mu[ui], truth.mu[ui], f.se.mu[ui]);
    for (int j = 0; j < truth.dim; ++j) {
      const auto uj = static_cast<std::size_t>(j);
      expect_within("alpha", f.params.alpha[ui][uj], truth.alpha[ui][uj], f.se.alpha[ui][uj]);
    }
  }
  expect_within("beta", f.params.beta, truth.beta, f.se.beta);
  EXPECT_GT(f.lr_stat, 0);
}

TEST(Hawkes, RecoversUnivariateParametersWithinFourStandardErrors) {
  const auto truth = univariate();
  // Eight seeds: recovery per seed, then the reported standard errors against the spread of
  // the estimates across seeds (chi^2 with 7 df: s / sigma in [0.29, 1.86] at 99.9%).
  std::vector<double> a, se;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const auto s = hawkes_simulate(truth, 4000, seed);
    const auto f = hawkes_fit(s.times, {}, 1, s.T);
    std::printf("seed %llu: n %zu mu %.4f (%.4f) alpha %.4f (%.4f) beta %.4f (%.4f) n* %.3f, LR %.1f, iter %d\n",
                static_cast<unsigned long long>(seed), s.times.size(), f.params.mu[0], f.se.mu[0],
                f.params.alpha[0][0], f.se.alpha[0][0], f.params.beta, f.se.beta, f.branching_ratio, f.lr_stat,
                f.iterations);
    check_recovery(truth, f);
    a.push_back(f.params.alpha[0][0]);
    se.push_back(f.se.alpha[0][0]);
  }
  double m = 0, mse = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    m += a[k] / 8;
    mse += se[k] / 8;
  }
  double ss = 0;
  for (double x : a) ss += (x - m) * (x - m);
  const double sd = std::sqrt(ss / 7);
  std::printf("alpha: sd over seeds %.4f, mean reported se %.4f\n", sd, mse);
  EXPECT_GT(sd / mse, 0.29);
  EXPECT_LT(sd / mse, 1.86);
}

TEST(Hawkes, RecoversBivariateParametersWithinFourStandardErrors) {
  const auto truth = bivariate();
  for (std::uint64_t seed : {11u, 12u, 13u}) {
    const auto s = hawkes_simulate(truth, 3000, seed);
    const auto f = hawkes_fit(s.times, s.marks, 2, s.T);
    std::printf("seed %llu: n %zu+%zu mu %.3f %.3f alpha %.3f %.3f %.3f %.3f beta %.3f (se %.3f) n* %.3f\n",
                static_cast<unsigned long long>(seed), f.events[0], f.events[1], f.params.mu[0], f.params.mu[1],
                f.params.alpha[0][0], f.params.alpha[0][1], f.params.alpha[1][0], f.params.alpha[1][1],
                f.params.beta, f.se.beta, f.branching_ratio);
    check_recovery(truth, f);
    EXPECT_GE(f.starts_converged, 1);
  }
}

TEST(Hawkes, TimeRescalingResiduals) {
  const auto truth = bivariate();
  const auto s = hawkes_simulate(truth, 3000, 5);
  const auto r = hawkes_residuals(truth, s.times, s.marks, s.T);
  ASSERT_TRUE(r.ok);
  for (int i = 0; i < 2; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    const auto& v = r.increments[ui];
    const double n = static_cast<double>(v.size());
    std::printf("dim %d: %zu residuals, mean %.4f, KS %.4f (p %.3f)\n", i, v.size(), r.mean[ui], r.ks[ui], r.ks_p[ui]);
    EXPECT_NEAR(r.mean[ui], 1.0, 4 / std::sqrt(n));  // Exp(1): sd 1
    EXPECT_GT(r.ks_p[ui], 1e-3);
    // The increments add up to the compensator at the last event, computed term by term.
    double sum = 0, last_t = 0;
    for (double x : v) sum += x;
    for (std::size_t k = 0; k < s.times.size(); ++k)
      if (s.marks[k] == i) last_t = s.times[k];
    const double ref = direct_compensator(truth, s.times, s.marks, i, last_t);
    EXPECT_NEAR(sum, ref, 1e-9 * ref);
    EXPECT_NEAR(r.compensator_T[ui], direct_compensator(truth, s.times, s.marks, i, s.T), 1e-8 * ref);
  }
  // A Poisson model (no excitation) of the same clustered events: the residuals are not Exp(1).
  auto poisson = truth;
  poisson.alpha = {};
  const auto L = hawkes_stationary_rates(truth);
  poisson.mu = {L[0], L[1]};
  const auto rp = hawkes_residuals(poisson, s.times, s.marks, s.T);
  std::printf("Poisson model: KS %.4f %.4f\n", rp.ks[0], rp.ks[1]);
  EXPECT_LT(rp.ks_p[0], 1e-6);
  EXPECT_LT(rp.ks_p[1], 1e-6);
}

TEST(Hawkes, KolmogorovDistribution) {
  // Asymptotic critical values: P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01; P(K <= 0.8) = 0.4559.
  const std::size_t n = 100000000;  // large n: Stephens' correction negligible
  const double sn = std::sqrt(static_cast<double>(n));
  EXPECT_NEAR(kolmogorov_pvalue(1.3581 / sn, n), 0.05, 2e-4);
  EXPECT_NEAR(kolmogorov_pvalue(1.6276 / sn, n), 0.01, 1e-4);
  EXPECT_NEAR(kolmogorov_pvalue(0.8 / sn, n), 1 - 0.4559, 2e-4);
  // KS distance of a sample to Exp(1), by hand: the point at the median.
  EXPECT_NEAR(ks_exp1({std::log(2.0)}), 0.5, 1e-15);
}

TEST(Hawkes, StreamingIntensityMatchesDirectSum) {
  const auto p = bivariate();
  const auto s = hawkes_simulate(p, 200, 9);
  ASSERT_GT(s.times.size(), 100u);
  HawkesIntensity h;
  h.reset(p);
  constexpr double kNs = 1e9;
  // Times rounded to ns: the reference uses the same rounded times.
  std::vector<double> t;
  for (double x : s.times) t.push_back(std::round(x * kNs) / kNs);
  for (std::size_t k = 0; k < t.size(); ++k) {
    const auto ns = static_cast<Nanos>(std::llround(t[k] * kNs));
    if (k > 0) {
      for (int i = 0; i < 2; ++i) {
        const double ref = direct_intensity(p, t, s.marks, i, t[k]);
        if (t[k] > t[k - 1]) {
          EXPECT_NEAR(h.intensity_at(i, ns), ref, 1e-9 * ref) << k;
        }
      }
    }
    h.on_event(ns, s.marks[k]);
  }
  EXPECT_EQ(h.events, t.size());
  // An out-of-order event jumps without decaying, and is counted.
  const double before = h.intensity(0);
  h.on_event(h.last_ns - 1000, 1);
  EXPECT_EQ(h.out_of_order, 1u);
  EXPECT_NEAR(h.intensity(0), before + p.alpha[0][1], 1e-12);
  // A long gap: back to the baseline.
  h.advance(h.last_ns + 3600 * 1'000'000'000LL);
  EXPECT_NEAR(h.intensity(1), p.mu[1], 1e-12);
}

TEST(Hawkes, BadInput) {
  std::vector<double> t;
  for (int k = 0; k < 30; ++k) t.push_back(0.1 * k);
  const double T = 3.0;
  EXPECT_EQ(hawkes_check(t, {}, 1, T), HawkesInput::Ok);
  EXPECT_EQ(hawkes_fit(std::span<const double>(t).first(10), {}, 1, T).input, HawkesInput::TooFewEvents);
  EXPECT_EQ(hawkes_fit({}, {}, 1, T).status, HawkesFitStatus::BadInput);
  auto bad = t;
  bad[5] = std::nan("");
  EXPECT_EQ(hawkes_fit(bad, {}, 1, T).input, HawkesInput::NonFinite);
  bad = t;
  std::swap(bad[3], bad[4]);
  EXPECT_EQ(hawkes_fit(bad, {}, 1, T).input, HawkesInput::NotMonotone);
  EXPECT_EQ(hawkes_fit(t, {}, 1, 2.0).input, HawkesInput::OutOfWindow);
  EXPECT_EQ(hawkes_fit(t, {}, 1, -1.0).input, HawkesInput::OutOfWindow);
  EXPECT_EQ(hawkes_fit(t, {}, 1, INFINITY).input, HawkesInput::NonFinite);
  std::vector<std::uint8_t> marks(t.size(), 0);
  EXPECT_EQ(hawkes_fit(t, marks, 2, T).input, HawkesInput::TooFewEvents);  // dimension 1 empty
  marks[3] = 2;
  EXPECT_EQ(hawkes_fit(t, marks, 2, T).input, HawkesInput::BadMark);
  EXPECT_EQ(hawkes_fit(t, std::span<const std::uint8_t>(marks).first(5), 2, T).input, HawkesInput::BadMark);
  EXPECT_EQ(hawkes_fit(t, {}, 3, T).input, HawkesInput::BadMark);
  const auto f = hawkes_fit(bad, {}, 1, T);
  EXPECT_EQ(f.status, HawkesFitStatus::BadInput);
  EXPECT_STREQ(hawkes_input_name(f.input), "not_monotone");
  // Invalid parameters: -inf, never NaN or a crash.
  auto p = univariate();
  p.beta = 0;
  EXPECT_EQ(hawkes_loglik(p, t, {}, T), -INFINITY);
  p = univariate();
  p.alpha[0][0] = -1;
  EXPECT_EQ(hawkes_loglik(p, t, {}, T), -INFINITY);
  EXPECT_TRUE(hawkes_simulate(p, 10, 1).times.empty());
  EXPECT_FALSE(hawkes_residuals(p, t, {}, T).ok);
  // An explosive process stops at max_events with nothing.
  auto x = univariate();
  x.alpha[0][0] = 2 * x.beta;
  EXPECT_TRUE(hawkes_simulate(x, 1e6, 1, 10000).times.empty());
  // Identical times (a burst at one instant) are valid input; a fit of them does not crash.
  std::vector<double> same(40, 1.0);
  EXPECT_EQ(hawkes_check(same, {}, 1, T), HawkesInput::Ok);
  const auto fs = hawkes_fit(same, {}, 1, T);
  EXPECT_TRUE(fs.status == HawkesFitStatus::Ok || fs.status == HawkesFitStatus::NotConverged ||
              fs.status == HawkesFitStatus::NoLikelihood);
}

}  // namespace
}  // namespace hft::model
