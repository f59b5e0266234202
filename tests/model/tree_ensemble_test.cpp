// TreeEnsemble against XGBoost itself: models trained here with the C API (binary:logistic,
// multi:softprob with 3 classes, reg:squarederror, a random forest, a depth-10 model that takes
// the linked layout), evaluated on 100,000 rows holding NaN, values exactly at split thresholds
// and one float either side, +inf and -inf: margins and transformed outputs equal XGBoost's
// (XGBoosterPredictFromDense, and PredictFromDMatrix on rows without inf) bit for bit, on the
// padded and the linked walk. And malformed models: a clear std::runtime_error, never a crash.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hft/model/tree_ensemble.hpp"
#include "hft/model/xgb.hpp"

using namespace hft::model;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Rows with a signal in the first features, 5% NaN; target by kind.
Samples make_data(std::size_t rows, std::size_t cols, int kind, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n01(0, 1);
  std::uniform_real_distribution<float> u(0, 1);
  Samples s;
  s.cols = cols;
  for (std::size_t c = 0; c < cols; ++c) s.names.push_back("x" + std::to_string(c));
  for (std::size_t r = 0; r < rows; ++r) {
    float z = 0;
    for (std::size_t c = 0; c < cols; ++c) {
      float v = n01(rng);
      if (c < 4) z += (c % 2 ? -0.7f : 1.0f) * v * (c == 2 ? v : 1.0f);
      s.x.push_back(u(rng) < 0.05f ? kNaN : v);
    }
    z += 0.5f * n01(rng);
    if (kind == 0) s.y.push_back(z > 0 ? 1.0f : 0.0f);                              // binary
    if (kind == 1) s.y.push_back(z < -0.5f ? 0.0f : (z < 0.5f ? 1.0f : 2.0f));     // 3 classes
    if (kind == 2) s.y.push_back(z);                                               // regression
  }
  return s;
}

XgbParams params(std::vector<std::pair<std::string, std::string>> p, int rounds) {
  p.emplace_back("nthread", "1");
  p.emplace_back("seed", "7");
  return {std::move(p), rounds, 0};
}

// Evaluation rows: normal values, and per cell NaN (5%), a split threshold of that feature or
// the float just below / above it (30%), +inf (2%), -inf (2%). Rows [0, clean) have no inf.
std::vector<float> eval_rows(const TreeEnsemble& e, std::size_t rows, std::size_t clean, std::uint32_t seed) {
  const std::size_t cols = e.num_features();
  std::vector<std::vector<float>> thr(cols);
  for (auto [f, t] : e.splits()) thr[f].push_back(t);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n01(0, 1);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> x(rows * cols);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      float p = u(rng), v = n01(rng);
      if (p < 0.05f) {
        v = kNaN;
      } else if (p < 0.35f && !thr[c].empty()) {
        v = thr[c][rng() % thr[c].size()];
        if (p < 0.15f) v = std::nextafter(v, -kInf);
        else if (p < 0.25f) v = std::nextafter(v, kInf);
      } else if (r >= clean && p > 0.98f) {
        v = kInf;
      } else if (r >= clean && p > 0.96f) {
        v = -kInf;
      }
      x[r * cols + c] = v;
    }
  return x;
}

void expect_bits_equal(const std::vector<float>& got, const std::vector<float>& want, std::size_t groups,
                       const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (std::bit_cast<std::uint32_t>(got[i]) != std::bit_cast<std::uint32_t>(want[i])) {
      ADD_FAILURE() << what << ": first mismatch at row " << i / groups << " group " << i % groups << ": got "
                    << got[i] << " (0x" << std::hex << std::bit_cast<std::uint32_t>(got[i]) << "), xgboost "
                    << want[i] << " (0x" << std::bit_cast<std::uint32_t>(want[i]) << std::dec << ")";
      return;
    }
}

std::vector<float> evaluate(const TreeEnsemble& e, const std::vector<float>& x, std::size_t rows, bool margin) {
  const std::size_t g = e.num_groups(), cols = e.num_features();
  std::vector<float> out(rows * g);
  for (std::size_t r = 0; r < rows; ++r) {
    if (margin) e.predict_margin(&x[r * cols], &out[r * g]);
    else e.predict(&x[r * cols], &out[r * g]);
  }
  return out;
}

