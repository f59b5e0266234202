// RegimeDetector: previous-tick sampling against a reference sampler written here, labels on a
// simulated path with known calm / stressed / trending / mean-reverting phases, scores against
// batch recomputation, background GARCH refit and swap, bad input counted, and no allocation
// per call after warm-up (global operator new counted).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <new>
#include <random>
#include <vector>

#include "hft/regime/detector.hpp"

namespace {
std::atomic<std::size_t> g_allocs{0};
}

// Counting allocator for the whole test program (only the difference around a loop is used).
// GCC 12 flags free() inside a replaced operator delete as mismatched (a known false positive:
// the replaced operator new allocates with malloc).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace hft::regime;
using hft::Nanos;

namespace {

constexpr Nanos kSec = 1'000'000'000;

struct Event {
  Nanos ts;
  double mid;
};

// Reference sampler: grid points g in [ts_i, ts_{i+1}) carry mid_i; if more than max_fill + 1 of
// them fall between two events, only the last starts a new chain. Returns between consecutive
// samples of one chain.
std::vector<double> reference_returns(const std::vector<Event>& ev, Nanos interval,
                                      std::size_t max_fill, std::size_t& gaps) {
  std::vector<double> out;
  gaps = 0;
  bool have = false;
  double prev = 0;
  for (std::size_t i = 0; i + 1 < ev.size(); ++i) {
    std::vector<Nanos> grid;
    Nanos first = (ev[i].ts / interval) * interval;
    if (first < ev[i].ts) first += interval;
    for (Nanos g = first; g < ev[i + 1].ts; g += interval) grid.push_back(g);
    if (grid.empty()) continue;
    if (grid.size() - 1 > max_fill) {
      ++gaps;
      prev = ev[i].mid;  // new chain from the last grid point of the gap
      have = true;
      continue;
    }
    for (std::size_t j = 0; j < grid.size(); ++j) {
      if (have) out.push_back(std::log(ev[i].mid / prev));
      prev = ev[i].mid;
      have = true;
    }
  }
  return out;
}

// One event per second in the middle of each interval, so each grid sample is the last event's
// mid. Phases of returns with chosen volatility and AR(1) coefficient.
struct Phase {
  int seconds;
  double vol;
  double phi;
};

std::vector<double> phase_returns(const std::vector<Phase>& phases, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> r;
  double prev = 0;
  for (const Phase& p : phases) {
    for (int i = 0; i < p.seconds; ++i) {
      prev = p.phi * prev + p.vol * z(rng);
      r.push_back(prev);
    }
    prev = 0;
  }
  return r;
}

RegimeConfig test_config() {
  RegimeConfig c;
  c.warmup = 1200;
  c.refit_window = 20000;
  return c;
}

}  // namespace

TEST(RegimeDetector, SamplingMatchesPreviousTickReference) {
  std::mt19937_64 rng(21);
  std::exponential_distribution<double> gap(1.0 / 0.3);  // mean 0.3 s between events
  std::normal_distribution<double> z(0.0, 2e-4);
  std::vector<Event> ev;
  Nanos t = 17 * kSec + 123;
  double mid = 100.0;
  for (int i = 0; i < 20000; ++i) {
    double g = gap(rng);
    if (i % 3000 == 2999) g = 200.0;   // longer than max_fill: chain restarts
    if (i % 1000 == 500) g = 30.0;     // filled with zero returns
    if (i % 777 == 0) g = 0.0;         // same timestamp
    if (i % 501 == 0) {
      t = (t / kSec + 1) * kSec;  // exactly on a grid point
    } else {
      t += static_cast<Nanos>(g * 1e9);
    }
    mid *= std::exp(z(rng));
    ev.push_back({t, mid});
  }
  RegimeConfig cfg = test_config();
  cfg.refit_window = 100000;
  cfg.sample_on = SampleOn::Grid;
  RegimeDetector d(cfg);
  int total = 0;
  for (const Event& e : ev) total += d.on_mid(e.ts, e.mid);
  std::size_t gaps = 0;
  const auto ref = reference_returns(ev, kSec, cfg.max_fill, gaps);
  std::vector<double> got;
  d.copy_returns(got);
  ASSERT_EQ(got.size(), ref.size());
  EXPECT_EQ(static_cast<std::size_t>(total), ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i) ASSERT_DOUBLE_EQ(got[i], ref[i]) << i;
  EXPECT_EQ(d.sampler_counters().gaps, gaps);
  EXPECT_GT(gaps, 0u);
  EXPECT_GT(d.sampler_counters().filled, 0u);
  EXPECT_TRUE(d.state().ready);
}

