// Drift detectors: Page-Hinkley's statistic against a direct computation from its definition;
// ADWIN2's cut decisions against two references written here (the exact ADWIN that tests every
// split of a plain window, and a plain exponential histogram that keeps each bucket's raw
// values); detection delays on a Bernoulli step 0.2 -> 0.5 within bounds derived from the cut
// bound; the stationary false-alarm rate against delta; no allocation after construction.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <new>
#include <random>
#include <vector>

#include "hft/model/drift.hpp"

#include "../common/count_allocations.hpp"

using namespace hft::model;

namespace {

// The paper's variance-based cut bound, written out again here (not Adwin::eps_cut).
double ref_eps(double n0, double n1, double var, double delta) {
  const double w = n0 + n1;
  const double harmonic = 1.0 / (1.0 / n0 + 1.0 / n1);
  const double ln_term = std::log(2.0 * std::log(std::max(w, 3.0)) / delta);  // ln(2 / delta'), delta' = delta / ln W
  return std::sqrt(2.0 * var * ln_term / harmonic) + 2.0 * ln_term / (3.0 * harmonic);
}

double mean_of(const std::vector<double>& v, std::size_t lo, std::size_t hi) {
  double s = 0;
  for (std::size_t i = lo; i < hi; ++i) s += v[i];
  return s / static_cast<double>(hi - lo);
}
double var_of(const std::vector<double>& v) {  // population variance, two passes
  const double m = mean_of(v, 0, v.size());
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size());
}

// Does any allowed split (old part = first n0 values) of `w` differ by more than the bound?
// `splits` lists the candidate n0; every n0 when empty.
bool ref_any_cut(const std::vector<double>& w, const std::vector<std::size_t>& splits, double delta, std::size_t min_n) {
  if (w.size() < 2 * min_n) return false;
  const double var = var_of(w);
  auto test = [&](std::size_t n0) {
    const std::size_t n1 = w.size() - n0;
    if (n0 < min_n || n1 < min_n) return false;
    const double d = std::fabs(mean_of(w, 0, n0) - mean_of(w, n0, w.size()));
    return d > ref_eps(static_cast<double>(n0), static_cast<double>(n1), var, delta);
  };
  if (splits.empty()) {
    for (std::size_t n0 = 1; n0 < w.size(); ++n0)
      if (test(n0)) return true;
  } else {
    for (std::size_t n0 : splits)
      if (test(n0)) return true;
  }
  return false;
}

// Reference 1: ADWIN on a plain window; every split tested; the oldest value dropped while
// some split cuts.
struct ExactAdwin {
  double delta;
  std::size_t clock, min_n;
  std::vector<double> w;
  std::size_t ticks = 0;
  bool update(double x) {
    w.push_back(x);
    if (++ticks % clock != 0) return false;
    bool cut = false;
    while (ref_any_cut(w, {}, delta, min_n)) {
      w.erase(w.begin());
      cut = true;
    }
    return cut;
  }
};

// Reference 2: the exponential histogram written plainly: rows of buckets that keep their raw
// values (row 0 newest); a row with M + 1 buckets merges its two oldest into the next row; the
// splits tested are the bucket boundaries; a cut drops the oldest bucket.
struct HistogramAdwin {
  double delta;
  std::size_t M, clock, min_n;
  std::vector<std::deque<std::vector<double>>> rows;  // each deque: oldest bucket first
  std::size_t ticks = 0;
  std::vector<double> window(std::vector<std::size_t>* splits) const {
    std::vector<double> w;
    for (std::size_t r = rows.size(); r-- > 0;)
      for (const auto& b : rows[r]) {
        w.insert(w.end(), b.begin(), b.end());
        if (splits) splits->push_back(w.size());
      }
    if (splits && !splits->empty()) splits->pop_back();  // the end is no boundary
    return w;
  }
  void drop_oldest() {
    for (std::size_t r = rows.size(); r-- > 0;)
      if (!rows[r].empty()) {
        rows[r].pop_front();
        return;
      }
  }
  bool update(double x) {
    if (rows.empty()) rows.resize(1);
    rows[0].push_back({x});
    for (std::size_t r = 0; r < rows.size() && rows[r].size() == M + 1; ++r) {
      std::vector<double> merged = rows[r][0];
      merged.insert(merged.end(), rows[r][1].begin(), rows[r][1].end());
      rows[r].pop_front();
      rows[r].pop_front();
      if (r + 1 == rows.size()) rows.emplace_back();
      rows[r + 1].push_back(std::move(merged));
    }
    if (++ticks % clock != 0) return false;
    bool cut = false;
    for (;;) {
      std::vector<std::size_t> splits;
      const auto w = window(&splits);
      if (splits.empty() || !ref_any_cut(w, splits, delta, min_n)) break;
      drop_oldest();
      cut = true;
    }
    return cut;
  }
};

