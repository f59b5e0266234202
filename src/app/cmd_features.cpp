// hftd features: the feature vectors of a recorded source, for research and training: the same
// book, cleaning and feature code with the same settings (config.yml's clean and features
// sections) as the engine's hot path, one row per event (or per sampling interval) of the chosen
// instruments, written as a compact columnar file (.hftc) and/or CSV, with the schema (names,
// order, hash) in both. Events the cleaner drops get no row and do not reach the features.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "hft/book/order_book.hpp"
#include "hft/clean/cleaner.hpp"
#include "hft/config/config.hpp"
#include "hft/dataset/columnar.hpp"
#include "hft/engine/stage_config.hpp"
#include "hft/features/features.hpp"
#include "hft/sources/open.hpp"
#include "pump.hpp"

namespace hft::app {
namespace {

const char* const kUsage =
    "  --input SOURCE      market data (pcap:F, lobster:F, dbn:F)\n"
    "  --out BASE          writes BASE.hftc (columnar) and/or BASE.csv\n"
    "  --format F          hftc | csv | both (default hftc)\n"
    "  --every-ms N        one row per instrument per N ms of exchange time (the vector at the\n"
    "                      last event before each boundary); default 0 = a row after every event\n"
    "  --symbol SYM        only this instrument (default: all with market events)\n"
    "  --date YYYYMMDD     trading date for the day-of-week feature when the source has no epoch times\n"
    "  --levels N          depth levels of the book features (default 5)\n"
    "  --max-orders N      order pool size (default 4194304)\n"
    "  --config FILE       clean and features settings (default: config.yml's defaults)\n"
    "  --dst ADDR:PORT     pcap only: keep UDP datagrams to this destination\n";

int run(int argc, char** argv) {
  const Options o(argc, argv,
                  {"--input", "--out", "--format", "--every-ms", "--symbol", "--date", "--levels", "--max-orders", "--dst",
                   "--config"});
  const std::string input = o.required("--input");
  const std::string base = o.required("--out");
  const std::string format = o.str("--format", "hftc");
  if (format != "hftc" && format != "csv" && format != "both") throw UsageError("--format must be hftc, csv or both");
  const Nanos every = static_cast<Nanos>(o.integer("--every-ms", 0, 0, 86'400'000)) * 1'000'000;
  const std::string want_symbol = o.str("--symbol");

  auto src = sources::open_source(sources::parse_source_spec(input), feed_options(o));
  book::BookConfig bc;
  bc.max_orders = static_cast<std::size_t>(o.integer("--max-orders", 1 << 22, 1, 1LL << 32));
  bc.max_levels = std::min<std::size_t>(bc.max_orders, 1 << 22);
  book::Books books(bc);
  config::Config cfg = config_option(o);
  features::FeatureConfig fc = engine::feature_config(cfg);
  if (o.has("--levels")) fc.levels = static_cast<std::size_t>(o.integer("--levels", 5, 1, features::kMaxLevels));
  fc.date_yyyymmdd = static_cast<int>(o.integer("--date", 0, 0, 99991231));
  fc.ts_exch_epoch = src->time_basis() == feed::TimeBasis::SinceEpoch;
  features::FeatureEngine fe(fc, bc.max_instruments);
  clean::Cleaner cleaner(engine::clean_config(cfg), bc.max_instruments);
  std::uint64_t dropped = 0;
  const auto& schema = fe.schema();

  std::unique_ptr<dataset::ColumnarWriter> col;
  std::unique_ptr<dataset::CsvWriter> csv;
  if (format != "csv") col = std::make_unique<dataset::ColumnarWriter>(base + ".hftc", schema.names, schema.hash);
  if (format != "hftc") csv = std::make_unique<dataset::CsvWriter>(base + ".csv", schema.names, schema.hash);
  auto write = [&](const features::FeatureVector& v) {
    if (col) col->append(v.ts, v.instrument, v.v.data());
    if (csv) csv->append(v.ts, v.instrument, v.v.data());
  };

  // Instrument filter: resolved by symbol as directory messages arrive.
  std::vector<std::uint8_t> want(bc.max_instruments, want_symbol.empty() ? 1 : 0);
  std::size_t known = 0;
  std::vector<std::uint8_t> dirty(bc.max_instruments, 0);  // changed since the last sample
  std::vector<InstrumentId> dirty_list;
  Nanos next_sample = -1;
  std::uint64_t rows = 0;
  auto flush_samples = [&](Nanos boundary) {
    std::sort(dirty_list.begin(), dirty_list.end());
    for (InstrumentId id : dirty_list) {
      features::FeatureVector v = fe.current(id);
      v.ts = boundary;  // the row stands for the state at the boundary
      write(v);
      ++rows;
      dirty[id] = 0;
    }
    dirty_list.clear();
  };

  const std::uint64_t events = pump(*src, [&](const MarketEvent& ev) {
    books.apply(ev);
    if (cleaner.on_event(ev, books).drop) {
      ++dropped;
      return;
    }
    if (!is_market_kind(ev.kind) || ev.instrument >= want.size()) return;
    if (!want_symbol.empty() && src->instruments().size() != known) {
      known = src->instruments().size();
      for (const auto& in : src->instruments())
        if (in.symbol == want_symbol && in.id < want.size()) want[in.id] = 1;
    }
    if (every > 0) {  // rows at boundaries hold the state just before the boundary's first event
      if (next_sample < 0) next_sample = (ev.ts_exch / every + 1) * every;
      while (ev.ts_exch >= next_sample) {
        flush_samples(next_sample);
        next_sample += every;
      }
    }
    fe.on_event(ev, books);
    if (!want[ev.instrument]) return;
    if (every == 0) {
      write(fe.current(ev.instrument));
      ++rows;
    } else if (!dirty[ev.instrument]) {
      dirty[ev.instrument] = 1;
      dirty_list.push_back(ev.instrument);
    }
  });
  if (every > 0) flush_samples(next_sample);
  if (col) col->close();
  if (csv) csv->close();

  const auto& c = fe.counters();
  std::printf("hftd features %s\n", input.c_str());
  std::printf("  events %llu, rows %llu, features %zu, schema hash %016" PRIx64 "\n",
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(rows), schema.names.size(),
              schema.hash);
  std::printf("  instruments %llu, events on an invalid book (empty side, locked, crossed) %llu, time going back %llu, "
              "non-finite values replaced %llu\n",
              static_cast<unsigned long long>(c.instruments_created), static_cast<unsigned long long>(c.invalid_book),
              static_cast<unsigned long long>(c.time_backwards), static_cast<unsigned long long>(c.nonfinite_replaced));
  std::printf("  events dropped by the cleaner %llu\n", static_cast<unsigned long long>(dropped));
  if (col) std::printf("  wrote %s.hftc\n", base.c_str());
  if (csv) std::printf("  wrote %s.csv\n", base.c_str());
  return 0;
}

}  // namespace

const Command kFeaturesCommand{"features", "write the feature vectors of a source (columnar .hftc and/or CSV)", kUsage,
                               run};

}  // namespace hft::app