TEST(RegimeDetector, LabelsFollowSimulatedPhases) {
  // Warm-up mixes two volatility levels so the terciles span them; then calm, stressed,
  // trending and mean-reverting phases.
  std::vector<Phase> phases;
  for (int k = 0; k < 6; ++k) phases.push_back({200, k % 2 ? 3e-4 : 1e-4, 0.0});
  phases.push_back({600, 4e-5, 0.0});   // calm
  phases.push_back({600, 1.5e-3, 0.0}); // stressed
  phases.push_back({600, 1.5e-4, 0.5}); // trending
  phases.push_back({600, 1.5e-4, -0.5});// mean reverting
  const auto r = phase_returns(phases, 5);
  RegimeDetector d(test_config());
  double mid = 50.0;
  d.on_mid(kSec / 2, mid);
  const int calm_end = 1800, stress_start = 1800, stress_end = 2400, trend_end = 3000, mr_end = 3600;
  int first_change_in_stress = -1, first_stop = -1;
  for (int i = 0; i < static_cast<int>(r.size()); ++i) {
    mid *= std::exp(r[static_cast<std::size_t>(i)]);
    ASSERT_EQ(d.on_mid((i + 1) * kSec + kSec / 2, mid), i == 0 ? 0 : 1);
    // The sample taken now is the return of step i - 1.
    const int k = i - 1;
    const RegimeState& s = d.state();
    if (k < 1199) {
      EXPECT_FALSE(s.ready);
      EXPECT_EQ(d.gate(), Gate::Widen);
    }
    if (k >= stress_start && k < stress_end) {
      if (s.change_point && first_change_in_stress < 0) first_change_in_stress = k - stress_start;
      if (s.gate == Gate::Stop && first_stop < 0) first_stop = k - stress_start;
    }
    auto report = [&](const char* name) {
      std::printf("%-15s vol=%-8s trend=%-14s gate=%-6s sigma=%.2e rv=%.2e rank=%.2f vr=%.2f z=%+.1f "
                  "phi=%+.2f cp=%.3f run=%.0f\n",
                  name, to_string(s.vol), to_string(s.trend), to_string(s.gate), s.scores.garch_sigma,
                  s.scores.rv, s.scores.vol_rank, s.scores.vr, s.scores.vr_z, s.scores.ar1_phi,
                  s.scores.cp_prob, s.scores.run_length);
    };
    if (k == calm_end - 1) {
      report("end of calm");
      EXPECT_EQ(s.vol, VolRegime::Calm);
      EXPECT_EQ(s.gate, Gate::Normal);
    }
    if (k == stress_end - 1) {
      report("end of stress");
      EXPECT_EQ(s.vol, VolRegime::Stressed);
      EXPECT_EQ(s.gate, Gate::Widen);  // the change is older than cp_hold
      EXPECT_GT(s.scores.vol_rank, 0.99);
    }
    if (k == trend_end - 1) {
      report("end of trend");
      EXPECT_EQ(s.trend, TrendRegime::Trending);
      EXPECT_GT(s.scores.ar1_phi, 0.3);
    }
    if (k == mr_end - 2) {
      report("end of mean rev");
      EXPECT_EQ(s.trend, TrendRegime::MeanReverting);
      EXPECT_LT(s.scores.ar1_phi, -0.2);
    }
  }
  std::printf("stress phase: change reported after %d samples, gate stop after %d\n",
              first_change_in_stress, first_stop);
  EXPECT_GE(first_change_in_stress, 0);
  EXPECT_LE(first_change_in_stress, 10);
  EXPECT_GE(first_stop, 0);
  EXPECT_LE(first_stop, 60);
  EXPECT_EQ(d.sampler_counters().gaps, 0u);
  // The warm-up switches between two volatility levels every 200 s: GARCH(1,1) sees that as
  // integrated variance, a boundary optimum, which must be refused and counted as such.
  EXPECT_EQ(d.counters().garch_fit[static_cast<std::size_t>(FitStatus::Boundary)], 1u);
  EXPECT_EQ(d.counters().garch_fit_failed, 1u);
  EXPECT_DOUBLE_EQ(d.garch_params().alpha, 0.05);  // the variance-targeting fallback
}