// A stream with changes of the mean: Bernoulli or Gaussian segments.
std::vector<double> stream(std::uint64_t seed, const std::vector<std::pair<std::size_t, double>>& segs, bool bernoulli) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> nd(0, 1);
  std::vector<double> v;
  for (auto [n, p] : segs)
    for (std::size_t i = 0; i < n; ++i) v.push_back(bernoulli ? (u(g) < p ? 1.0 : 0.0) : p + nd(g));
  return v;
}

}  // namespace

// ---------------------------------------------------------------- Page-Hinkley

namespace {

// The definition evaluated directly over the values since the last reset.
double ref_ph_statistic(const std::vector<double>& xs, double delta, bool increase) {
  double m = 0, ext = 0, prefix = 0;
  for (std::size_t t = 0; t < xs.size(); ++t) {
    prefix += xs[t];
    const double xbar = prefix / static_cast<double>(t + 1);
    m += xs[t] - xbar + (increase ? -delta : delta);
    ext = increase ? std::min(ext, m) : std::max(ext, m);
  }
  return increase ? m - ext : ext - m;
}

}  // namespace

TEST(PageHinkley, StatisticAndAlarmsMatchTheDefinition) {
  for (const bool inc : {true, false}) {
    PageHinkleyConfig c;
    c.delta = 0.02;
    c.lambda = 8.0;
    c.min_instances = 20;
    c.direction = inc ? DriftDirection::Increase : DriftDirection::Decrease;
    PageHinkley ph(c);
    const auto xs = stream(11, {{400, inc ? 0.2 : 0.6}, {400, inc ? 0.6 : 0.2}, {400, inc ? 0.1 : 0.7}, {400, inc ? 0.7 : 0.1}}, true);
    std::vector<double> since;  // the reference's values since its last alarm
    std::uint64_t ref_alarms = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      since.push_back(xs[i]);
      const double s = ref_ph_statistic(since, c.delta, inc);
      const bool ref_alarm = since.size() >= c.min_instances && s > c.lambda;
      const bool got = ph.update(xs[i]);
      ASSERT_EQ(got, ref_alarm) << "at " << i << (inc ? " (increase)" : " (decrease)");
      if (ref_alarm) {
        ++ref_alarms;
        since.clear();
        EXPECT_EQ(ph.statistic(), 0.0);
      } else {
        ASSERT_NEAR(ph.statistic(), s, 1e-9 * (1 + std::fabs(s))) << "at " << i;
      }
    }
    EXPECT_GE(ref_alarms, 2u);  // the changes of the right sign are seen
    EXPECT_EQ(ph.alarms, ref_alarms);
    EXPECT_EQ(ph.updates, xs.size());
  }
}

TEST(PageHinkley, RejectsBadConfigAndIgnoresNonFinite) {
  PageHinkleyConfig c;
  c.lambda = 0;
  EXPECT_THROW(PageHinkley{c}, std::invalid_argument);
  c = {};
  c.delta = -1;
  EXPECT_THROW(PageHinkley{c}, std::invalid_argument);
  PageHinkley ph;
  EXPECT_FALSE(ph.update(std::nan("")));
  EXPECT_FALSE(ph.update(INFINITY));
  EXPECT_EQ(ph.ignored, 2u);
  EXPECT_EQ(ph.n, 0u);
}

