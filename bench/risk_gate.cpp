// The risk gate's check per order with realistic state: 2000 instruments, 16 strategies, a few
// thousand working orders spread over them and positions in most instruments. Each iteration
// checks one new order of a random strategy / instrument near the mid (most pass every check down
// to the rate limit, which is set high). Goal: under 50 ns an order.
#include <benchmark/benchmark.h>

#include <vector>

#include "hft/risk/risk_gate.hpp"

namespace {

using namespace hft;

struct Rig {
  static constexpr InstrumentId kInstr = 2000;
  static constexpr std::uint16_t kStrat = 16;
  oms::OrderManager om;
  risk::RiskGate gate;
  std::vector<risk::MarketView> mkt;
  std::vector<OrderIntent> orders;  // pre-generated intents, cycled

  static oms::OmsConfig oms_cfg() {
    oms::OmsConfig c;
    c.max_instruments = kInstr;
    c.max_strategies = kStrat;
    c.max_orders = 1u << 16;
    return c;
  }
  static risk::RiskSettings limits() {
    risk::RiskSettings s;
    s.max_instrument = kInstr;
    s.max_position = 1'000'000;
    s.max_gross = 1e12;
    s.max_order_notional = 1e9;
    s.max_open_orders = 1'000'000;
    s.max_open_orders_per_strategy = 1'000'000;
    s.max_orders_per_s = 0xFFFFFFFFu;
    return s;
  }
  Rig() : om(oms_cfg()), gate(limits(), kStrat), mkt(kInstr) {
    std::uint64_t x = 12345;
    auto rnd = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
    for (InstrumentId i = 0; i < kInstr; ++i) {
      const Price mid = 100000 + static_cast<Price>(rnd() % 2'000'000);
      mkt[i] = risk::MarketView{mid - 100, mid + 100, false};
      om.mark(i, mid);
    }
    ClientOrderId id = 1;
    for (int k = 0; k < 8000; ++k) {  // working orders away from the touch, and some fills
      OrderIntent o;
      o.strategy = static_cast<std::uint16_t>(rnd() % kStrat);
      o.instrument = static_cast<InstrumentId>(rnd() % kInstr);
      o.side = rnd() % 2 ? Side::Buy : Side::Sell;
      const Price mid = (mkt[o.instrument].bid + mkt[o.instrument].ask) / 2;
      o.price = o.side == Side::Buy ? mid - 500 - static_cast<Price>(rnd() % 500) : mid + 500 + static_cast<Price>(rnd() % 500);
      o.qty = 100;
      o.id = id++;
      om.on_sent(o);
      if (k % 3 == 0) {
        ExecReport f = report_for(o, ExecKind::Fill, 0);
        f.qty = 40;
        om.on_report(f);
      }
    }
    for (int k = 0; k < 4096; ++k) {
      OrderIntent o;
      o.strategy = static_cast<std::uint16_t>(rnd() % kStrat);
      o.instrument = static_cast<InstrumentId>(rnd() % kInstr);
      o.side = rnd() % 2 ? Side::Buy : Side::Sell;
      const Price mid = (mkt[o.instrument].bid + mkt[o.instrument].ask) / 2;
      o.price = mid + (o.side == Side::Buy ? -100 : 100);
      o.qty = 100;
      o.id = id++;
      orders.push_back(o);
    }
  }
};

void BM_RiskGateCheck(benchmark::State& state) {
  static Rig rig;
  std::size_t k = 0;
  Nanos now = 0;
  std::uint64_t passed = 0;
  for (auto _ : state) {
    const OrderIntent& o = rig.orders[k];
    k = (k + 1) & 4095;
    now += 1000;
    const RejectReason r = rig.gate.check(o, now, rig.mkt[o.instrument], rig.om);
    passed += r == RejectReason::None;
    benchmark::DoNotOptimize(r);
  }
  state.counters["passed"] = benchmark::Counter(static_cast<double>(passed) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_RiskGateCheck);

// The same plus recording the accepted order in the OMS and its cancel (the router's full
// per-order risk work, without the venue).
void BM_RiskGateCheckAndRecord(benchmark::State& state) {
  static Rig rig;
  std::size_t k = 0;
  Nanos now = 0;
  ClientOrderId id = 1u << 30;
  for (auto _ : state) {
    OrderIntent o = rig.orders[k];
    k = (k + 1) & 4095;
    now += 1000;
    o.id = ++id;
    if (rig.gate.check(o, now, rig.mkt[o.instrument], rig.om) == RejectReason::None) {
      rig.om.on_sent(o);
      rig.om.on_report(report_for(o, ExecKind::Cancelled, now));
    }
  }
}
BENCHMARK(BM_RiskGateCheckAndRecord);

}  // namespace

BENCHMARK_MAIN();
