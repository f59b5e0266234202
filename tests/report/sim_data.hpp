// A synthetic replay through the Recorder for the report tests: random-walk mids, a quoting
// strategy per (strategy, instrument) pair, random maker and taker fills, rejects, predictions.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "../common/test_rng.hpp"
#include "hft/report/recorder.hpp"
#include "hft/report/writer.hpp"

namespace hft::testing {

inline report::ReportInput synthetic_report(std::uint64_t seed, std::size_t seconds = 900) {
  report::RecorderSettings s;
  s.strategies = 2;
  s.instruments = 3;
  s.max_orders = 100000;
  s.max_fills = 100000;
  report::Recorder rec(s);
  TestRng rng(seed);
  double mid[3] = {100.0, 50.0, 20.0};
  ClientOrderId next_id = 1;
  const Nanos t0 = 34'200'000'000'000;  // 9:30
  for (Nanos t = t0; t < t0 + static_cast<Nanos>(seconds) * 1'000'000'000; t += 50'000'000) {  // an event every 50 ms
    const auto i = static_cast<InstrumentId>(rng.next() % 3);
    mid[i] += 0.01 * std::round(rng.normal());
    const Price m = static_cast<Price>(std::llround(mid[i] * kPriceScale));
    rec.on_book(t, i, m - 50, m + 50);
    const auto st = static_cast<std::uint16_t>(rng.next() % 2);
    rec.on_quotes(t, st, i, m - 100, m + 100);
    if (rng.uniform() < 0.1) {
      OrderIntent o;
      o.side = rng.uniform() < 0.5 ? Side::Buy : Side::Sell;
      o.strategy = st;
      o.instrument = i;
      o.id = next_id++;
      o.price = o.side == Side::Buy ? m - 100 : m + 100;
      o.qty = static_cast<Qty>(100 * (1 + rng.next() % 3));
      o.ts = t;
      rec.on_order(o);
      ExecReport r = report_for(o, ExecKind::Ack, t + 20'000);
      const double u = rng.uniform();
      if (u < 0.05) {
        r.kind = ExecKind::Reject;
        r.reason = u < 0.03 ? RejectReason::Position : RejectReason::RateLimit;
        rec.on_exec(r);
        continue;
      }
      rec.on_exec(r);
      if (u < 0.6) {
        r.kind = ExecKind::Fill;
        r.qty = o.qty;
        r.leaves = 0;
        r.liquidity = u < 0.45 ? Liquidity::Maker : Liquidity::Taker;
        r.queue_ahead = r.liquidity == Liquidity::Maker ? static_cast<Qty>(rng.next() % 2000) : 0;
        r.ts = t + 30'000;
        r.ts_venue = t + 25'000;
        rec.on_exec(r, r.liquidity == Liquidity::Maker ? -0.002 * r.qty : 0.003 * r.qty);
      } else {
        r.kind = ExecKind::Cancelled;
        r.ts = t + 40'000;
        rec.on_exec(r);
      }
    }
    if (rng.uniform() < 0.2) {
      float p[3] = {static_cast<float>(rng.uniform()), static_cast<float>(rng.uniform()), static_cast<float>(rng.uniform())};
      const float sum = p[0] + p[1] + p[2];
      for (float& v : p) v /= sum;
      const float conf = std::max(p[0], std::max(p[1], p[2]));
      rec.on_prediction(t, p, conf);
      rec.on_label(p, static_cast<int>(rng.next() % 3));
    }
    if (rng.uniform() < 0.0005) rec.on_breaker(t, st, rng.uniform() < 0.5 ? "loss_limit" : "fill_rate");
  }
  rec.finish(t0 + static_cast<Nanos>(seconds) * 1'000'000'000);
  report::ReportInput in;
  in.rec = rec.data();
  in.run = {"config/config.yml", "synthetic seed " + std::to_string(seed), "hftd 0.1.0-test", seed};
  in.strategy_names = {"mm_as", "mm_glft"};
  in.instrument_names = {"AAPL", "MSFT", "INTC"};
  in.features = {{"imb_1", 120.5}, {"ofi_10", 88.25}, {"spread", 40}, {"vol_1s", 12.5}, {"rsi_14", 3}};
  in.models = {"2024-01-02T10:00:00Z h50ev boosted", "2024-01-02T10:00:00Z h50ev mlp"};
  in.risk_counters = {{"orders_checked", 1234}, {"rejects", 56}};
  in.events = seconds * 20;
  in.wall_seconds = 1.25;
  for (const char* name : {"features", "predict", "strategy"}) {
    report::StageLatency l;
    l.name = name;
    for (std::uint64_t b = 200; b < 20000; b = b * 11 / 10) {
      l.buckets.push_back({b, b * 11 / 10 - 1, 1 + (rng.next() % 1000) * (b < 2000 ? 5 : 1)});
      l.count += l.buckets.back().count;
    }
    l.p50 = 900;
    l.p99 = 6000;
    l.p999 = 15000;
    in.latency.push_back(l);
  }
  return in;
}

}  // namespace hft::testing
