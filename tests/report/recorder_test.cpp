// The Recorder: fixed capacity with counted overflow (aggregates stay exact), no allocation after
// construction, average-cost accounting and round trips against a cash-flow reference, the grid.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

#include "../common/test_rng.hpp"
#include "hft/report/recorder.hpp"

namespace {
std::atomic<std::uint64_t> g_allocs{0};
}  // namespace

// Counting allocator for the whole test program: the Recorder's calls must not move it. (GCC
// takes the replaced pair for a malloc / delete mismatch once inlined.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// The array forms too, so every new / delete pair is malloc / free (AddressSanitizer checks it).
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using namespace hft;
using report::Recorder;
using report::RecorderSettings;

constexpr Nanos kOneSec = 1'000'000'000;

OrderIntent order(ClientOrderId id, Side side, Price px, Qty qty, Nanos ts, std::uint16_t s = 0, InstrumentId i = 0) {
  OrderIntent o;
  o.id = id;
  o.side = side;
  o.price = px;
  o.qty = qty;
  o.ts = ts;
  o.strategy = s;
  o.instrument = i;
  return o;
}

ExecReport fill(const OrderIntent& o, Qty qty, Qty leaves, Nanos ts, Liquidity liq = Liquidity::Maker) {
  ExecReport r = report_for(o, ExecKind::Fill, ts);
  r.qty = qty;
  r.leaves = leaves;
  r.liquidity = liq;
  return r;
}

