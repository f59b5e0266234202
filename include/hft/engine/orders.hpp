// The order path of the engine: strategy stages hand OrderIntents to the OrderRouter, which stamps
// them with the event clock, passes every one through the pre-trade risk gate (no other way leads
// to a sink), records the accepted ones in the order manager and hands them to the OrderSink. The
// sink answers with ExecReports put on the Scheduler at their exchange time; the engine hands each
// to on_report() (order manager, positions, breakers) and then to the stages that take reports,
// merged with market events in exchange-time order. Rejects by the gate come back the same way,
// at the send time.
// The router owns the order manager (oms/), the risk gate and the circuit breakers (risk/); the
// checks themselves live there. The market the gate sees: best bid and ask from the books when
// the router runs on the book stage's thread (set_books), else the table on_market() keeps (the
// engine feeds it from the envelopes; tests set it directly), plus a halted flag per instrument.
// A breaker trip or a kill cancels the strategy's (every) working order; with flatten_on_trip a
// trip also sends reduce-only IOC orders that close the strategy's positions at the touch, once
// the cancels are confirmed.
// The sink is a virtual interface because it is chosen at run time (simulated exchange, paper
// trading, gateway) and is called once per order, not per market event.
// May touch: core/, oms/, risk/, book/ (read only), engine/clock.hpp.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/assert.hpp"
#include "hft/core/order.hpp"
#include "hft/engine/clock.hpp"
#include "hft/oms/order_manager.hpp"
#include "hft/report/recorder.hpp"
#include "hft/telemetry/tsc_clock.hpp"
#include "hft/risk/breakers.hpp"
#include "hft/risk/risk_gate.hpp"

namespace hft::engine {

class OrderSink {
 public:
  virtual ~OrderSink() = default;
  // An accepted intent at exchange time now: schedule its reports on s (ack, fills, ...).
  // Must not block or allocate; a report that finds the scheduler full is lost (the scheduler
  // counts it), so a sink checks has_room first and rejects instead.
  virtual void submit(const OrderIntent& o, Nanos now, Scheduler& s) noexcept = 0;
};

// Everything the router's risk side is built from (plain settings; config parsing fills them).
struct RouterConfig {
  oms::OmsConfig oms;
  risk::RiskSettings limits;
  risk::BreakerSettings breakers;
};

struct OrderCounters {
  std::uint64_t sent = 0;      // intents handed to the router
  std::uint64_t accepted = 0;  // passed the gate, handed to the sink
  std::array<std::uint64_t, kRejectReasonCount> rejected{};
  std::array<std::uint64_t, kExecKindCount> reports{};  // delivered to the stages, by kind
  std::uint64_t breaker_trips = 0, kills = 0, rearms = 0, cancel_all = 0, flatten_orders = 0;
};

class OrderRouter {
 public:
  OrderRouter(Scheduler& s, const Clock& c, const RouterConfig& cfg = {})
      : sched_(s), clock_(c), oms_(cfg.oms), gate_(cfg.limits, cfg.oms.max_strategies, cfg.breakers),
        market_(cfg.limits.max_instrument), flatten_pending_(cfg.oms.max_strategies, 0) {}
  void set_sink(OrderSink* sink) noexcept { sink_ = sink; }
  bool has_sink() const noexcept { return sink_ != nullptr; }
  // A replay's report recorder: every New intent (accepted or rejected) as sent, every report.
  void set_recorder(report::Recorder* r) noexcept { rec_ = r; }
  // Books on the router's own thread (nullptr: the on_market() table gives bid and ask).
  void set_books(const book::Books* b) noexcept { books_ = b; }
  // Kill / re-arm requests from the control thread (not owned; nullptr: none).
  void set_control(const risk::Control* c) noexcept { control_ = c; }
  void set_limits(const risk::RiskSettings& l) { gate_.set_settings(l); }
  void set_fees(const oms::FeeSchedule& f) noexcept { oms_.set_fees(f); }

