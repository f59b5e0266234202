// hftd train: labeled samples from recorded sources (the engine's own stages), purged
// walk-forward validation of the ensemble against three baselines, then the final model fitted
// on every row and saved as one version of the model store (models.path or --out).
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "hft/learn/dataset.hpp"
#include "hft/learn/train.hpp"
#include "hft/model/serving.hpp"
#include "hft/model/store.hpp"
#include "model_report.hpp"

namespace hft::app {
namespace {

const char* const kUsage =
    "  --input SOURCE      market data (pcap:F, lobster:F, dbn:F); repeat for several days, in time order\n"
    "  --config FILE       models section: horizons, sampling, members, walk-forward (default: built-in defaults)\n"
    "  --out DIR           model store to add the version to (default models.path, else system.model_dir)\n"
    "  --json FILE         also write the metrics as JSON\n"
    "  --symbol SYM        only this instrument (default: all)\n"
    "  --date YYYYMMDD     trading date for the day-of-week feature when the source has no epoch times\n"
    "  --horizons LIST     override models.horizons, e.g. 10,50,100 or 500ms\n"
    "  --no-walk-forward   only fit and save the final model\n";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p <= s.size()) {
    const std::size_t c = s.find(',', p);
    const std::string tok = s.substr(p, c == std::string::npos ? std::string::npos : c - p);
    if (!tok.empty()) out.push_back(tok);
    if (c == std::string::npos) break;
    p = c + 1;
  }
  return out;
}

std::string spec_text(const learn::DatasetSpec& spec, const config::Config& cfg) {
  std::string s = "horizons";
  for (const auto& h : spec.horizons) s += " " + h.name();
  s += "\nsample_on " + cfg.models.sample_on + "\nsample_ms " + std::to_string(cfg.models.sample_ms) + "\n";
  return s;
}

int run(int argc, char** argv) {
  const Options o(argc, argv, {"--input", "--config", "--out", "--json", "--symbol", "--date", "--horizons"},
                  {"--no-walk-forward"});
  const std::vector<std::string> inputs = o.all("--input");
  if (inputs.empty()) throw UsageError("--input SOURCE is required");
  config::Config cfg = config_option(o);
  if (o.has("--horizons")) cfg.models.horizons = split_list(o.str("--horizons"));
  const std::string out_dir = o.has("--out") ? o.str("--out") : (cfg.models.path.empty() ? cfg.system.model_dir : cfg.models.path);
  learn::DatasetSpec spec = learn::dataset_spec(cfg);
  spec.symbol = o.str("--symbol");
  spec.trading_date = static_cast<int>(o.integer("--date", 0, 0, 99991231));
  const learn::TrainOptions opt = learn::train_options(cfg);

  const learn::Dataset d = learn::build_dataset(cfg, inputs, spec);
  std::printf("hftd train: %zu source(s), %llu events, %llu samples (%s), %zu labelled rows of %zu inputs "
              "(%llu unlabelled at the end, %llu dropped)\n",
              inputs.size(), static_cast<unsigned long long>(d.events), static_cast<unsigned long long>(d.sampled),
              cfg.models.sample_on.c_str(), d.x.t.size(), d.x.cols, static_cast<unsigned long long>(d.unresolved),
              static_cast<unsigned long long>(d.dropped));
  if (d.x.t.size() < 100) throw std::runtime_error("too few labelled rows to train on (" + std::to_string(d.x.t.size()) + ")");
  const bool wf = !o.has("--no-walk-forward");
  const auto reports = learn::train_all(d, spec, opt, wf);

  std::string json = "{\"horizons\": [";
  model::VersionSpec vs;
  vs.feature_schema_hash = d.feature_schema_hash;
  vs.feature_names = d.feature_names;
  vs.files.emplace_back("spec.txt", spec_text(spec, cfg));
  for (std::size_t h = 0; h < reports.size(); ++h) {
    const auto& r = reports[h];
    std::printf("\nhorizon %s (%s; classes in the final model's training rows: down %.1f%%, flat %.1f%%, up %.1f%%)\n",
                r.horizon.c_str(), opt.balance ? "threshold balanced on each fit's training rows" : "fixed threshold",
                100 * r.class_mix[0], 100 * r.class_mix[1], 100 * r.class_mix[2]);
    for (std::size_t f = 0; f < r.folds.size(); ++f) {
      const auto& fr = r.folds[f];
      std::printf("  fold %zu: train %zu, valid %zu, test %zu rows (%zu purged), threshold %.4g %s\n", f + 1, fr.train,
                  fr.valid, fr.test, fr.purged, fr.alpha, opt.threshold_unit.c_str());
      print_eval(fr.eval);
    }
    if (wf) {
      std::printf("  walk-forward, every fold's test rows:\n");
      print_eval(r.overall);
      print_reliability(r.overall.model);
    }
    std::printf("  final model: inputs %zu, top by gain:", r.final_model.input_names.size());
    for (std::size_t i = 0; i < r.top_gain.size() && i < 10; ++i) std::printf(" %s %.3g", r.top_gain[i].first.c_str(), r.top_gain[i].second);
    std::printf("\n  mixture weights:");
    for (std::size_t m = 0; m < model::kMembers; ++m)
      if (r.final_model.has[m]) std::printf(" %s %.3f", model::member_name(static_cast<model::Member>(m)), r.final_model.weight[m]);
    std::printf("\n");
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
                     model::schema_hash_hex(cfg.version) + "\"}, \"metrics\": " + json + "}";
  const std::string version = model::write_version(out_dir, vs);
  std::printf("\nsaved model version %s in %s\n", version.c_str(), out_dir.c_str());
  if (o.has("--json") && !write_file(o.str("--json"), json + "\n")) throw std::runtime_error("cannot write " + o.str("--json"));
  return 0;
}

}  // namespace

const Command kTrainCommand{"train", "train the prediction ensemble on recorded sources (walk-forward, baselines); save a model version",
                            kUsage, run};

}  // namespace hft::app
