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
#include "train_run.hpp"

namespace hft::app {
namespace cmd_train {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --input SOURCE      market data (pcap:F, itch:F[.gz], lobster:F, dbn:F, binance:F[,F]); repeat for several days, in time order\n"
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
  std::string json;
  const std::string version = train_and_save(d, spec, cfg, opt, wf, inputs, out_dir, true, json);
  std::printf("\nsaved model version %s in %s\n", version.c_str(), out_dir.c_str());
  if (o.has("--json") && !write_file(o.str("--json"), json + "\n")) throw std::runtime_error("cannot write " + o.str("--json"));
  return 0;
}

}  // namespace

const Command kTrainCommand{"train", "train the prediction ensemble on recorded sources (walk-forward, baselines); save a model version",
                            cmd_train::kUsage, cmd_train::run};

}  // namespace hft::app
