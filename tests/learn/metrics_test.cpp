#include "hft/learn/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace {

using hft::learn::classification_metrics;
using hft::learn::regression_metrics;

// Four rows, three classes; confidences kept away from the bin edges (0.7f is 0.69999999 in
// float, which floor(10 c) would put in bin 6).
//   row  probs               y  argmax  hit  conf  bin
//   0    .75 .15 .10         0  0       yes  .75   7
//   1    .10 .65 .25         2  1       no   .65   6
//   2    .20 .15 .65         2  2       yes  .65   6
//   3    .55 .35 .10         1  0       no   .55   5
const std::vector<float> kProbs{.75f, .15f, .10f, .10f, .65f, .25f, .20f, .15f, .65f, .55f, .35f, .10f};
const std::vector<float> kY{0, 2, 2, 1};

TEST(Metrics, HandComputedExample) {
  auto m = classification_metrics(kProbs, kY, 3);
  EXPECT_EQ(m.rows, 4u);
  // accuracy: rows 0 and 2 hit -> 2/4.
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);
  // confusion [true][pred]: (0,0) row 0, (2,1) row 1, (2,2) row 2, (1,0) row 3.
  std::vector<std::size_t> conf{1, 0, 0, 1, 0, 0, 0, 1, 1};
  EXPECT_EQ(m.confusion, conf);
  // F1 = 2TP / (2TP + FP + FN):
  //   class 0: TP 1, FP 1 (row 3), FN 0 -> 2/3;  class 1: TP 0 -> 0;
  //   class 2: TP 1, FP 0, FN 1 (row 1) -> 2/3;  macro = (2/3 + 0 + 2/3) / 3 = 4/9.
  EXPECT_NEAR(m.f1[0], 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.f1[1], 0.0, 1e-12);
  EXPECT_NEAR(m.f1[2], 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.macro_f1, 4.0 / 9, 1e-12);
  // log-loss: -(ln .75 + ln .25 + ln .65 + ln .35) / 4 (rows sum to 1 up to float rounding).
  EXPECT_NEAR(m.log_loss, -(std::log(.75) + std::log(.25) + std::log(.65) + std::log(.35)) / 4, 1e-6);
  // Brier: row 0: .25^2 + .15^2 + .1^2 = .095; row 1: .1^2 + .65^2 + .75^2 = .995;
  //        row 2: .2^2 + .15^2 + .35^2 = .185; row 3: .55^2 + .65^2 + .1^2 = .735; mean 2.01/4.
  EXPECT_NEAR(m.brier, 2.01 / 4, 1e-6);
  // Reliability: bin 5 {1, .55, 0}, bin 6 {2, .65, .5}, bin 7 {1, .75, 1}; the rest empty.
  for (int b = 0; b < 10; ++b) {
    const auto& bin = m.reliability[static_cast<std::size_t>(b)];
    if (b < 5 || b > 7) {
      EXPECT_EQ(bin.count, 0u) << b;
      EXPECT_TRUE(std::isnan(bin.accuracy)) << b;
    }
  }
  EXPECT_EQ(m.reliability[5].count, 1u);
  EXPECT_NEAR(m.reliability[5].mean_confidence, .55, 1e-6);
  EXPECT_DOUBLE_EQ(m.reliability[5].accuracy, 0.0);
  EXPECT_EQ(m.reliability[6].count, 2u);
  EXPECT_NEAR(m.reliability[6].mean_confidence, .65, 1e-6);
  EXPECT_DOUBLE_EQ(m.reliability[6].accuracy, 0.5);
  EXPECT_EQ(m.reliability[7].count, 1u);
  EXPECT_NEAR(m.reliability[7].mean_confidence, .75, 1e-6);
  EXPECT_DOUBLE_EQ(m.reliability[7].accuracy, 1.0);
  // ECE = 1/4 |0 - .55| + 2/4 |.5 - .65| + 1/4 |1 - .75| = .1375 + .075 + .0625 = .275.
  EXPECT_NEAR(m.ece, .275, 1e-6);
}

TEST(Metrics, AbsentClassCountsAsZeroF1) {
  // Class 2 has no true and no predicted rows: F1 0 by sklearn's zero_division default, and it
  // stays in the average over k = 3 classes: (1 + 1 + 0) / 3.
  std::vector<float> p{.9f, .05f, .05f, .1f, .8f, .1f, .6f, .3f, .1f, .2f, .7f, .1f};
  std::vector<float> y{0, 1, 0, 1};
  auto m = classification_metrics(p, y, 3);
  EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(m.f1[2], 0.0);
  EXPECT_NEAR(m.macro_f1, 2.0 / 3, 1e-12);
}

TEST(Metrics, LogLossClipsAndRenormalizes) {
  // Row 0: [0, 1] with y = 0 -> clipped to [1e-15, 1], renormalized: 1e-15 / (1 + 1e-15).
  // Row 1: [2, 2] with y = 0 -> clipped to [1, 1] -> 0.5.
  std::vector<float> p{0.f, 1.f, 2.f, 2.f};
  std::vector<float> y{0, 0};
  auto m = classification_metrics(p, y, 2);
  double expect = (-std::log(1e-15 / (1 + 1e-15)) + std::log(2.0)) / 2;
  EXPECT_NEAR(m.log_loss, expect, 1e-9);
  EXPECT_TRUE(std::isfinite(m.log_loss));
}

