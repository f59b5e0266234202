// L3 order books: pooled orders and levels, one open-addressing order index for all
// instruments, sorted level arrays with the best price at the back.
#include "hft/book/order_book.hpp"

#include "hft/core/assert.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <string>

namespace hft::book {

namespace {
constexpr std::size_t kNoSlot = ~std::size_t{0};
constexpr std::uint64_t kFib = 0x9E3779B97F4A7C15ULL;

inline int side_ix(Side s) noexcept { return s == Side::Sell ? 1 : 0; }
inline Price key_of(Side s, Price p) noexcept { return s == Side::Sell ? -p : p; }

// First index whose key is >= k. Most lookups hit the top (the back): count, without
// branching on the data, how many of the last 8 keys are >= k (a sorted array makes that the
// answer when fewer than 8 are). Deeper prices (their depth is heavy-tailed: mostly within a
// few dozen levels of the top) are found the same way block by block, up to kBlocks blocks:
// eight independent loads of adjacent keys and one branch per block. Only the rare price
// deeper than that takes a binary search, stepped with a mask (no branch on the keys).
template <class Vec>
inline std::size_t lower_pos(const Vec& a, Price k) noexcept {
  constexpr std::size_t kBlocks = 4;
  const std::size_t n = a.size();
  const std::size_t top = n < 8 ? n : 8;
  std::size_t cnt = 0;
  for (std::size_t j = 1; j <= top; ++j) cnt += a[n - j].key >= k ? 1u : 0u;
  if (cnt < 8) return n - cnt;
  std::size_t end = n - 8;  // every key at [end, n) is >= k
  for (std::size_t b = 1; b < kBlocks && end >= 8; ++b) {
    cnt = 0;
    for (std::size_t j = 1; j <= 8; ++j) cnt += a[end - j].key >= k ? 1u : 0u;
    if (cnt < 8) return end - cnt;
    end -= 8;
  }
  std::size_t len = end;  // the answer is in [0, end]
  if (len == 0) return 0;
  std::size_t lo = 0;
  while (len > 1) {  // the answer stays in [lo, lo + len]
    const std::size_t half = len >> 1;
    lo += half & (std::size_t{0} - static_cast<std::size_t>(a[lo + half - 1].key < k));
    len -= half;
  }
  return lo + (a[lo].key < k ? 1u : 0u);
}
}  // namespace

const char* book_error_name(BookError e) noexcept {
  switch (e) {
    case BookError::None: return "none";
    case BookError::UnknownOrder: return "unknown_order";
    case BookError::DuplicateOrder: return "duplicate_order";
    case BookError::OverExecute: return "over_execute";
    case BookError::ZeroQty: return "zero_qty";
    case BookError::BadPrice: return "bad_price";
    case BookError::BadSide: return "bad_side";
    case BookError::BadInstrument: return "bad_instrument";
    case BookError::OrderPoolFull: return "order_pool_full";
    case BookError::LevelPoolFull: return "level_pool_full";
    case BookError::Count_: break;
  }
  return "?";
}

Books::Books(const BookConfig& cfg) : cfg_(cfg) {
  if (cfg_.max_orders == 0) cfg_.max_orders = 1;
  if (cfg_.max_levels == 0) cfg_.max_levels = 1;
  // The index table (2x orders) must stay within 2^32 slots: tags hold the home slot.
  if (cfg_.max_orders > (std::size_t{1} << 30)) cfg_.max_orders = std::size_t{1} << 30;
  // Order indices must fit the direct tier's index bits.
  if (cfg_.max_orders >= kDirectEmpty) cfg_.max_orders = kDirectEmpty - 1;
  if (cfg_.max_levels >= kNil) cfg_.max_levels = kNil - 1;
  orders_.map(cfg_.max_orders, cfg_.prefault);
  levels_.map(cfg_.max_levels, cfg_.prefault);
  // Load factor at most 1/2 keeps linear-probe runs short.
  std::size_t cap = 16;
  slot_bits_ = 4;
  while (cap < 2 * cfg_.max_orders) {
    cap <<= 1;
    ++slot_bits_;
  }
  slots_.map(cap, cfg_.prefault);
  mask_ = cap - 1;
  direct_.map(cap, cfg_.prefault);  // 2x orders: ids of live orders rarely share an entry
  direct_mask_ = cap - 1;
  instrs_.map(cfg_.max_instruments, cfg_.prefault);
  n_instr_ = instrs_.size();
}

std::uint32_t Books::take_order() noexcept {
  if (free_order_ == kNil) return fresh_order_++;
  const std::uint32_t oi = free_order_;
  free_order_ = orders_[oi].next;
  return oi;
}

std::uint32_t Books::take_level() noexcept {
  if (free_level_ == kNil) return fresh_level_++;
  const std::uint32_t li = free_level_;
  free_level_ = levels_[li].head;
  return li;
}

bool Books::LevelArray::reserve(std::size_t n) noexcept {
  if (n <= cap_) return true;
  auto* d = new (std::nothrow) LevelRef[n];  // out of memory: refused, not terminate
  if (d == nullptr) return false;
  if (size_ != 0) std::memcpy(d, data_, size_ * sizeof(LevelRef));
  delete[] data_;
  data_ = d;
  cap_ = n;
  return true;
}

void Books::LevelArray::release() noexcept {
  delete[] data_;
  data_ = nullptr;
  size_ = cap_ = 0;
}

void Books::LevelArray::insert_at(std::size_t p, LevelRef r) noexcept {
  if (p < size_) std::memmove(&data_[p + 1], &data_[p], (size_ - p) * sizeof(LevelRef));
  data_[p] = r;
  ++size_;
}

void Books::LevelArray::erase_at(std::size_t p) noexcept {
  --size_;
  if (p < size_) std::memmove(&data_[p], &data_[p + 1], (size_ - p) * sizeof(LevelRef));
}

Books::~Books() {
  for (std::size_t i = 0; i < instr_hi_; ++i)
    for (LevelArray& a : instrs_[i].side) a.release();
}

// Low bits of the id are used as is (dense sequential ids land in neighbouring slots, four to
// a cache line), plus a Fibonacci hash of the high bits, so ids strided by a power of two, or
// spread over a huge range (DBN), still spread over the table. Homes are the even slots: a
// dense run of live ids leaves the odd slots free, so probe runs (and the backward-shift scan
// of a delete) stay short instead of spanning the whole run. The table has at most 2^32
// slots, so the home is recoverable from the 32-bit tag.
std::uint32_t Books::tag_of(OrderId id) const noexcept {
  const std::uint64_t hi = id >> slot_bits_;
  return static_cast<std::uint32_t>(id + ((hi * kFib) >> (64 - slot_bits_)));
}

std::size_t Books::find_slot(OrderId id) const noexcept {
  const std::uint32_t t = tag_of(id);
  std::size_t i = home_of(t);
  for (;;) {
    const Slot& s = slots_[i];
    const std::uint32_t oi = s.order();
    if (oi == kNil) return kNoSlot;
    if (s.tag == t && orders_[oi].id == id) return i;
    i = (i + 1) & mask_;
  }
}

void Books::erase_slot(std::size_t pos) noexcept {
  std::size_t i = pos;
  std::size_t j = (i + 1) & mask_;
  while (slots_[j].order() != kNil) {
    const std::size_t h = home_of(slots_[j].tag);
    // slots_[j] may move into the hole at i iff i lies cyclically within [h, j).
    if (((j - h) & mask_) >= ((j - i) & mask_)) {
      slots_[i] = slots_[j];
      i = j;
    }
    j = (j + 1) & mask_;
  }
  slots_[i] = Slot{0, 0};  // empty
}

std::uint32_t Books::find_index(OrderId id) const noexcept {
  const std::uint32_t e = direct_[id & direct_mask_];
  const std::uint32_t oi = direct_order(e);
  if (oi != kDirectEmpty && orders_[oi].id == id) [[likely]] return oi;
  if ((e >> kDirectIdxBits) == 0) return kNil;  // no overflow order maps here
  const std::size_t s = find_slot(id);
  return s == kNoSlot ? kNil : slots_[s].order();
}

void Books::index_insert(OrderId id, std::uint32_t oi) noexcept {
  std::uint32_t& e = direct_[id & direct_mask_];
  const std::uint32_t cur = direct_order(e);
  std::uint32_t count = e >> kDirectIdxBits;
  if (cur != kDirectEmpty) {  // a newer id takes the entry; the older order moves over
    const OrderId cur_id = orders_[cur].id;
    const std::uint32_t tag = tag_of(cur_id);
    std::size_t i = home_of(tag);
    while (slots_[i].order() != kNil) i = (i + 1) & mask_;
    slots_[i] = Slot::make(tag, cur);
    ++overflowed_;
    if (count < kOverflowSaturated) ++count;
  }
  e = direct_entry(count, oi);
}

void Books::index_erase(OrderId id, std::uint32_t oi) noexcept {
  std::uint32_t& e = direct_[id & direct_mask_];
  if (direct_order(e) == oi) {
    e &= ~kDirectEmpty;  // empty, the overflow count kept
    return;
  }
  const std::size_t s = find_slot(id);
  if (s == kNoSlot) return;  // cannot happen for a live order (check_invariants proves it)
  erase_slot(s);
  --overflowed_;
  const std::uint32_t count = e >> kDirectIdxBits;
  if (count != 0 && count < kOverflowSaturated)
    e = ((count - 1) << kDirectIdxBits) | (e & kDirectEmpty);
}

const Books::LevelRef* Books::find_ref(const Instr& in, Side side, Price price) const noexcept {
  const auto& a = in.side[side_ix(side)];
  const Price k = key_of(side, price);
  const std::size_t p = lower_pos(a, k);
  if (p < a.size() && a[p].key == k) return &a[p];
  return nullptr;
}

// Level at (side, price), created if absent. Caller checked that a level slot is available.
std::uint32_t Books::level_for(Instr& in, Side side, Price price, InstrumentId instr) noexcept {
  auto& a = in.side[side_ix(side)];
  const Price k = key_of(side, price);
  const std::size_t p = lower_pos(a, k);
  if (p < a.size() && a[p].key == k) return a[p].level;
  const std::uint32_t li = take_level();
  levels_[li] = Level{k, 0, 0, kNil, kNil, instr};
  ++live_levels_;
  HFT_ASSERT(a.size() < a.capacity(), "level array full: level_room() was not called first");
  a.insert_at(p, LevelRef{k, li});
  return li;
}

// Keys grow toward the top of book on both sides (bid: price, ask: -price), so the largest
// key touched is the shallowest change.
constexpr Price kNoTouch = std::numeric_limits<Price>::min();
constexpr Price kAllTouched = std::numeric_limits<Price>::max();

void Books::touch(const Level& L) noexcept {
  Price& t = touched_[L.key < 0 ? 1 : 0];
  if (L.key > t) t = L.key;
}

bool Books::last_apply_touched(Side side, Price p) const noexcept {
  if (side == Side::None) return false;
  const Price t = touched_[side_ix(side)];
  return p <= 0 ? t != kNoTouch : t >= key_of(side, p);
}

void Books::link_back(std::uint32_t oi, std::uint32_t li) noexcept {
  Order& o = orders_[oi];
  Level& L = levels_[li];
  touch(L);
  o.level = li;
  o.next = kNil;
  o.prev = L.tail;
  if (L.tail != kNil) orders_[L.tail].next = oi; else L.head = oi;
  L.tail = oi;
  L.qty += o.qty;
  ++L.orders;
}

void Books::unlink(std::uint32_t oi) noexcept {
  Order& o = orders_[oi];
  const std::uint32_t li = o.level;
  Level& L = levels_[li];
  touch(L);
  if (o.prev != kNil) orders_[o.prev].next = o.next; else L.head = o.next;
  if (o.next != kNil) orders_[o.next].prev = o.prev; else L.tail = o.prev;
  L.qty -= o.qty;
  if (--L.orders == 0) remove_level(li);
}

void Books::remove_level(std::uint32_t li) noexcept {
  Level& L = levels_[li];
  auto& a = instrs_[L.instr].side[side_ix(L.side())];
  const Price k = L.key;
  const std::size_t p = lower_pos(a, k);
  if (p < a.size() && a[p].level == li) a.erase_at(p);
  L.key = 0;
  L.head = free_level_;
  free_level_ = li;
  --live_levels_;
}

void Books::remove_order(std::uint32_t oi) noexcept {
  const InstrumentId instr = levels_[orders_[oi].level].instr;
  unlink(oi);
  Order& o = orders_[oi];
  index_erase(o.id, oi);
  o.level = kNil;
  o.qty = 0;
  o.next = free_order_;
  free_order_ = oi;
  --live_;
  --instrs_[instr].live;
}

// True when an order can be placed at (side, price): the level exists, a level slot is free, or
// one is freed by removing the order whose level is freed_level (when it is that level's last).
bool Books::level_room(Instr& in, Side side, Price price) noexcept {
  auto& a = in.side[side_ix(side)];
  if (a.size() < a.capacity() || find_ref(in, side, price) != nullptr) return true;
  // The sorted level array of a side is reserved at first use and doubled when it fills (counted);
  // an allocation that fails refuses the event (level_pool_full) instead of terminating.
  const bool first = a.capacity() == 0;
  if (!a.reserve(first ? std::max<std::size_t>(cfg_.levels_reserve, 4) : 2 * a.capacity())) return false;
  if (!first) ++counters_.level_array_grew;
  instr_hi_ = std::max(instr_hi_, static_cast<std::size_t>(&in - instrs_.data()) + 1);
  return true;
}

bool Books::level_available(const Instr& in, Side side, Price price,
                            std::uint32_t freed_level) const noexcept {
  if (live_levels_ < levels_.size()) return true;  // a free level slot
  if (find_ref(in, side, price) != nullptr) return true;
  return freed_level != kNil && levels_[freed_level].orders == 1;
}

void Books::check_cross(const Instr& in) noexcept {
  const auto& b = in.side[0];
  const auto& s = in.side[1];
  if (b.empty() || s.empty()) return;
  const Price bid = b.back().key;
  const Price ask = -s.back().key;
  if (bid == ask) ++counters_.locked;
  else if (bid > ask) ++counters_.crossed;
}

BookError Books::add(const MarketEvent& ev) noexcept {
  if (ev.instrument >= n_instr_) return fail(BookError::BadInstrument);
  if (ev.side != Side::Buy && ev.side != Side::Sell) return fail(BookError::BadSide);
  if (ev.price <= 0) return fail(BookError::BadPrice);
  if (ev.qty == 0) return fail(BookError::ZeroQty);
  if (find_index(ev.order_id) != kNil) return fail(BookError::DuplicateOrder);
  if (live_ >= orders_.size()) return fail(BookError::OrderPoolFull);
  Instr& in = instrs_[ev.instrument];
  if (!level_available(in, ev.side, ev.price, kNil) || !level_room(in, ev.side, ev.price)) return fail(BookError::LevelPoolFull);
  const std::uint32_t oi = take_order();
  orders_[oi].id = ev.order_id;
  orders_[oi].qty = ev.qty;
  const std::uint32_t li = level_for(in, ev.side, ev.price, ev.instrument);
  link_back(oi, li);
  index_insert(ev.order_id, oi);
  ++live_;
  ++in.live;
  ++counters_.applied;
  last_ = AppliedOrder{true, EventKind::Add, ev.side, ev.instrument, ev.order_id, ev.price, 0, 0, ev.price, ev.qty};
  if (in.side[side_ix(ev.side)].back().level == li) check_cross(in);
  return BookError::None;
}

BookError Books::reduce(const MarketEvent& ev) noexcept {
  const std::uint32_t oi = find_index(ev.order_id);
  if (oi == kNil) return fail(BookError::UnknownOrder);
  if (ev.qty == 0) return fail(BookError::ZeroQty);
  Order& o = orders_[oi];
  ++counters_.applied;
  const Level& L = levels_[o.level];
  last_ = AppliedOrder{true, ev.kind, L.side(), L.instr, ev.order_id, L.price(), o.qty, 0, 0, 0};
  if (ev.qty < o.qty) {
    o.qty -= ev.qty;
    last_.after = o.qty;
    levels_[o.level].qty -= ev.qty;
    touch(levels_[o.level]);
    return BookError::None;
  }
  const bool over = ev.qty > o.qty;
  remove_order(oi);
  return over ? fail(BookError::OverExecute) : BookError::None;
}

BookError Books::del(const MarketEvent& ev) noexcept {
  const std::uint32_t oi = find_index(ev.order_id);
  if (oi == kNil) return fail(BookError::UnknownOrder);
  const Level& L = levels_[orders_[oi].level];
  last_ = AppliedOrder{true, EventKind::Delete, L.side(), L.instr, ev.order_id, L.price(), orders_[oi].qty, 0, 0, 0};
  remove_order(oi);
  ++counters_.applied;
  return BookError::None;
}

BookError Books::replace(const MarketEvent& ev) noexcept {
  const std::uint32_t oi = find_index(ev.order_id);
  if (oi == kNil) return fail(BookError::UnknownOrder);
  if (ev.qty == 0) return fail(BookError::ZeroQty);
  if (ev.price <= 0) return fail(BookError::BadPrice);
  if (ev.new_order_id != ev.order_id && find_index(ev.new_order_id) != kNil)
    return fail(BookError::DuplicateOrder);
  const Level& old = levels_[orders_[oi].level];
  const Side side = old.side();
  const InstrumentId instr = old.instr;
  Instr& in = instrs_[instr];
  if (!level_available(in, side, ev.price, orders_[oi].level))
    return fail(BookError::LevelPoolFull);
  const Price old_price = old.price();
  const Qty old_qty = orders_[oi].qty;
  remove_order(oi);
  // The removal freed an order slot, so the add cannot fail on the pool.
  MarketEvent a = ev;
  a.order_id = ev.new_order_id;
  a.side = side;
  a.instrument = instr;
  const BookError e = add(a);  // counts the event as applied once
  // (Should the add fail after all, the old order is still gone: new_price 0 says no new place.)
  last_ = AppliedOrder{true, EventKind::Replace, side, instr, ev.order_id, old_price, old_qty, 0,
                       e == BookError::None ? ev.price : 0, e == BookError::None ? ev.qty : 0};
  return e;
}

BookError Books::modify(const MarketEvent& ev) noexcept {
  const std::uint32_t oi = find_index(ev.order_id);
  if (oi == kNil) return fail(BookError::UnknownOrder);
  if (ev.qty == 0) return fail(BookError::ZeroQty);
  if (ev.price <= 0) return fail(BookError::BadPrice);
  Order& o = orders_[oi];
  const std::uint32_t li = o.level;
  Level& L = levels_[li];
  last_ = AppliedOrder{true, EventKind::Modify, L.side(), L.instr, ev.order_id, L.price(), o.qty, 0, 0, 0};
  if (ev.price == L.price()) {
    // A shrink keeps its place; a growth goes to the back (also where the book keeps a lone
    // order in place: for a reader it lost priority all the same).
    if (ev.qty <= o.qty) last_.after = ev.qty;
    else {
      last_.new_price = ev.price;
      last_.new_qty = ev.qty;
    }
    touch(L);
    if (ev.qty <= o.qty) {  // shrink keeps its place in the queue
      L.qty -= o.qty - ev.qty;
      o.qty = ev.qty;
    } else {  // growth goes to the back of the same level
      if (L.orders > 1) {
        if (o.prev != kNil) orders_[o.prev].next = o.next; else L.head = o.next;
        if (o.next != kNil) orders_[o.next].prev = o.prev; else L.tail = o.prev;
        L.qty -= o.qty;
        --L.orders;
        o.qty = ev.qty;
        link_back(oi, li);
      } else {
        L.qty += ev.qty - o.qty;
        o.qty = ev.qty;
      }
    }
    ++counters_.applied;
    return BookError::None;
  }
  const Side side = L.side();
  const InstrumentId instr = L.instr;
  Instr& in = instrs_[instr];
  if (!level_available(in, side, ev.price, li) || !level_room(in, side, ev.price)) {
    last_.ok = false;
    return fail(BookError::LevelPoolFull);
  }
  last_.new_price = ev.price;
  last_.new_qty = ev.qty;
  unlink(oi);
  o.qty = ev.qty;
  const std::uint32_t nl = level_for(in, side, ev.price, instr);
  link_back(oi, nl);
  ++counters_.applied;
  if (in.side[side_ix(side)].back().level == nl) check_cross(in);
  return BookError::None;
}

BookError Books::clear(const MarketEvent& ev) noexcept {
  if (ev.instrument >= n_instr_) return fail(BookError::BadInstrument);
  Instr& in = instrs_[ev.instrument];
  for (auto& a : in.side) {
    for (std::size_t k = 0; k < a.size(); ++k) {
      const LevelRef& r = a[k];
      Level& L = levels_[r.level];
      for (std::uint32_t oi = L.head; oi != kNil;) {
        Order& o = orders_[oi];
        const std::uint32_t nx = o.next;
        index_erase(o.id, oi);
        o.level = kNil;
        o.qty = 0;
        o.next = free_order_;
        free_order_ = oi;
        --live_;
        oi = nx;
      }
      L.key = 0;
      L.head = free_level_;
      free_level_ = r.level;
      --live_levels_;
    }
    a.clear();
  }
  in.live = 0;
  touched_ = {kAllTouched, kAllTouched};
  last_ = AppliedOrder{};
  last_.ok = true;
  last_.kind = EventKind::Clear;
  last_.instrument = ev.instrument;
  ++counters_.applied;
  return BookError::None;
}

BookError Books::apply(const MarketEvent& ev) noexcept {
  touched_ = {kNoTouch, kNoTouch};
  last_.ok = false;
  last_.kind = ev.kind;
  if (is_book_event(ev.kind) && ev.instrument < n_instr_) ++instrs_[ev.instrument].applies;
  switch (ev.kind) {
    case EventKind::Add: return add(ev);
    case EventKind::Execute:
    case EventKind::Cancel: return reduce(ev);
    case EventKind::Delete: return del(ev);
    case EventKind::Replace: return replace(ev);
    case EventKind::Modify: return modify(ev);
    case EventKind::Clear: return clear(ev);
    case EventKind::Trade:
    case EventKind::Status:
    case EventKind::Directory:
    case EventKind::System:
    case EventKind::Count_: break;
  }
  return BookError::None;
}

// The instrument's line too: prefetch_order reads it for an add's level array, and with
// thousands of instruments it is not in cache (8,000-instrument day: 9 of 12 alternated pairs
// faster, median B/A 0.965; 500 instruments: 0.997).
void Books::prefetch_index(const MarketEvent& e) const noexcept {
  __builtin_prefetch(&direct_[e.order_id & direct_mask_]);
  if (e.instrument < n_instr_) __builtin_prefetch(&instrs_[e.instrument]);
}

void Books::prefetch_order(const MarketEvent& e) const noexcept {
  // The direct entry was prefetched a few events ago; its order is the likely match.
  const std::uint32_t oi = direct_order(direct_[e.order_id & direct_mask_]);
  if (oi != kDirectEmpty) __builtin_prefetch(&orders_[oi]);
  if (e.instrument >= n_instr_) return;
  const Instr& in = instrs_[e.instrument];  // prefetched with the index entry
  // An add searches its side's level array from the top: bring the top keys in too.
  if (e.kind != EventKind::Add || (e.side != Side::Buy && e.side != Side::Sell)) return;
  const LevelArray& a = in.side[side_ix(e.side)];
  const std::size_t sz = a.size();
  if (sz != 0) {
    __builtin_prefetch(&a[sz - 1]);
    __builtin_prefetch(&a[sz > 8 ? sz - 8 : 0]);
  }
}

void Books::prefetch_queue(const MarketEvent& e) const noexcept {
  if (e.kind == EventKind::Add) return;
  const std::uint32_t oi = direct_order(direct_[e.order_id & direct_mask_]);
  if (oi == kDirectEmpty) return;
  const Order& o = orders_[oi];
  if (o.level != kNil) __builtin_prefetch(&levels_[o.level]);
  if (o.prev != kNil) __builtin_prefetch(&orders_[o.prev]);
  if (o.next != kNil) __builtin_prefetch(&orders_[o.next]);
}

// Two prefetch stages: the order index entry 8 events ahead, then the order it names and, for
// an add, the top of its side's level array 4 ahead. Measured and dropped (slower on the 500-
// and 1000-instrument days, beyond this VM's noise): prefetching the instrument's counters too
// (prefetch_order), a third stage 2 ahead for the order's level and queue neighbours (it must
// load the order before its prefetch has arrived: the stall moves earlier, it is not removed),
// and deeper distances (16/8/3) with an add's level and tail order.
void Books::apply_batch(const MarketEvent* evs, std::size_t n) noexcept {
  constexpr std::size_t kSlotAhead = 8, kOrderAhead = 4;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kSlotAhead < n) __builtin_prefetch(&direct_[evs[i + kSlotAhead].order_id & direct_mask_]);
    if (i + kOrderAhead < n) {
      // The direct entry was prefetched a few events ago; its order is the likely match.
      const std::uint32_t oi = direct_order(direct_[evs[i + kOrderAhead].order_id & direct_mask_]);
      if (oi != kDirectEmpty) __builtin_prefetch(&orders_[oi]);
      // An add searches its side's level array from the top: bring the top keys in too.
      const MarketEvent& e = evs[i + kOrderAhead];
      if (e.kind == EventKind::Add && e.instrument < n_instr_ && e.side != Side::None) {
        const LevelArray& a = instrs_[e.instrument].side[side_ix(e.side)];
        const std::size_t sz = a.size();
        if (sz != 0) {
          __builtin_prefetch(&a[sz - 1]);
          __builtin_prefetch(&a[sz > 8 ? sz - 8 : 0]);
        }
      }
    }
    apply(evs[i]);
  }
}

