// last_applied() and level_orders(): what each event kind reports about the order it acted on
// (hand-worked), and the FIFO listing of a level against the book's own queue().
#include "hft/book/order_book.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hft::book {
namespace {

MarketEvent mk(EventKind k, OrderId id, Side side, Price px, Qty q) {
  MarketEvent e;
  e.kind = k;
  e.order_id = id;
  e.side = side;
  e.price = px;
  e.qty = q;
  e.instrument = 3;
  return e;
}

BookConfig cfg() {
  BookConfig c;
  c.max_orders = 64;
  c.max_levels = 16;
  c.max_instruments = 8;
  c.levels_reserve = 4;
  return c;
}

void expect(const AppliedOrder& a, bool ok, EventKind k, Side s, OrderId id, Price px, Qty before,
            Qty after, Price np, Qty nq) {
  EXPECT_EQ(a.ok, ok);
  EXPECT_EQ(a.kind, k);
  EXPECT_EQ(a.side, s);
  EXPECT_EQ(a.id, id);
  EXPECT_EQ(a.price, px);
  EXPECT_EQ(a.before, before);
  EXPECT_EQ(a.after, after);
  EXPECT_EQ(a.new_price, np);
  EXPECT_EQ(a.new_qty, nq);
  if (ok && k != EventKind::Clear) {
    EXPECT_EQ(a.instrument, 3u);
  }
}

TEST(BooksApplied, EveryKind) {
  Books b(cfg());
  ASSERT_EQ(b.apply(mk(EventKind::Add, 1, Side::Buy, 100, 50)), BookError::None);
  expect(b.last_applied(), true, EventKind::Add, Side::Buy, 1, 100, 0, 0, 100, 50);
  b.apply(mk(EventKind::Add, 2, Side::Buy, 100, 30));
  b.apply(mk(EventKind::Add, 3, Side::Sell, 105, 40));
  // Executions and cancels carry no side or price (ITCH): the book supplies them.
  b.apply(mk(EventKind::Execute, 1, Side::None, 0, 20));
  expect(b.last_applied(), true, EventKind::Execute, Side::Buy, 1, 100, 50, 30, 0, 0);
  b.apply(mk(EventKind::Cancel, 3, Side::None, 0, 40));  // full cancel: left its place
  expect(b.last_applied(), true, EventKind::Cancel, Side::Sell, 3, 105, 40, 0, 0, 0);
  b.apply(mk(EventKind::Delete, 2, Side::None, 0, 0));
  expect(b.last_applied(), true, EventKind::Delete, Side::Buy, 2, 100, 30, 0, 0, 0);
  // Replace: the old order leaves, the new id takes a new place.
  MarketEvent r = mk(EventKind::Replace, 1, Side::None, 101, 70);
  r.new_order_id = 9;
  b.apply(r);
  expect(b.last_applied(), true, EventKind::Replace, Side::Buy, 1, 100, 30, 0, 101, 70);
  // Modify: shrink keeps the place, growth and price change take a new one.
  b.apply(mk(EventKind::Add, 4, Side::Buy, 101, 10));
  b.apply(mk(EventKind::Modify, 9, Side::None, 101, 60));
  expect(b.last_applied(), true, EventKind::Modify, Side::Buy, 9, 101, 70, 60, 0, 0);
  b.apply(mk(EventKind::Modify, 9, Side::None, 101, 80));
  expect(b.last_applied(), true, EventKind::Modify, Side::Buy, 9, 101, 60, 0, 101, 80);
  EXPECT_EQ(b.queue(3, Side::Buy, 101), (std::vector<OrderId>{4, 9}));
  b.apply(mk(EventKind::Modify, 4, Side::None, 99, 10));
  expect(b.last_applied(), true, EventKind::Modify, Side::Buy, 4, 101, 10, 0, 99, 10);
  // A lone order that grows keeps its slot in the book but is reported as moved to the back.
  b.apply(mk(EventKind::Modify, 4, Side::None, 99, 15));
  expect(b.last_applied(), true, EventKind::Modify, Side::Buy, 4, 99, 10, 0, 99, 15);
  // Failures and non-book events: ok false.
  b.apply(mk(EventKind::Execute, 777, Side::None, 0, 5));
  EXPECT_FALSE(b.last_applied().ok);
  b.apply(mk(EventKind::Trade, 0, Side::Buy, 101, 5));
  EXPECT_FALSE(b.last_applied().ok);
  EXPECT_EQ(b.last_applied().kind, EventKind::Trade);
  // Over-execution removes the order (counted as an error) and says so.
  EXPECT_EQ(b.apply(mk(EventKind::Execute, 9, Side::None, 0, 500)), BookError::OverExecute);
  expect(b.last_applied(), true, EventKind::Execute, Side::Buy, 9, 101, 80, 0, 0, 0);
  b.apply(mk(EventKind::Clear, 0, Side::None, 0, 0));
  EXPECT_TRUE(b.last_applied().ok);
  EXPECT_EQ(b.last_applied().kind, EventKind::Clear);
  EXPECT_EQ(b.last_applied().instrument, 3u);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(BooksApplied, LevelOrdersFifo) {
  Books b(cfg());
  for (OrderId id = 1; id <= 6; ++id) b.apply(mk(EventKind::Add, id, Side::Sell, 200, static_cast<Qty>(10 * id)));
  b.apply(mk(EventKind::Delete, 3, Side::None, 0, 0));
  b.apply(mk(EventKind::Cancel, 5, Side::None, 0, 7));
  OrderId ids[8];
  Qty q[8];
  ASSERT_EQ(b.level_orders(3, Side::Sell, 200, ids, q, 8), 5u);
  const std::vector<OrderId> want = b.queue(3, Side::Sell, 200);
  EXPECT_EQ(std::vector<OrderId>(ids, ids + 5), want);
  EXPECT_EQ(std::vector<Qty>(q, q + 5), (std::vector<Qty>{10, 20, 40, 43, 60}));
  // A short buffer takes the front; nulls allowed; unknown level or instrument: 0.
  ASSERT_EQ(b.level_orders(3, Side::Sell, 200, ids, nullptr, 2), 2u);
  EXPECT_EQ(ids[0], 1u);
  EXPECT_EQ(ids[1], 2u);
  EXPECT_EQ(b.level_orders(3, Side::Sell, 201, ids, q, 8), 0u);
  EXPECT_EQ(b.level_orders(3, Side::Buy, 200, ids, q, 8), 0u);
  EXPECT_EQ(b.level_orders(99, Side::Sell, 200, ids, q, 8), 0u);
  EXPECT_EQ(b.level_orders(3, Side::None, 200, ids, q, 8), 0u);
}

}  // namespace
}  // namespace hft::book
