// L3 (per-order) limit order books for every instrument of a feed, fed by normalized
// MarketEvents. FIFO queue per price level, O(1) lookup by order id, pools sized at start-up
// (no allocation while running), best bid/offer and top-N levels read in O(1) per level.
// Inconsistent events (unknown order, duplicate id, over-execution, crossed book, full pool)
// are counted with their reason and never crash or corrupt the book.
//
// May touch: core/ only. Single-threaded: one thread owns a Books object.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hft/core/event.hpp"
#include "hft/core/pages.hpp"
#include "hft/core/types.hpp"

namespace hft::book {

struct BookConfig {
  std::size_t max_orders = 1u << 20;       // live orders across all instruments
  std::size_t max_levels = 1u << 16;       // live price levels across all instruments
  std::size_t max_instruments = 1u << 16;  // instrument ids must be below this
  std::size_t levels_reserve = 256;        // sorted level array reserved per side at first use
  // Touch every page of the pools at construction: a live feed sets it, so that the hot thread
  // never takes a page fault. Off: pages arrive on first use, so a replay or a tool reading a
  // small file does not pay for pools sized for a whole day (~0.7 s of page clearing at 4M orders).
  bool prefault = false;
};

// Why an event could not be applied as it stands. Counted per reason; the book is left valid.
enum class BookError : std::uint8_t {
  None = 0,
  UnknownOrder,      // execute/cancel/delete/replace/modify of an id not in the book
  DuplicateOrder,    // add (or replace target) with an id already live
  OverExecute,       // execute/cancel larger than the remaining quantity (order removed)
  ZeroQty,           // add/replace/modify/execute/cancel with quantity 0 (event dropped)
  BadPrice,          // add/replace/modify at a price <= 0
  BadSide,           // add with side None
  BadInstrument,     // instrument id >= max_instruments (add, clear)
  OrderPoolFull,     // no free order slot (event dropped)
  LevelPoolFull,     // no free level slot (event dropped)
  Count_
};
inline constexpr int kBookErrorCount = static_cast<int>(BookError::Count_);
const char* book_error_name(BookError e) noexcept;

struct LevelView {
  Price price = 0;
  Volume qty = 0;
  std::uint32_t orders = 0;
};

// What the last apply() did to one order, for readers that follow queues (the simulated
// exchange): ITCH executions and cancels carry neither side nor price, so the book says. Filled
// by apply() with a few stores; ok is false when the last event changed nothing (not a book
// event, or refused with its BookError counted). A Clear sets ok, kind and instrument only.
//   price/before/after: the order's place before the event: its price, its quantity before, and
//     the quantity it still has AT THAT PLACE after (its priority kept). after is 0 when it left
//     the place: removed (delete, full execute or cancel), replaced, moved to another price, or
//     grown (priority lost, even where the book keeps a lone order in place). Add: before = after = 0.
//   new_price/new_qty: where the order (a Replace: its new id) took a NEW place at the back of a
//     queue: Add, Replace, Modify that lost priority; new_price 0 when it took none.
struct AppliedOrder {
  bool ok = false;
  EventKind kind = EventKind::Add;
  Side side = Side::None;
  InstrumentId instrument = 0;
  OrderId id = 0;  // the order acted on (Replace: the old id)
  Price price = 0;
  Qty before = 0;
  Qty after = 0;
  Price new_price = 0;
  Qty new_qty = 0;
};

struct BookCounters {
  std::array<std::uint64_t, kBookErrorCount> errors{};  // indexed by BookError
  std::uint64_t applied = 0;          // events that changed a book
  std::uint64_t crossed = 0;          // adds that left the book crossed (bid >= ask, not locked)
  std::uint64_t locked = 0;           // adds that left the book locked (bid == ask)
  std::uint64_t level_array_grew = 0; // a side outgrew levels_reserve (an allocation, counted)
};

// The kinds that change a book (Add .. Modify, Clear); the others only inform.
constexpr bool is_book_event(EventKind k) noexcept { return k <= EventKind::Modify || k == EventKind::Clear; }

class Books {
 public:
  explicit Books(const BookConfig& cfg = {});
  ~Books();
  Books(const Books&) = delete;
  Books& operator=(const Books&) = delete;

