// The strategy module: the registry and settings (bad settings refused with their path), and the
// two built-in strategies driven through a real router, risk gate and order manager by a harness
// that plays envelopes and a venue that fills what it is told to.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/engine/clock.hpp"
#include "hft/engine/orders.hpp"
#include "hft/engine/symbols.hpp"
#include "hft/strategy/manager.hpp"
#include "hft/strategy/registry.hpp"

namespace hft::strategy {
namespace {

TEST(Registry, TypeFromTheNameOrTheTypeSetting) {
  EXPECT_EQ(type_of("market_direction_v1", ""), "market_direction");
  EXPECT_EQ(type_of("market_making_v12", ""), "market_making");
  EXPECT_EQ(type_of("mm_2", ""), "mm");
  EXPECT_EQ(type_of("plain", ""), "plain");
  EXPECT_EQ(type_of("v1", ""), "v1");
  EXPECT_EQ(type_of("anything_v3", "market_making"), "market_making");
  const auto t = registered_types();
  EXPECT_NE(std::find(t.begin(), t.end(), "market_direction"), t.end());
  EXPECT_NE(std::find(t.begin(), t.end(), "market_making"), t.end());
}

std::string error_of(const StrategySpec& s) {
  try {
    (void)make_strategy(s);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Registry, BadSettingsAreRefusedWithTheirPath) {
  StrategySpec s;
  s.name = "mm1";
  s.type = "market_making";
  s.params = {{"gamma", "-1"}};
  EXPECT_NE(error_of(s).find("strategies.mm1.gamma: must be in"), std::string::npos) << error_of(s);
  s.params = {{"gama", "0.1"}};
  EXPECT_NE(error_of(s).find("strategies.mm1.gama: unknown setting for a market_making strategy"), std::string::npos)
      << error_of(s);
  s.params = {{"method", "twap"}};
  EXPECT_NE(error_of(s).find("expected as | glft"), std::string::npos) << error_of(s);
  s.params = {{"quote_qty", "1.5"}};
  EXPECT_NE(error_of(s).find("expected an integer"), std::string::npos) << error_of(s);
  s.type = "no_such";
  s.params = {};
  EXPECT_NE(error_of(s).find("unknown strategy type 'no_such' (types: "), std::string::npos) << error_of(s);
  s.type = "market_direction";
  s.params = {{"slices", "0"}};
  EXPECT_NE(error_of(s).find("strategies.mm1.slices"), std::string::npos) << error_of(s);
  s.params = {{"signal", "imbalance"}, {"horizon_s", "10"}};
  EXPECT_EQ(error_of(s), "");
}

// A venue that acknowledges every order and fills IOC orders in full at their price at once
// (liquidity taken), and confirms cancels; everything at the send time.
class FillingVenue final : public engine::OrderSink {
 public:
  void submit(const OrderIntent& o, Nanos now, engine::Scheduler& s) noexcept override {
    sent.push_back(o);
    if (o.kind == IntentKind::Cancel) {
      ExecReport c = report_for(o, ExecKind::Cancelled, now);
      c.qty = 0;
      s.at(now, c);
      return;
    }
    ExecReport ack = report_for(o, ExecKind::Ack, now);
    ack.leaves = o.qty;
    s.at(now, ack);
    if (o.tif == TimeInForce::IOC) {
      ExecReport f = report_for(o, ExecKind::Fill, now);
      f.qty = o.qty;
      f.leaves = 0;
      f.liquidity = Liquidity::Taker;
      s.at(now, f);
    }
  }
  std::vector<OrderIntent> sent;
};

// Router, clock, scheduler and one instrument "AAA" (id 1) around a manager.
struct Harness {
  engine::Scheduler sched{4096};
  engine::Clock clock;
  engine::OrderRouter router;
  engine::SymbolTable symbols{16};
  book::Books books;
  FillingVenue venue;
  std::unique_ptr<Manager> mgr;

  static engine::RouterConfig risk() {
    engine::RouterConfig rc;
    rc.limits.collar_bps = 1000;
    rc.limits.max_orders_per_s = 100000;
    return rc;
  }
  explicit Harness(std::vector<StrategySpec> specs) : router(sched, clock, risk()) {
    router.set_sink(&venue);
    symbols.set(1, "AAA");
    symbols.set(2, "BBB");
    mgr = std::make_unique<Manager>(std::move(specs), router, sched, clock, 0, &symbols, 16);
  }
  void deliver(Nanos t) {
    sched.run_until(t, [&](const engine::Scheduled& s) {
      clock.advance_to(s.due);
      if (s.what == engine::Scheduled::kExec) {
        router.on_report(s.exec);
        mgr->on_exec(s.exec);
      } else {
        mgr->on_timer(s.timer.cookie);
      }
    });
  }
  // A market event on instrument id with this top of book at time t.
  void event(InstrumentId id, Nanos t, Price bid, Volume bq, Price ask, Volume aq) {
    deliver(t);
    clock.on_event(t);
    router.on_market(id, bid, ask, false);
    engine::Envelope e;
    e.reset(MarketEvent{}, 0);
    e.ev.ts_exch = t;
    e.ev.instrument = id;
    e.ev.kind = EventKind::Add;
    e.top = {bid, ask, bq, aq};
    mgr->on_event(e, books, nullptr);
  }
};

StrategySpec direction_spec() {
  StrategySpec s;
  s.name = "md";
  s.type = "market_direction";
  s.symbols = {"AAA"};
  s.max_position = 300;
  s.max_order_qty = 100;
  s.min_confidence = 0.6;
  s.params = {{"signal", "imbalance"}, {"horizon_s", "5"}, {"slices", "5"}};
  return s;
}

// A strong bid imbalance gives the target +max_position; with no volatility measured yet the
// Almgren-Chriss schedule is the linear one (kappa -> 0: X/N a slice), one slice a second,
// each a marketable IOC at the ask. Events of an instrument the strategy does not trade reach it
// not at all.
TEST(MarketDirection, ImbalanceTargetWorkedByTheScheduleInEqualSlices) {
  Harness h({direction_spec()});
  const Price bid = 1'000'000, ask = 1'000'100;
  h.event(2, 1'000'000'000, bid, 900, ask, 100);  // BBB: not traded
  EXPECT_TRUE(h.venue.sent.empty());
  h.event(1, 1'000'000'000, bid, 900, ask, 100);  // imbalance 0.8 >= 0.6: up
  for (int k = 1; k <= 6; ++k) h.event(1, 1'000'000'000 + k * 1'000'000'000LL, bid, 500, ask, 500);
  std::vector<Qty> qty;
  for (const auto& o : h.venue.sent)
    if (o.kind == IntentKind::New) {
      EXPECT_EQ(o.side, Side::Buy);
      EXPECT_EQ(o.tif, TimeInForce::IOC);
      EXPECT_EQ(o.price, ask);
      qty.push_back(o.qty);
    }
  EXPECT_EQ(qty, (std::vector<Qty>{60, 60, 60, 60, 60}));
  const oms::Position* p = h.router.oms().position(0, 1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->qty, 300);
  // A strong ask imbalance reverses it: from +300 to -300, 600 shares in five slices of 120 at
  // most max_order_qty (100) each; what a slice cannot send rolls into the next and the last
  // sends what is left.
  h.venue.sent.clear();
  h.event(1, 8'000'000'000, bid, 100, ask, 900);
  for (int k = 1; k <= 6; ++k) h.event(1, 8'000'000'000 + k * 1'000'000'000LL, bid, 500, ask, 500);
  Qty sold = 0;
  for (const auto& o : h.venue.sent)
    if (o.kind == IntentKind::New) {
      EXPECT_EQ(o.side, Side::Sell);
      EXPECT_LE(o.qty, 100u);
      sold += o.qty;
    }
  EXPECT_EQ(sold, 600u);
  EXPECT_EQ(h.router.oms().position(0, 1)->qty, -300);
}

StrategySpec making_spec() {
  StrategySpec s;
  s.name = "mm";
  s.type = "market_making";
  s.symbols = {"AAA"};
  s.max_position = 500;
  s.max_order_qty = 100;
  s.params = {{"gamma", "0.1"}, {"k", "100"}, {"estimate_arrival", "false"}, {"requote_ms", "0"}, {"quote_qty", "100"}};
  return s;
}

// With no volatility seen (a constant mid) the Avellaneda-Stoikov spread is (2/gamma) ln(1 +
// gamma/k) around the mid: here 20 ln(1.001) = 0.019990 currency, so the quotes are mid -/+
// 0.009995 snapped outward to the cent.
TEST(MarketMaking, QuotesAroundTheMidSnappedToTheTickSizedByInventory) {
  Harness h({making_spec()});
  const Price bid = 1'000'000, ask = 1'000'100;  // 100.00 / 100.01
  h.event(1, 1'000'000'000, bid, 500, ask, 500);
  const double mid = 100.005, half = 0.5 * (2 / 0.1) * std::log(1 + 0.1 / 100);
  const auto want_bid = static_cast<Price>(std::floor((mid - half) * 100 + 1e-9)) * 100;
  const auto want_ask = static_cast<Price>(std::ceil((mid + half) * 100 - 1e-9)) * 100;
  ASSERT_EQ(h.venue.sent.size(), 2u);
  EXPECT_EQ(h.venue.sent[0].side, Side::Buy);
  EXPECT_EQ(h.venue.sent[0].price, want_bid);
  EXPECT_EQ(h.venue.sent[1].price, want_ask);
  EXPECT_EQ(h.venue.sent[0].qty, 100u);
  EXPECT_EQ(h.venue.sent[1].qty, 100u);
  // The same market again: nothing is re-sent (the orders keep their place in the queue).
  h.event(1, 2'000'000'000, bid, 500, ask, 500);
  EXPECT_EQ(h.venue.sent.size(), 2u);
  // The bid is filled for 100 (a long position of 100 of 500): the new bid is 80 shares
  // (100 x (1 - 100/500)), the ask stays 100.
  ExecReport f = report_for(h.venue.sent[0], ExecKind::Fill, 2'500'000'000);
  f.qty = 100;
  f.leaves = 0;
  f.liquidity = Liquidity::Maker;
  h.sched.at(f.ts, f);
  h.event(1, 3'000'000'000, bid, 500, ask, 500);
  ASSERT_GE(h.venue.sent.size(), 3u);
  const OrderIntent& nb = h.venue.sent.back();
  EXPECT_EQ(nb.side, Side::Buy);
  EXPECT_EQ(nb.qty, 80u);
}

}  // namespace
}  // namespace hft::strategy
