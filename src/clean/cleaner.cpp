#include "hft/clean/cleaner.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace hft::clean {

const char* action_name(Action a) noexcept {
  switch (a) {
    case Action::Flag: return "flag";
    case Action::Drop: return "drop";
    case Action::Halt: return "halt";
  }
  return "?";
}

const char* Cleaner::rule_name(Rule r) noexcept {
  switch (r) {
    case kStale: return "stale";
    case kCrossed: return "crossed";
    case kLocked: return "locked";
    case kHalted: return "halted";
    case kLuld: return "luld";
    case kBadSize: return "bad_size";
    case kBadPrice: return "bad_price";
    case kTimeBackwards: return "time_backwards";
    case kPriceJump: return "price_jump";
    case kOutsideBand: return "outside_band";
    case kBadInstrument: return "bad_instrument";
    case kRuleCount: break;
  }
  return "?";
}

std::string validate(const CleanConfig& c) {
  std::string err;
  auto add = [&err](const std::string& s) {
    if (!err.empty()) err += "; ";
    err += s;
  };
  for (int r = 0; r < kRuleCount; ++r) {
    const Action a = c.rules[static_cast<std::size_t>(r)].action;
    if (a != Action::Flag && a != Action::Drop && a != Action::Halt)
      add(std::string(Cleaner::rule_name(static_cast<Rule>(r))) + ".action: must be flag, drop or halt");
  }
  if (c.rules[kBadInstrument].action == Action::Halt)
    add("bad_instrument.action: must be flag or drop (there is no instrument to halt)");
  if (c.max_qty == 0) add("max_qty: must be > 0");
  if (c.max_backwards_ns < 0)
    add("max_backwards_ns: must be >= 0, got " + std::to_string(c.max_backwards_ns));
  if (c.jump_window < 3 || c.jump_window > 1024)
    add("jump_window: must be in 3..1024, got " + std::to_string(c.jump_window));
  if (c.jump_min_samples < 1 || c.jump_min_samples > c.jump_window)
    add("jump_min_samples: must be in 1..jump_window, got " + std::to_string(c.jump_min_samples));
  if (!(c.jump_k > 0) || !std::isfinite(c.jump_k))
    add("jump_k: must be a finite number > 0, got " + std::to_string(c.jump_k));
  if (!(c.jump_min_bps >= 0) || !std::isfinite(c.jump_min_bps))
    add("jump_min_bps: must be a finite number >= 0, got " + std::to_string(c.jump_min_bps));
  if (c.jump_min_abs < 0) add("jump_min_abs: must be >= 0, got " + std::to_string(c.jump_min_abs));
  if (c.jump_max_instruments < 1 || c.jump_max_instruments > (1u << 20))
    add("jump_max_instruments: must be in 1..1048576, got " + std::to_string(c.jump_max_instruments));
  if (!(c.band_bps > 0) || !std::isfinite(c.band_bps))
    add("band_bps: must be a finite number > 0, got " + std::to_string(c.band_bps));
  return err;
}

// ---- MadWindow ----

void MadWindow::push(Price p) noexcept {
  if (n_ == cap_) {
    // Evict the oldest from the sorted copy, then insert p: two memmoves of at most W values.
    const Price old = ring_[head_];
    ring_[head_] = p;
    head_ = head_ + 1 == cap_ ? 0 : head_ + 1;
    Price* at = std::lower_bound(sorted_, sorted_ + n_, old);  // present: it was inserted
    std::memmove(at, at + 1, static_cast<std::size_t>(sorted_ + n_ - at - 1) * sizeof(Price));
    --n_;
  } else {
    ring_[n_] = p;
  }
  Price* at = std::upper_bound(sorted_, sorted_ + n_, p);
  std::memmove(at + 1, at, static_cast<std::size_t>(sorted_ + n_ - at) * sizeof(Price));
  *at = p;
  ++n_;
}