  // Applies one event. Non-book kinds (Trade, Status, Directory, System) are ignored and
  // return None. Clear removes the instrument's orders.
  BookError apply(const MarketEvent& ev) noexcept;
  // Same as apply() on each event in order (errors land in counters()), with the order index
  // slot and the order of events a few places ahead prefetched, so their cache misses overlap.
  void apply_batch(const MarketEvent* evs, std::size_t n) noexcept;
  // The same prefetches for a caller that applies events one at a time with other work between
  // them (the engine's pipeline), in three steps, each using what the previous one brought in:
  // prefetch_index some events before apply(e), prefetch_order later, prefetch_queue (it reads
  // the order) only when the order has had time to arrive: with a few hundred ns of other work
  // per event, one event ahead. Hints only: they change nothing and may be skipped.
  void prefetch_index(const MarketEvent& e) const noexcept;  // + the instrument's line
  void prefetch_order(const MarketEvent& e) const noexcept;  // + an add's level array top
  void prefetch_queue(const MarketEvent& e) const noexcept;  // the order's level, neighbours

  // Top of book; qty 0 / price 0 when the side is empty.
  LevelView best(InstrumentId instr, Side side) const noexcept;
  // Both sides' best at once (what the engine stamps on every event): one lookup of the
  // instrument. Empty sides as best() gives them; both empty for an id >= max_instruments.
  void best_both(InstrumentId instr, LevelView& bid, LevelView& ask) const noexcept;
  // i-th occupied level from the top (0 = best); false when the side has fewer levels.
  bool level(InstrumentId instr, Side side, std::size_t i, LevelView& out) const noexcept;
  // Prices and quantities of the best min(n, depth) levels from the top into price[0..) and
  // qty[0..), in one pass (what n level() calls give, without repeating the lookups). Returns
  // how many were written.
  std::size_t top_levels(InstrumentId instr, Side side, Price* price, Volume* qty, std::size_t n) const noexcept;
  std::size_t depth(InstrumentId instr, Side side) const noexcept;  // occupied levels
  // What the last apply() changed, for readers that keep a copy of the top levels: whether it
  // added, removed or resized a level of that side at price p or better (p <= 0: at any price;
  // a Clear counts as every price). And how many book events (Add .. Clear) apply() has taken
  // for an instrument (by the event's instrument id), so that such a reader can tell that it
  // saw every one of them.
  bool last_apply_touched(Side side, Price p) const noexcept;
  std::uint64_t applied_events(InstrumentId instr) const noexcept {
    return instr < n_instr_ ? instrs_[instr].applies : 0;
  }
  std::size_t live_orders() const noexcept { return live_; }
  std::size_t live_orders(InstrumentId instr) const noexcept;

  // Level at an exact price; false when there is none.
  bool level_at(InstrumentId instr, Side side, Price price, LevelView& out) const noexcept;
  // Oldest (front of queue) order at a price level; false when there is no such level. Lets a
  // reader walk or empty a whole level without allocating (delete the front until false).
  bool level_front(InstrumentId instr, Side side, Price price, OrderId& out) const noexcept;

  // The orders at one level in FIFO (priority) order from the front: the ids and quantities of
  // the first min(n, orders at the level) into ids[0..) and qty[0..) (either may be null).
  // Returns how many were written (0: no such level). No allocation; O(returned).
  std::size_t level_orders(InstrumentId instr, Side side, Price price, OrderId* ids, Qty* qty,
                           std::size_t n) const noexcept;
  // See AppliedOrder: the effect of the last apply() on the order it acted on.
  const AppliedOrder& last_applied() const noexcept { return last_; }

  // Order lookup for tests and tools: false if unknown.
  struct OrderView {
    InstrumentId instrument;
    Side side;
    Price price;
    Qty qty;
  };
  bool find_order(OrderId id, OrderView& out) const noexcept;

  // Orders at one level in FIFO (priority) order; for tests and tools, not the hot path.
  std::vector<OrderId> queue(InstrumentId instr, Side side, Price price) const;

  // Full consistency check (level totals equal the sum of their orders, levels sorted, order
  // index agrees with the queues). O(book size): tests only. Returns an empty string when OK.
  std::string check_invariants() const;

  const BookCounters& counters() const noexcept { return counters_; }
  const BookConfig& config() const noexcept { return cfg_; }