TEST(RegimeDetector, ScoresMatchBatchRecomputation) {
  std::vector<Phase> phases{{1500, 2e-4, 0.1}, {800, 6e-4, -0.2}};
  const auto r = phase_returns(phases, 8);
  RegimeConfig cfg = test_config();
  RegimeDetector d(cfg);
  double mid = 20.0;
  d.on_mid(0, mid);
  for (std::size_t i = 0; i < r.size(); ++i) {
    mid *= std::exp(r[i]);
    d.on_mid(static_cast<Nanos>(i + 1) * kSec, mid);
  }
  std::vector<double> ret;
  d.copy_returns(ret);
  ASSERT_EQ(ret.size(), r.size() - 1);
  const std::size_t n = ret.size();
  double ss = 0;
  for (std::size_t i = n - cfg.rv_window; i < n; ++i) ss += ret[i] * ret[i];
  const double rv = std::sqrt(ss / static_cast<double>(cfg.rv_window));
  EXPECT_NEAR(d.state().scores.rv, rv, 1e-9 * rv);
  // AR(1) slope, centred batch OLS over the last ar_window pairs.
  const std::size_t W = cfg.ar_window;
  double mx = 0, my = 0;
  for (std::size_t t = n - W; t < n; ++t) {
    mx += ret[t - 1];
    my += ret[t];
  }
  mx /= static_cast<double>(W);
  my /= static_cast<double>(W);
  double sxy = 0, sxx = 0;
  for (std::size_t t = n - W; t < n; ++t) {
    sxy += (ret[t - 1] - mx) * (ret[t] - my);
    sxx += (ret[t - 1] - mx) * (ret[t - 1] - mx);
  }
  EXPECT_NEAR(d.state().scores.ar1_phi, sxy / sxx, 1e-9);
  // GARCH sigma: the recursion from the warm-up start with the fitted parameters.
  const GarchParams p = d.garch_params();
  double s2 = d.return_scale() * d.return_scale();
  for (double v : ret) s2 = p.omega + p.alpha * (v - p.mu) * (v - p.mu) + p.beta * s2;
  EXPECT_NEAR(d.state().scores.garch_sigma, std::sqrt(s2), 1e-9 * std::sqrt(s2));
  // The parameters are the maximum-likelihood fit of the warm-up returns when it is usable, else
  // the variance-targeting fallback, the failure counted under the fit's reason.
  const GarchFit ref = fit_garch(std::span<const double>(ret.data(), cfg.warmup), cfg.garch_fit);
  ASSERT_TRUE(ref.error.empty());
  EXPECT_EQ(d.counters().garch_fit[static_cast<std::size_t>(ref.status)], 1u);
  if (ref.usable()) {
    EXPECT_DOUBLE_EQ(p.omega, ref.params.omega);
    EXPECT_DOUBLE_EQ(p.alpha, ref.params.alpha);
    EXPECT_DOUBLE_EQ(p.beta, ref.params.beta);
  } else {
    EXPECT_EQ(d.counters().garch_fit_failed, 1u);
    EXPECT_DOUBLE_EQ(p.alpha, 0.05);
    EXPECT_DOUBLE_EQ(p.beta, 0.90);
  }
}

