// Multivariate (D = 1 or 2) Hawkes process with exponential kernels and ONE decay rate beta shared
// by every pair (the standard choice: the intensity then has D numbers of state, the likelihood
// an O(n D^2) recursion and the streaming tracker one exp per event):
//
//   lambda_i(t) = mu_i + sum_j sum_{t_k^j < t} alpha_ij exp(-beta (t - t_k^j))
//
// alpha_ij: the jump of dimension i's intensity at an event of dimension j. Branching matrix
// K = alpha / beta (K_ij: expected direct children in i of one event in j); stationary iff its
// spectral radius (the branching ratio) is < 1, mean rates then (I - K)^-1 mu.
//
// - hawkes_loglik: exact log-likelihood on [0, T] by the recursion of Ozaki (1979), per source
//   dimension (REFERENCES.md), events at equal times do not excite one another (strict t_k < t);
// - hawkes_fit: maximum likelihood, BFGS in (log mu, log alpha, log beta) from several starts with
//   the analytic gradient; standard errors from the inverse of a numerical Hessian (central
//   differences of the analytic gradient) in the natural parameters;
// - hawkes_simulate: Ogata thinning, seeded and deterministic (own uniform / exponential draws);
// - hawkes_residuals: time-rescaling (compensator increments between a dimension's events, iid
//   Exp(1) under the model), their mean and Kolmogorov-Smirnov distance to Exp(1);
// - HawkesIntensity: the streaming intensity of each dimension (hot path: O(D) per event, one
//   exp, no allocation), for the feature stage.
// Times in the batch functions are seconds (double) from the start of the observation window;
// the fits and simulation allocate (research / learner thread, never the hot path).
//
// May touch: core/, Eigen (fit only).
#pragma once
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hft/core/types.hpp"

namespace hft::model {

inline constexpr int kHawkesMaxDim = 2;

struct HawkesParams {
  int dim = 1;                                                   // D: 1 or 2
  std::array<double, kHawkesMaxDim> mu{};                        // baseline rates (1/s)
  std::array<std::array<double, kHawkesMaxDim>, kHawkesMaxDim> alpha{};  // alpha[i][j] (1/s)
  double beta = 1;                                               // decay rate (1/s), shared
};

// dim 1 or 2, mu_i > 0, alpha_ij >= 0, beta > 0, all finite (entries beyond dim ignored).
bool hawkes_valid(const HawkesParams& p) noexcept;
// Spectral radius of alpha / beta (NaN when not valid). < 1: stationary.
double hawkes_branching_ratio(const HawkesParams& p) noexcept;
// Stationary mean rates (I - alpha / beta)^-1 mu; NaN when not valid or not stationary.
std::array<double, kHawkesMaxDim> hawkes_stationary_rates(const HawkesParams& p) noexcept;

// Events: times[k] in seconds, non-decreasing, in [0, T]; marks[k] in [0, dim) the dimension of
// event k (empty marks: every event in dimension 0).
enum class HawkesInput : std::uint8_t {
  Ok = 0,
  TooFewEvents,  // fewer than kHawkesMinEvents events (or a dimension without any event)
  NonFinite,     // a time or T not finite
  NotMonotone,   // a time earlier than the one before it
  OutOfWindow,   // a time < 0 or > T, or T <= 0
  BadMark,       // a mark >= dim, marks.size() != times.size() (when not empty), or dim not 1/2
};
inline constexpr std::size_t kHawkesMinEvents = 20;
const char* hawkes_input_name(HawkesInput s) noexcept;
// The check every function below makes first (min_events: 0 to skip the count check).
HawkesInput hawkes_check(std::span<const double> times, std::span<const std::uint8_t> marks, int dim,
                         double T, std::size_t min_events = kHawkesMinEvents) noexcept;

// Exact log-likelihood on [0, T], O(n D^2):
//   sum_k log lambda_{m_k}(t_k) - sum_i [mu_i T + sum_j (alpha_ij / beta) sum_{k in j} (1 - exp(-beta (T - t_k)))]
// -inf when the parameters are not valid or the input fails hawkes_check (min_events 0).
double hawkes_loglik(const HawkesParams& p, std::span<const double> times,
                     std::span<const std::uint8_t> marks, double T) noexcept;
// Homogeneous Poisson fit's log-likelihood (rate n_i / T per dimension): sum_i n_i (log(n_i / T) - 1).
double poisson_loglik(std::span<const std::uint8_t> marks, std::size_t n, int dim, double T) noexcept;

enum class HawkesFitStatus : std::uint8_t {
  Ok = 0,        // "ok": converged (largest |gradient| of loglik / n in log coordinates < tol)
  BadInput,      // "bad_input": see HawkesFit::input
  NoLikelihood,  // "no_likelihood": not finite from any start
  NotConverged,  // "not_converged": the best start stopped without meeting the tolerance
};
const char* hawkes_fit_status_name(HawkesFitStatus s) noexcept;

struct HawkesFitOptions {
  int starts = 4;          // starting points (1..8): decay beta0 at 5, 50, 500, 5000 x the mean
                           //   event rate, branching 0.3; the best optimum is kept
  int max_iter = 500;      // BFGS iterations per start
  double grad_tol = 1e-6;  // on loglik / n, log coordinates
  bool standard_errors = true;
  // A previous fit's parameters (refits): when valid and of the same dim, the first start is this
  // point, then starts - 1 of the fixed ones.
  const HawkesParams* warm = nullptr;
};

struct HawkesFit {
  HawkesFitStatus status = HawkesFitStatus::BadInput;
  HawkesInput input = HawkesInput::Ok;
  HawkesParams params;
  HawkesParams se;               // standard errors (NaN when the Hessian is not negative definite)
  double loglik = -INFINITY;
  double loglik_poisson = -INFINITY;  // poisson_loglik of the same events
  double lr_stat = 0;            // 2 (loglik - loglik_poisson); D^2 + 1 parameters more than
                                 //   Poisson, but alpha = 0 is on the boundary and beta is not
                                 //   identified under it: not exactly chi^2, a descriptive figure
  double branching_ratio = NAN;
  double grad_max = NAN;         // largest |gradient| of loglik / n at the optimum (log coords)
  int iterations = 0;            // of the best start
  int starts_converged = 0;
  std::array<std::size_t, kHawkesMaxDim> events{};  // per dimension
  double T = 0;
};
HawkesFit hawkes_fit(std::span<const double> times, std::span<const std::uint8_t> marks, int dim, double T,
                     const HawkesFitOptions& opt = {});

// Ogata thinning on [0, T], starting empty (no events before 0). Deterministic in seed.
struct HawkesSample {
  std::vector<double> times;
  std::vector<std::uint8_t> marks;
  double T = 0;
};
// Empty when the parameters are not valid, T <= 0, or the run exceeds max_events (explosive).
HawkesSample hawkes_simulate(const HawkesParams& p, double T, std::uint64_t seed,
                             std::size_t max_events = 50'000'000);

// Time-rescaling goodness of fit: per dimension the compensator increments
// Lambda_i(t_k^i) - Lambda_i(t_{k-1}^i) (the first from 0), iid Exp(1) under the model.
struct HawkesResiduals {
  std::array<std::vector<double>, kHawkesMaxDim> increments;
  std::array<double, kHawkesMaxDim> mean{};     // should be ~1
  std::array<double, kHawkesMaxDim> ks{};       // sup |F_n - (1 - e^-x)|
  std::array<double, kHawkesMaxDim> ks_p{};     // asymptotic Kolmogorov p-value (Stephens' correction)
  std::array<double, kHawkesMaxDim> compensator_T{};  // Lambda_i(T) (vs the count n_i)
  bool ok = false;                              // input and parameters valid
};
HawkesResiduals hawkes_residuals(const HawkesParams& p, std::span<const double> times,
                                 std::span<const std::uint8_t> marks, double T);
// KS distance of a sample to Exp(1) and the asymptotic p-value (NaN for an empty sample).
double ks_exp1(std::vector<double> x) noexcept;
double kolmogorov_pvalue(double d, std::size_t n) noexcept;

// Streaming intensity for a feature stage: lambda_i(t) = mu_i + e_i(t), the excitation e_i
// decaying by exp(-beta dt) and jumping by alpha_i,m at an event of dimension m. O(D) work and
// one exp per call, no allocation; times are integer ns (any origin, consistent). An event
// earlier than the last one is applied at the last time (no decay; counted in out_of_order),
// so the state never grows backwards; a long gap costs the same as a short one.
struct HawkesIntensity {
  HawkesParams p{};
  double beta_per_ns = 1e-9;
  std::array<double, kHawkesMaxDim> excitation{};  // e_i at last_ns (after its jumps)
  Nanos last_ns = 0;
  bool started = false;
  std::uint64_t events = 0;
  std::uint64_t out_of_order = 0;

