// Exponential-kernel Hawkes process: see include/hft/model/hawkes.hpp.
#include "hft/model/hawkes.hpp"

#include "hft/regime/optimize.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <limits>

namespace hft::model {

// Names in this file carry the hk_ prefix: model/ is a unity build.
namespace {

constexpr double hk_inf = std::numeric_limits<double>::infinity();
constexpr double hk_nan = std::numeric_limits<double>::quiet_NaN();

inline std::size_t hk_u(int i) { return static_cast<std::size_t>(i); }

// Gradient of the log-likelihood in the natural parameters.
struct HkGrad {
  std::array<double, kHawkesMaxDim> mu{};
  std::array<std::array<double, kHawkesMaxDim>, kHawkesMaxDim> alpha{};
  double beta = 0;
};

// The O(n D^2) recursion. State per source dimension j at the current time t (events strictly
// before t only):  R_j = sum e^{-beta (t - t_k)},  Q_j = sum (t - t_k) e^{-beta (t - t_k)}
// (= -dR_j / dbeta). Events at the time of the state wait in `pending` until time moves on, so
// that simultaneous events do not excite one another (t_k < t strictly). Between events:
//   Q_j <- e^{-beta dt} (Q_j + dt R_j),  R_j <- e^{-beta dt} R_j.
// Input assumed checked (hawkes_check) and parameters valid.
double hk_loglik(const HawkesParams& p, std::span<const double> times, std::span<const std::uint8_t> marks,
                 double T, HkGrad* g) noexcept {
  const int D = p.dim;
  const double b = p.beta;
  std::array<double, kHawkesMaxDim> R{}, Q{}, pending{}, A{}, B{};
  double t_state = 0, sumlog = 0;
  for (std::size_t k = 0; k < times.size(); ++k) {
    const double t = times[k];
    const int m = marks.empty() ? 0 : marks[k];
    if (t > t_state) {
      const double dt = t - t_state;
      const double e = std::exp(-b * dt);
      for (int j = 0; j < D; ++j) {
        R[hk_u(j)] += pending[hk_u(j)];
        pending[hk_u(j)] = 0;
        Q[hk_u(j)] = e * (Q[hk_u(j)] + dt * R[hk_u(j)]);
        R[hk_u(j)] *= e;
      }
      t_state = t;
    }
    const auto& am = p.alpha[hk_u(m)];
    double lam = p.mu[hk_u(m)];
    for (int j = 0; j < D; ++j) lam += am[hk_u(j)] * R[hk_u(j)];
    if (!(lam > 0) || !std::isfinite(lam)) return -hk_inf;
    sumlog += std::log(lam);
    if (g) {
      const double inv = 1.0 / lam;
      g->mu[hk_u(m)] += inv;
      double dq = 0;
      for (int j = 0; j < D; ++j) {
        g->alpha[hk_u(m)][hk_u(j)] += R[hk_u(j)] * inv;
        dq += am[hk_u(j)] * Q[hk_u(j)];
      }
      g->beta -= dq * inv;
    }
    pending[hk_u(m)] += 1;
    const double age = T - t;
    const double ex = std::exp(-b * age);
    A[hk_u(m)] += -std::expm1(-b * age);  // 1 - e^{-beta (T - t_k)}, accurate for small ages
    B[hk_u(m)] += age * ex;
  }
  double comp = 0;
  for (int i = 0; i < D; ++i) {
    comp += p.mu[hk_u(i)] * T;
    for (int j = 0; j < D; ++j) comp += p.alpha[hk_u(i)][hk_u(j)] / b * A[hk_u(j)];
  }
  if (g) {
    for (int i = 0; i < D; ++i) {
      g->mu[hk_u(i)] -= T;
      for (int j = 0; j < D; ++j) {
        const double a = p.alpha[hk_u(i)][hk_u(j)];
        g->alpha[hk_u(i)][hk_u(j)] -= A[hk_u(j)] / b;
        // d/dbeta of -(a / beta) A_j(beta), dA_j / dbeta = B_j
        g->beta += a * A[hk_u(j)] / (b * b) - a * B[hk_u(j)] / b;
      }
    }
  }
  return sumlog - comp;
}

// Parameter vector layout: mu_0..mu_{D-1}, alpha row-major, beta.
int hk_nparams(int D) { return D + D * D + 1; }

Eigen::VectorXd hk_pack(const HawkesParams& p) {
  const int D = p.dim;
  Eigen::VectorXd v(hk_nparams(D));
  int k = 0;
  for (int i = 0; i < D; ++i) v[k++] = p.mu[hk_u(i)];
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < D; ++j) v[k++] = p.alpha[hk_u(i)][hk_u(j)];
  v[k] = p.beta;
  return v;
}

HawkesParams hk_unpack(const Eigen::VectorXd& v, int D) {
  HawkesParams p;
  p.dim = D;
  int k = 0;
  for (int i = 0; i < D; ++i) p.mu[hk_u(i)] = v[k++];
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < D; ++j) p.alpha[hk_u(i)][hk_u(j)] = v[k++];
  p.beta = v[k];
  return p;
}