 private:
  // Pools hold 32-bit indices, not pointers: smaller nodes, and the pools never move.
  static constexpr std::uint32_t kNil = 0xFFFFFFFFu;
  // 24 bytes: one order in four spans two cache lines. Padding to 32 aligned bytes (none
  // would) was measured on the 500-instrument day and not kept: no gain within this VM's noise
  // (if anything slower), for a third more memory on the pool that misses the most.
  struct Order {
    OrderId id;
    Qty qty;
    std::uint32_t level;  // the order's level, so execute/cancel/delete never search
    std::uint32_t prev;   // FIFO queue links (order indices)
    std::uint32_t next;   //   (next also links the free list)
  };
  static_assert(sizeof(Order) == 24);
  // 32 bytes and aligned, so no level straddles two cache lines. The side is the key's sign
  // (prices are > 0), so it needs no field of its own.
  struct alignas(32) Level {
    Price key;            // price for bids, -price for asks (as in LevelRef); 0 while free
    Volume qty;
    std::uint32_t orders;
    std::uint32_t head;   // oldest order (also links the free list)
    std::uint32_t tail;
    InstrumentId instr;
    Price price() const noexcept { return key < 0 ? -key : key; }
    Side side() const noexcept { return key < 0 ? Side::Sell : (key > 0 ? Side::Buy : Side::None); }
  };
  static_assert(sizeof(Level) == 32);
  // Sorted ascending by key with the best price at the back: key = price for bids, -price for
  // asks, so one search serves both sides and inserts near the top shift little.
  struct LevelRef {
    Price key;
    std::uint32_t level;
  };
  // 8-byte index slot: the low 32 bits of the id's hash (the home slot is recoverable from it
  // for backward-shift deletes) and the order index; a tag match is confirmed on the order.
  // The order index is stored inverted, so that a zero (never touched) slot is empty (kNil).
  struct Slot {
    std::uint32_t tag;
    std::uint32_t inv;  // ~order index
    std::uint32_t order() const noexcept { return ~inv; }
    static Slot make(std::uint32_t tag, std::uint32_t order) noexcept { return Slot{tag, ~order}; }
  };
  // A plain growable array (no std::vector insert/erase machinery on the hot path). Grows only
  // past levels_reserve, which is counted. Zero bytes are an empty array, so that the
  // instruments' table starts as fresh pages; the Books free what it reserved (release()).
  class LevelArray {
   public:
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::size_t capacity() const noexcept { return cap_; }
    const LevelRef& operator[](std::size_t i) const noexcept { return data_[i]; }
    const LevelRef& back() const noexcept { return data_[size_ - 1]; }
    void clear() noexcept { size_ = 0; }
    bool reserve(std::size_t n) noexcept;  // false: out of memory (nothing changed)
    void insert_at(std::size_t p, LevelRef r) noexcept;  // capacity checked by the caller
    void erase_at(std::size_t p) noexcept;
    void release() noexcept;  // frees the storage: empty again

   private:
    LevelRef* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t cap_ = 0;
  };
  // A fixed-size pool of trivially copyable T, on transparent huge pages where the kernel
  // allows (madvise): the order index and order pool are read at random, and with 4 KiB pages
  // nearly every such read also missed the TLB. Starts as zero bytes (fresh anonymous pages),
  // which every pool's encoding reads as empty, so nothing is written at construction
  // (core::map_pages).
  template <class T>
  class Pool {
   public:
    Pool() = default;
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;
    ~Pool() { core::unmap_pages(map_); }
    void map(std::size_t n, bool prefault) {  // n zero-byte elements
      static_assert(std::is_trivially_copyable_v<T>);
      core::unmap_pages(std::exchange(map_, core::PageMap{}));  // (empty should the next throw)
      map_ = core::map_pages(n * sizeof(T), true, prefault);
      data_ = static_cast<T*>(map_.base);
      size_ = n;
    }
    std::size_t size() const noexcept { return size_; }
    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    const T* begin() const noexcept { return data_; }
    const T* end() const noexcept { return data_ + size_; }

   private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
    core::PageMap map_;
  };
  struct Instr {  // zero bytes: no levels, no orders (see instrs_)
    LevelArray side[2];
    std::uint64_t live;
    std::uint64_t applies;  // book events taken (applied_events)
  };
  static_assert(std::is_trivially_copyable_v<Instr>);

