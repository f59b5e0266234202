// Simulated exchange, synthetic streams: each rule of include/hft/sim/exchange.hpp on a stream
// small enough that the expected queue, fills and times are worked out by hand in the comments.
#include "hft/sim/exchange.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "rig.hpp"

namespace hft::sim {
namespace {

using testing::Rig;
constexpr Side B = Side::Buy;
constexpr Side S = Side::Sell;

SimConfig lat(Nanos entry, Nanos resp) {
  SimConfig c;
  c.entry = LatencyModel::constant(entry);
  c.response = LatencyModel::constant(resp);
  return c;
}

TEST(SimExchange, LatencyArrivalAndReportTimes) {
  Rig r(lat(1000, 500));
  r.now = 10'000;
  r.add(1, S, 105, 50);
  const auto id = r.buy(100, 10);
  r.run(10'999);
  EXPECT_TRUE(r.reps.empty());             // not at the venue yet
  EXPECT_EQ(r.ex.counters().arrivals, 0u);
  r.run(11'000);                           // arrives at 11000; the ack is due at 11500
  EXPECT_EQ(r.ex.counters().arrivals, 1u);
  EXPECT_TRUE(r.reps.empty());
  r.run(11'500);
  ASSERT_EQ(r.reps.size(), 1u);
  EXPECT_EQ(r.reps[0].kind, ExecKind::Ack);
  EXPECT_EQ(r.reps[0].id, id);
  EXPECT_EQ(r.reps[0].ts, 11'500);
  EXPECT_EQ(r.reps[0].ts_venue, 11'000);
  // A passive fill at market time 20000 reaches the engine at 20500.
  r.now = 20'000;
  r.market(r.ev(EventKind::Add, 9, S, 100, 4));  // an ask at our bid: trades with us
  r.run(30'000);
  const auto f = r.of(ExecKind::Fill, id);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].ts_venue, 20'000);
  EXPECT_EQ(f[0].ts, 20'500);
  EXPECT_EQ(r.foreign_timers, 0u);
}

TEST(SimExchange, ArrivalsAndReportsStayInOrderWithRandomLatency) {
  SimConfig c;
  c.entry = LatencyModel::from_samples({5000, 10, 2000, 1, 7000}, 42);
  c.response = LatencyModel::from_samples({3000, 1, 400}, 7);
  Rig r(std::move(c));
  r.add(1, S, 105, 50);
  std::vector<ClientOrderId> ids;
  for (int i = 0; i < 40; ++i) {
    r.now = 1000 * i;
    ids.push_back(r.buy(100, 1));
  }
  r.run(1'000'000);
  const auto acks = r.of(ExecKind::Ack);
  ASSERT_EQ(acks.size(), 40u);
  for (std::size_t i = 0; i < acks.size(); ++i) {
    EXPECT_EQ(acks[i].id, ids[i]);  // sent in order, acked in order
    if (i > 0) {
      EXPECT_GE(acks[i].ts_venue, acks[i - 1].ts_venue);
      EXPECT_GE(acks[i].ts, acks[i - 1].ts);
    }
    EXPECT_GE(acks[i].ts_venue, 1000 * static_cast<Nanos>(i) + 1);
    EXPECT_GE(acks[i].ts, acks[i].ts_venue + 1);
  }
}

// Bids at 100: A 100, B 50 ahead of us; C joins behind. Worked queue: 150 -> (C cancels) 150 ->
// (A cancels 40) 110 -> (B shrinks 50 -> 20, keeps priority) 80 -> (A executes its 60) 20 ->
// (B executes 20) 0; then D (behind) executes 30: we fill 30 as a maker, queue_ahead 150.
TEST(SimExchange, L3QueueAdvanceAndFillWhenAheadIsGone) {
  Rig r;
  r.add(1, B, 100, 100);
  r.add(2, B, 100, 50);
  r.add(7, S, 101, 500);
  const auto id = r.buy(100, 100);
  r.run(0);
  EXPECT_EQ(r.ahead(id), 150u);
  r.add(3, B, 100, 30);
  r.cancel(3, 30);
  EXPECT_EQ(r.ahead(id), 150u);  // behind us: no move
  r.cancel(1, 40);
  EXPECT_EQ(r.ahead(id), 110u);
  r.modify(2, 100, 20);
  EXPECT_EQ(r.ahead(id), 80u);
  r.exec(1, 60);
  EXPECT_EQ(r.ahead(id), 20u);
  r.exec(2, 20);
  EXPECT_EQ(r.ahead(id), 0u);
  EXPECT_TRUE(r.of(ExecKind::Fill).empty());
  r.add(4, B, 100, 70);
  r.exec(4, 30);
  r.run(1);
  const auto f = r.of(ExecKind::Fill, id);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].qty, 30u);
  EXPECT_EQ(f[0].leaves, 70u);
  EXPECT_EQ(f[0].price, 100);
  EXPECT_EQ(f[0].liquidity, Liquidity::Maker);
  EXPECT_EQ(f[0].queue_ahead, 150u);
  EXPECT_EQ(r.ex.counters().partial_fills, 1u);
  EXPECT_EQ(r.leaves(id), 70u);
}

// FIFO: an execution of an order behind ours means ours went first, even with orders still
// shown ahead (the feed executed out of order; we trust the order behind).
TEST(SimExchange, ExecutionBehindFillsUs) {
  Rig r;
  r.add(1, B, 100, 100);
  const auto id = r.buy(100, 40);
  r.run(0);
  r.add(2, B, 100, 50);
  r.exec(2, 50);  // 50 executed behind us: we take 40 of it
  r.run(1);
  EXPECT_EQ(r.filled(id), 40u);
  EXPECT_EQ(r.ex.working_orders(), 0u);
  EXPECT_EQ(r.of(ExecKind::Fill, id)[0].queue_ahead, 100u);
}

// Two own orders at one price share one execution in join order, never more than its size.
TEST(SimExchange, OneExecutionSharedByOwnOrdersInTimePriority) {
  Rig r;
  r.add(1, B, 100, 10);
  const auto a = r.buy(100, 100);
  r.run(0);
  r.add(2, B, 100, 20);  // behind a, ahead of b
  const auto b = r.buy(100, 100);
  r.run(0);
  EXPECT_EQ(r.ahead(a), 10u);
  EXPECT_EQ(r.ahead(b), 30u);
  r.cancel(2, 20);  // ahead of b only
  EXPECT_EQ(r.ahead(a), 10u);
  EXPECT_EQ(r.ahead(b), 10u);
  r.add(3, B, 100, 150);  // behind both
  r.exec(3, 150);
  r.run(1);
  EXPECT_EQ(r.filled(a), 100u);
  EXPECT_EQ(r.filled(b), 50u);
  EXPECT_EQ(r.ahead(b), 10u);  // order 1 still shown ahead
}

// A replace of an order ahead loses its priority: it leaves `ahead`, and its later execution is
// behind us (fills us). Same for a Modify that grows the order.
TEST(SimExchange, ReplaceAndGrowLosePriority) {
  Rig r;
  r.add(1, B, 100, 60);
  r.add(2, B, 100, 40);
  const auto id = r.buy(100, 30);
  r.run(0);
  EXPECT_EQ(r.ahead(id), 100u);
  r.replace(1, 11, 100, 60);
  EXPECT_EQ(r.ahead(id), 40u);
  r.modify(2, 100, 45);
  EXPECT_EQ(r.ahead(id), 0u);
  r.exec(11, 10);  // behind us now
  r.run(1);
  EXPECT_EQ(r.filled(id), 10u);
  r.exec(2, 45);
  r.run(2);
  EXPECT_EQ(r.filled(id), 30u);
}

// A hidden execution (Trade) at our price does not move the visible queue.
TEST(SimExchange, HiddenTradesDoNotMoveTheQueue) {
  Rig r;
  r.add(1, B, 100, 60);
  const auto id = r.buy(100, 30);
  r.run(0);
  r.trade(B, 100, 500);
  EXPECT_EQ(r.ahead(id), 60u);
  EXPECT_EQ(r.filled(id), 0u);
  EXPECT_EQ(r.ex.counters().hidden_trades, 1u);
}

// Trade-throughs: an execution on our side at a worse price, a hidden print there, or an
// opposite order placed at or through our price fill us at our price.
TEST(SimExchange, TradeThroughFillsAtOurPrice) {
  Rig r;
  r.add(1, B, 99, 100);
  r.add(2, S, 102, 100);
  const auto id = r.buy(100, 100);  // alone at 100, above the real best bid
  r.run(0);
  EXPECT_EQ(r.ahead(id), 0u);
  r.exec(1, 30);  // a seller hit 99 while we bid 100
  r.run(1);
  auto f = r.of(ExecKind::Fill, id);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].qty, 30u);
  EXPECT_EQ(f[0].price, 100);
  EXPECT_EQ(f[0].liquidity, Liquidity::Maker);
  r.trade(B, 99, 20);  // a hidden print below us
  r.run(1);
  EXPECT_EQ(r.filled(id), 50u);
  r.add(3, S, 100, 15);  // an ask placed at our bid
  r.run(1);
  EXPECT_EQ(r.filled(id), 65u);
  r.replace(2, 12, 99, 100);  // the ask at 102 moves through us: takes the rest, 35
  r.run(1);
  EXPECT_EQ(r.filled(id), 100u);
  EXPECT_EQ(r.ex.counters().trade_throughs, 4u);
  // The through-liquidity is used up: a new own buy cannot take ask 12's 35 we took (65 left)
  // nor ask 3's 15.
  const auto t = r.buy(100, 1000, TimeInForce::IOC);
  r.run(2);
  EXPECT_EQ(r.filled(t), 65u);
}

// The same displayed size is never filled twice: two own takers against one ask.
TEST(SimExchange, DisplayedSizeNeverFilledTwice) {
  Rig r;
  r.add(1, S, 101, 100);
  const auto a = r.buy(101, 100, TimeInForce::IOC);
  r.run(0);
  const auto b = r.buy(101, 100, TimeInForce::IOC);
  r.run(0);
  EXPECT_EQ(r.filled(a), 100u);
  EXPECT_EQ(r.filled(b), 0u);  // the book still shows 100, but we took it
  ASSERT_EQ(r.of(ExecKind::Cancelled, b).size(), 1u);
  EXPECT_EQ(r.of(ExecKind::Cancelled, b)[0].qty, 100u);
  // The real order executes 60 (the front, which we took): 40 shown, still ours.
  r.exec(1, 60);
  const auto c = r.buy(101, 100, TimeInForce::IOC);
  r.run(1);
  EXPECT_EQ(r.filled(c), 0u);
  // New liquidity is available once.
  r.add(2, S, 101, 50);
  const auto d = r.buy(101, 100, TimeInForce::IOC);
  r.run(2);
  const auto e = r.buy(101, 100, TimeInForce::IOC);
  r.run(3);
  EXPECT_EQ(r.filled(d), 50u);
  EXPECT_EQ(r.filled(e), 0u);
  // Across every own taker: exactly the displayed size that ever was there (100 + 50).
  Qty total = 0;
  for (const auto& x : r.of(ExecKind::Fill)) total += x.qty;
  EXPECT_EQ(total, 150u);
  // When the level is gone, so is the memory of it.
  r.del(1);
  r.del(2);
  r.add(3, S, 101, 20);
  const auto g = r.buy(101, 100, TimeInForce::IOC);
  r.run(4);
  EXPECT_EQ(r.filled(g), 20u);
}

// A marketable order walks the levels: one taker fill per level, the rest rests (Day) with the
// queue at its price, or is cancelled (IOC).
TEST(SimExchange, WalksLevelsPartialFillsThenRests) {
  Rig r;
  r.add(1, S, 101, 30);
  r.add(2, S, 102, 40);
  r.add(3, S, 103, 50);
  r.add(4, B, 102, 25);  // (a locked bid at 102: ahead of our rest)
  const auto id = r.buy(102, 100);
  r.run(0);
  ASSERT_EQ(r.reps.size(), 3u);
  EXPECT_EQ(r.reps[0].kind, ExecKind::Ack);
  EXPECT_EQ(r.reps[1].kind, ExecKind::Fill);
  EXPECT_EQ(r.reps[1].price, 101);
  EXPECT_EQ(r.reps[1].qty, 30u);
  EXPECT_EQ(r.reps[1].leaves, 70u);
  EXPECT_EQ(r.reps[1].liquidity, Liquidity::Taker);
  EXPECT_EQ(r.reps[2].price, 102);
  EXPECT_EQ(r.reps[2].qty, 40u);
  EXPECT_EQ(r.reps[2].leaves, 30u);
  EXPECT_EQ(r.ex.counters().taker_fills, 2u);
  EXPECT_EQ(r.ex.counters().partial_fills, 2u);
  EXPECT_EQ(r.leaves(id), 30u);
  EXPECT_EQ(r.ahead(id), 25u);
  const auto ioc = r.sell(100, 100, TimeInForce::IOC);  // takes the real bid 25, rest cancelled
  r.run(1);
  EXPECT_EQ(r.filled(ioc), 25u);
  const auto c = r.of(ExecKind::Cancelled, ioc);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].qty, 75u);
  EXPECT_EQ(c[0].leaves, 0u);
  EXPECT_EQ(r.ex.counters().ioc_cancelled, 1u);
}

// A cancel that arrives after the fill is too late; one that arrives before cancels.
TEST(SimExchange, CancelTooLate) {
  Rig r(lat(100, 0));
  r.add(1, S, 105, 10);
  const auto a = r.buy(100, 10);
  const auto b = r.buy(100, 10);
  r.run(200);
  r.now = 1000;
  r.cancel_own(a);  // arrives at 1100
  r.now = 1050;
  r.market(r.ev(EventKind::Add, 2, S, 100, 10));  // fills a (time priority) at 1050
  r.run(2000);
  EXPECT_EQ(r.filled(a), 10u);
  auto rej = r.of(ExecKind::Reject, a);
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].reason, RejectReason::UnknownOrder);
  EXPECT_EQ(r.ex.counters().cancel_too_late, 1u);
  r.cancel_own(b);
  r.run(3000);
  const auto c = r.of(ExecKind::Cancelled, b);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].qty, 10u);
  EXPECT_EQ(r.ex.counters().cancels, 1u);
  r.cancel_own(12345);  // never known
  r.run(4000);
  EXPECT_EQ(r.of(ExecKind::Reject, 12345).size(), 1u);
  EXPECT_EQ(r.ex.counters().cancel_too_late, 1u);
  EXPECT_EQ(r.ex.counters().rejects[static_cast<int>(RejectReason::UnknownOrder)], 2u);
}

