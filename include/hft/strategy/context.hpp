// What a strategy may do and know besides the market: send, cancel and replace orders (every
// one through the order router and its risk gate: there is no other way to a venue), set
// timers on the exchange-time clock, and read its own positions and P&L from the order manager.
// One Context per strategy instance, built by the manager; it stamps the strategy's index on
// everything it sends, so one strategy cannot act for another.
// May touch: engine/ (orders.hpp, clock.hpp: the order thread's router, scheduler and clock).
#pragma once
#include <cstdint>

#include "hft/core/order.hpp"
#include "hft/core/types.hpp"
#include "hft/engine/clock.hpp"
#include "hft/engine/orders.hpp"

namespace hft::strategy {

class Context {
 public:
  Context(engine::OrderRouter& router, engine::Scheduler& sched, const engine::Clock& clock,
          std::uint16_t strategy, std::uint16_t timer_owner) noexcept
      : router_(&router), sched_(&sched), clock_(&clock), strategy_(strategy), owner_(timer_owner) {}

  // A limit order; returns its client id, or 0 when the risk gate (or the router) rejected it:
  // the reject report follows through on_exec like every other report.
  ClientOrderId send(InstrumentId instr, Side side, Price price, Qty qty, TimeInForce tif = TimeInForce::Day) noexcept {
    OrderIntent o;
    o.kind = IntentKind::New;
    o.side = side;
    o.tif = tif;
    o.strategy = strategy_;
    o.instrument = instr;
    o.price = price;
    o.qty = qty;
    return router_->send(o);
  }
  bool cancel(InstrumentId instr, ClientOrderId id) noexcept {
    OrderIntent o;
    o.kind = IntentKind::Cancel;
    o.strategy = strategy_;
    o.instrument = instr;
    o.id = id;
    return router_->send(o) != 0;
  }
  // Cancels every working order of this strategy (on the instrument, or all when instr is kAll).
  static constexpr InstrumentId kAll = ~InstrumentId{0};
  void cancel_all(InstrumentId instr = kAll) noexcept {
    if (instr == kAll) {
      router_->cancel_all(strategy_);
      return;
    }
    router_->oms().for_each_working(strategy_, [&](const oms::Order& w) {
      if (w.instrument == instr && w.state != oms::OrderState::PendingCancel) cancel(instr, w.id);
    });
  }

  // A timer at exchange time due; on_timer(cookie) is called then. False when the scheduler is full.
  bool timer(Nanos due, std::uint32_t cookie) noexcept {
    return sched_->timer(due, owner_, std::uint64_t{strategy_} << 32 | cookie);
  }
  Nanos now() const noexcept { return clock_->event_now; }

  // Signed position (shares) and open quantity of this strategy on an instrument.
  std::int64_t position(InstrumentId instr) const noexcept {
    const oms::Position* p = router_->oms().position(strategy_, instr);
    return p ? p->qty : 0;
  }
  std::int64_t open_buy(InstrumentId instr) const noexcept {
    const oms::Position* p = router_->oms().position(strategy_, instr);
    return p ? p->open_buy : 0;
  }
  std::int64_t open_sell(InstrumentId instr) const noexcept {
    const oms::Position* p = router_->oms().position(strategy_, instr);
    return p ? p->open_sell : 0;
  }
  // Halted by a breaker or the kill switch: orders would be rejected (cancels still pass).
  bool halted() const noexcept { return router_->gate().killed() || router_->gate().breakers.blocked(strategy_); }

  std::uint16_t strategy() const noexcept { return strategy_; }

 private:
  engine::OrderRouter* router_;
  engine::Scheduler* sched_;
  const engine::Clock* clock_;
  std::uint16_t strategy_;
  std::uint16_t owner_;
};

}  // namespace hft::strategy
