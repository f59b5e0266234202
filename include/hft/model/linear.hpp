// Linear models that learn both in batch and one observation at a time:
//  - multinomial logistic regression (the order-book-imbalance baseline of Gould and Bonart, and
//    the online learner): a batch fit by Newton's method with L2, online SGD steps per labeled row;
//  - Bayesian linear regression with a conjugate Normal-Inverse-Gamma prior, updated exactly by
//    one rank-1 step per observation, with a Student-t predictive mean and variance.
// predict/update do no allocation, lock or I/O (hot path); the fits allocate (learner thread).
//
// May touch: model/samples.hpp, core/, Eigen (batch fit only).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hft/model/samples.hpp"

namespace hft::model {

// Classes a LogisticModel handles (predict/update keep the class scores on the stack).
inline constexpr int kLogisticMaxClasses = 16;

// Multinomial logistic regression, class 0 the reference (its logit is fixed at 0), so the
// parameters are identifiable and for 2 classes this is exactly binary logistic regression on
// class 1. Inputs standardized inside with the fit rows' mean and sd; a missing (non-finite)
// input is 0 after standardization, i.e. the mean. Objective (fit and online steps alike):
//   mean over rows of -log p(y | x)  +  l2/2 * sum of squared weights (intercepts not penalized).
struct LogisticModel {
  int d = 0;                  // inputs
  int k = 0;                  // classes (2..kLogisticMaxClasses)
  double l2 = 0;              // the penalty online updates keep applying
  std::vector<double> mean;   // d
  std::vector<double> scale;  // d: 1/sd (0 for a constant column)
  std::vector<double> coef;   // (k-1) x (d+1) row-major: class c's [intercept, w_1..w_d], c = 1..k-1

  // A zero model (uniform probabilities) with a given standardization: the start of a purely
  // online learner. mean/scale of size d. Throws std::invalid_argument on bad sizes.
  static LogisticModel zeros(int d, int k, std::span<const double> mean, std::span<const double> scale,
                             double l2);

  // Class probabilities of one row (k values).
  void predict(const float* row, double* out) const noexcept;
  void predict(const float* row, float* out) const noexcept;
  // One SGD step on one labeled row: coef -= lr * (gradient of -log p(label|row) + l2 * weights).
  // A label outside [0, k) is ignored (returns false).
  bool update(const float* row, int label, double lr) noexcept;

  std::string to_text() const;
  static LogisticModel from_text(std::string_view text);  // throws std::runtime_error
};

struct LogisticFitInfo {
  int iterations = 0;
  double objective = 0;       // at the solution
  double max_abs_grad = 0;    // of the objective, at the solution
  bool converged = false;
};

// Batch fit by Newton's method (exact Hessian, backtracking line search) to a gradient below
// 1e-10 or 100 iterations. y holds class indices 0..n_classes-1 as floats. Throws
// std::invalid_argument on no rows, bad labels or sizes.
LogisticModel fit_logistic(const Samples& s, int n_classes, double l2, LogisticFitInfo* info = nullptr);

// Bayesian linear regression y = beta^T x~ + e, e ~ N(0, sigma^2), where x~ = [1, x] with an
// intercept (else x), p = len(x~). Conjugate Normal-Inverse-Gamma prior:
//   beta | sigma^2 ~ N(m0, sigma^2 V0),   sigma^2 ~ InvGamma(a0, b0).
// The posterior after each observation is again NIG (m, V, a, b); one observation updates it
// exactly by the rank-1 (Sherman-Morrison) step
//   s = 1 + x~^T V x~,  r = y - x~^T m,  m += V x~ r / s,  V -= (V x~)(V x~)^T / s,
//   a += 1/2,  b += r^2 / (2 s),
// which equals the batch posterior V = (V0^-1 + X^T X)^-1, m = V (V0^-1 m0 + X^T y),
// a = a0 + n/2, b = b0 + (y^T y + m0^T V0^-1 m0 - m^T V^-1 m) / 2. Inputs are raw (not
// standardized: the prior is stated in the inputs' units).
// Predictive for a new x: Student-t with nu = 2a degrees of freedom, location x~^T m and scale^2
// = (b/a)(1 + x~^T V x~); its variance is scale^2 * nu / (nu - 2) (+inf for nu <= 2).
class BayesLinear {
 public:
  BayesLinear() = default;
  // Isotropic prior: m0 = 0, V0 = v0 * I. Throws std::invalid_argument unless inputs >= 1,
  // v0, a0, b0 > 0.
  BayesLinear(int inputs, bool intercept, double v0, double a0, double b0);
  // General prior: m0 (p values), V0 (p x p row-major, symmetric positive definite).
  BayesLinear(int inputs, bool intercept, std::span<const double> m0, std::span<const double> V0, double a0,
              double b0);

  // One observation, O(p^2), no allocation. Returns false (and changes nothing) when y or an
  // input is not finite.
  bool update(const float* x, double y) noexcept;
  // Predictive mean and variance (see above). A non-finite input counts as 0.
  void predict(const float* x, double* mean, double* variance) const noexcept;
  // scale^2 of the predictive Student-t, and its degrees of freedom 2a.
  double predictive_scale2(const float* x) const noexcept;
  double dof() const noexcept { return 2 * a_; }

  int inputs() const noexcept { return d_; }
  bool intercept() const noexcept { return intercept_; }
  int p() const noexcept { return p_; }
  std::span<const double> m() const noexcept { return m_; }
  std::span<const double> V() const noexcept { return V_; }  // p x p row-major
  double a() const noexcept { return a_; }
  double b() const noexcept { return b_; }
  std::uint64_t n() const noexcept { return n_; }

  std::string to_text() const;
  static BayesLinear from_text(std::string_view text);  // throws std::runtime_error

 private:
  double xt(const float* x, int i) const noexcept;  // i-th element of x~ (non-finite -> 0)
  int d_ = 0, p_ = 0;
  bool intercept_ = true;
  std::vector<double> m_, V_;
  std::vector<double> vx_;  // scratch for update (sized at construction)
  double a_ = 1, b_ = 1;
  std::uint64_t n_ = 0;
};

}  // namespace hft::model
