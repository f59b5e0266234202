// The LOBSTER reader against LOBSTER's own sample files: the event stream, applied to a fresh
// book, must reproduce every row of every orderbook file exactly.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../common/unzip_once.hpp"
#include "hft/book/order_book.hpp"
#include "hft/lobster/lobster.hpp"
#include "hft/lobster/lobster_source.hpp"
#include "../common/read_lines.hpp"

namespace hft::lobster {
namespace {

const std::string kData = std::string(HFT_SHARED_DATA) + "/lobster-2012-06-21";

std::string sample(const std::string& ticker, int levels) {
  const std::string msg = hft::testing::lobster_sample(ticker, levels, "lobster");
  EXPECT_FALSE(msg.empty()) << ticker << " level " << levels;
  return msg;
}

using hft::testing::read_lines;

struct Replay {
  std::size_t rows_in_file = 0;
  std::size_t rows_compared = 0;
  std::size_t mismatches = 0;
  std::string first_mismatch;
  feed::SourceStats stats;
  std::uint64_t book_errors = 0;
  std::size_t events = 0;
};

Replay replay(const std::string& message_path, std::size_t levels) {
  Replay r;
  LobsterName name;
  EXPECT_TRUE(parse_lobster_name(message_path, name));
  const std::vector<std::string> rows = read_lines(name.orderbook_path);
  r.rows_in_file = rows.size();
  auto src = open_lobster_source(message_path, {});
  book::Books books;
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::vector<char> line(levels * 4 * 21);
  std::size_t n;
  while ((n = src->next(buf)) > 0) {
    for (std::size_t i = 0; i < n; ++i) {
      const MarketEvent& e = buf[i];
      ++r.events;
      EXPECT_EQ(e.instrument, kLobsterInstrument);
      books.apply(e);
      if (!(e.flags & evflag::kLast)) continue;
      const std::size_t len = book::format_lobster_row(books, kLobsterInstrument, levels, line.data());
      const std::string got(line.data(), len);
      if (r.rows_compared >= rows.size() || got != rows[r.rows_compared]) {
        if (r.mismatches++ == 0)
          r.first_mismatch = "row " + std::to_string(r.rows_compared + 1) + ": got " + got +
                             " want " + (r.rows_compared < rows.size() ? rows[r.rows_compared] : "<none>");
      }
      ++r.rows_compared;
    }
  }
  for (std::uint64_t c : books.counters().errors) r.book_errors += c;
  EXPECT_EQ(books.check_invariants(), "");
  r.stats = src->stats();
  return r;
}

std::uint64_t count(const std::map<std::string, std::uint64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

void expect_exact(const std::string& file, std::size_t levels, std::size_t want_rows) {
  const Replay r = replay(file, levels);
  EXPECT_EQ(r.rows_in_file, want_rows);  // PROVENANCE.md row count
  EXPECT_EQ(r.rows_compared, r.rows_in_file);
  EXPECT_EQ(r.mismatches, 0u) << r.first_mismatch;
  EXPECT_EQ(r.book_errors, 0u);
  EXPECT_TRUE(r.stats.errors.empty());
  for (const auto& [k, v] : r.stats.errors) ADD_FAILURE() << k << " = " << v;
  EXPECT_EQ(count(r.stats.counts, "lobster.messages"), want_rows);
  EXPECT_EQ(count(r.stats.counts, "lobster.rows_checked"), want_rows);
  EXPECT_EQ(r.stats.events, r.events);
  std::printf("[ lobster  ] %s: %zu rows, %zu events, level_enter %llu, level_leave %llu, "
              "unknown ids %llu, seed orders %llu\n",
              std::filesystem::path(file).filename().c_str(), r.rows_compared, r.events,
              static_cast<unsigned long long>(count(r.stats.counts, "lobster.level_enter")),
              static_cast<unsigned long long>(count(r.stats.counts, "lobster.level_leave")),
              static_cast<unsigned long long>(count(r.stats.counts, "lobster.unknown_id")),
              static_cast<unsigned long long>(count(r.stats.counts, "lobster.seed_orders")));
}

TEST(LobsterReal, AmznLevel1EveryRowExact) {
  expect_exact(sample("AMZN", 1), 1, 57515);
}
TEST(LobsterReal, AmznLevel5EveryRowExact) {
  expect_exact(sample("AMZN", 5), 5, 155935);
}
TEST(LobsterReal, AaplLevel1EveryRowExact) {
  expect_exact(sample("AAPL", 1), 1, 118497);
}
TEST(LobsterReal, AaplLevel10ExcerptEveryRowExact) {
  expect_exact(kData + "/aapl_level10_first999/AAPL_2012-06-21_34200000_57600000_message_10.csv", 10, 999);
}

TEST(LobsterReal, TypeCountsMatchProvenance) {
  // PROVENANCE.md: AMZN level 5 type counts 77381 / 450 / 66685 / 8974 / 2445.
  auto src = open_lobster_source(sample("AMZN", 5), {});
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  Nanos first = -1, last = 0;
  std::uint64_t trades = 0;
  while (std::size_t n = src->next(buf)) {
    for (std::size_t i = 0; i < n; ++i) {
      if (first < 0) first = buf[i].ts_exch;
      last = buf[i].ts_exch;
      EXPECT_EQ(buf[i].ts_recv, buf[i].ts_exch);
      if (buf[i].kind == EventKind::Trade) {
        ++trades;
        EXPECT_EQ(buf[i].order_id, 0u);
      }
    }
  }
  const auto& c = src->stats().counts;
  EXPECT_EQ(count(c, "lobster.type1"), 77381u);
  EXPECT_EQ(count(c, "lobster.type2"), 450u);
  EXPECT_EQ(count(c, "lobster.type3"), 66685u);
  EXPECT_EQ(count(c, "lobster.type4"), 8974u);
  EXPECT_EQ(count(c, "lobster.type5"), 2445u);
  EXPECT_EQ(trades, 2445u);
  EXPECT_EQ(first, 34200017459617LL);  // 34200.017459617 s
  EXPECT_EQ(last, 57599959359650LL);   // 57599.959359650 s
  ASSERT_EQ(src->instruments().size(), 1u);
  EXPECT_EQ(src->instruments()[0].symbol, "AMZN");
  EXPECT_EQ(src->instruments()[0].id, kLobsterInstrument);
  EXPECT_EQ(src->time_basis(), feed::TimeBasis::SinceMidnight);
}

TEST(LobsterReal, FirstEventsByHand) {
  // AMZN level 1, message 2: "34200.18960767,1,11885113,21,2238100,1" (8 decimals in the file)
  // and message 3: "34200.190226476,4,11885113,21,2238100,1".
  auto src = open_lobster_source(sample("AMZN", 1), {});
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::vector<MarketEvent> all;
  while (all.size() < 20) {
    const std::size_t n = src->next(buf);
    if (n == 0) break;
    all.insert(all.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  bool saw_add = false, saw_exec = false;
  for (const MarketEvent& e : all) {
    if (e.kind == EventKind::Add && e.order_id == 11885113) {
      saw_add = true;
      EXPECT_EQ(e.ts_exch, 34200189607670LL);
      EXPECT_EQ(e.price, 2238100);
      EXPECT_EQ(e.qty, 21u);
      EXPECT_EQ(e.side, Side::Buy);
      EXPECT_EQ(e.flags & evflag::kSynthetic, 0);
    }
    if (e.kind == EventKind::Execute && e.order_id == 11885113) {
      saw_exec = true;
      EXPECT_EQ(e.ts_exch, 34200190226476LL);
      EXPECT_EQ(e.qty, 21u);
      EXPECT_EQ(e.price, 2238100);
    }
  }
  EXPECT_TRUE(saw_add);
  EXPECT_TRUE(saw_exec);
  // Row 1 (hidden execution only) is the seeded book: one synthetic order per side.
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all[0].kind, EventKind::Add);
  EXPECT_TRUE(all[0].flags & evflag::kSynthetic);
  EXPECT_GE(all[0].order_id, kSyntheticIdBase);
}

TEST(LobsterReal, InvariantsHoldAlongTheStream) {
  for (const std::string& file :
       {sample("AMZN", 1),
        sample("AMZN", 5),
        sample("AAPL", 1),
        kData + "/aapl_level10_first999/AAPL_2012-06-21_34200000_57600000_message_10.csv"}) {
    SCOPED_TRACE(file);
    LobsterName name;
    ASSERT_TRUE(parse_lobster_name(file, name));
    const std::size_t levels = static_cast<std::size_t>(name.levels);
    auto src = open_lobster_source(file, {});
    book::BookConfig cfg;  // small pools keep the O(pool) invariant check cheap
    cfg.max_orders = 1u << 16;
    cfg.max_levels = 1u << 12;
    cfg.max_instruments = 4;
    book::Books books(cfg);
    std::vector<MarketEvent> buf(feed::kMaxBatch);
    std::size_t events = 0, checks = 0;
    while (std::size_t n = src->next(buf)) {
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(books.apply(buf[i]), book::BookError::None) << "event " << events;
        ++events;
        if (buf[i].flags & evflag::kLast) {
          // At a row boundary the book holds the window and nothing else.
          ASSERT_LE(books.depth(kLobsterInstrument, Side::Buy), levels);
          ASSERT_LE(books.depth(kLobsterInstrument, Side::Sell), levels);
        }
        if (events % 1000 == 0) {
          ASSERT_EQ(books.check_invariants(), "") << "event " << events;
          ++checks;
        }
      }
    }
    EXPECT_GT(checks, 0u);
    EXPECT_EQ(books.check_invariants(), "");
    EXPECT_EQ(books.counters().crossed, 0u);  // PROVENANCE.md: no crossed or locked book
    EXPECT_EQ(books.counters().locked, 0u);
  }
}

}  // namespace
}  // namespace hft::lobster
