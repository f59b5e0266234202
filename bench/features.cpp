// ns per event of FeatureEngine::on_event with the default feature set over a whole recorded
// day, warm in memory. The events are read first (not timed); one iteration = one pass over the
// day with a fresh Books (and FeatureEngine):
//   BM_Book          Books::apply alone
//   BM_BookFeatures  Books::apply + FeatureEngine::on_event (default set)
//   BM_BookFeaturesGroup/g  the same with one feature group only (0 book, 1 flow, 2 stat,
//                    3 tech, 4 time)
// The features' own cost is BM_BookFeatures minus BM_Book (the engine reads the book after each
// event, so it cannot run without it); both are reported as ns_per_event, the feature count as
// "features". Input: HFT_BENCH_SOURCE (a SOURCE string such as lobster:AMZN_..._message_5.csv or
// pcap:converted.pcap); by default the LOBSTER AMZN level-5 sample day of HFT_SHARED_DATA,
// extracted into /tmp.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/features/features.hpp"
#include "hft/sources/open.hpp"

namespace {

struct Day {
  std::vector<hft::MarketEvent> events;
  std::string error;
};

std::string default_source() {
  const std::string dir = "/tmp/hft-bench-features-" + std::to_string(::getuid());
  const std::string msg = dir + "/AMZN_2012-06-21_34200000_57600000_message_5.csv";
  if (!std::filesystem::exists(msg)) {
    std::filesystem::create_directories(dir);
    const std::string cmd = std::string("unzip -o -q '") + HFT_SHARED_DATA +
                            "/lobster-2012-06-21/LOBSTER_SampleFile_AMZN_2012-06-21_5.zip' -d '" + dir + "'";
    if (std::system(cmd.c_str()) != 0) return "";
  }
  return "lobster:" + msg;
}

const Day& day() {
  static Day d = [] {
    Day k;
    const char* env = std::getenv("HFT_BENCH_SOURCE");
    const std::string spec = env && *env ? std::string(env) : default_source();
    if (spec.empty()) {
      k.error = "cannot extract the LOBSTER sample; set HFT_BENCH_SOURCE";
      return k;
    }
    try {
      auto src = hft::sources::open_source(hft::sources::parse_source_spec(spec));
      std::vector<hft::MarketEvent> buf(hft::feed::kMaxBatch);
      std::size_t n;
      while ((n = src->next(buf)) > 0) k.events.insert(k.events.end(), buf.begin(), buf.begin() + n);
    } catch (const std::exception& e) {
      k.error = e.what();
    }
    std::fprintf(stderr, "features bench: %zu events from %s\n", k.events.size(), spec.c_str());
    return k;
  }();
  return d;
}

void report(benchmark::State& st, std::size_t events, std::size_t features) {
  st.counters["ns_per_event"] = benchmark::Counter(static_cast<double>(events),
                                                   benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
  st.counters["features"] = static_cast<double>(features);
  st.counters["events"] = static_cast<double>(events);
}

void BM_Book(benchmark::State& st) {
  const Day& d = day();
  if (!d.error.empty()) return st.SkipWithError(d.error.c_str());
  for (auto _ : st) {
    st.PauseTiming();
    auto books = std::make_unique<hft::book::Books>();
    st.ResumeTiming();
    for (const auto& e : d.events) books->apply(e);
    benchmark::DoNotOptimize(books->live_orders());
    st.PauseTiming();
    books.reset();
    st.ResumeTiming();
  }
  report(st, d.events.size(), 0);
}

void run_features(benchmark::State& st, const hft::features::FeatureConfig& cfg) {
  const Day& d = day();
  if (!d.error.empty()) return st.SkipWithError(d.error.c_str());
  std::size_t nf = 0;
  for (auto _ : st) {
    st.PauseTiming();
    auto books = std::make_unique<hft::book::Books>();
    auto fe = std::make_unique<hft::features::FeatureEngine>(cfg);
    nf = fe->schema().names.size();
    st.ResumeTiming();
    for (const auto& e : d.events) {
      books->apply(e);
      fe->on_event(e, *books);
    }
    benchmark::DoNotOptimize(fe->current(d.events.back().instrument).v[0]);
    st.PauseTiming();
    fe.reset();
    books.reset();
    st.ResumeTiming();
  }
  report(st, d.events.size(), nf);
}

void BM_BookFeatures(benchmark::State& st) { run_features(st, hft::features::FeatureConfig{}); }

void BM_BookFeaturesGroup(benchmark::State& st) {
  hft::features::FeatureConfig c;
  const auto g = st.range(0);
  c.book = g == 0;
  c.flow = g == 1;
  c.stat = g == 2;
  c.tech = g == 3;
  c.time = g == 4;
  run_features(st, c);
}

BENCHMARK(BM_Book)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();
BENCHMARK(BM_BookFeatures)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();
BENCHMARK(BM_BookFeaturesGroup)->DenseRange(0, 4)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
