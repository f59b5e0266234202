// Order book unit tests: hand-computed expectations for every event kind and error reason,
// plus a seeded random stream checked against an independent std::map reference model.
#include "hft/book/order_book.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <list>
#include <map>
#include <random>
#include <string>
#include <tuple>

namespace hft::book {
namespace {

MarketEvent ev(EventKind k, OrderId id, Side side = Side::None, Price px = 0, Qty q = 0,
               InstrumentId instr = 1) {
  MarketEvent e;
  e.kind = k;
  e.order_id = id;
  e.side = side;
  e.price = px;
  e.qty = q;
  e.instrument = instr;
  return e;
}
MarketEvent add(OrderId id, Side s, Price px, Qty q, InstrumentId instr = 1) {
  return ev(EventKind::Add, id, s, px, q, instr);
}
MarketEvent exec(OrderId id, Qty q) { return ev(EventKind::Execute, id, Side::None, 0, q); }
MarketEvent cancel(OrderId id, Qty q) { return ev(EventKind::Cancel, id, Side::None, 0, q); }
MarketEvent del(OrderId id) { return ev(EventKind::Delete, id); }
MarketEvent replace(OrderId id, OrderId nid, Price px, Qty q) {
  MarketEvent e = ev(EventKind::Replace, id, Side::None, px, q);
  e.new_order_id = nid;
  return e;
}
MarketEvent modify(OrderId id, Price px, Qty q) { return ev(EventKind::Modify, id, Side::None, px, q); }
std::uint64_t errs(const Books& b, BookError e) { return b.counters().errors[static_cast<int>(e)]; }

BookConfig small() {
  BookConfig c;
  c.max_orders = 1024;
  c.max_levels = 256;
  c.max_instruments = 16;
  c.levels_reserve = 4;
  return c;
}

TEST(Books, EmptyBook) {
  Books b(small());
  EXPECT_EQ(b.best(1, Side::Buy).qty, 0);
  EXPECT_EQ(b.best(1, Side::Buy).price, 0);
  EXPECT_EQ(b.depth(1, Side::Sell), 0u);
  EXPECT_EQ(b.live_orders(), 0u);
  LevelView v;
  EXPECT_FALSE(b.level(1, Side::Buy, 0, v));
  EXPECT_FALSE(b.level(99999, Side::Buy, 0, v));  // out of range instrument: just empty
  LevelView bid{1, 2, 3}, ask{4, 5, 6};
  b.best_both(99999, bid, ask);
  EXPECT_EQ(bid.price + bid.qty + ask.price + ask.qty, 0);
  EXPECT_EQ(bid.orders + ask.orders, 0u);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, AddsAggregateAndSortBothSides) {
  Books b(small());
  EXPECT_EQ(b.apply(add(1, Side::Buy, 1000, 10)), BookError::None);
  EXPECT_EQ(b.apply(add(2, Side::Buy, 1010, 20)), BookError::None);
  EXPECT_EQ(b.apply(add(3, Side::Buy, 990, 30)), BookError::None);
  EXPECT_EQ(b.apply(add(4, Side::Buy, 1010, 5)), BookError::None);
  EXPECT_EQ(b.apply(add(5, Side::Sell, 1030, 7)), BookError::None);
  EXPECT_EQ(b.apply(add(6, Side::Sell, 1020, 8)), BookError::None);
  EXPECT_EQ(b.apply(add(7, Side::Sell, 1040, 9)), BookError::None);
  LevelView v;
  ASSERT_TRUE(b.level(1, Side::Buy, 0, v));
  EXPECT_EQ(v.price, 1010); EXPECT_EQ(v.qty, 25); EXPECT_EQ(v.orders, 2u);
  ASSERT_TRUE(b.level(1, Side::Buy, 1, v));
  EXPECT_EQ(v.price, 1000); EXPECT_EQ(v.qty, 10);
  ASSERT_TRUE(b.level(1, Side::Buy, 2, v));
  EXPECT_EQ(v.price, 990); EXPECT_EQ(v.qty, 30);
  EXPECT_FALSE(b.level(1, Side::Buy, 3, v));
  EXPECT_EQ(b.best(1, Side::Sell).price, 1020);
  ASSERT_TRUE(b.level(1, Side::Sell, 2, v));
  EXPECT_EQ(v.price, 1040);
  EXPECT_EQ(b.depth(1, Side::Sell), 3u);
  EXPECT_EQ(b.live_orders(), 7u);
  EXPECT_EQ(b.live_orders(1), 7u);
  EXPECT_EQ(b.live_orders(2), 0u);
  ASSERT_TRUE(b.level_at(1, Side::Buy, 1000, v));
  EXPECT_EQ(v.qty, 10);
  EXPECT_FALSE(b.level_at(1, Side::Buy, 1005, v));
  Books::OrderView o;
  ASSERT_TRUE(b.find_order(6, o));
  EXPECT_EQ(o.instrument, 1u); EXPECT_EQ(o.side, Side::Sell); EXPECT_EQ(o.price, 1020); EXPECT_EQ(o.qty, 8u);
  EXPECT_EQ(b.counters().applied, 7u);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, FifoPriorityAndExecutes) {
  Books b(small());
  b.apply(add(10, Side::Sell, 500, 100));
  b.apply(add(11, Side::Sell, 500, 200));
  b.apply(add(12, Side::Sell, 500, 300));
  EXPECT_EQ(b.queue(1, Side::Sell, 500), (std::vector<OrderId>{10, 11, 12}));
  OrderId f = 0;
  ASSERT_TRUE(b.level_front(1, Side::Sell, 500, f));
  EXPECT_EQ(f, 10u);
  EXPECT_EQ(b.apply(exec(10, 40)), BookError::None);  // partial: keeps its place
  EXPECT_EQ(b.queue(1, Side::Sell, 500), (std::vector<OrderId>{10, 11, 12}));
  EXPECT_EQ(b.best(1, Side::Sell).qty, 560);
  EXPECT_EQ(b.apply(exec(10, 60)), BookError::None);  // reaches 0: removed
  EXPECT_EQ(b.queue(1, Side::Sell, 500), (std::vector<OrderId>{11, 12}));
  EXPECT_EQ(b.best(1, Side::Sell).qty, 500);
  EXPECT_EQ(b.apply(del(12)), BookError::None);       // delete from the tail
  EXPECT_EQ(b.queue(1, Side::Sell, 500), (std::vector<OrderId>{11}));
  b.apply(add(13, Side::Sell, 500, 1));
  b.apply(add(14, Side::Sell, 500, 2));
  EXPECT_EQ(b.apply(del(13)), BookError::None);       // delete from the middle
  EXPECT_EQ(b.queue(1, Side::Sell, 500), (std::vector<OrderId>{11, 14}));
  EXPECT_EQ(b.best(1, Side::Sell).qty, 202);
  EXPECT_EQ(b.best(1, Side::Sell).orders, 2u);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, CancelPartialExactAndOver) {
  Books b(small());
  b.apply(add(1, Side::Buy, 100, 50));
  b.apply(add(2, Side::Buy, 100, 50));
  EXPECT_EQ(b.apply(cancel(1, 20)), BookError::None);
  Books::OrderView o;
  ASSERT_TRUE(b.find_order(1, o));
  EXPECT_EQ(o.qty, 30u);
  EXPECT_EQ(b.queue(1, Side::Buy, 100), (std::vector<OrderId>{1, 2}));
  EXPECT_EQ(b.apply(cancel(1, 30)), BookError::None);  // exactly 0: removed
  EXPECT_FALSE(b.find_order(1, o));
  EXPECT_EQ(b.apply(cancel(2, 51)), BookError::OverExecute);
  EXPECT_FALSE(b.find_order(2, o));
  EXPECT_EQ(b.depth(1, Side::Buy), 0u);
  EXPECT_EQ(errs(b, BookError::OverExecute), 1u);
  b.apply(add(3, Side::Buy, 100, 5));
  EXPECT_EQ(b.apply(exec(3, 6)), BookError::OverExecute);
  EXPECT_EQ(errs(b, BookError::OverExecute), 2u);
  EXPECT_EQ(b.live_orders(), 0u);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, ReplaceLosesPriority) {
  Books b(small());
  b.apply(add(1, Side::Buy, 100, 10));
  b.apply(add(2, Side::Buy, 100, 20));
  // Same price, new id: goes to the back.
  EXPECT_EQ(b.apply(replace(1, 3, 100, 5)), BookError::None);
  EXPECT_EQ(b.queue(1, Side::Buy, 100), (std::vector<OrderId>{2, 3}));
  EXPECT_EQ(b.best(1, Side::Buy).qty, 25);
  Books::OrderView o;
  EXPECT_FALSE(b.find_order(1, o));
  ASSERT_TRUE(b.find_order(3, o));
  EXPECT_EQ(o.side, Side::Buy);  // same side even though the event said None
  // New price: level moves.
  EXPECT_EQ(b.apply(replace(2, 4, 101, 7)), BookError::None);
  EXPECT_EQ(b.best(1, Side::Buy).price, 101);
  EXPECT_EQ(b.best(1, Side::Buy).qty, 7);
  EXPECT_EQ(b.depth(1, Side::Buy), 2u);
  // Errors leave the book untouched.
  EXPECT_EQ(b.apply(replace(99, 5, 100, 1)), BookError::UnknownOrder);
  EXPECT_EQ(b.apply(replace(3, 4, 100, 1)), BookError::DuplicateOrder);
  EXPECT_EQ(b.apply(replace(3, 5, 100, 0)), BookError::ZeroQty);
  EXPECT_EQ(b.apply(replace(3, 5, 0, 1)), BookError::BadPrice);
  ASSERT_TRUE(b.find_order(3, o));
  EXPECT_EQ(o.qty, 5u);
  // Replace keeping the same id is allowed.
  EXPECT_EQ(b.apply(replace(3, 3, 102, 9)), BookError::None);
  ASSERT_TRUE(b.find_order(3, o));
  EXPECT_EQ(o.price, 102);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, ModifySemantics) {
  Books b(small());
  b.apply(add(1, Side::Sell, 200, 10));
  b.apply(add(2, Side::Sell, 200, 20));
  b.apply(add(3, Side::Sell, 200, 30));
  // Decrease: keeps its place.
  EXPECT_EQ(b.apply(modify(1, 200, 4)), BookError::None);
  EXPECT_EQ(b.queue(1, Side::Sell, 200), (std::vector<OrderId>{1, 2, 3}));
  EXPECT_EQ(b.best(1, Side::Sell).qty, 54);
  // Same qty, same price: nothing changes.
  EXPECT_EQ(b.apply(modify(1, 200, 4)), BookError::None);
  EXPECT_EQ(b.queue(1, Side::Sell, 200), (std::vector<OrderId>{1, 2, 3}));
  // Increase: back of the queue.
  EXPECT_EQ(b.apply(modify(1, 200, 11)), BookError::None);
  EXPECT_EQ(b.queue(1, Side::Sell, 200), (std::vector<OrderId>{2, 3, 1}));
  EXPECT_EQ(b.best(1, Side::Sell).qty, 61);
  // Price change (even with smaller qty): back of the new level.
  b.apply(add(4, Side::Sell, 199, 1));
  EXPECT_EQ(b.apply(modify(2, 199, 5)), BookError::None);
  EXPECT_EQ(b.queue(1, Side::Sell, 199), (std::vector<OrderId>{4, 2}));
  EXPECT_EQ(b.queue(1, Side::Sell, 200), (std::vector<OrderId>{3, 1}));
  EXPECT_EQ(b.best(1, Side::Sell).qty, 6);
  // Price change to an empty price: new level; old level goes when emptied.
  EXPECT_EQ(b.apply(modify(4, 198, 1)), BookError::None);
  EXPECT_EQ(b.best(1, Side::Sell).price, 198);
  EXPECT_EQ(b.apply(modify(4, 201, 1)), BookError::None);
  EXPECT_EQ(b.depth(1, Side::Sell), 3u);  // 199, 200, 201
  // Sole order grows at its level.
  EXPECT_EQ(b.apply(modify(4, 201, 8)), BookError::None);
  LevelView v;
  ASSERT_TRUE(b.level_at(1, Side::Sell, 201, v));
  EXPECT_EQ(v.qty, 8);
  EXPECT_EQ(b.apply(modify(77, 201, 8)), BookError::UnknownOrder);
  EXPECT_EQ(b.apply(modify(4, 201, 0)), BookError::ZeroQty);
  EXPECT_EQ(b.apply(modify(4, -5, 1)), BookError::BadPrice);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, EveryErrorReasonCounted) {
  BookConfig c = small();
  c.max_orders = 3;
  c.max_levels = 2;
  Books b(c);
  EXPECT_EQ(b.apply(exec(5, 1)), BookError::UnknownOrder);
  EXPECT_EQ(b.apply(cancel(5, 1)), BookError::UnknownOrder);
  EXPECT_EQ(b.apply(del(5)), BookError::UnknownOrder);
  EXPECT_EQ(b.apply(add(1, Side::Buy, 100, 0)), BookError::ZeroQty);
  EXPECT_EQ(b.apply(add(1, Side::Buy, 0, 1)), BookError::BadPrice);
  EXPECT_EQ(b.apply(add(1, Side::Buy, -3, 1)), BookError::BadPrice);
  EXPECT_EQ(b.apply(add(1, Side::None, 100, 1)), BookError::BadSide);
  EXPECT_EQ(b.apply(add(1, Side::Buy, 100, 1, 16)), BookError::BadInstrument);
  EXPECT_EQ(b.apply(ev(EventKind::Clear, 0, Side::None, 0, 0, 1000)), BookError::BadInstrument);
  EXPECT_EQ(b.apply(add(1, Side::Buy, 100, 1)), BookError::None);
  EXPECT_EQ(b.apply(add(1, Side::Sell, 200, 1)), BookError::DuplicateOrder);
  EXPECT_EQ(b.apply(exec(1, 0)), BookError::ZeroQty);
  EXPECT_EQ(b.apply(add(2, Side::Sell, 200, 1)), BookError::None);
  // Level pool (2) full: a third price is refused, an existing price still works.
  EXPECT_EQ(b.apply(add(3, Side::Sell, 201, 1)), BookError::LevelPoolFull);
  EXPECT_EQ(b.apply(add(3, Side::Sell, 200, 1)), BookError::None);
  // Order pool (3) full.
  EXPECT_EQ(b.apply(add(4, Side::Sell, 200, 1)), BookError::OrderPoolFull);
  // Modify / replace to a new price need a level: refused while the old level stays.
  EXPECT_EQ(b.apply(modify(2, 205, 1)), BookError::LevelPoolFull);
  EXPECT_EQ(b.apply(replace(2, 9, 205, 1)), BookError::LevelPoolFull);
  // ...but allowed when the order's removal frees its level.
  EXPECT_EQ(b.apply(modify(1, 150, 1)), BookError::None);
  EXPECT_EQ(b.apply(replace(1, 8, 151, 1)), BookError::None);
  EXPECT_EQ(b.apply(exec(8, 2)), BookError::OverExecute);
  EXPECT_EQ(errs(b, BookError::UnknownOrder), 3u);
  EXPECT_EQ(errs(b, BookError::ZeroQty), 2u);
  EXPECT_EQ(errs(b, BookError::BadPrice), 2u);
  EXPECT_EQ(errs(b, BookError::BadSide), 1u);
  EXPECT_EQ(errs(b, BookError::BadInstrument), 2u);
  EXPECT_EQ(errs(b, BookError::DuplicateOrder), 1u);
  EXPECT_EQ(errs(b, BookError::LevelPoolFull), 3u);
  EXPECT_EQ(errs(b, BookError::OrderPoolFull), 1u);
  EXPECT_EQ(errs(b, BookError::OverExecute), 1u);
  EXPECT_EQ(errs(b, BookError::None), 0u);
  EXPECT_EQ(b.live_orders(), 2u);
  EXPECT_EQ(b.check_invariants(), "");
  for (int e = 0; e < kBookErrorCount; ++e)
    EXPECT_STRNE(book_error_name(static_cast<BookError>(e)), "?");
}

TEST(Books, PoolExhaustionRecovers) {
  BookConfig c = small();
  c.max_orders = 100;
  c.max_levels = 10;
  Books b(c);
  int refused_orders = 0, refused_levels = 0;
  for (OrderId id = 1; id <= 500; ++id) {
    const BookError e = b.apply(add(id, Side::Buy, 1000 + static_cast<Price>(id % 20), 1));
    refused_orders += e == BookError::OrderPoolFull;
    refused_levels += e == BookError::LevelPoolFull;
  }
  EXPECT_EQ(b.live_orders(), 100u);
  EXPECT_EQ(b.depth(1, Side::Buy), 10u);
  EXPECT_EQ(refused_orders + refused_levels, 400);
  EXPECT_EQ(b.check_invariants(), "");
  // Free everything, then the pools are whole again.
  b.apply(ev(EventKind::Clear, 0, Side::None, 0, 0, 1));
  EXPECT_EQ(b.live_orders(), 0u);
  for (OrderId id = 1000; id < 1100; ++id)
    EXPECT_EQ(b.apply(add(id, Side::Sell, 2000 + static_cast<Price>(id % 10), 1)), BookError::None);
  EXPECT_EQ(b.apply(add(5000, Side::Sell, 2000, 1)), BookError::OrderPoolFull);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, CrossedAndLockedCounted) {
  Books b(small());
  b.apply(add(1, Side::Buy, 100, 1));
  b.apply(add(2, Side::Sell, 101, 1));
  EXPECT_EQ(b.counters().locked, 0u);
  EXPECT_EQ(b.counters().crossed, 0u);
  EXPECT_EQ(b.apply(add(3, Side::Buy, 101, 1)), BookError::None);  // locked
  EXPECT_EQ(b.counters().locked, 1u);
  EXPECT_EQ(b.apply(add(4, Side::Buy, 102, 1)), BookError::None);  // crossed, accepted
  EXPECT_EQ(b.counters().crossed, 1u);
  EXPECT_EQ(b.best(1, Side::Buy).price, 102);
  EXPECT_EQ(b.best(1, Side::Sell).price, 101);
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, ClearOneInstrumentOnly) {
  Books b(small());
  b.apply(add(1, Side::Buy, 100, 1, 3));
  b.apply(add(2, Side::Sell, 110, 2, 3));
  b.apply(add(3, Side::Sell, 111, 2, 3));
  b.apply(add(4, Side::Buy, 100, 5, 4));
  EXPECT_EQ(b.apply(ev(EventKind::Clear, 0, Side::None, 0, 0, 3)), BookError::None);
  EXPECT_EQ(b.live_orders(3), 0u);
  EXPECT_EQ(b.depth(3, Side::Sell), 0u);
  EXPECT_EQ(b.live_orders(4), 1u);
  EXPECT_EQ(b.live_orders(), 1u);
  Books::OrderView o;
  EXPECT_FALSE(b.find_order(2, o));
  EXPECT_TRUE(b.find_order(4, o));
  EXPECT_EQ(b.apply(add(2, Side::Sell, 110, 2, 3)), BookError::None);  // id reusable
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, NonBookKindsIgnored) {
  Books b(small());
  b.apply(add(1, Side::Buy, 100, 1));
  for (EventKind k : {EventKind::Trade, EventKind::Status, EventKind::Directory, EventKind::System})
    EXPECT_EQ(b.apply(ev(k, 1, Side::Buy, 100, 1)), BookError::None);
  EXPECT_EQ(b.best(1, Side::Buy).qty, 1);
  EXPECT_EQ(b.counters().applied, 1u);
}

TEST(Books, ManyInstruments) {
  BookConfig c = small();
  c.max_instruments = 1000;
  c.max_orders = 10000;
  c.max_levels = 8000;
  Books b(c);
  OrderId id = 1;
  for (InstrumentId i = 0; i < 1000; ++i)
    for (int k = 0; k < 3; ++k) {
      ASSERT_EQ(b.apply(add(id++, Side::Buy, 1000 + i + k, 1 + i % 7, i)), BookError::None);
      ASSERT_EQ(b.apply(add(id++, Side::Sell, 5000 + i + k, 2, i)), BookError::None);
    }
  for (InstrumentId i = 0; i < 1000; ++i) {
    EXPECT_EQ(b.best(i, Side::Buy).price, static_cast<Price>(1002 + i));
    EXPECT_EQ(b.best(i, Side::Buy).qty, static_cast<Volume>(1 + i % 7));
    EXPECT_EQ(b.best(i, Side::Sell).price, static_cast<Price>(5000 + i));
    EXPECT_EQ(b.live_orders(i), 6u);
  }
  EXPECT_EQ(b.check_invariants(), "");
}

TEST(Books, StridedAndHugeIdsIndexWell) {
  BookConfig c = small();
  c.max_orders = 1 << 12;
  Books b(c);
  // Power-of-two strides and DBN-like large ids all in the table at once.
  for (OrderId k = 0; k < 1000; ++k) {
    ASSERT_EQ(b.apply(add(k << 20, Side::Buy, 100, 1)), BookError::None);
    ASSERT_EQ(b.apply(add(647784973705ULL + k * 4096, Side::Sell, 200, 1)), BookError::None);
    ASSERT_EQ(b.apply(add((k + 1) * 1024 + 1, Side::Sell, 300, 1)), BookError::None);
  }
  EXPECT_EQ(b.live_orders(), 3000u);
  for (OrderId k = 0; k < 1000; k += 2) {
    ASSERT_EQ(b.apply(del(k << 20)), BookError::None);
    ASSERT_EQ(b.apply(del(647784973705ULL + k * 4096)), BookError::None);
  }
  EXPECT_EQ(b.check_invariants(), "");
  Books::OrderView o;
  EXPECT_TRUE(b.find_order(1ULL << 20, o));
  EXPECT_FALSE(b.find_order(2ULL << 20, o));
}

TEST(Books, FormatLobsterRow) {
  Books b(small());
  b.apply(add(1, Side::Sell, 2239500, 100));
  b.apply(add(2, Side::Buy, 2231800, 100));
  b.apply(add(3, Side::Sell, 2239900, 60));
  b.apply(add(4, Side::Sell, 2239900, 40));
  char buf[4 * 3 * 21];
  std::size_t n = format_lobster_row(b, 1, 1, buf);
  EXPECT_EQ(std::string(buf, n), "2239500,100,2231800,100");
  n = format_lobster_row(b, 1, 3, buf);
  EXPECT_EQ(std::string(buf, n),
            "2239500,100,2231800,100,2239900,100,-9999999999,0,9999999999,0,-9999999999,0");
  n = format_lobster_row(b, 7, 1, buf);
  EXPECT_EQ(std::string(buf, n), "9999999999,0,-9999999999,0");
}

// ---- random stream against an independent reference model ----

struct RefOrder {
  InstrumentId instr;
  Side side;
  Price price;
  Qty qty;
};
struct RefModel {
  std::map<OrderId, RefOrder> orders;
  std::map<std::tuple<InstrumentId, int, Price>, std::list<OrderId>> queues;

