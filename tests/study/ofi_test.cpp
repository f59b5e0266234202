// OFI study: OLS against independent closed forms, e_n against hand-worked cases, interval
// aggregation (OFI, TI, dP at the boundaries), and the event driver on a hand-made stream.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/study/ofi.hpp"

namespace hft::study {
namespace {

// Deterministic pseudo-random numbers in [-1, 1) (no <random> distribution differences).
struct Lcg {
  std::uint64_t s;
  double next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / static_cast<double>(1ULL << 52) - 1.0;
  }
};

TEST(Ols, NoiselessLineIsExact) {
  std::vector<double> x, y;
  for (int i = 0; i < 50; ++i) {
    x.push_back(i * 3.0 - 40);
    y.push_back(2.0 + 0.5 * x.back());
  }
  const Ols r = ols1(x, y);
  ASSERT_TRUE(r.ok);
  EXPECT_NEAR(r.beta, 0.5, 1e-12);
  EXPECT_NEAR(r.alpha, 2.0, 1e-12);
  EXPECT_NEAR(r.r2, 1.0, 1e-12);
}

TEST(Ols, MatchesClosedFormOnNoisyData) {
  Lcg g{42};
  std::vector<double> x, y;
  const std::size_t n = 400;
  for (std::size_t i = 0; i < n; ++i) {
    x.push_back(1000 * g.next());
    y.push_back(-1.5 + 0.003 * x.back() + 2.0 * g.next());
  }
  // Independent computation: raw (uncentred) sums, the textbook formulas.
  double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
    syy += y[i] * y[i];
  }
  const double dn = static_cast<double>(n);
  const double beta = (dn * sxy - sx * sy) / (dn * sxx - sx * sx);
  const double alpha = (sy - beta * sx) / dn;
  double ssr = 0, sst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ssr += (y[i] - alpha - beta * x[i]) * (y[i] - alpha - beta * x[i]);
    sst += (y[i] - sy / dn) * (y[i] - sy / dn);
  }
  const double r2 = 1 - ssr / sst;
  const double corr = (dn * sxy - sx * sy) / std::sqrt((dn * sxx - sx * sx) * (dn * syy - sy * sy));
  const double se = std::sqrt(ssr / (dn - 2) / (sxx - sx * sx / dn));

  const Ols r = ols1(x, y);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.n, n);
  EXPECT_NEAR(r.beta, beta, 1e-9 * std::fabs(beta));
  EXPECT_NEAR(r.alpha, alpha, 1e-9);
  EXPECT_NEAR(r.r2, r2, 1e-9);
  EXPECT_NEAR(r.r2, corr * corr, 1e-9);  // simple regression: R^2 is the squared correlation
  EXPECT_NEAR(r.t_beta, beta / se, 1e-6 * std::fabs(beta / se));
  EXPECT_NEAR(r.beta, 0.003, 0.0003);    // the known slope, within noise
  EXPECT_GT(r.r2, 0.5);
  EXPECT_LT(r.r2, 0.95);
}

TEST(Ols, TwoRegressors) {
  Lcg g{7};
  std::vector<double> a, b, y, yn;
  for (int i = 0; i < 300; ++i) {
    a.push_back(g.next() * 100);
    b.push_back(0.3 * a.back() + g.next() * 50);  // correlated regressors
    y.push_back(1.0 + 2.0 * a.back() - 3.0 * b.back());
    yn.push_back(y.back() + 20 * g.next());
  }
  const Ols exact = ols2(a, b, y);
  ASSERT_TRUE(exact.ok);
  EXPECT_NEAR(exact.beta, 2.0, 1e-9);
  EXPECT_NEAR(exact.beta2, -3.0, 1e-9);
  EXPECT_NEAR(exact.alpha, 1.0, 1e-7);
  EXPECT_NEAR(exact.r2, 1.0, 1e-12);
  // With noise, adding a regressor can only raise R^2.
  const Ols both = ols2(a, b, yn), one = ols1(a, yn);
  ASSERT_TRUE(both.ok && one.ok);
  EXPECT_GE(both.r2, one.r2);
  EXPECT_NEAR(both.beta, 2.0, 0.1);
  EXPECT_NEAR(both.beta2, -3.0, 0.1);
  EXPECT_GT(both.t_beta, 10);
  EXPECT_LT(both.t_beta2, -10);
}