// ---------------------------------------------------------------- ADWIN against references

TEST(Adwin, CutsLikeExactAdwinWhenEveryBucketHoldsOneValue) {
  // With M above the stream's length no bucket ever merges: every split is a boundary, so
  // ADWIN2 must take the exact ADWIN's decisions.
  for (const std::uint32_t clock : {1u, 4u}) {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      const bool bern = seed % 2 == 0;
      const auto xs = stream(seed, {{150, 0.2}, {120, bern ? 0.7 : 1.5}, {130, bern ? 0.3 : 0.0}}, bern);
      AdwinConfig c;
      c.max_buckets = 512;
      c.max_rows = 2;
      c.clock = clock;
      c.delta = 0.01;
      Adwin a(c);
      ExactAdwin ref{c.delta, clock, c.min_sub_window, {}};
      std::uint64_t cuts = 0;
      for (std::size_t i = 0; i < xs.size(); ++i) {
        const bool r = ref.update(xs[i]);
        ASSERT_EQ(a.update(xs[i]), r) << "seed " << seed << " clock " << clock << " at " << i;
        ASSERT_EQ(a.size(), ref.w.size()) << "at " << i;
        ASSERT_NEAR(a.mean(), mean_of(ref.w, 0, ref.w.size()), 1e-9);
        ASSERT_NEAR(a.variance(), var_of(ref.w), 1e-9);
        cuts += r;
      }
      EXPECT_GE(cuts, 1u) << "seed " << seed;  // the references must be exercised
    }
  }
}

TEST(Adwin, CutsLikeAPlainExponentialHistogram) {
  for (const std::uint32_t clock : {1u, 32u}) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      const bool bern = seed % 2 == 1;
      const auto xs = stream(100 + seed, {{1500, 0.2}, {800, bern ? 0.5 : 0.6}, {700, bern ? 0.1 : -0.3}}, bern);
      AdwinConfig c;  // M = 5
      c.clock = clock;
      Adwin a(c);
      HistogramAdwin ref{c.delta, c.max_buckets, clock, c.min_sub_window, {}, 0};
      std::uint64_t cuts = 0;
      for (std::size_t i = 0; i < xs.size(); ++i) {
        const bool r = ref.update(xs[i]);
        ASSERT_EQ(a.update(xs[i]), r) << "seed " << seed << " clock " << clock << " at " << i;
        const auto w = ref.window(nullptr);
        ASSERT_EQ(a.size(), w.size()) << "at " << i;
        ASSERT_NEAR(a.mean(), mean_of(w, 0, w.size()), 1e-9);
        cuts += r;
      }
      EXPECT_GE(cuts, 2u) << "seed " << seed;
    }
  }
}

// ---------------------------------------------------------------- behaviour

namespace {

// Detection delay bound of ADWIN for a step p0 -> p1 after n0 values. The exact-split test cuts
// once |mean1 - mean0| > eps_cut(n0, n1, var); the observed difference is at least
// (p1 - p0) - 3 sd with probability ~0.9987, sd^2 = p1 (1 - p1) / n1 + p0 (1 - p0) / n0, and var
// is the two-segment window's Bernoulli variance pbar (1 - pbar). n1* = the first n1 where
// eps_cut + 3 sd <= p1 - p0. The split actually tested is a bucket boundary: the bucket that
// straddles the change holds at most n1 / (M - 1) + 1 values (every lower row keeps at least
// M - 1 buckets), so the new side is >= n1 (M - 2) / (M - 1) - 1; the test runs every `clock`
// values. Bound = (n1* + 1) (M - 1) / (M - 2) + clock.
double adwin_delay_bound(double n0, double p0, double p1, double delta, double M, double clock) {
  for (double n1 = 5;; n1 += 1) {
    const double pbar = (n0 * p0 + n1 * p1) / (n0 + n1);
    const double sd = std::sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0);
    if (ref_eps(n0, n1, pbar * (1 - pbar), delta) + 3 * sd <= std::fabs(p1 - p0))
      return (n1 + 1) * (M - 1) / (M - 2) + clock;
  }
}