TEST(Recorder, FullBuffersCountOverflowAndKeepAggregates) {
  RecorderSettings s;
  s.max_orders = 3;
  s.max_fills = 2;
  s.max_trips = 1;
  Recorder rec(s);
  for (ClientOrderId id = 1; id <= 5; ++id) {
    const auto o = order(id, Side::Buy, 1'000'000, 10, static_cast<Nanos>(id) * 1000);
    rec.on_order(o);
    rec.on_exec(fill(o, 10, 0, static_cast<Nanos>(id) * 1000 + 1), 0.5);
  }
  rec.on_breaker(10'000, 0, "a");
  rec.on_breaker(10'001, 0, "b");
  const auto& d = rec.data();
  EXPECT_EQ(d.orders.size(), 3u);
  EXPECT_EQ(d.dropped_orders, 2u);
  EXPECT_EQ(d.fills.size(), 2u);
  EXPECT_EQ(d.dropped_fills, 3u);
  EXPECT_EQ(d.unknown_reports, 2u);  // fills of the two orders not kept
  EXPECT_EQ(d.trips.size(), 1u);
  EXPECT_EQ(d.dropped_trips, 1u);
  EXPECT_EQ(d.breaker_trips, 2u);
  EXPECT_EQ(d.total.orders_sent, 5u);
  EXPECT_EQ(d.total.qty_sent, 50u);
  EXPECT_EQ(d.total.fills, 5u);
  EXPECT_EQ(d.total.qty_filled, 50u);
  EXPECT_EQ(d.total.orders_filled, 5u);
  EXPECT_DOUBLE_EQ(d.total.notional, 5 * 10 * 100.0);
  EXPECT_EQ(d.orders[2].state, report::OrderState::Filled);
  EXPECT_EQ(d.fills[1].position, 20);
}

TEST(Recorder, NoAllocationAfterConstruction) {
  RecorderSettings s;
  s.strategies = 2;
  s.instruments = 4;
  s.max_orders = 64;
  s.max_fills = 64;
  s.max_grid = 64;
  s.max_mids = 64;
  s.max_trips = 4;
  Recorder rec(s);
  hft::testing::TestRng rng(7);
  const std::uint64_t before = g_allocs.load();
  for (int k = 0; k < 5000; ++k) {  // far past every capacity
    const Nanos t = k * 37'000'000LL;
    const auto i = static_cast<InstrumentId>(rng.next() % 4);
    const auto st = static_cast<std::uint16_t>(rng.next() % 2);
    rec.on_book(t, i, 1'000'000, 1'000'200);
    rec.on_quotes(t, st, i, 999'900, 1'000'300);
    const auto o = order(static_cast<ClientOrderId>(k + 1), rng.uniform() < 0.5 ? Side::Buy : Side::Sell, 1'000'000, 5, t, st, i);
    rec.on_order(o);
    rec.on_exec(fill(o, 5, 0, t + 1), 0.01);
    const float p[3] = {0.2f, 0.5f, 0.3f};
    rec.on_prediction(t, p, 0.5f);
    rec.on_label(p, k % 3);
    rec.on_breaker(t, st, "loss");
  }
  rec.finish(5000 * 37'000'000LL);
  const std::uint64_t after = g_allocs.load();
  EXPECT_EQ(after, before);
  const auto& d = rec.data();
  EXPECT_EQ(d.orders.size(), 64u);
  EXPECT_EQ(d.dropped_orders, 5000u - 64u);
  EXPECT_EQ(d.grid.size(), 64u);
  EXPECT_GT(d.dropped_grid, 0u);
  EXPECT_EQ(d.mids.size(), 64u);
  EXPECT_GT(d.dropped_mids, 0u);
  EXPECT_EQ(d.pred.labels, 5000u);
}

TEST(Recorder, HandWorkedAccountingAndGrid) {
  RecorderSettings s;
  Recorder rec(s);
  rec.on_book(200'000'000, 0, 999'900, 1'000'100);  // mid 100.00
  const auto b = order(1, Side::Buy, 999'900, 10, kOneSec / 2);
  rec.on_order(b);
  rec.on_exec(fill(b, 10, 0, kOneSec / 2 + 10), 0.01);  // long 10 @ 99.99
  rec.on_book(kOneSec / 2 + 20, 0, 1'000'400, 1'000'600);  // mid 100.05
  rec.on_quotes(kOneSec / 2 + 30, 0, 0, 1'000'000, 1'000'800);
  // t = 1.5 s crosses the 1 s boundary: the sample holds the state before it.
  const auto a = order(2, Side::Sell, 1'001'000, 10, kOneSec + kOneSec / 2);
  rec.on_order(a);
  rec.on_exec(fill(a, 10, 0, kOneSec + kOneSec / 2 + 10), 0.01);  // flat: realized 10 * (100.10 - 99.99) = 1.1
  // A gap of 4 s: one sample at 5 s covering 4 intervals.
  rec.on_book(5 * kOneSec + 1, 0, 1'000'400, 1'000'600);
  rec.finish(5 * kOneSec + 2);
  const auto& d = rec.data();
  ASSERT_EQ(d.grid.size(), 3u);
  EXPECT_EQ(d.grid[0].t, kOneSec);
  EXPECT_EQ(d.grid[0].intervals, 1u);
  EXPECT_EQ(d.grid[0].inventory, 10);
  EXPECT_NEAR(d.grid[0].mid, 100.05, 1e-12);
  EXPECT_EQ(d.grid[0].bid, 1'000'000);
  EXPECT_EQ(d.grid[0].ask, 1'000'800);
  EXPECT_NEAR(d.grid[0].unrealized, 10 * (100.05 - 99.99), 1e-9);
  EXPECT_NEAR(d.grid[0].net, 10 * (100.05 - 99.99) - 0.01, 1e-9);
  EXPECT_EQ(d.grid[1].t, 5 * kOneSec);
  EXPECT_EQ(d.grid[1].intervals, 4u);
  EXPECT_EQ(d.skipped_intervals, 3u);
  EXPECT_EQ(d.grid[1].inventory, 0);
  EXPECT_NEAR(d.grid[1].realized, 1.1, 1e-9);
  EXPECT_NEAR(d.grid[1].net, 1.08, 1e-9);
  EXPECT_EQ(d.grid[2].t, 6 * kOneSec);  // finish(): the next boundary
  EXPECT_EQ(d.total.trips, 1u);
  EXPECT_EQ(d.total.wins, 1u);
  EXPECT_NEAR(d.total.win_sum, 1.08, 1e-9);
  EXPECT_NEAR(d.pairs[0].realized, 1.1, 1e-9);
  EXPECT_NEAR(d.pairs[0].fees, 0.02, 1e-12);
  EXPECT_NEAR(d.fills[0].mid, 100.0, 1e-12);
  EXPECT_EQ(d.orders[0].state, report::OrderState::Filled);
  EXPECT_NEAR(d.total.max_gross, 999.9, 1e-9);
  // Mid grid: one sample per 100 ms boundary an event crossed, with the mid before it, for
  // instruments some pair trades (the order at 0.5 s crossed 0.5 s before it made the pair active).
  ASSERT_EQ(d.mids.size(), 3u);
  EXPECT_EQ(d.mids[0].t, 1'500'000'000);
  EXPECT_NEAR(d.mids[0].mid, 100.05, 1e-12);
  EXPECT_EQ(d.mids[1].t, 5'000'000'000);
  EXPECT_EQ(d.mids[2].t, 5'100'000'000);  // finish()
}

TEST(Recorder, CrossingZeroSplitsTheTripAndItsFee) {
  Recorder rec(RecorderSettings{});
  const auto b = order(1, Side::Buy, 1'000'000, 10, 1);
  rec.on_order(b);
  rec.on_exec(fill(b, 10, 0, 2), 1.0);
  const auto s = order(2, Side::Sell, 1'010'000, 15, 3);
  rec.on_order(s);
  rec.on_exec(fill(s, 15, 0, 4), 3.0);  // closes 10 (fee 2) for +10, opens short 5 @ 101 (fee 1)
  const auto c = order(3, Side::Buy, 1'020'000, 5, 5);
  rec.on_order(c);
  rec.on_exec(fill(c, 5, 0, 6), 0.5);   // closes short 5 @ 102: -5, fees 1 + 0.5
  rec.finish(7);
  const auto& d = rec.data();
  EXPECT_EQ(d.total.trips, 2u);
  EXPECT_EQ(d.total.wins, 1u);
  EXPECT_EQ(d.total.losses, 1u);
  EXPECT_NEAR(d.total.win_sum, 10 - 1 - 2, 1e-9);
  EXPECT_NEAR(d.total.loss_sum, 5 + 1 + 0.5, 1e-9);
  EXPECT_NEAR(d.pairs[0].realized, 5, 1e-9);
  EXPECT_EQ(d.pairs[0].position, 0);
  EXPECT_EQ(d.fills[1].position, -5);
}

// Round trips against a reference that never uses an average cost: a trip's P&L is its cash
// flow (sells minus buys, the crossing fill split by quantity) minus its fees.
TEST(Recorder, RoundTripsMatchCashFlowReference) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    hft::testing::TestRng rng(seed);
    Recorder rec(RecorderSettings{});
    std::int64_t pos = 0;
    double cash = 0;
    std::uint64_t trips = 0, wins = 0, losses = 0;
    double win_sum = 0, loss_sum = 0;
    for (int k = 0; k < 400; ++k) {
      const Side side = rng.uniform() < 0.5 ? Side::Buy : Side::Sell;
      const Qty q = static_cast<Qty>(1 + rng.next() % 50);
      const Price px = 1'000'000 + static_cast<Price>(rng.next() % 2000) - 1000;
      const double fee = 0.001 * q * (rng.uniform() < 0.5 ? 1 : -1);
      const auto o = order(static_cast<ClientOrderId>(k + 1), side, px, q, k * 10 + 1);
      rec.on_order(o);
      rec.on_exec(fill(o, q, 0, k * 10 + 2), fee);
      const std::int64_t d = side == Side::Buy ? q : -static_cast<std::int64_t>(q);
      const double p = static_cast<double>(px) / kPriceScale;
      // Part of this fill inside the current trip.
      std::int64_t in_trip = q;
      if (pos != 0 && (pos > 0) != (d > 0) && static_cast<std::int64_t>(q) > std::llabs(pos)) in_trip = std::llabs(pos);
      const double frac = static_cast<double>(in_trip) / q;
      cash += -(d > 0 ? 1.0 : -1.0) * p * static_cast<double>(in_trip) - fee * frac;
      pos += (d > 0 ? in_trip : -in_trip);
      if (pos == 0) {
        ++trips;
        if (cash > 1e-9) {
          ++wins;
          win_sum += cash;
        } else if (cash < -1e-9) {
          ++losses;
          loss_sum -= cash;
        }
        cash = 0;
        const std::int64_t rest = q - in_trip;
        if (rest) {
          pos = d > 0 ? rest : -rest;
          cash = -(d > 0 ? 1.0 : -1.0) * p * static_cast<double>(rest) - fee * (1 - frac);
        }
      }
    }
    const auto& a = rec.data().total;
    EXPECT_EQ(a.trips, trips) << seed;
    EXPECT_EQ(a.wins, wins) << seed;
    EXPECT_EQ(a.losses, losses) << seed;
    EXPECT_NEAR(a.win_sum, win_sum, 1e-6) << seed;
    EXPECT_NEAR(a.loss_sum, loss_sum, 1e-6) << seed;
    EXPECT_EQ(rec.data().fills.back().position, pos) << seed;
  }
}

TEST(Recorder, BadInputIsCountedNotFatal) {
  RecorderSettings s;
  s.strategies = 1;
  s.instruments = 2;
  Recorder rec(s);
  rec.on_book(1, 7, 100, 200);  // instrument out of range
  rec.on_order(order(1, Side::None, 100, 1, 2));
  rec.on_order(order(2, Side::Buy, 100, 1, 3, 5));  // strategy out of range
  const float p[3] = {0.3f, 0.3f, 0.4f};
  rec.on_label(p, 3);
  rec.on_prediction(4, p, 1.5f);
  EXPECT_EQ(rec.data().bad_input, 5u);
  RecorderSettings bad;
  bad.strategies = 0;
  EXPECT_THROW(Recorder{bad}, std::invalid_argument);
}

TEST(Recorder, OrderStatesFollowReports) {
  Recorder rec(RecorderSettings{});
  const auto a = order(10, Side::Buy, 1'000'000, 10, 1);
  const auto b = order(11, Side::Sell, 1'000'000, 10, 1);
  const auto c = order(12, Side::Sell, 1'000'000, 10, 1);
  for (const auto& o : {a, b, c}) rec.on_order(o);
  auto r = report_for(a, ExecKind::Reject, 5);
  r.reason = RejectReason::PriceCollar;
  rec.on_exec(r);
  rec.on_exec(report_for(b, ExecKind::Ack, 6));
  rec.on_exec(fill(b, 4, 6, 7));
  rec.on_exec(report_for(b, ExecKind::Cancelled, 8));
  rec.on_exec(report_for(c, ExecKind::Ack, 6));
  auto rj = report_for(c, ExecKind::Reject, 9);  // a refused cancel: the order stays working
  rj.reason = RejectReason::UnknownOrder;
  rec.on_exec(rj);
  const auto& d = rec.data();
  EXPECT_EQ(d.orders[0].state, report::OrderState::Rejected);
  EXPECT_EQ(d.orders[0].reason, RejectReason::PriceCollar);
  EXPECT_EQ(d.orders[0].ts_final, 5);
  EXPECT_EQ(d.orders[1].state, report::OrderState::Cancelled);
  EXPECT_EQ(d.orders[1].filled, 4u);
  EXPECT_EQ(d.orders[2].state, report::OrderState::Working);
  EXPECT_EQ(d.total.rejects[static_cast<std::size_t>(RejectReason::PriceCollar)], 1u);
  EXPECT_EQ(d.total.rejects[static_cast<std::size_t>(RejectReason::UnknownOrder)], 1u);
}

}  // namespace
