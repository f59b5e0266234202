// Market data cleaning (step 1): a stage after the book (the book has applied the event) and
// before features. Each rule looks at one event and the book after it, may fire, and its action
// says what happens: Flag (quality bit only), Drop (downstream stages skip the event; the book
// has already applied it, the book counts its own errors), Halt (stop trading the instrument
// until the rule's condition clears). Every firing is counted per rule and instrument; every
// event gets a quality bitmask (bit r = rule r fired).
//
// Per event: O(1) for every rule but the price jump rule, which costs O(W) on the events that
// carry a price for it (insert/remove in a sorted window of W int64: two binary searches and
// memmoves of at most W entries; the MAD, by merging the deviations outward from the median in
// W/2 steps, only for a price farther from the median than the threshold's floor).
// No allocation after construction (apply() may allocate: it is called at a safe point).
//
// May touch: core/, book/ (reads Books::best only). Single-threaded: one thread owns a Cleaner.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/event.hpp"
#include "hft/core/page_arena.hpp"
#include "hft/core/types.hpp"

namespace hft::clean {

enum class Action : std::uint8_t { Flag, Drop, Halt };
const char* action_name(Action a) noexcept;

// When a Halt clears (also: the halt bit of a rule clears when the rule is disabled by apply()):
//   kStale          event carries evflag::kStale (the feed lost messages: MoldTracker's rule).
//                   Clears at the instrument's first event without kStale.
//   kCrossed        best bid > best ask after the event (checked at group ends, see CleanConfig)
//                   while the feed says the instrument trades (Trading or Unknown state: a book
//                   in a halt or quotation period may cross legitimately; kHalted covers it).
//                   Clears at the first check that finds the book not crossed.
//   kLocked         best bid == best ask, same conditions and clearing as kCrossed.
//   kHalted         the feed's trading state is Halted or Quotation (after a halt): Status
//                   event (ITCH 'H' / LOBSTER type 7). Fires on every event of the instrument
//                   while it lasts; clears at a Status event with Trading.
//   kLuld           the feed's trading state is Paused (ITCH 'H' with 'P': the LULD trading
//                   pause) or Quotation after a pause. Clears at Status Trading.
//                   (The ITCH decoder emits no event for 'J' LULD auction collars or 'Y' Reg SHO,
//                   so those are not seen here.)
//   kBadSize        qty 0, or above max_qty (a negative size cast to unsigned lands there), on
//                   Add, Execute, Cancel, Replace, Modify, Trade. Clears at the instrument's next
//                   such event with a good size.
//   kBadPrice       price <= 0 on Add, Replace, Modify, Trade (Execute price 0 = unknown, fine).
//                   Clears at the next such event with a good price.
//   kTimeBackwards  ts_exch < previous ts_exch of the instrument - max_backwards_ns (the
//                   previous is the last event's, good or bad: one bad stamp fires once, not on
//                   every event after it). Clears at the next event in order. Snapshot
//                   events (evflag::kSnapshot) are not checked and do not set the previous.
//   kPriceJump      price p (trade print, or mid after the group: CleanConfig::jump_series) with
//                   |p - median| > jump_k * MAD + floor over the last jump_window prices of the
//                   instrument, floor = max(jump_min_abs, median * jump_min_bps / 1e4), once the
//                   window holds jump_min_samples. Every price enters the window, outliers too
//                   (the median ignores a few; a real level shift is accepted after W/2 prices).
//                   Clears at the next price that is not a jump.
//   kOutsideBand    Add / Replace / Modify price outside +-band_bps of the reference (the last
//                   uncrossed mid before the event, or the last trade: band_reference). No
//                   reference yet: not checked. Clears at the next quote inside the band.
//   kBadInstrument  instrument id >= max_instruments: counted in the total only (no per
//                   instrument slot), no other rule is evaluated; Flag or Drop (validate()
//                   refuses Halt: there is no instrument to halt).
// Counts are of events on which a rule fired (a halt lasting 100 events counts 100; the halts
// themselves are counted in CleanCounters::halts_entered). Verdict::halted is the instrument's
// state after the event, whichever event set it.
enum Rule : std::uint8_t {
  kStale = 0,
  kCrossed,
  kLocked,
  kHalted,
  kLuld,
  kBadSize,
  kBadPrice,
  kTimeBackwards,
  kPriceJump,
  kOutsideBand,
  kBadInstrument,
  kRuleCount
};
static_assert(kRuleCount <= 32, "quality is a 32-bit mask");

constexpr std::uint32_t bit(Rule r) noexcept { return std::uint32_t{1} << r; }

struct RuleConfig {
  bool enabled = true;
  Action action = Action::Flag;
};

enum class JumpSeries : std::uint8_t { Trade, Mid };     // prices the jump rule watches
enum class BandReference : std::uint8_t { Mid, LastTrade };

struct CleanConfig {
  std::array<RuleConfig, kRuleCount> rules = default_rules();

