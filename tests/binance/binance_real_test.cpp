// The shared Binance captures (futures 2024-08-08; spot 2024-08-08 + 2024-08-09 as one stream):
// the rebuilt market-by-price book equals bookTicker whenever both describe the same update id;
// continuity never breaks; a gap cut into the stream makes the instrument stale until a snapshot.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "binance_common.hpp"
#include "hft/binance/binance_source.hpp"
#include "hft/clean/cleaner.hpp"

namespace hft::binance {
namespace {

using testing::Replay;

void check_capture(const std::vector<std::string>& paths, const char* name, std::uint64_t want_applied) {
  if (!std::filesystem::exists(paths[0])) GTEST_SKIP() << "no shared data at " << paths[0];
  Replay r;
  GzLines g(paths);
  std::string_view l;
  while (g.next(l)) r.line(l);
  r.dec.finish();
  EXPECT_EQ(g.truncated_files(), 0u);
  for (int e = 0; e < kErrorCount; ++e)
    EXPECT_EQ(r.dec.errors(static_cast<Error>(e)), 0u) << error_name(static_cast<Error>(e)) << ": "
                                                       << r.dec.first_error(static_cast<Error>(e));
  ASSERT_EQ(r.dec.instruments().size(), 1u);
  const auto& v = r.dec.instruments()[0];
  EXPECT_EQ(v.gaps, 0u);
  EXPECT_EQ(v.sync, Sync::Synced);
  EXPECT_EQ(r.dec.counts(kApplied), want_applied);
  EXPECT_GT(r.ticker_checks, 100u);
  EXPECT_EQ(r.ticker_mismatches, 0u) << r.first_mismatch;
  EXPECT_EQ(r.crossed_groups, 0u);  // after each message (inside one, a touch may move in two steps)
  EXPECT_EQ(r.books.check_invariants(), "");
  for (int e = 1; e < book::kBookErrorCount; ++e)
    EXPECT_EQ(r.books.counters().errors[static_cast<std::size_t>(e)], 0u) << book::book_error_name(static_cast<book::BookError>(e));
  std::printf("[binance %s] lines %llu, diffs applied %llu, dropped (u <= lastUpdateId) %llu, gaps %llu; "
              "bookTicker %llu, with the same update id as an applied diff %llu (diff after the ticker: %llu): "
              "book equals bookTicker in %llu\n",
              name, static_cast<unsigned long long>(r.dec.counts(kLines)),
              static_cast<unsigned long long>(r.dec.counts(kApplied)),
              static_cast<unsigned long long>(r.dec.counts(kDroppedOld)), static_cast<unsigned long long>(v.gaps),
              static_cast<unsigned long long>(r.tickers), static_cast<unsigned long long>(r.ticker_checks),
              static_cast<unsigned long long>(r.checks_depth_after),
              static_cast<unsigned long long>(r.ticker_checks - r.ticker_mismatches));
}

TEST(BinanceReal, FuturesBookEqualsBookTickerAtTheSameUpdateId) {
  check_capture({testing::kFutures}, "usdm 0808", 6547);
}

TEST(BinanceReal, SpotTwoFilesAsOneStreamEqualBookTicker) {
  check_capture({testing::kSpot0808, testing::kSpot0809}, "spot 0808+0809", 6493);
}

// The source through the SOURCE string: events, epoch times, instruments with their scales.
TEST(BinanceReal, SourceStringOpensBothSpotFiles) {
  if (!std::filesystem::exists(testing::kSpot0808)) GTEST_SKIP();
  feed::FeedOptions fo;
  fo.instruments = testing::btc_defs();
  auto src = open_binance_source(testing::kSpot0808 + "," + testing::kSpot0809, fo);
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::uint64_t n = 0, trades = 0;
  Nanos prev_trade = 0;
  while (std::size_t k = src->next(buf)) {
    for (std::size_t i = 0; i < k; ++i) {
      const auto& e = buf[i];
      if (e.kind == EventKind::Trade) {
        ++trades;
        EXPECT_GE(e.ts_exch, prev_trade);
        prev_trade = e.ts_exch;
        EXPECT_GT(e.ts_exch, 1'723'000'000'000'000'000LL);  // ns since the epoch (Aug 2024)
        EXPECT_GT(e.ts_recv, 1'723'000'000'000'000'000LL);
      }
    }
    n += k;
  }
  EXPECT_EQ(trades, 9757u + 10147u);
  EXPECT_EQ(src->stats().events, n);
  EXPECT_TRUE(src->stats().errors.empty());
  ASSERT_EQ(src->instruments().size(), 1u);
  EXPECT_EQ(src->instruments()[0].symbol, "BTCUSDT");
  EXPECT_EQ(src->instruments()[0].price_scale, 100);
  EXPECT_EQ(src->instruments()[0].qty_scale, 1000000);
  EXPECT_EQ(src->time_basis(), feed::TimeBasis::SinceEpoch);
}

// A snapshot line of the book as it stands (what the REST endpoint would have returned).
std::string snapshot_line(const book::Books& b, InstrumentId id, std::uint64_t last_u, Nanos local,
                          const InstrumentScale& sc) {
  std::string s = std::to_string(local) + " {\"lastUpdateId\":" + std::to_string(last_u) + ",\"bids\":[";
  for (int side = 0; side < 2; ++side) {
    if (side == 1) s += "],\"asks\":[";
    book::LevelView lv;
    for (std::size_t i = 0; b.level(id, side == 0 ? Side::Buy : Side::Sell, i, lv); ++i) {
      if (i) s += ',';
      s += "[\"" + format_decimal(lv.price, sc.price_scale) + "\",\"" + format_decimal(lv.qty, sc.qty_scale) + "\"]";
    }
  }
  return s + "]}";
}

TEST(BinanceReal, GapMakesStaleUntilTheNextSnapshot) {
  if (!std::filesystem::exists(testing::kFutures)) GTEST_SKIP();
  const auto lines = testing::read_lines({testing::kFutures});
  // The reference run, to know the book at the line where a new snapshot is inserted.
  std::size_t cut = 0, snap_at = 0;
  std::string snap;
  {
    Replay ref;
    std::size_t depth_after_snapshot = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const LineKind k = ref.line(lines[i]);
      if (k == LineKind::Depth && ref.dec.instruments()[0].sync == Sync::Synced && ++depth_after_snapshot == 2000)
        cut = i;  // this diff is removed from the cut stream
      if (cut && !snap_at && i >= cut + 3000) {
        snap_at = i;
        const auto& v = ref.dec.instruments()[0];
        const Nanos local = std::stoll(lines[i].substr(0, lines[i].find(' ')));
        snap = snapshot_line(ref.books, v.id, v.last_u, local, v.scale);
      }
    }
    ASSERT_GT(cut, 0u);
    ASSERT_GT(snap_at, 0u);
  }
  Replay r;
  clean::Cleaner cl(clean::CleanConfig{});
  bool stale_seen = false, halted_seen = false;
  std::uint64_t stale_events = 0;
  std::uint64_t gaps = 0;
  auto feed = [&](std::string_view l) {
    const LineKind k = r.line(l);
    if (r.dec.errors(kGap) != gaps) {
      gaps = r.dec.errors(kGap);
      std::printf("gap at line %llu: %s\n", static_cast<unsigned long long>(r.dec.line_number()), std::string(l.substr(0, 120)).c_str());
    }
    for (const auto& e : r.evs) {
      cl.on_event(e, r.books);
      if (e.flags & evflag::kStale) ++stale_events;
    }
    return k;
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == cut) continue;
    feed(lines[i]);
    const auto& v = r.dec.instruments()[0];
    if (i > cut && i <= snap_at && v.sync == Sync::Stale) {
      stale_seen = true;
      EXPECT_EQ(r.books.depth(v.id, Side::Buy), 0u);  // the stale book is emptied, not trusted
      if (cl.halt_mask(v.id) & (1u << clean::kStale)) halted_seen = true;
    }
    if (i == snap_at) {
      EXPECT_EQ(v.sync, Sync::Stale);
      feed(snap);
      EXPECT_EQ(v.sync, Sync::Synced);
      EXPECT_EQ(cl.halt_mask(v.id) & (1u << clean::kStale), 0u);  // the snapshot's events clear it
    }
  }
  r.dec.finish();
  EXPECT_TRUE(stale_seen);
  EXPECT_TRUE(halted_seen);
  EXPECT_GT(stale_events, 0u);
  EXPECT_EQ(r.dec.errors(kGap), 1u) << r.dec.first_error(kGap);
  EXPECT_EQ(r.dec.counts(kRecovered), 1u);
  EXPECT_EQ(r.dec.instruments()[0].gaps, 1u);
  EXPECT_EQ(r.ticker_mismatches, 0u) << r.first_mismatch;
  EXPECT_GT(r.ticker_checks, 50u);
  std::printf("[binance gap] diff at line %zu removed: stale, %llu stale events, recovered at the snapshot "
              "inserted after line %zu; %llu bookTicker checks over the run, all equal\n",
              cut + 1, static_cast<unsigned long long>(stale_events), snap_at + 1,
              static_cast<unsigned long long>(r.ticker_checks));
}

}  // namespace
}  // namespace hft::binance
