// ESH4 2023-12-25 MBO replayed through hft::book::Books: figures from
// cme-mbo-databento/PROVENANCE.md (no unknown order id; crossed only in the pre-open, before
// 23:00:00.00007 UTC; final book bid 4810.00 / ask 4810.25 with 11,217 resting orders).
#include <gtest/gtest.h>

#include "dbn_test_util.hpp"
#include "hft/book/order_book.hpp"

namespace hft::dbn {
namespace {
using namespace test;

// 2023-12-25 23:00:00.0001 UTC in ns since the epoch: after the opening match.
constexpr Nanos kAfterOpen = 1703545200000100000LL;

TEST(DbnBook, Esh4DayReplay) {
  auto src = open_dbn_event_source(cme("esh4-glbx-mdp3-20231225.mbo.dbn.zst"));
  book::Books books;
  std::vector<MarketEvent> batch(feed::kMaxBatch);
  std::uint64_t events = 0, boundaries = 0, crossed_before = 0, crossed_after = 0;
  std::uint64_t boundaries_after = 0;
  Nanos last_cross_ts = 0;
  for (;;) {
    const std::size_t n = src->next(batch);
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) {
      const MarketEvent& e = batch[i];
      books.apply(e);
      ++events;
      if (events % 10000 == 0) {
        const std::string bad = books.check_invariants();
        ASSERT_TRUE(bad.empty()) << "after event " << events << ": " << bad;
      }
      if (!(e.flags & evflag::kLast)) continue;
      ++boundaries;
      const book::LevelView bid = books.best(e.instrument, Side::Buy);
      const book::LevelView ask = books.best(e.instrument, Side::Sell);
      const bool crossed = bid.qty > 0 && ask.qty > 0 && bid.price >= ask.price;
      if (e.ts_exch >= kAfterOpen) {
        ++boundaries_after;
        crossed_after += crossed;
      } else if (crossed) {
        ++crossed_before;
        last_cross_ts = e.ts_exch;
      }
    }
  }
  EXPECT_EQ(events, 68792u);
  const auto& c = books.counters();
  EXPECT_EQ(c.errors[static_cast<int>(book::BookError::UnknownOrder)], 0u);
  for (int k = 1; k < book::kBookErrorCount; ++k)
    EXPECT_EQ(c.errors[k], 0u) << book::book_error_name(static_cast<book::BookError>(k));
  EXPECT_GT(boundaries_after, 10000u);
  EXPECT_EQ(crossed_after, 0u);
  EXPECT_GT(crossed_before, 0u);  // the check can fail: the pre-open book does cross
  EXPECT_EQ(crossed_before, 891u);  // PROVENANCE: crossed at 891 event boundaries
  EXPECT_LT(last_cross_ts, 1703545200000070001LL);
  EXPECT_GE(last_cross_ts, 1703543995000000000LL);  // 22:39:55 UTC
  EXPECT_TRUE(books.check_invariants().empty()) << books.check_invariants();
  const book::LevelView bid = books.best(0, Side::Buy);
  const book::LevelView ask = books.best(0, Side::Sell);
  EXPECT_EQ(bid.price, 48100000);  // 4810.00
  EXPECT_EQ(ask.price, 48102500);  // 4810.25
  EXPECT_EQ(books.live_orders(), 11217u);
  EXPECT_EQ(books.live_orders(0), 11217u);
  EXPECT_GT(boundaries, boundaries_after);
}

}  // namespace
}  // namespace hft::dbn
