// What a replay says about continuous learning: the learner's decisions (printed, and into the
// desk's report) and the served model's online quality over exchange time.
#pragma once
#include <cinttypes>
#include <cstdio>

#include "hft/engine/predict_stage.hpp"
#include "hft/learn/learner.hpp"
#include "hft/report/writer.hpp"

namespace hft::app {

inline std::vector<report::QualityRow> quality_rows(const engine::PredictStage& ps) {
  std::vector<report::QualityRow> out;
  if (ps.quality_t0 == INT64_MIN) return out;
  for (std::size_t k = 0; k < ps.quality.size(); ++k) {
    const auto& q = ps.quality[k];
    if (q.n == 0) continue;
    out.push_back({ps.quality_t0 + static_cast<Nanos>(k) * ps.quality_width, q.n,
                   static_cast<double>(q.hits) / static_cast<double>(q.n), q.log_loss / static_cast<double>(q.n)});
  }
  return out;
}

inline void add_learning(report::ReportInput& in, const learn::Learner& l, const engine::PredictStage& ps) {
  for (const auto& d : l.decisions())
    in.learning.push_back({d.t_request, d.reason, d.outcome, d.why, d.version, d.train_rows, d.test_rows,
                           d.champion_log_loss, d.challenger_log_loss});
  in.quality = quality_rows(ps);
  in.models.clear();  // every version served, in order: the store's at start, then the learner's
  if (ps.owner) in.models.push_back(ps.owner->version + " (model store, at start)");
  for (const auto& d : l.decisions())
    if (d.outcome == "promoted") in.models.push_back(d.version + " (learner, requested at " + std::to_string(d.t_request) + " ns)");
}

inline void print_learning(const learn::Learner& l, const engine::PredictStage& ps) {
  const auto& k = l.link();
  std::printf("\nlearning: %llu samples sent (%llu dropped), %llu stored%s, %llu requests, %llu promoted, %llu rejected, "
              "%llu failed, %llu swapped in (%llu waited for), %llu drift alarms\n",
              static_cast<unsigned long long>(k.pushed.get()), static_cast<unsigned long long>(k.dropped.get()),
              static_cast<unsigned long long>(k.stored.get()), l.resumed_rows() ? " (resumed from a spill)" : "",
              static_cast<unsigned long long>(k.requests.get()), static_cast<unsigned long long>(k.promoted.get()),
              static_cast<unsigned long long>(k.rejected.get()), static_cast<unsigned long long>(k.failed.get()),
              static_cast<unsigned long long>(k.swaps.get()), static_cast<unsigned long long>(k.waited.get()),
              static_cast<unsigned long long>(k.drift_alarms.get()));
  if (!l.spill_error().empty()) std::printf("  spill refused: %s\n", l.spill_error().c_str());
  for (const auto& d : l.decisions())
    std::printf("  request %llu at %.1f s (%s%s): %s %s; %s; train %zu, test %zu rows, %.1f s\n",
                static_cast<unsigned long long>(d.request), static_cast<double>(d.t_request) / 1e9, d.reason.c_str(),
                d.since ? (", samples since " + std::to_string(d.since / 1'000'000'000) + " s").c_str() : "",
                d.outcome.c_str(), d.version.c_str(), d.why.c_str(), d.train_rows, d.test_rows, d.seconds);
  const auto q = quality_rows(ps);
  if (!q.empty()) {
    std::printf("  online quality of the served model by %lld s of exchange time:\n",
                static_cast<long long>(ps.quality_width / 1'000'000'000LL));
    for (const auto& r : q)
      std::printf("    from %.0f s: %8llu labels, accuracy %.4f, log-loss %.4f\n", static_cast<double>(r.t_from) / 1e9,
                  static_cast<unsigned long long>(r.labels), r.accuracy, r.log_loss);
  }
}

}  // namespace hft::app
