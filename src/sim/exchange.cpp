// The simulated exchange: pools, the queue tracking tables and the matching rules documented in
// include/hft/sim/exchange.hpp.
#include "hft/sim/exchange.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hft/core/free_slots.hpp"
#include "hft/core/page_arena.hpp"

namespace hft::sim {

// Named (not anonymous): Exchange::Impl holds these types.
namespace detail {
constexpr std::uint32_t kNone = 0xFFFFFFFFu;

std::size_t pow2_at_least(std::size_t n) noexcept {
  std::size_t c = 16;
  while (c < n) c <<= 1;
  return c;
}
inline std::uint64_t mix_bits(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  return x;
}
// a is a strictly better price than b for an order resting on side s.
inline bool better_px(Side s, Price a, Price b) noexcept { return s == Side::Buy ? a > b : a < b; }
// An opposite order at opp trades with an own order resting on side s at own.
inline bool crosses_px(Side s, Price own, Price opp) noexcept { return s == Side::Buy ? opp <= own : opp >= own; }
inline std::size_t side_ix(Side s) noexcept { return s == Side::Sell ? 1 : 0; }

struct LevelKey {
  InstrumentId instr = 0;
  Side side = Side::None;
  Price price = 0;
  bool operator==(const LevelKey&) const = default;
};
struct HashLevel {
  std::uint64_t operator()(const LevelKey& k) const noexcept {
    return mix_bits(static_cast<std::uint64_t>(k.price) * 0x9E3779B97F4A7C15ULL ^
                    (std::uint64_t{k.instr} << 2 | static_cast<std::uint64_t>(k.side)));
  }
};
struct HashId {
  std::uint64_t operator()(std::uint64_t k) const noexcept { return mix_bits(k * 0x9E3779B97F4A7C15ULL); }
};

// Open addressing, linear probing, backward-shift deletion, at most half full: fixed at
// construction, on fresh pages of the caller's arena. Values are pool indices (kNone: none),
// stored inverted so that a zero (never written) slot is empty.
template <class Key, class Hash>
class FixedMap {
 public:
  void init(std::size_t n, core::PageArena& arena) {
    cap_ = pow2_at_least(2 * n + 2);
    mask_ = cap_ - 1;
    limit_ = cap_ / 2;
    keys_ = arena.array<Key>(cap_);  // read only where the slot's value says it is taken
    vals_ = arena.array<std::uint32_t>(cap_);
  }
  std::uint32_t find(const Key& k) const noexcept {
    for (std::size_t i = home(k);; i = (i + 1) & mask_) {
      if (vals_[i] == kEmpty) return kNone;
      if (keys_[i] == k) return ~vals_[i];
    }
  }
  // k must be absent. False when the map is at its limit.
  bool insert(const Key& k, std::uint32_t v) noexcept {
    if (size_ >= limit_) return false;
    std::size_t i = home(k);
    while (vals_[i] != kEmpty) i = (i + 1) & mask_;
    keys_[i] = k;
    vals_[i] = ~v;
    ++size_;
    return true;
  }
  void erase(const Key& k) noexcept {
    std::size_t i = home(k);
    for (;; i = (i + 1) & mask_) {
      if (vals_[i] == kEmpty) return;
      if (keys_[i] == k) break;
    }
    for (std::size_t j = (i + 1) & mask_; vals_[j] != kEmpty; j = (j + 1) & mask_) {
      const std::size_t h = home(keys_[j]);
      if (((j - h) & mask_) >= ((j - i) & mask_)) {  // j's entry may move into the hole at i
        keys_[i] = keys_[j];
        vals_[i] = vals_[j];
        i = j;
      }
    }
    vals_[i] = kEmpty;
    --size_;
  }
  std::size_t size() const noexcept { return size_; }