  // The market of an instrument: bid and ask (used when no books are set) and halted; marks the
  // positions held in it at the mid (and feeds the strategies' P&L to the breakers).
  void on_market(InstrumentId instr, Price bid, Price ask, bool halted) noexcept {
    if (instr >= market_.size()) return;
    risk::MarketView& m = market_[instr];
    m.halted = halted;
    if (books_ == nullptr) {
      m.bid = bid;
      m.ask = ask;
    }
    if (bid > 0 && ask > 0 && instr < oms_.config().max_instruments) {
      const Price mid = (bid + ask) / 2;
      if (mid == oms_.instrument(instr).mark_px) return;
      oms_.mark(instr, mid);  // O(1) when nobody holds the instrument
      oms_.for_each_position(instr, [&](const oms::Position& p) { check_pnl(p.strategy); });
    }
  }
  risk::MarketView market(InstrumentId instr) const noexcept {
    if (instr >= market_.size()) return {};
    risk::MarketView m = market_[instr];
    if (books_ != nullptr && instr < books_->config().max_instruments) {
      m.bid = books_->best(instr, Side::Buy).price;
      m.ask = books_->best(instr, Side::Sell).price;
    }
    return m;
  }

  // From a strategy stage (the order thread). Returns the order's id, or 0 if it was rejected
  // (the reject report follows through the scheduler at the send time).
  ClientOrderId send(OrderIntent o) noexcept {
    ++cnt_.sent;
    o.ts = clock_.event_now;
    if (o.kind == IntentKind::New && o.id == 0) o.id = ++next_id_;
    if (rec_ && o.kind == IntentKind::New) rec_->on_order(o);
    RejectReason why = gate_.check(o, o.ts, market(o.instrument), oms_);
    if (why == RejectReason::None && sink_ == nullptr) why = RejectReason::NoVenue;
    if (why == RejectReason::None && !sched_.has_room(4)) why = RejectReason::QueueFull;
    if (o.kind != IntentKind::Cancel && gate_.breakers.on_order(o.strategy, why != RejectReason::None, o.ts))
      on_trip(o.strategy);
    if (why != RejectReason::None) {
      ++cnt_.rejected[static_cast<std::size_t>(why)];
      ExecReport r = report_for(o, ExecKind::Reject, o.ts);
      r.reason = why;
      (void)sched_.at(o.ts, r);
      return 0;
    }
    ++cnt_.accepted;
    if (first_accept_tick_ == 0) first_accept_tick_ = telemetry::rdtsc();  // tick-to-order
    HFT_ASSERT(why == RejectReason::None && (o.kind == IntentKind::Cancel || o.qty <= gate_.settings().max_order_qty),
               "an order reached the sink around the gate");
    (void)oms_.on_sent(o);
    sink_->submit(o, o.ts, sched_);
    return o.id;
  }

  // Every execution report, before the stages see it: order states, positions, breakers.
  void on_report(const ExecReport& r) noexcept {
    ++cnt_.reports[static_cast<std::size_t>(r.kind)];
    (void)oms_.on_report(r);
    if (rec_) rec_->on_exec(r, oms_.fee_of(r));
    if (r.strategy < flatten_pending_.size() && flatten_pending_[r.strategy] != 0 &&
        oms_.strategy_totals(r.strategy).open_orders == 0) {
      flatten_pending_[r.strategy] = 0;
      flatten(r.strategy);
    }
    if (r.kind == ExecKind::Fill) {
      check_pnl(r.strategy);
    } else if (r.kind == ExecKind::Reject && !oms::is_router_reject(r.reason)) {
      if (gate_.breakers.on_reject(r.strategy, r.ts)) on_trip(r.strategy);
    }
  }

  // Once per event on the order thread: kill and re-arm requests from the control thread.
  void poll_control() noexcept {
    if (control_ == nullptr) return;
    const risk::ControlPoll::Change ch = poll_.poll(*control_);
    if (ch.rearm) {
      gate_.breakers.rearm_all();
      ++cnt_.rearms;
    }
    gate_.set_kill(poll_.killed);
    if (ch.kill_rose) {
      ++cnt_.kills;
      for (std::uint16_t s = 0; s < oms_.config().max_strategies; ++s) cancel_all(s);
    }
  }

