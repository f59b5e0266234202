// Evaluation metrics of a validation or walk-forward fold, and their JSON form for reports.
// Classification (k classes, one probability row per sample): accuracy, macro F1, log-loss,
// multi-class Brier score, confusion matrix, a 10-bin reliability table on the top probability
// and the expected calibration error. Regression: RMSE, MAE, R^2 and the hit rate of the sign.
// Conventions (the tests derive expected values from them):
//  - the predicted class is the argmax of the row (the lowest class index on ties);
//  - macro F1 averages the per-class F1 = 2 TP / (2 TP + FP + FN) over all k classes; a class
//    with no true and no predicted rows has F1 = 0 (sklearn's default zero_division="warn",
//    which returns 0, as in f1_score(average="macro", labels=range(k)); note that sklearn
//    without labels= leaves such a class out of the average);
//  - log-loss: natural log, mean over rows, probabilities clipped to [1e-15, 1] and each row
//    then renormalized to sum 1 (sklearn's log_loss); the other metrics use the rows as given;
//  - Brier: mean over rows of sum over classes of (p_c - [c == y])^2 (0..2);
//  - reliability: bin b in 0..9 holds rows whose top probability c has floor(10 c) = b (c = 1
//    goes to bin 9); per bin the count, mean confidence and accuracy (NaN when empty);
//    ECE = sum over bins of count/rows * |accuracy - mean confidence|;
//  - no rows: every mean is NaN (null in JSON), counts are 0: nothing is made up;
//  - R^2 = 1 - SS_res / SS_tot; for a constant target (SS_tot = 0) 1 when the predictions are
//    exact and 0 otherwise (sklearn's r2_score with force_finite=True);
//  - sign hit rate: over rows with y != 0 (a zero move has no direction), the fraction with
//    pred * y > 0 (a zero prediction is a miss).
// Inconsistent arguments (sizes, k < 1, labels outside [0, k)) throw std::invalid_argument.
//
// May touch: standard library only.
#pragma once
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace hft::learn {

struct ReliabilityBin {
  std::size_t count = 0;
  double mean_confidence = 0;  // NaN when count == 0
  double accuracy = 0;         // NaN when count == 0
};

struct Metrics {
  std::size_t rows = 0;
  int k = 0;
  double accuracy = 0;
  double macro_f1 = 0;
  double log_loss = 0;
  double brier = 0;
  double ece = 0;
  std::vector<double> f1;                // per class
  std::vector<std::size_t> confusion;    // k x k row-major: [true class][predicted class]
  std::array<ReliabilityBin, 10> reliability{};

  std::size_t confusion_at(int truth, int predicted) const noexcept {
    return confusion[static_cast<std::size_t>(truth) * static_cast<std::size_t>(k) + static_cast<std::size_t>(predicted)];
  }
  // Appends one JSON object; numbers as %.6g, NaN and infinities as null.
  void to_json(std::string& out) const;
};

// probs: rows x k row-major; y: class index per row (as float).
Metrics classification_metrics(std::span<const float> probs, std::span<const float> y, int k);

struct RegressionMetrics {
  std::size_t rows = 0;
  double rmse = 0;
  double mae = 0;
  double r2 = 0;
  double hit_rate = 0;       // sign hit rate over the rows with y != 0
  std::size_t hit_rows = 0;  // rows it was computed over

  void to_json(std::string& out) const;
};

RegressionMetrics regression_metrics(std::span<const float> pred, std::span<const float> y);

}  // namespace hft::learn
