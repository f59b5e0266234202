// Order management: every order the router let through, by ClientOrderId, in a fixed pool with an
// open-addressing index (nothing is allocated after construction), its state machine
//   PendingNew -> Acked -> PartiallyFilled -> Filled,  any working state -> PendingCancel ->
//   Cancelled (or back, when the cancel is rejected),  PendingNew -> Rejected,  replace pending
//   on a working order -> Replaced (new price / quantity) or rejected (old ones kept),
// and the positions per (strategy, instrument) that fills make: signed quantity, average cost,
// realized P&L, fees (maker / taker per share), open buy / sell quantity and open order count (what
// the risk gate needs), unrealized P&L and gross exposure at a mark; totals per instrument (all
// strategies), per strategy and overall, kept incrementally.
// Every report or intent that does not fit the state machine (ack or fill of an unknown order, a
// fill after a cancel, an overfill, a duplicate ack, ...) is counted by reason; nothing crashes.
// A finished order (filled, cancelled, rejected) stays indexed until its slot is needed again (the
// oldest finished one is recycled first), so a late report about it is told apart from an unknown
// id for as long as the pool allows.
// Prices are integer units of price_scale (1e-4) currency; money (P&L, fees, exposure) is double.
// Costs: O(1) per intent and report; mark() walks the positions held in that instrument (one per
// strategy at most); the best own resting price of a side is recomputed from that side's working
// orders only when the best one leaves or moves.
// Single-threaded: the order thread owns it.
// May touch: core/.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hft/core/order.hpp"
#include "hft/core/page_arena.hpp"
#include "hft/core/types.hpp"

