// The order path of the engine: strategy stages hand OrderIntents to the OrderRouter, which stamps
// them with the event clock, passes every one through the pre-trade risk gate (no other way leads
// to a sink), and hands the accepted ones to the OrderSink. The sink answers with ExecReports put
// on the Scheduler at their exchange time; the engine delivers them to the stages that take
// reports (on_exec) merged with market events in exchange-time order. Rejects by the gate come
// back the same way, at the send time.
// The sink is a virtual interface because it is chosen at run time (simulated exchange, paper
// trading, gateway) and is called once per order, not per market event.
// The gate here holds the stateless and rate checks; positions, loss limits and circuit breakers
// belong to the risk module (orders/risk issue) and plug in at the same point.
// May touch: core/, engine/clock.hpp.
#pragma once
#include <array>
#include <cstdint>

#include "hft/core/assert.hpp"
#include "hft/core/order.hpp"
#include "hft/engine/clock.hpp"

namespace hft::engine {

class OrderSink {
 public:
  virtual ~OrderSink() = default;
  // An accepted intent at exchange time now: schedule its reports on s (ack, fills, ...).
  // Must not block or allocate; a report that finds the scheduler full is lost (the scheduler
  // counts it), so a sink checks has_room first and rejects instead.
  virtual void submit(const OrderIntent& o, Nanos now, Scheduler& s) noexcept = 0;
};

struct GateLimits {
  Qty max_order_qty = 1000;
  InstrumentId max_instrument = 1u << 16;  // ids must be below this
  std::uint32_t max_orders_per_s = 100;    // in event time; 0 = none allowed
  bool kill_switch = false;
};

// Pre-trade checks, O(1) per intent. The rate limit counts intents in the current one-second
// bucket of event time (a fixed window: simple and deterministic).
struct PreTradeGate {
  GateLimits lim;
  Nanos bucket = INT64_MIN;
  std::uint32_t in_bucket = 0;

  RejectReason check(const OrderIntent& o, Nanos now) noexcept {
    if (lim.kill_switch) return RejectReason::KillSwitch;
    if (o.instrument >= lim.max_instrument) return RejectReason::BadInstrument;
    if (o.kind != IntentKind::Cancel) {
      if (o.side != Side::Buy && o.side != Side::Sell) return RejectReason::BadSide;
      if (o.qty == 0 || o.qty > lim.max_order_qty) return RejectReason::BadQty;
      if (o.price <= 0) return RejectReason::BadPrice;
    }
    const Nanos b = floor_div(now, 1'000'000'000);
    if (b != bucket) {
      bucket = b;
      in_bucket = 0;
    }
    if (in_bucket >= lim.max_orders_per_s) return RejectReason::RateLimit;
    ++in_bucket;
    return RejectReason::None;
  }
};

struct OrderCounters {
  std::uint64_t sent = 0;      // intents handed to the router
  std::uint64_t accepted = 0;  // passed the gate, handed to the sink
  std::array<std::uint64_t, kRejectReasonCount> rejected{};
  std::array<std::uint64_t, kExecKindCount> reports{};  // delivered to the stages, by kind
};

class OrderRouter {
 public:
  OrderRouter(Scheduler& s, const Clock& c) : sched_(s), clock_(c) {}
  void set_sink(OrderSink* sink) noexcept { sink_ = sink; }
  void set_limits(const GateLimits& l) noexcept { gate_.lim = l; }

  // From a strategy stage (the order thread). Returns the order's id, or 0 if it was rejected
  // (the reject report follows through the scheduler at the send time).
  ClientOrderId send(OrderIntent o) noexcept {
    ++cnt_.sent;
    o.ts = clock_.event_now;
    if (o.kind == IntentKind::New && o.id == 0) o.id = ++next_id_;
    RejectReason why = gate_.check(o, o.ts);
    if (why == RejectReason::None && sink_ == nullptr) why = RejectReason::NoVenue;
    if (why == RejectReason::None && !sched_.has_room(4)) why = RejectReason::QueueFull;
    if (why != RejectReason::None) {
      ++cnt_.rejected[static_cast<std::size_t>(why)];
      ExecReport r = report_for(o, ExecKind::Reject, o.ts);
      r.reason = why;
      (void)sched_.at(o.ts, r);
      return 0;
    }
    ++cnt_.accepted;
    HFT_ASSERT(why == RejectReason::None && o.qty <= gate_.lim.max_order_qty, "an order reached the sink around the gate");
    sink_->submit(o, o.ts, sched_);
    return o.id;
  }
  void count_report(const ExecReport& r) noexcept { ++cnt_.reports[static_cast<std::size_t>(r.kind)]; }
  const OrderCounters& counters() const noexcept { return cnt_; }

 private:
  Scheduler& sched_;
  const Clock& clock_;
  OrderSink* sink_ = nullptr;
  PreTradeGate gate_;
  ClientOrderId next_id_ = 0;
  OrderCounters cnt_;
};

}  // namespace hft::engine
