// Probability calibration fitted on a validation slice, applied on the hot path in place:
//  - temperature scaling (Guo et al. 2017) for multi-class scores: p = softmax(z / T), T > 0
//    minimizing the slice's mean negative log-likelihood. The NLL is convex in 1/T, hence
//    unimodal in log T: a golden-section search on log T over [t_min, t_max] finds it, and T = 1
//    is kept when it is no worse (so the fit never raises the slice's NLL);
//  - a prior floor: p' = (1 - w) p + w * prior (the training class frequencies), w in [0, 1]
//    fitted by the same 1-D search (the NLL is convex in w) and checked against w = 0 and w = 1,
//    so on the fit slice the calibrated log-loss is never worse than predicting the frequencies;
//  - Platt scaling for binary scores: p = 1 / (1 + exp(-(a s + b))), a, b by Newton on the NLL
//    with Platt's smoothed targets (N+ + 1)/(N+ + 2) and 1/(N- + 2), which keep a and b finite
//    when the slice is separable.
// apply() does no allocation, lock or I/O.
//
// May touch: standard library only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hft::model {

inline constexpr int kCalibrationMaxClasses = 64;

enum class ScoreKind : std::uint8_t {
  Logits,         // unnormalized log-scores (an MLP's or a logistic model's logits, or log-probabilities)
  Probabilities,  // probabilities: their logs (floored at 1e-15) are the logits
};

struct Calibrator {
  int k = 0;
  ScoreKind input = ScoreKind::Logits;
  double temperature = 1;
  double prior_weight = 0;    // w
  std::vector<double> prior;  // k class frequencies (empty when no prior blend)

  // scores: k values of one row, replaced in place by calibrated probabilities. n must equal k
  // (otherwise the row is left as it is).
  void apply(float* scores, int n) const noexcept;
  void apply(double* scores, int n) const noexcept;

  std::string to_text() const;
  static Calibrator from_text(std::string_view text);  // throws std::runtime_error
};

struct CalibrationOptions {
  bool blend_with_prior = true;  // fit w (needs a prior)
  double t_min = 0.05, t_max = 20;
};

// Mean negative log-likelihood (natural log) of labels y under softmax(scores / T) (scores:
// n rows of k, row-major; Probabilities are turned into logs first), blended with the prior
// by w when w > 0. The objective all the fits below minimize.
double calibration_nll(std::span<const float> scores, std::span<const float> y, int k, ScoreKind kind,
                       double temperature, double w = 0, std::span<const double> prior = {});

// The temperature alone (see above). Throws std::invalid_argument on inconsistent sizes, labels
// outside [0, k), k outside [2, kCalibrationMaxClasses] or no rows.
double fit_temperature(std::span<const float> scores, std::span<const float> y, int k, ScoreKind kind,
                       double t_min = 0.05, double t_max = 20);

// Temperature, then (options.blend_with_prior and a non-empty prior of k values) the prior
// weight on the temperature-scaled probabilities.
Calibrator fit_calibrator(std::span<const float> scores, std::span<const float> y, int k, ScoreKind kind,
                          std::span<const double> prior, const CalibrationOptions& options = {});

// Class frequencies of labels y (count / rows, no smoothing): the prior to blend with.
std::vector<double> class_frequencies(std::span<const float> y, int k);

struct PlattScaling {
  double a = 1, b = 0;
  // scores -> probabilities of the positive class, in place.
  void apply(float* scores, std::size_t n) const noexcept;
  double probability(double score) const noexcept;

  std::string to_text() const;
  static PlattScaling from_text(std::string_view text);  // throws std::runtime_error
};

// y: 0 or 1 per score. Throws std::invalid_argument on sizes, labels or no rows.
PlattScaling fit_platt(std::span<const float> scores, std::span<const float> y);

}  // namespace hft::model
