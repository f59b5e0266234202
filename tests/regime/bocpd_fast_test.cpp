// The optimised BOCPD (pruned band, tabulated terms, one log and one exp per run length, inline
// SIMD exp/log) against the straightforward implementation it replaced (copied below: every run
// length every step, glibc log/log1p/exp, no pruning): same posterior within 1e-12 absolute per
// run length, same MAP and the same change reports, on series that reach the R_max bound and
// that have changes strong enough for pruning to drop run lengths. And fast_exp / fast_log
// against glibc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "hft/regime/bocpd.hpp"
#include "hft/core/fastmath.hpp"

using namespace hft::regime;
using hft::fast_exp;
using hft::fast_log;

namespace {

// The previous Bocpd::update (two passes over all bins, bins copied to a second set each step).
struct RefBocpd {
  explicit RefBocpd(const BocpdConfig& c) : cfg(c), R(c.max_run) {
    for (auto* v : {&lp, &mu, &beta, &cnt, &lp2, &mu2, &beta2, &cnt2, &lj}) v->assign(R, 0.0);
    lp[0] = 0;
    mu[0] = cfg.prior.mu0;
    beta[0] = cfg.prior.beta0;
  }
  bool update(double x) {
    const double k0 = cfg.prior.kappa0, a0 = cfg.prior.alpha0;
    const double log_h = std::log(cfg.hazard), log_1mh = std::log1p(-cfg.hazard);
    change = false;
    double m = -std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < len; ++r) {
      lj[r] = lp[r] + normal_gamma_log_predictive(x, mu[r], k0 + cnt[r], a0 + 0.5 * cnt[r], beta[r]);
      m = std::max(m, lj[r]);
    }
    double S = 0;
    for (std::size_t r = 0; r < len; ++r) S += std::exp(lj[r] - m);
    const double lnorm = m + std::log(S);
    const std::size_t new_len = std::min(len + 1, R);
    lp2[0] = log_h;
    mu2[0] = cfg.prior.mu0;
    beta2[0] = cfg.prior.beta0;
    cnt2[0] = 0;
    for (std::size_t r = 0; r < len; ++r) {
      const std::size_t to = std::min(r + 1, R - 1);
      const double lg = lj[r] + log_1mh - lnorm;
      const double kappa = k0 + cnt[r], d = x - mu[r];
      const double nmu = (kappa * mu[r] + x) / (kappa + 1);
      const double nbeta = beta[r] + kappa * d * d / (2 * (kappa + 1));
      if (r + 1 < R || len < R) {
        lp2[to] = lg;
        mu2[to] = nmu;
        beta2[to] = nbeta;
        cnt2[to] = cnt[r] + 1;
      } else {
        const double prev = lp2[to];
        if (lg > prev) {
          mu2[to] = nmu;
          beta2[to] = nbeta;
          cnt2[to] = cnt[r] + 1;
        }
        const double hi = std::max(prev, lg), lo = std::min(prev, lg);
        lp2[to] = hi + std::log1p(std::exp(lo - hi));
      }
    }
    lp.swap(lp2);
    mu.swap(mu2);
    beta.swap(beta2);
    cnt.swap(cnt2);
    len = new_len;
    std::size_t best = 0;
    for (std::size_t r = 1; r < len; ++r)
      if (lp[r] > lp[best]) best = r;
    const std::size_t prev_map = map;
    map = best;
    ++n;
    if (prev_map >= map + cfg.min_drop && map * 2 <= prev_map) {
      double mass = 0;
      for (std::size_t r = 0; r <= prev_map / 2 && r < len; ++r) mass += std::exp(lp[r]);
      const std::size_t at = n - map;
      const bool same = changes > 0 && (at > last_at ? at - last_at : last_at - at) < cfg.min_drop;
      if (mass >= cfg.min_mass && !same) {
        change = true;
        ++changes;
        last_at = at;
      }
    }
    return change;
  }
  BocpdConfig cfg;
  std::size_t R, len = 1, map = 0, n = 0, changes = 0, last_at = 0;
  bool change = false;
  std::vector<double> lp, mu, beta, cnt, lp2, mu2, beta2, cnt2, lj;
};

