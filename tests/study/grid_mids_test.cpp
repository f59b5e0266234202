// Grid mids: the previous-tick rule on a hand-made event sequence for two instruments (mid at a
// grid time = the one left by groups strictly before it; invalid tops leave it alone; points
// only once both instruments have a mid).
#include <gtest/gtest.h>

#include <cmath>

#include "hft/book/order_book.hpp"
#include "hft/study/grid_mids.hpp"

namespace hft::study {
namespace {

MarketEvent gev(EventKind k, Nanos ts, InstrumentId in, OrderId id, Side side, Price px, Qty q) {
  MarketEvent e{};
  e.kind = k;
  e.ts_exch = ts;
  e.order_id = id;
  e.side = side;
  e.price = px;
  e.qty = q;
  e.instrument = in;
  e.flags = evflag::kLast;
  return e;
}

TEST(GridMids, PreviousTickOnTwoInstruments) {
  book::BookConfig bc;
  bc.max_orders = 1024;
  bc.max_levels = 256;
  bc.max_instruments = 16;
  book::Books books(bc);
  GridMidConfig cfg;
  cfg.grid = 1'000'000'000LL;
  GridMidFeed f(books, {1, 2}, cfg, false);
  const Nanos s = 1'000'000'000LL;
  f.on_event(gev(EventKind::Add, 10 * s + 5, 1, 1, Side::Buy, 1000, 10));
  f.on_event(gev(EventKind::Add, 10 * s + 6, 1, 2, Side::Sell, 1010, 10));  // mid 1005 for 1
  f.on_event(gev(EventKind::Add, 11 * s + 1, 2, 3, Side::Buy, 500, 10));     // one-sided: invalid
  f.on_event(gev(EventKind::Add, 12 * s, 2, 4, Side::Sell, 504, 10));        // mid 502 at exactly 12 s
  // First point: 13 s (strictly after 12 s). The event at 13 s changes 1 after the point.
  f.on_event(gev(EventKind::Add, 13 * s, 1, 5, Side::Buy, 1004, 10));       // mid 1007
  f.on_event(gev(EventKind::Delete, 15 * s + 3, 1, 2, Side::None, 0, 0));  // ask gone: invalid
  f.on_event(gev(EventKind::Add, 16 * s, 2, 6, Side::Sell, 503, 10));      // mid 501.5 (on the 16 s point: after it)
  const GridMids& g = f.result();
  ASSERT_EQ(g.times.size(), 4u);  // 13, 14, 15, 16
  EXPECT_EQ(g.times[0], 13 * s);
  EXPECT_EQ(g.times[3], 16 * s);
  const double m1[] = {1005, 1007, 1007, 1007}, m2[] = {502, 502, 502, 502};
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_DOUBLE_EQ(g.mids[0][k], m1[k]) << k;
    EXPECT_DOUBLE_EQ(g.mids[1][k], m2[k]) << k;
  }
  EXPECT_EQ(g.invalid_tops, 3u);  // the first bid alone, 2's bid alone, 1's ask deleted
  EXPECT_EQ(g.groups, 7u);
  const auto r = log_returns(g.mids[0]);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_NEAR(r[0], std::log(1007.0 / 1005.0), 1e-15);
  EXPECT_EQ(r[1], 0.0);
}

}  // namespace
}  // namespace hft::study