double MadWindow::median() const noexcept {
  const std::uint32_t lo = (n_ - 1) / 2, hi = n_ / 2;
  return (static_cast<double>(sorted_[lo]) + static_cast<double>(sorted_[hi])) / 2.0;
}

// The deviations |x - m| of a sorted window are two sorted runs going outward from the median
// (left: m - s[i] for i = lo, lo-1, ...; right: s[j] - m for j = lo+1, ...): merging them
// yields the deviations in order, so the median deviation is reached after n/2 steps.
double MadWindow::mad() const noexcept {
  const double m = median();
  const std::int64_t n = n_;
  const std::int64_t k_lo = (n - 1) / 2, k_hi = n / 2;
  std::int64_t i = (n - 1) / 2, j = i + 1;
  double a = 0, b = 0;
  for (std::int64_t k = 0; k <= k_hi; ++k) {
    double d;
    const double dl = i >= 0 ? m - static_cast<double>(sorted_[i]) : HUGE_VAL;
    const double dr = j < n ? static_cast<double>(sorted_[j]) - m : HUGE_VAL;
    if (dl <= dr) {
      d = dl;
      --i;
    } else {
      d = dr;
      ++j;
    }
    if (k == k_lo) a = d;
    if (k == k_hi) b = d;
  }
  return (a + b) / 2.0;
}

// ---- Cleaner ----

Cleaner::Cleaner(const CleanConfig& cfg, std::size_t max_instruments, bool prefault)
    : cfg_(cfg), n_instr_(max_instruments), prefault_(prefault) {
  if (const std::string e = validate(cfg); !e.empty()) throw std::invalid_argument("clean: " + e);
  inst_ = arena_.array<Inst>(n_instr_);
  counts_ = arena_.array<std::uint64_t>(n_instr_ * kRuleCount);
  if (prefault_) arena_.prefault();
  alloc_windows();
}

void Cleaner::alloc_windows() {
  const std::size_t slots = std::min<std::size_t>(cfg_.jump_max_instruments, n_instr_);
  // Left uninitialised: a window reads only the values it was given, so an instrument's slots
  // are touched (paged in) when it first has prices, not at start for every possible one.
  window_store_ = std::make_unique_for_overwrite<Price[]>(slots * 2 * cfg_.jump_window);
  if (prefault_) std::memset(window_store_.get(), 0, slots * 2 * cfg_.jump_window * sizeof(Price));
  windows_.assign(slots, MadWindow{});
  for (std::size_t s = 0; s < slots; ++s)
    windows_[s].init(window_store_.get() + s * 2 * cfg_.jump_window, cfg_.jump_window);
  windows_used_ = 0;
}

void Cleaner::apply(const CleanConfig& cfg) {
  if (const std::string e = validate(cfg); !e.empty()) throw std::invalid_argument("clean: " + e);
  const bool realloc = cfg.jump_window != cfg_.jump_window ||
                       cfg.jump_max_instruments != cfg_.jump_max_instruments ||
                       cfg.jump_series != cfg_.jump_series;
  cfg_ = cfg;
  if (realloc) {
    alloc_windows();
    for (std::size_t i = 0; i < n_instr_; ++i)  // (writes only where a window was given)
      if (inst_[i].window != 0) inst_[i].window = 0;
  }
  release_halts();
}

void Cleaner::release_halts() noexcept {
  std::uint32_t may_halt = 0;
  for (int r = 0; r < kRuleCount; ++r) {
    const RuleConfig& rc = cfg_.rules[static_cast<std::size_t>(r)];
    if (rc.enabled && rc.action == Action::Halt) may_halt |= bit(static_cast<Rule>(r));
  }
  for (std::size_t i = 0; i < n_instr_; ++i)  // (writes only where a halt is released)
    if ((inst_[i].halt_mask & ~may_halt) != 0) inst_[i].halt_mask &= may_halt;
}

void Cleaner::apply_rules(CleanConfig cfg) noexcept {
  cfg.jump_window = cfg_.jump_window;
  cfg.jump_max_instruments = cfg_.jump_max_instruments;
  cfg.jump_series = cfg_.jump_series;
  cfg_ = cfg;
  release_halts();
}