// Segments of 50..400 observations; each change moves the mean by 3..8 (so the old run lengths
// fall far enough to be pruned) or multiplies / divides the standard deviation by 3..6.
std::vector<double> strong_segments(std::uint64_t seed, std::size_t n) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> len(50, 400), kind(0, 1), sign(0, 1);
  std::uniform_real_distribution<double> shift(3.0, 8.0), factor(3.0, 6.0);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> x;
  double mu = 0, sd = 1;
  while (x.size() < n) {
    const int k = len(rng);
    for (int i = 0; i < k && x.size() < n; ++i) x.push_back(mu + sd * z(rng));
    if (kind(rng) == 0) {
      mu += (sign(rng) ? 1 : -1) * shift(rng);
      if (std::abs(mu) > 10) mu = 0;
    } else {
      sd = sd > 1 ? 1.0 : factor(rng);
    }
  }
  return x;
}

struct Compare {
  double worst = 0;               // max |P_fast(r) - P_ref(r)| over run lengths and steps
  double worst_pruned = 0;        // max P_ref(r) of a run length the fast one dropped
  std::size_t pruned_steps = 0;   // steps with fewer bins than the reference
  std::size_t capped_steps = 0;   // steps at the R_max bound
  std::size_t map_diff = 0, change_diff = 0, changes = 0;
};

Compare compare(const BocpdConfig& cfg, const std::vector<double>& x) {
  Bocpd b(cfg);
  RefBocpd ref(cfg);
  Compare c;
  for (double v : x) {
    const bool cf = b.update(v), cr = ref.update(v);
    c.change_diff += cf != cr;
    c.changes += cr;
    c.map_diff += b.map_run() != ref.map;
    const auto lp = b.log_run_probs();
    EXPECT_LE(lp.size(), ref.len);
    c.pruned_steps += lp.size() < ref.len;
    c.capped_steps += ref.len == cfg.max_run;
    for (std::size_t r = 0; r < ref.len; ++r) {
      const double pr = std::exp(ref.lp[r]);
      if (r < lp.size()) {
        c.worst = std::max(c.worst, std::abs(std::exp(lp[r]) - pr));
        // Statistics are compared where the bin carries mass: a bin under ~1e-9 affects nothing
        // measurable, and the overflow bin's "heavier part keeps its statistics" rule may pick the
        // other part when both parts are negligible and within rounding of each other.
        if (pr < 1e-9) continue;
        const auto q = b.posterior(r);
        EXPECT_NEAR(q.mu, ref.mu[r], 1e-9 * (1 + std::abs(ref.mu[r])));
        EXPECT_NEAR(q.beta, ref.beta[r], 1e-9 * ref.beta[r]);
        EXPECT_EQ(q.kappa, cfg.prior.kappa0 + ref.cnt[r]);
      } else {
        c.worst_pruned = std::max(c.worst_pruned, pr);
        c.worst = std::max(c.worst, pr);
      }
    }
  }
  std::printf("  %s R_max %zu: %zu obs, %zu changes, max |dP| %.2e (pruned bins held <= %.2e), %zu steps "
              "pruned, %zu at the bound, MAP differs %zu, reports differ %zu\n",
              cfg.allow_avx2 ? "avx2" : "sse2", cfg.max_run, x.size(), c.changes, c.worst, c.worst_pruned, c.pruned_steps,
              c.capped_steps, c.map_diff, c.change_diff);
  return c;
}

}  // namespace

TEST(BocpdFast, MatchesPreviousImplementationWithPruningAndBound) {
  for (bool avx2 : {true, false}) {  // both builds of the inner loops (AVX2 only if the CPU has it)
  for (std::size_t rmax : {std::size_t{64}, std::size_t{512}}) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      BocpdConfig cfg;
      cfg.max_run = rmax;
      cfg.allow_avx2 = avx2;
      const Compare c = compare(cfg, strong_segments(seed, 3000));
      EXPECT_LT(c.worst, 1e-12);
      EXPECT_EQ(c.map_diff, 0u);
      EXPECT_EQ(c.change_diff, 0u);
      EXPECT_GT(c.changes, 3u);
      EXPECT_GT(c.pruned_steps, 50u);  // pruning was exercised
      if (rmax == 64) {
        EXPECT_GT(c.capped_steps, 100u);  // and the overflow bin
      }
    }
  }
  }
}

