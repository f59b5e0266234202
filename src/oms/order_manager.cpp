#include "hft/oms/order_manager.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hft::oms {

const char* order_state_name(OrderState s) noexcept {
  switch (s) {
    case OrderState::Free: return "free";
    case OrderState::PendingNew: return "pending_new";
    case OrderState::Acked: return "acked";
    case OrderState::PartiallyFilled: return "partially_filled";
    case OrderState::PendingCancel: return "pending_cancel";
    case OrderState::Filled: return "filled";
    case OrderState::Cancelled: return "cancelled";
    case OrderState::Rejected: return "rejected";
    case OrderState::Count_: break;
  }
  return "?";
}

const char* oms_error_name(OmsError e) noexcept {
  switch (e) {
    case OmsError::None: return "none";
    case OmsError::BadIntent: return "bad_intent";
    case OmsError::DuplicateId: return "duplicate_id";
    case OmsError::PoolFull: return "pool_full";
    case OmsError::PositionsFull: return "positions_full";
    case OmsError::UnknownOrder: return "unknown_order";
    case OmsError::DuplicateAck: return "duplicate_ack";
    case OmsError::LateAck: return "late_ack";
    case OmsError::FillOnDone: return "fill_on_done";
    case OmsError::ZeroFill: return "zero_fill";
    case OmsError::Overfill: return "overfill";
    case OmsError::BadFillPrice: return "bad_fill_price";
    case OmsError::CancelOnDone: return "cancel_on_done";
    case OmsError::ReplaceOnDone: return "replace_on_done";
    case OmsError::ReplaceNotPending: return "replace_not_pending";
    case OmsError::UnexpectedReject: return "unexpected_reject";
    case OmsError::Mismatch: return "mismatch";
    case OmsError::Count_: break;
  }
  return "?";
}

namespace {
std::size_t pow2_at_least(std::size_t n) {
  std::size_t p = 16;
  while (p < n) p <<= 1;
  return p;
}
// splitmix64's finalizer: client ids are sequential, the index wants them spread.
inline std::uint64_t oms_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
inline std::size_t side_ix(Side s) noexcept { return s == Side::Buy ? 0 : 1; }
}  // namespace

OrderManager::OrderManager(const OmsConfig& cfg) : cfg_(cfg) {
  if (cfg_.max_orders == 0 || cfg_.max_orders >= kNil / 2 || cfg_.max_positions == 0 || cfg_.max_positions >= kNil / 2 ||
      cfg_.max_strategies == 0 || cfg_.max_instruments == 0 || !(cfg_.price_scale > 0))
    throw std::invalid_argument("oms: bad sizes or price scale");
  orders_ = arena_.array<Order>(cfg_.max_orders);
  const std::size_t index_size = pow2_at_least(2 * cfg_.max_orders);  // load <= 1/2
  index_ = arena_.array<std::uint32_t>(index_size);
  index_mask_ = index_size - 1;
  pos_ = arena_.array<Position>(cfg_.max_positions);
  const std::size_t pos_index_size = pow2_at_least(2 * cfg_.max_positions);
  pos_index_ = arena_.array<std::uint32_t>(pos_index_size);
  pos_mask_ = pos_index_size - 1;
  instr_ = arena_.array<InstrumentTotals>(cfg_.max_instruments);
  if (cfg_.prefault) arena_.prefault();
  strat_.resize(cfg_.max_strategies);
  s_head_.assign(cfg_.max_strategies, kNil);
}

// --- order index: linear probing, backward-shift deletion --------------------------------------

std::uint32_t OrderManager::find(ClientOrderId id) const noexcept {
  for (std::size_t h = oms_mix(id) & index_mask_;; h = (h + 1) & index_mask_) {
    const std::uint32_t s = ~index_[h];
    if (s == kNil) return kNil;
    if (orders_[s].id == id) return s;
  }
}