  void put(OrderId id, const RefOrder& o) {
    orders[id] = o;
    queues[{o.instr, static_cast<int>(o.side), o.price}].push_back(id);
  }
  void drop(OrderId id) {
    const RefOrder o = orders.at(id);
    auto key = std::make_tuple(o.instr, static_cast<int>(o.side), o.price);
    queues[key].remove(id);
    if (queues[key].empty()) queues.erase(key);
    orders.erase(id);
  }
  BookError apply(const MarketEvent& e) {
    switch (e.kind) {
      case EventKind::Add:
        if (e.price <= 0) return BookError::BadPrice;
        if (e.qty == 0) return BookError::ZeroQty;
        if (orders.count(e.order_id)) return BookError::DuplicateOrder;
        put(e.order_id, {e.instrument, e.side, e.price, e.qty});
        return BookError::None;
      case EventKind::Execute:
      case EventKind::Cancel: {
        auto it = orders.find(e.order_id);
        if (it == orders.end()) return BookError::UnknownOrder;
        if (e.qty < it->second.qty) { it->second.qty -= e.qty; return BookError::None; }
        const bool over = e.qty > it->second.qty;
        drop(e.order_id);
        return over ? BookError::OverExecute : BookError::None;
      }
      case EventKind::Delete:
        if (!orders.count(e.order_id)) return BookError::UnknownOrder;
        drop(e.order_id);
        return BookError::None;
      case EventKind::Replace: {
        auto it = orders.find(e.order_id);
        if (it == orders.end()) return BookError::UnknownOrder;
        if (e.new_order_id != e.order_id && orders.count(e.new_order_id)) return BookError::DuplicateOrder;
        RefOrder o = it->second;
        drop(e.order_id);
        o.price = e.price;
        o.qty = e.qty;
        put(e.new_order_id, o);
        return BookError::None;
      }
      case EventKind::Modify: {
        auto it = orders.find(e.order_id);
        if (it == orders.end()) return BookError::UnknownOrder;
        RefOrder o = it->second;
        if (o.price == e.price && e.qty <= o.qty) { it->second.qty = e.qty; return BookError::None; }
        drop(e.order_id);
        o.price = e.price;
        o.qty = e.qty;
        put(e.order_id, o);
        return BookError::None;
      }
      case EventKind::Clear:
        for (auto it = orders.begin(); it != orders.end();) {
          if (it->second.instr == e.instrument) {
            const OrderId id = it->first;
            ++it;
            drop(id);
          } else {
            ++it;
          }
        }
        return BookError::None;
      default: return BookError::None;
    }
  }
  // Levels of one side from the best: (price, qty, orders).
  std::vector<std::tuple<Price, Volume, std::uint32_t>> levels(InstrumentId instr, Side side) const {
    std::vector<std::tuple<Price, Volume, std::uint32_t>> out;
    for (const auto& [key, q] : queues) {
      if (std::get<0>(key) != instr || std::get<1>(key) != static_cast<int>(side)) continue;
      Volume v = 0;
      for (OrderId id : q) v += orders.at(id).qty;
      out.emplace_back(std::get<2>(key), v, static_cast<std::uint32_t>(q.size()));
    }
    if (side == Side::Buy) std::reverse(out.begin(), out.end());
    return out;
  }
};

// Pools start as zero pages either way; prefault only decides when the pages arrive. Prices
// fall within `spread` ticks of the mid on each side: 15 keeps most levels within the 8 keys
// the level search reads first, 60 makes sides deep enough for its block steps and binary
// search (levels coming and going below the top).
void random_stream_matches_reference_model(bool prefault, Price spread = 15) {
  BookConfig c = small();
  c.prefault = prefault;
  c.max_orders = 4096;
  c.max_levels = 1024;
  Books b(c);
  RefModel ref;
  std::mt19937_64 rng(20260611);
  std::vector<OrderId> ids;  // ids ever added (some dead): also exercises unknown-order paths
  OrderId next_id = 1;
  constexpr std::size_t k_deep = 12;  // deeper than the level search's first block (8 keys)
  std::uint64_t deep_sides = 0;       // sides seen deeper than that, over the run
  for (int step = 0; step < 30000; ++step) {
    MarketEvent e;
    const int r = static_cast<int>(rng() % 100);
    const InstrumentId instr = 1 + static_cast<InstrumentId>(rng() % 3);
    auto pick = [&]() -> OrderId { return ids.empty() ? 12345 : ids[rng() % ids.size()]; };
    auto px = [&](Side s) -> Price {
      const Price mid = 10000;
      const Price off = static_cast<Price>(rng() % static_cast<std::uint64_t>(spread));
      return s == Side::Buy ? mid - 1 - off : mid + off;  // sometimes crossing is fine too
    };
    if (r < 40) {
      const Side s = (rng() & 1) ? Side::Buy : Side::Sell;
      e = add(next_id, s, px(s), 1 + static_cast<Qty>(rng() % 300), instr);
      ids.push_back(next_id++);
      if (rng() % 50 == 0) e.order_id = pick();  // duplicate attempt
    } else if (r < 55) {
      e = exec(pick(), 1 + static_cast<Qty>(rng() % 200));
    } else if (r < 68) {
      e = cancel(pick(), 1 + static_cast<Qty>(rng() % 200));
    } else if (r < 82) {
      e = del(pick());
    } else if (r < 90) {
      e = replace(pick(), next_id, px(Side::Buy) + static_cast<Price>(rng() % 3), 1 + static_cast<Qty>(rng() % 100));
      ids.push_back(next_id++);
    } else if (r < 99) {
      const OrderId id = pick();
      Books::OrderView o{};
      const bool known = b.find_order(id, o);
      const Price p = known && rng() % 2 ? o.price : px(known ? o.side : Side::Buy);
      e = modify(id, p, 1 + static_cast<Qty>(rng() % 300));
    } else {
      e = ev(EventKind::Clear, 0, Side::None, 0, 0, instr);
    }
    const BookError want = ref.apply(e);
    const BookError got = b.apply(e);
    ASSERT_EQ(static_cast<int>(got), static_cast<int>(want)) << "step " << step;
    ASSERT_EQ(b.live_orders(), ref.orders.size()) << "step " << step;
    for (InstrumentId i = 1; i <= 3; ++i) {
      LevelView both[2];
      b.best_both(i, both[0], both[1]);
      for (Side s : {Side::Buy, Side::Sell}) {
        const auto lv = ref.levels(i, s);
        ASSERT_EQ(b.depth(i, s), lv.size()) << "step " << step;
        const LevelView bv = b.best(i, s);
        const LevelView& bb = both[s == Side::Sell ? 1 : 0];
        ASSERT_EQ(bb.price, lv.empty() ? 0 : std::get<0>(lv[0])) << "step " << step;
        ASSERT_EQ(bb.qty, lv.empty() ? 0 : std::get<1>(lv[0])) << "step " << step;
        ASSERT_EQ(bb.orders, lv.empty() ? 0u : std::get<2>(lv[0])) << "step " << step;
        ASSERT_EQ(bv.price, lv.empty() ? 0 : std::get<0>(lv[0])) << "step " << step;
        ASSERT_EQ(bv.qty, lv.empty() ? 0 : std::get<1>(lv[0])) << "step " << step;
        ASSERT_EQ(bv.orders, lv.empty() ? 0u : std::get<2>(lv[0])) << "step " << step;
        Price tp[64];
        Volume tq[64];
        const std::size_t nt = b.top_levels(i, s, tp, tq, 64);
        ASSERT_EQ(nt, std::min<std::size_t>(lv.size(), 64)) << "step " << step;
        for (std::size_t k = 0; k < lv.size(); ++k) {
          LevelView v;
          ASSERT_TRUE(b.level(i, s, k, v));
          ASSERT_EQ(v.price, std::get<0>(lv[k])) << "step " << step;
          ASSERT_EQ(v.qty, std::get<1>(lv[k])) << "step " << step;
          ASSERT_EQ(v.orders, std::get<2>(lv[k])) << "step " << step;
          LevelView at;
          ASSERT_TRUE(b.level_at(i, s, v.price, at)) << "step " << step;
          ASSERT_EQ(at.qty, v.qty) << "step " << step;
          ASSERT_EQ(at.orders, v.orders) << "step " << step;
          if (k < nt) {
            ASSERT_EQ(tp[k], v.price) << "step " << step;
            ASSERT_EQ(tq[k], v.qty) << "step " << step;
          }
        }
        if (k_deep < lv.size()) ++deep_sides;
      }
    }
    if (e.kind == EventKind::Add || e.kind == EventKind::Modify || e.kind == EventKind::Replace) {
      // FIFO order at the touched level.
      OrderId id = e.kind == EventKind::Replace ? e.new_order_id : e.order_id;
      auto it = ref.orders.find(id);
      if (it != ref.orders.end()) {
        const auto& q = ref.queues.at({it->second.instr, static_cast<int>(it->second.side), it->second.price});
        ASSERT_EQ(b.queue(it->second.instr, it->second.side, it->second.price),
                  std::vector<OrderId>(q.begin(), q.end())) << "step " << step;
      }
    }
    if (step % 1000 == 0) { ASSERT_EQ(b.check_invariants(), "") << "step " << step; }
  }
  EXPECT_EQ(b.check_invariants(), "");
  EXPECT_GT(b.counters().errors[static_cast<int>(BookError::UnknownOrder)], 1000u);
  EXPECT_GT(b.counters().errors[static_cast<int>(BookError::OverExecute)], 50u);
  EXPECT_GT(b.counters().errors[static_cast<int>(BookError::DuplicateOrder)], 3u);
  if (spread > 40) {
    EXPECT_GT(deep_sides, 10000u);  // the deep variant did reach below the top
  }
}
TEST(Books, RandomStreamMatchesReferenceModel) { random_stream_matches_reference_model(false); }
TEST(Books, RandomStreamMatchesReferenceModelPrefaulted) { random_stream_matches_reference_model(true); }
TEST(Books, RandomStreamMatchesReferenceModelDeepSides) { random_stream_matches_reference_model(false, 60); }

TEST(Books, ApplyBatchSameAsApply) {
  std::mt19937_64 rng(99);
  std::vector<MarketEvent> evs;
  for (int i = 0; i < 20000; ++i) {
    const OrderId id = 1 + rng() % 3000;
    const Side s = (rng() & 1) ? Side::Buy : Side::Sell;
    switch (rng() % 4) {
      case 0:
      case 1: evs.push_back(add(id, s, 1000 + static_cast<Price>(rng() % 20), 1 + static_cast<Qty>(rng() % 50))); break;
      case 2: evs.push_back(cancel(id, 1 + static_cast<Qty>(rng() % 30))); break;
      default: evs.push_back(del(id)); break;
    }
  }
  Books a(small()), b(small());
  for (const auto& e : evs) a.apply(e);
  for (std::size_t i = 0; i < evs.size(); i += 64) b.apply_batch(evs.data() + i, std::min<std::size_t>(64, evs.size() - i));
  EXPECT_EQ(a.counters().errors, b.counters().errors);
  EXPECT_EQ(a.counters().applied, b.counters().applied);
  EXPECT_EQ(a.live_orders(), b.live_orders());
  for (Side s : {Side::Buy, Side::Sell}) {
    ASSERT_EQ(a.depth(1, s), b.depth(1, s));
    for (std::size_t i = 0; i < a.depth(1, s); ++i) {
      LevelView x, y;
      a.level(1, s, i, x);
      b.level(1, s, i, y);
      EXPECT_EQ(x.price, y.price);
      EXPECT_EQ(x.qty, y.qty);
      EXPECT_EQ(a.queue(1, s, x.price), b.queue(1, s, y.price));
    }
  }
  EXPECT_EQ(b.check_invariants(), "");
}

}  // namespace
}  // namespace hft::book