// Page-Hinkley (increase) after n0 values of mean p0, then p1: step j adds x - xbar_j - delta
// with E = p1 - xbar_j - delta, xbar_j <= p0 + 3 sd0 + (p1 - p0) j / (n0 + j) (the pre-change
// mean, 3 sd0 = 3 sqrt(p0 (1 - p0) / n0) high, pulled up by the new values). The sum's noise
// after k steps is sqrt(k p1 (1 - p1)) (xbar moves little); the statistic is at least the sum
// since the change (the minimum is at most m at the change). Bound = first k with
// sum of E - 3 sqrt(k v) >= lambda; v = the larger Bernoulli variance (the decrease case is
// the mirror image).
double ph_delay_bound(double n0, double p0, double p1, double delta, double lambda) {
  const double step = std::fabs(p1 - p0);
  const double v = std::max(p0 * (1 - p0), p1 * (1 - p1));
  const double sd0 = std::sqrt(p0 * (1 - p0) / n0);
  double s = 0;
  for (double k = 1;; k += 1) {
    s += step - 3 * sd0 - step * k / (n0 + k) - delta;
    if (s - 3 * std::sqrt(k * v) >= lambda) return k;
  }
}

}  // namespace

TEST(Adwin, DetectsAStepWithinTheBoundsDelay) {
  constexpr std::size_t n0 = 3000;
  AdwinConfig c;  // delta 0.002, M 5, clock 32
  const double bound = adwin_delay_bound(n0, 0.2, 0.5, c.delta, c.max_buckets, c.clock);
  int within = 0, early = 0, seeds = 100;
  double sum_delay = 0;
  std::size_t worst = 0;
  for (int s = 0; s < seeds; ++s) {
    const auto xs = stream(1000 + static_cast<std::uint64_t>(s), {{n0, 0.2}, {4000, 0.5}}, true);
    Adwin a(c);
    std::size_t delay = SIZE_MAX;
    for (std::size_t i = 0; i < xs.size(); ++i)
      if (a.update(xs[i])) {
        if (i < n0) ++early;
        else if (delay == SIZE_MAX) delay = i + 1 - n0;
      }
    ASSERT_NE(delay, SIZE_MAX) << "seed " << s << ": never detected";
    within += delay <= bound;
    sum_delay += static_cast<double>(delay);
    worst = std::max(worst, delay);
    // After the cut the window holds (mostly) the new regime.
    EXPECT_NEAR(a.mean(), 0.5, 0.05);
  }
  std::printf("  ADWIN step 0.2->0.5 after %zu: mean delay %.1f, worst %zu, bound %.0f, within %d/%d, alarms before %d\n",
              n0, sum_delay / seeds, worst, bound, within, seeds, early);
  EXPECT_GE(within, 95);
  EXPECT_LE(early, 2);
}

TEST(PageHinkley, DetectsAStepWithinTheBoundsDelay) {
  constexpr std::size_t n0 = 3000;
  for (const bool inc : {true, false}) {
    PageHinkleyConfig c;
    c.delta = 0.1;  // about a third of the step worth detecting
    c.lambda = 50;
    c.direction = inc ? DriftDirection::Increase : DriftDirection::Decrease;
    const double p0 = inc ? 0.2 : 0.5, p1 = inc ? 0.5 : 0.2;
    const double bound = ph_delay_bound(n0, p0, p1, c.delta, c.lambda);
    int within = 0, early = 0, seeds = 100;
    double sum_delay = 0;
    std::size_t worst = 0;
    for (int s = 0; s < seeds; ++s) {
      const auto xs = stream(5000 + static_cast<std::uint64_t>(s), {{n0, p0}, {3000, p1}}, true);
      PageHinkley ph(c);
      std::size_t delay = SIZE_MAX;
      for (std::size_t i = 0; i < xs.size(); ++i)
        if (ph.update(xs[i])) {
          if (i < n0) ++early;
          else if (delay == SIZE_MAX) delay = i + 1 - n0;
        }
      ASSERT_NE(delay, SIZE_MAX) << "seed " << s;
      within += delay <= bound;
      sum_delay += static_cast<double>(delay);
      worst = std::max(worst, delay);
    }
    std::printf("  Page-Hinkley %s %.1f->%.1f: mean delay %.1f, worst %zu, bound %.0f, within %d/%d, alarms before %d\n",
                inc ? "increase" : "decrease", p0, p1, sum_delay / seeds, worst, bound, within, seeds, early);
    EXPECT_GE(within, 97);
    EXPECT_EQ(early, 0);
  }
}

