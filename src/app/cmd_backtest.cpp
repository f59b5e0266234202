// hftd backtest: walk-forward calibration of the strategies (step 5). The day is cut into N
// equal slices of exchange time; for slice k >= 2 a model is trained only on the rows whose
// labels were known before the slice starts (minus an embargo), and the day is replayed once
// through the whole pipeline: the prediction stage swaps each slice's model in at the slice's
// first event and the strategies trade from slice 2 on (slice 1 only trains and warms up the
// books, features and regimes). One report for the whole: the replay's, with every model
// version named.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli.hpp"
#include "hft/config/config.hpp"
#include "hft/engine/engine.hpp"
#include "hft/learn/dataset.hpp"
#include "hft/learn/train.hpp"
#include "hft/sources/open.hpp"
#include "pump.hpp"
#include "trading_report.hpp"
#include "train_run.hpp"

namespace hft::app {
namespace cmd_backtest {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --input SOURCE      market data of one day (pcap:F, itch:F[.gz], lobster:F, dbn:F, binance:F[,F])\n"
    "  --config FILE       strategies, models, risk, simulator (default: built-in defaults)\n"
    "  --report DIR        the report (report.json, report.html, orders.csv, fills.csv) and DIR/models\n"
    "  --slices N          walk-forward slices of the day, 2..20 (default 4): train on what was known\n"
    "                      before each slice, trade it\n"
    "  --embargo-s S       rows whose label resolved within S seconds of a slice's start are left out\n"
    "                      of its training (default models.walk_forward.embargo_s)\n";

int run(int argc, char** argv) {
  const Options o(argc, argv, {"--input", "--config", "--report", "--slices", "--embargo-s"});
  const std::string input = o.required("--input");
  const std::string dir = o.required("--report");
  const auto slices = static_cast<int>(o.integer("--slices", 4, 2, 20));
  config::Config cfg = config_option(o);
  if (cfg.strategies.empty()) throw UsageError("the config has no strategies to backtest");
  const double embargo_s = o.has("--embargo-s") ? o.real("--embargo-s", 0) : cfg.models.walk_forward.embargo_s;
  if (!(embargo_s >= 0)) throw UsageError("--embargo-s must be >= 0");
  const learn::DatasetSpec spec = learn::dataset_spec(cfg);
  const learn::TrainOptions opt = learn::train_options(cfg);

  std::printf("hftd backtest %s: %d slices\n", input.c_str(), slices);
  const learn::Dataset d = learn::build_dataset(cfg, input, spec);
  if (d.x.t.size() < 200) throw std::runtime_error("too few labelled rows for a walk-forward backtest");
  const Nanos t0 = d.x.t.front(), t1 = d.x.t.back();
  const auto embargo = static_cast<Nanos>(embargo_s * 1e9);
  std::vector<std::pair<Nanos, std::string>> schedule;
  std::vector<std::string> versions;
  for (int k = 1; k < slices; ++k) {
    const Nanos start = t0 + (t1 - t0) / slices * k;
    std::vector<std::size_t> rows;  // every horizon's label known before the slice (and the embargo)
    for (std::size_t i = 0; i < d.x.t.size(); ++i) {
      bool known = true;
      for (const auto& lab : d.labels) known = known && lab[i].t_end + embargo < start;
      if (known) rows.push_back(i);
    }
    if (rows.size() < 100) throw std::runtime_error("slice " + std::to_string(k + 1) + ": too few rows known before it");
    const learn::Dataset part = learn::rows_of(d, rows);
    const std::string store = dir + "/models/slice" + std::to_string(k + 1);
    std::filesystem::create_directories(store);
    std::string json;
    const std::string v = train_and_save(part, spec, cfg, opt, false, {input}, store, false, json);
    std::printf("  slice %d from %.3f s: model %s trained on %zu rows known before it\n", k + 1,
                static_cast<double>(start) * 1e-9, v.c_str(), rows.size());
    schedule.emplace_back(start, store);
    versions.push_back("slice " + std::to_string(k + 1) + ": " + v);
  }

  cfg.feed.mode = "replay";
  cfg.feed.input = input;
  engine::EngineOptions eo;
  eo.model_schedule = schedule;
  eo.trade_from = schedule.front().first;
  const feed::FeedOptions fo = feed_options(o);
  engine::Engine eng(cfg, sources::open_source(sources::parse_source_spec(input), fo), eo);
  const auto w0 = std::chrono::steady_clock::now();
  run_to_end(eng, "backtest");
  warn_all_filtered(eng.source().stats(), fo);
  warn_over_capacity(eng.stage<engine::FeatureStage>().engine.counters().over_capacity,
                     eng.stage<engine::RegimeStage>().over_capacity.get(), cfg.system.max_instruments,
                     eng.source().instruments().size());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  report::ReportInput in = trading_report_input(eng, cfg, input, secs);
  in.models = versions;
  print_trading(in, eng);
  report::write_report(dir, in);
  std::printf("  report: %s/report.html (report.json, orders.csv, fills.csv)\n", dir.c_str());
  return 0;
}

}  // namespace

const Command kBacktestCommand{"backtest", "walk-forward backtest: train on what was known before each slice of the day, trade it; one report",
                               cmd_backtest::kUsage, cmd_backtest::run};

}  // namespace hft::app