  // crossed / locked: checked only on the last event of a source event group (evflag::kLast:
  // a packet, a DBN F_LAST group, a LOBSTER row), whose book is consistent; inside a group the
  // book may be half-updated. false: after every event.
  bool book_check_group_end_only = true;
  Qty max_qty = 0x7FFFFFFFu;                 // bad size above this
  Nanos max_backwards_ns = 0;                // tolerated step back of ts_exch
  JumpSeries jump_series = JumpSeries::Trade;
  std::uint32_t jump_window = 64;            // W: prices in the rolling window, 3..1024
  std::uint32_t jump_min_samples = 16;       // no verdict before the window holds this many
  double jump_k = 10.0;                      // MADs
  double jump_min_bps = 10.0;                // floor of the threshold, bps of the median
  Price jump_min_abs = 0;                    // floor of the threshold, price units
  std::uint32_t jump_max_instruments = 8192; // instruments with a price window (pool, first come)
  BandReference band_reference = BandReference::Mid;
  double band_bps = 1000.0;                  // +-10 % around the reference

  static constexpr std::array<RuleConfig, kRuleCount> default_rules() {
    std::array<RuleConfig, kRuleCount> r{};
    r[kStale] = {true, Action::Halt};
    r[kCrossed] = {true, Action::Halt};
    r[kLocked] = {true, Action::Flag};
    r[kHalted] = {true, Action::Halt};
    r[kLuld] = {true, Action::Halt};
    r[kBadSize] = {true, Action::Drop};
    r[kBadPrice] = {true, Action::Drop};
    r[kTimeBackwards] = {true, Action::Flag};
    r[kPriceJump] = {true, Action::Flag};
    r[kOutsideBand] = {true, Action::Flag};
    r[kBadInstrument] = {true, Action::Drop};
    return r;
  }
};

// Empty when valid; else every error as "name: reason", separated by "; ".
std::string validate(const CleanConfig& cfg);

struct Verdict {
  std::uint32_t quality = 0;  // bit(rule) for every rule that fired on this event
  bool drop = false;          // a fired rule's action is Drop: downstream skips the event
  bool halted = false;        // trading on the instrument is halted after this event
};

// Median and MAD of a rolling window of int64 prices, kept sorted. Exposed for tests.
class MadWindow {
 public:
  // Uses storage for 2 * cap values owned by the caller (ring + sorted copy).
  void init(Price* storage, std::uint32_t cap) noexcept {
    ring_ = storage;
    sorted_ = storage + cap;
    cap_ = cap;
    n_ = 0;
    head_ = 0;
  }
  void clear() noexcept { n_ = head_ = 0; }
  void push(Price p) noexcept;             // O(W): evicts the oldest when full
  std::uint32_t size() const noexcept { return n_; }
  double median() const noexcept;          // size() > 0
  double mad() const noexcept;             // median of |x - median|; size() > 0
  const Price* sorted() const noexcept { return sorted_; }

 private:
  Price* ring_ = nullptr;
  Price* sorted_ = nullptr;
  std::uint32_t cap_ = 0;
  std::uint32_t n_ = 0;
  std::uint32_t head_ = 0;  // ring index of the oldest value when full
};

struct CleanCounters {
  std::uint64_t events = 0;
  std::uint64_t dropped = 0;                           // verdicts with drop
  std::uint64_t flagged = 0;                           // verdicts with quality != 0
  std::array<std::uint64_t, kRuleCount> halts_entered{};  // halt bits set (0 -> 1) per rule
  std::uint64_t jump_pool_full = 0;  // prices not checked: no free window for the instrument
};

class Cleaner {
 public:
  // prefault: write the jump windows' storage at start (a live engine: no page fault on the hot
  // thread at an instrument's first price); otherwise its pages arrive on first use.
  explicit Cleaner(const CleanConfig& cfg, std::size_t max_instruments = 65536, bool prefault = false);