namespace hft::book {
namespace {

// Ids that share a direct-tier entry (the table has 16 entries for 8 orders, so ids equal
// modulo 16 collide) go through the overflow tier; every lookup path must still find exactly
// the live orders, checked against a std::map of what should be live, with the index
// invariants (entry counts included) after every step.
TEST(Books, OrderIndexTiersAgreeWithAReferenceUnderCollisions) {
  BookConfig cfg;
  cfg.max_orders = 8;
  cfg.max_levels = 64;
  cfg.max_instruments = 4;
  Books b(cfg);
  std::map<OrderId, Qty> live;
  // The queues in priority order by (side, price): an order that changes tier keeps its place.
  std::map<std::pair<int, Price>, std::vector<OrderId>> queues;
  std::map<OrderId, std::pair<int, Price>> where;
  auto forget = [&](OrderId id) {
    auto& q = queues[where[id]];
    q.erase(std::find(q.begin(), q.end(), id));
    where.erase(id);
  };
  std::mt19937_64 rng(42);
  for (int step = 0; step < 20000; ++step) {
    // Ids from a few residues modulo 16, many multiples apart: heavy sharing of entries.
    const OrderId id = (rng() % 4) + 16 * (rng() % 6);
    const int op = static_cast<int>(rng() % 4);
    if (op <= 1) {
      const int side = static_cast<int>(rng() % 2);
      const Price px = 1000 + static_cast<Price>(rng() % 3);
      const BookError e = b.apply(add(id, side ? Side::Buy : Side::Sell, px, 10));
      if (live.count(id)) {
        EXPECT_EQ(e, BookError::DuplicateOrder) << step;
      } else if (live.size() == cfg.max_orders) {
        EXPECT_EQ(e, BookError::OrderPoolFull) << step;
      } else {
        ASSERT_EQ(e, BookError::None) << step;
        live[id] = 10;
        queues[{side, px}].push_back(id);
        where[id] = {side, px};
      }
    } else if (op == 2) {
      const BookError e = b.apply(del(id));
      const bool was = live.erase(id) == 1;
      if (was) forget(id);
      EXPECT_EQ(e, was ? BookError::None : BookError::UnknownOrder) << step;
    } else {
      const BookError e = b.apply(exec(id, 3));
      if (!live.count(id)) {
        EXPECT_EQ(e, BookError::UnknownOrder) << step;
      } else {
        EXPECT_EQ(e, BookError::None) << step;
        if ((live[id] -= 3) < 3) {  // leave no order below one execution's size
          EXPECT_EQ(b.apply(del(id)), BookError::None);
          live.erase(id);
          forget(id);
        }
      }
    }
    for (const auto& [at, ids] : queues)
      ASSERT_EQ(b.queue(1, at.first ? Side::Buy : Side::Sell, at.second), ids) << "step " << step;
    for (OrderId probe = 0; probe < 96; ++probe) {
      Books::OrderView v{};
      ASSERT_EQ(b.find_order(probe, v), live.count(probe) == 1) << "step " << step << " id " << probe;
      if (live.count(probe)) { EXPECT_EQ(v.qty, live[probe]); }
    }
    ASSERT_EQ(b.check_invariants(), "") << "step " << step;
  }
  EXPECT_EQ(b.live_orders(), live.size());
}

// best() and best_both() follow each instrument's own changes, whichever instrument the last
// apply changed and however many applies came since the last read (a book that keeps a copy of
// each best, as one tried in the tenth session, must not hand one instrument's to another).
TEST(Books, BestIsEachInstrumentsOwn) {
  Books b;
  b.apply(add(1, Side::Buy, 1000, 10, 1));
  b.apply(add(2, Side::Buy, 2000, 20, 2));
  EXPECT_EQ(b.best(1, Side::Buy).price, 1000);
  EXPECT_EQ(b.best(2, Side::Buy).price, 2000);
  b.apply(add(3, Side::Buy, 1010, 5, 1));  // instrument 1's best changes, not read yet
  b.apply(add(4, Side::Buy, 2010, 7, 2));  // then instrument 2's
  EXPECT_EQ(b.best(1, Side::Buy).price, 1010);
  EXPECT_EQ(b.best(1, Side::Buy).qty, 5);
  LevelView bid, ask;
  b.best_both(2, bid, ask);
  EXPECT_EQ(bid.price, 2010);
  EXPECT_EQ(bid.qty, 7);
  EXPECT_EQ(ask.orders, 0u);
  b.apply(del(3));                           // instrument 1's best level goes
  b.apply(add(5, Side::Buy, 2020, 1, 2));    // a new best for instrument 2
  EXPECT_EQ(b.best(1, Side::Buy).price, 1000);
  EXPECT_EQ(b.best(1, Side::Buy).qty, 10);
  EXPECT_EQ(b.best(2, Side::Buy).price, 2020);
  b.apply(exec(1, 4));                       // partial: same level, less
  EXPECT_EQ(b.best(1, Side::Buy).qty, 6);
  b.apply(del(1));                           // the side empties
  EXPECT_EQ(b.best(1, Side::Buy).orders, 0u);
  EXPECT_EQ(b.best(1, Side::Buy).price, 0);
  EXPECT_EQ(b.check_invariants(), "");
}

// What the last apply changed: the shallowest level touched per side, and the count of book
// events per instrument (readers that keep a copy of the top levels rely on both).
TEST(Books, LastApplyReportsTheShallowestLevelItTouched) {
  Books b;
  for (OrderId i = 1; i <= 5; ++i) b.apply(add(i, Side::Buy, 1000 - 10 * static_cast<Price>(i), 100));   // 990..950
  for (OrderId i = 11; i <= 15; ++i) b.apply(add(i, Side::Sell, 1000 + 10 * static_cast<Price>(i - 10), 100));  // 1010..1050
  EXPECT_EQ(b.applied_events(1), 10u);
  b.apply(add(20, Side::Buy, 900, 100));  // deep bid: a new level below the top 5
  EXPECT_TRUE(b.last_apply_touched(Side::Buy, 900));
  EXPECT_FALSE(b.last_apply_touched(Side::Buy, 950));  // the 5th best bid is untouched
  EXPECT_TRUE(b.last_apply_touched(Side::Buy, 0));     // something on the side changed
  EXPECT_FALSE(b.last_apply_touched(Side::Sell, 0));
  b.apply(cancel(3, 10));  // partial cancel at 970 (3rd level)
  EXPECT_TRUE(b.last_apply_touched(Side::Buy, 950));
  EXPECT_TRUE(b.last_apply_touched(Side::Buy, 970));
  EXPECT_FALSE(b.last_apply_touched(Side::Buy, 980));
  b.apply(exec(13, 100));  // ask level 1030 emptied and removed
  EXPECT_TRUE(b.last_apply_touched(Side::Sell, 1050));
  EXPECT_TRUE(b.last_apply_touched(Side::Sell, 1030));
  EXPECT_FALSE(b.last_apply_touched(Side::Sell, 1020));
  EXPECT_FALSE(b.last_apply_touched(Side::Buy, 0));
  b.apply(replace(20, 21, 995, 100));  // deep bid moves to the top: both levels touched
  EXPECT_TRUE(b.last_apply_touched(Side::Buy, 995));
  b.apply(modify(11, 1010, 50));  // shrink in place at the best ask
  EXPECT_TRUE(b.last_apply_touched(Side::Sell, 1010));
  b.apply(del(999));  // unknown order: nothing changed
  EXPECT_FALSE(b.last_apply_touched(Side::Buy, 0));
  EXPECT_FALSE(b.last_apply_touched(Side::Sell, 0));
  MarketEvent t = ev(EventKind::Trade, 0, Side::Buy, 990, 5);
  b.apply(t);  // a print changes no book and is no book event
  EXPECT_FALSE(b.last_apply_touched(Side::Buy, 0));
  const std::uint64_t before = b.applied_events(1);
  b.apply(ev(EventKind::Clear, 0));
  EXPECT_TRUE(b.last_apply_touched(Side::Buy, 1000000));
  EXPECT_TRUE(b.last_apply_touched(Side::Sell, 1));
  EXPECT_EQ(b.applied_events(1), before + 1);
  EXPECT_EQ(b.applied_events(2), 0u);
}

}  // namespace
}  // namespace hft::book