MadWindow* Cleaner::window_for(Inst& in) noexcept {
  if (in.window == 0) {
    if (windows_used_ == windows_.size()) return nullptr;
    in.window = ++windows_used_;
  }
  return &windows_[in.window - 1];
}

void Cleaner::fire(Rule r, Inst& in, InstrumentId id, Verdict& v) noexcept {
  v.quality |= bit(r);
  ++counts_[std::size_t{id} * kRuleCount + r];
  ++totals_[r];
  switch (cfg_.rules[r].action) {
    case Action::Flag: break;
    case Action::Drop: v.drop = true; break;
    case Action::Halt:
      if (!(in.halt_mask & bit(r))) ++c_.halts_entered[r];
      in.halt_mask |= bit(r);
      break;
  }
}

bool Cleaner::jump_check(Inst& in, InstrumentId id, Price p, Verdict& v) noexcept {
  MadWindow* w = window_for(in);
  if (w == nullptr) {
    ++c_.jump_pool_full;
    return false;
  }
  bool fired = false;
  if (w->size() >= cfg_.jump_min_samples) {
    const double med = w->median();
    // Mid prices are kept doubled (bid + ask, exact), so the absolute floor doubles with them.
    const double abs_floor = static_cast<double>(cfg_.jump_min_abs) *
                             (cfg_.jump_series == JumpSeries::Mid ? 2.0 : 1.0);
    const double floor = std::max(abs_floor, std::fabs(med) * cfg_.jump_min_bps * 1e-4);
    const double dev = std::fabs(static_cast<double>(p) - med);
    // MAD >= 0, so a price within the floor cannot fire: the O(W) MAD is computed only for
    // the few prices beyond it.
    if (dev > floor && dev > cfg_.jump_k * w->mad() + floor) {
      fire(kPriceJump, in, id, v);
      fired = true;
    } else {
      pass(kPriceJump, in);
    }
  }
  w->push(p);
  return fired;
}

Verdict Cleaner::on_event(const MarketEvent& ev, const book::Books& books) noexcept {
  return check(ev, [&](book::LevelView& bid, book::LevelView& ask) {
    bid = books.best(ev.instrument, Side::Buy);
    ask = books.best(ev.instrument, Side::Sell);
  });
}

Verdict Cleaner::on_event(const MarketEvent& ev, const book::LevelView& best_bid,
                          const book::LevelView& best_ask) noexcept {
  return check(ev, [&](book::LevelView& bid, book::LevelView& ask) {
    bid = best_bid;
    ask = best_ask;
  });
}