  // ev has been applied to books; the book rules read its best levels (Books::best).
  Verdict on_event(const MarketEvent& ev, const book::Books& books) noexcept;
  // The same with the best levels after the event already at hand (the engine has them).
  Verdict on_event(const MarketEvent& ev, const book::LevelView& best_bid, const book::LevelView& best_ask) noexcept;

  // Trading halted on the instrument by a Halt action (any rule whose halt has not cleared).
  bool halted(InstrumentId id) const noexcept {
    return id < n_instr_ && inst_[id].halt_mask != 0;
  }
  std::uint32_t halt_mask(InstrumentId id) const noexcept {
    return id < n_instr_ ? inst_[id].halt_mask : 0;
  }
  TradingState trading_state(InstrumentId id) const noexcept {
    return id < n_instr_ ? inst_[id].state : TradingState::Unknown;
  }
  // Events on which the rule fired, for one instrument (0 when out of range) and in total.
  std::uint64_t count(Rule r, InstrumentId id) const noexcept {
    return id < n_instr_ ? counts_[std::size_t{id} * kRuleCount + r] : 0;
  }
  std::uint64_t count(Rule r) const noexcept { return totals_[r]; }
  const CleanCounters& counters() const noexcept { return c_; }
  const CleanConfig& config() const noexcept { return cfg_; }
  std::size_t max_instruments() const noexcept { return n_instr_; }

  static const char* rule_name(Rule r) noexcept;

  // Takes new thresholds and actions (call between events). Throws std::invalid_argument with
  // validate()'s message when invalid (the running config is kept). A new jump_window or
  // jump_max_instruments empties the price windows (reallocates). Halts held by a rule that
  // is now disabled or no longer Halt are released.
  void apply(const CleanConfig& cfg);
  // The same for a config already validated (on another thread), at a safe point of the hot
  // thread: never allocates or throws. The window sizing (jump_window, jump_max_instruments,
  // jump_series) keeps its running value: it needs a restart.
  void apply_rules(CleanConfig cfg) noexcept;

 private:
  void release_halts() noexcept;  // halts held by a rule that no longer halts are released
  template <class BestLevels>
  Verdict check(const MarketEvent& ev, BestLevels&& best) noexcept;
  struct Inst {
    Nanos last_ts = 0;
    Price last_trade = 0;
    Price last_mid = 0;          // last uncrossed two-sided mid (x2: bid + ask, exact)
    std::uint32_t halt_mask = 0;
    std::uint32_t window = 0;    // jump window slot + 1; 0: none yet (so zero bytes are a new Inst)
    TradingState state = TradingState::Unknown;
    bool seen = false;           // last_ts valid
    bool paused = false;         // the current non-trading period began with Paused (LULD)
  };

  void alloc_windows();
  MadWindow* window_for(Inst& in) noexcept;
  // A rule fired: quality bit, counts, and its action (drop, or a halt bit held until pass()).
  void fire(Rule r, Inst& in, InstrumentId id, Verdict& v) noexcept;
  void pass(Rule r, Inst& in) noexcept { in.halt_mask &= ~bit(r); }
  bool on(Rule r) const noexcept { return cfg_.rules[r].enabled; }
  bool jump_check(Inst& in, InstrumentId id, Price p, Verdict& v) noexcept;

  CleanConfig cfg_;
  std::size_t n_instr_;
  bool prefault_ = false;
  // Per-instrument state and counts for every possible id, on fresh pages (zero bytes are a new
  // Inst and a zero count): only the instruments a run sees are touched; written at start live.
  core::PageArena arena_;
  Inst* inst_ = nullptr;              // [instrument]
  std::uint64_t* counts_ = nullptr;   // [instrument][rule]
  std::array<std::uint64_t, kRuleCount> totals_{};
  std::unique_ptr<Price[]> window_store_;
  std::vector<MadWindow> windows_;
  std::uint32_t windows_used_ = 0;
  CleanCounters c_;
};

}  // namespace hft::clean
