// XgbModel / train_xgb: early stopping stops and the model kept is the best round's; JSON save
// and reload gives the same predictions bit for bit; a random forest trains in one round;
// gain importance names the inputs; the eval line parser.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>

#include "hft/model/xgb.hpp"

using namespace hft::model;

namespace {

Samples noisy(std::size_t rows, std::size_t cols, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n01(0, 1);
  Samples s;
  s.cols = cols;
  for (std::size_t c = 0; c < cols; ++c) s.names.push_back("f_" + std::to_string(c));
  for (std::size_t r = 0; r < rows; ++r) {
    float a = 0;
    for (std::size_t c = 0; c < cols; ++c) {
      float v = n01(rng);
      if (c == 0) a = v;
      s.x.push_back(v);
    }
    s.y.push_back(0.3f * a + 2.0f * n01(rng));  // weak signal, mostly noise: overfits fast
  }
  return s;
}

bool bits_equal(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i])) return false;
  return true;
}

}  // namespace

TEST(Xgb, ParseEval) {
  std::string metric;
  EXPECT_EQ(parse_eval("[3]\ttrain-rmse:0.5\tvalid-rmse:0.625", "valid", &metric), 0.625);
  EXPECT_EQ(metric, "rmse");
  EXPECT_EQ(parse_eval("[3]\ttrain-rmse:0.5\ttrain-mae:0.25", "train", &metric), 0.25);
  EXPECT_EQ(metric, "mae");
  EXPECT_TRUE(std::isnan(parse_eval("[3]\ttrain-rmse:0.5", "valid")));
}

TEST(Xgb, EarlyStoppingKeepsTheBestRound) {
  Samples train = noisy(2000, 6, 1), valid = noisy(1000, 6, 2);
  XgbParams p{{{"objective", "reg:squarederror"}, {"max_depth", "6"}, {"eta", "0.3"}, {"nthread", "1"}, {"seed", "1"}},
              200, 10};
  XgbModel m = train_xgb(train, &valid, p);
  EXPECT_EQ(m.eval_metric, "rmse");
  ASSERT_GE(m.best_iteration, 0);
  EXPECT_LT(m.best_iteration, 190);
  EXPECT_LT(m.valid_history.size(), 200u);  // stopped
  EXPECT_EQ(m.valid_history.size(), static_cast<std::size_t>(m.best_iteration + 1 + 10));
  EXPECT_EQ(m.boosted_rounds(), m.best_iteration + 1);  // sliced to the best round
  for (double v : m.valid_history) EXPECT_GE(v, m.best_score());

  // The metric reported is the kept model's: its RMSE on the validation set.
  std::vector<float> pred = m.predict(valid, false);
  double se = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) se += (pred[i] - valid.y[i]) * double(pred[i] - valid.y[i]);
  EXPECT_NEAR(std::sqrt(se / static_cast<double>(pred.size())), m.best_score(), 1e-4 * m.best_score());

  // Save, reload: same trees, same predictions bit for bit.
  const std::string json = m.save_json();
  XgbModel r = XgbModel::load_json(json);
  EXPECT_EQ(r.boosted_rounds(), m.boosted_rounds());
  EXPECT_TRUE(bits_equal(r.predict(valid, false), pred));
  EXPECT_TRUE(bits_equal(r.predict(valid, true), m.predict(valid, true)));
  EXPECT_EQ(r.save_json(), json);

  // Single-row in-place prediction agrees with the batch.
  float out = 0;
  for (std::size_t i = 0; i < 20; ++i) {
    r.predict_row_inplace(valid.row(i).data(), valid.cols, &out);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(out), std::bit_cast<std::uint32_t>(pred[i]));
  }

  auto gain = m.gain_importance();
  ASSERT_FALSE(gain.empty());
  for (auto& [name, g] : gain) {
    EXPECT_EQ(name.substr(0, 2), "f_");
    EXPECT_GT(g, 0.0);
  }
}

TEST(Xgb, MaximisedMetricAndNoValidation) {
  Samples train = noisy(1000, 4, 3), valid = noisy(500, 4, 4);
  for (auto* s : {&train, &valid})
    for (float& y : s->y) y = y > 0 ? 1.0f : 0.0f;
  XgbParams p{{{"objective", "binary:logistic"}, {"eval_metric", "auc"}, {"max_depth", "4"}, {"nthread", "1"}}, 100, 5};
  XgbModel m = train_xgb(train, &valid, p);
  EXPECT_EQ(m.eval_metric, "auc");
  for (double v : m.valid_history) EXPECT_LE(v, m.best_score());

  p.rounds = 7;
  XgbModel all = train_xgb(train, nullptr, p);
  EXPECT_EQ(all.best_iteration, 6);
  EXPECT_EQ(all.boosted_rounds(), 7);
  EXPECT_TRUE(all.valid_history.empty());
  EXPECT_EQ(all.train_history.size(), 7u);
}

TEST(Xgb, RandomForestOneRound) {
  Samples train = noisy(1000, 5, 5), valid = noisy(300, 5, 6);
  XgbParams p{{{"objective", "reg:squarederror"}, {"num_parallel_tree", "30"}, {"eta", "1"}, {"subsample", "0.8"},
               {"colsample_bynode", "0.8"}, {"max_depth", "5"}, {"nthread", "1"}},
              1, 20};
  XgbModel m = train_xgb(train, &valid, p);
  EXPECT_EQ(m.best_iteration, 0);
  EXPECT_EQ(m.boosted_rounds(), 1);
  EXPECT_NE(m.save_json().find("\"num_trees\":\"30\""), std::string::npos);
}

TEST(Xgb, ErrorsCarryXgboostMessage) {
  Samples train = noisy(100, 3, 7);
  XgbParams p{{{"objective", "no:such"}}, 2, 0};
  try {
    train_xgb(train, nullptr, p);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("xgboost"), std::string::npos);
  }
  EXPECT_THROW(XgbModel::load_json("{not json"), std::runtime_error);
}