// Replacing an own order: Replaced, priority lost (the queue at the new price), marketable part
// takes liquidity.
TEST(SimExchange, ReplaceOwnOrder) {
  Rig r;
  r.add(1, B, 100, 40);
  r.add(2, B, 99, 70);
  r.add(3, S, 102, 30);
  const auto id = r.buy(100, 50);
  r.run(0);
  r.add(4, B, 100, 10);
  EXPECT_EQ(r.ahead(id), 40u);
  r.send(IntentKind::Replace, B, 100, 20, id);  // same price, smaller: still to the back
  r.run(1);
  ASSERT_EQ(r.of(ExecKind::Replaced, id).size(), 1u);
  EXPECT_EQ(r.of(ExecKind::Replaced, id)[0].leaves, 20u);
  EXPECT_EQ(r.ahead(id), 50u);
  r.send(IntentKind::Replace, B, 99, 20, id);
  r.run(2);
  EXPECT_EQ(r.ahead(id), 70u);
  r.send(IntentKind::Replace, B, 102, 50, id);  // crosses: takes 30, rests 20 at 102
  r.run(3);
  EXPECT_EQ(r.filled(id), 30u);
  EXPECT_EQ(r.leaves(id), 20u);
  EXPECT_EQ(r.ahead(id), 0u);
  EXPECT_EQ(r.ex.counters().replaces, 3u);
  r.send(IntentKind::Replace, B, 102, 0, id);  // bad quantity: rejected, order unchanged
  r.run(4);
  EXPECT_EQ(r.of(ExecKind::Reject, id).back().reason, RejectReason::BadQty);
  EXPECT_EQ(r.leaves(id), 20u);
}

