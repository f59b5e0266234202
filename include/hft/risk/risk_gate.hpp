// The pre-trade risk gate: every intent passes check() before it may reach a venue. O(1) per
// intent (a few table lookups, no allocation). In order:
//   malformed: instrument or strategy outside the tables (BadInstrument); a cancel or replace of
//     an order that is not working, or is another strategy's or instrument's (UnknownOrder);
//   cancels pass here: no limit ever blocks a cancel;
//   kill switch; side / quantity (0 or above max_order_qty) / price (<= 0);
//   breaker tripped for the strategy or globally (Breaker), except a reduce-only IOC order (it
//     only shrinks the strategy's position, with what is already working on that side): that is
//     how a tripped strategy is flattened;
//   instrument halted (Halted); per-order notional qty * price (Notional);
//   price collar: |price - mid| > collar_bps of the mid, or no two-sided market (PriceCollar);
//   position per symbol, all strategies together, counting the working orders on the order's
//     side: buy  pos + open_buy  + qty <= limit,  sell  open_sell + qty - pos <= limit (Position);
//   gross exposure: sum |pos| * mark + notional of every working order + this order's notional
//     <= max_gross (Exposure; conservative: a working order is counted as if it adds exposure);
//   open orders per strategy and overall, and room in the OMS (OpenOrders);
//   self-trade: a buy at or above the strategy's own working sell in the instrument, or a sell
//     at or below its own working buy (SelfTrade);
//   order rate: new orders and replaces in the current one-second window of event time
//     (RateLimit; a fixed window: simple and deterministic). Checked last, so that an order
//     refused for another reason does not use up the budget.
// For a replace, "qty" above is what the replace adds to the side's working quantity.
// Per-symbol position limits: a default and overrides by symbol (config: position_limits:
// {AAPL: 500, default: 1000}), resolved into a flat array by instrument id at configuration time
// (set_symbol) so that check() does one load.
// May touch: core/, oms/, risk/.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hft/core/order.hpp"
#include "hft/core/types.hpp"
#include "hft/oms/order_manager.hpp"
#include "hft/risk/breakers.hpp"

namespace hft::risk {

// What the gate knows of an instrument's market: best bid and ask (0 = side empty), halted.
struct MarketView {
  Price bid = 0, ask = 0;
  bool halted = false;
};

struct RiskSettings {
  InstrumentId max_instrument = 1u << 16;  // instrument ids below this (and below the OMS's)
  Qty max_order_qty = 1000;
  double max_order_notional = 1e6;         // currency per order
  std::int64_t max_position = 10000;       // shares per symbol (default)
  std::vector<std::pair<std::string, std::int64_t>> position_limits;  // per-symbol overrides
  double max_gross = 1e6;                  // currency over all symbols
  std::uint32_t collar_bps = 500;          // limit price within this many bps of the mid
  std::uint32_t max_open_orders = 10000;   // working orders overall
  std::uint32_t max_open_orders_per_strategy = 1000;
  std::uint32_t max_orders_per_s = 100;    // new + replace, event time; 0 = none allowed
};

class RiskGate {
 public:
  explicit RiskGate(const RiskSettings& s = {}, std::uint16_t max_strategies = 64, const BreakerSettings& b = {})
      : breakers(max_strategies, b), set_(s), limit_(s.max_instrument, s.max_position) {}

  // Settings that may change between events (limits, collar, rates). Per-symbol limits are set
  // again from the default; call set_symbol() again for the known symbols.
  void set_settings(const RiskSettings& s) {
    set_ = s;
    limit_.assign(s.max_instrument, s.max_position);
  }
  const RiskSettings& settings() const noexcept { return set_; }
  // The symbol of an instrument (directory, configuration): its position limit from the overrides.
  void set_symbol(InstrumentId instr, std::string_view symbol) noexcept {
    if (instr >= limit_.size()) return;
    limit_[instr] = set_.max_position;
    for (const auto& [name, lim] : set_.position_limits)
      if (name == symbol) limit_[instr] = lim;
  }
  std::int64_t position_limit(InstrumentId instr) const noexcept { return instr < limit_.size() ? limit_[instr] : 0; }

  void set_kill(bool on) noexcept { kill_ = on; }
  bool killed() const noexcept { return kill_; }

