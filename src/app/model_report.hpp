// What `hftd train` and `hftd evaluate` print: a model's metrics beside its members' and the
// baselines', a reliability table, and the JSON the issue asks for.
#pragma once
#include <cstdio>
#include <string>

#include "hft/learn/train.hpp"

namespace hft::app {

inline void metrics_line(const char* name, const learn::Metrics& m) {
  if (m.rows == 0) return;
  std::printf("    %-20s %8zu %9.4f %9.4f %9.4f %9.4f\n", name, m.rows, m.accuracy, m.macro_f1, m.log_loss, m.brier);
}

inline void print_eval(const learn::EvalBlock& e) {
  std::printf("    %-20s %8s %9s %9s %9s %9s\n", "", "rows", "accuracy", "macro F1", "log-loss", "Brier");
  metrics_line("ensemble", e.model);
  for (std::size_t m = 0; m < model::kMembers; ++m)
    metrics_line(("  " + std::string(model::member_name(static_cast<model::Member>(m)))).c_str(), e.members[m]);
  metrics_line("majority class", e.majority);
  metrics_line("imbalance sign", e.imbalance_sign);
  metrics_line("imbalance logistic", e.imbalance_logistic);
  const bool f1 = e.model.macro_f1 > e.majority.macro_f1 && e.model.macro_f1 > e.imbalance_sign.macro_f1 &&
                  e.model.macro_f1 > e.imbalance_logistic.macro_f1;
  const bool ll = e.model.log_loss < e.majority.log_loss && (e.imbalance_sign.rows == 0 || e.model.log_loss < e.imbalance_sign.log_loss) &&
                  (e.imbalance_logistic.rows == 0 || e.model.log_loss < e.imbalance_logistic.log_loss);
  std::printf("    ensemble beats every baseline: macro F1 %s, log-loss %s\n", f1 ? "yes" : "NO", ll ? "yes" : "NO");
  if (e.ret.rows)
    std::printf("    expected return (bps) against the realised: RMSE %.4g, MAE %.4g, R2 %.4f, sign hit rate %.4f (%zu rows)\n",
                e.ret.rmse, e.ret.mae, e.ret.r2, e.ret.hit_rate, e.ret.hit_rows);
}

inline void print_reliability(const learn::Metrics& m) {
  std::printf("    calibration (ensemble, by its top probability): bin, rows, mean confidence, accuracy\n");
  for (std::size_t b = 0; b < m.reliability.size(); ++b) {
    const auto& r = m.reliability[b];
    if (r.count == 0) continue;
    std::printf("      %.1f-%.1f %9zu %9.3f %9.3f\n", static_cast<double>(b) / 10, static_cast<double>(b + 1) / 10, r.count,
                r.mean_confidence, r.accuracy);
  }
  std::printf("      expected calibration error %.4f\n", m.ece);
}

inline bool write_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace hft::app