TEST(SimExchange, BadInputIsRejectedAndCounted) {
  SimConfig c;
  c.max_orders = 2;
  Rig r(std::move(c));
  r.add(1, S, 105, 10);
  r.buy(100, 0);
  r.run(0);
  r.buy(0, 10);
  r.run(0);
  r.send(IntentKind::New, Side::None, 100, 10);
  r.run(0);
  OrderIntent bad;
  bad.kind = IntentKind::New;
  bad.side = B;
  bad.price = 100;
  bad.qty = 1;
  bad.instrument = 99;
  bad.id = 77;
  r.ex.submit(bad, 0, r.sched);
  r.run(0);
  const auto& k = r.ex.counters();
  EXPECT_EQ(k.rejects[static_cast<int>(RejectReason::BadQty)], 1u);
  EXPECT_EQ(k.rejects[static_cast<int>(RejectReason::BadPrice)], 1u);
  EXPECT_EQ(k.rejects[static_cast<int>(RejectReason::BadSide)], 1u);
  EXPECT_EQ(k.rejects[static_cast<int>(RejectReason::BadInstrument)], 1u);
  // Two orders fill the pool of 2; a third is rejected, counted.
  const auto a = r.buy(100, 1);
  r.buy(100, 1);
  r.run(1);
  const auto c3 = r.buy(100, 1);
  r.send(IntentKind::New, B, 100, 1, a);  // duplicate id
  r.run(1);
  EXPECT_EQ(r.of(ExecKind::Reject, c3).size(), 1u);
  EXPECT_EQ(r.of(ExecKind::Reject, c3)[0].reason, RejectReason::Venue);
  EXPECT_EQ(k.pool_full, 1u);
  EXPECT_EQ(k.rejects[static_cast<int>(RejectReason::Venue)], 2u);
  EXPECT_EQ(r.ex.working_orders(), 2u);
  // More in flight than the in-flight pool holds: rejected at the send time, never sent.
  r.now = 10;
  SimConfig c2 = lat(1000, 0);
  c2.max_orders = 2;
  Rig q(std::move(c2));
  q.buy(100, 1);
  q.buy(100, 1);
  const auto x = q.buy(100, 1);
  q.run(0);
  ASSERT_EQ(q.of(ExecKind::Reject, x).size(), 1u);
  EXPECT_EQ(q.of(ExecKind::Reject, x)[0].ts_venue, 0);
  EXPECT_EQ(q.ex.counters().pool_full, 1u);
}

