// LOBSTER reader on hand-made files: bad lines are counted and skipped, window entries and
// exits and unknown-order cases behave as worked out by hand in the comments.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/lobster/lobster.hpp"
#include "hft/lobster/lobster_source.hpp"

namespace hft::lobster {
namespace {

const std::string kDir = std::string(HFT_TEST_TMP) + "/lobster_bad";

std::string write_pair(const std::string& tag, int levels, const std::string& msgs,
                       const std::string& rows) {
  std::filesystem::create_directories(kDir);
  const std::string base = kDir + "/" + tag + "_2012-06-21_34200000_57600000_";
  const std::string mp = base + "message_" + std::to_string(levels) + ".csv";
  std::ofstream(mp, std::ios::binary) << msgs;
  std::ofstream(base + "orderbook_" + std::to_string(levels) + ".csv", std::ios::binary) << rows;
  return mp;
}

std::uint64_t get(const std::map<std::string, std::uint64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

// Applies the stream; returns the formatted book at every kLast.
std::vector<std::string> rows_of(feed::EventSource& src, std::size_t levels, book::Books& books) {
  std::vector<std::string> out;
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::vector<char> line(levels * 84);
  while (std::size_t n = src.next(buf)) {
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(books.apply(buf[i]), book::BookError::None);
      if (buf[i].flags & evflag::kLast)
        out.emplace_back(line.data(), book::format_lobster_row(books, kLobsterInstrument, levels, line.data()));
    }
  }
  return out;
}

TEST(LobsterParse, Time) {
  Nanos t = 0;
  bool rounded = true;
  ASSERT_TRUE(parse_lobster_time("34200.18960767", t, &rounded));
  EXPECT_EQ(t, 34200189607670LL);
  EXPECT_FALSE(rounded);
  ASSERT_TRUE(parse_lobster_time("34200.017459617", t));
  EXPECT_EQ(t, 34200017459617LL);
  ASSERT_TRUE(parse_lobster_time("34200", t));
  EXPECT_EQ(t, 34200000000000LL);
  ASSERT_TRUE(parse_lobster_time("43002.632812672004", t, &rounded));
  EXPECT_EQ(t, 43002632812672LL);
  EXPECT_TRUE(rounded);
  ASSERT_TRUE(parse_lobster_time("43002.632812671996", t));
  EXPECT_EQ(t, 43002632812672LL);
  ASSERT_TRUE(parse_lobster_time("1.9999999995", t));
  EXPECT_EQ(t, 2000000000LL);
  for (const char* bad : {"", ".5", "34200.", "-1.0", "34200.1x", "1e5", "34,2", " 34200"})
    EXPECT_FALSE(parse_lobster_time(bad, t)) << bad;
}

// Twelve-digit seconds: up to 9223372036.854775807 s fits int64 ns; beyond is an error, never a
// wrapped time (signed overflow is undefined: the asan preset's UBSan would report it).
TEST(LobsterParse, TimeBeyondInt64IsAnError) {
  Nanos t = 0;
  ASSERT_TRUE(parse_lobster_time("9223372036.854775807", t));
  EXPECT_EQ(t, std::numeric_limits<Nanos>::max());
  ASSERT_TRUE(parse_lobster_time("000000000001.5", t));
  EXPECT_EQ(t, 1'500'000'000);
  const std::vector<std::string> bad = {"9223372036.854775808", "9223372037", "999999999999",
                                        "999999999999.999999999", "100000000000.0", "9223372036.8547758075",
                                        "18446744073.709551616", "9999999999999"};
  for (const std::string& b : bad) EXPECT_FALSE(parse_lobster_time(b, t)) << b;
  EXPECT_EQ(bad.size(), 8u);
}

// The same in a file: each such line counted as lobster.bad_time and skipped.
TEST(LobsterBad, TwelveDigitSecondsCountedAsBadTime) {
  const std::string msgs =
      "34200.1,1,1,100,999,1\n"
      "999999999999.5,1,2,100,998,1\n"
      "9223372037.000000001,1,3,100,997,1\n"
      "34200.2,1,4,100,996,1\n";
  const std::string rows = "1010,50,999,100\n1,1,1,1\n1,1,1,1\n1010,50,999,100\n";
  auto src = open_lobster_source(write_pair("BIGT", 1, msgs, rows), {});
  book::Books books;
  rows_of(*src, 1, books);
  const auto& st = src->stats();
  EXPECT_EQ(get(st.errors, "lobster.bad_time"), 2u);
  EXPECT_EQ(get(st.counts, "lobster.messages"), 2u);
}

TEST(LobsterParse, Name) {
  LobsterName n;
  ASSERT_TRUE(parse_lobster_name("/a/b/AMZN_2012-06-21_34200000_57600000_message_5.csv", n));
  EXPECT_EQ(n.symbol, "AMZN");
  EXPECT_EQ(n.levels, 5);
  EXPECT_EQ(n.orderbook_path, "/a/b/AMZN_2012-06-21_34200000_57600000_orderbook_5.csv");
  ASSERT_TRUE(parse_lobster_name("AAPL_2012-06-21_34200000_57600000_message_10.csv", n));
  EXPECT_EQ(n.levels, 10);
  EXPECT_EQ(n.orderbook_path, "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv");
  for (const char* bad : {"x.csv", "AMZN_message_.csv", "AMZN_message_0.csv", "AMZN_orderbook_5.csv",
                          "AMZN_message_5.txt", "_message_5.csv"})
    EXPECT_FALSE(parse_lobster_name(bad, n)) << bad;
}

TEST(LobsterBad, OpenFailuresThrow) {
  EXPECT_THROW(open_lobster_source("/nonexistent/AMZN_2012-06-21_1_2_message_1.csv", {}), std::runtime_error);
  EXPECT_THROW(open_lobster_source(kDir + "/not_lobster.csv", {}), std::runtime_error);
  // Orderbook path present but not a file: still refused (only a missing one is allowed).
  std::filesystem::create_directories(kDir);
  const std::string mp = kDir + "/LONE_2012-06-21_34200000_57600000_message_1.csv";
  std::ofstream(mp) << "34200.1,5,0,1,1005,1\n";
  std::filesystem::create_directories(kDir + "/LONE_2012-06-21_34200000_57600000_orderbook_1.csv");
  EXPECT_THROW(open_lobster_source(mp, {}), std::runtime_error);
  std::filesystem::remove(kDir + "/LONE_2012-06-21_34200000_57600000_orderbook_1.csv");
}

TEST(LobsterBad, BadLinesCountedAndSkipped) {
  // Level 2. Before message 1 the book is asks 1010x50, 1020x30 and bid 1000x40 (unknown ids).
  const std::string msgs =
      "34200.000000001,1,1,100,999,1\n"     // 1 add buy 100@999
      "34200.1,1,2,100\n"                    // 2 wrong column count: skipped with its row
      "34200.2,3,77,40,1000,1\n"             // 3 delete unknown 77 at 1000: the seed order; 998 enters
      "34200.3,4,abc,10,1010,-1\n"           // 4 non-numeric: skipped
      "34200.15,2,1,10,999,1\n"              // 5 time goes backwards: skipped
      "34200.4,4,88,20,1010,-1\n"            // 6 execute unknown 88: seed ask 1010 50 -> 30
      "34200.5,2,1,60,999,1\r\n"             // 7 cancel 60 of order 1 (CRLF line end)
      "34200.6,1,2,5,1005,-1\n"              // 8 add sell 5@1005: 1020 leaves
      "34200.7,5,0,7,1007,1\n"               // 9 hidden execution
      "34200.8,7,0,0,-1,-1\n"                // 10 halt
      "34200.9,3,2,5,1005,-1\n"              // 11 delete order 2: 1020 enters again
      "34201,9,1,1,1,1\n"                    // 12 bad type: skipped
      "34201.1,1,3,10,1001,1\n"              // 13 add buy 10@1001; its book row is bad
      "34201.2,2,3,5,1001,1\n"               // 14 cancel 5 of order 3: 998 leaves
      "34201.3,2,1,10,999,1";                // 15 row disagrees (no newline at the end)
  const std::string rows =
      "1010,50,1000,40,1020,30,999,100\n"    // 1
      "x\n"                                  // 2
      "1010,50,999,100,1020,30,998,10\n"     // 3
      "1,1,1,1,1,1,1,1\n"                    // 4
      "1,1,1,1,1,1,1,1\n"                    // 5
      "1010,30,999,100,1020,30,998,10\n"     // 6
      "1010,30,999,40,1020,30,998,10\n"      // 7
      "1005,5,999,40,1010,30,998,10\n"       // 8
      "1005,5,999,40,1010,30,998,10\n"       // 9
      "1005,5,999,40,1010,30,998,10\n"       // 10
      "1010,30,999,40,1020,30,998,10\n"      // 11
      "1,1,1,1,1,1,1,1\n"                    // 12
      "1010,30\n"                            // 13 wrong column count
      "1010,30,1001,5,1020,30,999,40\n"      // 14
      "1010,30,1001,5,1020,30,999,40\n"      // 15 says 999x40, the events make 999x30
      "1,1,1,1,1,1,1,1\n";                   // extra row
  auto src = open_lobster_source(write_pair("BADL", 2, msgs, rows), {});
  book::Books books;
  const auto got = rows_of(*src, 2, books);
  const std::vector<std::string> want = {
      "1010,50,1000,40,1020,30,999,100", "1010,50,999,100,1020,30,998,10",
      "1010,30,999,100,1020,30,998,10",  "1010,30,999,40,1020,30,998,10",
      "1005,5,999,40,1010,30,998,10",    "1005,5,999,40,1010,30,998,10",
      "1005,5,999,40,1010,30,998,10",    "1010,30,999,40,1020,30,998,10",
      "1010,30,1001,10,1020,30,999,40",  // 13: message applied, window not checked
      "1010,30,1001,5,1020,30,999,40",   "1010,30,1001,5,1020,30,999,30"};
  EXPECT_EQ(got, want);
  const auto& st = src->stats();
  EXPECT_EQ(get(st.errors, "lobster.bad_columns"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.bad_number"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.time_backwards"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.bad_type"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.bad_book_row"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.mismatch"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.extra_book_rows"), 1u);
  EXPECT_EQ(st.errors.size(), 7u);
  EXPECT_EQ(get(st.counts, "lobster.messages"), 11u);
  EXPECT_EQ(get(st.counts, "lobster.level_enter"), 2u);
  EXPECT_EQ(get(st.counts, "lobster.level_leave"), 2u);
  EXPECT_EQ(get(st.counts, "lobster.seed_orders"), 3u);
  EXPECT_EQ(get(st.counts, "lobster.unknown_id"), 2u);
  EXPECT_EQ(get(st.counts, "lobster.type7"), 1u);
  EXPECT_EQ(books.check_invariants(), "");
}

TEST(LobsterBad, UnknownOrderCases) {
  const std::string msgs =
      "34200.1,5,0,1,1005,1\n"    // 1 hidden execution: the seed is row 1 as is
      "34200.2,3,5,10,990,1\n"    // 2 unknown id, no level at 990
      "34200.3,4,6,60,1010,-1\n"  // 3 unknown id, seed order at 1010 holds only 50
      "34200.4,1,7,10,1000,1\n"   // 4 add behind the seed order
      "34200.5,2,8,5,1000,1\n"    // 5 unknown id: cancels 5 from the seed order at 1000
      "34200.6,1,9,10,1001,1\n"   // 6 new best bid: 1000 leaves (seed and order 7 deleted)
      "34200.7,3,10,5,1001,1\n"   // 7 unknown id, level 1001 has only order 9
      "34200.8,1,9,10,1001,1\n"   // 8 duplicate id
      "34200.9,1,11,10,1000,1\n"; // 9 add outside the window: leaves at once
  const std::string rows =
      "1010,50,1000,40\n1010,50,1000,40\n1010,50,1000,40\n1010,50,1000,50\n1010,50,1000,45\n"
      "1010,50,1001,10\n1010,50,1001,10\n1010,50,1001,10\n1010,50,1001,10\n";
  auto src = open_lobster_source(write_pair("UNKN", 1, msgs, rows), {});
  book::Books books;
  const auto got = rows_of(*src, 1, books);
  const std::vector<std::string> want = {"1010,50,1000,40", "1010,50,1000,40", "1010,50,1000,40",
                                         "1010,50,1000,50", "1010,50,1000,45", "1010,50,1001,10",
                                         "1010,50,1001,10", "1010,50,1001,10", "1010,50,1001,10"};
  EXPECT_EQ(got, want);
  const auto& st = src->stats();
  EXPECT_EQ(get(st.errors, "lobster.unknown_no_level"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.synthetic_short"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.unknown_no_synthetic"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.duplicate_id"), 1u);
  EXPECT_EQ(get(st.errors, "lobster.mismatch"), 0u);
  EXPECT_EQ(get(st.counts, "lobster.level_leave"), 2u);
  EXPECT_EQ(get(st.counts, "lobster.leave_deletes"), 3u);
  book::Books::OrderView o;
  EXPECT_FALSE(books.find_order(7, o));  // forgotten with its level
  EXPECT_TRUE(books.find_order(9, o));
  EXPECT_EQ(books.live_orders(), 2u);    // ask seed order + order 9
}

TEST(LobsterBad, SymbolOverrideAndEmptyFiles) {
  feed::FeedOptions opts;
  opts.lobster_symbol = "XYZ";
  auto src = open_lobster_source(write_pair("EMPT", 1, "", ""), opts);
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  EXPECT_EQ(src->next(buf), 0u);
  EXPECT_EQ(src->next(buf), 0u);
  EXPECT_EQ(src->instruments().at(0).symbol, "XYZ");
  EXPECT_EQ(src->stats().events, 0u);
}

TEST(LobsterBad, RandomGarbageNeverCrashes) {
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789.,-\n\r x";
  for (int round = 0; round < 10; ++round) {
    std::string m, r;
    for (int i = 0; i < 3000; ++i) m += alphabet[rng() % alphabet.size()];
    for (int i = 0; i < 3000; ++i) r += alphabet[rng() % alphabet.size()];
    // Some plausible lines mixed in.
    for (int i = 0; i < 50; ++i) {
      m += "34200." + std::to_string(100 + i) + "," + std::to_string(1 + rng() % 7) + "," +
           std::to_string(rng() % 5) + "," + std::to_string(rng() % 50) + "," +
           std::to_string(1000 + rng() % 5) + "," + (rng() % 2 ? "1" : "-1") + "\n";
      r += std::to_string(1003 + rng() % 3) + "," + std::to_string(rng() % 60) + "," +
           std::to_string(1000 + rng() % 3) + "," + std::to_string(rng() % 60) + "\n";
    }
    auto src = open_lobster_source(write_pair("RAND", 1, m, r), {});
    book::BookConfig cfg;
    cfg.max_orders = 4096;
    cfg.max_instruments = 4;
    book::Books books(cfg);
    std::vector<MarketEvent> buf(feed::kMaxBatch);
    while (std::size_t n = src->next(buf))
      for (std::size_t i = 0; i < n; ++i) books.apply(buf[i]);
    EXPECT_EQ(books.check_invariants(), "");
    EXPECT_FALSE(src->stats().errors.empty());
  }
}

}  // namespace
}  // namespace hft::lobster
