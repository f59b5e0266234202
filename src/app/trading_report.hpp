// What a replay with strategies adds to `hftd replay`'s report: the trading section of the text
// report (orders, fills, P&L, rejects and trips by reason, the simulator's counts) and the
// desk's report files (report/: report.json, report.html, orders.csv, fills.csv) from the
// engine's recorder after the run.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/engine/engine.hpp"
#include "hft/engine/metrics.hpp"
#include "hft/model/xgb.hpp"
#include "hft/report/metrics.hpp"
#include "hft/report/writer.hpp"

namespace hft::app {

inline std::vector<report::FeatureGain> feature_gains(const model::ServingModel* m) {
  std::vector<report::FeatureGain> out;
  if (!m || m->en.boosted_json.empty()) return out;
  try {
    const model::XgbModel x = model::XgbModel::load_json(m->en.boosted_json);
    for (const auto& [name, gain] : x.gain_importance()) {
      std::string n = name;
      // Unnamed columns come back as f<k>: the ensemble's k-th input.
      if (n.size() > 1 && n[0] == 'f' && n.find_first_not_of("0123456789", 1) == std::string::npos) {
        const std::size_t k = std::stoul(n.substr(1));
        if (k < m->en.input_names.size()) n = m->en.input_names[k];
      }
      out.push_back({n, gain});
    }
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
  in.run = {cfg.path, input, HFTD_VERSION_STRING, static_cast<std::uint64_t>(cfg.simulator.seed)};
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

}  // namespace hft::app