// hftbacktest's probabilistic model, recomputed here from its published formula:
// est = front - (1 - p) * chg + min(back - p * chg, 0), p = f(back) / (f(back) + f(front)).
double hbt_front(double front, double back, double chg, double n) {
  const double fb = std::pow(back, n), ff = std::pow(front, n);
  const double p = fb / (fb + ff);
  return front - (1 - p) * chg + std::min(back - p * chg, 0.0);
}

TEST(SimExchange, ProbabilisticQueueSplitsCancels) {
  for (const auto& [m, n] : {std::pair{QueueModel::ProbPower2, 2.0}, std::pair{QueueModel::ProbPower3, 3.0}}) {
    SimConfig c;
    c.queue = m;
    Rig r(std::move(c));
    r.add(1, B, 100, 60);
    const auto id = r.buy(100, 50);
    r.run(0);
    r.add(2, B, 100, 40);  // level 100: 60 ahead, 40 behind
    r.cancel(2, 30);      // the model does not know which order: the split decides
    const double want = hbt_front(60, 40, 30, n);
    EXPECT_EQ(r.ahead(id), static_cast<Qty>(std::lround(want))) << queue_model_name(m);
    // A trade print at our level takes its qty out of ahead; the depth decrease that follows
    // and matches it is not a cancel again.
    r.trade(B, 100, 10);
    const double after_trade = std::round(want) >= 0 ? want - 10 : 0;
    EXPECT_EQ(r.ahead(id), static_cast<Qty>(std::lround(after_trade)));
    r.cancel(1, 10);
    EXPECT_EQ(r.ahead(id), static_cast<Qty>(std::lround(after_trade)));
    // Executions take the rest of ahead; the excess fills us.
    r.exec(1, 50);
    r.run(1);
    EXPECT_EQ(r.filled(id), static_cast<Qty>(std::lround(50 - after_trade)));
  }
  // The bigger power puts more of a cancel on the bigger side (ahead 60 vs behind 40 here).
  EXPECT_LT(hbt_front(60, 40, 30, 3), hbt_front(60, 40, 30, 2));
}

