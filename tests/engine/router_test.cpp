// The order router with its OMS, gate and breakers, without an engine: the market given by the
// test (no books), a venue that acks at once and fills on request. Kill from the control thread
// cancels everything and stops new orders until re-armed; a loss breaker trip cancels the
// strategy's orders and, with flatten_on_trip, closes its position with a reduce-only IOC order.
#include <gtest/gtest.h>

#include <vector>

#include "hft/engine/orders.hpp"

namespace {

using namespace hft;
using namespace hft::engine;

class AckVenue final : public OrderSink {
 public:
  void submit(const OrderIntent& o, Nanos now, Scheduler& s) noexcept override {
    got.push_back(o);
    if (o.kind == IntentKind::Cancel) {
      s.at(now, report_for(o, ExecKind::Cancelled, now));
      return;
    }
    ExecReport a = report_for(o, ExecKind::Ack, now);
    a.leaves = o.qty;
    s.at(now, a);
    if (o.tif == TimeInForce::IOC) {  // IOC: filled in full at its price
      ExecReport f = report_for(o, ExecKind::Fill, now);
      f.qty = o.qty;
      f.liquidity = Liquidity::Taker;
      s.at(now, f);
    }
  }
  std::vector<OrderIntent> got;
};

struct RouterRig {
  Scheduler sched{1024};
  Clock clock;
  AckVenue venue;
  OrderRouter router;
  explicit RouterRig(const RouterConfig& rc) : router(sched, clock, rc) {
    router.set_sink(&venue);
    router.on_market(1, 99990, 100010, false);
  }
  void deliver() {
    sched.run_until(clock.event_now, [&](const Scheduled& s) {
      if (s.what == Scheduled::kExec) router.on_report(s.exec);
    });
  }
  ClientOrderId buy(Price px, Qty q, std::uint16_t s = 0, TimeInForce tif = TimeInForce::Day) {
    OrderIntent o;
    o.side = Side::Buy;
    o.strategy = s;
    o.instrument = 1;
    o.price = px;
    o.qty = q;
    o.tif = tif;
    const ClientOrderId id = router.send(o);
    deliver();
    return id;
  }
};

RouterConfig small() {
  RouterConfig rc;
  rc.oms.max_instruments = 8;
  rc.oms.max_strategies = 4;
  rc.oms.max_orders = 256;
  rc.limits.max_instrument = 8;
  return rc;
}

TEST(OrderRouter, KillCancelsEverythingAndBlocksNewOrdersUntilRearmed) {
  RouterRig r(small());
  risk::Control ctl;
  r.router.set_control(&ctl);
  ASSERT_NE(r.buy(99950, 10, 0), 0u);
  ASSERT_NE(r.buy(99940, 10, 1), 0u);
  EXPECT_EQ(r.router.oms().totals().open_orders, 2u);
  ctl.request_kill();
  r.router.poll_control();
  r.deliver();
  EXPECT_EQ(r.router.oms().totals().open_orders, 0u);
  EXPECT_EQ(r.router.counters().kills, 1u);
  EXPECT_EQ(r.buy(99950, 10, 0), 0u);
  EXPECT_EQ(r.router.counters().rejected[static_cast<int>(RejectReason::KillSwitch)], 1u);
  ctl.request_rearm();
  r.router.poll_control();
  EXPECT_NE(r.buy(99950, 10, 0), 0u);
}

TEST(OrderRouter, ALossTripCancelsTheStrategysOrdersAndFlattensIt) {
  RouterConfig rc = small();
  rc.breakers.max_loss = 50;
  rc.breakers.max_drawdown = 0;
  rc.breakers.flatten_on_trip = true;
  RouterRig r(rc);
  ASSERT_NE(r.buy(100000, 100, 2, TimeInForce::IOC), 0u);  // long 100 @ 10.00
  ASSERT_NE(r.buy(99900, 50, 2), 0u);                        // a resting buy
  ASSERT_NE(r.buy(99900, 50, 3), 0u);                        // another strategy's
  EXPECT_EQ(r.router.oms().position(2, 1)->qty, 100);
  r.router.on_market(1, 94990, 95010, false);  // mid 9.50: -50.00 unrealized, minus fees
  r.deliver();
  EXPECT_TRUE(r.router.gate().breakers.blocked(2));
  EXPECT_EQ(r.router.gate().breakers.state(2).reason, risk::BreakerReason::DailyLoss);
  EXPECT_EQ(r.router.oms().strategy_totals(2).open_orders, 0u);  // cancelled
  EXPECT_EQ(r.router.oms().strategy_totals(3).open_orders, 1u);  // untouched
  EXPECT_EQ(r.router.counters().flatten_orders, 1u);
  EXPECT_EQ(r.router.oms().position(2, 1)->qty, 0);              // sold at the bid
  EXPECT_EQ(r.buy(95000, 10, 2), 0u);                             // new risk refused
  EXPECT_EQ(r.router.counters().rejected[static_cast<int>(RejectReason::Breaker)], 1u);
  EXPECT_NE(r.buy(95000, 10, 3), 0u);                             // others trade on
}

TEST(OrderRouter, CancelAllSendsOneCancelPerWorkingOrder) {
  RouterRig r(small());
  for (int k = 0; k < 5; ++k) ASSERT_NE(r.buy(99950 - k, 10, 1), 0u);
  EXPECT_EQ(r.router.cancel_all(1), 5u);
  EXPECT_EQ(r.router.cancel_all(1), 0u);  // already cancelling
  r.deliver();
  EXPECT_EQ(r.router.oms().totals().open_orders, 0u);
}

}  // namespace