  RejectReason check(const OrderIntent& o, Nanos now, const MarketView& mkt, const oms::OrderManager& om) noexcept {
    const oms::OmsConfig& oc = om.config();
    if (o.instrument >= set_.max_instrument || o.instrument >= oc.max_instruments || o.strategy >= oc.max_strategies)
      return RejectReason::BadInstrument;
    const oms::Order* target = nullptr;
    if (o.kind != IntentKind::New) {
      target = om.order(o.id);
      if (target == nullptr || !oms::is_working(target->state) || target->strategy != o.strategy ||
          target->instrument != o.instrument)
        return RejectReason::UnknownOrder;
      if (o.kind == IntentKind::Cancel) return RejectReason::None;
      if (target->state == oms::OrderState::PendingCancel || target->side != o.side) return RejectReason::UnknownOrder;
    }
    if (kill_) return RejectReason::KillSwitch;
    if (o.side != Side::Buy && o.side != Side::Sell) return RejectReason::BadSide;
    if (o.qty == 0 || o.qty > set_.max_order_qty) return RejectReason::BadQty;
    if (o.price <= 0) return RejectReason::BadPrice;
    const bool buy = o.side == Side::Buy;
    const oms::Position* sp = om.position(o.strategy, o.instrument);
    if (breakers.blocked(o.strategy) && !reduce_only(o, sp)) return RejectReason::Breaker;
    if (mkt.halted) return RejectReason::Halted;
    const double scale = om.price_scale();
    if (static_cast<double>(o.qty) * static_cast<double>(o.price) * scale > set_.max_order_notional)
      return RejectReason::Notional;
    if (mkt.bid <= 0 || mkt.ask <= 0) return RejectReason::PriceCollar;
    {
      const std::int64_t mid2 = mkt.bid + mkt.ask;  // twice the mid: exact in integers
      const std::int64_t dev2 = 2 * o.price - mid2;
      const std::int64_t adev2 = dev2 < 0 ? -dev2 : dev2;
      if (adev2 * 10000 > static_cast<std::int64_t>(set_.collar_bps) * mid2) return RejectReason::PriceCollar;
    }
    // What this intent adds to its side's working quantity (a replace: beyond what it holds now).
    std::int64_t add = o.qty;
    double add_notional = static_cast<double>(o.qty) * static_cast<double>(o.price) * scale;
    if (target != nullptr) {
      const std::int64_t new_leaves = o.qty > target->filled ? std::int64_t{o.qty} - target->filled : 0;
      add = new_leaves > std::int64_t{target->open_qty} ? new_leaves - target->open_qty : 0;
      add_notional = std::max(0.0, static_cast<double>(new_leaves) * static_cast<double>(std::max(o.price, target->open_px)) -
                                       static_cast<double>(target->open_qty) * static_cast<double>(target->open_px)) * scale;
    }
    const oms::InstrumentTotals& it = om.instrument(o.instrument);
    const std::int64_t lim = limit_[o.instrument];
    if (buy ? it.qty + std::int64_t{it.open_buy} + add > lim : std::int64_t{it.open_sell} + add - it.qty > lim)
      return RejectReason::Position;
    const oms::Totals& all = om.totals();
    if (all.gross + all.open_notional + add_notional > set_.max_gross) return RejectReason::Exposure;
    if (target == nullptr) {
      if (all.open_orders >= set_.max_open_orders ||
          om.strategy_totals(o.strategy).open_orders >= set_.max_open_orders_per_strategy ||
          !om.has_room(o.strategy, o.instrument))
        return RejectReason::OpenOrders;
    }
    if (sp != nullptr && (buy ? sp->best_sell != 0 && o.price >= sp->best_sell : sp->best_buy != 0 && o.price <= sp->best_buy))
      return RejectReason::SelfTrade;
    const Nanos w = floor_div(now, 1'000'000'000);
    if (w != window_) {
      window_ = w;
      in_window_ = 0;
    }
    if (in_window_ >= set_.max_orders_per_s) return RejectReason::RateLimit;
    ++in_window_;
    return RejectReason::None;
  }

  Breakers breakers;

 private:
  // A new IOC order that only reduces the strategy's position, counting what already works on
  // that side (sells against a long, buys against a short).
  static bool reduce_only(const OrderIntent& o, const oms::Position* p) noexcept {
    if (o.kind != IntentKind::New || o.tif != TimeInForce::IOC || p == nullptr) return false;
    if (o.side == Side::Sell) return p->qty > 0 && std::int64_t{p->open_sell} + o.qty <= p->qty;
    return p->qty < 0 && std::int64_t{p->open_buy} + o.qty <= -p->qty;
  }

  RiskSettings set_;
  std::vector<std::int64_t> limit_;  // position limit by instrument id
  bool kill_ = false;
  Nanos window_ = INT64_MIN;
  std::uint32_t in_window_ = 0;
};

}  // namespace hft::risk
