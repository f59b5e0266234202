// The models feature group (features/stat_models.hpp): refits see the right inputs and are
// swapped in at their event time, the values are the models' (checked against direct sums and
// closed forms written here), and a background thread changes nothing in a replay.
#include "hft/features/stat_models.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace hft::features {
namespace {

constexpr double kNs = 1e9;

model::HawkesParams sm_truth() {
  model::HawkesParams p;
  p.dim = 2;
  p.mu = {0.6, 0.4};
  p.alpha = {{{1.2, 0.4}, {0.3, 1.0}}};
  p.beta = 3.0;
  return p;
}

StatModelConfig sm_config() {
  StatModelConfig c;
  c.prior.dim = 2;
  c.prior.mu = {0.1, 0.1};
  c.prior.alpha = {{{1.0, 0.0}, {0.0, 1.0}}};
  c.prior.beta = 2.0;
  return c;
}

// One market order per simulated event, at its time (ns, from 1 s).
std::vector<StatEvent> sm_orders(const model::HawkesSample& s) {
  std::vector<StatEvent> ev;
  for (std::size_t i = 0; i < s.times.size(); ++i) {
    StatEvent e;
    e.clock = static_cast<Nanos>(std::llround((1.0 + s.times[i]) * kNs));
    e.mo_buy = s.marks[i] == 0;
    e.mo_sell = s.marks[i] == 1;
    ev.push_back(e);
  }
  return ev;
}

TEST(StatModels, HawkesRefitSeesTheKeptOrdersAndItsIntensityIsTheDirectSum) {
  const model::HawkesParams truth = sm_truth();
  const model::HawkesSample sim = model::hawkes_simulate(truth, 3000.0, 11);
  ASSERT_GT(sim.times.size(), 5000u);
  StatModelConfig cfg = sm_config();
  cfg.refit = static_cast<Nanos>(2000 * kNs);
  cfg.swap_lag = 0;
  cfg.orders = 1u << 16;  // every order kept
  StatModels m(cfg, 1);
  const std::vector<StatEvent> ev = sm_orders(sim);
  std::size_t swapped_at = 0;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    m.on_event(0, ev[i]);
    if (m.counters().swaps == 1 && swapped_at == 0) swapped_at = i;
  }
  ASSERT_EQ(m.counters().requests, 1u);
  ASSERT_EQ(m.counters().swaps, 1u);
  ASSERT_EQ(m.counters().hawkes_ok, 1u);
  // The request was made at the first order at or after first + 2000 s, on the orders up to it.
  std::size_t req = 0;
  while (ev[req].clock < ev[0].clock + cfg.refit) ++req;
  EXPECT_EQ(swapped_at, req + 1);  // swap_lag 0: at the next event
  std::vector<double> t;
  std::vector<std::uint8_t> mk;
  for (std::size_t i = 0; i <= req; ++i) {
    t.push_back(sim.times[i] - sim.times[0]);
    mk.push_back(sim.marks[i]);
  }
  model::HawkesFitOptions o;
  const model::HawkesFit direct = model::hawkes_fit(t, mk, 2, sim.times[req] - sim.times[0], o);
  ASSERT_EQ(direct.status, model::HawkesFitStatus::Ok);
  const model::HawkesParams& got = m.hawkes_params(0);
  // The same optimum as a direct fit of those orders (the refit uses 2 starts, no errors)...
  EXPECT_NEAR(got.beta, direct.params.beta, 1e-4 * direct.params.beta);
  // ... and within 4 standard errors of the truth.
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(got.mu[i], truth.mu[i], 4 * direct.se.mu[i]) << i;
    for (std::size_t j = 0; j < 2; ++j) EXPECT_NEAR(got.alpha[i][j], truth.alpha[i][j], 4 * direct.se.alpha[i][j]) << i << j;
  }
  EXPECT_NEAR(got.beta, truth.beta, 4 * direct.se.beta);
  // The intensity at a later time: mu + the direct sum over every order so far.
  const Nanos at = ev.back().clock + 250'000'000;
  double out[kStatOutputs];
  m.values(0, at, true, out);
  for (int d = 0; d < 2; ++d) {
    double lam = got.mu[static_cast<std::size_t>(d)];
    for (const StatEvent& e : ev) {
      const int src = e.mo_buy ? 0 : 1;
      lam += got.alpha[static_cast<std::size_t>(d)][static_cast<std::size_t>(src)] *
             std::exp(-got.beta * static_cast<double>(at - e.clock) / kNs);
    }
    EXPECT_NEAR(out[d], lam, 1e-9 * lam) << d;
  }
}