 private:
  static constexpr std::uint32_t kEmpty = 0;  // ~kNone
  std::size_t home(const Key& k) const noexcept { return Hash{}(k) & mask_; }
  Key* keys_ = nullptr;
  std::uint32_t* vals_ = nullptr;
  std::size_t cap_ = 0, mask_ = 0, limit_ = 0, size_ = 0;
};

}  // namespace detail
using namespace detail;

struct Exchange::Impl {
  enum class St : std::uint8_t { Free = 0, Working, Done };
  struct Own {
    ClientOrderId id = 0;
    InstrumentId instr = 0;
    Side side = Side::None;
    TimeInForce tif = TimeInForce::Day;
    St st = St::Free;
    bool resting = false;    // in its level's queue (else being matched or done)
    bool estimated = false;  // L3Exact fell back to the conservative estimate
    std::uint16_t strategy = 0;
    Price price = 0;
    Qty leaves = 0;
    Qty joined_ahead = 0;    // displayed qty ahead when it joined (queue_ahead of its fills)
    Volume ahead = 0;        // L3Exact, RiskAverse
    double est = 0;          // Prob*: estimated qty ahead
    double cum_trade = 0;    // Prob*: trades printed at its level since the last depth change
    std::uint64_t seq = 0;   // join sequence: the tracked orders marked <= seq are ahead of it
    std::uint32_t prev = kNone, next = kNone;  // own list of its instrument and side
    std::uint32_t lvl = kNone;
  };
  struct Lvl {
    LevelKey key;
    std::uint32_t first = kNone, last = kNone, count = 0;  // own orders resting here (contiguous)
    std::uint32_t tracked = kNone;                         // tracked market orders here
    Volume consumed = 0;                                   // displayed qty own takers took here
    bool used = false;
  };
  struct Tracked {
    OrderId id = 0;
    std::uint64_t mark = 0;
    std::uint32_t lvl = kNone, prev = kNone, next = kNone;
  };
  struct Flight {
    OrderIntent o{};
    std::uint32_t gen = 0;
    bool used = false;
  };

  SimConfig cfg;
  const book::Books& books;
  std::uint16_t owner;
  SimCounters cnt;
  std::size_t working = 0;
  std::size_t consumed_levels = 0;
  std::size_t n_instr = 0;

  // The pools and tables, on fresh pages: a record is written in full when its slot is first
  // taken (zero bytes read before that are a free one: St::Free, used = false).
  core::PageArena arena;
  Own* own = nullptr;                // max_orders
  core::SlotQueue own_free;          // done orders are recycled oldest first
  FixedMap<std::uint64_t, HashId> by_id;
  Flight* flight = nullptr;          // max_orders
  core::SlotStack flight_free;
  Lvl* lv = nullptr;                 // 2 * max_orders + 64
  core::SlotStack lv_free;
  FixedMap<LevelKey, HashLevel> lv_map;
  Tracked* tr = nullptr;             // max_tracked
  core::SlotStack tr_free;
  FixedMap<std::uint64_t, HashId> tr_map;
  std::uint32_t* heads = nullptr;    // per instrument and side: ~(best own order), 0 for none
  OrderId* ids_buf = nullptr;        // max_tracked
  std::uint64_t seq = 0;
  Nanos last_arrival = std::numeric_limits<Nanos>::min();
  Nanos last_report = std::numeric_limits<Nanos>::min();
  bool rep_open = false;
  Nanos rep_ts = 0, rep_venue = 0;
  std::uint32_t busy_lvl = kNone;  // level being processed: not freed until done

  Impl(SimConfig c, const book::Books& b, std::uint16_t o) : cfg(std::move(c)), books(b), owner(o) {
    if (cfg.max_orders == 0) cfg.max_orders = 1;
    if (cfg.max_orders > (std::size_t{1} << 28)) cfg.max_orders = std::size_t{1} << 28;
    if (cfg.max_tracked > (std::size_t{1} << 28)) cfg.max_tracked = std::size_t{1} << 28;
    const std::size_t n = cfg.max_orders;
    own = arena.array<Own>(n);
    own_free.init(n, arena.array<std::uint32_t>(n));
    by_id.init(n, arena);
    flight = arena.array<Flight>(n);
    flight_free.init(n);
    const std::size_t nl = 2 * n + 64;
    lv = arena.array<Lvl>(nl);
    lv_free.init(nl);
    lv_map.init(nl, arena);
    tr = arena.array<Tracked>(cfg.max_tracked);
    tr_free.init(cfg.max_tracked);
    tr_map.init(cfg.max_tracked, arena);
    n_instr = b.config().max_instruments;
    heads = arena.array<std::uint32_t>(2 * n_instr);
    ids_buf = arena.array<OrderId>(cfg.max_tracked);
    if (cfg.prefault) arena.prefault();
  }

