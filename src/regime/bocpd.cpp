#include "hft/regime/bocpd.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hft::regime {

namespace {
constexpr double kLogPi = 1.1447298858494001741;  // log(pi)
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
}  // namespace

double normal_gamma_log_predictive(double x, double mu, double kappa, double alpha,
                                   double beta) noexcept {
  // nu = 2 alpha, s2 = beta (kappa + 1) / (alpha kappa), nu s2 = 2 beta (kappa + 1) / kappa.
  const double nus2 = 2 * beta * (kappa + 1) / kappa;
  const double d = x - mu;
  return std::lgamma(alpha + 0.5) - std::lgamma(alpha) - 0.5 * (kLogPi + std::log(nus2)) -
         (alpha + 0.5) * std::log1p(d * d / nus2);
}

Bocpd::Bocpd(const BocpdConfig& cfg) : cfg_(cfg) {
  // Sanitise rather than fail: a bad config value must not crash the hot path.
  if (cfg_.max_run < 8) cfg_.max_run = 8;
  if (!(cfg_.hazard > 0 && cfg_.hazard < 1)) cfg_.hazard = 1.0 / 500;
  if (!(cfg_.prior.kappa0 > 0)) cfg_.prior.kappa0 = 0.1;
  if (!(cfg_.prior.alpha0 > 0)) cfg_.prior.alpha0 = 1;
  if (!(cfg_.prior.beta0 > 0)) cfg_.prior.beta0 = 1;
  if (cfg_.recent < 1) cfg_.recent = 1;
  R_ = cfg_.max_run;
  log_h_ = std::log(cfg_.hazard);
  log_1mh_ = std::log1p(-cfg_.hazard);
  lgdiff_.resize(R_);
  for (std::size_t n = 0; n < R_; ++n) {
    const double a = cfg_.prior.alpha0 + 0.5 * static_cast<double>(n);
    lgdiff_[n] = std::lgamma(a + 0.5) - std::lgamma(a);
  }
  for (auto* v : {&lp_, &mu_, &beta_, &cnt_, &lp2_, &mu2_, &beta2_, &cnt2_, &lj_}) v->assign(R_, 0.0);
  reset();
}

void Bocpd::reset() noexcept {
  len_ = 1;
  lp_[0] = 0;  // P(r = 0) = 1
  mu_[0] = cfg_.prior.mu0;
  beta_[0] = cfg_.prior.beta0;
  cnt_[0] = 0;
  map_ = 0;
  change_ = false;
}

bool Bocpd::update(double x) noexcept {
  change_ = false;
  if (!std::isfinite(x)) {
    ++rejected_;
    return false;
  }
  const double k0 = cfg_.prior.kappa0, a0 = cfg_.prior.alpha0;
  // 1. log joint of each run length with x: log P(r) + log pi_r(x).
  double m = kNegInf;
  for (std::size_t r = 0; r < len_; ++r) {
    const double n = cnt_[r];
    const double kappa = k0 + n;
    const auto ni = static_cast<std::size_t>(n);
    const double lg = ni < R_ ? lgdiff_[ni] : std::lgamma(a0 + 0.5 * n + 0.5) - std::lgamma(a0 + 0.5 * n);
    const double nus2 = 2 * beta_[r] * (kappa + 1) / kappa;
    const double d = x - mu_[r];
    const double lpred =
        lg - 0.5 * (kLogPi + std::log(nus2)) - (a0 + 0.5 * n + 0.5) * std::log1p(d * d / nus2);
    lj_[r] = lp_[r] + lpred;
    m = std::max(m, lj_[r]);
  }
  if (!std::isfinite(m)) {  // cannot happen with valid state; recover rather than propagate NaN
    ++rejected_;
    reset();
    return false;
  }
  // 2. evidence: log sum_r exp(lj_r) = m + log S.
  double S = 0;
  for (std::size_t r = 0; r < len_; ++r) S += std::exp(lj_[r] - m);
  const double lnorm = m + std::log(S);
  // 3. growth r -> r+1 with updated statistics; the last bin absorbs overflow.
  const std::size_t new_len = std::min(len_ + 1, R_);
  lp2_[0] = log_h_;  // normalised change-point mass: H * evidence / evidence
  mu2_[0] = cfg_.prior.mu0;
  beta2_[0] = cfg_.prior.beta0;
  cnt2_[0] = 0;
  for (std::size_t r = 0; r < len_; ++r) {
    const std::size_t to = std::min(r + 1, R_ - 1);
    const double lg = lj_[r] + log_1mh_ - lnorm;
    const double kappa = k0 + cnt_[r];
    const double d = x - mu_[r];
    const double nmu = (kappa * mu_[r] + x) / (kappa + 1);
    const double nbeta = beta_[r] + kappa * d * d / (2 * (kappa + 1));
    if (r + 1 < R_ || len_ < R_) {
      lp2_[to] = lg;
      mu2_[to] = nmu;
      beta2_[to] = nbeta;
      cnt2_[to] = cnt_[r] + 1;
    } else {  // r = R_-1 grows into the capped bin already filled from r = R_-2
      const double prev = lp2_[to];
      if (lg > prev) {  // the heavier hypothesis keeps its statistics
        mu2_[to] = nmu;
        beta2_[to] = nbeta;
        cnt2_[to] = cnt_[r] + 1;
      }
      const double hi = std::max(prev, lg), lo = std::min(prev, lg);
      lp2_[to] = hi + std::log1p(std::exp(lo - hi));
    }
  }
  lp_.swap(lp2_);
  mu_.swap(mu2_);
  beta_.swap(beta2_);
  cnt_.swap(cnt2_);
  len_ = new_len;
  // 4. MAP run length and change report.
  std::size_t best = 0;
  for (std::size_t r = 1; r < len_; ++r)
    if (lp_[r] > lp_[best]) best = r;
  const std::size_t prev_map = map_;
  map_ = best;
  ++n_;
  if (prev_map >= map_ + cfg_.min_drop && map_ * 2 <= prev_map) {
    // The MAP compares single bins, and an old run's mass is spread over many neighbouring run
    // lengths (uncertainty about where it began): require the mass too.
    double mass = 0;
    for (std::size_t r = 0; r <= prev_map / 2 && r < len_; ++r) mass += std::exp(lp_[r]);
    // The MAP may fall back to the old run and drop again to the same new one: report once.
    const std::size_t at = n_ - map_;  // observations before the new segment
    const bool same = n_changes_ > 0 && (at > last_at_ ? at - last_at_ : last_at_ - at) < cfg_.min_drop;
    if (mass >= cfg_.min_mass && !same) {
      change_ = true;
      ++n_changes_;
      last_at_ = at;
    }
  }
  return change_;
}

double Bocpd::p_r0() const noexcept { return std::exp(lp_[0]); }

double Bocpd::p_recent() const noexcept {
  double s = 0;
  for (std::size_t r = 0; r < std::min(cfg_.recent, len_); ++r) s += std::exp(lp_[r]);
  return std::min(s, 1.0);
}

Bocpd::Posterior Bocpd::posterior(std::size_t r) const noexcept {
  r = std::min(r, len_ - 1);
  return {mu_[r], cfg_.prior.kappa0 + cnt_[r], cfg_.prior.alpha0 + 0.5 * cnt_[r], beta_[r]};
}

}  // namespace hft::regime