// A stream with every input: Hawkes orders, a random-walk mid, best-queue flow.
std::vector<StatEvent> sm_mixed_stream(std::uint64_t seed) {
  const model::HawkesSample sim = model::hawkes_simulate(sm_truth(), 7200.0, seed);
  std::vector<StatEvent> ev = sm_orders(sim);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> step(-1, 1), q(1, 30);
  double mid = 1'000'000;
  Volume bq = 500, aq = 500;
  for (auto& e : ev) {
    mid += 100 * step(rng);
    const Volume d = 100 * (q(rng) - 15);
    e.valid = true;
    e.mid = mid;
    if (rng() & 1) e.bid_change = d, bq = std::max<Volume>(100, bq + d);
    else e.ask_change = d, aq = std::max<Volume>(100, aq + d);
    e.best_bid_qty = bq;
    e.best_ask_qty = aq;
  }
  return ev;
}

TEST(StatModels, ABackgroundThreadChangesNoValueInAReplay) {
  const std::vector<StatEvent> ev = sm_mixed_stream(5);
  StatModelConfig cfg = sm_config();
  cfg.refit = static_cast<Nanos>(600 * kNs);
  cfg.swap_lag = static_cast<Nanos>(30 * kNs);
  cfg.window = 1024;
  cfg.orders = 2048;
  cfg.queue_units = 8;
  auto run = [&](bool threaded) {
    StatModels m(cfg, 1);
    std::atomic<bool> stop{false};
    std::thread th;
    if (threaded)
      th = std::thread([&] {
        while (!stop.load(std::memory_order_acquire))
          if (m.work() == 0) std::this_thread::yield();
      });
    std::vector<double> vals;
    double out[kStatOutputs];
    for (std::size_t i = 0; i < ev.size(); ++i) {
      m.on_event(0, ev[i]);
      if (i % 97 == 0) {
        m.values(0, ev[i].clock, true, out);
        vals.insert(vals.end(), out, out + kStatOutputs);
      }
    }
    stop.store(true, std::memory_order_release);
    if (th.joinable()) th.join();
    return std::make_pair(vals, m.counters());
  };
  const auto [a, ca] = run(false);
  const auto [b, cb] = run(true);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "value " << i % kStatOutputs << " at " << i / kStatOutputs;
  EXPECT_EQ(ca.requests, cb.requests);
  EXPECT_EQ(ca.swaps, cb.swaps);
  EXPECT_GE(ca.swaps, 10u);
  EXPECT_EQ(ca.hawkes_ok, cb.hawkes_ok);
  EXPECT_GT(ca.hawkes_ok, 0u);
  EXPECT_GT(ca.qr_ok, 0u);
  EXPECT_EQ(ca.waited, ca.swaps);  // no thread: every fit made at its swap time
  // The queue value is the table's at the last queues (an independent evaluation of the model).
  const model::QueueTable* t = nullptr;
  StatModels m(cfg, 1);
  for (const auto& e : ev) m.on_event(0, e);
  t = m.queue_table(0);
  ASSERT_NE(t, nullptr);
  double out[kStatOutputs];
  m.values(0, ev.back().clock, true, out);
  EXPECT_NEAR(out[2], model::queue_p_up(t->units(ev.back().best_bid_qty), t->units(ev.back().best_ask_qty), t->lambda(), t->mu()), 1e-9);
  for (double v : a) EXPECT_TRUE(std::isfinite(v));
}