TEST(BocpdFast, NoPruningKeepsEveryRunLength) {
  BocpdConfig cfg;
  cfg.max_run = 64;
  cfg.prune = 0;  // off
  Bocpd b(cfg);
  RefBocpd ref(cfg);
  const std::vector<double> x = strong_segments(9, 600);
  double worst = 0;
  for (double v : x) {
    b.update(v);
    ref.update(v);
    ASSERT_EQ(b.active_bins(), ref.len);
    for (std::size_t r = 0; r < ref.len; ++r)
      worst = std::max(worst, std::abs(std::exp(b.log_run_probs()[r]) - std::exp(ref.lp[r])));
  }
  EXPECT_LT(worst, 1e-12);
  // With pruning the same series runs on fewer bins.
  cfg.prune = 30;
  Bocpd p(cfg);
  std::size_t fewer = 0;
  for (double v : x) {
    p.update(v);
    fewer += p.active_bins() < std::min<std::size_t>(p.observations() + 1, 64);
  }
  EXPECT_GT(fewer, 50u);
}

TEST(BocpdFast, FastExpLogMatchGlibc) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> ux(-708.0, 709.0), ue(-300.0, 300.0), um(1.0, 10.0);
  double worst_exp = 0, worst_log = 0;
  for (int i = 0; i < 200000; ++i) {
    const double x = i < 1000 ? -1e-3 * i : ux(rng);
    const double e = std::exp(x);
    worst_exp = std::max(worst_exp, std::abs(fast_exp(x) - e) / e);
    const double y = i < 1000 ? 1 + 1e-4 * i : um(rng) * std::pow(10.0, ue(rng));
    const double l = std::log(y);
    worst_log = std::max(worst_log, std::abs(fast_log(y) - l) / std::max(std::abs(l), 1e-300));
    if (l != 0) {
      EXPECT_LE(std::abs(fast_log(y) - l), 4e-16 * std::max(std::abs(l), 1.0)) << y;
    }
  }
  std::printf("  fast_exp max rel err %.2e, fast_log max rel err %.2e\n", worst_exp, worst_log);
  EXPECT_LT(worst_exp, 1e-15);
  EXPECT_EQ(fast_log(1.0), 0.0);
  EXPECT_NEAR(fast_exp(-800.0), 0.0, 1e-300);  // clamped, not NaN
  EXPECT_GT(fast_exp(-800.0), 0.0);
}

// The vector form (the features' decay factors, BOCPD's sums) lane by lane against glibc, its
// clamp included (a vector clamp has its own code: masks, not the scalar comparisons).
TEST(BocpdFast, VectorFastExpMatchesGlibcLaneByLane) {
  typedef double v4d __attribute__((vector_size(32)));
  typedef std::uint64_t v4u __attribute__((vector_size(32)));
  const double in[][4] = {{-800.0, -1.0, 0.5, 800.0},
                          {-708.0, 709.0, -1e-9, 0.0},
                          {std::numeric_limits<double>::quiet_NaN(), 3.0, -20.0, 700.0}};
  for (const auto& lanes : in) {
    v4d x;
    for (int i = 0; i < 4; ++i) x[i] = lanes[i];
    hft::exp_inplace<v4d, v4u>(x);
    for (int i = 0; i < 4; ++i) {
      const double a = lanes[i];
      if (std::isnan(a)) {
        EXPECT_TRUE(std::isnan(x[i])) << "lane " << i;
        continue;
      }
      const double e = std::exp(std::clamp(a, -708.0, 709.0));  // the documented clamp
      EXPECT_LE(std::abs(x[i] - e), 1e-15 * e) << a;
    }
  }
}