  bool prob() const noexcept {
    return cfg.queue == QueueModel::ProbPower2 || cfg.queue == QueueModel::ProbPower3 ||
           cfg.queue == QueueModel::ProbLog;
  }
  double f(double x) const noexcept {
    x = std::max(x, 0.0);
    switch (cfg.queue) {
      case QueueModel::ProbPower2: return x * x;
      case QueueModel::ProbPower3: return x * x * x;
      case QueueModel::ProbLog: return std::log1p(x);
      default: return x;
    }
  }
  std::uint32_t head(InstrumentId i, Side s) const noexcept { return ~heads[2 * i + side_ix(s)]; }
  void set_head(InstrumentId i, Side s, std::uint32_t k) noexcept { heads[2 * i + side_ix(s)] = ~k; }
  Volume level_qty(InstrumentId i, Side s, Price p) const noexcept {
    book::LevelView v;
    return books.level_at(i, s, p, v) ? v.qty : 0;
  }

  // ---- reports ----------------------------------------------------------------------------
  void open_reports(Nanos venue) noexcept {
    rep_open = true;
    rep_venue = venue;
    Nanos t = venue + cfg.response.draw();
    if (t < last_report) t = last_report;  // one session: no report overtakes an earlier one
    last_report = t;
    rep_ts = t;
  }
  void emit(ExecReport r, Nanos venue, engine::Scheduler& s) noexcept {
    if (!rep_open) open_reports(venue);
    r.ts = rep_ts;
    r.ts_venue = rep_venue;
    switch (r.kind) {
      case ExecKind::Ack: ++cnt.acks; break;
      case ExecKind::Reject: ++cnt.rejects[static_cast<std::size_t>(r.reason)]; break;
      default: break;
    }
    if (!s.at(r.ts, r)) ++cnt.reports_lost;
  }
  void reject(const OrderIntent& o, RejectReason why, Nanos venue, engine::Scheduler& s) noexcept {
    ExecReport r = report_for(o, ExecKind::Reject, 0);
    r.reason = why;
    emit(r, venue, s);
  }
  ExecReport report_of(const Own& o, ExecKind k) const noexcept {
    ExecReport r;
    r.kind = k;
    r.side = o.side;
    r.strategy = o.strategy;
    r.instrument = o.instr;
    r.id = o.id;
    r.price = o.price;
    r.leaves = o.leaves;
    return r;
  }

  // ---- level records and tracking ---------------------------------------------------------
  // The record at key, created if absent. for_own: an own order will rest there (always
  // possible: records beyond max_orders are left to them); else consumed liquidity only.
  std::uint32_t get_level(const LevelKey& k, bool for_own) noexcept {
    std::uint32_t li = lv_map.find(k);
    if (li != kNone) return li;
    if (lv_free.empty() || (!for_own && lv_free.size() <= cfg.max_orders)) {
      ++cnt.level_pool_full;
      return kNone;
    }
    li = lv_free.top();
    lv_free.pop();
    lv[li] = Lvl{};
    lv[li].key = k;
    lv[li].used = true;
    lv_map.insert(k, li);
    return li;
  }
  void free_tracked_list(Lvl& L) noexcept {
    for (std::uint32_t t = L.tracked; t != kNone;) {
      const std::uint32_t nx = tr[t].next;
      tr_map.erase(tr[t].id);
      tr[t] = Tracked{};
      tr_free.push(t);
      t = nx;
    }
    L.tracked = kNone;
  }
  void erase_tracked(std::uint32_t t) noexcept {
    Tracked& e = tr[t];
    Lvl& L = lv[e.lvl];
    if (e.prev != kNone) tr[e.prev].next = e.next; else L.tracked = e.next;
    if (e.next != kNone) tr[e.next].prev = e.prev;
    tr_map.erase(e.id);
    e = Tracked{};
    tr_free.push(t);
  }
  void maybe_free_level(std::uint32_t li) noexcept {
    if (li == kNone || li == busy_lvl) return;
    Lvl& L = lv[li];
    if (!L.used) return;
    if (L.count == 0) free_tracked_list(L);
    if (L.count == 0 && L.consumed == 0) {
      lv_map.erase(L.key);
      L.used = false;
      lv_free.push(li);
    }
  }
  void add_consumed(std::uint32_t li, Volume q) noexcept {
    Lvl& L = lv[li];
    if (L.consumed == 0 && q > 0) ++consumed_levels;
    L.consumed += q;
  }
  void set_consumed(Lvl& L, Volume c) noexcept {
    if (L.consumed > 0 && c <= 0) --consumed_levels;
    L.consumed = std::max<Volume>(c, 0);
  }

