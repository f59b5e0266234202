// The cleaner with its default config on real LOBSTER days (NASDAQ, 2012-06-21, 09:30-16:00,
// continuous trading only): the books are never crossed or locked at a row's end, there are no
// halts, stale data, bad sizes or prices, or timestamps going back (LOBSTER's files are built
// from a clean ITCH day and checked so in PROVENANCE.md), no quote outside +-10 % of the mid
// (a level-N file only holds events inside the top N levels), and the price jump count equals
// the same rule computed here directly from the trade prints with sorted windows. And real ITCH
// trading actions become halts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "../common/unzip_once.hpp"
#include "hft/book/order_book.hpp"
#include "hft/clean/cleaner.hpp"
#include "hft/lobster/lobster.hpp"
#include "hft/sources/open.hpp"

namespace hft::clean {
namespace {


std::string sample(const std::string& ticker, int levels) {
  const std::string msg = hft::testing::lobster_sample(ticker, levels, "clean");
  EXPECT_FALSE(msg.empty()) << ticker << " level " << levels;
  return msg;
}

// The jump rule written out directly: sort the previous W prints, median, sort the deviations,
// median, compare.
// Returns the indices (into prints) of the jumps.
std::vector<std::size_t> direct_jumps(const std::vector<Price>& prints, const CleanConfig& c) {
  std::vector<std::size_t> out;
  auto med = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return (v[(v.size() - 1) / 2] + v[v.size() / 2]) / 2.0;
  };
  for (std::size_t i = 0; i < prints.size(); ++i) {
    const std::size_t w = std::min<std::size_t>(c.jump_window, i);
    if (w < c.jump_min_samples) continue;
    std::vector<double> win(prints.begin() + static_cast<std::ptrdiff_t>(i - w),
                            prints.begin() + static_cast<std::ptrdiff_t>(i));
    const double m = med(win);
    for (double& x : win) x = std::fabs(x - m);
    const double mad = med(win);
    const double floor = std::max(static_cast<double>(c.jump_min_abs), std::fabs(m) * c.jump_min_bps * 1e-4);
    if (std::fabs(static_cast<double>(prints[i]) - m) > c.jump_k * mad + floor) {
      out.push_back(i);
      std::printf("[ clean    ]   jump at print %zu: $%.4f, window median $%.4f, MAD $%.4f\n", i,
                  static_cast<double>(prints[i]) / 1e4, m / 1e4, mad / 1e4);
    }
  }
  return out;
}

struct DayResult {
  std::uint64_t events = 0;
  std::vector<Price> prints;
  std::vector<std::size_t> jump_prints;  // indices into prints where the cleaner fired
  std::array<std::uint64_t, kRuleCount> from_verdicts{};
  std::uint64_t halted_events = 0;
  std::uint64_t dropped = 0;
};

void run_day(const std::string& ticker, int levels) {
  const std::string path = sample(ticker, levels);
  auto src = sources::open_source({"lobster", path});
  book::Books books;
  const CleanConfig cfg;
  Cleaner cleaner(cfg, 16);
  Cleaner given_top(cfg, 16);  // fed the best levels the way the engine does (not the books)
  DayResult r;
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::size_t n;
  while ((n = src->next(buf)) > 0) {
    for (std::size_t i = 0; i < n; ++i) {
      const MarketEvent& e = buf[i];
      books.apply(e);
      const Verdict v = cleaner.on_event(e, books);
      const Verdict w = given_top.on_event(e, books.best(e.instrument, Side::Buy), books.best(e.instrument, Side::Sell));
      EXPECT_TRUE(v.quality == w.quality && v.drop == w.drop && v.halted == w.halted) << "event " << r.events;
      ++r.events;
      for (int q = 0; q < kRuleCount; ++q)
        if (v.quality & bit(static_cast<Rule>(q))) ++r.from_verdicts[static_cast<std::size_t>(q)];
      r.halted_events += v.halted;
      r.dropped += v.drop;
      if ((e.kind == EventKind::Execute || e.kind == EventKind::Trade) && e.price > 0 && e.qty > 0) {
        if (v.quality & bit(kPriceJump)) r.jump_prints.push_back(r.prints.size());
        r.prints.push_back(e.price);
      } else {
        EXPECT_FALSE(v.quality & bit(kPriceJump));  // the default series is trade prints
      }
    }
  }
  ASSERT_GT(r.events, 50000u);
  std::printf("[ clean    ] %s level %d: %llu events, %zu trade prints\n", ticker.c_str(), levels,
              static_cast<unsigned long long>(r.events), r.prints.size());
  for (int q = 0; q < kRuleCount; ++q) {
    const auto rule = static_cast<Rule>(q);
    std::printf("[ clean    ]   %-15s %llu\n", Cleaner::rule_name(rule),
                static_cast<unsigned long long>(cleaner.count(rule)));
    // Every count is on the one instrument and agrees with the verdicts' bits.
    EXPECT_EQ(cleaner.count(rule), cleaner.count(rule, lobster::kLobsterInstrument)) << Cleaner::rule_name(rule);
    EXPECT_EQ(cleaner.count(rule), r.from_verdicts[static_cast<std::size_t>(q)]) << Cleaner::rule_name(rule);
  }
  for (Rule rule : {kStale, kCrossed, kLocked, kHalted, kLuld, kBadSize, kBadPrice, kTimeBackwards,
                    kOutsideBand, kBadInstrument})
    EXPECT_EQ(cleaner.count(rule), 0u) << Cleaner::rule_name(rule);
  // The same prints, at the same places, as the direct computation.
  const std::vector<std::size_t> want_jumps = direct_jumps(r.prints, cfg);
  EXPECT_EQ(r.jump_prints, want_jumps);
  EXPECT_EQ(cleaner.count(kPriceJump), want_jumps.size());
  EXPECT_EQ(r.halted_events, 0u);  // only Flag rules fired
  EXPECT_EQ(r.dropped, 0u);
  EXPECT_EQ(cleaner.counters().events, r.events);
  EXPECT_EQ(cleaner.counters().jump_pool_full, 0u);
}

// Real ITCH 'H' (Stock Trading Action) messages off the wire (OMI sample captures): the decoder
// makes Status events, the cleaner turns 'P' (the LULD pause) into kLuld and 'H' into kHalted,
// halting exactly those instruments; 'T' (trading) fires nothing.
TEST(CleanReal, ItchTradingActions) {
  book::Books books;
  Cleaner cleaner(CleanConfig{}, 65536);
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::uint64_t events = 0;
  for (const char* f : {"20230822_StockTradingAction.pcap", "StockTradingActionMessage.pcap"}) {
    auto src = sources::open_source({"pcap", std::string(HFT_SHARED_DATA) + "/omi-itch50-pcap/" + f});
    std::size_t n;
    while ((n = src->next(buf)) > 0)
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(buf[i].kind, EventKind::Status);
        books.apply(buf[i]);
        cleaner.on_event(buf[i], books);
        ++events;
      }
  }
  EXPECT_EQ(events, 6u);
  for (InstrumentId id : {11325u, 11320u, 6285u}) {  // 'P'
    EXPECT_EQ(cleaner.count(kLuld, id), 1u) << id;
    EXPECT_TRUE(cleaner.halted(id)) << id;
    EXPECT_EQ(cleaner.trading_state(id), TradingState::Paused);
  }
  for (InstrumentId id : {1707u, 2378u}) {  // 'H'
    EXPECT_EQ(cleaner.count(kHalted, id), 1u) << id;
    EXPECT_TRUE(cleaner.halted(id)) << id;
  }
  EXPECT_FALSE(cleaner.halted(464));  // 'T'
  EXPECT_EQ(cleaner.trading_state(464), TradingState::Trading);
  EXPECT_EQ(cleaner.count(kLuld), 3u);
  EXPECT_EQ(cleaner.count(kHalted), 2u);
  EXPECT_EQ(cleaner.counters().flagged, 5u);
  EXPECT_EQ(cleaner.counters().halts_entered[kLuld] + cleaner.counters().halts_entered[kHalted], 5u);
}

TEST(CleanReal, AmznLevel5) { run_day("AMZN", 5); }
TEST(CleanReal, AaplLevel1) { run_day("AAPL", 1); }

}  // namespace
}  // namespace hft::clean
