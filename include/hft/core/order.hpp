// Typed order messages beside the market events: an order intent goes out of a strategy stage,
// through the risk gate, to an order sink (the simulated exchange in replays and paper trading, a
// gateway live); execution reports come back into the pipeline at their exchange time. Small,
// trivially copyable, integer prices and quantities like MarketEvent.
// May touch: nothing (types only).
#pragma once
#include <cstdint>
#include <type_traits>

#include "hft/core/types.hpp"

namespace hft {

using ClientOrderId = std::uint64_t;  // unique per engine run, given by the router

enum class IntentKind : std::uint8_t { New = 0, Cancel, Replace };
enum class TimeInForce : std::uint8_t { Day = 0, IOC };

struct OrderIntent {
  IntentKind kind = IntentKind::New;
  Side side = Side::None;
  TimeInForce tif = TimeInForce::Day;
  std::uint16_t strategy = 0;        // who sent it (index in the strategy manager; tests: any)
  InstrumentId instrument = 0;
  ClientOrderId id = 0;              // New: 0 = the router assigns one; Cancel/Replace: the order
  Price price = 0;                   // New / Replace: limit price
  Qty qty = 0;                       // New / Replace: quantity
  Nanos ts = 0;                      // event time it was sent (set by the router)
};
static_assert(std::is_trivially_copyable_v<OrderIntent>);

enum class ExecKind : std::uint8_t { Ack = 0, Reject, Fill, Cancelled, Replaced, Count_ };
inline constexpr int kExecKindCount = static_cast<int>(ExecKind::Count_);

// Why an intent was rejected (by the risk gate, the router or the venue).
enum class RejectReason : std::uint8_t {
  None = 0,
  NoVenue,         // no order sink configured
  BadInstrument,   // instrument id outside the configured range
  BadSide,
  BadQty,          // zero, or above the gate's maximum order quantity
  BadPrice,        // not positive
  RateLimit,       // more orders in the last second of event time than allowed
  KillSwitch,      // trading stopped by the kill switch
  QueueFull,       // the scheduler had no room for the reports (counted, the order is not sent)
  UnknownOrder,    // cancel / replace of an order the venue does not know
  Venue,           // any other venue reject
  Notional,        // order value above the per-order notional limit
  Position,        // the symbol's position (with open orders on that side) would pass its limit
  Exposure,        // gross exposure over all symbols would pass its limit
  PriceCollar,     // limit price too far from the mid (or no mid to check it against)
  OpenOrders,      // too many orders working
  SelfTrade,       // would trade against the same strategy's resting order
  Breaker,         // a circuit breaker tripped for this strategy (until re-armed)
  Halted,          // the instrument is halted or its data stale
  Count_
};
inline constexpr int kRejectReasonCount = static_cast<int>(RejectReason::Count_);
const char* reject_reason_name(RejectReason r) noexcept;
const char* exec_kind_name(ExecKind k) noexcept;

// Fill: whether the order added liquidity (resting, maker) or took it (taker); fees follow it.
enum class Liquidity : std::uint8_t { None = 0, Maker, Taker };

struct ExecReport {
  ExecKind kind = ExecKind::Ack;
  Side side = Side::None;
  RejectReason reason = RejectReason::None;
  Liquidity liquidity = Liquidity::None;   // Fill only
  std::uint16_t strategy = 0;
  InstrumentId instrument = 0;
  ClientOrderId id = 0;
  Price price = 0;                   // Fill: execution price; otherwise the order's price
  Qty qty = 0;                       // Fill: quantity filled now
  Qty leaves = 0;                    // quantity still working after this report
  Qty queue_ahead = 0;               // Fill, maker: displayed quantity ahead of the order when it
                                     //   joined its queue (its queue position; 0 = the front)
  Nanos ts = 0;                      // time the report reaches the engine (exchange time + the
                                     //   response latency in a simulation)
  Nanos ts_venue = 0;                // exchange time of the event at the venue (0 = unknown)
};
static_assert(std::is_trivially_copyable_v<ExecReport>);

// A report of kind k about intent o at time ts (fill quantities and leaves left to the caller).
inline ExecReport report_for(const OrderIntent& o, ExecKind k, Nanos ts) noexcept {
  ExecReport r;
  r.kind = k;
  r.side = o.side;
  r.strategy = o.strategy;
  r.instrument = o.instrument;
  r.id = o.id;
  r.price = o.price;
  r.ts = ts;
  return r;
}

inline const char* exec_kind_name(ExecKind k) noexcept {
  switch (k) {
    case ExecKind::Ack: return "ack";
    case ExecKind::Reject: return "reject";
    case ExecKind::Fill: return "fill";
    case ExecKind::Cancelled: return "cancelled";
    case ExecKind::Replaced: return "replaced";
    case ExecKind::Count_: break;
  }
  return "?";
}

inline const char* reject_reason_name(RejectReason r) noexcept {
  switch (r) {
    case RejectReason::None: return "none";
    case RejectReason::NoVenue: return "no_venue";
    case RejectReason::BadInstrument: return "bad_instrument";
    case RejectReason::BadSide: return "bad_side";
    case RejectReason::BadQty: return "bad_qty";
    case RejectReason::BadPrice: return "bad_price";
    case RejectReason::RateLimit: return "rate_limit";
    case RejectReason::KillSwitch: return "kill_switch";
    case RejectReason::QueueFull: return "queue_full";
    case RejectReason::UnknownOrder: return "unknown_order";
    case RejectReason::Venue: return "venue";
    case RejectReason::Notional: return "notional";
    case RejectReason::Position: return "position";
    case RejectReason::Exposure: return "exposure";
    case RejectReason::PriceCollar: return "price_collar";
    case RejectReason::OpenOrders: return "open_orders";
    case RejectReason::SelfTrade: return "self_trade";
    case RejectReason::Breaker: return "breaker";
    case RejectReason::Halted: return "halted";
    case RejectReason::Count_: break;
  }
  return "?";
}

}  // namespace hft