LevelView Books::best(InstrumentId instr, Side side) const noexcept {
  LevelView v;
  level(instr, side, 0, v);
  return v;
}

void Books::best_both(InstrumentId instr, LevelView& bid, LevelView& ask) const noexcept {
  bid = ask = LevelView{};
  if (instr >= n_instr_) return;
  const Instr& in = instrs_[instr];
  if (const LevelArray& a = in.side[0]; !a.empty()) {
    const Level& L = levels_[a.back().level];
    bid = LevelView{L.price(), L.qty, L.orders};
  }
  if (const LevelArray& a = in.side[1]; !a.empty()) {
    const Level& L = levels_[a.back().level];
    ask = LevelView{L.price(), L.qty, L.orders};
  }
}

bool Books::level(InstrumentId instr, Side side, std::size_t i, LevelView& out) const noexcept {
  if (instr >= n_instr_ || side == Side::None) return false;
  const auto& a = instrs_[instr].side[side_ix(side)];
  if (i >= a.size()) return false;
  const Level& L = levels_[a[a.size() - 1 - i].level];
  out = LevelView{L.price(), L.qty, L.orders};
  return true;
}

std::size_t Books::top_levels(InstrumentId instr, Side side, Price* price, Volume* qty,
                              std::size_t n) const noexcept {
  if (instr >= n_instr_ || side == Side::None) return 0;
  const auto& a = instrs_[instr].side[side_ix(side)];
  const std::size_t k = a.size() < n ? a.size() : n;
  const std::size_t top = a.size() - 1;
  for (std::size_t i = 0; i < k; ++i) {
    const Level& L = levels_[a[top - i].level];
    price[i] = L.price();
    qty[i] = L.qty;
  }
  return k;
}