// best(bid, ask) fills in the book's best levels after ev, called only when a book rule needs them.
template <class BestLevels>
Verdict Cleaner::check(const MarketEvent& ev, BestLevels&& best) noexcept {
  Verdict v;
  ++c_.events;
  const InstrumentId id = ev.instrument;
  if (id >= n_instr_) [[unlikely]] {
    if (on(kBadInstrument)) {
      v.quality = bit(kBadInstrument);
      v.drop = cfg_.rules[kBadInstrument].action == Action::Drop;
      ++totals_[kBadInstrument];
      ++c_.flagged;
      if (v.drop) ++c_.dropped;
    }
    return v;
  }
  Inst& in = inst_[id];

  if (on(kStale)) {
    if (ev.flags & evflag::kStale) fire(kStale, in, id, v);
    else pass(kStale, in);
  }

  // Feed trading state. Quotation keeps the cause of the period it ends (halt or LULD pause).
  if (ev.kind == EventKind::Status) {
    const auto s = static_cast<TradingState>(ev.aux);
    switch (s) {
      case TradingState::Halted: in.paused = false; break;
      case TradingState::Paused: in.paused = true; break;
      case TradingState::Quotation: break;
      default: in.paused = false; break;  // Trading, or a state we do not know
    }
    in.state = s;
  }
  const bool not_trading = in.state == TradingState::Halted || in.state == TradingState::Paused ||
                           in.state == TradingState::Quotation;
  if (on(kHalted)) {
    if (not_trading && !in.paused) fire(kHalted, in, id, v);
    else pass(kHalted, in);
  }
  if (on(kLuld)) {
    if (not_trading && in.paused) fire(kLuld, in, id, v);
    else pass(kLuld, in);
  }

  // A snapshot record's stamp is the snapshot's, not the exchange's time of an event: it is
  // neither checked nor the reference for the next event's check.
  if (!(ev.flags & evflag::kSnapshot)) {
    if (on(kTimeBackwards)) {
      // The step back in unsigned arithmetic: exact for any two int64 stamps (no overflow on a
      // garbage stamp).
      if (in.seen && ev.ts_exch < in.last_ts &&
          udiff(in.last_ts, ev.ts_exch) > static_cast<std::uint64_t>(cfg_.max_backwards_ns))
        fire(kTimeBackwards, in, id, v);
      else pass(kTimeBackwards, in);
    }
    in.last_ts = ev.ts_exch;
    in.seen = true;
  }

  bool sized = false, priced = false, quote = false;
  switch (ev.kind) {
    case EventKind::Add:
    case EventKind::Replace:
    case EventKind::Modify: sized = priced = quote = true; break;
    case EventKind::Execute:
    case EventKind::Cancel: sized = true; break;
    case EventKind::Trade: sized = priced = true; break;
    default: break;
  }
  if (sized && on(kBadSize)) {
    if (ev.qty == 0 || ev.qty > cfg_.max_qty) fire(kBadSize, in, id, v);
    else pass(kBadSize, in);
  }
  if (priced && on(kBadPrice)) {
    if (ev.price <= 0) fire(kBadPrice, in, id, v);
    else pass(kBadPrice, in);
  }
  // Band: against the reference from before this event (the mid after it includes the quote).
  if (quote && ev.price > 0 && on(kOutsideBand)) {
    const double ref = cfg_.band_reference == BandReference::Mid
                           ? static_cast<double>(in.last_mid) / 2.0
                           : static_cast<double>(in.last_trade);
    if (ref > 0) {
      if (std::fabs(static_cast<double>(ev.price) - ref) > ref * cfg_.band_bps * 1e-4)
        fire(kOutsideBand, in, id, v);
      else
        pass(kOutsideBand, in);
    }
  }
  // A trade print: an execution with its price, or a trade, of a good size.
  if ((ev.kind == EventKind::Execute || ev.kind == EventKind::Trade) && ev.price > 0 &&
      ev.qty > 0 && ev.qty <= cfg_.max_qty) {
    if (cfg_.jump_series == JumpSeries::Trade && on(kPriceJump)) jump_check(in, id, ev.price, v);
    in.last_trade = ev.price;
  }

  if (!cfg_.book_check_group_end_only || (ev.flags & evflag::kLast)) {
    book::LevelView bid, ask;
    best(bid, ask);
    const bool two_sided = bid.qty > 0 && ask.qty > 0;
    if (!not_trading) {
      if (on(kCrossed)) {
        if (two_sided && bid.price > ask.price) fire(kCrossed, in, id, v);
        else pass(kCrossed, in);
      }
      if (on(kLocked)) {
        if (two_sided && bid.price == ask.price) fire(kLocked, in, id, v);
        else pass(kLocked, in);
      }
    }
    if (two_sided && bid.price < ask.price) {
      const Price mid2 = bid.price + ask.price;
      if (mid2 != in.last_mid && cfg_.jump_series == JumpSeries::Mid && on(kPriceJump))
        jump_check(in, id, mid2, v);
      in.last_mid = mid2;
    }
  }

  v.halted = in.halt_mask != 0;
  if (v.drop) ++c_.dropped;
  if (v.quality) ++c_.flagged;
  return v;
}

}  // namespace hft::clean