  // Clears the state (p must be valid: see hawkes_valid; not checked here).
  void reset(const HawkesParams& params) noexcept {
    p = params;
    beta_per_ns = params.beta * 1e-9;
    excitation = {};
    last_ns = 0;
    started = false;
    events = 0;
    out_of_order = 0;
  }
  // Decay to t, then the jump of an event of dimension m (m < p.dim; other values are ignored).
  void on_event(Nanos t, int m) noexcept {
    advance(t);
    if (m < 0 || m >= p.dim) return;
    for (int i = 0; i < p.dim; ++i) excitation[static_cast<std::size_t>(i)] += p.alpha[static_cast<std::size_t>(i)][static_cast<std::size_t>(m)];
    ++events;
  }
  // Moves the state to t without an event (never backwards).
  void advance(Nanos t) noexcept {
    if (!started) {
      started = true;
      last_ns = t;
      return;
    }
    if (t < last_ns) {
      ++out_of_order;
      return;
    }
    const double f = std::exp(-beta_per_ns * static_cast<double>(t - last_ns));
    for (int i = 0; i < p.dim; ++i) excitation[static_cast<std::size_t>(i)] *= f;
    last_ns = t;
  }
  // lambda_i just after the last event / advance (left limit at a later event time: call
  // intensity_at). i < p.dim.
  double intensity(int i) const noexcept { return p.mu[static_cast<std::size_t>(i)] + excitation[static_cast<std::size_t>(i)]; }
  // lambda_i(t) for t >= last_ns without changing the state (t < last_ns: as at last_ns).
  double intensity_at(int i, Nanos t) const noexcept {
    const double dt = t > last_ns && started ? static_cast<double>(t - last_ns) : 0.0;
    return p.mu[static_cast<std::size_t>(i)] + excitation[static_cast<std::size_t>(i)] * std::exp(-beta_per_ns * dt);
  }
};

}  // namespace hft::model