std::size_t Books::depth(InstrumentId instr, Side side) const noexcept {
  if (instr >= n_instr_ || side == Side::None) return 0;
  return instrs_[instr].side[side_ix(side)].size();
}

std::size_t Books::live_orders(InstrumentId instr) const noexcept {
  return instr < n_instr_ ? static_cast<std::size_t>(instrs_[instr].live) : 0;
}

bool Books::level_at(InstrumentId instr, Side side, Price price, LevelView& out) const noexcept {
  if (instr >= n_instr_ || side == Side::None) return false;
  const LevelRef* r = find_ref(instrs_[instr], side, price);
  if (r == nullptr) return false;
  const Level& L = levels_[r->level];
  out = LevelView{L.price(), L.qty, L.orders};
  return true;
}

bool Books::level_front(InstrumentId instr, Side side, Price price, OrderId& out) const noexcept {
  if (instr >= n_instr_ || side == Side::None) return false;
  const LevelRef* r = find_ref(instrs_[instr], side, price);
  if (r == nullptr) return false;
  out = orders_[levels_[r->level].head].id;
  return true;
}

std::size_t Books::level_orders(InstrumentId instr, Side side, Price price, OrderId* ids, Qty* qty,
                                std::size_t n) const noexcept {
  if (instr >= n_instr_ || side == Side::None) return 0;
  const LevelRef* r = find_ref(instrs_[instr], side, price);
  if (r == nullptr) return 0;
  std::size_t k = 0;
  for (std::uint32_t oi = levels_[r->level].head; oi != kNil && k < n; oi = orders_[oi].next, ++k) {
    if (ids != nullptr) ids[k] = orders_[oi].id;
    if (qty != nullptr) qty[k] = orders_[oi].qty;
  }
  return k;
}

