// Cointegration of a pair (pairs trading): Engle-Granger two-step test, the spread's half-life,
// and a rolling version whose per-observation update is O(1) and allocation-free (hot path)
// with the spread's z-score as the signal.
//
//   1. OLS y_t = a + b x_t + u_t (the hedge ratio b; u the spread);
//   2. ADF on u: du_t = gamma u_{t-1} + sum_{i=1..p} delta_i du_{t-i} + eps_t (no constant: u has
//      mean zero by construction), t = gamma_hat / se; no cointegration (unit root) rejected when
//      t < the MacKinnon critical value for 2 variables, constant, no trend.
//   Half-life of the spread: -ln 2 / ln(1 + phi), phi the slope of du_t = k + phi u_{t-1} + eps_t.
//
// May touch: core/ (Eigen for the regressions).
#pragma once
#include <cstddef>
#include <span>
#include <vector>

namespace hft::model {

struct OlsLine {
  double a = 0, b = 0;           // y = a + b x
  double se_a = 0, se_b = 0;     // classical OLS standard errors (iid residuals)
  double resid_sd = 0;           // sqrt(SSR / (n - 2))
  double r2 = 0;
  std::size_t n = 0;
  bool ok = false;               // n >= 3, equal lengths, finite, x not constant
};
OlsLine ols_line(std::span<const double> y, std::span<const double> x);

struct AdfOptions {
  // Largest lag p considered; -1: the Schwert rule floor(12 (n/100)^(1/4)).
  int max_lags = -1;
  // true: p in 0..max_lags with the smallest AIC, every candidate fitted on the same sample
  // (the observations the largest lag allows), then the chosen p refitted on all it allows;
  // false: p = max_lags (max_lags = -1 then means 0).
  bool autolag = true;
  bool constant = false;         // a constant in the test regression (off for a residual)
};

struct AdfResult {
  double stat = 0;               // t statistic of gamma
  double gamma = 0, se_gamma = 0;
  int lags = 0;                  // p used
  std::size_t nobs = 0;          // observations in the final test regression
  bool ok = false;               // enough observations (nobs > regressors + 2), finite, full rank
};
AdfResult adf_test(std::span<const double> u, const AdfOptions& opt = {});

// MacKinnon (2010) response surface for the Engle-Granger test with 2 variables, constant, no
// trend: cv(T) = b_inf + b1 / T + b2 / T^2 (T = nobs of the test regression; T = 0: asymptotic).
// level: 0.01, 0.05 or 0.10 (others: NaN). Coefficients in cointegration.cpp.
double eg_critical_value(double level, std::size_t nobs) noexcept;

// Half-life (samples) from the slope phi of du_t = k + phi u_{t-1} + eps_t: -ln 2 / ln(1 + phi).
// +inf when phi >= 0 (no mean reversion), NaN when phi <= -1 or fewer than 3 values.
double spread_half_life(std::span<const double> u, double* phi_out = nullptr);

struct EngleGranger {
  OlsLine line;
  AdfResult adf;
  double cv1 = 0, cv5 = 0, cv10 = 0;  // critical values at the test's nobs
  bool reject5 = false;               // adf.stat < cv5: cointegrated at 5%
  double half_life = 0, phi = 0;      // of the spread (samples)
  bool ok = false;                    // line and adf ok
};
EngleGranger engle_granger(std::span<const double> y, std::span<const double> x, const AdfOptions& opt = {});

// Rolling Engle-Granger over the last `window` pairs. update() is O(1) and never allocates
// (running sums of x, y, x^2, xy, y^2 as deviations from the first pair, so that log prices near
// 5 do not cancel; a ring of the window's pairs, sized at construction). Every `refit_every`
// updates refit_due() turns true and refit() recomputes the sums exactly over the ring (no
// drift) and runs the ADF and half-life on the window's spread (O(window * p^2), allocates:
// call it off the hot path, or accept the cost at the refit interval).
class RollingCointegration {
 public:
  RollingCointegration(std::size_t window, std::size_t refit_every, const AdfOptions& opt = {});

  // One new pair (y, x). A non-finite value is ignored and counted.
  void update(double y, double x) noexcept;
  bool full() const noexcept { return count_ >= window_; }
  // Empty again (same window), no allocation.
  void clear() noexcept;
  std::size_t size() const noexcept { return count_ < window_ ? count_ : window_; }

  // Over the pairs in the window (NaN until 3 pairs and x not constant):
  double alpha() const noexcept;
  double beta() const noexcept;
  double spread_sd() const noexcept;  // sqrt(SSR / (n - 2))
  // The latest pair's spread y - a - b x and its z-score spread / spread_sd (the window's own
  // a, b: in-sample residuals have mean zero).
  double spread() const noexcept;
  double zscore() const noexcept;

  bool refit_due() const noexcept { return full() && since_refit_ >= refit_every_; }
  // Exact sums, ADF and half-life on the current window. Returns the result (also kept).
  const EngleGranger& refit();
  const EngleGranger& last_refit() const noexcept { return eg_; }
  std::size_t refits() const noexcept { return refits_; }
  std::size_t rejected() const noexcept { return rejected_; }

 private:
  // n, centred sums of squares and products, means of the deviations from (x0_, y0_).
  void sums(double& n, double& cxx, double& cxy, double& cyy, double& mx, double& my) const noexcept;
  std::size_t window_, refit_every_;
  AdfOptions opt_;
  std::vector<double> xs_, ys_;            // ring, raw values
  std::vector<double> scratch_y_, scratch_x_;
  std::size_t head_ = 0, count_ = 0, since_refit_ = 0, refits_ = 0, rejected_ = 0;
  double x0_ = 0, y0_ = 0;                 // reference (first pair) for the running sums
  double sx_ = 0, sy_ = 0, sxx_ = 0, sxy_ = 0, syy_ = 0;  // of deviations from the reference
  double last_x_ = 0, last_y_ = 0;
  EngleGranger eg_;
};

}  // namespace hft::model