  // ---- own order lists --------------------------------------------------------------------
  void unlink_own(std::uint32_t k) noexcept {
    Own& o = own[k];
    if (!o.resting) return;
    Lvl& L = lv[o.lvl];
    if (o.prev != kNone) own[o.prev].next = o.next; else set_head(o.instr, o.side, o.next);
    if (o.next != kNone) own[o.next].prev = o.prev;
    if (L.first == k) L.first = (L.count > 1) ? o.next : kNone;
    if (L.last == k) L.last = (L.count > 1) ? o.prev : kNone;
    --L.count;
    o.resting = false;
    o.prev = o.next = kNone;
    const std::uint32_t li = o.lvl;
    o.lvl = kNone;
    maybe_free_level(li);
  }
  // Own order k's working quantity cancelled: the report (qty = what was cancelled, leaves 0) and
  // the order finished.
  void cancel_rest(std::uint32_t k, Nanos venue, engine::Scheduler& s) noexcept {
    Own& o = own[k];
    ExecReport r = report_of(o, ExecKind::Cancelled);
    r.qty = o.leaves;
    r.leaves = 0;
    o.leaves = 0;
    emit(r, venue, s);
    finish(k);
  }
  void finish(std::uint32_t k) noexcept {
    Own& o = own[k];
    unlink_own(k);
    o.st = St::Done;
    --working;
    own_free.push(k);
  }
  std::uint32_t alloc_own() noexcept {
    const std::uint32_t k = own_free.pop();
    if (k == kNone) return kNone;
    if (own[k].st == St::Done) by_id.erase(own[k].id);  // its id no longer answers "too late"
    own[k] = Own{};
    return k;
  }

  bool has_level_for(const Own& o) const noexcept {
    return !lv_free.empty() || lv_map.find(LevelKey{o.instr, o.side, o.price}) != kNone;
  }
  // Joins the back of the real queue at its price (after any taker fills).
  void join(std::uint32_t k) noexcept {
    Own& o = own[k];
    const std::uint32_t li = get_level(LevelKey{o.instr, o.side, o.price}, true);  // checked by the caller
    Lvl& L = lv[li];
    o.seq = ++seq;
    if (L.count > 0) {  // behind the own orders already there
      const std::uint32_t a = L.last;
      o.prev = a;
      o.next = own[a].next;
      if (o.next != kNone) own[o.next].prev = k;
      own[a].next = k;
      L.last = k;
    } else {  // before the first own order at a worse price
      std::uint32_t prev = kNone, p = head(o.instr, o.side);
      while (p != kNone && !better_px(o.side, o.price, own[p].price)) {
        prev = p;
        p = own[p].next;
      }
      o.prev = prev;
      o.next = p;
      if (prev != kNone) own[prev].next = k; else set_head(o.instr, o.side, k);
      if (p != kNone) own[p].prev = k;
      L.first = L.last = k;
    }
    ++L.count;
    o.lvl = li;
    o.resting = true;
    book::LevelView v;
    const bool has = books.level_at(o.instr, o.side, o.price, v);
    const Volume q = has ? v.qty : 0;
    o.joined_ahead = static_cast<Qty>(std::min<Volume>(q, std::numeric_limits<Qty>::max()));
    o.ahead = q;
    o.est = static_cast<double>(q);
    o.cum_trade = 0;
    o.estimated = false;
    if (cfg.queue != QueueModel::L3Exact || !has) return;
    // Every displayed order there now is ahead: track the ones not tracked yet (those are ahead
    // of an earlier own order at this level, hence of this one too).
    const std::size_t room = std::min(tr_free.size(), cfg.max_tracked);
    const std::size_t n = books.level_orders(o.instr, o.side, o.price, ids_buf, nullptr, room);
    bool complete = n == v.orders;
    for (std::size_t i = 0; i < n; ++i) {
      const OrderId id = ids_buf[i];
      if (tr_map.find(id) != kNone) continue;
      if (tr_free.empty()) {
        complete = false;
        break;
      }
      const std::uint32_t t = tr_free.top();
      if (!tr_map.insert(id, t)) {
        complete = false;
        break;
      }
      tr_free.pop();
      tr[t] = Tracked{id, o.seq, li, kNone, L.tracked};
      if (L.tracked != kNone) tr[L.tracked].prev = t;
      L.tracked = t;
    }
    if (!complete) {
      o.estimated = true;
      ++cnt.tracked_full;
    }
  }