void OrderManager::index_insert(ClientOrderId id, std::uint32_t slot) noexcept {
  std::size_t h = oms_mix(id) & index_mask_;
  while (index_[h] != 0) h = (h + 1) & index_mask_;
  index_[h] = ~slot;
}

void OrderManager::index_erase(ClientOrderId id) noexcept {
  std::size_t h = oms_mix(id) & index_mask_;
  while (index_[h] != 0 && orders_[~index_[h]].id != id) h = (h + 1) & index_mask_;
  if (index_[h] == 0) return;
  // Shift later entries of the cluster back so that no probe sequence is broken.
  std::size_t hole = h;
  for (std::size_t j = (h + 1) & index_mask_; index_[j] != 0; j = (j + 1) & index_mask_) {
    const std::size_t home = oms_mix(orders_[~index_[j]].id) & index_mask_;
    // j's entry may move to the hole when its home is not cyclically in (hole, j].
    if (((j - home) & index_mask_) >= ((j - hole) & index_mask_)) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole] = 0;
}

std::uint32_t OrderManager::find_pos(std::uint16_t s, InstrumentId i) const noexcept {
  const std::uint64_t key = (std::uint64_t{s} << 32) | i;
  for (std::size_t h = oms_mix(key) & pos_mask_;; h = (h + 1) & pos_mask_) {
    const std::uint32_t p = ~pos_index_[h];
    if (p == kNil) return kNil;
    if (pos_[p].strategy == s && pos_[p].instrument == i) return p;
  }
}

std::uint32_t OrderManager::get_pos(std::uint16_t s, InstrumentId i) noexcept {
  const std::uint64_t key = (std::uint64_t{s} << 32) | i;
  std::size_t h = oms_mix(key) & pos_mask_;
  for (;; h = (h + 1) & pos_mask_) {
    const std::uint32_t p = ~pos_index_[h];
    if (p == kNil) break;
    if (pos_[p].strategy == s && pos_[p].instrument == i) return p;
  }
  if (n_pos_ >= cfg_.max_positions) return kNil;
  const auto p = static_cast<std::uint32_t>(n_pos_++);  // positions live for the whole run
  pos_[p] = Position{};  // (zero bytes are not an empty Position: head[] holds kNil)
  pos_[p].strategy = s;
  pos_[p].instrument = i;
  pos_[p].next_in_instr = instr_[i].first_pos;
  instr_[i].first_pos = p + 1;
  pos_index_[h] = ~p;
  return p;
}

// --- order slots -------------------------------------------------------------------------------

std::uint32_t OrderManager::alloc_order() noexcept {
  if (fresh_ < cfg_.max_orders) return fresh_++;
  const std::uint32_t s = done_head_;  // recycle the oldest finished order
  if (s == kNil) return kNil;
  done_head_ = orders_[s].next;
  if (done_head_ == kNil) done_tail_ = kNil;
  index_erase(orders_[s].id);
  ++cnt_.recycled;
  return s;
}

void OrderManager::link(std::uint32_t slot) noexcept {
  Order& o = orders_[slot];
  o.s_prev = kNil;
  o.s_next = s_head_[o.strategy];
  if (o.s_next != kNil) orders_[o.s_next].s_prev = slot;
  s_head_[o.strategy] = slot;
  Position& p = pos_[o.pos];
  std::uint32_t& head = p.head[side_ix(o.side)];
  o.p_prev = kNil;
  o.p_next = head;
  if (head != kNil) orders_[head].p_prev = slot;
  head = slot;
  ++p.open_orders;
  ++instr_[o.instrument].open_orders;
  ++strat_[o.strategy].open_orders;
  ++all_.open_orders;
}

