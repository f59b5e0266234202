// Hawkes study of market orders: signing and merging of executions on hand-made events, then
// the bivariate fit on LOBSTER's AMZN sample day (NASDAQ, 2012-06-21), asserting only what
// must hold on any real day (a converged, stationary fit that beats the Poisson fit) and
// printing the figures.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "../common/unzip_once.hpp"
#include "hft/book/order_book.hpp"
#include "hft/sources/open.hpp"
#include "hft/study/hawkes.hpp"

namespace hft::study {
namespace {

MarketEvent hk_ev(EventKind k, Nanos ts, OrderId id, Side side, Price px, Qty q, std::uint8_t flags = evflag::kLast,
                  InstrumentId instr = 1) {
  MarketEvent e{};
  e.kind = k;
  e.ts_exch = ts;
  e.order_id = id;
  e.side = side;
  e.price = px;
  e.qty = q;
  e.flags = flags;
  e.instrument = instr;
  return e;
}

TEST(HawkesStudy, SignsAndMergesExecutions) {
  book::Books books;
  MarketOrderTimes times;
  HawkesFeed feed(times, books, HawkesFeed::kAny, false);
  const Nanos s = 1'000'000'000;
  // Resting orders: asks 1, 2, 3 and bids 4, 5.
  feed.on_event(hk_ev(EventKind::Add, 1 * s, 1, Side::Sell, 1010000, 100));
  feed.on_event(hk_ev(EventKind::Add, 1 * s, 2, Side::Sell, 1010000, 100));
  feed.on_event(hk_ev(EventKind::Add, 1 * s, 3, Side::Sell, 1020000, 100));
  feed.on_event(hk_ev(EventKind::Add, 1 * s, 4, Side::Buy, 1000000, 100));
  feed.on_event(hk_ev(EventKind::Add, 1 * s, 5, Side::Buy, 990000, 100));
  // A buy market order sweeping three asks at 2 s (ITCH style: no side on the Execute).
  feed.on_event(hk_ev(EventKind::Execute, 2 * s, 1, Side::None, 0, 100));
  feed.on_event(hk_ev(EventKind::Execute, 2 * s, 2, Side::None, 0, 100));
  feed.on_event(hk_ev(EventKind::Execute, 2 * s, 3, Side::None, 0, 50));
  // A sell market order at the same instant: a separate order (other side).
  feed.on_event(hk_ev(EventKind::Execute, 2 * s, 4, Side::Buy, 0, 10));
  // A hidden execution against a resting sell at 3 s (LOBSTER 5: side given, no order id).
  feed.on_event(hk_ev(EventKind::Trade, 3 * s, 0, Side::Sell, 1015000, 20, evflag::kPrintable | evflag::kLast));
  // Its sweep on into the visible sell 3 at the same time: merged.
  feed.on_event(hk_ev(EventKind::Execute, 3 * s, 3, Side::Sell, 1020000, 50));
  // A cross, a DBN-style fill beside its print, an unsigned print, another instrument.
  feed.on_event(hk_ev(EventKind::Trade, 4 * s, 0, Side::None, 1000000, 500, evflag::kPrintable | evflag::kCross));
  feed.on_event(hk_ev(EventKind::Trade, 4 * s, 5, Side::Buy, 990000, 5, evflag::kLast));
  feed.on_event(hk_ev(EventKind::Trade, 5 * s, 0, Side::None, 990000, 5, evflag::kPrintable));
  feed.on_event(hk_ev(EventKind::Trade, 5 * s, 0, Side::Buy, 990000, 5, evflag::kPrintable, 2));
  // A sell market order at 6 s, then one stamped earlier (dropped).
  feed.on_event(hk_ev(EventKind::Execute, 6 * s, 5, Side::Buy, 990000, 10));
  feed.on_event(hk_ev(EventKind::Execute, 5 * s, 5, Side::Buy, 990000, 10));
  feed.on_event(hk_ev(EventKind::Add, 7 * s, 6, Side::Buy, 990000, 10));

  EXPECT_EQ(feed.instrument(), 1u);
  const auto& c = times.counts();
  EXPECT_EQ(c.executions, 8u);
  EXPECT_EQ(c.merged, 3u);
  EXPECT_EQ(c.out_of_order, 1u);
  EXPECT_EQ(c.market_orders, 4u);
  EXPECT_EQ(c.per_side[0], 2u);
  EXPECT_EQ(c.per_side[1], 2u);
  EXPECT_EQ(c.cross, 1u);
  EXPECT_EQ(c.fills, 1u);
  EXPECT_EQ(c.unsigned_side, 1u);
  const auto d = times.data();
  EXPECT_EQ(d.t0, 1 * s);
  EXPECT_DOUBLE_EQ(d.T, 6.0);
  EXPECT_EQ(d.times, (std::vector<double>{1.0, 1.0, 2.0, 5.0}));
  EXPECT_EQ(d.marks, (std::vector<std::uint8_t>{0, 1, 0, 1}));

  // A session filter: executions outside it are counted, the window is the session.
  HawkesStudyConfig cfg;
  cfg.session = true;
  cfg.start = 3 * s;
  cfg.end = 10 * s;
  MarketOrderTimes in_session(cfg);
  in_session.on_execution(2 * s, Side::Buy, false);
  in_session.on_execution(4 * s, Side::Sell, false);
  in_session.on_execution(10 * s, Side::Sell, false);
  EXPECT_EQ(in_session.counts().outside, 2u);
  const auto ds = in_session.data();
  EXPECT_EQ(ds.times, (std::vector<double>{1.0}));
  EXPECT_DOUBLE_EQ(ds.T, 7.0);
  // Too few market orders: a status, not a crash.
  const auto r = hawkes_study(in_session);
  EXPECT_EQ(r.bivariate.status, model::HawkesFitStatus::BadInput);
  EXPECT_EQ(r.bivariate.input, model::HawkesInput::TooFewEvents);
  EXPECT_FALSE(r.residuals.ok);
}

TEST(HawkesLobster, AmznMarketOrders) {
  const std::string msg = hft::testing::lobster_sample("AMZN", 1, "study");
  ASSERT_FALSE(msg.empty());
  auto src = sources::open_source(sources::parse_source_spec("lobster:" + msg));
  book::Books books;
  MarketOrderTimes times;
  HawkesFeed feed(times, books, HawkesFeed::kAny, false);
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  while (const std::size_t n = src->next(buf))
    for (std::size_t i = 0; i < n; ++i) feed.on_event(buf[i]);
  const auto r = hawkes_study(times);
  const auto& c = r.counts;
  const auto& f = r.bivariate;
  const auto& p = f.params;
  std::printf("AMZN 2012-06-21: %llu executions -> %llu market orders (%llu buy, %llu sell), %llu merged, T %.1f s\n",
              static_cast<unsigned long long>(c.executions), static_cast<unsigned long long>(c.market_orders),
              static_cast<unsigned long long>(c.per_side[0]), static_cast<unsigned long long>(c.per_side[1]),
              static_cast<unsigned long long>(c.merged), r.data.T);
  std::printf("bivariate: %s, mu %.4f %.4f /s, alpha [[%.2f %.2f] [%.2f %.2f]] /s, beta %.2f /s (1/beta %.1f ms),"
              " branching %.3f\n",
              model::hawkes_fit_status_name(f.status), p.mu[0], p.mu[1], p.alpha[0][0], p.alpha[0][1], p.alpha[1][0],
              p.alpha[1][1], p.beta, 1e3 / p.beta, f.branching_ratio);
  std::printf("loglik %.1f vs Poisson %.1f (LR %.1f); residual mean %.3f %.3f, KS %.3f %.3f (Poisson KS %.3f %.3f)\n",
              f.loglik, f.loglik_poisson, f.lr_stat, r.residuals.mean[0], r.residuals.mean[1], r.residuals.ks[0],
              r.residuals.ks[1], r.poisson_ks[0], r.poisson_ks[1]);
  std::printf("pooled: beta %.2f /s, branching %.3f, KS %.3f\n", r.pooled.params.beta, r.pooled.branching_ratio,
              r.pooled_residuals.ks[0]);

  EXPECT_EQ(c.unsigned_side, 0u);
  EXPECT_EQ(c.cross, 0u);
  EXPECT_EQ(c.out_of_order, 0u);
  EXPECT_EQ(c.executions, 8974u + 2445u);  // LOBSTER types 4 and 5 (PROVENANCE.md)
  EXPECT_EQ(c.executions, c.market_orders + c.merged);
  EXPECT_GT(c.merged, 0u);  // sweeps exist
  EXPECT_GT(r.data.T, 23000.0);
  ASSERT_EQ(f.status, model::HawkesFitStatus::Ok) << model::hawkes_fit_status_name(f.status);
  EXPECT_GT(f.branching_ratio, 0);
  EXPECT_LT(f.branching_ratio, 1);
  EXPECT_GT(f.loglik, f.loglik_poisson);
  ASSERT_TRUE(r.residuals.ok);
  // The Hawkes residuals are closer to Exp(1) than the Poisson fit's.
  EXPECT_LT(r.residuals.ks[0], r.poisson_ks[0]);
  EXPECT_LT(r.residuals.ks[1], r.poisson_ks[1]);
  EXPECT_EQ(r.pooled.status, model::HawkesFitStatus::Ok);
}

}  // namespace
}  // namespace hft::study
