// Single-row tree-ensemble inference: TreeEnsemble (padded lockstep walk, and its plain linked walk)
// against XGBoost's C API single-row path (XGBoosterPredictFromDense, one proxy DMatrix reused),
// side by side in one run, for 100, 300 and 1000 trees of depth 6 on 40 inputs
// (reg:squarederror, trained once in the set-up on 30,000 synthetic rows with enough signal that
// the trees grow to full depth; the 100- and 300-tree models are the first rounds of the
// 1000-tree one). Each iteration predicts the next of 4096 pre-generated rows (10% NaN), so
// rows are not all in L1. Counters: per_row and per_tree (seconds, SI prefix: n = ns).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "hft/model/tree_ensemble.hpp"
#include "hft/model/xgb.hpp"

namespace {

using hft::model::Samples;
using hft::model::TreeEnsemble;
using hft::model::XgbModel;

constexpr std::size_t kCols = 40;
constexpr std::size_t kRows = 4096;  // rows rotated through (power of two)

Samples synthetic(std::size_t rows, std::uint32_t seed, float nan_share) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n01(0, 1);
  std::uniform_real_distribution<float> u(0, 1);
  Samples s;
  s.cols = kCols;
  for (std::size_t r = 0; r < rows; ++r) {
    float y = 0;
    for (std::size_t c = 0; c < kCols; ++c) {
      float v = n01(rng);
      // Every input matters a little, some interact: splits spread over many features.
      y += (0.3f + 0.02f * static_cast<float>(c)) * (c % 3 == 0 ? v * v : v);
      s.x.push_back(u(rng) < nan_share ? std::numeric_limits<float>::quiet_NaN() : v);
    }
    s.y.push_back(y + n01(rng));
  }
  return s;
}

struct Models {
  std::map<int, XgbModel> xgb;
  std::map<int, TreeEnsemble> trees;
  Samples rows = synthetic(kRows, 99, 0.1f);
};

// Never freed: freeing boosters in static destruction, after XGBoost's own globals are gone,
// crashes at exit.
Models& models() {
  static Models* m = [] {
    auto p = std::make_unique<Models>();
    Samples train = synthetic(30000, 1, 0.05f);
    hft::model::XgbParams params{{{"objective", "reg:squarederror"},
                                  {"tree_method", "hist"},
                                  {"max_depth", "6"},
                                  {"eta", "0.05"},
                                  {"min_child_weight", "1"},
                                  {"subsample", "0.8"},
                                  {"nthread", "2"},
                                  {"seed", "3"}},
                                 1000, 0};
    XgbModel full = hft::model::train_xgb(train, nullptr, params);
    for (int n : {100, 300, 1000}) {
      XgbModel sliced = full.slice(0, n);
      // Single row on one thread, like the engine's hot thread.
      sliced.set_param("nthread", "1");
      p->trees.emplace(n, TreeEnsemble::from_xgboost_json(sliced.save_json()));
      std::fprintf(stderr, "model %d trees: depth %d, %zu used features\n", n, p->trees.at(n).depth(),
                   p->trees.at(n).used_features().size());
      p->xgb.emplace(n, std::move(sliced));
    }
    return p.release();
  }();
  return *m;
}

void counters(benchmark::State& st, int trees) {
  const double it = static_cast<double>(st.iterations());
  // Seconds per row / per tree, printed with SI prefixes ("n" = ns).
  st.counters["per_row"] = benchmark::Counter(it, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  st.counters["per_tree"] =
      benchmark::Counter(it * trees, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_TreeEnsemble(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  Models& m = models();
  TreeEnsemble e = m.trees.at(n);
  e.force_linked(st.range(1) != 0);
  std::size_t i = 0;
  float out = 0;
  for (auto _ : st) {
    e.predict(m.rows.row(i).data(), &out);
    benchmark::DoNotOptimize(out);
    i = (i + 1) & (kRows - 1);
  }
  counters(st, n);
}

void BM_XgbPredictFromDense(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  Models& m = models();
  XgbModel& x = m.xgb.at(n);
  std::size_t i = 0;
  float out = 0;
  for (auto _ : st) {
    x.predict_row_inplace(m.rows.row(i).data(), kCols, &out);
    benchmark::DoNotOptimize(out);
    i = (i + 1) & (kRows - 1);
  }
  counters(st, n);
}

}  // namespace

BENCHMARK(BM_TreeEnsemble)->ArgNames({"trees", "linked"})->ArgsProduct({{100, 300, 1000}, {0, 1}});
BENCHMARK(BM_XgbPredictFromDense)->ArgName("trees")->Arg(100)->Arg(300)->Arg(1000);
BENCHMARK_MAIN();