void check_exact(const XgbModel& m, bool expect_perfect) {
  TreeEnsemble e = TreeEnsemble::from_xgboost_json(m.save_json());
  EXPECT_EQ(e.perfect_layout(), expect_perfect);
  constexpr std::size_t kRows = 100'000, kClean = 10'000;
  const std::vector<float> x = eval_rows(e, kRows, kClean, 42);
  const std::size_t cols = e.num_features(), g = e.num_groups();
  for (bool margin : {true, false}) {
    const std::vector<float> want = m.predict_dense(x.data(), kRows, cols, margin);
    ASSERT_EQ(want.size(), kRows * g);
    for (bool linked : {false, true}) {
      e.force_linked(linked);
      SCOPED_TRACE(std::string(margin ? "margin" : "output") + (linked ? " linked walk" : " default walk"));
      expect_bits_equal(evaluate(e, x, kRows, margin), want, g, "vs PredictFromDense");
    }
    // PredictFromDMatrix (a DMatrix refuses inf): the rows without.
    Samples clean;
    clean.cols = cols;
    clean.x.assign(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(kClean * cols));
    clean.y.assign(kClean, 0.0f);
    std::vector<float> first(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(kClean * g));
    expect_bits_equal(first, m.predict(clean, margin), g, "PredictFromDense vs PredictFromDMatrix");
  }
}

}  // namespace

TEST(TreeEnsemble, BinaryLogisticExact) {
  Samples s = make_data(3000, 8, 0, 1);
  XgbModel m = train_xgb(s, nullptr, params({{"objective", "binary:logistic"}, {"max_depth", "5"}, {"eta", "0.3"}}, 30));
  TreeEnsemble e = TreeEnsemble::from_xgboost_json(m.save_json());
  EXPECT_EQ(e.objective(), TreeObjective::Logistic);
  EXPECT_EQ(e.num_trees(), 30u);
  EXPECT_EQ(e.num_groups(), 1u);
  EXPECT_EQ(e.num_features(), 8u);
  ASSERT_FALSE(e.used_features().empty());
  for (std::size_t i = 1; i < e.used_features().size(); ++i)
    EXPECT_LT(e.used_features()[i - 1], e.used_features()[i]);
  check_exact(m, true);
}

TEST(TreeEnsemble, MultiSoftprobExact) {
  Samples s = make_data(3000, 6, 1, 2);
  XgbModel m = train_xgb(
      s, nullptr,
      params({{"objective", "multi:softprob"}, {"num_class", "3"}, {"max_depth", "4"}, {"eta", "0.3"}}, 20));
  TreeEnsemble e = TreeEnsemble::from_xgboost_json(m.save_json());
  EXPECT_EQ(e.num_groups(), 3u);
  EXPECT_EQ(e.num_trees(), 60u);
  check_exact(m, true);
}

TEST(TreeEnsemble, SquaredErrorExact) {
  Samples s = make_data(4000, 10, 2, 3);
  // base_score away from the default, so the base margin is exercised.
  XgbModel m = train_xgb(s, nullptr,
                         params({{"objective", "reg:squarederror"}, {"max_depth", "6"}, {"eta", "0.1"},
                                 {"base_score", "0.3"}, {"subsample", "0.8"}},
                                45));  // 45 trees: a partial last block of 8
  check_exact(m, true);
}

TEST(TreeEnsemble, RandomForestExact) {
  Samples s = make_data(3000, 8, 0, 4);
  XgbModel m = train_xgb(s, nullptr,
                         params({{"objective", "binary:logistic"}, {"max_depth", "6"}, {"eta", "1"},
                                 {"num_parallel_tree", "25"}, {"subsample", "0.8"}, {"colsample_bynode", "0.8"}},
                                1));
  TreeEnsemble e = TreeEnsemble::from_xgboost_json(m.save_json());
  EXPECT_EQ(e.num_trees(), 25u);
  check_exact(m, true);
}

TEST(TreeEnsemble, DeepTreesLinkedLayoutExact) {
  Samples s = make_data(4000, 8, 2, 5);
  XgbModel m = train_xgb(s, nullptr,
                         params({{"objective", "reg:squarederror"}, {"max_depth", "11"}, {"eta", "0.3"},
                                 {"min_child_weight", "0"}},
                                8));
  TreeEnsemble e = TreeEnsemble::from_xgboost_json(m.save_json());
  EXPECT_GT(e.depth(), TreeEnsemble::kMaxPerfectDepth);
  check_exact(m, false);
}

TEST(TreeEnsemble, Transforms) {
  // XGBoost's formulas: sigmoid saturates at 1 / (1 + e^-88.7 + 1e-16); softmax sums to ~1.
  EXPECT_EQ(TreeEnsemble::sigmoid(0.0f), 0.5f);
  EXPECT_GT(TreeEnsemble::sigmoid(-1000.0f), 0.0f);
  EXPECT_EQ(TreeEnsemble::sigmoid(1000.0f), 1.0f);
  float v[3] = {1, 2, 3};
  TreeEnsemble::softmax(v, 3);
  EXPECT_NEAR(v[0] + v[1] + v[2], 1.0f, 1e-6f);
  EXPECT_LT(v[0], v[1]);
}