TEST(Ols, DegenerateInputsAreNotOk) {
  EXPECT_FALSE(ols1({1, 1, 1, 1}, {1, 2, 3, 4}).ok);   // constant x
  EXPECT_FALSE(ols1({1, 2, 3, 4}, {5, 5, 5, 5}).ok);   // constant y: R^2 undefined
  EXPECT_FALSE(ols1({1, 2}, {1, 2}).ok);               // too few points
  EXPECT_FALSE(ols2({1, 2, 3, 4, 5}, {2, 4, 6, 8, 10}, {1, 3, 2, 5, 4}).ok);  // collinear
}

// Previous top for the hand-worked cases: bid 1000 x 10, ask 1010 x 20.
constexpr Top kPrev{1000, 10, 1010, 20};

TEST(Ofi, ContributionByHand) {
  // Bid up (only the first bid term): +7; ask unchanged: -20 + 20.
  EXPECT_EQ(ofi_contribution(kPrev, Top{1005, 7, 1010, 20}), 7);
  // Bid same price, 10 -> 15: +15 - 10.
  EXPECT_EQ(ofi_contribution(kPrev, Top{1000, 15, 1010, 20}), 5);
  // Bid down (only the second bid term): -10.
  EXPECT_EQ(ofi_contribution(kPrev, Top{995, 30, 1010, 20}), -10);
  // Ask down (only the first ask term): -4.
  EXPECT_EQ(ofi_contribution(kPrev, Top{1000, 10, 1008, 4}), -4);
  // Ask same price, 20 -> 25: -25 + 20.
  EXPECT_EQ(ofi_contribution(kPrev, Top{1000, 10, 1010, 25}), -5);
  // Ask up (only the second ask term): +20.
  EXPECT_EQ(ofi_contribution(kPrev, Top{1000, 10, 1015, 50}), 20);
  // Bid up and ask down at once: +3 - 6.
  EXPECT_EQ(ofi_contribution(kPrev, Top{1002, 3, 1008, 6}), -3);
  // Bid down and ask up at once (both sides emptied a level): -10 + 20.
  EXPECT_EQ(ofi_contribution(kPrev, Top{990, 1, 1020, 1}), 10);
  // Nothing changed: 0.
  EXPECT_EQ(ofi_contribution(kPrev, kPrev), 0);
}

TEST(Ofi, ValidTops) {
  EXPECT_TRUE(top_valid(kPrev));
  EXPECT_FALSE(top_valid(Top{1010, 5, 1010, 5}));  // locked
  EXPECT_FALSE(top_valid(Top{1011, 5, 1010, 5}));  // crossed
  EXPECT_FALSE(top_valid(Top{0, 0, 1010, 5}));     // empty bid
  EXPECT_FALSE(top_valid(Top{1000, 5, 0, 0}));     // empty ask
}

StudyConfig small_cfg() {
  StudyConfig c;
  c.start = 100 * kNsPerSec;
  c.end = 160 * kNsPerSec;  // 6 intervals of 10 s, 2 windows of 30 s
  c.interval = 10 * kNsPerSec;
  c.window = 30 * kNsPerSec;
  c.tick = 100;
  return c;
}