bool Books::find_order(OrderId id, OrderView& out) const noexcept {
  const std::uint32_t oi = find_index(id);
  if (oi == kNil) return false;
  const Order& o = orders_[oi];
  const Level& L = levels_[o.level];
  out = OrderView{L.instr, L.side(), L.price(), o.qty};
  return true;
}

std::vector<OrderId> Books::queue(InstrumentId instr, Side side, Price price) const {
  std::vector<OrderId> ids;
  if (instr >= n_instr_ || side == Side::None) return ids;
  const LevelRef* r = find_ref(instrs_[instr], side, price);
  if (r == nullptr) return ids;
  for (std::uint32_t oi = levels_[r->level].head; oi != kNil; oi = orders_[oi].next)
    ids.push_back(orders_[oi].id);
  return ids;
}

std::string Books::check_invariants() const {
  auto err = [](const std::string& what, std::uint64_t a, std::uint64_t b) {
    return what + " (" + std::to_string(a) + " vs " + std::to_string(b) + ")";
  };
  std::size_t orders_seen = 0, levels_seen = 0;
  std::vector<char> order_used(orders_.size(), 0);
  for (std::size_t ii = 0; ii < n_instr_; ++ii) {
    const Instr& in = instrs_[ii];
    std::uint64_t live = 0;
    for (int s = 0; s < 2; ++s) {
      const auto& a = in.side[s];
      for (std::size_t k = 0; k < a.size(); ++k) {
        if (k > 0 && a[k - 1].key >= a[k].key) return err("levels not sorted, instrument", ii, k);
        if (a[k].level >= levels_.size()) return err("level index out of range", ii, k);
        const Level& L = levels_[a[k].level];
        const Side side = s == 0 ? Side::Buy : Side::Sell;
        if (L.side() != side || L.instr != ii || key_of(side, L.price()) != a[k].key)
          return err("level identity wrong, instrument", ii, a[k].level);
        if (L.price() <= 0) return err("level price <= 0, level", a[k].level, 0);
        ++levels_seen;
        Volume sum = 0;
        std::uint32_t n = 0, prev = kNil;
        for (std::uint32_t oi = L.head; oi != kNil; oi = orders_[oi].next) {
          if (oi >= orders_.size()) return err("order index out of range", oi, 0);
          if (order_used[oi]) return err("order in two queues (or a cycle)", oi, 0);
          order_used[oi] = 1;
          const Order& o = orders_[oi];
          if (o.prev != prev) return err("broken prev link at order", oi, o.prev);
          if (o.level != a[k].level) return err("order does not point to its level", oi, o.level);
          if (o.qty == 0) return err("live order with qty 0", oi, 0);
          if (find_index(o.id) != oi) return err("order not indexed, id", o.id, oi);
          sum += o.qty;
          ++n;
          prev = oi;
        }
        if (L.tail != prev) return err("tail wrong at level", a[k].level, L.tail);
        if (n == 0) return err("empty level kept", a[k].level, 0);
        if (n != L.orders) return err("level order count wrong", n, L.orders);
        if (sum != L.qty) return err("level qty wrong", static_cast<std::uint64_t>(sum),
                                     static_cast<std::uint64_t>(L.qty));
        live += n;
      }
    }
    if (live != in.live) return err("instrument live count wrong", live, in.live);
    orders_seen += live;
  }
  if (orders_seen != live_) return err("live order count wrong", orders_seen, live_);
  if (levels_seen != live_levels_) return err("live level count wrong", levels_seen, live_levels_);
  std::size_t occupied = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const std::uint32_t so = slots_[i].order();
    if (so == kNil) continue;
    ++occupied;
    if (so >= orders_.size() || !order_used[so] || tag_of(orders_[so].id) != slots_[i].tag)
      return err("index slot points to a dead or wrong order", i, slots_[i].tag);
    // Linear probing: no empty slot between the home slot and this one.
    for (std::size_t j = home_of(slots_[i].tag); j != i; j = (j + 1) & mask_)
      if (slots_[j].order() == kNil) return err("index slot unreachable", i, j);
  }
  if (occupied != overflowed_) return err("overflow size wrong", occupied, overflowed_);
  // Direct tier: each entry holds a live order whose id maps to it, and its count covers the
  // overflow orders that map to it (unless saturated).
  std::vector<std::uint32_t> maps_here(direct_.size(), 0);
  for (const Slot& sl : slots_)
    if (sl.order() != kNil) ++maps_here[orders_[sl.order()].id & direct_mask_];
  std::size_t direct_live = 0;
  for (std::size_t i = 0; i < direct_.size(); ++i) {
    const std::uint32_t oi = direct_order(direct_[i]), count = direct_[i] >> kDirectIdxBits;
    if (count != kOverflowSaturated && count != maps_here[i])
      return err("direct entry overflow count wrong", i, count);
    if (oi == kDirectEmpty) continue;
    ++direct_live;
    if (oi >= orders_.size() || !order_used[oi] || (orders_[oi].id & direct_mask_) != i)
      return err("direct entry points to a dead or wrong order", i, oi);
  }
  if (direct_live + overflowed_ != live_) return err("index size wrong", direct_live, live_);
  std::size_t free_orders = 0;
  for (std::uint32_t oi = free_order_; oi != kNil && free_orders <= orders_.size();
       oi = orders_[oi].next)
    ++free_orders;
  free_orders += orders_.size() - fresh_order_;
  if (free_orders + live_ != orders_.size()) return err("order pool leak", free_orders, live_);
  std::size_t free_levels = 0;
  for (std::uint32_t li = free_level_; li != kNil && free_levels <= levels_.size();
       li = levels_[li].head)
    ++free_levels;
  free_levels += levels_.size() - fresh_level_;
  if (free_levels + live_levels_ != levels_.size())
    return err("level pool leak", free_levels, live_levels_);
  return {};
}