void OrderManager::unlink(std::uint32_t slot) noexcept {
  Order& o = orders_[slot];
  if (o.s_prev != kNil) orders_[o.s_prev].s_next = o.s_next;
  else s_head_[o.strategy] = o.s_next;
  if (o.s_next != kNil) orders_[o.s_next].s_prev = o.s_prev;
  Position& p = pos_[o.pos];
  if (o.p_prev != kNil) orders_[o.p_prev].p_next = o.p_next;
  else p.head[side_ix(o.side)] = o.p_next;
  if (o.p_next != kNil) orders_[o.p_next].p_prev = o.p_prev;
  --p.open_orders;
  --instr_[o.instrument].open_orders;
  --strat_[o.strategy].open_orders;
  --all_.open_orders;
}

void OrderManager::recompute_best(Position& p, Side side) noexcept {
  Price best = 0;
  for (std::uint32_t i = p.head[side_ix(side)]; i != kNil; i = orders_[i].p_next) {
    const Order& o = orders_[i];
    // A pending replace may rest at either price: the more aggressive one counts.
    const Price px = side == Side::Buy ? std::max(o.price, o.replace_pending ? o.new_price : o.price)
                                       : std::min(o.price, o.replace_pending ? o.new_price : o.price);
    if (best == 0 || (side == Side::Buy ? px > best : px < best)) best = px;
  }
  (side == Side::Buy ? p.best_buy : p.best_sell) = best;
}

// The order's share of the open quantities and notional, swapped for its current one.
void OrderManager::set_open(std::uint32_t slot) noexcept {
  Order& o = orders_[slot];
  Position& p = pos_[o.pos];
  InstrumentTotals& it = instr_[o.instrument];
  const bool buy = o.side == Side::Buy;
  Qty q = 0;
  Price px = 0;
  if (is_working(o.state)) {
    q = o.leaves;
    px = o.price;
    if (o.replace_pending) {
      const Qty nl = o.new_qty > o.filled ? o.new_qty - o.filled : 0;
      q = std::max(q, nl);
      px = std::max(px, o.new_price);
    }
  }
  (buy ? p.open_buy : p.open_sell) += q - o.open_qty;  // unsigned wrap-around cancels out
  (buy ? it.open_buy : it.open_sell) += q - o.open_qty;
  const double dn = (static_cast<double>(q) * static_cast<double>(px) - static_cast<double>(o.open_qty) * static_cast<double>(o.open_px)) * cfg_.price_scale;
  strat_[o.strategy].open_notional += dn;
  all_.open_notional += dn;
  o.open_qty = q;
  o.open_px = px;
  recompute_best(p, o.side);
}

void OrderManager::finish(std::uint32_t slot, OrderState s) noexcept {
  Order& o = orders_[slot];
  o.state = s;
  o.replace_pending = false;
  set_open(slot);  // to zero
  unlink(slot);
  recompute_best(pos_[o.pos], o.side);
  o.next = kNil;
  if (done_tail_ != kNil) orders_[done_tail_].next = slot;
  else done_head_ = slot;
  done_tail_ = slot;
}

// --- intents -----------------------------------------------------------------------------------