  // ---- fills ------------------------------------------------------------------------------
  // Fills own order k for q at px (the caller checked q <= leaves). False when the scheduler had
  // no room for the report: then nothing is filled (counted).
  bool fill(std::uint32_t k, Qty q, Price px, Liquidity liq, Nanos venue, engine::Scheduler& s) noexcept {
    if (q == 0) return false;
    if (!s.has_room(1)) {
      ++cnt.walk_cut;
      return false;
    }
    Own& o = own[k];
    o.leaves -= q;
    ExecReport r = report_of(o, ExecKind::Fill);
    r.price = px;
    r.qty = q;
    r.liquidity = liq;
    r.queue_ahead = liq == Liquidity::Maker ? o.joined_ahead : 0;
    ++cnt.fills;
    cnt.filled_qty += q;
    if (liq == Liquidity::Maker) ++cnt.maker_fills; else ++cnt.taker_fills;
    if (o.leaves > 0) ++cnt.partial_fills;
    emit(r, venue, s);
    if (o.leaves == 0) finish(k);
    return true;
  }
  // Own orders on `side` priced strictly better than px, best first, share an execution there.
  void trade_through(InstrumentId instr, Side side, Price px, Qty& rem, Nanos venue, engine::Scheduler& s) noexcept {
    if (instr >= n_instr) return;
    while (rem > 0) {
      const std::uint32_t k = head(instr, side);
      if (k == kNone || !better_px(side, own[k].price, px)) break;
      const Qty q = std::min(rem, own[k].leaves);
      if (!fill(k, q, own[k].price, Liquidity::Maker, venue, s)) break;
      ++cnt.trade_throughs;
      rem -= q;
    }
  }
  // An order placed at (side, px, qty): own orders on the other side at or through px fill.
  void crossing(InstrumentId instr, Side side, Price px, Qty qty, Nanos venue, engine::Scheduler& s) noexcept {
    if (instr >= n_instr || side == Side::None) return;
    const Side os = opposite(side);
    std::uint32_t k = head(instr, os);
    if (k == kNone || !crosses_px(os, own[k].price, px)) return;
    const std::uint32_t li = get_level(LevelKey{instr, side, px}, false);
    if (li == kNone) return;  // cannot remember the liquidity taken: do not take it
    busy_lvl = li;
    Qty rem = qty;
    while (rem > 0) {
      k = head(instr, os);
      if (k == kNone || !crosses_px(os, own[k].price, px)) break;
      const Qty q = std::min(rem, own[k].leaves);
      if (!fill(k, q, own[k].price, Liquidity::Maker, venue, s)) break;
      ++cnt.trade_throughs;
      rem -= q;
    }
    add_consumed(li, qty - rem);
    busy_lvl = kNone;
    maybe_free_level(li);
  }

  // ---- market events ----------------------------------------------------------------------
  // Prob*: a depth change at the level from lvl_before to lvl_after, for own order o.
  void prob_depth(Own& o, double lvl_before, double lvl_after) const noexcept {
    const double chg = (lvl_before - lvl_after) - o.cum_trade;
    o.cum_trade = 0;
    if (chg <= 0) {
      o.est = std::min(o.est, lvl_after);
      return;
    }
    const double front = std::min(o.est, lvl_before);
    const double back = lvl_before - front;
    const double ff = f(front), fb = f(back);
    double from_front = ff + fb > 0 ? chg * ff / (ff + fb) : chg;
    const double from_back = chg - from_front;
    if (from_back > back) from_front += from_back - back;
    o.est = std::clamp(front - from_front, 0.0, std::max(lvl_after, 0.0));
  }

