// Binance recorder lines per second: (a) JSON decode + book sync + level translation of lines
// already in memory (Decoder), (b) the same plus applying the events to book::Books, (c) the
// whole source: gzip inflate + lines + decode (open_binance_source, drained).
// Input: the shared captures (HFT_SHARED_DATA/binance-hftbacktest). items_per_second = lines/s.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "hft/binance/binance_source.hpp"
#include "hft/binance/decoder.hpp"
#include "hft/binance/gz_lines.hpp"
#include "hft/book/order_book.hpp"

namespace {

using namespace hft;

const std::string kDir = std::string(HFT_SHARED_DATA) + "/binance-hftbacktest/";

std::vector<std::string> paths(int which) {
  if (which == 0) return {kDir + "usdm_btcusdt_20240808.gz"};
  return {kDir + "spot_btcusdt_20240808.gz", kDir + "spot_btcusdt_20240809.gz"};
}

std::vector<feed::FeedOptions::InstrumentDef> defs() {
  return {{"BTCUSDT", "usdm", InstrumentScale{100, 1000, 10, 1}},
          {"BTCUSDT", "spot", InstrumentScale{100, 1000000, 1, 1}}};
}

const std::vector<std::string>& lines(int which) {
  static std::vector<std::string> cache[2];
  auto& c = cache[which];
  if (c.empty()) {
    binance::GzLines g(paths(which));
    std::string_view l;
    while (g.next(l)) c.emplace_back(l);
  }
  return c;
}

void BM_BinanceDecode(benchmark::State& st) {
  const int which = static_cast<int>(st.range(0));
  if (!std::filesystem::exists(paths(which)[0])) return st.SkipWithError("no shared data");
  const auto& ls = lines(which);
  const bool apply = st.range(1) != 0;
  std::vector<MarketEvent> evs;
  evs.reserve(1 << 14);
  book::BookConfig bc;
  bc.max_orders = 1u << 16;  // a level book: ~10k live levels here
  bc.prefault = true;        // as the live engine
  for (auto _ : st) {
    binance::Decoder dec(binance::DecoderOptions{defs(), 1u << 16});
    std::unique_ptr<book::Books> books = apply ? std::make_unique<book::Books>(bc) : nullptr;
    for (const auto& l : ls) {
      evs.clear();
      dec.decode(l, evs);
      if (books) books->apply_batch(evs.data(), evs.size());
    }
    benchmark::DoNotOptimize(dec.counts(binance::kApplied));
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(ls.size()));
  st.SetLabel(std::string(which == 0 ? "usdm" : "spot") + (apply ? " decode+book" : " decode"));
}
BENCHMARK(BM_BinanceDecode)->Args({0, 0})->Args({0, 1})->Args({1, 0})->Args({1, 1})->Unit(benchmark::kMillisecond);

void BM_BinanceSource(benchmark::State& st) {
  const int which = static_cast<int>(st.range(0));
  const auto ps = paths(which);
  if (!std::filesystem::exists(ps[0])) return st.SkipWithError("no shared data");
  std::string spec = ps[0];
  for (std::size_t i = 1; i < ps.size(); ++i) spec += "," + ps[i];
  feed::FeedOptions fo;
  fo.instruments = defs();
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::uint64_t n_lines = 0;
  for (auto _ : st) {
    auto src = binance::open_binance_source(spec, fo);
    while (src->next(buf)) {
    }
    n_lines = src->stats().counts.at("binance.lines");
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * n_lines));
  st.SetLabel(std::string(which == 0 ? "usdm" : "spot") + " gzip+decode (source)");
}
BENCHMARK(BM_BinanceSource)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