TEST(StatModels, BayesFeaturesAreTheConjugatePosteriorOfTheGridReturns) {
  StatModelConfig cfg = sm_config();
  cfg.discount = 1.0;  // the exact posterior, in closed form below
  StatModels m(cfg, 1);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> mids;
  double x = 100.0;
  const int n = 500;
  for (int i = 0; i < n; ++i) {
    x *= std::exp(2e-5 + 1e-4 * z(rng));
    mids.push_back(x);
    StatEvent e;
    e.clock = static_cast<Nanos>((i + 0.5) * kNs);  // one event a second, between grid points
    e.valid = true;
    e.mid = x;
    m.on_event(0, e);
  }
  // The mid at grid point k (k s) is the last one before it, mids[k-1]; the chain starts at the
  // first grid point after the first mid: returns log(mids[j] / mids[j-1]), j = 1..n-2.
  const double m0 = 0, V0 = 1, a0 = 1, b0 = 1e-10;
  double sr = 0, sr2 = 0;
  int cnt = 0;
  for (int j = 1; j <= n - 2; ++j) {
    const double r = std::log(mids[static_cast<std::size_t>(j)] / mids[static_cast<std::size_t>(j - 1)]);
    sr += r;
    sr2 += r * r;
    ++cnt;
  }
  const double V = 1 / (1 / V0 + cnt);
  const double mm = V * (m0 / V0 + sr);
  const double a = a0 + cnt / 2.0;
  const double b = b0 + (sr2 + m0 * m0 / V0 - mm * mm / V) / 2;
  double out[kStatOutputs];
  m.values(0, static_cast<Nanos>((n - 0.5) * kNs), true, out);
  const double sigma = std::sqrt(b) * std::exp(std::lgamma(a - 0.5) - std::lgamma(a));
  EXPECT_NEAR(out[6], sigma * 1e4, 1e-7 * sigma * 1e4);
  EXPECT_NEAR(out[5], mm / std::sqrt(b * V / a), 1e-6);
  EXPECT_EQ(out[2], 0.5);  // no queue table yet
  EXPECT_EQ(out[3], 0.0);  // no ARMA-GARCH fit yet
}

TEST(StatModels, ArmaGarchRefitIsTheFitOfTheWindowAndDrivesTheForecast) {
  // ARMA(1,1)-GARCH(1,1) returns with known parameters, one per grid second.
  const model::ArmaGarchParams truth{0.0, 0.3, -0.1, 2e-10, 0.08, 0.9};
  std::mt19937_64 rng(9);
  std::normal_distribution<double> z(0.0, 1.0);
  StatModelConfig cfg = sm_config();
  cfg.window = 3000;
  cfg.refit = static_cast<Nanos>(3200 * kNs);
  cfg.swap_lag = 0;
  StatModels m(cfg, 1);
  double s2 = truth.omega / (1 - truth.alpha - truth.beta), e_prev = 0, r_prev = 0, x = 100;
  std::vector<double> rets;
  for (int i = 0; i < 3400; ++i) {
    const double e = std::sqrt(s2) * z(rng);
    const double r = truth.c + truth.phi * r_prev + truth.theta * e_prev + e;
    s2 = truth.omega + truth.alpha * e * e + truth.beta * s2;
    e_prev = e;
    r_prev = r;
    x *= std::exp(r);
    StatEvent ev;
    ev.clock = static_cast<Nanos>((i + 0.5) * kNs);
    ev.valid = true;
    ev.mid = x;
    m.on_event(0, ev);
    rets.push_back(r);
  }
  model::ArmaGarchParams got{};
  ASSERT_TRUE(m.arma_garch_fitted(0, &got));
  EXPECT_EQ(m.counters().ag_ok, 1u);
  // The fit of the returns that were in the window at the request (the grid returns are the
  // simulated ones, shifted by one: see the Bayes test), made directly here.
  std::size_t req = 0;
  while ((req + 0.5) * kNs < 0.5 * kNs + static_cast<double>(cfg.refit)) ++req;
  // At the request (event req) the grid returns pushed were rets[1..req-1]; the window keeps the last.
  const auto end = rets.begin() + static_cast<std::ptrdiff_t>(req);
  const std::vector<double> window(end - static_cast<std::ptrdiff_t>(cfg.window), end);
  model::ArmaGarchOptions o;
  o.starts = 2;
  o.standard_errors = false;
  const model::ArmaGarchFit direct = model::fit_arma_garch(window, o);
  ASSERT_TRUE(direct.usable());
  // (the grid returns are logs of mid ratios: equal to the simulated ones up to rounding)
  EXPECT_NEAR(got.phi, direct.params.phi, 1e-6);
  EXPECT_NEAR(got.beta, direct.params.beta, 1e-6);
  EXPECT_NEAR(got.phi + got.theta, truth.phi + truth.theta, 0.15);  // the identified sum, loosely
  EXPECT_NEAR(got.alpha + got.beta, truth.alpha + truth.beta, 0.05);
  double out[kStatOutputs];
  m.values(0, static_cast<Nanos>(3400 * kNs), true, out);
  EXPECT_GT(out[4], 0.0);
  EXPECT_TRUE(std::isfinite(out[3]));
}

