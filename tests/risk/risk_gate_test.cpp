// The risk gate, property-tested: a seeded random flow of orders, cancels, replaces, venue acks /
// fills / cancels, market moves, halts, breaker trips and kill switch flips over many strategies
// and instruments. Every intent the gate lets through is checked against every limit recomputed
// here from this test's own book of working orders and positions (never from the gate's or the
// OMS's helpers), and every reject is checked to name a limit that really was breached.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "../common/test_rng.hpp"
#include "hft/risk/risk_gate.hpp"

namespace {

using namespace hft;
using namespace hft::risk;

constexpr int kStrategies = 6;
constexpr int kInstr = 8;

struct ModelOrder {
  std::uint16_t s;
  InstrumentId i;
  Side side;
  Price price;
  Qty qty, filled = 0, leaves;
  bool cancelling = false;
  bool replacing = false;
  bool acked = false;
  Price new_price = 0;
  Qty new_qty = 0;
  // What the order may still add to its side (a pending replace: the larger of old and new terms).
  Qty open() const { return replacing ? std::max<Qty>(leaves, new_qty > filled ? new_qty - filled : 0) : leaves; }
  Price open_px() const { return replacing ? std::max(price, new_price) : price; }
};

struct Model {
  RiskSettings rs;
  std::map<ClientOrderId, ModelOrder> working;
  std::map<std::pair<int, int>, std::int64_t> pos;  // (strategy, instrument) -> shares
  std::array<Price, kInstr> bid{}, ask{};
  std::array<bool, kInstr> halted{};
  std::array<double, kInstr> mark{};  // currency
  std::array<bool, kStrategies> tripped{};
  bool global_tripped = false, kill = false;
  std::map<std::int64_t, std::uint32_t> rate;  // second -> new + replace accepted