namespace {
inline char* put_int(char* p, std::int64_t v) noexcept {
  std::uint64_t u;
  if (v < 0) {
    *p++ = '-';
    u = static_cast<std::uint64_t>(-(v + 1)) + 1;
  } else {
    u = static_cast<std::uint64_t>(v);
  }
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  while (n > 0) *p++ = tmp[--n];
  return p;
}
}  // namespace

std::size_t format_lobster_row(const Books& books, InstrumentId instr, std::size_t levels,
                               char* buf) noexcept {
  char* p = buf;
  for (std::size_t i = 0; i < levels; ++i) {
    LevelView a, b;
    if (i > 0) *p++ = ',';
    if (books.level(instr, Side::Sell, i, a)) {
      p = put_int(p, a.price);
      *p++ = ',';
      p = put_int(p, a.qty);
    } else {
      p = put_int(p, kLobsterEmptyAsk);
      *p++ = ',';
      *p++ = '0';
    }
    *p++ = ',';
    if (books.level(instr, Side::Buy, i, b)) {
      p = put_int(p, b.price);
      *p++ = ',';
      p = put_int(p, b.qty);
    } else {
      p = put_int(p, kLobsterEmptyBid);
      *p++ = ',';
      *p++ = '0';
    }
  }
  return static_cast<std::size_t>(p - buf);
}

}  // namespace hft::book
