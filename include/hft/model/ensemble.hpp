// The prediction ensemble for one label horizon (steps 4 and 6): boosted trees and a random forest
// (flattened XGBoost evaluators, bit-exact), a small MLP and a multinomial logistic regression
// give class probabilities (down / flat / up), each calibrated on the validation slice
// (temperature, then a blend with the training class frequencies); their mixture weights were
// fitted on the same slice to minimise its log-loss. Boosted regression trees
// (reg:squarederror on the mid return in bps) give the expected return; a Bayesian linear
// regression on the inputs the trees use most gives its predictive variance (and the expected
// return when there are no regression trees).
//
// The model reads only the inputs its members use (`used`): the members were trained on the
// selected inputs (`input_names`, a subset of the scale-free inputs, chosen on the training rows
// by the boosted trees' gain), so a row is just those values, in that order.
//
// Confidence: the calibrated probability of the predicted class; for up or down it is scaled by
// the Bayesian predictive probability that the return has that sign (Student-t with the
// model's degrees of freedom, approximated by a normal beyond 30), so a direction the
// regression doubts, or knows too little about, is less confident.
//
// Baselines (stored with the model, evaluated beside it): the majority class (with the training
// class frequencies as probabilities), the sign of level-1 imbalance (class frequencies per
// sign on the training rows) and a logistic regression on level-1 imbalance.
//
// May touch: model/ (its members), core/. predict() does no allocation, lock or I/O.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hft/model/calibration.hpp"
#include "hft/model/labels.hpp"
#include "hft/model/linear.hpp"
#include "hft/model/mlp.hpp"
#include "hft/model/tree_ensemble.hpp"

namespace hft::model {

inline constexpr int kClasses = 3;
inline constexpr std::size_t kMaxModelInputs = 128;

enum class Member : std::uint8_t { Boosted = 0, Forest, Mlp, Logistic, Count_ };
inline constexpr std::size_t kMembers = static_cast<std::size_t>(Member::Count_);
const char* member_name(Member m) noexcept;

// The predicted class of down/flat/up probabilities (a tie between down and flat goes to flat,
// up wins only strictly).
inline int top_class(const float* p) noexcept { return p[2] > p[1] && p[2] > p[0] ? 2 : (p[0] > p[1] ? 0 : 1); }

struct Prediction {
  std::array<float, kClasses> p{};  // down, flat, up
  float exp_ret_bps = 0;             // expected mid return over the horizon (Bayesian linear)
  float ret_sd_bps = 0;              // its predictive standard deviation
  float confidence = 0;
  int cls() const noexcept { return top_class(p.data()); }
};

struct Baselines {
  std::array<double, kClasses> freq{};                 // majority: training class frequencies
  std::array<std::array<double, kClasses>, 3> by_sign{};  // imbalance sign (-, 0, +) -> class frequencies
  LogisticModel imb_logistic;                          // on level-1 imbalance alone
  int imb_col = -1;                                    // imb_1's column in the model's inputs (-1: absent)
  void majority(float* p) const noexcept;
  void imbalance_sign(float imb, float* p) const noexcept;
  void imbalance_logistic(float imb, float* p) const noexcept;
  std::string to_text() const;
  static Baselines from_text(std::string_view text);
};

struct Ensemble {
  std::string horizon;                 // e.g. "50ev"
  double alpha = 0;                    // class threshold
  std::string threshold_unit = "ticks";
  std::vector<std::string> input_names;  // the inputs, in row order (selected scale-free inputs)
  std::array<bool, kMembers> has{};
  TreeEnsemble boosted, forest;
  std::string boosted_json, forest_json;  // the XGBoost models as saved (what the evaluators load)
  bool has_return = false;
  TreeEnsemble ret;                     // expected return, bps (reg:squarederror)
  std::string ret_json;
  Mlp mlp;
  LogisticModel logistic;
  std::array<Calibrator, kMembers> cal{};
  std::array<double, kMembers> weight{};
  BayesLinear bayes;                   // expected return
  std::vector<std::uint16_t> bayes_cols;  // its inputs (columns of the row)
  std::vector<double> bayes_mean, bayes_inv_sd;  // standardization of those
  Baselines baselines;
  std::vector<std::uint16_t> used;     // columns any member reads, ascending
  std::map<std::string, std::string> versions;  // member -> version string (the model version's name + member)

  // A member's raw scores before calibration: logits for the trees (their margins) and the MLP,
  // probabilities for the logistic regression (score_kind). Temperature scaling of the trees'
  // margins equals that of the log of their softmax (a shift per row), without the log.
  void member_scores(Member m, const float* row, float* s, const LogisticModel* logistic = nullptr) const noexcept;
  static ScoreKind score_kind(Member m) noexcept { return m == Member::Logistic ? ScoreKind::Probabilities : ScoreKind::Logits; }
  // Calibrated probabilities of one member. logistic / bayes: online copies to use instead of
  // the model's own (the prediction stage updates them with every label).
  void member_probs(Member m, const float* row, float* p, const LogisticModel* logistic = nullptr) const noexcept;
  void predict(const float* row, Prediction& out, const LogisticModel* logistic = nullptr,
               const BayesLinear* bayes = nullptr) const noexcept;
  // The Bayesian member's standardized inputs of a row (z: bayes_cols.size() values).
  void bayes_inputs(const float* row, float* z) const noexcept;
  int imb_col() const noexcept { return baselines.imb_col; }
  // The class of a resolved label under this model's threshold (hot path: no string compare).
  int label_class(const LabelValue& v) const noexcept {
    return class_of(threshold_bps_ ? v.move_bps : v.move_ticks, alpha);
  }

  // Files of this horizon (name -> bytes) under prefix ("h50ev/"), and back. from_files throws
  // std::runtime_error naming the file and the reason.
  void to_files(const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) const;
  static Ensemble from_files(const std::map<std::string, std::string>& files, const std::string& prefix);
  void finish();  // after members are set: used columns, the threshold's unit

 private:
  bool threshold_bps_ = false;  // threshold_unit == "bps", set by finish()
};

}  // namespace hft::model