Eigen::VectorXd hk_pack_grad(const HkGrad& g, int D) {
  Eigen::VectorXd v(hk_nparams(D));
  int k = 0;
  for (int i = 0; i < D; ++i) v[k++] = g.mu[hk_u(i)];
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < D; ++j) v[k++] = g.alpha[hk_u(i)][hk_u(j)];
  v[k] = g.beta;
  return v;
}

// Objective of the optimiser: f(x) = -loglik / n at natural parameters exp(x), gradient in x.
struct HkProblem {
  std::span<const double> times;
  std::span<const std::uint8_t> marks;
  double T;
  int D;
  double n;

  double eval(const Eigen::VectorXd& x, Eigen::VectorXd* grad) const {
    const Eigen::VectorXd theta = x.array().exp();
    if (!theta.allFinite()) return hk_inf;
    const HawkesParams p = hk_unpack(theta, D);
    if (!hawkes_valid(p)) return hk_inf;
    HkGrad g;
    const double ll = hk_loglik(p, times, marks, T, grad ? &g : nullptr);
    if (!std::isfinite(ll)) return hk_inf;
    if (grad) *grad = -(hk_pack_grad(g, D).array() * theta.array()).matrix() / n;
    return -ll / n;
  }
};

// The shared BFGS (regime/optimize.hpp) with the analytic gradient; a step is capped at 3 in
// every log coordinate (a factor e^3 ~ 20 per parameter) so that one step cannot leave the
// region where the likelihood is finite and informative.
regime::BfgsResult hk_bfgs(const HkProblem& pb, const Eigen::VectorXd& x, int max_iter, double tol) {
  regime::BfgsOptions o;
  o.max_iter = max_iter;
  o.grad_tol = tol;
  o.max_step = 3;
  o.line_search = 60;
  o.curvature_eps = 1e-16;
  o.stall_limit = 5;
  o.stall_rel = 1e-16;
  o.stall_accept = 1;  // converged only with the gradient below tol
  return regime::minimize_bfgs([&pb](const Eigen::VectorXd& v, Eigen::VectorXd* g) { return pb.eval(v, g); }, x, o);
}