TEST(Adwin, StationaryFalseAlarmsStayWithinDelta) {
  // Each cut test is a test of "no change"; its false-alarm probability is at most delta. Over
  // N tests the alarms must stay below N delta + 3 sqrt(N delta (1 - delta)).
  for (const double delta : {0.002, 0.05}) {
    for (const bool bern : {true, false}) {
      AdwinConfig c;
      c.delta = delta;
      std::uint64_t alarms = 0, checks = 0;
      for (std::uint64_t s = 0; s < 100; ++s) {
        const auto xs = stream(9000 + s, {{10'000, bern ? 0.2 : 0.0}}, bern);
        Adwin a(c);
        for (double x : xs) alarms += a.update(x);
        checks += a.checks;
      }
      const double n = static_cast<double>(checks);
      const double allowed = n * delta + 3 * std::sqrt(n * delta * (1 - delta));
      std::printf("  ADWIN stationary %s delta %.3f: %llu alarms in %llu cut tests (rate %.2e; allowed %.0f)\n",
                  bern ? "Bernoulli(0.2)" : "N(0,1)", delta, static_cast<unsigned long long>(alarms),
                  static_cast<unsigned long long>(checks), static_cast<double>(alarms) / n, allowed);
      EXPECT_LE(static_cast<double>(alarms), allowed);
    }
  }
}

TEST(Drift, NoAllocationAfterConstruction) {
  Adwin a;  // default capacity: 5 (2^24 - 1) values
  PageHinkley ph;
  const auto xs = stream(3, {{50'000, 0.2}, {50'000, 0.6}, {50'000, 0.3}}, true);
  const long before = g_allocations.load();
  std::uint64_t alarms = 0;
  for (int rep = 0; rep < 7; ++rep)  // ~1M updates
    for (double x : xs) alarms += a.update(x) + ph.update(x);
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_GT(alarms, 0u);
  EXPECT_GT(a.size(), 0u);
}

TEST(Adwin, CapacityLimitDropsTheOldestAndNeverGrows) {
  AdwinConfig c;
  c.max_buckets = 2;
  c.max_rows = 3;  // at most 2 (1 + 2 + 4) = 14 values
  Adwin a(c);
  EXPECT_EQ(a.capacity(), 14u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(a.update(1.0));  // constant: never a cut
    ASSERT_LE(a.size(), 14u);
  }
  EXPECT_GT(a.capacity_drops, 0u);
  EXPECT_EQ(a.alarms, 0u);
  EXPECT_DOUBLE_EQ(a.mean(), 1.0);
  EXPECT_NEAR(a.variance(), 0.0, 1e-12);
  a.reset();
  EXPECT_EQ(a.size(), 0u);
  EXPECT_FALSE(a.update(std::nan("")));
  EXPECT_EQ(a.ignored, 1u);
  EXPECT_EQ(a.size(), 0u);
}

TEST(Adwin, RejectsBadConfig) {
  AdwinConfig c;
  c.delta = 0;
  EXPECT_THROW(Adwin{c}, std::invalid_argument);
  c = {};
  c.max_buckets = 1;
  EXPECT_THROW(Adwin{c}, std::invalid_argument);
  c = {};
  c.max_rows = 63;
  EXPECT_THROW(Adwin{c}, std::invalid_argument);
  c = {};
  c.clock = 0;
  EXPECT_THROW(Adwin{c}, std::invalid_argument);
}