TEST(RegimeDetector, BackgroundRefitIsSwappedIn) {
  std::vector<Phase> phases{{1300, 2e-4, 0.0}, {700, 5e-4, 0.0}};
  const auto r = phase_returns(phases, 13);
  RegimeConfig cfg = test_config();
  cfg.fit_garch_at_warmup = false;  // variance-targeting start; the refit arrives later
  RegimeDetector d(cfg);
  double mid = 10.0;
  d.on_mid(0, mid);
  for (std::size_t i = 0; i < r.size(); ++i) {
    mid *= std::exp(r[i]);
    d.on_mid(static_cast<Nanos>(i + 1) * kSec, mid);
  }
  EXPECT_DOUBLE_EQ(d.garch_params().alpha, 0.05);
  std::vector<double> snapshot;
  d.copy_returns(snapshot);
  auto fut = std::async(std::launch::async, [snapshot] { return fit_garch(snapshot); });
  const GarchFit fit = fut.get();
  ASSERT_TRUE(fit.error.empty()) << fit.error;
  const double before = d.state().scores.garch_sigma;
  EXPECT_TRUE(d.set_garch_params(fit.params));
  EXPECT_EQ(d.counters().garch_swaps, 1u);
  EXPECT_DOUBLE_EQ(d.garch_params().beta, fit.params.beta);
  EXPECT_DOUBLE_EQ(d.state().scores.garch_sigma, before);  // variance state kept
  // The next two samples (the last loop mid, then this one) go through the new parameters.
  d.on_mid(static_cast<Nanos>(r.size() + 1) * kSec, mid * 1.001);
  d.on_mid(static_cast<Nanos>(r.size() + 2) * kSec, mid * 1.001);
  std::vector<double> after;
  d.copy_returns(after);
  const GarchParams& q = fit.params;
  double s2 = before * before;
  for (std::size_t i = after.size() - 2; i < after.size(); ++i)
    s2 = q.omega + q.alpha * (after[i] - q.mu) * (after[i] - q.mu) + q.beta * s2;
  EXPECT_DOUBLE_EQ(after.back(), std::log(mid * 1.001 / mid));
  EXPECT_NEAR(d.state().scores.garch_sigma, std::sqrt(s2), 1e-15);
  EXPECT_FALSE(d.set_garch_params({1e-8, 0.6, 0.6, 0}));
  EXPECT_EQ(d.counters().garch_rejected, 1u);
}

TEST(RegimeDetector, BadInputCountedAndIgnored) {
  RegimeConfig cfg = test_config();
  cfg.sample_on = SampleOn::Grid;  // the zero returns below are the grid's
  RegimeDetector d(cfg);
  EXPECT_EQ(d.on_mid(10 * kSec, 100.0), 0);
  EXPECT_EQ(d.on_mid(11 * kSec, NAN), 0);
  EXPECT_EQ(d.on_mid(11 * kSec, 0.0), 0);
  EXPECT_EQ(d.on_mid(11 * kSec, -5.0), 0);
  EXPECT_EQ(d.on_mid(11 * kSec, INFINITY), 0);
  EXPECT_EQ(d.on_mid(9 * kSec, 100.0), 0);
  EXPECT_EQ(d.sampler_counters().bad_mid, 4u);
  EXPECT_EQ(d.sampler_counters().ts_backwards, 1u);
  EXPECT_EQ(d.sampler_counters().mids, 1u);
  // Grids 10 s (the first sample: the event at 10 s is in effect at 10 s), 11 s and 12 s.
  EXPECT_EQ(d.on_mid(12 * kSec + 1, 101.0), 2);
  std::vector<double> got;
  d.copy_returns(got);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], 0.0);  // all three grid points carry the 100.0 of 10 s
  EXPECT_EQ(got[1], 0.0);
  EXPECT_EQ(d.on_mid(13 * kSec + 1, 101.0), 1);
  d.copy_returns(got);
  EXPECT_DOUBLE_EQ(got.back(), std::log(101.0 / 100.0));
}

// A mid that never moves: on the grid the warm-up fills with zero returns and must not end
// (too few moves, counted at every try); sampling on change it gets no returns at all.
TEST(RegimeDetector, FlatWarmupDoesNotEnd) {
  RegimeConfig cfg = test_config();
  cfg.sample_on = SampleOn::Grid;
  RegimeDetector g(cfg);
  RegimeDetector c(test_config());
  for (int i = 0; i < 3000; ++i) {
    g.on_mid(static_cast<Nanos>(i) * kSec, 42.0);
    c.on_mid(static_cast<Nanos>(i) * kSec, 42.0);
  }
  EXPECT_FALSE(g.state().ready);
  EXPECT_EQ(g.gate(), Gate::Widen);
  EXPECT_EQ(g.state().returns, 2998u);
  // Full at 1200 returns, then a try every rv_window (60) returns: 1 + (2998 - 1200) / 60.
  EXPECT_EQ(g.counters().warmup_too_few_moves, 1u + (2998u - 1200u) / 60u);
  EXPECT_EQ(g.counters().warmup_flat_vol, 0u);
  EXPECT_EQ(g.counters().garch_fit_failed, 0u);  // no fit was tried
  EXPECT_FALSE(c.state().ready);
  EXPECT_EQ(c.state().returns, 0u);
  EXPECT_EQ(c.sampler_counters().flat, 2998u);  // grid points 1..2998 s (0 s was emitted)
}