  std::int64_t limit(InstrumentId i) const { return i == 3 ? 150 : rs.max_position; }
  std::int64_t inst_pos(InstrumentId i) const {
    std::int64_t q = 0;
    for (const auto& [k, v] : pos)
      if (k.second == static_cast<int>(i)) q += v;
    return q;
  }
  std::int64_t open_side(InstrumentId i, Side side, int strategy = -1) const {
    std::int64_t q = 0;
    for (const auto& [id, o] : working)
      if (o.i == i && o.side == side && (strategy < 0 || o.s == strategy)) q += o.open();
    return q;
  }
  double exposure() const {
    double g = 0;
    for (const auto& [k, v] : pos) g += static_cast<double>(std::llabs(v)) * mark[static_cast<std::size_t>(k.second)];
    for (const auto& [id, o] : working) g += static_cast<double>(o.open()) * static_cast<double>(o.open_px()) * 1e-4;
    return g;
  }
  std::size_t open_orders(int s = -1) const {
    std::size_t n = 0;
    for (const auto& [id, o] : working) n += s < 0 || o.s == s;
    return n;
  }
  bool self_cross(const OrderIntent& x) const {
    for (const auto& [id, o] : working) {
      if (o.s != x.strategy || o.i != x.instrument || o.side == x.side) continue;
      const Price lo = o.replacing ? std::min(o.price, o.new_price) : o.price;
      const Price hi = o.replacing ? std::max(o.price, o.new_price) : o.price;
      if (x.side == Side::Buy ? x.price >= lo : x.price <= hi) return true;
    }
    return false;
  }
  bool reduce_only(const OrderIntent& x) const {
    if (x.kind != IntentKind::New || x.tif != TimeInForce::IOC) return false;
    auto it = pos.find({x.strategy, static_cast<int>(x.instrument)});
    const std::int64_t p = it == pos.end() ? 0 : it->second;
    if (x.side == Side::Sell) return p > 0 && open_side(x.instrument, Side::Sell, x.strategy) + x.qty <= p;
    return p < 0 && open_side(x.instrument, Side::Buy, x.strategy) + x.qty <= -p;
  }
  // What the intent adds to its side's working quantity and notional.
  std::pair<std::int64_t, double> adds(const OrderIntent& x) const {
    if (x.kind == IntentKind::New) return {x.qty, static_cast<double>(x.qty) * static_cast<double>(x.price) * 1e-4};
    const ModelOrder& o = working.at(x.id);
    const std::int64_t nl = x.qty > o.filled ? x.qty - o.filled : 0;
    const std::int64_t a = std::max<std::int64_t>(0, nl - o.open());
    const double n = std::max(0.0, (static_cast<double>(nl) * static_cast<double>(std::max(x.price, o.open_px())) -
                                    static_cast<double>(o.open()) * static_cast<double>(o.open_px())) * 1e-4);
    return {a, n};
  }
  bool position_breach(const OrderIntent& x) const {
    const std::int64_t a = adds(x).first, p = inst_pos(x.instrument);
    return x.side == Side::Buy ? p + open_side(x.instrument, Side::Buy) + a > limit(x.instrument)
                               : open_side(x.instrument, Side::Sell) + a - p > limit(x.instrument);
  }
  bool collar_breach(const OrderIntent& x) const {
    const Price b = bid[x.instrument], a = ask[x.instrument];
    if (b <= 0 || a <= 0) return true;
    // |price - mid| / mid in exact rational form: |2 price - (b + a)| / (b + a) > bps / 10000
    const long double dev = std::fabs(2.0L * x.price - static_cast<long double>(b + a)) / static_cast<long double>(b + a);
    return dev * 10000.0L > static_cast<long double>(rs.collar_bps) + 1e-12L;
  }
  bool collar_inside(const OrderIntent& x) const {
    const Price b = bid[x.instrument], a = ask[x.instrument];
    if (b <= 0 || a <= 0) return false;
    const long double dev = std::fabs(2.0L * x.price - static_cast<long double>(b + a)) / static_cast<long double>(b + a);
    return dev * 10000.0L <= static_cast<long double>(rs.collar_bps) + 1e-12L;
  }
};

TEST(RiskGateProperty, NothingThatBreachesALimitLeavesTheGateAndEveryRejectNamesARealBreach) {
  std::array<std::uint64_t, kRejectReasonCount> seen{};
  std::uint64_t accepted = 0;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    hft::testing::TestRng rng(seed * 7919);
    Model m;
    m.rs.max_instrument = kInstr;
    m.rs.max_order_qty = 200;
    m.rs.max_order_notional = 15000;
    m.rs.max_position = 400;
    m.rs.position_limits = {{"AAA", 150}, {"ZZZ", 5}};
    m.rs.max_gross = 300000;
    m.rs.collar_bps = 50;
    m.rs.max_open_orders = 30;
    m.rs.max_open_orders_per_strategy = 8;
    m.rs.max_orders_per_s = 25;
    oms::OmsConfig oc;
    oc.max_strategies = kStrategies;
    oc.max_instruments = kInstr;
    oc.max_orders = 4096;
    oms::OrderManager om(oc);
    RiskGate gate(m.rs, kStrategies);
    gate.set_symbol(3, "AAA");
    gate.set_symbol(4, "BBB");  // no override: the default
    ASSERT_EQ(gate.position_limit(3), 150);
    ASSERT_EQ(gate.position_limit(4), 400);
    std::array<Price, kInstr> mid{};
    for (int i = 0; i < kInstr; ++i) {
      mid[static_cast<std::size_t>(i)] = 500000 + 100000 * i;  // 50.00 .. 120.00
      m.bid[static_cast<std::size_t>(i)] = mid[static_cast<std::size_t>(i)] - 100;
      m.ask[static_cast<std::size_t>(i)] = mid[static_cast<std::size_t>(i)] + 100;
      om.mark(static_cast<InstrumentId>(i), (m.bid[static_cast<std::size_t>(i)] + m.ask[static_cast<std::size_t>(i)]) / 2);
      m.mark[static_cast<std::size_t>(i)] = static_cast<double>((m.bid[static_cast<std::size_t>(i)] + m.ask[static_cast<std::size_t>(i)]) / 2) * 1e-4;
    }
    Nanos now = 0;
    ClientOrderId next_id = 1;
    for (int step = 0; step < 5000; ++step) {
      now += static_cast<Nanos>(rng.next() % 20'000'000);
      const int what = static_cast<int>(rng.next() % 100);
      if (what < 55) {  // an intent
        OrderIntent x;
        x.strategy = static_cast<std::uint16_t>(rng.next() % kStrategies);
        const int k = static_cast<int>(rng.next() % 10);
        if (k < 7 || m.working.empty()) {
          x.kind = IntentKind::New;
          x.id = next_id++;
          x.instrument = static_cast<InstrumentId>(rng.next() % 50 == 0 ? kInstr + rng.next() % 3 : rng.next() % kInstr);  // sometimes out of range
        } else {
          auto it = m.working.begin();
          std::advance(it, static_cast<long>(rng.next() % m.working.size()));
          x.kind = k < 9 ? IntentKind::Cancel : IntentKind::Replace;
          x.id = rng.next() % 20 == 0 ? next_id + 1000 : it->first;
          x.strategy = rng.next() % 8 == 0 ? x.strategy : it->second.s;
          x.instrument = it->second.i;
        }
        const std::uint64_t sr = rng.next() % 40;
        x.side = sr == 0 ? Side::None : (sr % 2 ? Side::Buy : Side::Sell);
        if (x.kind != IntentKind::New && m.working.count(x.id) && rng.next() % 6) x.side = m.working.at(x.id).side;
        x.tif = rng.next() % 4 == 0 ? TimeInForce::IOC : TimeInForce::Day;
        x.qty = rng.next() % 50 == 0 ? 0 : 1 + static_cast<Qty>(rng.next() % 210);
        const Price ref = x.instrument < kInstr ? mid[x.instrument] : 100000;
        x.price = rng.next() % 80 == 0 ? 0 : ref + static_cast<Price>(static_cast<double>(ref) * 0.006 * rng.sym());
        x.ts = now;
        const RejectReason r = gate.check(x, now, x.instrument < kInstr ? MarketView{m.bid[x.instrument], m.ask[x.instrument], m.halted[x.instrument]} : MarketView{}, om);
        ++seen[static_cast<std::size_t>(r)];
        const bool known = m.working.count(x.id) != 0;
        const ModelOrder* t = known ? &m.working.at(x.id) : nullptr;
        const bool target_ok = x.kind == IntentKind::New ||
                               (t && t->s == x.strategy && t->i == x.instrument &&
                                (x.kind == IntentKind::Cancel || (!t->cancelling && t->side == x.side)));
        if (r == RejectReason::None) {
          ++accepted;
          ASSERT_LT(x.instrument, static_cast<InstrumentId>(kInstr));
          ASSERT_TRUE(target_ok);
          if (x.kind != IntentKind::Cancel) {
            ASSERT_FALSE(m.kill);
            ASSERT_TRUE(x.side == Side::Buy || x.side == Side::Sell);
            ASSERT_GT(x.qty, 0u);
            ASSERT_LE(x.qty, m.rs.max_order_qty);
            ASSERT_GT(x.price, 0);
            if (m.global_tripped || m.tripped[x.strategy]) {
              ASSERT_TRUE(m.reduce_only(x)) << "a tripped strategy added risk";
            }
            ASSERT_FALSE(m.halted[x.instrument]);
            ASSERT_LE(static_cast<double>(x.qty) * static_cast<double>(x.price) * 1e-4, m.rs.max_order_notional + 1e-9);
            ASSERT_TRUE(m.collar_inside(x)) << x.price << " vs " << m.bid[x.instrument] << "/" << m.ask[x.instrument];
            ASSERT_FALSE(m.position_breach(x)) << "position limit";
            ASSERT_LE(m.exposure() + m.adds(x).second, m.rs.max_gross * (1 + 1e-12)) << "gross exposure";
            if (x.kind == IntentKind::New) {
              ASSERT_LT(m.open_orders(), m.rs.max_open_orders);
              ASSERT_LT(m.open_orders(x.strategy), m.rs.max_open_orders_per_strategy);
            }
            ASSERT_FALSE(m.self_cross(x)) << "self trade";
            const std::uint32_t n = ++m.rate[floor_div(now, 1'000'000'000)];
            ASSERT_LE(n, m.rs.max_orders_per_s);
          }
          ASSERT_TRUE(om.on_sent(x));
          if (x.kind == IntentKind::New) {
            m.working[x.id] = ModelOrder{x.strategy, x.instrument, x.side, x.price, x.qty, 0, x.qty};
          } else if (x.kind == IntentKind::Cancel) {
            m.working.at(x.id).cancelling = true;
          } else {
            ModelOrder& o = m.working.at(x.id);
            o.replacing = true;
            o.new_price = x.price;
            o.new_qty = x.qty;
          }
        } else {  // the reason must name a real breach
          switch (r) {
            case RejectReason::BadInstrument: EXPECT_GE(x.instrument, static_cast<InstrumentId>(kInstr)); break;
            case RejectReason::UnknownOrder: EXPECT_FALSE(target_ok); break;
            case RejectReason::KillSwitch: EXPECT_TRUE(m.kill); break;
            case RejectReason::BadSide: EXPECT_EQ(x.side, Side::None); break;
            case RejectReason::BadQty: EXPECT_TRUE(x.qty == 0 || x.qty > m.rs.max_order_qty); break;
            case RejectReason::BadPrice: EXPECT_LE(x.price, 0); break;
            case RejectReason::Breaker: EXPECT_TRUE((m.global_tripped || m.tripped[x.strategy]) && !m.reduce_only(x)); break;
            case RejectReason::Halted: EXPECT_TRUE(m.halted[x.instrument]); break;
            case RejectReason::Notional: EXPECT_GT(static_cast<double>(x.qty) * static_cast<double>(x.price) * 1e-4, m.rs.max_order_notional - 1e-9); break;
            case RejectReason::PriceCollar: EXPECT_TRUE(m.collar_breach(x)); break;
            case RejectReason::Position: EXPECT_TRUE(m.position_breach(x)); break;
            case RejectReason::Exposure: EXPECT_GT(m.exposure() + m.adds(x).second, m.rs.max_gross * (1 - 1e-12)); break;
            case RejectReason::OpenOrders:
              EXPECT_TRUE(m.open_orders() >= m.rs.max_open_orders || m.open_orders(x.strategy) >= m.rs.max_open_orders_per_strategy);
              break;
            case RejectReason::SelfTrade: EXPECT_TRUE(m.self_cross(x)); break;
            case RejectReason::RateLimit: EXPECT_EQ(m.rate[floor_div(now, 1'000'000'000)], m.rs.max_orders_per_s); break;
            default: ADD_FAILURE() << "unexpected reason " << reject_reason_name(r);
          }
        }
      } else if (what < 85 && !m.working.empty()) {  // the venue answers
        auto it = m.working.begin();
        std::advance(it, static_cast<long>(rng.next() % m.working.size()));
        ModelOrder& o = it->second;
        ExecReport rep;
        rep.id = it->first;
        rep.strategy = o.s;
        rep.instrument = o.i;
        rep.side = o.side;
        rep.price = o.price;
        if (!o.acked) {
          rep.kind = ExecKind::Ack;
          o.acked = true;
          ASSERT_TRUE(om.on_report(rep));
        } else if (o.replacing) {  // the venue takes the replace (or refuses it)
          if (rng.next() % 3) {
            rep.kind = ExecKind::Replaced;
            o.price = o.new_price;
            o.qty = o.new_qty;
            o.leaves = o.qty > o.filled ? o.qty - o.filled : 0;
          } else {
            rep.kind = ExecKind::Reject;
            rep.reason = RejectReason::Venue;
          }
          o.replacing = false;
          ASSERT_TRUE(om.on_report(rep));
          if (o.leaves == 0) m.working.erase(it);
        } else if (o.cancelling || rng.next() % 5 == 0) {
          rep.kind = ExecKind::Cancelled;
          ASSERT_TRUE(om.on_report(rep));
          m.working.erase(it);
        } else {
          rep.kind = ExecKind::Fill;
          rep.qty = 1 + static_cast<Qty>(rng.next() % o.leaves);
          rep.liquidity = Liquidity::Maker;
          ASSERT_TRUE(om.on_report(rep));
          m.pos[{o.s, static_cast<int>(o.i)}] += o.side == Side::Buy ? std::int64_t{rep.qty} : -std::int64_t{rep.qty};
          o.leaves -= rep.qty;
          o.filled += rep.qty;
          if (o.leaves == 0) m.working.erase(it);
        }
      } else if (what < 93) {  // the market moves (sometimes one side empties, or it halts)
        const auto i = static_cast<std::size_t>(rng.next() % kInstr);
        mid[i] += static_cast<Price>(static_cast<double>(mid[i]) * 0.002 * rng.sym());
        const Price half = 50 + static_cast<Price>(rng.next() % 200);
        m.bid[i] = rng.next() % 25 == 0 ? 0 : mid[i] - half;
        m.ask[i] = mid[i] + half;
        m.halted[i] = rng.next() % 20 == 0;
        if (m.bid[i] > 0) {
          om.mark(static_cast<InstrumentId>(i), (m.bid[i] + m.ask[i]) / 2);
          m.mark[i] = static_cast<double>((m.bid[i] + m.ask[i]) / 2) * 1e-4;
        }
      } else if (what < 97) {  // breakers trip and re-arm
        const auto s = static_cast<std::uint16_t>(rng.next() % kStrategies);
        if (rng.next() % 4 == 0) {
          gate.breakers.trip(s, BreakerReason::Manual, now);
          m.tripped[s] = true;
        } else {
          gate.breakers.rearm(s);
          m.tripped[s] = false;
        }
        if (m.global_tripped || rng.next() % 20 == 0) {
          m.global_tripped = !m.global_tripped;
          if (m.global_tripped) gate.breakers.trip(Breakers::kGlobal, BreakerReason::Manual, now);
          else gate.breakers.rearm(Breakers::kGlobal);
        }
      } else {
        m.kill = rng.next() % 10 == 0;
        gate.set_kill(m.kill);
      }
    }
  }
  // Not vacuous: plenty got through, and every limit was met somewhere.
  EXPECT_GT(accepted, 50000u);
  for (RejectReason r : {RejectReason::BadInstrument, RejectReason::UnknownOrder, RejectReason::KillSwitch, RejectReason::BadSide,
                         RejectReason::BadQty, RejectReason::BadPrice, RejectReason::Breaker, RejectReason::Halted,
                         RejectReason::Notional, RejectReason::PriceCollar, RejectReason::Position, RejectReason::Exposure,
                         RejectReason::OpenOrders, RejectReason::SelfTrade, RejectReason::RateLimit})
    EXPECT_GT(seen[static_cast<std::size_t>(r)], 0u) << reject_reason_name(r);
}

TEST(RiskGate, CancelsPassEvenWhenKilledTrippedHaltedOrOverTheRate) {
  oms::OmsConfig oc;
  oc.max_instruments = 4;
  oms::OrderManager om(oc);
  RiskSettings rs;
  rs.max_instrument = 4;
  rs.max_orders_per_s = 1;
  RiskGate gate(rs);
  OrderIntent o;
  o.side = Side::Buy;
  o.instrument = 1;
  o.id = 1;
  o.price = 100000;
  o.qty = 10;
  const MarketView mv{99990, 100010, false};
  ASSERT_EQ(gate.check(o, 0, mv, om), RejectReason::None);
  ASSERT_TRUE(om.on_sent(o));
  o.id = 2;
  EXPECT_EQ(gate.check(o, 1, mv, om), RejectReason::RateLimit);
  gate.set_kill(true);
  gate.breakers.trip(0, BreakerReason::Manual, 0);
  OrderIntent c = o;
  c.kind = IntentKind::Cancel;
  c.id = 1;
  EXPECT_EQ(gate.check(c, 2, MarketView{0, 0, true}, om), RejectReason::None);
  c.id = 77;  // malformed: no such order
  EXPECT_EQ(gate.check(c, 2, mv, om), RejectReason::UnknownOrder);
  c.id = 1;
  c.strategy = 3;  // another strategy's order
  EXPECT_EQ(gate.check(c, 2, mv, om), RejectReason::UnknownOrder);
}

}  // namespace