namespace hft::oms {

enum class OrderState : std::uint8_t {
  Free = 0,         // slot not in use
  PendingNew,       // sent, no answer yet
  Acked,
  PartiallyFilled,
  PendingCancel,    // cancel sent, no answer yet (fills still possible)
  Filled,           // done states from here on
  Cancelled,
  Rejected,
  Count_
};
constexpr bool is_working(OrderState s) noexcept { return s >= OrderState::PendingNew && s <= OrderState::PendingCancel; }
constexpr bool is_done(OrderState s) noexcept { return s >= OrderState::Filled && s < OrderState::Count_; }
const char* order_state_name(OrderState s) noexcept;

// What did not fit, counted per reason (OrderManager::errors()).
enum class OmsError : std::uint8_t {
  None = 0,
  BadIntent,          // strategy / instrument outside the tables, side not buy / sell, qty 0
  DuplicateId,        // New with the id of an order tracked (working or finished)
  PoolFull,           // no order slot free (the order is not tracked)
  PositionsFull,      // no position slot free (the order is not tracked)
  UnknownOrder,       // report or cancel / replace for an id not tracked
  DuplicateAck,       // ack of an order already acked
  LateAck,            // ack of a finished order
  FillOnDone,         // fill of a finished order (filled, cancelled, rejected): not booked
  ZeroFill,           // fill of quantity 0: ignored
  Overfill,           // fill above the quantity working: booked in full (the venue traded it)
  BadFillPrice,       // fill price <= 0: booked at the order's price
  CancelOnDone,       // cancel intent or cancelled report for a finished order
  ReplaceOnDone,      // replace intent for a finished or cancelling order
  ReplaceNotPending,  // replaced report without a replace pending
  UnexpectedReject,   // venue reject of a working order with nothing pending
  Mismatch,           // report's strategy / instrument / side differ from the order's (order's kept)
  Count_
};
inline constexpr int kOmsErrorCount = static_cast<int>(OmsError::Count_);
const char* oms_error_name(OmsError e) noexcept;

// Rejects the router gives itself (the risk gate's and its own): the order never reached a venue,
// so the OMS never saw it and ignores them. Venues reject with UnknownOrder or Venue.
constexpr bool is_router_reject(RejectReason r) noexcept {
  return r != RejectReason::None && r != RejectReason::UnknownOrder && r != RejectReason::Venue;
}

struct FeeSchedule {
  double maker_per_share = 0;  // currency per share; negative = rebate
  double taker_per_share = 0;  // also charged when a fill does not say its liquidity
};

struct OmsConfig {
  std::size_t max_orders = 1u << 16;      // orders tracked at once (working + recently finished)
  std::size_t max_positions = 1u << 14;   // (strategy, instrument) pairs ever traded or quoted
  std::uint16_t max_strategies = 64;      // strategy ids below this
  InstrumentId max_instruments = 1u << 16;  // instrument ids below this
  FeeSchedule fees;
  double price_scale = 1e-4;              // currency per price unit
  // Write the order pool and index at construction (a live engine: its hot thread never takes a
  // page fault on a new order). Off: their pages arrive on first use (replays, tools).
  bool prefault = false;
};

struct PnL {
  double realized = 0, unrealized = 0, fees = 0, net = 0;  // net = realized + unrealized - fees
};

struct Order {
  ClientOrderId id = 0;
  Price price = 0;            // limit price now
  Price new_price = 0;        // replace pending: the price asked for
  Qty qty = 0;                // order quantity now (after replaces)
  Qty new_qty = 0;            // replace pending: the quantity asked for
  Qty filled = 0;
  Qty leaves = 0;             // quantity still working
  Nanos sent = 0;
  std::uint16_t strategy = 0;
  InstrumentId instrument = 0;
  Side side = Side::None;
  TimeInForce tif = TimeInForce::Day;
  OrderState state = OrderState::Free;
  OrderState before_cancel = OrderState::Free;  // where a rejected cancel returns to
  bool replace_pending = false;
  // Internal links (slot indices): the strategy's working orders, the position side's working
  // orders, and the finished-order FIFO.
  std::uint32_t pos = 0;
  std::uint32_t s_prev = 0, s_next = 0, p_prev = 0, p_next = 0, next = 0;
  // What this order adds to the open quantities now (replace pending: the larger of old and new).
  Qty open_qty = 0;
  Price open_px = 0;
};

struct Position {
  std::uint16_t strategy = 0;
  InstrumentId instrument = 0;
  std::int64_t qty = 0;         // signed shares, + long
  double avg_cost = 0;          // currency per share of the open quantity (0 when flat)
  double realized = 0;          // currency
  double fees = 0;              // currency (negative: rebates earned)
  double unrealized = 0;        // qty * (mark - avg_cost)
  double gross = 0;             // |qty| * mark
  Qty open_buy = 0, open_sell = 0;  // working quantity per side
  std::uint32_t open_orders = 0;
  Price best_buy = 0;           // highest own working buy price (0: none)
  Price best_sell = 0;          // lowest own working sell price (0: none)
  std::uint64_t fills = 0;
  // Internal: working orders per side; 1 + the next position of the same instrument (0: none).
  std::uint32_t head[2] = {0xFFFFFFFFu, 0xFFFFFFFFu};
  std::uint32_t next_in_instr = 0;
};

// All strategies together in one instrument (the per-symbol limit is firm-wide).
struct InstrumentTotals {
  std::int64_t qty = 0;
  Qty open_buy = 0, open_sell = 0;
  std::uint32_t open_orders = 0;
  Price mark_px = 0;            // last mark (or first fill price before any mark)
  double mark = 0;              // currency
  // Internal: 1 + the instrument's first position (0: none), so that all zero bytes (a fresh
  // page) are an instrument with nothing.
  std::uint32_t first_pos = 0;
};

struct Totals {                 // per strategy and overall
  double realized = 0, unrealized = 0, fees = 0;
  double gross = 0;             // sum over positions of |qty| * mark
  double open_notional = 0;     // sum over working orders of open qty * limit price
  std::uint32_t open_orders = 0;
  PnL pnl() const noexcept { return {realized, unrealized, fees, realized + unrealized - fees}; }
};

struct OmsCounters {
  std::uint64_t sent = 0, reports = 0, fills = 0, router_rejects = 0, recycled = 0;
  std::array<std::uint64_t, kOmsErrorCount> errors{};
};

class OrderManager {
 public:
  static constexpr std::uint32_t kNil = 0xFFFFFFFFu;

  explicit OrderManager(const OmsConfig& cfg = {});

  // An intent the gate accepted (New: its id is set). False when it could not be applied (counted).
  bool on_sent(const OrderIntent& o) noexcept;
  // A report from the venue (or the router's own reject, ignored). False when it did not fit.
  bool on_report(const ExecReport& r) noexcept;
  // A new mid for an instrument: unrealized P&L and exposure of every position in it.
  void mark(InstrumentId instr, Price mid) noexcept;

  // Lookups (nullptr: unknown / never traded or quoted).
  const Order* order(ClientOrderId id) const noexcept {
    const std::uint32_t i = find(id);
    return i == kNil ? nullptr : &orders_[i];
  }
  const Position* position(std::uint16_t strategy, InstrumentId instr) const noexcept {
    const std::uint32_t i = find_pos(strategy, instr);
    return i == kNil ? nullptr : &pos_[i];
  }
  const InstrumentTotals& instrument(InstrumentId instr) const noexcept { return instr_[instr]; }
  const Totals& strategy_totals(std::uint16_t s) const noexcept { return strat_[s]; }
  const Totals& totals() const noexcept { return all_; }
  PnL strategy_pnl(std::uint16_t s) const noexcept { return strat_[s].pnl(); }
  PnL total_pnl() const noexcept { return all_.pnl(); }

