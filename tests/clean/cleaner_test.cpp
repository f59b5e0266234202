// The cleaner on small synthetic streams: each kind of bad data triggers exactly its rule, with
// the configured action (flag / drop / halt), counted per rule and instrument; clean data
// triggers nothing; halts clear when their condition clears. The MAD window is checked against
// a direct sorted-window computation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/clean/cleaner.hpp"

namespace hft::clean {
namespace {

constexpr InstrumentId kA = 1;
constexpr InstrumentId kB = 2;
constexpr Price kBid = 1000000;  // $100.00
constexpr Price kAsk = 1001000;  // $100.10

book::BookConfig small_book() {
  book::BookConfig c;
  c.max_orders = 1024;
  c.max_levels = 256;
  c.max_instruments = 16;
  c.levels_reserve = 4;
  return c;
}

// Books + Cleaner, fed event by event as the pipeline does (book first, then the cleaner).
struct Rig {
  explicit Rig(const CleanConfig& cfg = {}) : books(small_book()), cleaner(cfg, 16) {}
  book::Books books;
  Cleaner cleaner;
  Nanos ts = 1'000'000;
  OrderId next_id = 1;

  Verdict feed(MarketEvent e) {
    books.apply(e);
    return cleaner.on_event(e, books);
  }
  MarketEvent base(InstrumentId instr, EventKind k) {
    MarketEvent e;
    e.instrument = instr;
    e.kind = k;
    e.ts_exch = (ts += 1000);
    e.flags = evflag::kLast;
    return e;
  }
  Verdict add(InstrumentId instr, Side s, Price p, Qty q, OrderId* id = nullptr) {
    MarketEvent e = base(instr, EventKind::Add);
    e.order_id = next_id++;
    e.side = s;
    e.price = p;
    e.qty = q;
    if (id) *id = e.order_id;
    return feed(e);
  }
  Verdict del(InstrumentId instr, OrderId id) {
    MarketEvent e = base(instr, EventKind::Delete);
    e.order_id = id;
    return feed(e);
  }
  Verdict trade(InstrumentId instr, Price p, Qty q) {
    MarketEvent e = base(instr, EventKind::Trade);
    e.price = p;
    e.qty = q;
    e.side = Side::Buy;
    e.flags |= evflag::kPrintable;
    return feed(e);
  }
  Verdict status(InstrumentId instr, TradingState s) {
    MarketEvent e = base(instr, EventKind::Status);
    e.aux = static_cast<std::uint8_t>(s);
    return feed(e);
  }
  // A two-sided book: bid $100.00 x 100, ask $100.10 x 100.
  void seed(InstrumentId instr) {
    ASSERT_EQ(add(instr, Side::Buy, kBid, 100).quality, 0u);
    ASSERT_EQ(add(instr, Side::Sell, kAsk, 100).quality, 0u);
  }
  std::uint64_t total() const {
    std::uint64_t t = 0;
    for (int r = 0; r < kRuleCount; ++r) t += cleaner.count(static_cast<Rule>(r));
    return t;
  }
};

// Exactly this rule (and no other) counted, n times on instrument `instr`.
void expect_only(const Rig& rig, Rule r, InstrumentId instr, std::uint64_t n) {
  for (int q = 0; q < kRuleCount; ++q) {
    const auto rq = static_cast<Rule>(q);
    const std::uint64_t want = rq == r ? n : 0;
    EXPECT_EQ(rig.cleaner.count(rq), want) << Cleaner::rule_name(rq);
    EXPECT_EQ(rig.cleaner.count(rq, instr), want) << Cleaner::rule_name(rq);
  }
}

TEST(Clean, CleanDataTriggersNothing) {
  Rig rig;
  rig.seed(kA);
  rig.seed(kB);
  std::mt19937 rng(7);
  std::vector<OrderId> live;
  for (int i = 0; i < 2000; ++i) {
    const InstrumentId in = (i % 2) ? kA : kB;
    Verdict v;
    switch (rng() % 4) {
      case 0: {  // a quote behind the top, inside the band
        OrderId id;
        const bool buy = rng() % 2;
        const Price p = buy ? kBid - 100 * static_cast<Price>(rng() % 20)
                            : kAsk + 100 * static_cast<Price>(rng() % 20);
        v = rig.add(in, buy ? Side::Buy : Side::Sell, p, 100 + static_cast<Qty>(rng() % 900), &id);
        live.push_back(id);
        break;
      }
      case 1:  // a print near the quotes
        v = rig.trade(in, kBid + 100 * static_cast<Price>(rng() % 11), 1 + static_cast<Qty>(rng() % 500));
        break;
      case 2:
        if (!live.empty()) {
          const OrderId id = live.back();
          live.pop_back();
          book::Books::OrderView ov;
          ASSERT_TRUE(rig.books.find_order(id, ov));
          v = rig.del(ov.instrument, id);
        }
        break;
      default: v = rig.status(in, TradingState::Trading); break;
    }
    ASSERT_EQ(v.quality, 0u) << "event " << i;
    ASSERT_FALSE(v.drop);
    ASSERT_FALSE(v.halted);
  }
  EXPECT_EQ(rig.total(), 0u);
  EXPECT_EQ(rig.cleaner.counters().flagged, 0u);
  EXPECT_EQ(rig.cleaner.counters().dropped, 0u);
  EXPECT_GT(rig.cleaner.counters().events, 1900u);  // every kind of event went through
}

TEST(Clean, StaleHaltsUntilFreshData) {
  Rig rig;
  rig.seed(kA);
  rig.seed(kB);
  MarketEvent e = rig.base(kA, EventKind::Trade);
  e.price = kBid;
  e.qty = 10;
  e.flags |= evflag::kStale;
  Verdict v = rig.feed(e);
  EXPECT_EQ(v.quality, bit(kStale));
  EXPECT_TRUE(v.halted);
  EXPECT_FALSE(v.drop);
  EXPECT_TRUE(rig.cleaner.halted(kA));
  EXPECT_FALSE(rig.cleaner.halted(kB));
  e.ts_exch += 10;
  v = rig.feed(e);  // still stale
  EXPECT_EQ(v.quality, bit(kStale));
  EXPECT_EQ(rig.cleaner.counters().halts_entered[kStale], 1u);  // one halt, two events
  v = rig.trade(kA, kBid, 10);  // fresh
  EXPECT_EQ(v.quality, 0u);
  EXPECT_FALSE(v.halted);
  EXPECT_FALSE(rig.cleaner.halted(kA));
  expect_only(rig, kStale, kA, 2);
  EXPECT_EQ(rig.cleaner.count(kStale, kB), 0u);
}

TEST(Clean, CrossedBookHaltsUntilUncrossed) {
  Rig rig;
  rig.seed(kA);
  OrderId id;
  Verdict v = rig.add(kA, Side::Buy, kAsk + 100, 50, &id);  // bid $100.11 > ask $100.10
  EXPECT_EQ(v.quality, bit(kCrossed));
  EXPECT_TRUE(v.halted);
  EXPECT_FALSE(v.drop);
  v = rig.trade(kA, kAsk, 10);  // still crossed after this event
  EXPECT_EQ(v.quality, bit(kCrossed));
  v = rig.del(kA, id);
  EXPECT_EQ(v.quality, 0u);
  EXPECT_FALSE(v.halted);
  expect_only(rig, kCrossed, kA, 2);
  EXPECT_EQ(rig.cleaner.counters().halts_entered[kCrossed], 1u);
}

TEST(Clean, LockedBookFlagged) {
  Rig rig;
  rig.seed(kA);
  OrderId id;
  Verdict v = rig.add(kA, Side::Buy, kAsk, 50, &id);  // bid == ask
  EXPECT_EQ(v.quality, bit(kLocked));
  EXPECT_FALSE(v.halted);
  EXPECT_FALSE(v.drop);
  EXPECT_EQ(rig.del(kA, id).quality, 0u);
  expect_only(rig, kLocked, kA, 1);
}

TEST(Clean, BookCheckedOnlyAtGroupEnd) {
  Rig rig;
  rig.seed(kA);
  // Inside one group the book crosses for a moment (the add lands before the delete that
  // makes room for it): not a crossed book.
  MarketEvent a = rig.base(kA, EventKind::Add);
  a.order_id = 900;
  a.side = Side::Buy;
  a.price = kAsk + 100;
  a.qty = 10;
  a.flags = 0;
  EXPECT_EQ(rig.feed(a).quality, 0u);
  MarketEvent d = rig.base(kA, EventKind::Delete);
  d.order_id = 900;
  EXPECT_EQ(rig.feed(d).quality, 0u);
  EXPECT_EQ(rig.total(), 0u);
  // Checked after every event when configured so.
  CleanConfig cfg;
  cfg.book_check_group_end_only = false;
  Rig every(cfg);
  every.seed(kA);
  a.flags = 0;
  EXPECT_EQ(every.feed(a).quality, bit(kCrossed));
  EXPECT_EQ(every.feed(d).quality, 0u);
  expect_only(every, kCrossed, kA, 1);
}

TEST(Clean, FeedHaltUntilTradingResumes) {
  Rig rig;
  rig.seed(kA);
  Verdict v = rig.status(kA, TradingState::Halted);
  EXPECT_EQ(v.quality, bit(kHalted));
  EXPECT_TRUE(v.halted);
  // A crossed book during the halt (orders gather for the reopening cross) is not a crossed
  // book fault: the halt covers it.
  OrderId id;
  v = rig.add(kA, Side::Buy, kAsk + 500, 10, &id);
  EXPECT_EQ(v.quality, bit(kHalted));
  v = rig.status(kA, TradingState::Quotation);  // quotation period after the halt
  EXPECT_EQ(v.quality, bit(kHalted));
  EXPECT_TRUE(rig.cleaner.halted(kA));
  EXPECT_FALSE(rig.cleaner.halted(kB));
  rig.del(kA, id);  // the cross executes / order leaves before trading resumes
  v = rig.status(kA, TradingState::Trading);
  EXPECT_EQ(v.quality, 0u);
  EXPECT_FALSE(v.halted);
  expect_only(rig, kHalted, kA, 4);
  EXPECT_EQ(rig.cleaner.counters().halts_entered[kHalted], 1u);
}

TEST(Clean, LuldPauseUntilTradingResumes) {
  Rig rig;
  rig.seed(kA);
  Verdict v = rig.status(kA, TradingState::Paused);
  EXPECT_EQ(v.quality, bit(kLuld));
  EXPECT_TRUE(v.halted);
  EXPECT_EQ(rig.trade(kA, kBid, 10).quality, bit(kLuld));
  EXPECT_EQ(rig.status(kA, TradingState::Quotation).quality, bit(kLuld));  // pause's quote period
  v = rig.status(kA, TradingState::Trading);
  EXPECT_EQ(v.quality, 0u);
  EXPECT_FALSE(v.halted);
  EXPECT_EQ(rig.cleaner.trading_state(kA), TradingState::Trading);
  expect_only(rig, kLuld, kA, 3);
}

TEST(Clean, BadSizeDropped) {
  Rig rig;
  rig.seed(kA);
  Verdict v = rig.add(kA, Side::Buy, kBid, 0);  // zero size
  EXPECT_EQ(v.quality, bit(kBadSize));
  EXPECT_TRUE(v.drop);
  EXPECT_FALSE(v.halted);
  v = rig.trade(kA, kBid, static_cast<Qty>(-5));  // a negative size cast to unsigned
  EXPECT_EQ(v.quality, bit(kBadSize));
  EXPECT_TRUE(v.drop);
  MarketEvent c = rig.base(kA, EventKind::Cancel);
  c.order_id = 1;
  c.qty = 0;
  EXPECT_EQ(rig.feed(c).quality, bit(kBadSize));
  MarketEvent d = rig.base(kA, EventKind::Delete);  // a delete carries no size: not checked
  d.order_id = 1;
  EXPECT_EQ(rig.feed(d).quality, 0u);
  expect_only(rig, kBadSize, kA, 3);
  EXPECT_EQ(rig.cleaner.counters().dropped, 3u);
}

TEST(Clean, BadPriceDropped) {
  Rig rig;
  rig.seed(kA);
  Verdict v = rig.add(kA, Side::Sell, 0, 100);
  EXPECT_EQ(v.quality, bit(kBadPrice));
  EXPECT_TRUE(v.drop);
  v = rig.trade(kA, -5, 100);
  EXPECT_EQ(v.quality, bit(kBadPrice));
  MarketEvent x = rig.base(kA, EventKind::Execute);  // execute without a price: unknown, fine
  x.order_id = 1;
  x.qty = 10;
  EXPECT_EQ(rig.feed(x).quality, 0u);
  expect_only(rig, kBadPrice, kA, 2);
}

TEST(Clean, TimeBackwardsPerInstrument) {
  CleanConfig cfg;
  cfg.max_backwards_ns = 100;
  Rig rig(cfg);
  MarketEvent e = rig.base(kA, EventKind::System);
  e.ts_exch = 10'000;
  EXPECT_EQ(rig.feed(e).quality, 0u);
  e.ts_exch = 9'950;  // back 50 ns: tolerated
  EXPECT_EQ(rig.feed(e).quality, 0u);
  e.ts_exch = 9'000;  // back 950 ns
  Verdict v = rig.feed(e);
  EXPECT_EQ(v.quality, bit(kTimeBackwards));
  EXPECT_FALSE(v.drop);
  EXPECT_FALSE(v.halted);
  e.ts_exch = 9'500;  // in order after the bad one: fires once, not on every later event
  EXPECT_EQ(rig.feed(e).quality, 0u);
  MarketEvent o = rig.base(kB, EventKind::System);  // another instrument has its own clock
  o.ts_exch = 1;
  EXPECT_EQ(rig.feed(o).quality, 0u);
  expect_only(rig, kTimeBackwards, kA, 1);
  EXPECT_EQ(rig.cleaner.count(kTimeBackwards, kB), 0u);
  // Garbage stamps at the ends of the range: judged without overflow (UBSan checks).
  o.ts_exch = std::numeric_limits<Nanos>::max();
  EXPECT_EQ(rig.feed(o).quality, 0u);
  o.ts_exch = std::numeric_limits<Nanos>::min();
  EXPECT_EQ(rig.feed(o).quality, bit(kTimeBackwards));
  o.ts_exch = std::numeric_limits<Nanos>::max();
  EXPECT_EQ(rig.feed(o).quality, 0u);
  EXPECT_EQ(rig.cleaner.count(kTimeBackwards, kB), 1u);
}

// Snapshot events carry the snapshot's stamp (DBN: its receive time), not an event time: a
// live event after them is judged against the previous live event only, and a snapshot
// stamped before the live events does not fire.
TEST(Clean, SnapshotEventsDoNotDriveTheTimeRule) {
  Rig rig;
  MarketEvent e = rig.base(kA, EventKind::System);
  e.ts_exch = 10'000;
  EXPECT_EQ(rig.feed(e).quality, 0u);
  MarketEvent snap = rig.base(kA, EventKind::Add);
  snap.flags |= evflag::kSnapshot;
  snap.order_id = 77;
  snap.side = Side::Buy;
  snap.price = kBid;
  snap.qty = 5;
  snap.ts_exch = 50'000;  // later than the live events around it
  EXPECT_EQ(rig.feed(snap).quality, 0u);
  e.ts_exch = 20'000;  // after the last live event: in order
  EXPECT_EQ(rig.feed(e).quality, 0u);
  snap.order_id = 78;
  snap.ts_exch = 1;  // a snapshot stamped long before: not judged
  EXPECT_EQ(rig.feed(snap).quality, 0u);
  EXPECT_EQ(rig.cleaner.count(kTimeBackwards, kA), 0u);
  e.ts_exch = 15'000;  // a live step back is still caught
  EXPECT_EQ(rig.feed(e).quality, bit(kTimeBackwards));
  expect_only(rig, kTimeBackwards, kA, 1);
}

TEST(Clean, PriceJumpAgainstRollingMad) {
  Rig rig;
  rig.seed(kA);
  const CleanConfig& cfg = rig.cleaner.config();
  // Warm-up: a wild print before jump_min_samples prices is not judged.
  EXPECT_EQ(rig.trade(kA, kBid * 2, 10).quality, 0u);
  for (std::uint32_t i = 0; i < cfg.jump_window; ++i)
    ASSERT_EQ(rig.trade(kA, kBid + 100 * static_cast<Price>(i % 5), 10).quality, 0u) << i;
  // Window: 100.00..100.04, median 100.02, MAD 1 cent -> threshold 10 MAD + max(0, 10 bps of
  // the median = 10.0 cents) = 20 cents.
  Verdict v = rig.trade(kA, kBid + 200 + 2100, 10);  // 21 cents above the median
  EXPECT_EQ(v.quality, bit(kPriceJump));
  EXPECT_FALSE(v.drop);
  EXPECT_FALSE(v.halted);
  EXPECT_EQ(rig.trade(kA, kBid + 200 + 1900, 10).quality, 0u);  // 19 cents: inside
  EXPECT_EQ(rig.trade(kA, kBid - 2000, 10).quality, bit(kPriceJump));  // down
  expect_only(rig, kPriceJump, kA, 2);
}

TEST(Clean, PriceJumpHaltClearsAtNextNormalPrice) {
  CleanConfig cfg;
  cfg.rules[kPriceJump].action = Action::Halt;
  cfg.jump_window = 8;
  cfg.jump_min_samples = 8;
  Rig rig(cfg);
  for (int i = 0; i < 8; ++i) rig.trade(kA, kBid + 100 * (i % 2), 10);
  Verdict v = rig.trade(kA, kBid * 3, 10);
  EXPECT_EQ(v.quality, bit(kPriceJump));
  EXPECT_TRUE(v.halted);
  EXPECT_TRUE(rig.cleaner.halted(kA));
  v = rig.status(kA, TradingState::Trading);  // no price: the halt stays
  EXPECT_TRUE(v.halted);
  v = rig.trade(kA, kBid, 10);
  EXPECT_EQ(v.quality, 0u);
  EXPECT_FALSE(v.halted);
  expect_only(rig, kPriceJump, kA, 1);
}

// A reload that changes the jump windows takes every instrument's window back: with room for one
// window after it, the first instrument to trade again gets it and the other is counted as
// unchecked, whichever window each held before (a stale slot would index past the new pool).
TEST(Clean, JumpWindowsReloadedAreHandedOutAgain) {
  CleanConfig cfg;
  cfg.jump_window = 8;
  cfg.jump_min_samples = 8;
  cfg.jump_max_instruments = 2;
  Rig rig(cfg);
  for (int i = 0; i < 8; ++i) {
    rig.trade(kA, kBid + 100 * (i % 2), 10);
    rig.trade(kB, kBid + 100 * (i % 2), 10);
  }
  EXPECT_EQ(rig.trade(kB, kBid * 3, 10).quality, bit(kPriceJump));  // B's window is full: judged
  EXPECT_EQ(rig.cleaner.counters().jump_pool_full, 0u);
  CleanConfig one = cfg;
  one.jump_max_instruments = 1;
  one.jump_window = 4;
  one.jump_min_samples = 4;
  rig.cleaner.apply(one);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rig.trade(kB, kBid + 100 * (i % 2), 10).quality, 0u);  // B first: the one window
  EXPECT_EQ(rig.trade(kB, kBid * 3, 10).quality, bit(kPriceJump));  // judged on the new window
  EXPECT_EQ(rig.cleaner.counters().jump_pool_full, 0u);
  EXPECT_EQ(rig.trade(kA, kBid * 3, 10).quality, 0u);  // A: no window left, not judged
  EXPECT_EQ(rig.cleaner.counters().jump_pool_full, 1u);
}

TEST(Clean, PriceJumpOnMidSeries) {
  CleanConfig cfg;
  cfg.jump_series = JumpSeries::Mid;
  cfg.jump_window = 16;
  cfg.jump_min_samples = 8;
  cfg.rules[kOutsideBand].enabled = false;  // the far quote is what we want to see as a jump
  Rig rig(cfg);
  rig.seed(kA);
  for (int i = 0; i < 6; ++i) {  // an ask at $100.09 comes and goes: mids 100.045 / 100.05
    OrderId id;
    ASSERT_EQ(rig.add(kA, Side::Sell, kAsk - 100, 10, &id).quality, 0u);
    ASSERT_EQ(rig.del(kA, id).quality, 0u);
  }
  // The best bid leaves and a far one is the best: mid falls by ~$5 -> a mid jump.
  OrderId low;
  ASSERT_EQ(rig.add(kA, Side::Buy, kBid - 100000, 10, &low).quality, 0u);
  Verdict v = rig.del(kA, 1);  // order 1 is the seed bid
  EXPECT_EQ(v.quality, bit(kPriceJump));
  expect_only(rig, kPriceJump, kA, 1);
}

TEST(Clean, QuoteOutsideBand) {
  Rig rig;
  // No reference yet: an add into an empty book is not judged.
  EXPECT_EQ(rig.add(kA, Side::Buy, 10, 100).quality, 0u);
  rig.seed(kA);  // mid $100.05, band +-10 %: 90.045 .. 110.055
  Verdict v = rig.add(kA, Side::Buy, 800000, 100);  // $80
  EXPECT_EQ(v.quality, bit(kOutsideBand));
  EXPECT_FALSE(v.drop);
  EXPECT_FALSE(v.halted);
  EXPECT_EQ(rig.add(kA, Side::Buy, 905000, 100).quality, 0u);   // $90.50 inside
  EXPECT_EQ(rig.add(kA, Side::Sell, 1110000, 100).quality, bit(kOutsideBand));  // $111
  EXPECT_EQ(rig.add(kA, Side::Sell, 1100000, 100).quality, 0u);  // $110 inside
  expect_only(rig, kOutsideBand, kA, 2);
  // Against the last trade instead of the mid.
  CleanConfig cfg;
  cfg.band_reference = BandReference::LastTrade;
  cfg.band_bps = 100;  // +-1 %
  Rig lt(cfg);
  lt.seed(kB);  // no trade yet: not judged
  EXPECT_EQ(lt.add(kB, Side::Buy, 900000, 1).quality, 0u);
  lt.trade(kB, 1000000, 10);
  EXPECT_EQ(lt.add(kB, Side::Buy, 985000, 1).quality, bit(kOutsideBand));
  EXPECT_EQ(lt.add(kB, Side::Buy, 995000, 1).quality, 0u);
  expect_only(lt, kOutsideBand, kB, 1);
}

TEST(Clean, BadInstrumentDroppedAndCountedInTotal) {
  Rig rig;  // 16 instruments
  MarketEvent e = rig.base(40, EventKind::Add);
  e.order_id = 5;
  e.side = Side::Buy;
  e.price = kBid;
  e.qty = 1;
  Verdict v = rig.feed(e);
  EXPECT_EQ(v.quality, bit(kBadInstrument));
  EXPECT_TRUE(v.drop);
  EXPECT_FALSE(v.halted);
  EXPECT_FALSE(rig.cleaner.halted(40));
  EXPECT_EQ(rig.cleaner.count(kBadInstrument), 1u);
  EXPECT_EQ(rig.cleaner.count(kBadInstrument, 40), 0u);  // no per-instrument slot
}

TEST(Clean, ActionsAndEnableAreConfigurable) {
  CleanConfig cfg;
  cfg.rules[kLocked].action = Action::Drop;
  cfg.rules[kOutsideBand].action = Action::Halt;
  cfg.rules[kBadSize].enabled = false;
  Rig rig(cfg);
  rig.seed(kA);
  OrderId id;
  Verdict v = rig.add(kA, Side::Buy, kAsk, 5, &id);
  EXPECT_EQ(v.quality, bit(kLocked));
  EXPECT_TRUE(v.drop);
  EXPECT_FALSE(v.halted);
  rig.del(kA, id);
  v = rig.add(kA, Side::Buy, 10, 0);  // out of band and zero size; size rule disabled
  EXPECT_EQ(v.quality, bit(kOutsideBand));
  EXPECT_TRUE(v.halted);
  EXPECT_EQ(rig.cleaner.count(kBadSize), 0u);
  // A reload that makes the band rule Flag releases the halt it held.
  CleanConfig flag = cfg;
  flag.rules[kOutsideBand].action = Action::Flag;
  rig.cleaner.apply(flag);
  EXPECT_FALSE(rig.cleaner.halted(kA));
  // Counts survive a reload.
  EXPECT_EQ(rig.cleaner.count(kOutsideBand, kA), 1u);
  EXPECT_EQ(rig.cleaner.count(kLocked, kA), 1u);
}

TEST(Clean, CountsPerInstrument) {
  Rig rig;
  rig.seed(kA);
  rig.seed(kB);
  rig.status(kA, TradingState::Halted);
  rig.status(kB, TradingState::Halted);
  rig.trade(kB, kBid, 1);
  EXPECT_EQ(rig.cleaner.count(kHalted, kA), 1u);
  EXPECT_EQ(rig.cleaner.count(kHalted, kB), 2u);
  EXPECT_EQ(rig.cleaner.count(kHalted), 3u);
  EXPECT_EQ(rig.cleaner.count(kHalted, 3), 0u);
  EXPECT_EQ(rig.cleaner.count(kHalted, 1000), 0u);  // out of range: 0, no crash
}

TEST(Clean, ValidateReportsEveryError) {
  EXPECT_EQ(validate(CleanConfig{}), "");
  CleanConfig c;
  c.jump_window = 2;
  c.jump_min_samples = 0;
  c.jump_k = -1;
  c.band_bps = 0;
  c.max_backwards_ns = -1;
  c.rules[kBadInstrument].action = Action::Halt;
  const std::string e = validate(c);
  for (const char* want : {"jump_window", "jump_min_samples", "jump_k", "band_bps",
                           "max_backwards_ns", "bad_instrument.action"})
    EXPECT_NE(e.find(want), std::string::npos) << want << " in " << e;
  EXPECT_THROW(Cleaner(c, 4), std::invalid_argument);
  Cleaner ok(CleanConfig{}, 4);
  EXPECT_THROW(ok.apply(c), std::invalid_argument);
  EXPECT_EQ(ok.config().jump_window, CleanConfig{}.jump_window);  // running config kept
}

TEST(Clean, RuleNamesDistinct) {
  std::vector<std::string> names;
  for (int r = 0; r < kRuleCount; ++r) names.emplace_back(Cleaner::rule_name(static_cast<Rule>(r)));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_EQ(std::count(names.begin(), names.end(), std::string("?")), 0);
}

// Median and MAD of the rolling window against sorting the last W values directly.
struct Direct {
  double median = 0, mad = 0;
};
Direct direct(const std::vector<Price>& hist, std::size_t w) {
  const std::size_t n = std::min(w, hist.size());
  std::vector<Price> s(hist.end() - static_cast<std::ptrdiff_t>(n), hist.end());
  std::sort(s.begin(), s.end());
  auto med = [](const std::vector<double>& v) { return (v[(v.size() - 1) / 2] + v[v.size() / 2]) / 2.0; };
  std::vector<double> d(s.begin(), s.end());
  Direct r;
  r.median = med(d);
  for (double& x : d) x = std::fabs(x - r.median);
  std::sort(d.begin(), d.end());
  r.mad = med(d);
  return r;
}

TEST(MadWindow, EqualsSortedWindowComputation) {
  std::mt19937_64 rng(42);
  for (std::uint32_t w : {3u, 4u, 5u, 16u, 63u, 64u, 257u}) {
    std::vector<Price> store(2 * w);
    MadWindow mw;
    mw.init(store.data(), w);
    std::vector<Price> hist;
    for (int i = 0; i < 3000; ++i) {
      // Ties (small range), trends and outliers mixed.
      Price p;
      switch (rng() % 4) {
        case 0: p = 1000000 + static_cast<Price>(rng() % 7) * 100; break;
        case 1: p = 1000000 + i * 3; break;
        case 2: p = static_cast<Price>(rng() % 5000000) + 1; break;
        default: p = hist.empty() ? 1000000 : hist.back(); break;
      }
      mw.push(p);
      hist.push_back(p);
      ASSERT_EQ(mw.size(), std::min<std::size_t>(w, hist.size()));
      const Direct d = direct(hist, w);
      ASSERT_EQ(mw.median(), d.median) << "w " << w << " i " << i;
      ASSERT_EQ(mw.mad(), d.mad) << "w " << w << " i " << i;
      ASSERT_TRUE(std::is_sorted(mw.sorted(), mw.sorted() + mw.size()));
    }
  }
}

}  // namespace
}  // namespace hft::clean