// Grid sampling of a sparse instrument: a move every 200 s gives 6 moves in a 1200-return
// warm-up (fewer than min_moves = 100: refused); then 150 moves in a burst, enough moves but
// most 60-return windows outside the burst hold no move, so the lower tercile cut is 0
// (refused as a degenerate volatility sample); then a move every 2 s, after which the warm-up
// ends with positive cut points and the labels are not all one bucket.
TEST(RegimeDetector, SparseGridWarmupWaitsForMovesAndAVolatilitySample) {
  RegimeConfig cfg = test_config();
  cfg.sample_on = SampleOn::Grid;
  RegimeDetector d(cfg);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z(0.0, 2e-4);
  double mid = 100.0;
  Nanos t = 0;
  auto step = [&](bool move) {
    if (move) mid *= std::exp(z(rng));
    d.on_mid(t, mid);
    t += kSec;
  };
  for (int i = 0; i < 1500; ++i) step(i % 200 == 0);
  EXPECT_FALSE(d.state().ready);
  EXPECT_GT(d.counters().warmup_too_few_moves, 0u);
  EXPECT_EQ(d.counters().warmup_flat_vol, 0u);
  for (int i = 0; i < 150; ++i) step(true);
  for (int i = 0; i < 200; ++i) step(false);
  EXPECT_FALSE(d.state().ready);
  EXPECT_GT(d.counters().warmup_flat_vol, 0u);
  int calm = 0, stressed = 0, ready = 0;
  for (int i = 0; i < 3000; ++i) {
    step(i % 2 == 0 || (i > 2000 && i < 2200));  // a busier spell late on
    if (d.state().ready) {
      ++ready;
      calm += d.state().vol == VolRegime::Calm;
      stressed += d.state().vol == VolRegime::Stressed;
    }
  }
  std::printf("sparse grid: ready for %d samples, calm %d, stressed %d; refused %llu x too few moves, "
              "%llu x flat volatility\n", ready, calm, stressed,
              static_cast<unsigned long long>(d.counters().warmup_too_few_moves),
              static_cast<unsigned long long>(d.counters().warmup_flat_vol));
  ASSERT_TRUE(d.state().ready);
  // The warm-up that ended still held the sparse tail (small but positive RVs), so the steady
  // phase after it reads normal rather than calm; the busier spell reads stressed.
  EXPECT_GT(ready - stressed - calm, 0);  // normal
  EXPECT_GT(stressed, 0);
  EXPECT_LT(stressed, ready * 6 / 10);
}

// Change sampling against a reference written here: grid points whose mid equals the last
// emitted one are skipped; before a gap longer than max_fill a pending move is still emitted,
// then the gap's last grid point restarts the chain. Tick-rounded mids, so that most events
// leave the mid unchanged; never more than two samples per event.
TEST(RegimeDetector, ChangeSamplingMatchesReference) {
  std::mt19937_64 rng(29);
  std::exponential_distribution<double> gap(1.0 / 0.7);
  std::vector<Event> ev;
  Nanos t = 5 * kSec + 77;
  long ticks = 40000;  // mid in quarter ticks of 0.0025
  for (int i = 0; i < 30000; ++i) {
    double g = gap(rng);
    if (i % 4000 == 3999) g = 300.0;  // longer than max_fill (60 intervals)
    if (i % 900 == 450) g = 45.0;     // long but within max_fill
    t += static_cast<Nanos>(g * 1e9);
    if (rng() % 4 == 0) ticks += (rng() % 2 ? 1 : -1);
    ev.push_back({t, static_cast<double>(ticks) * 0.0025});
  }
  const std::size_t max_fill = 60;
  // Reference: walk the grid points between consecutive events.
  std::vector<double> ref;
  std::size_t gaps = 0, flat = 0, grid_points = 0;
  double last = NAN;  // last emitted mid
  bool chain = false;
  for (std::size_t i = 0; i + 1 < ev.size(); ++i) {
    Nanos first = (ev[i].ts / kSec) * kSec;
    if (first < ev[i].ts) first += kSec;
    std::size_t k = 0;
    for (Nanos g = first; g < ev[i + 1].ts; g += kSec) ++k;
    if (k == 0) continue;
    grid_points += k;
    const double m = ev[i].mid;
    const bool moved = !(m == last);
    if (moved) {
      if (chain) ref.push_back(std::log(m / last));
      last = m;
      chain = true;
    }
    if (k - 1 > max_fill) {
      ++gaps;
      last = m;  // a new chain from the gap's last grid point
    } else {
      flat += k - (moved ? 1 : 0);
    }
  }
  RegimeConfig cfg = test_config();
  cfg.refit_window = 100000;
  ASSERT_EQ(cfg.sample_on, SampleOn::Change);  // the default
  RegimeDetector d(cfg);
  GridSampler s(cfg);
  int most = 0;
  for (const Event& e : ev) {
    d.on_mid(e.ts, e.mid);
    most = std::max(most, s.on_mid(e.ts, e.mid, [](const GridSample&) {}));
  }
  std::vector<double> got;
  d.copy_returns(got);
  ASSERT_EQ(got.size(), ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i) {
    ASSERT_DOUBLE_EQ(got[i], ref[i]) << i;
    ASSERT_NE(got[i], 0.0) << i;
  }
  std::printf("change sampling: %zu grid points, %zu returns, %zu flat skipped, %zu gaps\n",
              grid_points, ref.size(), flat, gaps);
  EXPECT_EQ(d.sampler_counters().flat, flat);
  EXPECT_EQ(d.sampler_counters().gaps, gaps);
  EXPECT_EQ(d.sampler_counters().filled, 0u);
  EXPECT_GT(gaps, 0u);
  EXPECT_GT(flat, ref.size());  // most grid points did not move
  EXPECT_LE(most, 2);
  EXPECT_EQ(most, 2);  // a move before a gap, then the restart
  EXPECT_EQ(s.counters().flat, flat);
}