  // Room for one more order of (strategy, instrument): a free or recyclable slot, and its
  // position exists or can be made.
  bool has_room(std::uint16_t strategy, InstrumentId instr) const noexcept {
    return (fresh_ < cfg_.max_orders || done_head_ != kNil) && (find_pos(strategy, instr) != kNil || n_pos_ < cfg_.max_positions);
  }

  // f(const Order&) for every working order of a strategy; f may send cancels (they only change
  // the order's state), not new orders.
  template <class F>
  void for_each_working(std::uint16_t strategy, F&& f) const {
    if (strategy >= cfg_.max_strategies) return;
    for (std::uint32_t i = s_head_[strategy]; i != kNil;) {
      const std::uint32_t nx = orders_[i].s_next;
      f(orders_[i]);
      i = nx;
    }
  }
  // f(const Position&) for every position held or quoted in an instrument.
  template <class F>
  void for_each_position(InstrumentId instr, F&& f) const {
    if (instr >= cfg_.max_instruments) return;
    for (std::uint32_t i = instr_[instr].first_pos; i != 0; i = pos_[i - 1].next_in_instr) f(pos_[i - 1]);
  }
  // f(const Position&) for every position of a strategy (walks all positions: not the hot path).
  template <class F>
  void for_each_position_of(std::uint16_t strategy, F&& f) const {
    for (std::size_t i = 0; i < n_pos_; ++i)
      if (pos_[i].strategy == strategy) f(pos_[i]);
  }

  const OmsCounters& counters() const noexcept { return cnt_; }
  std::uint64_t errors(OmsError e) const noexcept { return cnt_.errors[static_cast<std::size_t>(e)]; }
  const OmsConfig& config() const noexcept { return cfg_; }
  void set_fees(const FeeSchedule& f) noexcept { cfg_.fees = f; }  // fills from now on
  // The fee of a fill report (currency; negative = rebate), as the positions book it.
  double fee_of(const ExecReport& r) const noexcept {
    if (r.kind != ExecKind::Fill) return 0;
    return static_cast<double>(r.qty) * (r.liquidity == Liquidity::Maker ? cfg_.fees.maker_per_share : cfg_.fees.taker_per_share);
  }
  double price_scale() const noexcept { return cfg_.price_scale; }

 private:
  bool fail(OmsError e) noexcept {
    ++cnt_.errors[static_cast<std::size_t>(e)];
    return false;
  }
  std::uint32_t find(ClientOrderId id) const noexcept;
  void index_insert(ClientOrderId id, std::uint32_t slot) noexcept;
  void index_erase(ClientOrderId id) noexcept;
  std::uint32_t find_pos(std::uint16_t s, InstrumentId i) const noexcept;
  std::uint32_t get_pos(std::uint16_t s, InstrumentId i) noexcept;  // kNil when full
  std::uint32_t alloc_order() noexcept;  // kNil when full
  void finish(std::uint32_t slot, OrderState s) noexcept;  // to a done state, unlinked
  void set_open(std::uint32_t slot) noexcept;   // recompute the order's open contribution
  void link(std::uint32_t slot) noexcept;
  void unlink(std::uint32_t slot) noexcept;
  void recompute_best(Position& p, Side side) noexcept;
  void book_fill(Position& p, Side side, Qty q, Price px, Liquidity liq) noexcept;
  void revalue(Position& p) noexcept;  // unrealized and gross at the instrument's mark

  OmsConfig cfg_;
  // The order pool and its index are fresh pages (core::PageArena): untouched until used, so an
  // engine sized for a day's orders starts without writing them all. Slots from fresh_ up have
  // never been used; the index holds ~slot, so that a zero (never written) entry is empty (kNil).
  core::PageArena arena_;
  Order* orders_ = nullptr;            // cfg_.max_orders slots
  std::uint32_t* index_ = nullptr;     // open addressing, ~slot or 0 (empty)
  std::size_t index_mask_ = 0;
  std::uint32_t fresh_ = 0;            // first never used slot (then finished ones are recycled)
  std::uint32_t done_head_ = kNil, done_tail_ = kNil;  // finished orders, oldest first
  // Positions, their index (~position, 0 empty) and the per-instrument totals (for every
  // possible id) are arena pages too: a position is written when it is first taken.
  Position* pos_ = nullptr;            // cfg_.max_positions, the first n_pos_ in use
  std::size_t n_pos_ = 0;
  std::uint32_t* pos_index_ = nullptr;
  std::size_t pos_mask_ = 0;
  InstrumentTotals* instr_ = nullptr;  // cfg_.max_instruments
  std::vector<Totals> strat_;
  std::vector<std::uint32_t> s_head_;  // per strategy: first working order
  Totals all_;
  OmsCounters cnt_;
};

}  // namespace hft::oms