  // An order left (part of) its place at (a.side, a.price): a.before - a.after went.
  void on_leave(const book::AppliedOrder& a, Nanos venue, engine::Scheduler& s) noexcept {
    const bool exec = a.kind == EventKind::Execute;
    const Qty r = a.before - a.after;
    Qty rem = exec ? r : 0;
    if (exec && a.instrument < n_instr && head(a.instrument, a.side) != kNone)
      trade_through(a.instrument, a.side, a.price, rem, venue, s);
    const std::uint32_t li = lv_map.size() ? lv_map.find(LevelKey{a.instrument, a.side, a.price}) : kNone;
    if (li == kNone) return;
    busy_lvl = li;
    Lvl& L = lv[li];
    const Volume after_qty = level_qty(a.instrument, a.side, a.price);
    if (L.count > 0) {
      if (cfg.queue == QueueModel::L3Exact) {
        const std::uint32_t t = L.tracked != kNone ? tr_map.find(a.id) : kNone;
        const std::uint64_t mark = t != kNone ? tr[t].mark : std::numeric_limits<std::uint64_t>::max();
        if (t != kNone && a.after == 0) erase_tracked(t);
        std::uint32_t k = L.first;
        for (std::uint32_t n = L.count; n > 0 && k != kNone; --n) {
          const std::uint32_t nx = own[k].next;
          Own& o = own[k];
          if (mark <= o.seq) {  // that order was ahead of o
            o.ahead -= std::min<Volume>(o.ahead, r);
          } else if (t == kNone && o.estimated) {  // unknown place: risk-averse
            if (exec) {
              const Volume d = std::min<Volume>(o.ahead, r);
              o.ahead -= d;
              const Qty q = std::min<Qty>({static_cast<Qty>(r - d), rem, o.leaves});
              if (q > 0 && fill(k, q, o.price, Liquidity::Maker, venue, s)) rem -= q;
            }
          } else if (exec) {  // behind o: FIFO says o went first
            const Qty q = std::min(rem, o.leaves);
            if (q > 0 && fill(k, q, o.price, Liquidity::Maker, venue, s)) rem -= q;
          }
          if (o.st == St::Working && o.estimated) o.ahead = std::min(o.ahead, after_qty);
          k = nx;
        }
      } else {
        const double lb = static_cast<double>(after_qty) + r - (a.new_price == a.price ? a.new_qty : 0);
        std::uint32_t k = L.first;
        for (std::uint32_t n = L.count; n > 0 && k != kNone; --n) {
          const std::uint32_t nx = own[k].next;
          Own& o = own[k];
          if (exec) {
            Qty excess = 0;
            if (prob()) {
              o.est -= r;
              if (o.est < 0) {
                excess = static_cast<Qty>(std::llround(-o.est));
                o.est = 0;
              }
            } else {
              const Volume d = std::min<Volume>(o.ahead, r);
              o.ahead -= d;
              excess = static_cast<Qty>(r - d);
            }
            const Qty q = std::min<Qty>({excess, rem, o.leaves});
            if (q > 0 && fill(k, q, o.price, Liquidity::Maker, venue, s)) rem -= q;
          } else if (prob()) {
            prob_depth(o, lb, static_cast<double>(after_qty));
          } else {
            o.ahead = std::min(o.ahead, after_qty);
          }
          k = nx;
        }
      }
    } else if (cfg.queue == QueueModel::L3Exact && L.tracked != kNone && a.after == 0) {
      if (const std::uint32_t t = tr_map.find(a.id); t != kNone) erase_tracked(t);
    }
    if (L.consumed > 0) {
      Volume c = L.consumed;
      if (exec) c -= std::min<Volume>(c, r);  // executions take the front: what we took
      set_consumed(L, std::min(c, after_qty));
    }
    busy_lvl = kNone;
    maybe_free_level(li);
  }

  // A print that did not change the book (hidden execution; the trade stream of level data).
  void on_trade(const MarketEvent& ev, engine::Scheduler& s) noexcept {
    if (ev.side != Side::Buy && ev.side != Side::Sell) return;
    if (ev.instrument >= n_instr) return;
    Qty rem = ev.qty;
    trade_through(ev.instrument, ev.side, ev.price, rem, ev.ts_exch, s);
    if (cfg.queue == QueueModel::L3Exact) {  // hidden: the visible queue does not move
      if (working > 0) ++cnt.hidden_trades;
      return;
    }
    const std::uint32_t li = lv_map.find(LevelKey{ev.instrument, ev.side, ev.price});
    if (li == kNone) return;
    busy_lvl = li;
    Lvl& L = lv[li];
    std::uint32_t k = L.first;
    for (std::uint32_t n = L.count; n > 0 && k != kNone; --n) {
      const std::uint32_t nx = own[k].next;
      Own& o = own[k];
      Qty excess = 0;
      if (prob()) {
        o.est -= ev.qty;
        o.cum_trade += ev.qty;  // the depth decrease it explains comes later
        if (o.est < 0) {
          excess = static_cast<Qty>(std::llround(-o.est));
          o.est = 0;
        }
      } else {
        const Volume d = std::min<Volume>(o.ahead, ev.qty);
        o.ahead -= d;
        excess = static_cast<Qty>(ev.qty - d);
      }
      const Qty q = std::min<Qty>({excess, rem, o.leaves});
      if (q > 0 && fill(k, q, o.price, Liquidity::Maker, ev.ts_exch, s)) rem -= q;
      k = nx;
    }
    busy_lvl = kNone;
    maybe_free_level(li);
  }