  // Cancels every working order of a strategy through the gate (cancels always pass it).
  // Returns how many cancels were accepted.
  std::size_t cancel_all(std::uint16_t strategy) noexcept {
    std::size_t n = 0;
    ++cnt_.cancel_all;
    oms_.for_each_working(strategy, [&](const oms::Order& w) {
      if (w.state == oms::OrderState::PendingCancel) return;
      OrderIntent c;
      c.kind = IntentKind::Cancel;
      c.side = w.side;
      c.strategy = w.strategy;
      c.instrument = w.instrument;
      c.id = w.id;
      n += send(c) != 0;
    });
    return n;
  }

  const OrderCounters& counters() const noexcept { return cnt_; }
  // Cycle counter when the first order since the last clear left the gate (0: none since).
  std::uint64_t first_accept_tick() const noexcept { return first_accept_tick_; }
  void clear_accept_tick() noexcept { first_accept_tick_ = 0; }
  const oms::OrderManager& oms() const noexcept { return oms_; }
  const risk::RiskGate& gate() const noexcept { return gate_; }
  risk::RiskGate& gate() noexcept { return gate_; }
  // The inputs only the caller has (labels, feed gaps, latency) go here; a true return from one of
  // them is a trip: pass the strategy (Breakers::kGlobal: all) to on_trip().
  risk::Breakers& breakers() noexcept { return gate_.breakers; }
  // After a trip: cancel the strategy's (kGlobal: every strategy's) orders, flatten if configured.
  void on_trip(std::uint16_t strategy) noexcept {
    ++cnt_.breaker_trips;
    if (strategy != risk::Breakers::kGlobal) return stop_strategy(strategy);
    for (std::uint16_t s = 0; s < oms_.config().max_strategies; ++s)
      if (oms_.strategy_totals(s).open_orders != 0 || gate_.breakers.settings().flatten_on_trip) stop_strategy(s);
  }

 private:
  void check_pnl(std::uint16_t s) noexcept {
    if (s >= oms_.config().max_strategies) return;
    if (gate_.breakers.on_pnl(s, oms_.strategy_pnl(s).net, clock_.event_now)) on_trip(s);
  }
  // Flattening waits until the cancels are confirmed: before that, the closing order could
  // trade against the strategy's own orders still resting (and self-trade prevention refuses it).
  void stop_strategy(std::uint16_t s) noexcept {
    cancel_all(s);
    if (!gate_.breakers.settings().flatten_on_trip) return;
    if (oms_.strategy_totals(s).open_orders == 0) flatten(s);
    else flatten_pending_[s] = 1;
  }
  // Reduce-only IOC orders at the touch for the strategy's open positions (not the hot path:
  // walks the position table once per trip).
  void flatten(std::uint16_t s) noexcept {
    oms_.for_each_position_of(s, [&](const oms::Position& p) {
      if (p.qty == 0) return;
      const risk::MarketView m = market(p.instrument);
      OrderIntent f;
      f.tif = TimeInForce::IOC;
      f.strategy = s;
      f.instrument = p.instrument;
      f.side = p.qty > 0 ? Side::Sell : Side::Buy;
      const std::int64_t working = p.qty > 0 ? std::int64_t{p.open_sell} : std::int64_t{p.open_buy};
      const std::int64_t q = (p.qty > 0 ? p.qty : -p.qty) - working;
      if (q <= 0) return;
      f.qty = static_cast<Qty>(std::min<std::int64_t>(q, gate_.settings().max_order_qty));
      f.price = p.qty > 0 ? m.bid : m.ask;
      cnt_.flatten_orders += send(f) != 0;
    });
  }

  Scheduler& sched_;
  const Clock& clock_;
  OrderSink* sink_ = nullptr;
  const book::Books* books_ = nullptr;
  const risk::Control* control_ = nullptr;
  risk::ControlPoll poll_;
  oms::OrderManager oms_;
  risk::RiskGate gate_;
  std::vector<risk::MarketView> market_;  // by instrument id
  std::vector<std::uint8_t> flatten_pending_;  // by strategy: flatten once its cancels are done
  ClientOrderId next_id_ = 0;
  OrderCounters cnt_;
  report::Recorder* rec_ = nullptr;
  std::uint64_t first_accept_tick_ = 0;
};

}  // namespace hft::engine