TEST(Metrics, OneClassOnly) {
  // k = 1: every row is class 0 with probability 1: perfect on every count.
  std::vector<float> p{1.f, 1.f, 1.f};
  std::vector<float> y{0, 0, 0};
  auto m = classification_metrics(p, y, 1);
  EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(m.macro_f1, 1.0);
  EXPECT_DOUBLE_EQ(m.log_loss, 0.0);
  EXPECT_DOUBLE_EQ(m.brier, 0.0);
  EXPECT_DOUBLE_EQ(m.ece, 0.0);
  EXPECT_EQ(m.reliability[9].count, 3u);  // confidence 1.0 goes to the last bin
  // k = 3 but every label and prediction is class 1: F1 = [0, 1, 0], macro 1/3.
  std::vector<float> p3{.1f, .8f, .1f, .2f, .6f, .2f};
  std::vector<float> y3{1, 1};
  auto m3 = classification_metrics(p3, y3, 3);
  EXPECT_NEAR(m3.macro_f1, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(m3.accuracy, 1.0);
}

TEST(Metrics, EmptyInputIsNaNNotACrash) {
  auto m = classification_metrics({}, {}, 3);
  EXPECT_EQ(m.rows, 0u);
  EXPECT_TRUE(std::isnan(m.accuracy));
  EXPECT_TRUE(std::isnan(m.macro_f1));
  EXPECT_TRUE(std::isnan(m.log_loss));
  EXPECT_TRUE(std::isnan(m.brier));
  EXPECT_TRUE(std::isnan(m.ece));
  EXPECT_EQ(m.confusion, std::vector<std::size_t>(9, 0));
  std::string js;
  m.to_json(js);
  EXPECT_NE(js.find("\"accuracy\":null"), std::string::npos) << js;
  auto r = regression_metrics({}, {});
  EXPECT_EQ(r.rows, 0u);
  EXPECT_TRUE(std::isnan(r.rmse));
  std::string rj;
  r.to_json(rj);
  EXPECT_EQ(rj, "{\"rows\":0,\"rmse\":null,\"mae\":null,\"r2\":null,\"hit_rate\":null,\"hit_rows\":0}");
}

TEST(Metrics, BadArgumentsThrow) {
  std::vector<float> p{.5f, .5f};
  std::vector<float> y{0, 1};
  EXPECT_THROW(classification_metrics(p, y, 2), std::invalid_argument);  // sizes
  std::vector<float> y_bad{2};
  EXPECT_THROW(classification_metrics(p, y_bad, 2), std::invalid_argument);  // label >= k
  std::vector<float> y_nan{std::nanf("")};
  EXPECT_THROW(classification_metrics(p, y_nan, 2), std::invalid_argument);
  EXPECT_THROW(classification_metrics(p, {}, 0), std::invalid_argument);
  EXPECT_THROW(regression_metrics(p, y_bad), std::invalid_argument);
}

TEST(Metrics, JsonHasNumbersAndNulls) {
  auto m = classification_metrics(kProbs, kY, 3);
  std::string js;
  m.to_json(js);
  EXPECT_EQ(js.front(), '{');
  EXPECT_EQ(js.back(), '}');
  EXPECT_NE(js.find("\"rows\":4"), std::string::npos) << js;
  EXPECT_NE(js.find("\"accuracy\":0.5"), std::string::npos) << js;
  EXPECT_NE(js.find("\"macro_f1\":0.444444"), std::string::npos) << js;
  EXPECT_NE(js.find("\"confusion\":[[1,0,0],[1,0,0],[0,1,1]]"), std::string::npos) << js;
  EXPECT_NE(js.find("{\"lo\":0,\"hi\":0.1,\"count\":0,\"confidence\":null,\"accuracy\":null}"), std::string::npos)
      << js;
  EXPECT_EQ(js.find("nan"), std::string::npos);
}

TEST(Metrics, RegressionHandComputed) {
  // errors pred - y: -1, -1, 1, 3 -> SE 12, RMSE sqrt(3), MAE 6/4.
  // mean y = 0.125; SS_tot = 1.875^2 + 1.125^2 + 0.625^2 + 0.125^2 = 5.1875; R^2 = 1 - 12/5.1875.
  // sign: rows with y != 0 are 0, 1, 2: hit, hit, miss (0.5 vs -0.5) -> 2/3.
  std::vector<float> pred{1, -2, 0.5f, 3};
  std::vector<float> y{2, -1, -0.5f, 0};
  auto r = regression_metrics(pred, y);
  EXPECT_NEAR(r.rmse, std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(r.mae, 1.5, 1e-12);
  EXPECT_NEAR(r.r2, 1 - 12 / 5.1875, 1e-12);
  EXPECT_EQ(r.hit_rows, 3u);
  EXPECT_NEAR(r.hit_rate, 2.0 / 3, 1e-12);
  std::string js;
  r.to_json(js);
  EXPECT_NE(js.find("\"rmse\":1.73205"), std::string::npos) << js;
  // Constant target: R^2 1 when exact, 0 otherwise (sklearn's force_finite); no direction: NaN.
  std::vector<float> yc{1, 1};
  std::vector<float> exact{1, 1}, off{1, 2};
  EXPECT_DOUBLE_EQ(regression_metrics(exact, yc).r2, 1.0);
  EXPECT_DOUBLE_EQ(regression_metrics(off, yc).r2, 0.0);
  std::vector<float> zeros{0, 0};
  EXPECT_TRUE(std::isnan(regression_metrics(exact, zeros).hit_rate));
}

}  // namespace
