#include "hft/regime/bocpd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "hft/core/fastmath.hpp"

namespace hft::regime {

namespace {
// lgamma() writes the global signgam: two threads running detectors (a replay's hot thread and
// another engine's regime thread, or two engines) would race on it. lgamma_r keeps the sign local.
inline double log_gamma(double x) noexcept {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}
}  // namespace

using hft::exp_inplace;
using hft::fast_exp;
using hft::log_inplace;

namespace {
constexpr double kLogPi = 1.1447298858494001741;  // log(pi)
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The two loops over run lengths, written once for a lane type V (GCC vector of doubles, VU its
// uint64 twin) with a scalar tail, and compiled twice: baseline (SSE2, 2 lanes) and AVX2+FMA
// (4 lanes) picked at construction from the CPU. Lanes are independent run lengths.
typedef double v2d __attribute__((vector_size(16)));
typedef std::uint64_t v2u __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
typedef std::uint64_t v4u __attribute__((vector_size(32)));

struct Bins {
  double* lp;
  double* mu;
  double* beta;
  double* lb;
};
struct Tables {
  const double* kn;
  const double* an;
  const double* hk;
  const double* ik;
};

template <class D>
[[gnu::always_inline]] inline void load(D& v, const double* p) noexcept {
  __builtin_memcpy(&v, p, sizeof(D));
}
template <class D>
[[gnu::always_inline]] inline void store(double* p, const D& v) noexcept {
  __builtin_memcpy(p, &v, sizeof(D));
}

// Run lengths r .. r + lanes - 1 (their indices in idx): log joint into lp (see the formula
// above update()), grown statistics in place, running maximum in m and the first index reaching
// it in arg (per lane).
template <class D, class U>
[[gnu::always_inline]] inline void grow_lanes(const Bins& b, const Tables& t, std::size_t r, double x,
                                              D& m, U& arg, const U& idx) noexcept {
  D lp, mu, beta, lb, kn, an, hk, ik;
  load(lp, b.lp + r);
  load(mu, b.mu + r);
  load(beta, b.beta + r);
  load(lb, b.lb + r);
  load(kn, t.kn + r);
  load(an, t.an + r);
  load(hk, t.hk + r);
  load(ik, t.ik + r);
  const D d = (D{} + x) - mu;
  const D nb = beta + hk * (d * d);
  D nlb = nb;
  log_inplace<D, U>(nlb);
  const D lj = lp + kn + an * lb - (an + 0.5) * nlb;
  store(b.mu + r, mu + d * ik);
  store(b.beta + r, nb);
  store(b.lb + r, nlb);
  store(b.lp + r, lj);
  const auto gt = lj > m;  // strictly: the first index at the maximum stays
  arg = gt ? idx : arg;
  m = gt ? lj : m;
}

// The largest log joint and the first run length that has it.
struct Max {
  double m;
  std::size_t arg;
};

template <class V, class VU>
[[gnu::always_inline]] inline Max grow_body(const Bins& b, const Tables& t, std::size_t n,
                                            double x) noexcept {
  constexpr std::size_t W = sizeof(V) / sizeof(double);
  V mv = V{} + kNegInf;
  VU av{}, idx{};
  for (std::size_t i = 0; i < W; ++i) idx[i] = i;
  std::size_t r = 0;
  for (; r + W <= n; r += W, idx += W) grow_lanes<V, VU>(b, t, r, x, mv, av, idx);
  Max best{kNegInf, 0};
  for (std::size_t i = 0; i < W; ++i) {  // lanes hold interleaved indices: compare both
    if (mv[i] > best.m || (mv[i] == best.m && av[i] < best.arg)) best = {mv[i], av[i]};
  }
  for (; r < n; ++r) grow_lanes<double, std::size_t>(b, t, r, x, best.m, best.arg, r);
  return best;
}

// sum_r exp(lp[r] - m)
template <class V, class VU>
[[gnu::always_inline]] inline double sum_body(const double* lp, std::size_t n, double m) noexcept {
  constexpr std::size_t W = sizeof(V) / sizeof(double);
  V sv = V{};
  std::size_t r = 0;
  for (; r + W <= n; r += W) {
    V v;
    load(v, lp + r);
    v = v - m;
    exp_inplace<V, VU>(v);
    sv += v;
  }
  double s = 0;
  for (std::size_t i = 0; i < W; ++i) s += sv[i];
  for (; r < n; ++r) s += fast_exp(lp[r] - m);
  return s;
}

// lp[r] += off
template <class V>
[[gnu::always_inline]] inline void add_body(double* lp, std::size_t n, double off) noexcept {
  constexpr std::size_t W = sizeof(V) / sizeof(double);
  std::size_t r = 0;
  for (; r + W <= n; r += W) {
    V v;
    load(v, lp + r);
    store(lp + r, v + off);
  }
  for (; r < n; ++r) lp[r] += off;
}

Max grow_base(const Bins& b, const Tables& t, std::size_t n, double x) noexcept {
  return grow_body<v2d, v2u>(b, t, n, x);
}
double sum_base(const double* lp, std::size_t n, double m) noexcept { return sum_body<v2d, v2u>(lp, n, m); }
__attribute__((target("avx2,fma"))) Max grow_avx2(const Bins& b, const Tables& t, std::size_t n,
                                                    double x) noexcept {
  return grow_body<v4d, v4u>(b, t, n, x);
}
__attribute__((target("avx2,fma"))) double sum_avx2(const double* lp, std::size_t n, double m) noexcept {
  return sum_body<v4d, v4u>(lp, n, m);
}

void add_base(double* lp, std::size_t n, double off) noexcept { add_body<v2d>(lp, n, off); }
__attribute__((target("avx2,fma"))) void add_avx2(double* lp, std::size_t n, double off) noexcept {
  add_body<v4d>(lp, n, off);
}

bool cpu_has_avx2_fma() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

}  // namespace

double normal_gamma_log_predictive(double x, double mu, double kappa, double alpha,
                                   double beta) noexcept {
  // nu = 2 alpha, s2 = beta (kappa + 1) / (alpha kappa), nu s2 = 2 beta (kappa + 1) / kappa.
  const double nus2 = 2 * beta * (kappa + 1) / kappa;
  const double d = x - mu;
  return log_gamma(alpha + 0.5) - log_gamma(alpha) - 0.5 * (kLogPi + std::log(nus2)) -
         (alpha + 0.5) * std::log1p(d * d / nus2);
}

Bocpd::Bocpd(const BocpdConfig& cfg, std::pmr::memory_resource* mr)
    : cfg_(cfg), kn_(mr), an_(mr), hk_(mr), ik_(mr), lp_(mr), mu_(mr), beta_(mr), lb_(mr) {
  // Sanitise rather than fail: a bad config value must not crash the hot path.
  if (cfg_.max_run < 8) cfg_.max_run = 8;
  if (!(cfg_.hazard > 0 && cfg_.hazard < 1)) cfg_.hazard = 1.0 / 500;
  if (!(cfg_.prior.kappa0 > 0)) cfg_.prior.kappa0 = 0.1;
  if (!(cfg_.prior.alpha0 > 0)) cfg_.prior.alpha0 = 1;
  // beta stays a positive normal double (fast_log's domain) below 1e300
  if (!(cfg_.prior.beta0 >= 1e-300 && cfg_.prior.beta0 <= 1e300)) cfg_.prior.beta0 = 1;
  if (!std::isfinite(cfg_.prior.mu0)) cfg_.prior.mu0 = 0;
  if (cfg_.recent < 1) cfg_.recent = 1;
  if (!(cfg_.prune > 0)) cfg_.prune = std::numeric_limits<double>::infinity();
  R_ = cfg_.max_run;
  avx2_ = cfg_.allow_avx2 && cpu_has_avx2_fma();
  log_h_ = std::log(cfg_.hazard);
  log_1mh_ = std::log1p(-cfg_.hazard);
  log_beta0_ = std::log(cfg_.prior.beta0);
  for (auto* v : {&kn_, &an_, &hk_, &ik_}) v->assign(R_, 0.0);
  for (std::size_t n = 0; n < R_; ++n) {
    const double nd = static_cast<double>(n);
    const double kappa = cfg_.prior.kappa0 + nd, a = cfg_.prior.alpha0 + 0.5 * nd;
    kn_[n] = log_gamma(a + 0.5) - log_gamma(a) -
             0.5 * (kLogPi + std::log(2 * (kappa + 1) / kappa));
    an_[n] = a;
    hk_[n] = kappa / (2 * (kappa + 1));
    ik_[n] = 1 / (kappa + 1);
  }
  for (auto* v : {&lp_, &mu_, &beta_, &lb_}) v->assign(2 * R_, 0.0);
  reset();
}

void Bocpd::reset() noexcept {
  len_ = 1;
  s_ = R_;
  lp_[s_] = 0;  // P(r = 0) = 1
  mu_[s_] = cfg_.prior.mu0;
  beta_[s_] = cfg_.prior.beta0;
  lb_[s_] = log_beta0_;
  cap_cnt_ = 0;
  map_ = 0;
  change_ = false;
}

// One step, with nus2 = 2 beta (kappa + 1) / kappa = e^c beta (c = log(2 (kappa + 1) / kappa)):
//   log pi = lgdiff - (log pi + c + lb) / 2 - (a + 1/2) log1p(d^2 / nus2)
// and nus2 + d^2 = e^c beta' with beta' = beta + kappa d^2 / (2 (kappa + 1)) the grown
// statistic, so log1p(d^2 / nus2) = lb' - lb and
//   log pi = k_n + a lb - (a + 1/2) lb'.
// lb' is needed next step anyway: one log per run length, and each bin is updated in place
// (slot s_ + r becomes run length r + 1 when s_ is decremented).
bool Bocpd::update(double x) noexcept {
  change_ = false;
  if (!std::isfinite(x) || std::abs(x) > 1e100) {
    ++rejected_;
    return false;
  }
  if (s_ == 0) {  // no slot left below the band: move it up (once every R_ observations)
    for (auto* v : {&lp_, &mu_, &beta_, &lb_})
      std::copy(v->begin(), v->begin() + static_cast<std::ptrdiff_t>(len_), v->begin() + static_cast<std::ptrdiff_t>(R_));
    s_ = R_;
  }
  double* const lp = lp_.data() + s_;
  double* const mu = mu_.data() + s_;
  double* const beta = beta_.data() + s_;
  double* const lb = lb_.data() + s_;
  const bool capped = len_ == R_;
  const std::size_t nt = capped ? R_ - 1 : len_;  // bins whose count is their run length

  // 1. log joint log P(r) + log pi_r(x) of each run length (into lp), grown statistics in place.
  const Bins bins{lp, mu, beta, lb};
  const Tables tabs{kn_.data(), an_.data(), hk_.data(), ik_.data()};
  const Max g = avx2_ ? grow_avx2(bins, tabs, nt, x) : grow_base(bins, tabs, nt, x);
  double m = g.m;
  std::size_t arg = g.arg;  // the first run length at the maximum
  if (capped) {  // the last bin's count is not its run length: its terms are computed here
    const std::size_t r = R_ - 1;
    const double n = cap_cnt_, kappa = cfg_.prior.kappa0 + n, a = cfg_.prior.alpha0 + 0.5 * n;
    const double d = x - mu[r];
    const double nb = beta[r] + kappa / (2 * (kappa + 1)) * (d * d);
    const double nlb = std::log(nb);
    const double k = log_gamma(a + 0.5) - log_gamma(a) - 0.5 * (kLogPi + std::log(2 * (kappa + 1) / kappa));
    const double lj = lp[r] + k + a * lb[r] - (a + 0.5) * nlb;
    mu[r] += d / (kappa + 1);
    beta[r] = nb;
    lb[r] = nlb;
    lp[r] = lj;
    if (lj > m) {
      m = lj;
      arg = r;
    }
  }
  if (!std::isfinite(m)) {  // cannot happen with valid state; recover rather than propagate NaN
    ++rejected_;
    reset();
    return false;
  }
  // 2. evidence log sum_r exp(lj_r) = m + log S, and the last run length worth keeping.
  const double S = avx2_ ? sum_avx2(lp, len_, m) : sum_base(lp, len_, m);
  if (!(S >= 1 && S <= static_cast<double>(len_))) {  // a NaN slipped in: recover as above
    ++rejected_;
    reset();
    return false;
  }
  std::size_t keep = len_;
  while (keep > 1 && lp[keep - 1] - m < -cfg_.prune) --keep;  // the maximum itself always stays
  const double off = log_1mh_ - (m + std::log(S));  // log(1 - H) - log evidence
  // 3. growth: slot r becomes run length r + 1; the last bin absorbs the overflow.
  if (capped) {  // r = R_-1 grows into the capped bin together with r = R_-2
    const std::size_t t = R_ - 2, c = R_ - 1;
    const double prev = lp[t], lg = lp[c];
    if (lg > prev) {  // the heavier hypothesis keeps its statistics
      mu[t] = mu[c];
      beta[t] = beta[c];
      lb[t] = lb[c];
      cap_cnt_ += 1;
    } else {
      cap_cnt_ = static_cast<double>(R_ - 1);
    }
    const double hi = std::max(prev, lg), lo = std::min(prev, lg);
    lp[t] = hi + std::log1p(std::exp(lo - hi));
    keep = std::min(keep, R_ - 1);
  } else if (len_ == R_ - 1) {
    cap_cnt_ = static_cast<double>(R_ - 1);  // becomes the capped bin if kept
  }
  // The MAP among the grown bins: the first at the maximum of the log joints (the last kept bin
  // if that is beyond it), or the merged bin.
  std::size_t imax = std::min(arg, keep - 1);
  if (capped && keep == R_ - 1 && lp[R_ - 2] > lp[imax]) imax = R_ - 2;  // the merge can exceed m
  avx2_ ? add_avx2(lp, keep, off) : add_base(lp, keep, off);
  --s_;
  lp_[s_] = log_h_;  // normalised change-point mass: H * evidence / evidence
  mu_[s_] = cfg_.prior.mu0;
  beta_[s_] = cfg_.prior.beta0;
  lb_[s_] = log_beta0_;
  len_ = keep + 1;
  // 4. MAP run length and change report.
  const double* const p = lp_.data() + s_;
  const std::size_t prev_map = map_;
  map_ = p[imax + 1] > p[0] ? imax + 1 : 0;  // ties go to the shorter run length
  ++n_;
  if (prev_map >= map_ + cfg_.min_drop && map_ * 2 <= prev_map) {
    // The MAP compares single bins, and an old run's mass is spread over many neighbouring run
    // lengths (uncertainty about where it began): require the mass too.
    double mass = 0;
    for (std::size_t r = 0; r <= prev_map / 2 && r < len_; ++r) mass += std::exp(p[r]);
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

double Bocpd::p_r0() const noexcept { return std::exp(lp_[s_]); }

double Bocpd::p_recent() const noexcept {
  double s = 0;
  for (std::size_t r = 0; r < std::min(cfg_.recent, len_); ++r) s += fast_exp(lp_[s_ + r]);
  return std::min(s, 1.0);
}

Bocpd::Posterior Bocpd::posterior(std::size_t r) const noexcept {
  r = std::min(r, len_ - 1);
  const double n = (len_ == R_ && r == R_ - 1) ? cap_cnt_ : static_cast<double>(r);
  return {mu_[s_ + r], cfg_.prior.kappa0 + n, cfg_.prior.alpha0 + 0.5 * n, beta_[s_ + r]};
}

}  // namespace hft::regime