TEST(Ofi, IntervalAggregation) {
  OfiStudy st(small_cfg());
  struct U {
    Nanos ts;
    Top top;
  };
  const Nanos s = kNsPerSec;
  const std::vector<U> ups = {
      {90 * s, Top{1000, 10, 1010, 20}},    // before the session: sets the opening mid 1005
      {95 * s, Top{1000, 12, 1010, 20}},    // e = +2, outside the session (not summed)
      {100 * s, Top{1010, 5, 1020, 9}},     // on the boundary: interval 0; e = +5 + 20 = 25
      {105 * s, Top{1010, 5, 1020, 30}},    // e = -30 + 9 = -21
      {112 * s, Top{1030, 5, 1020, 30}},    // crossed: skipped (and the next e_n too)
      {113 * s, Top{1010, 8, 1020, 30}},    // skipped (previous crossed); mid 1015
      {125 * s, Top{1000, 1, 1020, 30}},    // interval 2: e = -8
      {140 * s, Top{1000, 1, 1010, 2}},     // interval 4: e = -2; mid 1005
      {159 * s, Top{1000, 6, 1010, 2}},     // interval 5: e = +5
      {170 * s, Top{1000, 9, 1010, 2}},     // after the session: outside
  };
  std::int64_t by_hand = 0;
  for (const auto& u : ups) st.on_top(u.ts, u.top);
  st.on_trade(101 * s, Side::Buy, 300);
  st.on_trade(102 * s, Side::Sell, 100);
  st.on_trade(130 * s, Side::Sell, 50);
  st.on_trade(130 * s, Side::None, 50);
  st.on_trade(131 * s, Side::Buy, 70, true);
  st.on_trade(99 * s, Side::Buy, 70);
  const StudyResult r = st.finish();
  ASSERT_EQ(r.intervals.size(), 6u);
  EXPECT_EQ(r.intervals[0].ofi, 25 - 21);
  EXPECT_EQ(r.intervals[1].ofi, 0);
  EXPECT_EQ(r.intervals[2].ofi, -8);
  EXPECT_EQ(r.intervals[3].ofi, 0);
  EXPECT_EQ(r.intervals[4].ofi, -2);
  EXPECT_EQ(r.intervals[5].ofi, 5);
  for (const auto& iv : r.intervals) by_hand += iv.ofi;
  EXPECT_EQ(by_hand, r.ofi_total);
  EXPECT_EQ(r.ofi_total, 4 - 8 - 2 + 5);
  EXPECT_EQ(r.counts.updates, 10u);
  EXPECT_EQ(r.counts.used, 5u);
  EXPECT_EQ(r.counts.invalid, 3u);  // the first update (nothing before it) and the two around the cross
  EXPECT_EQ(r.counts.outside, 2u);
  // Mids at boundaries 100, 110, ..., 160: 1005 (the 100 s update is inside interval 0),
  // 1015 (after 105 s), 1015 (the crossed top leaves the mid alone; 113 s sets 1015),
  // 1010 (after 125 s), 1010, 1005, 1005.
  const double want_dp[] = {0.10, 0.0, -0.05, 0.0, -0.05, 0.0};
  for (int k = 0; k < 6; ++k) {
    EXPECT_TRUE(r.intervals[static_cast<std::size_t>(k)].priced);
    EXPECT_NEAR(r.intervals[static_cast<std::size_t>(k)].dp_ticks, want_dp[k], 1e-12) << k;
  }
  EXPECT_EQ(r.intervals[0].ti, 200);
  EXPECT_EQ(r.intervals[3].ti, -50);
  EXPECT_EQ(r.counts.trades, 3u);
  EXPECT_EQ(r.counts.trades_unsigned, 1u);
  EXPECT_EQ(r.counts.trades_cross, 1u);
  EXPECT_EQ(r.counts.trades_outside, 1u);
  ASSERT_EQ(r.windows.size(), 2u);
  EXPECT_EQ(r.windows[0].intervals, 3u);
  // Depth, time-weighted over the time with a valid top. Window 0 [100, 130): 7 for 5 s,
  // 17.5 for 7 s, (crossed 1 s: not counted), 19 for 12 s, 15.5 for 5 s.
  EXPECT_NEAR(r.windows[0].depth, (7.0 * 5 + 17.5 * 7 + 19.0 * 12 + 15.5 * 5) / 29, 1e-12);
  // Window 1 [130, 160): 15.5 for 10 s, 1.5 for 19 s, 4 for 1 s (the 170 s top is after it).
  EXPECT_NEAR(r.windows[1].depth, (15.5 * 10 + 1.5 * 19 + 4.0 * 1) / 30, 1e-12);
  EXPECT_NEAR(r.windows[1].beta_depth, r.windows[1].ofi.beta * r.windows[1].depth, 1e-15);
}