TEST(SimExchange, ProbabilisticQueueOrdering) {
  // Ahead 90 behind 10: with x^2 the cancel of 10 comes mostly from ahead; ahead 10 behind 90:
  // mostly from behind. Both against the formula, and the ordering they must show.
  auto run = [](Qty ahead_q, Qty behind_q) {
    SimConfig c;
    c.queue = QueueModel::ProbPower2;
    Rig r(std::move(c));
    r.add(1, S, 100, ahead_q);
    const auto id = r.sell(100, 5);
    r.run(0);
    r.add(2, S, 100, behind_q);
    r.cancel(1, 10);
    return r.ahead(id);
  };
  EXPECT_EQ(run(90, 10), static_cast<Qty>(std::lround(hbt_front(90, 10, 10, 2))));
  EXPECT_EQ(run(10, 90), static_cast<Qty>(std::lround(hbt_front(10, 90, 10, 2))));
  EXPECT_LT(run(90, 10), 90u - 5u);  // most of it ahead
  EXPECT_GE(run(10, 90), 9u);        // almost nothing ahead
}

// The tracking table full: the queue falls back to the conservative estimate (counted): a cancel
// of an order it cannot see does not advance it; executions take ahead first.
TEST(SimExchange, TrackedFullFallsBackConservatively) {
  SimConfig c;
  c.max_tracked = 2;
  Rig r(std::move(c));
  for (OrderId i = 1; i <= 4; ++i) r.add(i, B, 100, 10);
  const auto id = r.buy(100, 30);
  r.run(0);
  EXPECT_EQ(r.ex.counters().tracked_full, 1u);
  EXPECT_EQ(r.ahead(id), 40u);
  r.add(5, B, 100, 50);  // behind
  r.cancel(1, 10);  // tracked (the front two are): exact
  EXPECT_EQ(r.ahead(id), 30u);
  r.cancel(4, 10);  // untracked: the exact answer is 20, the estimate stays
  EXPECT_EQ(r.ahead(id), 30u);
  r.cancel(3, 5);   // untracked: the estimate is clamped to the level's 65 only
  EXPECT_EQ(r.ahead(id), 30u);
  r.exec(5, 25);  // untracked execution: taken out of ahead, no fill (exact would fill 25)
  EXPECT_EQ(r.ahead(id), 5u);
  EXPECT_EQ(r.filled(id), 0u);
  r.exec(5, 25);  // 5 more ahead, then 20 fill
  r.run(1);
  EXPECT_EQ(r.filled(id), 20u);
}