  void on_clear(InstrumentId instr) noexcept {
    bool touched = false;
    for (std::size_t li = 0; li < lv_free.ever_used(); ++li) {  // (the others were never used)
      Lvl& L = lv[li];
      if (!L.used || L.key.instr != instr) continue;
      touched = true;
      free_tracked_list(L);
      set_consumed(L, 0);
      for (std::uint32_t k = L.first, n = L.count; n > 0 && k != kNone; --n, k = own[k].next)
        own[k].estimated = true;
      maybe_free_level(static_cast<std::uint32_t>(li));
    }
    if (touched) ++cnt.clears;
  }

  void on_market(const MarketEvent& ev, engine::Scheduler& s) noexcept {
    rep_open = false;
    if (working == 0 && consumed_levels == 0) return;
    if (ev.kind == EventKind::Trade) {
      on_trade(ev, s);
      return;
    }
    if (!book::is_book_event(ev.kind)) return;
    const book::AppliedOrder& a = books.last_applied();
    if (!a.ok) return;
    if (a.kind == EventKind::Clear) {
      on_clear(a.instrument);
      return;
    }
    if (a.side != Side::Buy && a.side != Side::Sell) return;
    if (a.before > 0) on_leave(a, ev.ts_exch, s);
    if (a.new_price != 0 && a.new_qty > 0) crossing(a.instrument, a.side, a.new_price, a.new_qty, ev.ts_exch, s);
  }

  // ---- arrivals ---------------------------------------------------------------------------
  // The marketable part of own order k takes visible liquidity; the rest rests or (IOC) goes.
  void match_and_rest(std::uint32_t k, Nanos venue, engine::Scheduler& s) noexcept {
    Own& o = own[k];
    const Side opp = opposite(o.side);
    for (std::size_t i = 0; o.leaves > 0; ++i) {
      book::LevelView v;
      if (!books.level(o.instr, opp, i, v) || !crosses_px(o.side, o.price, v.price)) break;
      const LevelKey key{o.instr, opp, v.price};
      std::uint32_t li = lv_map.find(key);
      const Volume avail = v.qty - (li != kNone ? lv[li].consumed : 0);
      if (avail <= 0) continue;
      if (!s.has_room(2)) {  // keep room for the closing report
        ++cnt.walk_cut;
        break;
      }
      if (li == kNone && (li = get_level(key, false)) == kNone) break;
      const Qty q = static_cast<Qty>(std::min<Volume>(o.leaves, avail));
      const bool done = q == o.leaves;
      if (!fill(k, q, v.price, Liquidity::Taker, venue, s)) break;
      add_consumed(li, q);
      if (done) return;  // finished (its slot may be recycled from here on)
    }
    // (A resting order always finds a level record, see get_level; were it not so, it would be
    // cancelled here rather than rest untracked.)
    if (o.tif == TimeInForce::IOC || !has_level_for(o)) {
      ++cnt.ioc_cancelled;
      cancel_rest(k, venue, s);
      return;
    }
    join(k);
  }

  RejectReason check_new(const OrderIntent& o) const noexcept {
    if (o.side != Side::Buy && o.side != Side::Sell) return RejectReason::BadSide;
    if (o.qty == 0) return RejectReason::BadQty;
    if (o.price <= 0) return RejectReason::BadPrice;
    if (o.instrument >= n_instr) return RejectReason::BadInstrument;
    return RejectReason::None;
  }

