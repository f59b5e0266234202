// XGBoost training and reference inference: a small RAII wrapper over XGBoost's C API. Training
// (boosting rounds, early stopping on a validation set, slicing to the best round), JSON model
// text in and out, batch prediction and the C API's single-row in-place prediction. Off the hot
// path: every call allocates and XGBoost parses a JSON config per call; the hot path evaluates
// the saved JSON with TreeEnsemble (tree_ensemble.hpp), bit for bit the same outputs.
// Every C API return code is checked; failures throw std::runtime_error with XGBGetLastError().
//
// May touch: model/samples.hpp, XGBoost.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hft/model/samples.hpp"

namespace hft::model {

struct XgbParams {
  // Passed to XGBoosterSetParam in order: objective, max_depth, eta, subsample,
  // colsample_bynode, num_parallel_tree, num_class, eval_metric, nthread, seed, ...
  // A random forest is one round with num_parallel_tree = N, eta 1, subsample and
  // colsample_bynode below 1.
  std::vector<std::pair<std::string, std::string>> params;
  int rounds = 200;
  // Stop when the validation metric (the last eval_metric, XGBoost's convention) has not
  // improved for this many rounds; 0 or no validation set: all rounds.
  int early_stopping_rounds = 20;
};

class XgbModel {
 public:
  XgbModel() = default;
  ~XgbModel();
  XgbModel(XgbModel&& o) noexcept;
  XgbModel& operator=(XgbModel&& o) noexcept;
  XgbModel(const XgbModel&) = delete;
  XgbModel& operator=(const XgbModel&) = delete;

  // The model as XGBoost's JSON text (XGBoosterSaveModelToBuffer, format json).
  std::string save_json() const;
  static XgbModel load_json(std::string_view json);

  // Rows * groups outputs (groups = num_class for multi:softprob, else 1), row-major; the
  // objective's transform applied unless margin. NaN inputs are missing.
  std::vector<float> predict(const Samples& s, bool margin) const;
  // Same for a dense row-major matrix (rows * cols floats) through XGBoosterPredictFromDense
  // (in-place prediction: no DMatrix; +/-inf are passed to the trees as values).
  std::vector<float> predict_dense(const float* x, std::size_t rows, std::size_t cols,
                                   bool margin) const;
  // One row through XGBoosterPredictFromDense: the C API's single-row path (the reference the
  // benchmark compares TreeEnsemble with). out gets groups floats. Not thread-safe (one proxy
  // DMatrix reused across calls).
  void predict_row_inplace(const float* row, std::size_t cols, float* out, bool margin = false);

  // (feature name, total gain) for every feature used in a split (XGBoosterFeatureScore).
  std::vector<std::pair<std::string, double>> gain_importance() const;
  int boosted_rounds() const;
  // XGBoosterSetParam on the model (e.g. nthread for prediction).
  void set_param(const std::string& key, const std::string& value);
  // Rounds [begin, end) as a new model (XGBoosterSlice); the training history is not copied.
  XgbModel slice(int begin, int end) const;

  // Set by train_xgb: the round (0-based) whose validation metric was best and to which the
  // model was sliced (rounds - 1 without validation); the metric per round trained, on the
  // validation set (empty without one) and the training set.
  int best_iteration = -1;
  std::string eval_metric;
  std::vector<double> valid_history;
  std::vector<double> train_history;
  double best_score() const {
    return best_iteration >= 0 && static_cast<std::size_t>(best_iteration) < valid_history.size()
               ? valid_history[static_cast<std::size_t>(best_iteration)]
               : 0.0;
  }

  void* handle() const noexcept { return booster_; }  // the BoosterHandle

 private:
  explicit XgbModel(void* booster) noexcept : booster_(booster) {}
  friend XgbModel train_xgb(const Samples&, const Samples*, const XgbParams&);
  void* booster_ = nullptr;  // BoosterHandle
  void* proxy_ = nullptr;    // DMatrixHandle of a proxy, made on the first predict_row_inplace
};

// Trains on train (early stopping on valid when given) and returns the model sliced to its
// best round, so that the model saved is the one whose metric valid_history[best] reports.
XgbModel train_xgb(const Samples& train, const Samples* valid, const XgbParams& params);

// Parses one XGBoosterEvalOneIter line ("[3]\ttrain-rmse:0.5\tvalid-rmse:0.6") into the value
// of the last metric of data set `set`; NaN when absent. Exposed for tests.
double parse_eval(std::string_view line, std::string_view set, std::string* metric = nullptr);

}  // namespace hft::model