  // The order index has two tiers. The direct tier is an array indexed by the id's low bits:
  // feeds number orders sequentially (ITCH, and DBN per channel), so a live order almost
  // always owns its direct entry and a lookup is one load, usually of a cache line that recent
  // orders share. An order whose entry is taken by a newer id (a long-lived order, or ids
  // that are not dense) moves to the overflow tier, an open-addressing hash; each direct
  // entry counts (saturating) how many overflow orders map to it, so a lookup probes the
  // overflow only when that count is not 0.
  // The index bits hold the order index XOR kDirectEmpty, so that a zero entry is empty.
  static constexpr unsigned kDirectIdxBits = 27;
  static constexpr std::uint32_t kDirectEmpty = (1u << kDirectIdxBits) - 1;  // no order
  static constexpr std::uint32_t kOverflowSaturated = (1u << (32 - kDirectIdxBits)) - 1;
  static std::uint32_t direct_order(std::uint32_t e) noexcept { return (e & kDirectEmpty) ^ kDirectEmpty; }
  static std::uint32_t direct_entry(std::uint32_t count, std::uint32_t oi) noexcept {
    return (count << kDirectIdxBits) | (oi ^ kDirectEmpty);
  }
  std::uint32_t find_index(OrderId id) const noexcept;    // order index or kNil
  void index_insert(OrderId id, std::uint32_t oi) noexcept;  // id must not be live
  void index_erase(OrderId id, std::uint32_t oi) noexcept;
  std::uint32_t tag_of(OrderId id) const noexcept;
  std::size_t home_of(std::uint32_t tag) const noexcept { return (std::size_t{tag} << 1) & mask_; }
  std::size_t find_slot(OrderId id) const noexcept;       // overflow slot index or kNoSlot
  void erase_slot(std::size_t pos) noexcept;              // backward-shift delete
  std::uint32_t level_for(Instr& in, Side side, Price price, InstrumentId instr) noexcept;
  void touch(const Level& L) noexcept;  // notes a changed level for last_apply_touched()
  void link_back(std::uint32_t oi, std::uint32_t li) noexcept;
  void unlink(std::uint32_t oi) noexcept;                 // frees the level if it empties
  void remove_level(std::uint32_t li) noexcept;
  void remove_order(std::uint32_t oi) noexcept;           // unlink + index erase + free
  bool level_room(Instr& in, Side side, Price price) noexcept;  // the side's level array can take price
  bool level_available(const Instr& in, Side side, Price price,
                       std::uint32_t freed_level) const noexcept;
  const LevelRef* find_ref(const Instr& in, Side side, Price price) const noexcept;
  BookError add(const MarketEvent& ev) noexcept;
  BookError reduce(const MarketEvent& ev) noexcept;       // execute, cancel
  BookError del(const MarketEvent& ev) noexcept;
  BookError replace(const MarketEvent& ev) noexcept;
  BookError modify(const MarketEvent& ev) noexcept;
  BookError clear(const MarketEvent& ev) noexcept;
  BookError fail(BookError e) noexcept {
    ++counters_.errors[static_cast<std::size_t>(e)];
    return e;
  }
  void check_cross(const Instr& in) noexcept;  // after an order joined a best level

  BookConfig cfg_;
  Pool<Order> orders_;
  Pool<Level> levels_;
  Pool<std::uint32_t> direct_;  // low kDirectIdxBits: order index; high: overflow count
  std::size_t direct_mask_ = 0;
  Pool<Slot> slots_;            // the overflow tier
  std::size_t overflowed_ = 0;         // orders in the overflow tier now
  // By instrument id, on fresh pages (Pool): 64 bytes for each of max_instruments ids (4 MiB
  // at the default 65,536), so a replay of a few instruments touches a few of its pages.
  Pool<Instr> instrs_;
  std::size_t n_instr_ = 0;  // instrs_.size(), kept to avoid a division per event
  std::size_t instr_hi_ = 0;  // 1 + the highest id whose level arrays were reserved (to free)
  std::size_t mask_ = 0;
  int slot_bits_ = 0;
  // Free slots: the recycled ones (a LIFO list, recently used memory) and then the never used
  // ones from fresh_* up (their pages untouched until then).
  std::uint32_t free_order_ = kNil;
  std::uint32_t free_level_ = kNil;
  std::uint32_t fresh_order_ = 0;
  std::uint32_t fresh_level_ = 0;
  std::uint32_t take_order() noexcept;  // live_ < orders_.size() must hold
  std::uint32_t take_level() noexcept;  // live_levels_ < levels_.size() must hold
  std::size_t live_ = 0;
  std::size_t live_levels_ = 0;
  BookCounters counters_;
  std::array<Price, 2> touched_{};  // per side: best key changed by the last apply (see touch)
  AppliedOrder last_;               // see last_applied()
};

// Writes one LOBSTER orderbook row (ask price 1, ask size 1, bid price 1, bid size 1, ...) for
// the top `levels` levels into buf; empty levels as LOBSTER writes them. Returns the length.
// buf must hold at least levels * 4 * 21 bytes.
std::size_t format_lobster_row(const Books& books, InstrumentId instr, std::size_t levels,
                               char* buf) noexcept;

}  // namespace hft::book