bool OrderManager::on_sent(const OrderIntent& in) noexcept {
  ++cnt_.sent;
  if (in.kind == IntentKind::New) {
    if (in.strategy >= cfg_.max_strategies || in.instrument >= cfg_.max_instruments ||
        (in.side != Side::Buy && in.side != Side::Sell) || in.qty == 0)
      return fail(OmsError::BadIntent);
    // Client ids are unique per run: one seen before (working or finished) is refused.
    if (find(in.id) != kNil) return fail(OmsError::DuplicateId);
    const std::uint32_t p = get_pos(in.strategy, in.instrument);
    if (p == kNil) return fail(OmsError::PositionsFull);
    const std::uint32_t s = alloc_order();
    if (s == kNil) return fail(OmsError::PoolFull);
    Order& o = orders_[s];
    o = Order{};
    o.id = in.id;
    o.price = in.price;
    o.qty = in.qty;
    o.leaves = in.qty;
    o.sent = in.ts;
    o.strategy = in.strategy;
    o.instrument = in.instrument;
    o.side = in.side;
    o.tif = in.tif;
    o.state = OrderState::PendingNew;
    o.pos = p;
    index_insert(in.id, s);
    link(s);
    set_open(s);
    return true;
  }
  const std::uint32_t s = find(in.id);
  if (s == kNil) return fail(OmsError::UnknownOrder);
  Order& o = orders_[s];
  if (in.kind == IntentKind::Cancel) {
    if (!is_working(o.state)) return fail(OmsError::CancelOnDone);
    if (o.state != OrderState::PendingCancel) {
      o.before_cancel = o.state;
      o.state = OrderState::PendingCancel;
    }
    return true;
  }
  // Replace
  if (!is_working(o.state) || o.state == OrderState::PendingCancel) return fail(OmsError::ReplaceOnDone);
  if (in.qty == 0 || in.price <= 0) return fail(OmsError::BadIntent);
  o.replace_pending = true;
  o.new_price = in.price;
  o.new_qty = in.qty;
  set_open(s);
  return true;
}

// --- reports -----------------------------------------------------------------------------------

void OrderManager::revalue(Position& p) noexcept {
  const double m = instr_[p.instrument].mark;
  const double u = static_cast<double>(p.qty) * (m - p.avg_cost);
  const double g = static_cast<double>(p.qty < 0 ? -p.qty : p.qty) * m;
  Totals& t = strat_[p.strategy];
  t.unrealized += u - p.unrealized;
  all_.unrealized += u - p.unrealized;
  t.gross += g - p.gross;
  all_.gross += g - p.gross;
  p.unrealized = u;
  p.gross = g;
}

void OrderManager::book_fill(Position& p, Side side, Qty q, Price price, Liquidity liq) noexcept {
  const double px = static_cast<double>(price) * cfg_.price_scale;
  const std::int64_t dq = side == Side::Buy ? std::int64_t{q} : -std::int64_t{q};
  double realized = 0;
  if (p.qty == 0 || (p.qty > 0) == (dq > 0)) {  // opening or adding
    const double a = static_cast<double>(p.qty < 0 ? -p.qty : p.qty);
    p.avg_cost = (a * p.avg_cost + static_cast<double>(q) * px) / (a + static_cast<double>(q));
  } else {  // reducing, maybe through zero
    const std::int64_t held = p.qty < 0 ? -p.qty : p.qty;
    const std::int64_t closed = std::min<std::int64_t>(q, held);
    realized = static_cast<double>(closed) * (px - p.avg_cost) * (p.qty > 0 ? 1.0 : -1.0);
    if (std::int64_t{q} > held) p.avg_cost = px;
    else if (std::int64_t{q} == held) p.avg_cost = 0;
  }
  p.qty += dq;
  instr_[p.instrument].qty += dq;
  const double fee = static_cast<double>(q) * (liq == Liquidity::Maker ? cfg_.fees.maker_per_share : cfg_.fees.taker_per_share);  // = fee_of
  p.realized += realized;
  p.fees += fee;
  strat_[p.strategy].realized += realized;
  strat_[p.strategy].fees += fee;
  all_.realized += realized;
  all_.fees += fee;
  ++p.fills;
  InstrumentTotals& it = instr_[p.instrument];
  if (it.mark_px == 0) {  // no mark yet: value the position at its trade price
    it.mark_px = price;
    it.mark = px;
  }
  revalue(p);
}