// Observed information in the natural parameters by central differences of the analytic
// gradient (relative steps; one-sided where a central step would leave the valid region), then
// the inverse. NaN standard errors when the Hessian is not negative definite.
HawkesParams hk_standard_errors(const HawkesParams& p, std::span<const double> times,
                                std::span<const std::uint8_t> marks, double T) {
  const int D = p.dim;
  const int k = hk_nparams(D);
  const Eigen::VectorXd theta = hk_pack(p);
  auto grad_at = [&](const Eigen::VectorXd& th, bool& ok) {
    HkGrad g;
    const HawkesParams q = hk_unpack(th, D);
    ok = hawkes_valid(q) && std::isfinite(hk_loglik(q, times, marks, T, &g));
    return hk_pack_grad(g, D);
  };
  Eigen::MatrixXd Hs(k, k);
  bool ok0 = true;
  const Eigen::VectorXd g0 = grad_at(theta, ok0);
  HawkesParams se;
  se.dim = D;
  se.mu.fill(hk_nan);
  for (auto& row : se.alpha) row.fill(hk_nan);
  se.beta = hk_nan;
  if (!ok0) return se;
  for (int c = 0; c < k; ++c) {
    // Scale of a step: the parameter itself, or for a tiny alpha a small fraction of beta
    // (alpha is measured against beta: alpha / beta is the branching fraction).
    const bool is_alpha = c >= D && c < D + D * D;
    const double scale = is_alpha ? std::max(theta[c], 1e-3 * p.beta) : theta[c];
    const double h = 1e-5 * scale;
    Eigen::VectorXd tp = theta, tm = theta;
    tp[c] += h;
    tm[c] -= h;
    bool okp = true, okm = true;
    const Eigen::VectorXd gp = grad_at(tp, okp);
    const Eigen::VectorXd gm = tm[c] > 0 ? grad_at(tm, okm) : g0;
    if (!okp || !okm) return se;
    Hs.col(c) = (gp - gm) / (tp[c] - (tm[c] > 0 ? tm[c] : theta[c]));
  }
  const Eigen::MatrixXd info = -0.5 * (Hs + Hs.transpose());
  Eigen::LLT<Eigen::MatrixXd> llt(info);
  if (llt.info() != Eigen::Success) return se;
  const Eigen::MatrixXd cov = llt.solve(Eigen::MatrixXd::Identity(k, k));
  Eigen::VectorXd sd(k);
  for (int c = 0; c < k; ++c) sd[c] = cov(c, c) > 0 ? std::sqrt(cov(c, c)) : hk_nan;
  se = hk_unpack(sd, D);
  return se;
}

// splitmix64: the simulation's own generator, so that a seed gives the same events on every
// standard library (std:: distributions are not specified bit for bit).
struct HkRng {
  std::uint64_t s;
  std::uint64_t next() noexcept {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // (0, 1]: never 0, so that -log(u) is finite.
  double uniform() noexcept { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }
  double exp1() noexcept { return -std::log(uniform()); }
};

}  // namespace

bool hawkes_valid(const HawkesParams& p) noexcept {
  if (p.dim < 1 || p.dim > kHawkesMaxDim) return false;
  if (!(p.beta > 0) || !std::isfinite(p.beta)) return false;
  for (int i = 0; i < p.dim; ++i) {
    if (!(p.mu[hk_u(i)] > 0) || !std::isfinite(p.mu[hk_u(i)])) return false;
    for (int j = 0; j < p.dim; ++j)
      if (!(p.alpha[hk_u(i)][hk_u(j)] >= 0) || !std::isfinite(p.alpha[hk_u(i)][hk_u(j)])) return false;
  }
  return true;
}

double hawkes_branching_ratio(const HawkesParams& p) noexcept {
  if (!hawkes_valid(p)) return hk_nan;
  if (p.dim == 1) return p.alpha[0][0] / p.beta;
  // 2x2 non-negative matrix: real eigenvalues, the larger is the spectral radius.
  const double a = p.alpha[0][0] / p.beta, b = p.alpha[0][1] / p.beta;
  const double c = p.alpha[1][0] / p.beta, d = p.alpha[1][1] / p.beta;
  const double h = 0.5 * (a - d);
  return 0.5 * (a + d) + std::sqrt(h * h + b * c);
}

std::array<double, kHawkesMaxDim> hawkes_stationary_rates(const HawkesParams& p) noexcept {
  std::array<double, kHawkesMaxDim> r{};
  r.fill(hk_nan);
  if (!(hawkes_branching_ratio(p) < 1)) return r;
  if (p.dim == 1) {
    r[0] = p.mu[0] / (1 - p.alpha[0][0] / p.beta);
    return r;
  }
  const double a = 1 - p.alpha[0][0] / p.beta, b = -p.alpha[0][1] / p.beta;
  const double c = -p.alpha[1][0] / p.beta, d = 1 - p.alpha[1][1] / p.beta;
  const double det = a * d - b * c;
  r[0] = (d * p.mu[0] - b * p.mu[1]) / det;
  r[1] = (-c * p.mu[0] + a * p.mu[1]) / det;
  return r;
}

