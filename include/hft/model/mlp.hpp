// A small multilayer perceptron: one or two hidden layers (ReLU or tanh), a softmax output for
// classification (cross-entropy) or one linear output for regression (squared error). Trained
// off the hot path with Eigen (Adam, mini-batches, L2 on the weights, early stopping on a
// validation slice that keeps the best weights); evaluated on the hot path one row at a time with
// plain loops over stack buffers (no allocation, no Eigen temporaries).
//
// Inputs are standardized inside the model with the training rows' mean and standard deviation;
// a missing input (NaN, or any non-finite value) becomes 0 after standardization (the training
// mean). Regression targets are
// standardized too (the output is scaled back), so the learning rate means the same thing for
// any target scale. Training is deterministic given the seed: its own xoshiro256** generator,
// no std:: distributions (their output differs between standard libraries).
//
// May touch: model/samples.hpp, core/, Eigen (training only).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hft/model/samples.hpp"

namespace hft::model {

// Widest layer (inputs included) predict() handles: its buffers are on the stack. Checked when
// a model is trained or read.
inline constexpr int kMlpMaxWidth = 256;
inline constexpr int kMlpMaxHidden = 2;

enum class MlpActivation : std::uint8_t { Relu, Tanh };

struct MlpConfig {
  std::vector<int> hidden{32, 16};  // one or two hidden layers, each 1..kMlpMaxWidth wide
  MlpActivation activation = MlpActivation::Relu;
  double lr = 1e-3;                 // Adam step size
  int epochs = 50;                  // passes over the training rows (upper bound)
  int batch = 256;                  // rows per Adam step
  int patience = 5;                 // epochs without a better validation loss before stopping
  double l2 = 1e-4;                 // loss += l2/2 * sum of squared weights (not biases)
  std::uint64_t seed = 1;           // weights' initialisation and the shuffles
};

// What training did (for reports and tests).
struct MlpTrainInfo {
  int epochs_run = 0;
  int best_epoch = -1;              // 0-based epoch whose weights were kept (-1: no validation rows)
  std::vector<double> train_loss;   // per epoch: mean data loss of its batches, each before its step
  std::vector<double> valid_loss;   // per epoch: mean data loss over the validation rows
};

class Mlp {
 public:
  struct Layer {
    int in = 0, out = 0;
    std::vector<double> w;  // out x in, row-major
    std::vector<double> b;  // out
  };

  Mlp() = default;

  int inputs() const noexcept { return n_in_; }
  int outputs() const noexcept { return n_out_; }
  bool classification() const noexcept { return n_out_ > 1; }
  MlpActivation activation() const noexcept { return act_; }

  // One row of inputs() floats -> outputs() values: class probabilities (classification) or the
  // predicted target (regression). No allocation; the row may hold NaN (missing).
  // Precondition: a model from train_mlp or from_text (a default-constructed one writes nothing).
  void predict(const float* row, float* out) const noexcept;
  // The same in double (gradient checks, calibration on the exact outputs).
  void predict(const float* row, double* out) const noexcept;
  // Classification only: the output layer's logits (before the softmax), for temperature scaling.
  void logits(const float* row, double* out) const noexcept;

  // Exact round trip: from_text(to_text()) predicts bit-identically. from_text throws
  // std::runtime_error saying why on malformed or inconsistent text.
  std::string to_text() const;
  static Mlp from_text(std::string_view text);

  // All weights and biases as one vector (layer by layer: w then b), for gradient checks.
  std::vector<double> parameters() const;
  void set_parameters(std::span<const double> p);  // throws std::invalid_argument on a size mismatch

  // Standardization and target scaling as fitted (read-only views for tests and reports).
  std::span<const double> input_mean() const noexcept { return mean_; }
  std::span<const double> input_scale() const noexcept { return inv_sd_; }  // 1/sd (0: constant column)
  const std::vector<Layer>& layers() const noexcept { return layers_; }

 private:
  friend Mlp train_mlp(const Samples&, const Samples&, const MlpConfig&, int, MlpTrainInfo*);
  friend double mlp_loss(const Mlp&, const Samples&, double, std::vector<double>*);
  // Runs the network up to the output layer's pre-activation (logits or the standardized target).
  void forward(const float* row, double* z) const noexcept;

  int n_in_ = 0, n_out_ = 0;
  MlpActivation act_ = MlpActivation::Relu;
  std::vector<double> mean_, inv_sd_;
  double y_mean_ = 0, y_sd_ = 1;  // regression target scaling (1 output)
  std::vector<Layer> layers_;
};

// Trains on `train`, early-stopping on `valid` (may be empty: then all epochs run and the last
// weights are kept). n_outputs: the number of classes (>= 2; y holds the class index as a float)
// or 1 for regression. Throws std::invalid_argument on an inconsistent configuration or data
// (labels out of range, non-finite targets, a layer wider than kMlpMaxWidth, no training rows).
Mlp train_mlp(const Samples& train, const Samples& valid, const MlpConfig& cfg, int n_outputs,
              MlpTrainInfo* info = nullptr);

// The training objective on `s`: mean data loss (cross-entropy, or 0.5 * squared error on the
// standardized target) plus l2/2 * sum of squared weights. With grad != nullptr, also its
// gradient with respect to parameters() by backpropagation.
double mlp_loss(const Mlp& m, const Samples& s, double l2, std::vector<double>* grad);

}  // namespace hft::model
