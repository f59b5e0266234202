// Metrics against independent references: hand-worked small cases, and brute-force recomputations
// over random data (drawdown by an O(n^2) scan, VaR by its counting definition and CVaR by repeated
// extraction of the largest loss, markouts by a linear scan, prediction scores from raw rows).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../common/test_rng.hpp"
#include "hft/report/metrics.hpp"

namespace {

using namespace hft;
using namespace hft::report;

constexpr Nanos kSec = 1'000'000'000;

TEST(Metrics, SharpeSortinoHandWorked) {
  const std::vector<double> x = {1, -1, 2, 0};
  const auto r = risk_return(x, 1.0, 23400, 252);
  // mean 0.5; sample variance ((.5)^2 + (1.5)^2 + (1.5)^2 + (.5)^2) / 3 = 5/3; downside sqrt(1/4).
  const double ann = std::sqrt(252.0 * 23400.0);  // 2428.33...
  EXPECT_NEAR(r.annualisation, 2428.3327613818, 1e-6);
  EXPECT_NEAR(r.intervals_per_year, 5'896'800.0, 1e-6);
  EXPECT_DOUBLE_EQ(r.mean, 0.5);
  EXPECT_NEAR(r.sd, std::sqrt(5.0 / 3.0), 1e-12);
  EXPECT_NEAR(r.downside_sd, 0.5, 1e-12);
  EXPECT_NEAR(r.sharpe, 0.5 / std::sqrt(5.0 / 3.0) * ann, 1e-9);
  EXPECT_NEAR(r.sortino, 1.0 * ann, 1e-9);
  EXPECT_TRUE(std::isnan(risk_return(std::vector<double>{1.0}, 1, 23400, 252).sharpe));
}

TEST(Metrics, DrawdownHandWorked) {
  const std::vector<EquityPoint> e = {{1, 5}, {2, 3}, {3, 8}, {4, 1}, {5, 4}};
  const auto d = max_drawdown(e);
  EXPECT_DOUBLE_EQ(d.max, 7);
  EXPECT_EQ(d.peak_t, 3);
  EXPECT_EQ(d.trough_t, 4);
  // A curve that only falls: the drawdown runs from the starting 0.
  const std::vector<EquityPoint> f = {{1, -2}, {2, -5}};
  EXPECT_DOUBLE_EQ(max_drawdown(f).max, 5);
}

TEST(Metrics, DrawdownMatchesBruteForce) {
  hft::testing::TestRng rng(11);
  for (int rep = 0; rep < 50; ++rep) {
    std::vector<EquityPoint> e;
    double v = 0;
    const int n = 1 + static_cast<int>(rng.next() % 300);
    for (int k = 0; k < n; ++k) e.push_back({k + 1, v += rng.normal()});
    std::vector<double> full{0};
    for (const auto& p : e) full.push_back(p.net);
    double best = 0;
    for (std::size_t i = 0; i < full.size(); ++i)
      for (std::size_t j = i; j < full.size(); ++j) best = std::max(best, full[i] - full[j]);
    const auto d = max_drawdown(e);
    EXPECT_NEAR(d.max, best, 1e-9);
    if (best > 0) {
      // The reported times are a pair that attains it.
      double at_peak = 0, at_trough = 0;
      for (const auto& p : e) {
        if (p.t == d.peak_t) at_peak = p.net;
        if (p.t == d.trough_t) at_trough = p.net;
      }
      EXPECT_LE(d.peak_t, d.trough_t);
      // A peak at the start (net 0) has no sample of its own: then the peak value is 0.
      EXPECT_NEAR(std::max(at_peak, 0.0) - at_trough, best, 1e-9);
    }
  }
}

TEST(Metrics, VarHandWorked) {
  // 20 intervals: losses 10, 8, 6, ... m = ceil(0.05 * 20) = 1 at 95%.
  std::vector<double> x;
  for (int k = 0; k < 20; ++k) x.push_back(k - 10.0);  // -10 .. 9
  const auto t95 = historical_var(x, 0.95);
  EXPECT_DOUBLE_EQ(t95.var, 10);
  EXPECT_DOUBLE_EQ(t95.cvar, 10);
  x.push_back(-11);  // 21 values: m = ceil(1.05) = 2
  const auto t = historical_var(x, 0.95);
  EXPECT_DOUBLE_EQ(t.var, 10);
  EXPECT_DOUBLE_EQ(t.cvar, 10.5);
}

TEST(Metrics, VarMatchesCountingDefinition) {
  hft::testing::TestRng rng(5);
  for (int rep = 0; rep < 60; ++rep) {
    const std::size_t n = 1 + rng.next() % 500;
    std::vector<double> x(n);
    for (auto& v : x) v = std::round(rng.normal() * 4) / 2;  // ties on purpose
    for (const double level : {0.95, 0.99}) {
      std::size_t m = 0;
      while (static_cast<double>(m) < (1 - level) * static_cast<double>(n) - 1e-9) ++m;  // ceil by counting
      m = std::max<std::size_t>(m, 1);
      const auto t = historical_var(x, level);
      // VaR v is a loss value with at least m losses >= v and fewer than m losses > v.
      std::size_t ge = 0, gt = 0;
      for (double v : x) {
        ge += -v >= t.var;
        gt += -v > t.var;
      }
      EXPECT_GE(ge, m);
      EXPECT_LT(gt, m);
      // CVaR: mean of the m largest losses, taken out one at a time.
      std::vector<double> left = x;
      double sum = 0;
      for (std::size_t k = 0; k < m; ++k) {
        auto it = std::min_element(left.begin(), left.end());
        sum += -*it;
        left.erase(it);
      }
      EXPECT_NEAR(t.cvar, sum / static_cast<double>(m), 1e-9);
    }
  }
}

Recording two_strategy_grid() {
  Recording r;
  r.settings.strategies = 2;
  r.settings.instruments = 2;
  r.pairs.resize(4);
  r.per_strategy.resize(2);
  auto add = [&](Nanos t, std::uint16_t s, InstrumentId i, double net) {
    GridSample g;
    g.t = t;
    g.strategy = s;
    g.instrument = i;
    g.net = net;
    r.grid.push_back(g);
  };
  add(kSec, 0, 0, 1);
  add(2 * kSec, 0, 0, 3);
  add(2 * kSec, 1, 1, -1);
  add(3 * kSec, 0, 0, 2);
  add(3 * kSec, 1, 1, -4);
  return r;
}

TEST(Metrics, EquityCurveSumsPairsPerTime) {
  const auto r = two_strategy_grid();
  const auto all = equity_curve(r, -1);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_DOUBLE_EQ(all[0].net, 1);
  EXPECT_DOUBLE_EQ(all[1].net, 2);
  EXPECT_DOUBLE_EQ(all[2].net, -2);
  const auto s1 = equity_curve(r, 1);
  ASSERT_EQ(s1.size(), 2u);
  EXPECT_EQ(s1[0].t, 2 * kSec);
  const auto x = interval_pnl(all);
  EXPECT_EQ(x, (std::vector<double>{1, 1, -4}));
}

TEST(Metrics, MarkoutsHandWorked) {
  Recording r;
  r.settings.instruments = 2;
  // Instrument 0 mids every 100 ms from 0: 100.00 + 0.01 k; instrument 1 constant 50.
  for (int k = 0; k <= 200; ++k) {
    r.mids.push_back({k * 100'000'000LL, 0, 100.0 + 0.01 * k});
    r.mids.push_back({k * 100'000'000LL, 1, 50.0});
  }
  FillRow buy;
  buy.ts = 250'000'000;  // + 1 s = 1.25 s -> first sample at 1.3 s: 100.13
  buy.side = Side::Buy;
  buy.price = 1'000'000;
  buy.qty = 10;
  FillRow sell = buy;
  sell.ts = 999'000'000;  // ts_venue wins: 0.5 s + 1 s -> 1.5 s: 100.15
  sell.ts_venue = 500'000'000;
  sell.side = Side::Sell;
  sell.qty = 30;
  FillRow late = buy;
  late.ts = 19'500'000'000;  // + 1 s beyond the data
  r.fills = {buy, sell, late};
  const auto m = markout(r, -1, kSec);
  EXPECT_EQ(m.fills, 2u);
  EXPECT_EQ(m.unresolved, 1u);
  EXPECT_EQ(m.qty, 40u);
  const double total = 10 * (100.13 - 100.0) + 30 * -(100.15 - 100.0);
  EXPECT_NEAR(m.total, total, 1e-9);
  EXPECT_NEAR(m.per_share, total / 40, 1e-9);
}

TEST(Metrics, MarkoutsMatchLinearScan) {
  hft::testing::TestRng rng(3);
  Recording r;
  r.settings.instruments = 3;
  double mid[3] = {10, 20, 30};
  for (Nanos t = 0; t < 60 * kSec; t += 100'000'000)
    for (InstrumentId i = 0; i < 3; ++i)
      if (rng.uniform() < 0.8) r.mids.push_back({t, i, mid[i] += 0.01 * rng.normal()});
  for (int k = 0; k < 500; ++k) {
    FillRow f;
    f.ts = static_cast<Nanos>(rng.uniform() * 60e9);
    f.ts_venue = rng.uniform() < 0.5 ? f.ts - 1000 : 0;
    f.instrument = static_cast<InstrumentId>(rng.next() % 3);
    f.strategy = static_cast<std::uint16_t>(rng.next() % 2);
    f.side = rng.uniform() < 0.5 ? Side::Buy : Side::Sell;
    f.price = static_cast<Price>(mid[f.instrument] * kPriceScale) + static_cast<Price>(rng.next() % 200) - 100;
    f.qty = static_cast<Qty>(1 + rng.next() % 100);
    r.fills.push_back(f);
  }
  for (const Nanos h : {kSec, 10 * kSec}) {
    double total = 0;
    std::uint64_t qty = 0, unresolved = 0;
    for (const auto& f : r.fills) {
      if (f.strategy != 1) continue;
      const Nanos t = (f.ts_venue ? f.ts_venue : f.ts) + h;
      const MidSample* hit = nullptr;
      for (const auto& s : r.mids)
        if (s.instrument == f.instrument && s.t >= t) {
          hit = &s;
          break;
        }
      if (!hit) {
        ++unresolved;
        continue;
      }
      total += (hit->mid - f.price / 1e4) * (f.side == Side::Buy ? 1 : -1) * f.qty;
      qty += f.qty;
    }
    const auto m = markout(r, 1, h);
    EXPECT_NEAR(m.total, total, 1e-7);
    EXPECT_EQ(m.qty, qty);
    EXPECT_EQ(m.unresolved, unresolved);
    EXPECT_GT(unresolved, 0u);
  }
}

TEST(Metrics, FillRatioQueueTurnoverHandWorked) {
  Recording r;
  r.settings.strategies = 1;
  r.settings.instruments = 1;
  r.pairs.resize(1);
  r.pairs[0] = {0, 0, 12.5, 2.5, 0, 0};
  r.per_strategy.resize(1);
  r.total.orders_sent = 8;
  r.total.orders_filled = 2;
  r.total.qty_sent = 800;
  r.total.qty_filled = 300;
  r.total.notional = 30000;
  r.total.max_gross = 10000;
  r.total.trips = 4;
  r.total.wins = 3;
  r.total.losses = 1;
  r.total.win_sum = 9;
  r.total.loss_sum = 3;
  for (Qty q : {40u, 10u, 30u, 20u}) {
    FillRow f;
    f.liquidity = Liquidity::Maker;
    f.queue_ahead = q;
    f.side = Side::Buy;
    r.fills.push_back(f);
  }
  FillRow taker;
  taker.liquidity = Liquidity::Taker;
  taker.queue_ahead = 1000;  // not a maker fill: ignored
  r.fills.push_back(taker);
  const auto m = compute_metrics(r);
  EXPECT_DOUBLE_EQ(m.fill_ratio_qty, 0.375);
  EXPECT_DOUBLE_EQ(m.fill_ratio_orders, 0.25);
  EXPECT_EQ(m.queue_fills, 4u);
  EXPECT_DOUBLE_EQ(m.queue_mean, 25);
  EXPECT_DOUBLE_EQ(m.queue_median, 25);
  EXPECT_DOUBLE_EQ(m.turnover, 3);
  EXPECT_DOUBLE_EQ(m.win_rate, 0.75);
  EXPECT_DOUBLE_EQ(m.profit_factor, 3);
  EXPECT_DOUBLE_EQ(m.realized, 12.5);
  EXPECT_DOUBLE_EQ(m.fees, 2.5);
  EXPECT_DOUBLE_EQ(m.net, 10);
}

TEST(Metrics, PredictionScoresMatchRawRows) {
  hft::testing::TestRng rng(9);
  PredictionStats s;
  std::vector<std::array<float, 3>> rows;
  std::vector<int> truth;
  for (int k = 0; k < 3000; ++k) {
    std::array<float, 3> p{static_cast<float>(rng.uniform()), static_cast<float>(rng.uniform()),
                           static_cast<float>(rng.uniform() * 0.5)};
    const float sum = p[0] + p[1] + p[2];
    for (auto& v : p) v /= sum;
    const int y = static_cast<int>(rng.next() % 3);
    rows.push_back(p);
    truth.push_back(y);
  }
  {
    RecorderSettings st;
    st.max_orders = 1;
    Recorder rec(st);
    for (std::size_t k = 0; k < rows.size(); ++k) rec.on_label(rows[k].data(), truth[k]);
    s = rec.data().pred;
  }
  const auto m = prediction_metrics(s);
  // Reference from the rows: argmax with the documented ties, per-class counts, F1 by definition.
  auto top = [](const std::array<float, 3>& p) {
    int best = 1;  // flat wins ties with down; up only strictly
    if (p[0] > p[1]) best = 0;
    if (p[2] > p[best] && p[2] > p[1] && p[2] > p[0]) best = 2;
    return best;
  };
  double correct = 0, ll = 0, f1 = 0;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    correct += top(rows[k]) == truth[k];
    ll += -std::log(std::max(1e-15, static_cast<double>(rows[k][static_cast<std::size_t>(truth[k])])));
  }
  for (int c = 0; c < 3; ++c) {
    double tp = 0, fp = 0, fn = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const int p = top(rows[k]);
      tp += p == c && truth[k] == c;
      fp += p == c && truth[k] != c;
      fn += p != c && truth[k] == c;
    }
    if (tp + fp + fn > 0) f1 += 2 * tp / (2 * tp + fp + fn);
  }
  const double n = static_cast<double>(rows.size());
  EXPECT_NEAR(m.accuracy, correct / n, 1e-12);
  EXPECT_NEAR(m.log_loss, ll / n, 1e-9);
  EXPECT_NEAR(m.macro_f1, f1 / 3, 1e-12);
  // Calibration: per bin of the top probability, recomputed.
  for (int b = 0; b < 10; ++b) {
    double cnt = 0, sp = 0, ok = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const double p = rows[k][static_cast<std::size_t>(top(rows[k]))];
      if (std::min(9, static_cast<int>(p * 10)) != b) continue;
      ++cnt;
      sp += p;
      ok += top(rows[k]) == truth[k];
    }
    EXPECT_EQ(m.calibration[static_cast<std::size_t>(b)].count, static_cast<std::uint64_t>(cnt));
    if (cnt) {
      EXPECT_NEAR(m.calibration[static_cast<std::size_t>(b)].mean_predicted, sp / cnt, 1e-6);
      EXPECT_NEAR(m.calibration[static_cast<std::size_t>(b)].fraction_correct, ok / cnt, 1e-12);
    }
  }
}

TEST(Metrics, PredictionHandWorked) {
  PredictionStats s;
  s.labels = 4;
  // truth down: predicted down twice; truth up: predicted down once, up once.
  s.confusion = {2, 0, 0, 0, 0, 0, 1, 0, 1};
  s.log_loss_sum = 4 * 0.5;
  const auto m = prediction_metrics(s);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.75);
  // F1 down = 4 / (4 + 1) = 0.8, flat = 0, up = 2 / (2 + 1) = 2/3.
  EXPECT_NEAR(m.macro_f1, (0.8 + 0 + 2.0 / 3) / 3, 1e-12);
  EXPECT_DOUBLE_EQ(m.log_loss, 0.5);
  EXPECT_TRUE(std::isnan(prediction_metrics(PredictionStats{}).accuracy));
}

}  // namespace
