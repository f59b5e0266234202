// The simulated exchange on a REAL day (LOBSTER AMZN 2012-06-21, level 5): an own buy order is
// placed at the best bid at a chosen moment, and its queue position row by row and its fill are
// checked against a walk of the raw message file written here, independent of the book, the
// reader and the simulator: which orders were at that price when we joined (from the message
// file, checked to add up to the orderbook file's bid size), when each of them left, and the
// first message that fills us (an execution behind us, a sell placed at or below our price, or an
// execution on the buy side below our price).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/lobster/lobster.hpp"
#include "hft/lobster/lobster_source.hpp"
#include "hft/sim/exchange.hpp"
#include "../common/read_lines.hpp"
#include "../common/unzip_once.hpp"

namespace hft::sim {
namespace {

struct Msg {
  Nanos t = 0;
  int type = 0;
  std::uint64_t id = 0;
  std::int64_t size = 0;
  std::int64_t px = 0;
  int dir = 0;
};

// "34200.123456789[123]" -> ns, rounded at the 10th decimal (a few rows carry 12 decimals).
Nanos to_ns(const std::string& s) {
  const auto dot = s.find('.');
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  frac.resize(10, '0');
  Nanos v = std::stoll(s.substr(0, dot)) * 1'000'000'000 + std::stoll(frac.substr(0, 9));
  return v + (frac[9] >= '5' ? 1 : 0);
}

std::vector<Msg> read_messages(const std::string& path) {
  std::vector<Msg> out;
  for (const auto& line : hft::testing::read_lines(path)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string f[6];
    for (auto& x : f) std::getline(ss, x, ',');
    out.push_back(Msg{to_ns(f[0]), std::stoi(f[1]), std::stoull(f[2]), std::stoll(f[3]), std::stoll(f[4]), std::stoi(f[5])});
  }
  return out;
}

// The hand walk. Ahead after each row from i0 + 1 until the fill row (exclusive).
struct Expected {
  std::int64_t price = 0;
  std::int64_t ahead0 = 0;
  std::vector<std::int64_t> ahead;  // [j - i0 - 1] for rows before the fill
  std::size_t fill_row = 0;
  std::int64_t fill_qty = 0;
  std::string cause;  // behind | cross | through
  int exec_ahead = 0, cancel_ahead = 0;
};

Expected walk(const std::vector<Msg>& m, const std::vector<std::string>& book_rows, std::size_t i0, std::int64_t qty) {
  Expected e;
  // Resting orders known from the messages up to row i0, in arrival order per price (FIFO).
  std::map<std::uint64_t, std::int64_t> left;  // id -> qty
  std::map<std::uint64_t, std::pair<int, std::int64_t>> where;
  for (std::size_t j = 0; j <= i0; ++j) {
    const Msg& x = m[j];
    if (x.type == 1) {
      left[x.id] = x.size;
      where[x.id] = {x.dir, x.px};
    } else if ((x.type == 2 || x.type == 3 || x.type == 4) && left.count(x.id)) {
      if (x.type == 3 || (left[x.id] -= x.size) <= 0) left.erase(x.id);
    }
  }
  std::stringstream ss(book_rows[i0]);
  std::string ask_px, ask_sz, bid_px, bid_sz;
  std::getline(ss, ask_px, ',');
  std::getline(ss, ask_sz, ',');
  std::getline(ss, bid_px, ',');
  std::getline(ss, bid_sz, ',');
  e.price = std::stoll(bid_px);
  std::map<std::uint64_t, std::int64_t> ahead;
  for (const auto& [id, q] : left)
    if (where[id].first == 1 && where[id].second == e.price) ahead[id] = q;
  for (const auto& [id, q] : ahead) e.ahead0 += q;
  EXPECT_EQ(e.ahead0, std::stoll(bid_sz)) << "the orders at the best bid are not all known from the messages";
  std::int64_t a = e.ahead0;
  for (std::size_t j = i0 + 1; j < m.size(); ++j) {
    const Msg& x = m[j];
    if (x.type == 1 && x.dir == -1 && x.px <= e.price) {
      e.cause = "cross";
    } else if ((x.type == 4 || x.type == 5) && x.dir == 1 && x.px < e.price) {
      e.cause = "through";
    } else if ((x.type == 2 || x.type == 3 || x.type == 4) && x.dir == 1 && x.px == e.price) {
      if (auto it = ahead.find(x.id); it != ahead.end()) {
        const std::int64_t r = x.type == 3 ? it->second : std::min(x.size, it->second);
        a -= r;
        if ((it->second -= r) == 0) ahead.erase(it);
        ++(x.type == 4 ? e.exec_ahead : e.cancel_ahead);
      } else if (x.type == 4) {
        e.cause = "behind";
      }
    }
    if (!e.cause.empty()) {
      e.fill_row = j;
      e.fill_qty = std::min(x.size, qty);
      return e;
    }
    e.ahead.push_back(a);
  }
  return e;
}

struct SimRun {
  std::vector<Qty> ahead;  // after each row from i0 + 1 while working
  std::vector<ExecReport> reps;
  ClientOrderId id = 0;
};

// Replays the whole file; submits a buy of qty at `price` after row i0 (now = its time).
SimRun simulate(const std::string& path, Nanos t0, Nanos t1, Price price, Qty qty, Nanos entry) {
  SimRun out;
  book::BookConfig bc;
  bc.max_orders = 1u << 16;
  bc.max_levels = 1u << 12;
  bc.max_instruments = 4;
  book::Books books(bc);
  engine::Scheduler sched(1024);
  SimConfig cfg;
  cfg.entry = LatencyModel::constant(entry);
  cfg.response = LatencyModel::constant(0);
  Exchange ex(cfg, books, 3);
  auto src = lobster::open_lobster_source(path, {});
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  bool sent = false;
  std::size_t n;
  auto deliver = [&](const engine::Scheduled& x) {
    if (x.what == engine::Scheduled::kTimer) ex.on_timer(x.timer, sched);
    else out.reps.push_back(x.exec);
  };
  while ((n = src->next(buf)) > 0) {
    for (std::size_t i = 0; i < n; ++i) {
      const MarketEvent& ev = buf[i];
      if (!sent && ev.ts_exch >= t1) {
        OrderIntent o;
        o.kind = IntentKind::New;
        o.side = Side::Buy;
        o.price = price;
        o.qty = qty;
        o.instrument = lobster::kLobsterInstrument;
        o.id = out.id = 1;
        o.ts = t0;
        ex.submit(o, t0, sched);
        sent = true;
      }
      sched.run_until(ev.ts_exch, deliver);
      books.apply(ev);
      ex.on_market(ev, sched);
      if (sent && (ev.flags & evflag::kLast)) {
        Qty a = 0, l = 0;
        if (!ex.working(out.id, a, l)) {
          sched.run_until(ev.ts_exch, deliver);
          return out;
        }
        out.ahead.push_back(a);
      }
    }
  }
  return out;
}

void check_moment(std::size_t i0, const char* want_cause) {
  const std::string msg_path = hft::testing::lobster_sample("AMZN", 5, "sim");
  ASSERT_FALSE(msg_path.empty());
  std::string book_path = msg_path;
  book_path.replace(book_path.find("message"), 7, "orderbook");
  const auto m = read_messages(msg_path);
  const auto rows = hft::testing::read_lines(book_path);
  ASSERT_EQ(m.size(), 155935u);
  ASSERT_EQ(rows.size(), m.size());
  constexpr Nanos kEntry = 1000;
  ASSERT_GT(m[i0 + 1].t - m[i0].t, kEntry) << "the order must arrive between two rows";
  constexpr Qty kQty = 100;
  const Expected e = walk(m, rows, i0, kQty);
  ASSERT_EQ(e.cause, want_cause);
  const SimRun s = simulate(msg_path, m[i0].t, m[i0 + 1].t, e.price, kQty, kEntry);
  // Joined with every displayed share at the best bid ahead, then followed the hand walk row by
  // row until the fill row.
  ASSERT_EQ(s.ahead.size(), e.ahead.size()) << "filled at the wrong row";
  for (std::size_t k = 0; k < e.ahead.size(); ++k)
    ASSERT_EQ(static_cast<std::int64_t>(s.ahead[k]), e.ahead[k]) << "row " << i0 + 1 + k;
  std::vector<ExecReport> fills;
  for (const auto& r : s.reps)
    if (r.kind == ExecKind::Fill) fills.push_back(r);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].ts_venue, m[e.fill_row].t);
  EXPECT_EQ(static_cast<std::int64_t>(fills[0].qty), e.fill_qty);
  EXPECT_EQ(fills[0].price, e.price);
  EXPECT_EQ(fills[0].liquidity, Liquidity::Maker);
  EXPECT_EQ(static_cast<std::int64_t>(fills[0].queue_ahead), e.ahead0);
  ASSERT_GE(s.reps.size(), 1u);
  EXPECT_EQ(s.reps[0].kind, ExecKind::Ack);
  EXPECT_EQ(s.reps[0].ts_venue, m[i0].t + kEntry);
  std::printf("AMZN row %zu: bid %lld, %lld ahead; %d executions and %d cancels ahead; filled %lld by '%s' at row %zu (%.3f s later)\n",
              i0, static_cast<long long>(e.price), static_cast<long long>(e.ahead0), e.exec_ahead, e.cancel_ahead,
              static_cast<long long>(e.fill_qty), e.cause.c_str(), e.fill_row,
              static_cast<double>(m[e.fill_row].t - m[i0].t) * 1e-9);
}

// 300 shares ahead, executed away in three prints; then an execution behind us fills us.
TEST(SimLobster, AmznFillByExecutionsReachingUs) {
  check_moment(49800, "behind");
}

// 140 shares ahead in three orders, all cancelled; the queue empties by cancels alone and a
// later sale below our bid fills us.
TEST(SimLobster, AmznCancelDrivenAdvance) {
  check_moment(90900, "through");
}

}  // namespace
}  // namespace hft::sim