// Returns simulated from a GARCH(1,1): the warm-up fit is usable and is the reference fit.
TEST(RegimeDetector, UsableWarmupFitIsKept) {
  const GarchParams truth{1e-8, 0.1, 0.85, 0.0};
  std::mt19937_64 rng(7);
  std::normal_distribution<double> z(0.0, 1.0);
  double s2 = truth.omega / (1 - truth.alpha - truth.beta), mid = 100.0;
  RegimeConfig cfg = test_config();
  cfg.warmup = 3000;
  RegimeDetector d(cfg);
  d.on_mid(0, mid);
  std::vector<double> r;
  for (int i = 1; i <= 3001; ++i) {
    const double e = std::sqrt(s2) * z(rng);
    s2 = truth.omega + truth.alpha * e * e + truth.beta * s2;
    mid *= std::exp(e);
    d.on_mid(static_cast<Nanos>(i) * kSec, mid);
  }
  ASSERT_TRUE(d.state().ready);
  std::vector<double> ret;
  d.copy_returns(ret);
  const GarchFit ref = fit_garch(std::span<const double>(ret.data(), 3000), cfg.garch_fit);
  ASSERT_TRUE(ref.usable()) << fit_status_name(ref.status);
  EXPECT_EQ(d.counters().garch_fit[0], 1u);
  EXPECT_EQ(d.counters().garch_fit_failed, 0u);
  EXPECT_DOUBLE_EQ(d.garch_params().alpha, ref.params.alpha);
  EXPECT_DOUBLE_EQ(d.garch_params().beta, ref.params.beta);
  EXPECT_NEAR(d.garch_params().alpha, truth.alpha, 0.05);
}

TEST(RegimeDetector, NoAllocationAfterWarmup) {
  std::vector<Phase> phases{{3000, 2e-4, 0.0}, {1000, 8e-4, 0.2}};
  const auto r = phase_returns(phases, 17);
  RegimeDetector d(test_config());
  double mid = 30.0;
  d.on_mid(0, mid);
  std::size_t i = 0;
  for (; i < 1500; ++i) {
    mid *= std::exp(r[i]);
    d.on_mid(static_cast<Nanos>(i + 1) * kSec, mid);
  }
  ASSERT_TRUE(d.state().ready);
  const std::size_t before = g_allocs.load();
  for (; i < r.size(); ++i) {
    mid *= std::exp(r[i]);
    // two events per interval and an occasional filled gap
    d.on_mid(static_cast<Nanos>(i + 1) * kSec - kSec / 3, mid * 1.0001);
    d.on_mid(static_cast<Nanos>(i + 1) * kSec + (i % 100 == 0 ? 5 * kSec : 0), mid);
  }
  EXPECT_EQ(g_allocs.load(), before);
  EXPECT_GT(d.state().returns, 3000u);
}
