// hftd features: the feature vectors of a recorded source, for research and training. It runs the
// engine's own stages (book, clean, features) from the same config.yml, on one thread, with two
// stages of its own in the pipeline: one that writes the rows at sampling boundaries before the
// boundary's first event reaches the features, one that writes a row after an event. One row per
// event (or per sampling interval) of the chosen instruments, written as a compact columnar file
// (.hftc) and/or CSV, with the schema (names, order, hash) in both. Events the cleaner drops get
// no row and do not reach the features. (The writer stages do file I/O: fine for an offline
// command, never part of the engine's own pipeline.)
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "hft/config/config.hpp"
#include "hft/dataset/columnar.hpp"
#include "hft/engine/engine_impl.hpp"
#include "hft/features/features.hpp"
#include "hft/sources/open.hpp"
#include "pump.hpp"

namespace hft::app {
namespace cmd_features {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --input SOURCE      market data (pcap:F, itch:F[.gz], lobster:F, dbn:F, binance:F[,F])\n"
    "  --out BASE          writes BASE.hftc (columnar) and/or BASE.csv\n"
    "  --format F          hftc | csv | both (default hftc)\n"
    "  --every-ms N        one row per instrument per N ms of exchange time (the vector at the\n"
    "                      last event before each boundary); default 0 = a row after every event\n"
    "  --symbol SYM        only this instrument (default: all with market events)\n"
    "  --date YYYYMMDD     trading date for the day-of-week feature when the source has no epoch times\n"
    "  --levels N          depth levels of the book features (default: config's features.levels)\n"
    "  --max-orders N      order pool size (default: config's feed.max_orders)\n"
    "  --config FILE       clean and features settings (default: config.yml's defaults)\n"
    "  --dst ADDR:PORT     pcap only: keep UDP datagrams to this destination\n";

// What the two writer stages share: the output files, the instrument filter, the sampling state.
struct Rows {
  const features::FeatureEngine* fe = nullptr;
  const feed::EventSource* src = nullptr;
  std::unique_ptr<dataset::ColumnarWriter> col;
  std::unique_ptr<dataset::CsvWriter> csv;
  std::string want_symbol;
  Nanos every = 0;
  std::vector<std::uint8_t> want, dirty;
  std::vector<InstrumentId> dirty_list;
  std::size_t known = 0;
  Nanos next_sample = -1;
  std::uint64_t rows = 0;

