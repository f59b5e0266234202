// The order manager: its state machine (legal paths and every illegal report counted, never a
// crash), P&L with fees against a hand computation, and a randomized run checked against an
// independent account (cash flows and positions) of the same fills.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "../common/test_rng.hpp"
#include "hft/oms/order_manager.hpp"

namespace {

using namespace hft;
using namespace hft::oms;

OrderIntent new_order(ClientOrderId id, Side side, Price px, Qty q, std::uint16_t s = 1, InstrumentId i = 7) {
  OrderIntent o;
  o.kind = IntentKind::New;
  o.side = side;
  o.strategy = s;
  o.instrument = i;
  o.id = id;
  o.price = px;
  o.qty = q;
  return o;
}
OrderIntent cancel_of(const OrderIntent& n) {
  OrderIntent c = n;
  c.kind = IntentKind::Cancel;
  return c;
}
ExecReport rep(const OrderIntent& o, ExecKind k, Qty q = 0, Price px = 0, Liquidity l = Liquidity::Maker) {
  ExecReport r = report_for(o, k, 0);
  r.qty = q;
  if (px != 0) r.price = px;
  r.liquidity = l;
  return r;
}

TEST(OrderManager, NewAckPartialFillThenFilled) {
  OrderManager om;
  const OrderIntent o = new_order(1, Side::Buy, 100000, 100);
  ASSERT_TRUE(om.on_sent(o));
  EXPECT_EQ(om.order(1)->state, OrderState::PendingNew);
  EXPECT_EQ(om.position(1, 7)->open_buy, 100u);
  EXPECT_EQ(om.position(1, 7)->best_buy, 100000);
  EXPECT_TRUE(om.on_report(rep(o, ExecKind::Ack)));
  EXPECT_EQ(om.order(1)->state, OrderState::Acked);
  EXPECT_TRUE(om.on_report(rep(o, ExecKind::Fill, 30)));
  EXPECT_EQ(om.order(1)->state, OrderState::PartiallyFilled);
  EXPECT_EQ(om.order(1)->leaves, 70u);
  EXPECT_EQ(om.position(1, 7)->open_buy, 70u);
  EXPECT_EQ(om.position(1, 7)->qty, 30);
  EXPECT_TRUE(om.on_report(rep(o, ExecKind::Fill, 70)));
  EXPECT_EQ(om.order(1)->state, OrderState::Filled);
  EXPECT_EQ(om.position(1, 7)->qty, 100);
  EXPECT_EQ(om.position(1, 7)->open_buy, 0u);
  EXPECT_EQ(om.position(1, 7)->open_orders, 0u);
  EXPECT_EQ(om.position(1, 7)->best_buy, 0);
  EXPECT_EQ(om.totals().open_orders, 0u);
  EXPECT_NEAR(om.totals().open_notional, 0.0, 1e-9);
  for (int e = 1; e < kOmsErrorCount; ++e) EXPECT_EQ(om.errors(static_cast<OmsError>(e)), 0u) << oms_error_name(static_cast<OmsError>(e));
}

TEST(OrderManager, CancelRejectAndReplacePaths) {
  OrderManager om;
  const OrderIntent a = new_order(1, Side::Sell, 101000, 50);
  ASSERT_TRUE(om.on_sent(a));
  ASSERT_TRUE(om.on_report(rep(a, ExecKind::Ack)));
  ASSERT_TRUE(om.on_sent(cancel_of(a)));
  EXPECT_EQ(om.order(1)->state, OrderState::PendingCancel);
  EXPECT_TRUE(om.on_report(rep(a, ExecKind::Fill, 10)));  // a fill racing the cancel
  EXPECT_EQ(om.order(1)->state, OrderState::PendingCancel);
  ExecReport cr = rep(a, ExecKind::Reject);
  cr.reason = RejectReason::Venue;
  EXPECT_TRUE(om.on_report(cr));  // cancel refused: back to where it was
  EXPECT_EQ(om.order(1)->state, OrderState::PartiallyFilled);
  ASSERT_TRUE(om.on_sent(cancel_of(a)));
  EXPECT_TRUE(om.on_report(rep(a, ExecKind::Cancelled)));
  EXPECT_EQ(om.order(1)->state, OrderState::Cancelled);
  EXPECT_EQ(om.position(1, 7)->qty, -10);
  EXPECT_EQ(om.position(1, 7)->open_sell, 0u);

  const OrderIntent b = new_order(2, Side::Buy, 99000, 40);
  ASSERT_TRUE(om.on_sent(b));
  ExecReport vr = rep(b, ExecKind::Reject);
  vr.reason = RejectReason::Venue;
  EXPECT_TRUE(om.on_report(vr));
  EXPECT_EQ(om.order(2)->state, OrderState::Rejected);
  EXPECT_EQ(om.position(1, 7)->open_buy, 0u);

  const OrderIntent c = new_order(3, Side::Buy, 99000, 40);
  ASSERT_TRUE(om.on_sent(c));
  ASSERT_TRUE(om.on_report(rep(c, ExecKind::Ack)));
  OrderIntent rp = c;
  rp.kind = IntentKind::Replace;
  rp.price = 99500;
  rp.qty = 60;
  ASSERT_TRUE(om.on_sent(rp));
  EXPECT_EQ(om.position(1, 7)->open_buy, 60u);     // the larger of old and new while pending
  EXPECT_EQ(om.position(1, 7)->best_buy, 99500);   // the more aggressive price while pending
  EXPECT_TRUE(om.on_report(rep(c, ExecKind::Replaced)));
  EXPECT_EQ(om.order(3)->price, 99500);
  EXPECT_EQ(om.order(3)->leaves, 60u);
  rp.qty = 20;
  rp.price = 98000;
  ASSERT_TRUE(om.on_sent(rp));
  ExecReport rr = rep(c, ExecKind::Reject);
  rr.reason = RejectReason::Venue;
  EXPECT_TRUE(om.on_report(rr));  // replace refused: the old terms stand
  EXPECT_EQ(om.order(3)->price, 99500);
  EXPECT_EQ(om.position(1, 7)->open_buy, 60u);
  EXPECT_EQ(om.position(1, 7)->best_buy, 99500);
  for (int e = 1; e < kOmsErrorCount; ++e) EXPECT_EQ(om.errors(static_cast<OmsError>(e)), 0u) << oms_error_name(static_cast<OmsError>(e));
}

TEST(OrderManager, IllegalTransitionsAreCountedByReasonAndChangeNothing) {
  OrderManager om;
  const OrderIntent a = new_order(1, Side::Buy, 100000, 100);
  const OrderIntent ghost = new_order(99, Side::Buy, 100000, 100);
  EXPECT_FALSE(om.on_report(rep(ghost, ExecKind::Fill, 10)));
  EXPECT_EQ(om.errors(OmsError::UnknownOrder), 1u);
  EXPECT_FALSE(om.on_report(rep(ghost, ExecKind::Ack)));
  EXPECT_FALSE(om.on_sent(cancel_of(ghost)));
  EXPECT_EQ(om.errors(OmsError::UnknownOrder), 3u);
  EXPECT_EQ(om.position(1, 7), nullptr);  // nothing booked for an unknown order

  ASSERT_TRUE(om.on_sent(a));
  EXPECT_FALSE(om.on_sent(a));
  EXPECT_EQ(om.errors(OmsError::DuplicateId), 1u);
  ASSERT_TRUE(om.on_report(rep(a, ExecKind::Ack)));
  EXPECT_FALSE(om.on_report(rep(a, ExecKind::Ack)));
  EXPECT_EQ(om.errors(OmsError::DuplicateAck), 1u);
  EXPECT_FALSE(om.on_report(rep(a, ExecKind::Fill, 0)));
  EXPECT_EQ(om.errors(OmsError::ZeroFill), 1u);
  EXPECT_FALSE(om.on_report(rep(a, ExecKind::Replaced)));
  EXPECT_EQ(om.errors(OmsError::ReplaceNotPending), 1u);
  ExecReport vr = rep(a, ExecKind::Reject);
  vr.reason = RejectReason::Venue;
  EXPECT_FALSE(om.on_report(vr));
  EXPECT_EQ(om.errors(OmsError::UnexpectedReject), 1u);
  EXPECT_EQ(om.order(1)->state, OrderState::Acked);
  // Overfill: booked in full (the venue traded it), counted, the order done.
  EXPECT_FALSE(om.on_report(rep(a, ExecKind::Fill, 150)));
  EXPECT_EQ(om.errors(OmsError::Overfill), 1u);
  EXPECT_EQ(om.position(1, 7)->qty, 150);
  EXPECT_EQ(om.order(1)->state, OrderState::Filled);
  EXPECT_FALSE(om.on_report(rep(a, ExecKind::Fill, 5)));
  EXPECT_EQ(om.errors(OmsError::FillOnDone), 1u);
  EXPECT_EQ(om.position(1, 7)->qty, 150);
  EXPECT_FALSE(om.on_report(rep(a, ExecKind::Ack)));
  EXPECT_EQ(om.errors(OmsError::LateAck), 1u);
  EXPECT_FALSE(om.on_report(rep(a, ExecKind::Cancelled)));
  EXPECT_FALSE(om.on_sent(cancel_of(a)));
  EXPECT_EQ(om.errors(OmsError::CancelOnDone), 2u);
  OrderIntent rp = a;
  rp.kind = IntentKind::Replace;
  EXPECT_FALSE(om.on_sent(rp));
  EXPECT_EQ(om.errors(OmsError::ReplaceOnDone), 1u);
  // A fill after a cancel was confirmed.
  const OrderIntent b = new_order(2, Side::Sell, 100100, 10);
  ASSERT_TRUE(om.on_sent(b));
  ASSERT_TRUE(om.on_report(rep(b, ExecKind::Cancelled)));
  EXPECT_FALSE(om.on_report(rep(b, ExecKind::Fill, 10)));
  EXPECT_EQ(om.errors(OmsError::FillOnDone), 2u);
  // Malformed intents.
  EXPECT_FALSE(om.on_sent(new_order(3, Side::None, 100, 1)));
  EXPECT_FALSE(om.on_sent(new_order(4, Side::Buy, 100, 0)));
  EXPECT_FALSE(om.on_sent(new_order(5, Side::Buy, 100, 1, 1000)));
  EXPECT_EQ(om.errors(OmsError::BadIntent), 3u);
  // The router's own rejects (the order never reached a venue) are not errors.
  ExecReport gr = rep(new_order(6, Side::Buy, 1, 1), ExecKind::Reject);
  gr.reason = RejectReason::Position;
  EXPECT_TRUE(om.on_report(gr));
  EXPECT_EQ(om.counters().router_rejects, 1u);
  EXPECT_EQ(om.totals().open_orders, 0u);
}

TEST(OrderManager, PoolRecyclesTheOldestFinishedOrderAndRefusesWhenAllWork) {
  OmsConfig cfg;
  cfg.max_orders = 4;
  OrderManager om(cfg);
  for (ClientOrderId id = 1; id <= 4; ++id) ASSERT_TRUE(om.on_sent(new_order(id, Side::Buy, 100, 1)));
  EXPECT_FALSE(om.on_sent(new_order(5, Side::Buy, 100, 1)));
  EXPECT_EQ(om.errors(OmsError::PoolFull), 1u);
  ASSERT_TRUE(om.on_report(rep(new_order(2, Side::Buy, 100, 1), ExecKind::Cancelled)));
  ASSERT_TRUE(om.on_report(rep(new_order(3, Side::Buy, 100, 1), ExecKind::Cancelled)));
  ASSERT_TRUE(om.on_sent(new_order(5, Side::Buy, 100, 1)));  // takes order 2's slot
  EXPECT_EQ(om.order(2), nullptr);
  ASSERT_NE(om.order(3), nullptr);
  EXPECT_EQ(om.order(3)->state, OrderState::Cancelled);
  EXPECT_EQ(om.counters().recycled, 1u);
  for (ClientOrderId id : {1, 4, 5}) EXPECT_EQ(om.order(id)->state, OrderState::PendingNew);
}

// Buy 100 @ 10.00 maker, sell 60 @ 10.05 taker, mark 10.10, sell 100 @ 9.90 taker, mark 9.80,
// with maker -0.002 (a rebate) and taker 0.003 per share. By hand:
//   fees: -0.20 + 0.18 = -0.02;  realized 60 * 0.05 = 3.00;  40 left at 10.00
//   at 10.10: unrealized 40 * 0.10 = 4.00; net 3 + 4 + 0.02 = 7.02
//   sell 100 @ 9.90: closes 40 at -0.10 (realized 3.00 - 4.00 = -1.00), opens -60 @ 9.90;
//   fees -0.02 + 0.30 = 0.28
//   at 9.80: unrealized -60 * (9.80 - 9.90) = 6.00; net -1 + 6 - 0.28 = 4.72; gross 60 * 9.80 = 588
TEST(OrderManager, PnLWithFeesMatchesTheHandComputation) {
  OmsConfig cfg;
  cfg.fees = FeeSchedule{-0.002, 0.003};
  OrderManager om(cfg);
  const OrderIntent b = new_order(1, Side::Buy, 100000, 100);
  ASSERT_TRUE(om.on_sent(b));
  ASSERT_TRUE(om.on_report(rep(b, ExecKind::Fill, 100, 100000, Liquidity::Maker)));
  const OrderIntent s1 = new_order(2, Side::Sell, 100500, 60);
  ASSERT_TRUE(om.on_sent(s1));
  ASSERT_TRUE(om.on_report(rep(s1, ExecKind::Fill, 60, 100500, Liquidity::Taker)));
  om.mark(7, 101000);
  PnL p = om.strategy_pnl(1);
  EXPECT_NEAR(p.realized, 3.00, 1e-9);
  EXPECT_NEAR(p.unrealized, 4.00, 1e-9);
  EXPECT_NEAR(p.fees, -0.02, 1e-9);
  EXPECT_NEAR(p.net, 7.02, 1e-9);
  EXPECT_EQ(om.position(1, 7)->qty, 40);
  EXPECT_NEAR(om.position(1, 7)->avg_cost, 10.00, 1e-12);
  const OrderIntent s2 = new_order(3, Side::Sell, 99000, 100);
  ASSERT_TRUE(om.on_sent(s2));
  ASSERT_TRUE(om.on_report(rep(s2, ExecKind::Fill, 100, 99000, Liquidity::Taker)));
  om.mark(7, 98000);
  p = om.strategy_pnl(1);
  EXPECT_NEAR(p.realized, -1.00, 1e-9);
  EXPECT_NEAR(p.unrealized, 6.00, 1e-9);
  EXPECT_NEAR(p.fees, 0.28, 1e-9);
  EXPECT_NEAR(p.net, 4.72, 1e-9);
  EXPECT_EQ(om.position(1, 7)->qty, -60);
  EXPECT_NEAR(om.position(1, 7)->avg_cost, 9.90, 1e-12);
  EXPECT_NEAR(om.totals().gross, 588.0, 1e-9);
  EXPECT_NEAR(om.total_pnl().net, 4.72, 1e-9);
  EXPECT_NEAR(om.strategy_pnl(2).net, 0.0, 0.0);
}

// Random orders, acks, partial fills, cancels, replaces and marks over several strategies and
// instruments. Checked against an account kept here from the fills alone: position = signed sum
// of fills; realized + unrealized = cash + position * mark (true of any cost method); fees = sum
// of quantity * fee; open quantities and best prices from this test's own list of working orders.
TEST(OrderManager, RandomFlowAgreesWithAnIndependentAccount) {
  hft::testing::TestRng rng(20240611);
  OmsConfig cfg;
  cfg.fees = FeeSchedule{-0.002, 0.003};
  cfg.max_orders = 1u << 14;
  OrderManager om(cfg);
  struct W {
    OrderIntent o;
    Qty leaves;
    bool acked = false;
  };
  std::map<ClientOrderId, W> working;
  struct Acc {
    std::int64_t qty = 0;
    double cash = 0, fees = 0;
  };
  std::map<std::pair<int, int>, Acc> acc;
  std::map<int, Price> marks;
  ClientOrderId next = 1;
  for (int step = 0; step < 20000; ++step) {
    const int what = static_cast<int>(rng.next() % 10);
    if (what < 3 || working.empty()) {
      const auto s = static_cast<std::uint16_t>(rng.next() % 4);
      const auto i = static_cast<InstrumentId>(rng.next() % 5);
      const Side side = rng.next() % 2 ? Side::Buy : Side::Sell;
      const OrderIntent o = new_order(next++, side, 90000 + static_cast<Price>(rng.next() % 20000), 1 + static_cast<Qty>(rng.next() % 300), s, i);
      ASSERT_TRUE(om.on_sent(o));
      working[o.id] = W{o, o.qty};
      continue;
    }
    auto it = working.begin();
    std::advance(it, static_cast<long>(rng.next() % working.size()));
    W& w = it->second;
    if (what < 7) {  // a fill of part or all of it
      const Qty q = 1 + static_cast<Qty>(rng.next() % w.leaves);
      const Price px = w.o.price - static_cast<Price>(rng.next() % 50) * (w.o.side == Side::Buy ? 1 : -1);
      const Liquidity l = rng.next() % 2 ? Liquidity::Maker : Liquidity::Taker;
      ASSERT_TRUE(om.on_report(rep(w.o, ExecKind::Fill, q, px, l)));
      Acc& a = acc[{w.o.strategy, static_cast<int>(w.o.instrument)}];
      const double sgn = w.o.side == Side::Buy ? 1 : -1;
      a.qty += static_cast<std::int64_t>(sgn) * q;
      a.cash -= sgn * q * static_cast<double>(px) * 1e-4;
      a.fees += q * (l == Liquidity::Maker ? -0.002 : 0.003);
      if (!marks.count(static_cast<int>(w.o.instrument))) marks[static_cast<int>(w.o.instrument)] = px;
      w.leaves -= q;
      if (w.leaves == 0) working.erase(it);
    } else if (what == 7) {
      if (!w.acked && w.leaves == w.o.qty) {
        ASSERT_TRUE(om.on_report(rep(w.o, ExecKind::Ack)));
      }
      w.acked = true;
    } else if (what == 8) {
      ASSERT_TRUE(om.on_sent(cancel_of(w.o)));
      ASSERT_TRUE(om.on_report(rep(w.o, ExecKind::Cancelled)));
      working.erase(it);
    } else {
      const auto i = static_cast<InstrumentId>(rng.next() % 5);
      const Price m = 90000 + static_cast<Price>(rng.next() % 20000);
      om.mark(i, m);
      marks[static_cast<int>(i)] = m;
    }
  }
  double total_net = 0;
  for (const auto& [key, a] : acc) {
    const Position* p = om.position(static_cast<std::uint16_t>(key.first), static_cast<InstrumentId>(key.second));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->qty, a.qty);
    const double mark = static_cast<double>(marks[key.second]) * 1e-4;
    EXPECT_NEAR(p->realized + p->unrealized, a.cash + static_cast<double>(a.qty) * mark, 1e-6);
    EXPECT_NEAR(p->fees, a.fees, 1e-9);
    total_net += a.cash + static_cast<double>(a.qty) * mark - a.fees;
  }
  EXPECT_NEAR(om.total_pnl().net, total_net, 1e-5);
  // Open quantities, counts and best own prices from the working list.
  for (int s = 0; s < 4; ++s)
    for (int i = 0; i < 5; ++i) {
      Qty ob = 0, os = 0;
      std::uint32_t n = 0;
      Price bb = 0, bs = 0;
      for (const auto& [id, w] : working) {
        if (w.o.strategy != s || static_cast<int>(w.o.instrument) != i) continue;
        ++n;
        if (w.o.side == Side::Buy) { ob += w.leaves; bb = std::max(bb, w.o.price); }
        else { os += w.leaves; bs = bs == 0 ? w.o.price : std::min(bs, w.o.price); }
      }
      const Position* p = om.position(static_cast<std::uint16_t>(s), static_cast<InstrumentId>(i));
      if (p == nullptr) { EXPECT_EQ(n, 0u); continue; }
      EXPECT_EQ(p->open_buy, ob);
      EXPECT_EQ(p->open_sell, os);
      EXPECT_EQ(p->open_orders, n);
      EXPECT_EQ(p->best_buy, bb);
      EXPECT_EQ(p->best_sell, bs);
    }
  EXPECT_EQ(om.totals().open_orders, working.size());
  std::size_t iterated = 0;
  for (std::uint16_t s = 0; s < 4; ++s) om.for_each_working(s, [&](const Order& o) { ++iterated; EXPECT_TRUE(working.count(o.id)); });
  EXPECT_EQ(iterated, working.size());
  for (int e = 1; e < kOmsErrorCount; ++e) EXPECT_EQ(om.errors(static_cast<OmsError>(e)), 0u) << oms_error_name(static_cast<OmsError>(e));
}

}  // namespace
