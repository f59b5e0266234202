// A LOBSTER message file without its orderbook file (a real sample's message file copied
// alone): read from an empty book instead of refused; every reference to an order placed
// before the file starts is counted (checked against a count made here from the CSV), an
// execution of one is kept as a trade, and one line on stderr says so.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../common/read_lines.hpp"
#include "../common/unzip_once.hpp"
#include "hft/book/order_book.hpp"
#include "hft/lobster/lobster.hpp"
#include "hft/lobster/lobster_source.hpp"

namespace hft::lobster {
namespace message_only_test {  // named: the module's tests are compiled as one unit

std::uint64_t get(const std::map<std::string, std::uint64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

struct Expected {
  std::uint64_t rows = 0, prestart = 0, prestart_exec = 0;
};
// From the CSV alone: a type 2/3/4 row refers to an order placed before the file starts when
// no type 1 row earlier in the file added its id.
Expected expected_from_csv(const std::string& path) {
  Expected e;
  std::set<std::uint64_t> added;
  for (const std::string& line : hft::testing::read_lines(path)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string f[6];
    for (auto& x : f) std::getline(ss, x, ',');
    const int type = std::stoi(f[1]);
    const std::uint64_t id = std::stoull(f[2]);
    ++e.rows;
    if (type == 1) added.insert(id);
    if (type >= 2 && type <= 4 && !added.count(id)) {
      ++e.prestart;
      if (type == 4) ++e.prestart_exec;
    }
  }
  return e;
}

void check_message_only(const std::string& ticker, int levels) {
  namespace fs = std::filesystem;
  const std::string msg = hft::testing::lobster_sample(ticker, levels, "lobster_msgonly_src");
  ASSERT_FALSE(msg.empty());
  const fs::path dir = fs::path(HFT_TEST_TMP) / ("lobster_msgonly_" + ticker + std::to_string(levels));
  fs::create_directories(dir);
  const fs::path lone = dir / fs::path(msg).filename();
  fs::copy_file(msg, lone, fs::copy_options::overwrite_existing);
  LobsterName name;
  ASSERT_TRUE(parse_lobster_name(lone.string(), name));
  ASSERT_FALSE(fs::exists(name.orderbook_path));

  const Expected want = expected_from_csv(lone.string());
  ::testing::internal::CaptureStderr();
  auto src = open_lobster_source(lone.string(), {});
  book::Books books;
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::uint64_t events = 0, trades = 0, synthetic = 0, groups = 0;
  while (const std::size_t n = src->next(buf)) {
    for (std::size_t i = 0; i < n; ++i) {
      const MarketEvent& e = buf[i];
      ++events;
      trades += e.kind == EventKind::Trade;
      if ((e.flags & evflag::kSynthetic) && e.kind != EventKind::System) ++synthetic;
      groups += (e.flags & evflag::kLast) != 0;
      EXPECT_EQ(books.apply(e), book::BookError::None);
    }
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  const feed::SourceStats& st = src->stats();
  EXPECT_TRUE(st.errors.empty());
  for (const auto& [k, v] : st.errors) ADD_FAILURE() << k << " = " << v;
  EXPECT_EQ(get(st.counts, "lobster.no_orderbook_file"), 1u);
  EXPECT_EQ(get(st.counts, "lobster.messages"), want.rows);
  EXPECT_EQ(groups, want.rows);  // one group per message row
  EXPECT_GT(want.prestart, 0u);
  EXPECT_EQ(get(st.counts, "lobster.prestart_refs"), want.prestart);
  EXPECT_EQ(get(st.counts, "lobster.prestart_exec_as_trade"), want.prestart_exec);
  EXPECT_EQ(get(st.counts, "lobster.prestart_cancel_skipped"), want.prestart - want.prestart_exec);
  EXPECT_EQ(get(st.counts, "lobster.seed_orders"), 0u);
  EXPECT_EQ(synthetic, 0u);  // no seed, no window orders
  EXPECT_EQ(books.check_invariants(), "");
  // One line on stderr naming the file and the count.
  EXPECT_NE(err.find("without its orderbook file"), std::string::npos) << err;
  EXPECT_NE(err.find(std::to_string(want.prestart) + " references"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  std::printf("[ lobster  ] %s without orderbook: %llu rows, %llu events, %llu trades, %llu references to "
              "orders placed before the file (%llu executions)\n",
              lone.filename().c_str(), static_cast<unsigned long long>(want.rows),
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(trades),
              static_cast<unsigned long long>(want.prestart),
              static_cast<unsigned long long>(want.prestart_exec));
}

TEST(LobsterMessageOnly, AmznLevel1FromAnEmptyBook) { check_message_only("AMZN", 1); }
TEST(LobsterMessageOnly, AmznLevel5FromAnEmptyBook) { check_message_only("AMZN", 5); }
TEST(LobsterMessageOnly, AaplLevel1FromAnEmptyBook) { check_message_only("AAPL", 1); }

}  // namespace message_only_test
}  // namespace hft::lobster
