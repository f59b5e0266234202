// Bad Binance input: every case is counted with its reason and never crashes; decimal
// conversion is exact; fuzz-style loops over mutated real lines keep the book valid.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "binance_common.hpp"
#include "hft/binance/binance_source.hpp"

namespace hft::binance {
namespace {

using testing::Replay;

TEST(Decimal, ExactConversion) {
  std::int64_t u = 0;
  EXPECT_EQ(parse_decimal("61590.30", 100, u), DecimalError::None);
  EXPECT_EQ(u, 6159030);
  EXPECT_EQ(parse_decimal("0.00012000", 1000000, u), DecimalError::None);
  EXPECT_EQ(u, 120);
  EXPECT_EQ(parse_decimal("0.1", 10000, u), DecimalError::None);  // 0.1 has no exact double
  EXPECT_EQ(u, 1000);
  EXPECT_EQ(parse_decimal("12", 1, u), DecimalError::None);
  EXPECT_EQ(u, 12);
  EXPECT_EQ(parse_decimal("1.5", 128, u), DecimalError::None);  // 1/128ths
  EXPECT_EQ(u, 192);
  EXPECT_EQ(parse_decimal("0.0078125", 128, u), DecimalError::None);
  EXPECT_EQ(u, 1);
  EXPECT_EQ(parse_decimal("0.001", 128, u), DecimalError::TooPrecise);
  EXPECT_EQ(parse_decimal("0.0001", 1000, u), DecimalError::TooPrecise);
  EXPECT_EQ(parse_decimal("0.00010000000000000000000000000000000", 10000, u), DecimalError::None);
  EXPECT_EQ(u, 1);
  EXPECT_EQ(parse_decimal("abc", 100, u), DecimalError::NotNumeric);
  EXPECT_EQ(parse_decimal("1.2.3", 100, u), DecimalError::NotNumeric);
  EXPECT_EQ(parse_decimal("-1", 100, u), DecimalError::NotNumeric);
  EXPECT_EQ(parse_decimal("", 100, u), DecimalError::Empty);
  EXPECT_EQ(parse_decimal(".", 100, u), DecimalError::Empty);
  EXPECT_EQ(parse_decimal("99999999999999999999", 100, u), DecimalError::Overflow);
  PriceFx p;
  EXPECT_EQ(parse_price("61590.35", InstrumentScale{100, 1000, 10, 1}, p), DecimalError::OffGrid);
  EXPECT_EQ(parse_price("61590.30", InstrumentScale{100, 1000, 10, 1}, p), DecimalError::None);
  EXPECT_EQ(p.units, 6159030);
  EXPECT_EQ(format_decimal(6159030, 100), "61590.30");
  EXPECT_EQ(format_decimal(120, 1000000), "0.000120");
  EXPECT_EQ(format_decimal(7, 1), "7");
}

// Lines of a tiny futures stream: a diff before the snapshot, the snapshot, diffs after.
const char* kDiff1 =
    R"(1723161360000000100 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1000,"T":1000,"s":"BTCUSDT","U":5,"u":9,"pu":4,"b":[["100.00","1.000"]],"a":[["100.50","2.000"]]}})";
const char* kSnap = R"(1723161360000000200 {"lastUpdateId":10,"E":1001,"T":1001,"bids":[["100.00","1.500"],["99.90","3.000"]],"asks":[["100.10","2.000"]]})";
const char* kDiff2 =
    R"(1723161360000000300 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1002,"T":1002,"s":"BTCUSDT","U":10,"u":12,"pu":9,"b":[["100.00","0.000"],["99.90","4.000"]],"a":[["100.20","1.000"]]}})";

TEST(BinanceBad, HandMadeStreamSyncsAndTranslatesLevels) {
  Replay r;
  EXPECT_EQ(r.line(kDiff1), LineKind::Depth);
  EXPECT_TRUE(r.evs.empty());  // buffered
  EXPECT_EQ(r.line(kSnap), LineKind::Snapshot);
  ASSERT_EQ(r.evs.size(), 4u);  // Clear + 3 adds; the buffered diff (u 9 <= 10) dropped
  EXPECT_EQ(r.evs[0].kind, EventKind::Clear);
  EXPECT_TRUE(r.evs.back().flags & evflag::kLast);
  EXPECT_TRUE(r.evs[1].flags & evflag::kSnapshot);
  EXPECT_EQ(r.dec.counts(kDroppedOld), 1u);
  EXPECT_EQ(r.line(kDiff2), LineKind::Depth);
  ASSERT_EQ(r.evs.size(), 3u);  // Delete 100.00 first, then Modify 99.90, Add ask 100.20
  EXPECT_EQ(r.evs[0].kind, EventKind::Delete);
  EXPECT_EQ(r.evs[1].kind, EventKind::Modify);
  EXPECT_EQ(r.evs[2].kind, EventKind::Add);
  EXPECT_EQ(r.evs[2].order_id, level_id(1, Side::Sell, 10020));
  EXPECT_TRUE(r.evs[2].flags & evflag::kLevel);
  EXPECT_EQ(r.evs[2].ts_exch, 1002 * 1'000'000LL);
  EXPECT_EQ(r.evs[2].ts_recv, 1723161360000000300LL);
  const auto b = r.books.best(1, Side::Buy);
  EXPECT_EQ(b.price, 9990);
  EXPECT_EQ(b.qty, 4000);
  EXPECT_EQ(b.orders, 1u);
  EXPECT_EQ(r.books.best(1, Side::Sell).price, 10010);
  EXPECT_EQ(r.books.depth(1, Side::Sell), 2u);
}

struct Case {
  const char* name;
  std::string line;
  Error want;
};

TEST(BinanceBad, EachBadLineIsCountedWithItsReason) {
  const std::string base = kDiff2;
  const std::vector<Case> cases = {
      {"cut JSON line", base.substr(0, base.size() / 2), kBadJson},
      {"no local time", std::string(kDiff2).substr(20), kBadLine},
      {"missing field u", R"(1723161360000000300 {"stream":"btcusdt@depth@0ms","data":{"E":1002,"U":10,"pu":9,"b":[],"a":[]}})", kMissingField},
      {"non-numeric price",
       R"(1723161360000000300 {"stream":"btcusdt@depth@0ms","data":{"E":1002,"T":1002,"U":10,"u":12,"pu":10,"b":[["abc","1.000"]],"a":[]}})",
       kBadPrice},
      {"price off the tick",
       R"(1723161360000000300 {"stream":"btcusdt@depth@0ms","data":{"E":1002,"T":1002,"U":10,"u":12,"pu":10,"b":[["100.05","1.000"]],"a":[]}})",
       kBadPrice},
      {"size too precise",
       R"(1723161360000000300 {"stream":"btcusdt@depth@0ms","data":{"E":1002,"T":1002,"U":10,"u":12,"pu":10,"b":[["100.00","1.0001"]],"a":[]}})",
       kBadQty},
      {"trade price not a number", R"(1723161360000000300 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"t":1,"p":"x","q":"0.001","X":"MARKET","m":true}})",
       kBadPrice},
      {"unknown stream", R"(1723161360000000300 {"stream":"btcusdt@kline_1m","data":{}})", kUnknownMessage},
      {"unknown symbol", R"(1723161360000000300 {"stream":"ethusdt@trade","data":{"e":"trade","E":1,"T":1,"t":1,"p":"1.00","q":"0.001","X":"MARKET","m":true}})",
       kNoDefinition},
      {"gap", R"(1723161360000000300 {"stream":"btcusdt@depth@0ms","data":{"E":1002,"T":1002,"U":20,"u":22,"pu":19,"b":[],"a":[]}})", kGap},
  };
  for (const auto& c : cases) {
    Replay r;
    r.line(kDiff1);
    r.line(kSnap);
    const std::uint64_t before = r.dec.errors(c.want);
    r.line(c.line);
    EXPECT_EQ(r.dec.errors(c.want), before + 1) << c.name;
    EXPECT_FALSE(r.dec.first_error(c.want).empty()) << c.name;
    EXPECT_EQ(r.books.check_invariants(), "") << c.name;
  }
}

TEST(BinanceBad, SnapshotBeforeAnyStreamAndDiffsWithoutSnapshot) {
  Replay r;
  r.line(kSnap);  // no depth line yet: no symbol for it
  EXPECT_EQ(r.dec.errors(kSnapshotNoStream), 1u);
  r.line(kDiff1);
  r.line(kDiff2);
  r.dec.finish();
  EXPECT_EQ(r.dec.errors(kUnsyncedDiff), 2u) << r.dec.first_error(kUnsyncedDiff);
  EXPECT_EQ(r.books.live_orders(), 0u);
}

// A bad level inside a diff: the diff cannot be applied whole, the instrument goes stale.
TEST(BinanceBad, BadLevelInADiffMakesTheInstrumentStale) {
  Replay r;
  r.line(kDiff1);
  r.line(kSnap);
  r.line(R"(1723161360000000300 {"stream":"btcusdt@depth@0ms","data":{"E":1002,"T":1002,"U":10,"u":12,"pu":9,"b":[["99.90","4.000"],["1e5","1.000"]],"a":[]}})");
  EXPECT_EQ(r.dec.errors(kBadPrice), 1u);
  EXPECT_EQ(r.dec.instruments()[0].sync, Sync::Stale);
  EXPECT_EQ(r.books.live_orders(), 0u);
  ASSERT_FALSE(r.evs.empty());
  EXPECT_TRUE(r.evs.back().flags & evflag::kStale);
}

const std::string kTmp = std::string(HFT_TEST_TMP) + "/binance_bad";

TEST(BinanceBad, TruncatedGzipIsCountedAndTheStreamEnds) {
  if (!std::filesystem::exists(testing::kSpot0808)) GTEST_SKIP();
  std::filesystem::create_directories(kTmp);
  std::ifstream in(testing::kSpot0808, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  feed::FeedOptions fo;
  fo.instruments = testing::btc_defs();
  std::mt19937_64 rng(17);
  for (int k = 0; k < 12; ++k) {
    const std::size_t cut = 20 + rng() % (all.size() - 40);
    const std::string p = kTmp + "/cut" + std::to_string(k) + ".gz";
    std::ofstream(p, std::ios::binary) << all.substr(0, cut);
    auto src = open_binance_source(p + "," + testing::kSpot0809, fo);  // the next file is still read
    std::vector<MarketEvent> buf(feed::kMaxBatch);
    while (src->next(buf)) {
    }
    const auto& er = src->stats().errors;
    EXPECT_EQ(er.count("gzip.truncated") ? er.at("gzip.truncated") : 0u, 1u) << "cut at " << cut;
    EXPECT_GT(src->stats().counts.at("binance.lines"), 58000u);
  }
}

TEST(BinanceBad, MissingFileIsRefusedWithItsName) {
  feed::FeedOptions fo;
  EXPECT_THROW(open_binance_source(kTmp + "/nope.gz", fo), std::runtime_error);
  EXPECT_THROW(open_binance_source("a.gz,,b.gz", fo), std::invalid_argument);
}

// Fuzz-style: real lines cut short, bytes overwritten, digits swapped; the decoder never
// crashes, every line lands in a kind, and the book stays consistent.
TEST(BinanceBad, MutatedRealLinesNeverCrash) {
  if (!std::filesystem::exists(testing::kFutures)) GTEST_SKIP();
  GzLines g({testing::kFutures});
  std::vector<std::string> lines;
  std::string_view l;
  while (g.next(l) && lines.size() < 6000) lines.emplace_back(l);
  std::mt19937_64 rng(1717);
  const char junk[] = "0123456789.,-e\"[]{}: x";
  for (int round = 0; round < 4; ++round) {
    Replay r;
    std::uint64_t bad = 0;
    for (auto s : lines) {
      switch (rng() % 8) {
        case 0: s.resize(rng() % (s.size() + 1)); break;
        case 1:
          for (int k = 0; k < 3; ++k) s[rng() % s.size()] = junk[rng() % (sizeof junk - 1)];
          break;
        case 2: s.insert(rng() % s.size(), 1, junk[rng() % (sizeof junk - 1)]); break;
        default: break;  // most lines intact, so that the book gets somewhere
      }
      if (r.line(s) == LineKind::Bad) ++bad;
    }
    r.dec.finish();
    std::uint64_t counted = 0;
    for (int e = 0; e < kErrorCount; ++e) counted += r.dec.errors(static_cast<Error>(e));
    EXPECT_GE(counted, bad);
    EXPECT_GT(bad, 0u);
    EXPECT_EQ(r.books.check_invariants(), "");
  }
}

}  // namespace
}  // namespace hft::binance