bool OrderManager::on_report(const ExecReport& r) noexcept {
  ++cnt_.reports;
  if (r.kind == ExecKind::Reject && is_router_reject(r.reason)) {
    ++cnt_.router_rejects;
    return true;
  }
  const std::uint32_t s = find(r.id);
  if (s == kNil) return fail(OmsError::UnknownOrder);
  Order& o = orders_[s];
  if (r.strategy != o.strategy || r.instrument != o.instrument || (r.side != o.side && r.side != Side::None))
    ++cnt_.errors[static_cast<std::size_t>(OmsError::Mismatch)];  // the order's own fields are used
  switch (r.kind) {
    case ExecKind::Ack:
      if (o.state == OrderState::PendingNew) {
        o.state = OrderState::Acked;
        return true;
      }
      if (o.state == OrderState::PendingCancel && o.before_cancel == OrderState::PendingNew) {
        o.before_cancel = OrderState::Acked;  // the ack of an order cancelled before it came
        return true;
      }
      return fail(is_done(o.state) ? OmsError::LateAck : OmsError::DuplicateAck);
    case ExecKind::Fill: {
      if (is_done(o.state)) return fail(OmsError::FillOnDone);
      if (r.qty == 0) return fail(OmsError::ZeroFill);
      bool ok = true;
      if (r.qty > o.leaves) {
        ok = fail(OmsError::Overfill);
        o.leaves = 0;
      } else {
        o.leaves -= r.qty;
      }
      o.filled += r.qty;
      Price px = r.price;
      if (px <= 0) {
        ok = fail(OmsError::BadFillPrice);
        px = o.price;
      }
      ++cnt_.fills;
      book_fill(pos_[o.pos], o.side, r.qty, px, r.liquidity);
      if (o.leaves == 0 && !(o.replace_pending && o.new_qty > o.filled)) {
        finish(s, OrderState::Filled);
        return ok;
      }
      if (o.state == OrderState::PendingCancel) o.before_cancel = OrderState::PartiallyFilled;
      else o.state = OrderState::PartiallyFilled;  // a fill before the ack acknowledges too
      set_open(s);
      return ok;
    }
    case ExecKind::Cancelled:
      if (!is_working(o.state)) return fail(OmsError::CancelOnDone);
      finish(s, OrderState::Cancelled);  // solicited or not (an IOC's remainder)
      return true;
    case ExecKind::Replaced: {
      if (!is_working(o.state) || !o.replace_pending) return fail(OmsError::ReplaceNotPending);
      o.replace_pending = false;
      o.price = o.new_price;
      o.qty = o.new_qty;
      o.leaves = o.qty > o.filled ? o.qty - o.filled : 0;
      if (o.state == OrderState::PendingNew) o.state = OrderState::Acked;
      if (o.leaves == 0) {
        finish(s, OrderState::Filled);
        return true;
      }
      set_open(s);
      return true;
    }
    case ExecKind::Reject:
      // A venue answers in the order it was asked: New, then a replace, then a cancel. Before
      // the ack, a reject refuses the order itself; after it, the replace if one is pending
      // (a replace is never sent behind a cancel), else the cancel.
      if (o.state == OrderState::PendingNew ||
          (o.state == OrderState::PendingCancel && o.before_cancel == OrderState::PendingNew)) {
        finish(s, OrderState::Rejected);
        return true;
      }
      if (is_working(o.state) && o.replace_pending) {  // the replace was refused: old terms stand
        o.replace_pending = false;
        set_open(s);
        return true;
      }
      if (o.state == OrderState::PendingCancel) {  // the cancel was refused: the order works on
        o.state = o.before_cancel;
        return true;
      }
      return fail(OmsError::UnexpectedReject);
    case ExecKind::Count_: break;
  }
  return fail(OmsError::UnknownOrder);
}

void OrderManager::mark(InstrumentId instr, Price mid) noexcept {
  if (instr >= cfg_.max_instruments || mid <= 0) return;
  InstrumentTotals& it = instr_[instr];
  if (it.mark_px == mid) return;
  it.mark_px = mid;
  it.mark = static_cast<double>(mid) * cfg_.price_scale;
  for (std::uint32_t i = it.first_pos; i != 0; i = pos_[i - 1].next_in_instr) revalue(pos_[i - 1]);
}

}  // namespace hft::oms