  void write(const features::FeatureVector& v) {
    if (col) col->append(v.ts, v.instrument, v.v.data());
    if (csv) csv->append(v.ts, v.instrument, v.v.data());
    ++rows;
  }
  void flush_samples(Nanos boundary) {
    std::sort(dirty_list.begin(), dirty_list.end());
    for (InstrumentId id : dirty_list) {
      features::FeatureVector v = fe->current(id);
      v.ts = boundary;  // the row stands for the state at the boundary
      write(v);
      dirty[id] = 0;
    }
    dirty_list.clear();
  }
};
// Before the features: rows at the boundaries this event passes hold the state just before it.
struct SampleBoundaryStage {
  static constexpr std::string_view kName = "sample";
  explicit SampleBoundaryStage(engine::StageEnv&) {}
  Rows* rows = nullptr;  // set by the command once the engine has built the stages
  bool on_event(engine::Envelope& e) noexcept {
    Rows& r = *rows;
    if (r.every <= 0 || !is_market_kind(e.ev.kind) || e.ev.instrument >= r.want.size()) return true;
    if (r.next_sample < 0) r.next_sample = (e.ev.ts_exch / r.every + 1) * r.every;
    while (e.ev.ts_exch >= r.next_sample) {
      r.flush_samples(r.next_sample);
      r.next_sample += r.every;
    }
    return true;
  }
};

// After the features: a row per event, or the instrument marked for the next boundary.
struct RowStage {
  static constexpr std::string_view kName = "rows";
  static constexpr bool kReadsBook = true;  // reads the feature state
  explicit RowStage(engine::StageEnv&) {}
  Rows* rows = nullptr;
  bool on_event(engine::Envelope& e) noexcept {
    Rows& r = *rows;
    const MarketEvent& ev = e.ev;
    if (!is_market_kind(ev.kind) || ev.instrument >= r.want.size()) return true;
    if (!r.want_symbol.empty() && r.src->instruments().size() != r.known) {  // resolved as directory messages arrive
      r.known = r.src->instruments().size();
      for (const auto& in : r.src->instruments())
        if (in.symbol == r.want_symbol && in.id < r.want.size()) r.want[in.id] = 1;
    }
    if (!r.want[ev.instrument]) return true;
    if (r.every == 0) {
      r.write(r.fe->current(ev.instrument));
    } else if (!r.dirty[ev.instrument]) {
      r.dirty[ev.instrument] = 1;
      r.dirty_list.push_back(ev.instrument);
    }
    return true;
  }
};

using FeaturePipeline = engine::Pipeline<engine::BookStage, engine::CleanStage, SampleBoundaryStage,
                                         engine::FeatureStage, RowStage>;

int run(int argc, char** argv) {
  const Options o(argc, argv,
                  {"--input", "--out", "--format", "--every-ms", "--symbol", "--date", "--levels", "--max-orders", "--dst",
                   "--config"});
  const std::string input = o.required("--input");
  const std::string base = o.required("--out");
  const std::string format = o.str("--format", "hftc");
  if (format != "hftc" && format != "csv" && format != "both") throw UsageError("--format must be hftc, csv or both");

  config::Config cfg = config_option(o);
  if (o.has("--levels")) cfg.features.levels = static_cast<std::size_t>(o.integer("--levels", 5, 1, features::kMaxLevels));
  if (o.has("--max-orders")) cfg.feed.max_orders = static_cast<std::size_t>(o.integer("--max-orders", 1 << 22, 1, 1LL << 32));
  cfg.system.layout = {config::ThreadLayout{"features", {"feed", "book", "clean", "sample", "features", "rows"}, -1,
                                            config::Idle::Spin, 0}};
  engine::EngineOptions eo;
  eo.trading_date = static_cast<int>(o.integer("--date", 0, 0, 99991231));

  Rows rows;
  rows.every = static_cast<Nanos>(o.integer("--every-ms", 0, 0, 86'400'000)) * 1'000'000;
  rows.want_symbol = o.str("--symbol");
  const feed::FeedOptions fo = feed_options(o);
  engine::BasicEngine<FeaturePipeline> eng(cfg, sources::open_source(sources::parse_source_spec(input), fo), eo);
  const features::FeatureEngine& fe = eng.stage<engine::FeatureStage>().engine;
  const auto& schema = fe.schema();
  const std::size_t max_instruments = eng.books().config().max_instruments;
  rows.fe = &fe;
  rows.src = &eng.source();
  rows.want.assign(max_instruments, rows.want_symbol.empty() ? 1 : 0);
  rows.dirty.assign(max_instruments, 0);
  if (format != "csv") rows.col = std::make_unique<dataset::ColumnarWriter>(base + ".hftc", schema.names, schema.hash);
  if (format != "hftc") rows.csv = std::make_unique<dataset::CsvWriter>(base + ".csv", schema.names, schema.hash);
  eng.stage<SampleBoundaryStage>().rows = &rows;
  eng.stage<RowStage>().rows = &rows;
  run_to_end(eng, "features");
  if (rows.every > 0) rows.flush_samples(rows.next_sample);
  if (rows.col) rows.col->close();
  if (rows.csv) rows.csv->close();

  warn_all_filtered(eng.source().stats(), fo);
  const auto& c = fe.counters();
  warn_over_capacity(c.over_capacity, 0, cfg.system.max_instruments, eng.source().instruments().size());
  std::uint64_t dropped = 0;
  for (const auto& t : eng.threads()) dropped += t->filtered.get();
  std::printf("hftd features %s\n", input.c_str());
  std::printf("  events %llu, rows %llu, features %zu, schema hash %016" PRIx64 "\n",
              static_cast<unsigned long long>(eng.source().stats().events), static_cast<unsigned long long>(rows.rows),
              schema.names.size(), schema.hash);
  std::printf("  instruments %llu, events on an invalid book (empty side, locked, crossed) %llu, time going back %llu, "
              "non-finite values replaced %llu\n",
              static_cast<unsigned long long>(c.instruments_created), static_cast<unsigned long long>(c.invalid_book),
              static_cast<unsigned long long>(c.time_backwards), static_cast<unsigned long long>(c.nonfinite_replaced));
  std::printf("  events dropped by the cleaner %llu, events of instruments over system.max_instruments (no features) %llu\n",
              static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(c.over_capacity));
  if (rows.col) std::printf("  wrote %s.hftc\n", base.c_str());
  if (rows.csv) std::printf("  wrote %s.csv\n", base.c_str());
  return 0;
}

}  // namespace

const Command kFeaturesCommand{"features", "write the feature vectors of a source (columnar .hftc and/or CSV)", cmd_features::kUsage,
                               cmd_features::run};

}  // namespace hft::app
