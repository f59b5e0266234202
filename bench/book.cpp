// ns per Books::apply on a realistic in-memory stream: adds near the top with geometric depth,
// cancels and deletes of random live orders, executions at the best, some replaces.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <unordered_map>
#include <vector>

#include "hft/book/order_book.hpp"

namespace {

using hft::MarketEvent;
using hft::EventKind;
using hft::Side;
using hft::OrderId;
using hft::Price;
using hft::Qty;

struct Stream {
  std::vector<MarketEvent> events;
  std::size_t peak_live = 0;
};

// Builds a valid stream by running it through a Books as it goes; it ends with every order
// deleted, so it can be replayed in a loop on one Books.
Stream make_stream(std::size_t n, std::uint32_t instruments, OrderId id_base, OrderId id_step,
                   std::size_t target_live) {
  hft::book::Books gen;
  std::mt19937_64 rng(42);
  std::geometric_distribution<int> depth(0.35);
  std::vector<Price> mid(instruments, 1'000'000);
  std::vector<OrderId> live;
  std::unordered_map<OrderId, std::size_t> pos;
  auto forget = [&](OrderId id) {
    const std::size_t p = pos.at(id);
    live[p] = live.back();
    pos[live[p]] = p;
    live.pop_back();
    pos.erase(id);
  };
  Stream s;
  s.events.reserve(n + 1'000'000);
  OrderId next = id_base;
  auto push = [&](const MarketEvent& e) {
    if (gen.apply(e) == hft::book::BookError::None) s.events.push_back(e);
  };
  while (s.events.size() < n) {
    const std::uint32_t instr = static_cast<std::uint32_t>(rng() % instruments);
    if (rng() % 100 == 0) mid[instr] += (rng() & 1) ? 100 : -100;
    const int r = static_cast<int>(rng() % 100);
    MarketEvent e{};
    e.instrument = instr;
    // Adds and removals balance around target_live (a day's live set is roughly stable).
    if (live.size() < target_live / 2 || (live.size() < 2 * target_live && r < 45)) {
      const Side side = (rng() & 1) ? Side::Buy : Side::Sell;
      const Price d = 100 * std::min(depth(rng), 60);
      Price px = side == Side::Buy ? mid[instr] - 100 - d : mid[instr] + d;
      const auto opp = gen.best(instr, hft::opposite(side));
      if (opp.qty > 0) px = side == Side::Buy ? std::min(px, opp.price - 100) : std::max(px, opp.price + 100);
      e.kind = EventKind::Add;
      e.side = side;
      e.price = px;
      e.qty = 100 * (1 + static_cast<Qty>(rng() % 5));
      e.order_id = next;
      next += id_step;
      push(e);
      pos[e.order_id] = live.size();
      live.push_back(e.order_id);
    } else if (r < 85) {
      // Most cancels hit young orders (85% among the 2000 newest), the rest any live order.
      const std::size_t k = rng() % 100 < 85 ? live.size() - 1 - rng() % std::min<std::size_t>(live.size(), 2000)
                                            : rng() % live.size();
      const OrderId id = live[k];
      hft::book::Books::OrderView o;
      gen.find_order(id, o);
      if (r < 75 || o.qty <= 100) {
        e.kind = EventKind::Delete;
        e.order_id = id;
        push(e);
        forget(id);
      } else {
        e.kind = EventKind::Cancel;
        e.order_id = id;
        e.qty = 100;
        push(e);
      }
    } else if (r < 96) {
      const Side side = (rng() & 1) ? Side::Buy : Side::Sell;
      const auto top = gen.best(instr, side);
      OrderId id;
      if (top.qty == 0 || !gen.level_front(instr, side, top.price, id)) continue;
      hft::book::Books::OrderView o;
      gen.find_order(id, o);
      e.kind = EventKind::Execute;
      e.order_id = id;
      e.price = top.price;
      e.qty = (rng() & 1) ? o.qty : std::max<Qty>(1, o.qty / 2);
      push(e);
      if (e.qty == o.qty) forget(id);
    } else {
      const OrderId id = live[rng() % live.size()];
      hft::book::Books::OrderView o;
      gen.find_order(id, o);
      e.kind = EventKind::Replace;
      e.order_id = id;
      e.new_order_id = next;
      next += id_step;
      e.price = o.price + ((o.side == Side::Buy) ? -100 : 100) * static_cast<Price>(rng() % 2);
      e.qty = o.qty;
      push(e);
      forget(id);
      pos[e.new_order_id] = live.size();
      live.push_back(e.new_order_id);
    }
    s.peak_live = std::max(s.peak_live, live.size());
  }
  for (OrderId id : std::vector<OrderId>(live)) {
    MarketEvent e{};
    e.kind = EventKind::Delete;
    e.order_id = id;
    push(e);
  }
  return s;
}

// max_orders = 0: the default BookConfig (1M orders, a 16 MB index). A pool sized to the feed's
// peak live orders keeps the index in cache: the order index miss is most of the cost.
void run(benchmark::State& state, const Stream& s, std::size_t max_orders = 0) {
  hft::book::BookConfig cfg;
  cfg.prefault = true;  // as the live engine: no page faults in the timed loop
  if (max_orders != 0) cfg.max_orders = max_orders;
  hft::book::Books books(cfg);
  std::size_t i = 0;
  const std::size_t n = s.events.size();
  for (auto _ : state) {
    benchmark::DoNotOptimize(books.apply(s.events[i]));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["peak_live"] = static_cast<double>(s.peak_live);
  std::uint64_t errors = 0;
  for (auto c : books.counters().errors) errors += c;
  state.counters["book_errors"] = static_cast<double>(errors);
}

// 8 instruments, 20k live orders: the book fits in the caches as a busy feed's hot set does.
void BM_BooksApply_DenseIds(benchmark::State& state) {
  static const Stream s = make_stream(500'000, 8, 1, 1, 20'000);
  run(state, s);
}
void BM_BooksApply_DbnLikeIds(benchmark::State& state) {
  static const Stream s = make_stream(2'000'000, 8, 647784973705ULL, 4099, 20'000);
  run(state, s);
}
// 2000 instruments, 300k live orders: most touches miss the caches.
void BM_BooksApply_ManyInstruments(benchmark::State& state) {
  static const Stream s = make_stream(2'000'000, 2000, 1, 1, 300'000);
  run(state, s);
}
// 2000 live orders: everything stays in L1/L2, the compute floor of the book.
void BM_BooksApply_HotSet(benchmark::State& state) {
  static const Stream s = make_stream(500'000, 8, 1, 1, 2'000);
  run(state, s);
}
void BM_BooksApply_HotSet_SizedPool(benchmark::State& state) {
  static const Stream s = make_stream(500'000, 8, 1, 1, 2'000);
  run(state, s, 8192);
}
void BM_BooksApply_DenseIds_SizedPool(benchmark::State& state) {
  static const Stream s = make_stream(500'000, 8, 1, 1, 20'000);
  run(state, s, 65536);
}
void BM_BooksApply_DbnLikeIds_SizedPool(benchmark::State& state) {
  static const Stream s = make_stream(2'000'000, 8, 647784973705ULL, 4099, 20'000);
  run(state, s, 65536);
}
// The same streams through apply_batch (64 events a call, as a source hands them over).
// Time is per call of 64 events; items_per_second is per event.
void run_batched(benchmark::State& state, const Stream& s) {
  hft::book::Books books;
  constexpr std::size_t kBatch = 64;
  std::size_t i = 0;
  const std::size_t n = s.events.size();
  for (auto _ : state) {
    const std::size_t k = std::min(kBatch, n - i);
    books.apply_batch(s.events.data() + i, k);
    i += k;
    if (i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
void BM_BooksApplyBatch64_HotSet(benchmark::State& state) {
  static const Stream s = make_stream(500'000, 8, 1, 1, 2'000);
  run_batched(state, s);
}
void BM_BooksApplyBatch64_DenseIds(benchmark::State& state) {
  static const Stream s = make_stream(500'000, 8, 1, 1, 20'000);
  run_batched(state, s);
}
void BM_BooksApplyBatch64_DbnLikeIds(benchmark::State& state) {
  static const Stream s = make_stream(2'000'000, 8, 647784973705ULL, 4099, 20'000);
  run_batched(state, s);
}
BENCHMARK(BM_BooksApplyBatch64_HotSet);
BENCHMARK(BM_BooksApplyBatch64_DenseIds);
BENCHMARK(BM_BooksApplyBatch64_DbnLikeIds);
BENCHMARK(BM_BooksApply_HotSet);
BENCHMARK(BM_BooksApply_HotSet_SizedPool);
BENCHMARK(BM_BooksApply_DenseIds_SizedPool);
BENCHMARK(BM_BooksApply_DbnLikeIds_SizedPool);
BENCHMARK(BM_BooksApply_DenseIds);
BENCHMARK(BM_BooksApply_DbnLikeIds);
BENCHMARK(BM_BooksApply_ManyInstruments);

}  // namespace

BENCHMARK_MAIN();