TEST(SimExchange, ClearMakesTheQueueAnEstimate) {
  Rig r;
  r.add(1, B, 100, 10);
  const auto id = r.buy(100, 30);
  r.run(0);
  r.market(r.ev(EventKind::Clear, 0, Side::None, 0, 0));
  EXPECT_EQ(r.ex.counters().clears, 1u);
  EXPECT_EQ(r.ahead(id), 10u);  // kept
  r.add(1, B, 100, 10);         // the snapshot re-adds it: we cannot tell it is ahead
  r.exec(1, 10);                // conservatively ahead: no fill
  EXPECT_EQ(r.filled(id), 0u);
  EXPECT_EQ(r.ahead(id), 0u);
}

TEST(SimLatency, ConstantAndSamples) {
  LatencyModel c = LatencyModel::constant(250);
  EXPECT_EQ(c.draw(), 250);
  EXPECT_THROW(LatencyModel::constant(-1), std::invalid_argument);
  LatencyModel a = LatencyModel::from_samples({10, 20, 30}, 9);
  LatencyModel b = LatencyModel::from_samples({10, 20, 30}, 9);
  int seen[3] = {0, 0, 0};
  for (int i = 0; i < 3000; ++i) {
    const Nanos x = a.draw();
    EXPECT_EQ(x, b.draw());  // same seed, same draws
    ASSERT_TRUE(x == 10 || x == 20 || x == 30);
    ++seen[x / 10 - 1];
  }
  for (const int s : seen) EXPECT_NEAR(s, 1000, 150);  // uniform bootstrap (about 6 sigma)
  EXPECT_THROW(LatencyModel::from_samples({}, 1), std::invalid_argument);
}

}  // namespace
}  // namespace hft::sim