  void arrive(const OrderIntent& o, Nanos venue, engine::Scheduler& s) noexcept {
    ++cnt.arrivals;
    switch (o.kind) {
      case IntentKind::New: {
        RejectReason why = check_new(o);
        if (why == RejectReason::None && (o.id == 0 || by_id.find(o.id) != kNone)) why = RejectReason::Venue;
        std::uint32_t k = kNone;
        if (why == RejectReason::None && (k = alloc_own()) == kNone) {
          why = RejectReason::Venue;
          ++cnt.pool_full;
        }
        if (why != RejectReason::None) {
          reject(o, why, venue, s);
          return;
        }
        Own& w = own[k];
        w.id = o.id;
        w.instr = o.instrument;
        w.side = o.side;
        w.tif = o.tif;
        w.strategy = o.strategy;
        w.price = o.price;
        w.leaves = o.qty;
        w.st = St::Working;
        by_id.insert(o.id, k);
        ++working;
        emit(report_of(w, ExecKind::Ack), venue, s);
        match_and_rest(k, venue, s);
        return;
      }
      case IntentKind::Cancel:
      case IntentKind::Replace: {
        const bool cancel = o.kind == IntentKind::Cancel;
        const std::uint32_t k = by_id.find(o.id);
        if (k == kNone || own[k].st != St::Working) {
          if (k != kNone) ++(cancel ? cnt.cancel_too_late : cnt.replace_too_late);
          reject(o, RejectReason::UnknownOrder, venue, s);
          return;
        }
        Own& w = own[k];
        if (!cancel) {
          OrderIntent n = o;
          n.side = w.side;
          n.instrument = w.instr;
          if (const RejectReason why = check_new(n); why != RejectReason::None) {
            reject(o, why, venue, s);
            return;
          }
        }
        unlink_own(k);  // a replace loses priority
        if (cancel) {
          ++cnt.cancels;
          cancel_rest(k, venue, s);
          return;
        }
        w.price = o.price;
        w.leaves = o.qty;
        ++cnt.replaces;
        emit(report_of(w, ExecKind::Replaced), venue, s);
        match_and_rest(k, venue, s);
        return;
      }
    }
    reject(o, RejectReason::Venue, venue, s);
  }
};

Exchange::Exchange(SimConfig cfg, const book::Books& books, std::uint16_t timer_owner)
    : impl_(std::make_unique<Impl>(std::move(cfg), books, timer_owner)) {}
Exchange::~Exchange() = default;

const SimCounters& Exchange::counters() const noexcept { return impl_->cnt; }
std::size_t Exchange::working_orders() const noexcept { return impl_->working; }
const SimConfig& Exchange::config() const noexcept { return impl_->cfg; }

void Exchange::submit(const OrderIntent& o, Nanos now, engine::Scheduler& s) noexcept {
  Impl& m = *impl_;
  ++m.cnt.submitted;
  auto local_reject = [&](RejectReason why) {
    ExecReport r = report_for(o, ExecKind::Reject, now);
    r.reason = why;
    ++m.cnt.rejects[static_cast<std::size_t>(why)];
    if (!s.at(now, r)) ++m.cnt.reports_lost;
  };
  if (m.flight_free.empty()) {
    ++m.cnt.pool_full;
    local_reject(RejectReason::Venue);
    return;
  }
  const std::uint32_t f = m.flight_free.top();
  Nanos arrival = now + m.cfg.entry.draw();
  if (arrival < m.last_arrival) arrival = m.last_arrival;  // one session: FIFO
  Impl::Flight& fl = m.flight[f];
  const std::uint64_t cookie = (std::uint64_t{fl.gen + 1} << 32) | f;
  if (!s.timer(arrival, m.owner, cookie)) {
    local_reject(RejectReason::QueueFull);
    return;
  }
  m.flight_free.pop();
  m.last_arrival = arrival;
  ++fl.gen;
  fl.o = o;
  fl.used = true;
}

void Exchange::on_timer(const engine::TimerFire& t, engine::Scheduler& s) noexcept {
  Impl& m = *impl_;
  m.rep_open = false;
  const std::uint32_t f = static_cast<std::uint32_t>(t.cookie & 0xFFFFFFFFu);
  if (f >= m.cfg.max_orders) return;
  Impl::Flight& fl = m.flight[f];
  if (!fl.used || fl.gen != static_cast<std::uint32_t>(t.cookie >> 32)) return;  // not ours
  const OrderIntent o = fl.o;
  fl.used = false;
  m.flight_free.push(f);
  m.arrive(o, t.due, s);
}

void Exchange::on_market(const MarketEvent& ev, engine::Scheduler& s) noexcept { impl_->on_market(ev, s); }

bool Exchange::working(ClientOrderId id, Qty& ahead, Qty& leaves) const noexcept {
  const Impl& m = *impl_;
  const std::uint32_t k = m.by_id.find(id);
  if (k == kNone || m.own[k].st != Impl::St::Working || !m.own[k].resting) return false;
  const Impl::Own& o = m.own[k];
  const double a = m.prob() ? std::round(o.est) : static_cast<double>(o.ahead);
  ahead = static_cast<Qty>(std::min(a, static_cast<double>(std::numeric_limits<Qty>::max())));
  leaves = o.leaves;
  return true;
}

}  // namespace hft::sim