TEST(Ofi, NoMidBeforeTheSessionLeavesTheFirstIntervalUnpriced) {
  OfiStudy st(small_cfg());
  st.on_top(115 * kNsPerSec, Top{1000, 1, 1010, 1});
  const StudyResult r = st.finish();
  EXPECT_FALSE(r.intervals[0].priced);
  EXPECT_FALSE(r.intervals[1].priced);  // no mid at 110 s either
  EXPECT_TRUE(r.intervals[2].priced);
  EXPECT_EQ(r.windows[0].intervals, 1u);
  EXPECT_FALSE(r.windows[0].ofi.ok);
}

TEST(Ofi, BadConfigThrows) {
  StudyConfig c = small_cfg();
  c.window = 25 * kNsPerSec;
  EXPECT_THROW(OfiStudy{c}, std::invalid_argument);
  c = small_cfg();
  c.end = c.start;
  EXPECT_THROW(OfiStudy{c}, std::invalid_argument);
}

TEST(Ofi, DepthExponentFit) {
  // beta = 2 / depth exactly: lambda 1, R^2 1. A window without a regression is left out.
  std::vector<WindowResult> ws(5);
  const double depth[] = {50, 120, 300, 75, 1000};
  for (std::size_t i = 0; i < ws.size(); ++i) {
    ws[i].depth = depth[i];
    ws[i].ofi.ok = true;
    ws[i].ofi.beta = 2.0 / depth[i];
  }
  ws[4].ofi.ok = false;
  ws[4].ofi.beta = 5;  // would spoil the fit if it were used
  const Ols f = depth_exponent_fit(ws);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.n, 4u);
  EXPECT_NEAR(-f.beta, 1.0, 1e-12);
  EXPECT_NEAR(std::exp(f.alpha), 2.0, 1e-12);
  EXPECT_NEAR(f.r2, 1.0, 1e-12);
}

MarketEvent ev(EventKind k, Nanos ts, OrderId id, Side side, Price px, Qty q, std::uint8_t flags) {
  MarketEvent e{};
  e.kind = k;
  e.ts_exch = ts;
  e.order_id = id;
  e.side = side;
  e.price = px;
  e.qty = q;
  e.instrument = 3;
  e.flags = flags;
  return e;
}

TEST(Ofi, FeedSignsExecutionsByTheRestingSide) {
  OfiStudy st(small_cfg());
  book::BookConfig bc;
  bc.max_orders = 1024;
  bc.max_levels = 256;
  bc.max_instruments = 16;
  book::Books books(bc);
  OfiFeed feed(st, books, OfiFeed::kAny, false);
  const Nanos s = kNsPerSec;
  const std::uint8_t last = evflag::kLast;
  // One group of two adds (one top), then single-event groups.
  feed.on_event(ev(EventKind::Add, 90 * s, 1, Side::Buy, 1000, 10, 0));
  feed.on_event(ev(EventKind::Add, 90 * s, 2, Side::Sell, 1010, 20, last));
  EXPECT_EQ(feed.instrument(), 3u);
  // Execution of the resting sell, side left out as ITCH does: looked up, buyer-initiated.
  feed.on_event(ev(EventKind::Execute, 101 * s, 2, Side::None, 1010, 5, last));   // e = -15 + 20
  feed.on_event(ev(EventKind::Execute, 102 * s, 1, Side::Buy, 1000, 4, last));    // e = 6 - 10
  feed.on_event(ev(EventKind::Trade, 103 * s, 0, Side::Sell, 1005, 7, last));     // hidden: buy
  // A fill naming the resting order, not printed (DBN 'F'): its print comes separately.
  feed.on_event(ev(EventKind::Trade, 103 * s, 2, Side::Sell, 1010, 9, last));
  feed.on_event(ev(EventKind::Delete, 104 * s, 1, Side::Buy, 0, 0, last));        // empty bid
  const StudyResult r = st.finish();
  EXPECT_EQ(r.intervals[0].ti, 5 - 4 + 7);
  EXPECT_EQ(r.intervals[0].ofi, 5 - 4);
  EXPECT_EQ(r.counts.trades, 3u);
  EXPECT_EQ(r.counts.trades_fill, 1u);
  EXPECT_EQ(r.counts.updates, 6u);
  EXPECT_EQ(r.counts.used, 4u);     // two executions and the unchanged tops after the prints
  EXPECT_EQ(r.counts.invalid, 2u);  // the first top and the empty bid
}

}  // namespace
}  // namespace hft::study