namespace hft::sim {
namespace {

std::string write_tmp(const std::string& name, const std::string& text) {
  const std::string p = std::string(HFT_TEST_TMP) + "/sim-" + name;
  std::ofstream(p) << text;
  return p;
}

TEST(SimLatency, EmpiricalFile) {
  const std::string p = write_tmp("lat-ok.txt", "# one-way latencies, ns\n1500\n\n  2500  # a comment\n3500\r\n");
  LatencyModel m = LatencyModel::from_file(p, 3);
  EXPECT_EQ(m.samples, (std::vector<Nanos>{1500, 2500, 3500}));
  LatencyModel m2 = LatencyModel::from_file(p, 3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(m.draw(), m2.draw());
}

TEST(SimLatency, BadFilesSayWhy) {
  auto msg = [](const std::string& path) {
    try {
      LatencyModel::from_file(path, 1);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string missing = std::string(HFT_TEST_TMP) + "/sim-no-such-file.txt";
  EXPECT_NE(msg(missing).find("cannot open"), std::string::npos) << msg(missing);
  EXPECT_NE(msg(missing).find(missing), std::string::npos);
  const auto empty = write_tmp("lat-empty.txt", "# nothing\n\n");
  EXPECT_NE(msg(empty).find("no latency values"), std::string::npos) << msg(empty);
  const auto word = write_tmp("lat-word.txt", "100\nfast\n");
  EXPECT_NE(msg(word).find("line 2"), std::string::npos) << msg(word);
  EXPECT_NE(msg(word).find("not an integer"), std::string::npos);
  const auto neg = write_tmp("lat-neg.txt", "100\n200\n-5\n");
  EXPECT_NE(msg(neg).find("line 3"), std::string::npos) << msg(neg);
  EXPECT_NE(msg(neg).find("negative"), std::string::npos);
  const auto frac = write_tmp("lat-frac.txt", "1.5\n");
  EXPECT_NE(msg(frac).find("not an integer"), std::string::npos) << msg(frac);
  const auto big = write_tmp("lat-big.txt", "99999999999999999999999\n");
  EXPECT_NE(msg(big).find("out of range"), std::string::npos) << msg(big);
}

TEST(SimQueueModel, Names) {
  for (const QueueModel m : {QueueModel::L3Exact, QueueModel::ProbPower2, QueueModel::ProbPower3, QueueModel::ProbLog, QueueModel::RiskAverse}) {
    QueueModel back = QueueModel::RiskAverse;
    ASSERT_TRUE(parse_queue_model(queue_model_name(m), back));
    EXPECT_EQ(back, m);
  }
  QueueModel x;
  EXPECT_FALSE(parse_queue_model("fifo", x));
}

}  // namespace
}  // namespace hft::sim
