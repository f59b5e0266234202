// Fitting the ensemble on a dataset and saving it as one version of a model store: what `hftd
// train` does after building its dataset, and what `hftd backtest` does for each slice.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "hft/config/config.hpp"
#include "hft/learn/dataset.hpp"
#include "hft/learn/train.hpp"
#include "hft/model/store.hpp"
#include "model_report.hpp"

namespace hft::app {

inline std::string spec_text(const learn::DatasetSpec& spec, const config::Config& cfg) {
  std::string s = "horizons";
  for (const auto& h : spec.horizons) s += " " + h.name();
  s += "\nsample_on " + cfg.models.sample_on + "\nsample_ms " + std::to_string(cfg.models.sample_ms) + "\n";
  return s;
}

// Walk-forward (wf) and the final model for every horizon, saved in out_dir; returns the version.
// json gets the metrics; verbose prints them.
inline std::string train_and_save(const learn::Dataset& d, const learn::DatasetSpec& spec, const config::Config& cfg,
                                  const learn::TrainOptions& opt, bool wf, const std::vector<std::string>& inputs,
                                  const std::string& out_dir, bool verbose, std::string& json) {
  const auto reports = learn::train_all(d, spec, opt, wf);

  json = "{\"horizons\": [";
  model::VersionSpec vs;
  vs.feature_schema_hash = d.feature_schema_hash;
  vs.feature_names = d.feature_names;
  vs.files.emplace_back("spec.txt", spec_text(spec, cfg));
  for (std::size_t h = 0; h < reports.size(); ++h) {
    const auto& r = reports[h];
    if (verbose) std::printf("\nhorizon %s (%s; classes in the final model's training rows: down %.1f%%, flat %.1f%%, up %.1f%%)\n",
                r.horizon.c_str(), opt.balance ? "threshold balanced on each fit's training rows" : "fixed threshold",
                100 * r.class_mix[0], 100 * r.class_mix[1], 100 * r.class_mix[2]);
    for (std::size_t f = 0; verbose && f < r.folds.size(); ++f) {
      const auto& fr = r.folds[f];
      std::printf("  fold %zu: train %zu, valid %zu, test %zu rows (%zu purged), threshold %.4g %s\n", f + 1, fr.train,
                  fr.valid, fr.test, fr.purged, fr.alpha, opt.threshold_unit.c_str());
      print_eval(fr.eval);
    }
    if (wf && verbose) {
      std::printf("  walk-forward, every fold's test rows:\n");
      print_eval(r.overall);
      print_reliability(r.overall.model);
    }
    if (verbose) {
    std::printf("  final model: inputs %zu, top by gain:", r.final_model.input_names.size());
    for (std::size_t i = 0; i < r.top_gain.size() && i < 10; ++i) std::printf(" %s %.3g", r.top_gain[i].first.c_str(), r.top_gain[i].second);
    std::printf("\n  mixture weights:");
    for (std::size_t m = 0; m < model::kMembers; ++m)
      if (r.final_model.has[m]) std::printf(" %s %.3f", model::member_name(static_cast<model::Member>(m)), r.final_model.weight[m]);
    std::printf("\n");
    }
    json += std::string(h ? ", " : "") + "{\"horizon\": \"" + r.horizon + "\", \"walk_forward\": ";
    if (wf) learn::eval_to_json(r.overall, json);
    else json += "null";
    json += ", \"folds\": [";
    for (std::size_t f = 0; f < r.folds.size(); ++f) {
      json += std::string(f ? ", " : "") + "{\"train\": " + std::to_string(r.folds[f].train) + ", \"valid\": " +
              std::to_string(r.folds[f].valid) + ", \"test\": " + std::to_string(r.folds[f].test) + ", \"purged\": " +
              std::to_string(r.folds[f].purged) + ", \"eval\": ";
      learn::eval_to_json(r.folds[f].eval, json);
      json += "}";
    }
    json += "], \"top_gain\": [";
    for (std::size_t i = 0; i < r.top_gain.size() && i < 20; ++i)
      json += std::string(i ? ", " : "") + "[" + model::json_quote(r.top_gain[i].first) + ", " + std::to_string(r.top_gain[i].second) + "]";
    json += "]}";
    r.final_model.to_files(model::horizon_prefix(r.horizon), vs.files);
  }
  json += "]}";
  std::string sources = "[";
  for (std::size_t i = 0; i < inputs.size(); ++i) sources += std::string(i ? ", " : "") + model::json_quote(inputs[i]);
  sources += "]";
  vs.metadata_json = "{\"label\": {\"target\": " + model::json_quote(cfg.models.target) + ", \"spec\": " +
                     model::json_quote(spec_text(spec, cfg)) + ", \"threshold\": " + model::json_quote(cfg.models.threshold) +
                     ", \"threshold_unit\": " + model::json_quote(cfg.models.threshold_unit) + "}, \"sources\": " + sources +
                     ", \"window_ns\": [" + std::to_string(d.x.t.empty() ? 0 : d.x.t.front()) + ", " +
                     std::to_string(d.x.t.empty() ? 0 : d.x.t.back()) + "], \"rows\": " + std::to_string(d.x.t.size()) +
                     ", \"config\": {\"path\": " + model::json_quote(cfg.path) + ", \"version\": \"" +
                     model::schema_hash_hex(cfg.version) + "\"}, \"built_by\": " +
                     model::json_quote(HFTD_VERSION_STRING " (commit " HFTD_COMMIT ")") + ", \"metrics\": " + json + "}";
  return model::write_version(out_dir, vs);
}

}  // namespace hft::app
