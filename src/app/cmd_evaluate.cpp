// hftd evaluate: a saved model version on data it never saw, beside the baselines stored with it
// (fitted on the model's own training rows), at every horizon the model has. The rows are taken
// as the model's training rows were (its horizons and sampling), through the engine's stages.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include "cli.hpp"
#include "hft/engine/stage_config.hpp"
#include "hft/features/features.hpp"
#include "hft/learn/dataset.hpp"
#include "hft/learn/train.hpp"
#include "hft/model/serving.hpp"
#include "hft/model/store.hpp"
#include "model_report.hpp"

namespace hft::app {
namespace cmd_evaluate {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --model DIR         model store (the newest valid version is used) or one version's directory\n"
    "  --input SOURCE      market data the model never saw (pcap:F, itch:F[.gz], lobster:F, dbn:F, binance:F[,F]); repeatable\n"
    "  --config FILE       features and cleaning settings (must give the model's feature schema)\n"
    "  --json FILE         also write the metrics as JSON\n"
    "  --symbol SYM        only this instrument (default: all)\n"
    "  --date YYYYMMDD     trading date when the source has no epoch times\n";

int run(int argc, char** argv) {
  const Options o(argc, argv, {"--model", "--input", "--config", "--json", "--symbol", "--date"});
  const std::string dir = o.required("--model");
  const std::vector<std::string> inputs = o.all("--input");
  if (inputs.empty()) throw UsageError("--input SOURCE is required");
  const config::Config cfg = config_option(o);
  const features::FeatureSchema schema{features::feature_names(engine::feature_config(cfg)), 0};
  const std::uint64_t hash = features::schema_hash(schema.names);
  // A version directory itself, or a store.
  std::optional<model::LoadedVersion> v;
  if (std::filesystem::exists(std::filesystem::path(dir) / model::kManifestName)) {
    auto r = model::verify_version(dir, hash);
    if (!r.ok()) throw std::runtime_error("model " + dir + " refused: " + r.refusal.file + ": " + r.refusal.reason);
    v = std::move(r.loaded);
  } else {
    auto l = model::load_newest_valid(dir, hash);
    for (const auto& r : l.refusals) std::printf("model version %s refused: %s: %s\n", r.version.c_str(), r.file.c_str(), r.reason.c_str());
    if (!l.chosen) throw std::runtime_error("no valid model version in " + dir + ": " + l.reason);
    v = std::move(l.chosen);
  }
  auto spec_it = v->files.find("spec.txt");
  if (spec_it == v->files.end()) throw std::runtime_error("model " + v->version + ": spec.txt missing");
  learn::DatasetSpec spec;
  std::string sample_on = "top";
  double sample_ms = 100;
  {
    std::istringstream in(spec_it->second);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string key;
      ls >> key;
      if (key == "horizons") {
        std::string h;
        while (ls >> h) spec.horizons.push_back(model::parse_horizon(h));
      } else if (key == "sample_on") {
        ls >> sample_on;
      } else if (key == "sample_ms") {
        ls >> sample_ms;
      }
    }
  }
  spec.sample_on = model::parse_sample_on(sample_on);
  spec.sample_every = static_cast<Nanos>(sample_ms * 1e6);
  spec.symbol = o.str("--symbol");
  spec.trading_date = static_cast<int>(o.integer("--date", 0, 0, 99991231));
  const learn::Dataset d = learn::build_dataset(cfg, inputs, spec);
  std::printf("hftd evaluate: model %s on %zu source(s): %llu events, %zu labelled rows (sampling %s)\n",
              v->version.c_str(), inputs.size(), static_cast<unsigned long long>(d.events), d.x.t.size(), sample_on.c_str());
  std::vector<std::size_t> rows(d.x.t.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  std::string json = "{\"model\": \"" + v->version + "\", \"horizons\": [";
  for (std::size_t h = 0; h < spec.horizons.size(); ++h) {
    const std::string name = spec.horizons[h].name();
    const model::Ensemble en = model::Ensemble::from_files(v->files, model::horizon_prefix(name));
    const learn::EvalBlock e = learn::evaluate(en, d, h, rows);
    std::printf("\nhorizon %s (threshold %.4g %s, from the training rows)\n", name.c_str(), en.alpha, en.threshold_unit.c_str());
    print_eval(e);
    print_reliability(e.model);
    json += std::string(h ? ", " : "") + "{\"horizon\": \"" + name + "\", ";
    std::string block;
    learn::eval_to_json(e, block);
    json += block.substr(1);  // the block's fields inside this object
  }
  json += "]}";
  if (o.has("--json") && !write_file(o.str("--json"), json + "\n")) throw std::runtime_error("cannot write " + o.str("--json"));
  return 0;
}

}  // namespace

const Command kEvaluateCommand{"evaluate", "score a saved model version on data it never saw, beside its baselines", cmd_evaluate::kUsage, cmd_evaluate::run};

}  // namespace hft::app