const char* hawkes_input_name(HawkesInput s) noexcept {
  switch (s) {
    case HawkesInput::Ok: return "ok";
    case HawkesInput::TooFewEvents: return "too_few_events";
    case HawkesInput::NonFinite: return "non_finite";
    case HawkesInput::NotMonotone: return "not_monotone";
    case HawkesInput::OutOfWindow: return "out_of_window";
    case HawkesInput::BadMark: return "bad_mark";
  }
  return "?";
}

const char* hawkes_fit_status_name(HawkesFitStatus s) noexcept {
  switch (s) {
    case HawkesFitStatus::Ok: return "ok";
    case HawkesFitStatus::BadInput: return "bad_input";
    case HawkesFitStatus::NoLikelihood: return "no_likelihood";
    case HawkesFitStatus::NotConverged: return "not_converged";
  }
  return "?";
}

HawkesInput hawkes_check(std::span<const double> times, std::span<const std::uint8_t> marks, int dim, double T,
                         std::size_t min_events) noexcept {
  if (dim < 1 || dim > kHawkesMaxDim) return HawkesInput::BadMark;
  if (!marks.empty() && marks.size() != times.size()) return HawkesInput::BadMark;
  if (!std::isfinite(T)) return HawkesInput::NonFinite;
  if (!(T > 0)) return HawkesInput::OutOfWindow;
  std::array<std::size_t, kHawkesMaxDim> count{};
  double prev = 0;
  for (std::size_t k = 0; k < times.size(); ++k) {
    const double t = times[k];
    if (!std::isfinite(t)) return HawkesInput::NonFinite;
    if (t < 0 || t > T) return HawkesInput::OutOfWindow;
    if (t < prev) return HawkesInput::NotMonotone;
    prev = t;
    const int m = marks.empty() ? 0 : marks[k];
    if (m >= dim) return HawkesInput::BadMark;
    ++count[hk_u(m)];
  }
  if (min_events > 0) {
    if (times.size() < min_events) return HawkesInput::TooFewEvents;
    for (int i = 0; i < dim; ++i)
      if (count[hk_u(i)] == 0) return HawkesInput::TooFewEvents;
  }
  return HawkesInput::Ok;
}

double hawkes_loglik(const HawkesParams& p, std::span<const double> times, std::span<const std::uint8_t> marks,
                     double T) noexcept {
  if (!hawkes_valid(p) || hawkes_check(times, marks, p.dim, T, 0) != HawkesInput::Ok) return -hk_inf;
  return hk_loglik(p, times, marks, T, nullptr);
}

double poisson_loglik(std::span<const std::uint8_t> marks, std::size_t n, int dim, double T) noexcept {
  if (dim < 1 || dim > kHawkesMaxDim || !(T > 0)) return -hk_inf;
  std::array<double, kHawkesMaxDim> c{};
  if (marks.empty()) {
    c[0] = static_cast<double>(n);
  } else {
    for (auto m : marks)
      if (m < dim) c[m] += 1;
  }
  double ll = 0;
  for (int i = 0; i < dim; ++i)
    if (c[hk_u(i)] > 0) ll += c[hk_u(i)] * (std::log(c[hk_u(i)] / T) - 1);
  return ll;
}