// ---- malformed models ----

namespace {

std::string small_model_json(const char* booster = "gbtree") {
  Samples s = make_data(500, 4, 0, 9);
  XgbModel m = train_xgb(s, nullptr,
                         params({{"objective", "binary:logistic"}, {"max_depth", "3"}, {"booster", booster}}, 3));
  return m.save_json();
}

// Replaces element idx of the first array named key with text.
std::string set_element(std::string j, const std::string& key, std::size_t idx, const std::string& text) {
  std::size_t p = j.find("\"" + key + "\":[");
  if (p == std::string::npos) p = j.find("\"" + key + "\": [");
  EXPECT_NE(p, std::string::npos) << key;
  p = j.find('[', p) + 1;
  for (std::size_t i = 0; i < idx; ++i) p = j.find(',', p) + 1;
  std::size_t end = j.find_first_of(",]", p);
  return j.substr(0, p) + text + j.substr(end);
}

std::string element(const std::string& j, const std::string& key, std::size_t idx) {
  std::size_t p = j.find("\"" + key + "\":[");
  if (p == std::string::npos) p = j.find("\"" + key + "\": [");
  p = j.find('[', p) + 1;
  for (std::size_t i = 0; i < idx; ++i) p = j.find(',', p) + 1;
  return j.substr(p, j.find_first_of(",]", p) - p);
}

void expect_refused(const std::string& json, const std::string& needle) {
  try {
    TreeEnsemble::from_xgboost_json(json);
    ADD_FAILURE() << "accepted; expected an error containing '" << needle << "'";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(TreeEnsembleBadModels, ClearErrors) {
  const std::string good = small_model_json();
  ASSERT_NO_THROW(TreeEnsemble::from_xgboost_json(good));
  expect_refused("", "empty");
  expect_refused("{}", "learner");
  expect_refused("[1,2,3]", "top level");
  expect_refused(set_element(good, "left_children", 0, "99999"), "out of range");
  expect_refused(set_element(good, "left_children", 0, "0"), "out of range");
  // Node 1's left child is node 1 itself: a cycle.
  expect_refused(set_element(good, "left_children", 1, "1"), "reached twice");
  // Both children of the root are node 1.
  expect_refused(set_element(good, "right_children", 0, element(good, "left_children", 0)), "both children");
  expect_refused(set_element(good, "split_indices", 0, "4"), "num_feature");
  expect_refused(set_element(good, "split_indices", 0, "-1"), "num_feature");
  expect_refused(set_element(good, "split_conditions", 0, "\"x\""), "not a number");
  expect_refused(set_element(good, "split_conditions", 0, "NaN"), "");
  expect_refused(set_element(good, "default_left", 0, "7"), "default_left");
  expect_refused(set_element(good, "tree_info", 0, "3"), "output group");
  {
    std::string j = good;
    std::size_t p = j.find("binary:logistic");
    j.replace(p, 15, "reg:absoluteerr");
    expect_refused(j, "objective");
  }
}

TEST(TreeEnsembleBadModels, OtherBoostersRefused) {
  expect_refused(small_model_json("gblinear"), "gblinear");
  expect_refused(small_model_json("dart"), "dart");
}

TEST(TreeEnsembleBadModels, TruncatedAndMutatedNeverCrash) {
  const std::string good = small_model_json();
  for (std::size_t cut = 0; cut < good.size(); cut += 1 + good.size() / 97) {
    EXPECT_THROW(TreeEnsemble::from_xgboost_json(good.substr(0, cut)), std::runtime_error) << "cut at " << cut;
  }
  // Random byte mutations: either refused with runtime_error, or loaded and then evaluable.
  std::mt19937 rng(11);
  const char alphabet[] = "0123456789-.,:[]{}\"eEtrufalsn ";
  int loaded = 0;
  std::vector<float> row(64, 0.5f), out(64);
  for (int i = 0; i < 400; ++i) {
    std::string j = good;
    for (int k = 0; k < 1 + i % 3; ++k) j[rng() % j.size()] = alphabet[rng() % (sizeof alphabet - 1)];
    try {
      TreeEnsemble e = TreeEnsemble::from_xgboost_json(j);
      if (e.num_features() > row.size() || e.num_groups() > out.size()) continue;
      e.predict(row.data(), out.data());
      ++loaded;
    } catch (const std::runtime_error&) {
    }
  }
  EXPECT_GT(loaded, 0);  // most mutations land in numbers and still load
}