TEST(StatModels, PairZScoreIsTheRollingRegressionResidualOverItsDeviation) {
  StatModelConfig cfg = sm_config();
  cfg.pairs = 1;
  cfg.coint_window = 200;
  StatModels m(cfg, 3);
  m.set_pair_leg(0, true, 0);   // y
  m.set_pair_leg(0, false, 1);  // x
  std::mt19937_64 rng(17);
  std::normal_distribution<double> z(0.0, 1.0);
  double lx = std::log(50.0), u = 0;
  std::vector<double> ys, xs;  // the logs the pair is sampled at
  double y_mid = 0, x_mid = 0;
  bool have = false;
  for (int i = 0; i < 600; ++i) {
    lx += 2e-4 * z(rng);
    u = 0.95 * u + 1e-4 * z(rng);  // a stationary spread
    const double ly = 0.3 + 0.8 * lx + u;
    // x first, then y, both within second i (y crosses the grid point at i s with x's mid known).
    StatEvent ex;
    ex.clock = static_cast<Nanos>((i + 0.2) * kNs);
    ex.valid = true;
    ex.mid = std::exp(lx);
    m.on_event(1, ex);
    StatEvent ey;
    ey.clock = static_cast<Nanos>((i + 0.6) * kNs);
    ey.valid = true;
    ey.mid = std::exp(ly);
    // At y's event in second i the grid point i has passed: y's mid there is its previous one,
    // x's the one just set.
    if (have && i >= 2) {
      ys.push_back(std::log(y_mid));
      xs.push_back(std::log(ex.mid));
    }
    m.on_event(0, ey);
    y_mid = ey.mid;
    have = true;
    x_mid = ex.mid;
  }
  (void)x_mid;
  double out[kStatOutputs + 1];
  m.values(0, static_cast<Nanos>(600 * kNs), true, out);
  // Direct OLS of the last 200 pairs.
  const std::size_t n = 200, o = ys.size() - n;
  double my = 0, mx = 0;
  for (std::size_t i = 0; i < n; ++i) my += ys[o + i] / n, mx += xs[o + i] / n;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < n; ++i) sxx += (xs[o + i] - mx) * (xs[o + i] - mx), sxy += (xs[o + i] - mx) * (ys[o + i] - my);
  const double b = sxy / sxx, a = my - b * mx;
  double ssr = 0;
  for (std::size_t i = 0; i < n; ++i) ssr += std::pow(ys[o + i] - a - b * xs[o + i], 2);
  const double zz = (ys.back() - a - b * xs.back()) / std::sqrt(ssr / (n - 2));
  EXPECT_NEAR(out[kStatOutputs], zz, 1e-6 * std::max(1.0, std::fabs(zz)));
  EXPECT_NE(out[kStatOutputs], 0.0);
  m.values(1, static_cast<Nanos>(600 * kNs), true, out);
  EXPECT_NEAR(out[kStatOutputs], -zz, 1e-6 * std::max(1.0, std::fabs(zz)));  // the x leg: -z
  m.values(2, static_cast<Nanos>(600 * kNs), true, out);
  EXPECT_EQ(out[kStatOutputs], 0.0);  // in no pair
}

TEST(StatModels, InstrumentsStartingTogetherAreRefittedApart) {
  StatModelConfig cfg = sm_config();
  cfg.refit = static_cast<Nanos>(1800 * kNs);
  cfg.swap_lag = static_cast<Nanos>(60 * kNs);
  StatModels m(cfg, 8);
  std::vector<Nanos> first(8, 0);
  for (int t = 0; t < 4000; ++t)
    for (std::size_t k = 0; k < 8; ++k) {
      StatEvent e;
      e.clock = static_cast<Nanos>(t * kNs);
      e.valid = true;
      e.mid = 100;
      const auto before = m.counters().requests;
      m.on_event(k, e);
      if (m.counters().requests > before && first[k] == 0) first[k] = e.clock;
    }
  EXPECT_EQ(m.counters().busy, 0u);  // at most two at a time: never more than kPending pending
  for (std::size_t k = 0; k < 8; ++k)
    EXPECT_EQ(first[k], static_cast<Nanos>((1800 + 450 * static_cast<double>(k % 4)) * kNs)) << k;
}

}  // namespace
}  // namespace hft::features