HawkesFit hawkes_fit(std::span<const double> times, std::span<const std::uint8_t> marks, int dim, double T,
                     const HawkesFitOptions& opt) {
  HawkesFit fit;
  fit.T = T;
  fit.params.dim = dim;
  fit.input = hawkes_check(times, marks, dim, T);
  if (fit.input != HawkesInput::Ok) {
    fit.status = HawkesFitStatus::BadInput;
    return fit;
  }
  for (std::size_t k = 0; k < times.size(); ++k) ++fit.events[marks.empty() ? 0 : marks[k]];
  const double n = static_cast<double>(times.size());
  fit.loglik_poisson = poisson_loglik(marks, times.size(), dim, T);
  const HkProblem pb{times, marks, T, dim, n};

  // Starts: decay at 5..5000 x the mean event rate, branching 0.3 (self 0.25, cross 0.05).
  const double rate = n / T;
  static constexpr double kBetaMult[] = {5, 50, 500, 5000, 1, 20, 200, 2000};
  const int starts = std::clamp(opt.starts, 1, 8);
  regime::BfgsResult best;
  best.f = hk_inf;
  const bool warm = opt.warm && opt.warm->dim == dim && hawkes_valid(*opt.warm);
  for (int s = 0; s < starts; ++s) {
    HawkesParams p0;
    p0.dim = dim;
    p0.beta = kBetaMult[warm && s > 0 ? s - 1 : s] * rate;  // (s = 0 warm: replaced below)
    for (int i = 0; i < dim; ++i) {
      p0.mu[hk_u(i)] = 0.7 * static_cast<double>(fit.events[hk_u(i)]) / T;
      for (int j = 0; j < dim; ++j) p0.alpha[hk_u(i)][hk_u(j)] = (i == j ? 0.25 : 0.05) * p0.beta;
    }
    if (dim == 1) p0.alpha[0][0] = 0.3 * p0.beta;
    if (warm && s == 0) {
      p0 = *opt.warm;  // a zero alpha has no log: a small one instead
      for (int i = 0; i < dim; ++i)
        for (int j = 0; j < dim; ++j) p0.alpha[hk_u(i)][hk_u(j)] = std::max(p0.alpha[hk_u(i)][hk_u(j)], 1e-6 * p0.beta);
    }
    const Eigen::VectorXd x0 = hk_pack(p0).array().log();
    const regime::BfgsResult r = hk_bfgs(pb, x0, opt.max_iter, opt.grad_tol);
    if (r.converged) ++fit.starts_converged;
    if (std::isfinite(r.f) && (!std::isfinite(best.f) || r.f < best.f)) best = r;
  }
  if (!std::isfinite(best.f)) {
    fit.status = HawkesFitStatus::NoLikelihood;
    return fit;
  }
  fit.params = hk_unpack(best.x.array().exp(), dim);
  fit.loglik = -best.f * n;
  fit.lr_stat = 2 * (fit.loglik - fit.loglik_poisson);
  fit.branching_ratio = hawkes_branching_ratio(fit.params);
  fit.grad_max = best.grad_max;
  fit.iterations = best.iters;
  fit.status = best.converged ? HawkesFitStatus::Ok : HawkesFitStatus::NotConverged;
  if (opt.standard_errors) {
    fit.se = hk_standard_errors(fit.params, times, marks, T);
  } else {
    fit.se.dim = dim;
    fit.se.mu.fill(hk_nan);
    for (auto& row : fit.se.alpha) row.fill(hk_nan);
    fit.se.beta = hk_nan;
  }
  return fit;
}

// Ogata (1981) thinning. Between events the intensity only decays (alpha >= 0), so the total
// intensity just after the current point bounds it until the next candidate.
HawkesSample hawkes_simulate(const HawkesParams& p, double T, std::uint64_t seed, std::size_t max_events) {
  HawkesSample out;
  out.T = T;
  if (!hawkes_valid(p) || !(T > 0) || !std::isfinite(T)) return out;
  HkRng rng{seed};
  const int D = p.dim;
  std::array<double, kHawkesMaxDim> exc{};
  double t = 0;
  for (;;) {
    double bound = 0;
    for (int i = 0; i < D; ++i) bound += p.mu[hk_u(i)] + exc[hk_u(i)];
    const double w = rng.exp1() / bound;
    t += w;
    if (t > T) break;
    const double f = std::exp(-p.beta * w);
    double total = 0;
    std::array<double, kHawkesMaxDim> lam{};
    for (int i = 0; i < D; ++i) {
      exc[hk_u(i)] *= f;
      lam[hk_u(i)] = p.mu[hk_u(i)] + exc[hk_u(i)];
      total += lam[hk_u(i)];
    }
    const double u = rng.uniform() * bound;  // accept with probability total / bound
    if (u > total) continue;
    int m = 0;
    double acc = lam[0];
    while (m + 1 < D && u > acc) acc += lam[hk_u(++m)];
    out.times.push_back(t);
    out.marks.push_back(static_cast<std::uint8_t>(m));
    for (int i = 0; i < D; ++i) exc[hk_u(i)] += p.alpha[hk_u(i)][hk_u(m)];
    if (out.times.size() > max_events) {
      out.times.clear();
      out.marks.clear();
      break;
    }
  }
  return out;
}

