// Training and evaluation of the prediction ensemble (steps 4-5), offline now and reused by the
// learner later. For each label horizon:
//  1. purged walk-forward (learn/walk_forward.hpp): every fold trains on the rows before its test
//     fold (the last part held out for early stopping, calibration and the mixture weights) and
//     is scored on the test fold it never saw, beside the three baselines fitted on the same
//     training rows;
//  2. the final model: the same fit on every row (the last valid_fraction as its validation
//     slice), saved as one version of the model store with the walk-forward metrics.
// Within a fit, everything is chosen on the training rows alone: the class threshold (balanced
// classes, or the configured number), the inputs (the boosted trees' total gain on all inputs;
// the top max_inputs kept, level-1 imbalance always), the members' parameters; the validation
// slice chooses the boosting round, the MLP's epoch, the calibrations and the mixture weights.
//
// May touch: model/, learn/ (dataset, splits, metrics), config/.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/learn/dataset.hpp"
#include "hft/learn/metrics.hpp"
#include "hft/learn/walk_forward.hpp"
#include "hft/model/ensemble.hpp"
#include "hft/model/mlp.hpp"
#include "hft/model/xgb.hpp"

namespace hft::learn {

struct TrainOptions {
  std::array<bool, model::kMembers> members{true, true, true, true};
  bool bayes = true, boosted_return = true;
  model::XgbParams boosted, forest, ret;
  model::MlpConfig mlp;
  WalkForwardConfig wf;
  bool balance = true;          // class threshold chosen on the training rows
  double threshold = 0;         // else this, in threshold_unit
  std::string threshold_unit = "ticks";
  std::size_t max_inputs = 24;  // inputs kept by gain (0 = all)
  std::size_t rank_rows = 100000;  // rows of each slice the input ranking reads (0 = all)
  std::size_t bayes_inputs = 8;
  double logistic_l2 = 1e-3;
};
TrainOptions train_options(const config::Config& cfg);

// Class probabilities of rows (rows x 3) and their labels.
struct Scored {
  std::vector<float> p, y;
};

struct EvalBlock {
  Metrics model;
  RegressionMetrics ret;  // expected return against the realised one (bps)
  std::array<Metrics, model::kMembers> members;  // rows 0 when the member is off
  Metrics majority, imbalance_sign, imbalance_logistic;
};

struct FoldReport {
  std::size_t train = 0, valid = 0, test = 0, purged = 0;
  double alpha = 0;
  EvalBlock eval;
};

struct HorizonReport {
  std::string horizon;
  std::vector<FoldReport> folds;
  EvalBlock overall;               // over every fold's test rows
  std::vector<std::pair<std::string, double>> top_gain;  // final model's boosted trees
  model::Ensemble final_model;
  std::array<double, model::kClasses> class_mix{};       // final model's training labels
};

// Wall seconds of each step of fit_ensemble (where a retrain's time goes).
struct FitSeconds {
  double rank = 0, boosted = 0, ret = 0, forest = 0, mlp = 0, logistic = 0, calibration = 0;
  double rest = 0;  // copies of the rows, baselines, Bayes
  std::string text() const;  // "rank 1.2 boosted 6.0 ..."
};

// Fits one ensemble on train (early stopping etc. on valid). gains: the input ranking used.
model::Ensemble fit_ensemble(const Dataset& d, std::size_t h, std::span<const std::size_t> train,
                             std::span<const std::size_t> valid, const TrainOptions& opt,
                             std::vector<std::pair<std::string, double>>* gains = nullptr,
                             FitSeconds* seconds = nullptr);
// Scores rows of d at horizon h with the ensemble (the same predict() as the hot path) and the
// baselines stored with it.
EvalBlock evaluate(const model::Ensemble& en, const Dataset& d, std::size_t h, std::span<const std::size_t> rows);

// Walk-forward and the final model for every horizon of the dataset.
std::vector<HorizonReport> train_all(const Dataset& d, const DatasetSpec& spec, const TrainOptions& opt, bool walk_forward = true);

// The input row of dataset row i for the ensemble (its selected inputs, by name).
struct ColumnMap {
  std::vector<std::size_t> cols;  // dataset column of each model input
  static ColumnMap of(const model::Ensemble& en, const model::Samples& x);
};

void eval_to_json(const EvalBlock& e, std::string& out);

}  // namespace hft::learn
