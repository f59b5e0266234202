// What a replay with strategies adds to `hftd replay`'s report: the trading section of the text
// report (orders, fills, P&L, rejects and trips by reason, the simulator's counts) and the
// desk's report files (report/: report.json, report.html, orders.csv, fills.csv) from the
// engine's recorder after the run.
#pragma once
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "hft/config/config.hpp"
#include "hft/engine/engine.hpp"
#include "hft/engine/metrics.hpp"
#include "hft/model/serving.hpp"
#include "hft/report/metrics.hpp"
#include "hft/report/writer.hpp"

namespace hft::app {

inline std::vector<report::FeatureGain> feature_gains(const model::ServingModel* m) {
  std::vector<report::FeatureGain> out;
  if (!m) return out;
  try {
    for (auto& [name, gain] : model::feature_importance(*m)) out.push_back({name, gain});
  } catch (const std::exception&) {
    // A model the evaluator could load but XGBoost cannot: no importance shown.
  }
  return out;
}

// The report input from a finished engine run (join() returned).
inline report::ReportInput trading_report_input(engine::Engine& eng, const config::Config& cfg, const std::string& input,
                                                double wall_seconds) {
  report::ReportInput in;
  report::Recorder* rec = eng.recorder();
  rec->finish(eng.clock().event_now);
  in.rec = rec->data();
  in.run = {cfg.path, input, HFTD_VERSION_STRING " (commit " HFTD_COMMIT ")", static_cast<std::uint64_t>(cfg.simulator.seed)};
  const auto& st = eng.stage<engine::StrategyStage>();
  if (st.manager)
    for (std::size_t i = 0; i < st.manager->size(); ++i) in.strategy_names.push_back(st.manager->spec(i).name);
  for (const auto& ins : eng.source().instruments()) {
    if (ins.id >= in.instrument_names.size()) in.instrument_names.resize(ins.id + 1);
    in.instrument_names[ins.id] = ins.symbol;
  }
  const auto& ps = eng.stage<engine::PredictStage>();
  in.features = feature_gains(ps.model());
  if (const model::ServingModel* m = ps.model()) in.models.push_back(m->version);
  const auto& rc = eng.router().counters();
  for (int r = 1; r < kRejectReasonCount; ++r)
    if (const auto n = rc.rejected[static_cast<std::size_t>(r)])
      in.risk_counters.push_back({std::string("reject.") + reject_reason_name(static_cast<RejectReason>(r)), n});
  const auto& br = eng.router().gate().breakers;
  for (int r = 1; r < risk::kBreakerReasonCount; ++r)
    if (const auto n = br.trips(static_cast<risk::BreakerReason>(r)))
      in.risk_counters.push_back({std::string("trip.") + risk::breaker_reason_name(static_cast<risk::BreakerReason>(r)), n});
  in.events = eng.source().stats().events;
  in.wall_seconds = wall_seconds;
  for (std::size_t s = 0; s <= engine::Engine::kStages; ++s) {
    const auto snap = eng.stage_latency(s).snapshot();
    if (snap.count) in.latency.push_back(report::stage_latency<telemetry::LatencyHistogram>(std::string(engine::Engine::stage_name(s)), snap));
  }
  const auto t2o = st.tick_to_order.snapshot();
  if (t2o.count) in.latency.push_back(report::stage_latency<telemetry::LatencyHistogram>("tick_to_order", t2o));
  return in;
}

// The trading section of the text report: per strategy and in total.
inline void print_trading(const report::ReportInput& in, engine::Engine& eng) {
  std::printf("\ntrading (simulated exchange; P&L in currency, fees %s):\n",
              eng.stage<engine::SimStage>().exchange ? "as configured" : "-");
  std::printf("  %-22s %12s %10s %10s %8s %8s %8s %9s %9s %9s %9s\n", "strategy", "net P&L", "fees", "max DD", "orders",
              "fills", "maker", "fill%qty", "queue", "mark 1s", "Sharpe");
  const int n = static_cast<int>(in.strategy_names.size());
  for (int s = -1; s < n; ++s) {
    if (s == -1 && n < 2) continue;
    const report::Metrics m = report::compute_metrics(in.rec, s);
    // "-" where a figure is undefined (no orders, no maker fills, no intervals).
    auto num = [](double v, const char* fmt) {
      char b[32] = "-";
      if (std::isfinite(v)) std::snprintf(b, sizeof b, fmt, v);
      return std::string(b);
    };
    std::printf("  %-22s %12.2f %10.2f %10.2f %8llu %8llu %8llu %9s %9s %9s %9s\n",
                s < 0 ? "all" : in.strategy_names[static_cast<std::size_t>(s)].c_str(), m.net, m.fees, m.dd.max,
                static_cast<unsigned long long>(m.orders_sent), static_cast<unsigned long long>(m.fills),
                static_cast<unsigned long long>(m.maker_fills), num(m.orders_sent ? m.fill_ratio_qty : NAN, "%.3f").c_str(),
                num(m.queue_fills ? m.queue_mean : NAN, "%.1f").c_str(), num(m.markouts[0].per_share, "%.4f").c_str(),
                num(m.rr.sharpe, "%.2f").c_str());
  }
  const auto& rc = eng.router().counters();
  std::printf("  orders: %llu sent to the gate, %llu accepted; rejected:", static_cast<unsigned long long>(rc.sent),
              static_cast<unsigned long long>(rc.accepted));
  bool any = false;
  for (int r = 1; r < kRejectReasonCount; ++r)
    if (const auto k = rc.rejected[static_cast<std::size_t>(r)]) {
      std::printf("%s %s %llu", any ? "," : "", reject_reason_name(static_cast<RejectReason>(r)), static_cast<unsigned long long>(k));
      any = true;
    }
  std::printf("%s\n  breaker trips: %llu", any ? "" : " none", static_cast<unsigned long long>(rc.breaker_trips));
  const auto& br = eng.router().gate().breakers;
  for (int r = 1; r < risk::kBreakerReasonCount; ++r)
    if (const auto k = br.trips(static_cast<risk::BreakerReason>(r)))
      std::printf(" %s %llu", risk::breaker_reason_name(static_cast<risk::BreakerReason>(r)), static_cast<unsigned long long>(k));
  std::printf("\n");
  if (const auto& ex = eng.stage<engine::SimStage>().exchange) {
    const sim::SimCounters& c = ex->counters();
    std::printf("  simulator: %llu arrivals, %llu fills (%llu maker, %llu taker, %llu by trade-through), %llu cancels "
                "(%llu too late), %llu IOC remainders cancelled, %llu queues estimated (tracking table full)\n",
                static_cast<unsigned long long>(c.arrivals), static_cast<unsigned long long>(c.fills),
                static_cast<unsigned long long>(c.maker_fills), static_cast<unsigned long long>(c.taker_fills),
                static_cast<unsigned long long>(c.trade_throughs), static_cast<unsigned long long>(c.cancels),
                static_cast<unsigned long long>(c.cancel_too_late), static_cast<unsigned long long>(c.ioc_cancelled),
                static_cast<unsigned long long>(c.tracked_full));
  }
}

}  // namespace hft::app