double kolmogorov_pvalue(double d, std::size_t n) noexcept {
  if (n == 0 || !std::isfinite(d)) return hk_nan;
  const double sn = std::sqrt(static_cast<double>(n));
  const double x = (sn + 0.12 + 0.11 / sn) * d;  // Stephens (1970)
  if (x <= 0) return 1.0;
  if (x < 1.0) {
    // P(K <= x) = sqrt(2 pi) / x sum_j exp(-(2j-1)^2 pi^2 / (8 x^2)): converges fast for small x.
    const double pi = 3.14159265358979323846;
    double s = 0;
    for (int j = 1; j <= 6; ++j) {
      const double a = (2.0 * j - 1) * pi / x;
      s += std::exp(-a * a / 8);
    }
    return std::clamp(1 - std::sqrt(2 * pi) / x * s, 0.0, 1.0);
  }
  double q = 0;
  for (int j = 1; j <= 100; ++j) {
    const double term = std::exp(-2.0 * j * j * x * x);
    q += (j % 2 ? 2.0 : -2.0) * term;
    if (term < 1e-17) break;
  }
  return std::clamp(q, 0.0, 1.0);
}

double ks_exp1(std::vector<double> x) noexcept {
  if (x.empty()) return hk_nan;
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double d = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double F = -std::expm1(-std::max(x[k], 0.0));
    d = std::max({d, static_cast<double>(k + 1) / n - F, F - static_cast<double>(k) / n});
  }
  return d;
}

// Lambda_i(t) = mu_i t + sum_j (alpha_ij / beta) (N_j(t) - R_j(t)), with N_j the count and
// R_j = sum e^{-beta (t - t_k)} of dimension j's events strictly before t (same pending rule
// as the likelihood).
HawkesResiduals hawkes_residuals(const HawkesParams& p, std::span<const double> times,
                                 std::span<const std::uint8_t> marks, double T) {
  HawkesResiduals r;
  if (!hawkes_valid(p) || hawkes_check(times, marks, p.dim, T, 0) != HawkesInput::Ok) return r;
  const int D = p.dim;
  std::array<double, kHawkesMaxDim> R{}, N{}, pending{}, last{};
  double t_state = 0;
  auto comp = [&](int i, double t) {
    double c = p.mu[hk_u(i)] * t;
    for (int j = 0; j < D; ++j) c += p.alpha[hk_u(i)][hk_u(j)] / p.beta * (N[hk_u(j)] - R[hk_u(j)]);
    return c;
  };
  auto move_to = [&](double t) {
    if (t <= t_state) return;
    const double e = std::exp(-p.beta * (t - t_state));
    for (int j = 0; j < D; ++j) {
      R[hk_u(j)] = (R[hk_u(j)] + pending[hk_u(j)]) * e;
      N[hk_u(j)] += pending[hk_u(j)];
      pending[hk_u(j)] = 0;
    }
    t_state = t;
  };
  for (std::size_t k = 0; k < times.size(); ++k) {
    const int m = marks.empty() ? 0 : marks[k];
    move_to(times[k]);
    const double c = comp(m, times[k]);
    r.increments[hk_u(m)].push_back(c - last[hk_u(m)]);
    last[hk_u(m)] = c;
    pending[hk_u(m)] += 1;
  }
  move_to(T);
  for (int j = 0; j < D; ++j) {  // events at exactly T contribute 1 - e^0 = 0
    N[hk_u(j)] += pending[hk_u(j)];
    R[hk_u(j)] += pending[hk_u(j)];
  }
  for (int i = 0; i < D; ++i) {
    r.compensator_T[hk_u(i)] = comp(i, T);
    const auto& v = r.increments[hk_u(i)];
    double s = 0;
    for (double x : v) s += x;
    r.mean[hk_u(i)] = v.empty() ? hk_nan : s / static_cast<double>(v.size());
    r.ks[hk_u(i)] = ks_exp1(v);
    r.ks_p[hk_u(i)] = kolmogorov_pvalue(r.ks[hk_u(i)], v.size());
  }
  r.ok = true;
  return r;
}

}  // namespace hft::model
