#include "hft/model/linear.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "text_io.hpp"

namespace hft::model {

// ---------------------------------------------------------------------------------------------
// Logistic regression: hot path.

namespace {

inline double standardized(const LogisticModel& m, const float* row, int j) noexcept {
  double v = row[j];
  auto u = static_cast<std::size_t>(j);
  return std::isfinite(v) ? (v - m.mean[u]) * m.scale[u] : 0.0;
}

// Logits (class 0 = 0) of one row into eta[0..k).
void logistic_logits(const LogisticModel& m, const float* row, double* eta) noexcept {
  eta[0] = 0;
  const auto stride = static_cast<std::size_t>(m.d) + 1;
  for (int c = 1; c < m.k; ++c) eta[c] = m.coef[static_cast<std::size_t>(c - 1) * stride];
  for (int j = 0; j < m.d; ++j) {
    double z = standardized(m, row, j);
    if (z == 0) continue;
    for (int c = 1; c < m.k; ++c) eta[c] += m.coef[static_cast<std::size_t>(c - 1) * stride + 1 + static_cast<std::size_t>(j)] * z;
  }
}

void softmax_inplace(double* v, int k) noexcept {
  double mx = v[0];
  for (int c = 1; c < k; ++c) mx = std::max(mx, v[c]);
  double s = 0;
  for (int c = 0; c < k; ++c) s += (v[c] = std::exp(v[c] - mx));
  for (int c = 0; c < k; ++c) v[c] /= s;
}

void check_standardization(int d, int k, std::span<const double> mean, std::span<const double> scale) {
  if (d < 1 || k < 2 || k > kLogisticMaxClasses)
    throw std::invalid_argument("logistic: need d >= 1 inputs and 2..16 classes");
  if (mean.size() != static_cast<std::size_t>(d) || scale.size() != static_cast<std::size_t>(d))
    throw std::invalid_argument("logistic: mean and scale must have d values");
}

}  // namespace

LogisticModel LogisticModel::zeros(int d, int k, std::span<const double> mean, std::span<const double> scale,
                                   double l2) {
  check_standardization(d, k, mean, scale);
  if (!(l2 >= 0) || !std::isfinite(l2)) throw std::invalid_argument("logistic: l2 must be >= 0");
  LogisticModel m;
  m.d = d;
  m.k = k;
  m.l2 = l2;
  m.mean.assign(mean.begin(), mean.end());
  m.scale.assign(scale.begin(), scale.end());
  m.coef.assign(static_cast<std::size_t>(k - 1) * static_cast<std::size_t>(d + 1), 0.0);
  return m;
}

void LogisticModel::predict(const float* row, double* out) const noexcept {
  logistic_logits(*this, row, out);
  softmax_inplace(out, k);
}

void LogisticModel::predict(const float* row, float* out) const noexcept {
  double p[kLogisticMaxClasses];
  predict(row, p);
  for (int c = 0; c < k; ++c) out[c] = static_cast<float>(p[c]);
}

bool LogisticModel::update(const float* row, int label, double lr) noexcept {
  if (label < 0 || label >= k) return false;
  double p[kLogisticMaxClasses];
  predict(row, p);
  const auto stride = static_cast<std::size_t>(d) + 1;
  for (int c = 1; c < k; ++c) {
    double g = p[c] - (c == label ? 1.0 : 0.0);
    double* w = coef.data() + static_cast<std::size_t>(c - 1) * stride;
    w[0] -= lr * g;
    for (int j = 0; j < d; ++j) w[1 + j] -= lr * (g * standardized(*this, row, j) + l2 * w[1 + j]);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Logistic regression: batch Newton fit.

namespace {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

struct LogisticProblem {
  Mat X;                 // n x (d+1): [1, standardized inputs]
  std::vector<int> y;    // n
  int k = 0;
  double l2 = 0;

  // Objective, gradient (size (k-1)(d+1), class blocks) and optionally Hessian at beta.
  double eval(const Vec& beta, Vec* g, Mat* H) const {
    const Eigen::Index n = X.rows(), q = X.cols(), K1 = k - 1;
    Eigen::Map<const Mat> B(beta.data(), q, K1);  // column c-1 = class c's coefficients
    Mat eta = X * B;                              // n x (k-1)
    Mat P(n, K1);
    double f = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      double mx = 0;
      for (Eigen::Index c = 0; c < K1; ++c) mx = std::max(mx, eta(i, c));
      double s = std::exp(-mx);
      for (Eigen::Index c = 0; c < K1; ++c) s += std::exp(eta(i, c) - mx);
      double lse = mx + std::log(s);
      int yi = y[static_cast<std::size_t>(i)];
      f += lse - (yi > 0 ? eta(i, yi - 1) : 0.0);
      for (Eigen::Index c = 0; c < K1; ++c) P(i, c) = std::exp(eta(i, c) - lse);
    }
    const double inv_n = 1.0 / static_cast<double>(n);
    f *= inv_n;
    for (Eigen::Index c = 0; c < K1; ++c) f += 0.5 * l2 * B.col(c).tail(q - 1).squaredNorm();
    if (g) {
      Mat R = P;
      for (Eigen::Index i = 0; i < n; ++i)
        if (int yi = y[static_cast<std::size_t>(i)]; yi > 0) R(i, yi - 1) -= 1.0;
      Mat G = X.transpose() * R * inv_n;  // q x (k-1)
      G.bottomRows(q - 1) += l2 * B.bottomRows(q - 1);
      *g = Eigen::Map<const Vec>(G.data(), G.size());
    }
    if (H) {
      H->setZero(q * K1, q * K1);
      // X' diag(w) X by chunks of rows: one small buffer and a GEMM each (a copy of X per
      // block cost more in page faults than the arithmetic on a day's rows).
      constexpr Eigen::Index kChunk = 4096;
      Mat WX(std::min(n, kChunk), q), blk(q, q);
      Eigen::ArrayXd w(std::min(n, kChunk));
      for (Eigen::Index c = 0; c < K1; ++c)
        for (Eigen::Index e = c; e < K1; ++e) {
          blk.setZero();
          for (Eigen::Index a = 0; a < n; a += kChunk) {
            const Eigen::Index len = std::min(kChunk, n - a);
            const auto pc = P.col(c).segment(a, len).array();
            if (c == e) w.head(len) = pc * (1.0 - pc) * inv_n;
            else w.head(len) = -pc * P.col(e).segment(a, len).array() * inv_n;
            WX.topRows(len) = X.middleRows(a, len).array().colwise() * w.head(len);
            blk.noalias() += X.middleRows(a, len).transpose() * WX.topRows(len);
          }
          H->block(c * q, e * q, q, q) = blk;
          if (e != c) H->block(e * q, c * q, q, q) = blk.transpose();
        }
      for (Eigen::Index c = 0; c < K1; ++c)
        for (Eigen::Index j = 1; j < q; ++j) (*H)(c * q + j, c * q + j) += l2;
    }
    return f;
  }
};

}  // namespace

LogisticModel fit_logistic(const Samples& s, int n_classes, double l2, LogisticFitInfo* info) {
  const std::size_t n = s.rows(), d = s.cols;
  if (n == 0) throw std::invalid_argument("fit_logistic: no rows");
  if (s.x.size() != n * d) throw std::invalid_argument("fit_logistic: x size is not rows * cols");
  std::vector<double> mean(d, 0.0), scale(d, 0.0);
  for (std::size_t j = 0; j < d; ++j) {
    double sum = 0, ss = 0;
    std::size_t c = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (double v = s.x[i * d + j]; std::isfinite(v)) sum += v, ++c;
    double mu = c ? sum / static_cast<double>(c) : 0.0;
    for (std::size_t i = 0; i < n; ++i)
      if (double v = s.x[i * d + j]; std::isfinite(v)) ss += (v - mu) * (v - mu);
    double sd = c ? std::sqrt(ss / static_cast<double>(c)) : 0.0;
    mean[j] = mu;
    scale[j] = sd > 1e-12 * (1.0 + std::fabs(mu)) ? 1.0 / sd : 0.0;
  }
  LogisticModel m = LogisticModel::zeros(static_cast<int>(d), n_classes, mean, scale, l2);

  LogisticProblem pb;
  pb.k = n_classes;
  pb.l2 = l2;
  pb.X.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d + 1));
  pb.y.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    float yv = s.y[i];
    if (!(yv >= 0 && yv < static_cast<float>(n_classes) && yv == std::floor(yv)))
      throw std::invalid_argument("fit_logistic: label " + std::to_string(yv) + " is not a class index");
    pb.y[i] = static_cast<int>(yv);
    pb.X(static_cast<Eigen::Index>(i), 0) = 1.0;
    for (std::size_t j = 0; j < d; ++j)
      pb.X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j + 1)) =
          standardized(m, s.x.data() + i * d, static_cast<int>(j));
  }

  const Eigen::Index P = static_cast<Eigen::Index>((d + 1) * static_cast<std::size_t>(n_classes - 1));
  Vec beta = Vec::Zero(P), g, step;
  Mat H;
  double f = pb.eval(beta, &g, &H);
  int it = 0;
  bool conv = false;
  for (; it < 100; ++it) {
    if (g.lpNorm<Eigen::Infinity>() < 1e-10) {
      conv = true;
      break;
    }
    // A tiny ridge keeps the solve defined when l2 = 0 and a direction is flat (a constant
    // column, separable data); it does not move the optimum.
    H.diagonal().array() += 1e-12;
    step = H.ldlt().solve(-g);
    double slope = g.dot(step);
    if (!(slope < 0)) step = -g, slope = -g.squaredNorm();  // not a descent direction: gradient step
    double t = 1, fn = f;
    Vec trial;
    for (int ls = 0; ls < 40; ++ls, t *= 0.5) {
      trial = beta + t * step;
      fn = pb.eval(trial, nullptr, nullptr);
      if (fn <= f + 1e-4 * t * slope) break;
    }
    if (!(fn <= f)) break;  // no progress possible at double precision
    bool tiny = (trial - beta).lpNorm<Eigen::Infinity>() < 1e-15;
    beta = trial;
    f = pb.eval(beta, &g, &H);
    if (tiny) break;
  }
  if (!conv && g.lpNorm<Eigen::Infinity>() < 1e-10) conv = true;
  // beta is (d+1) x (k-1) column-major = class blocks of [intercept, w]: coef's row-major layout.
  m.coef.assign(beta.data(), beta.data() + beta.size());
  if (info) *info = LogisticFitInfo{it, f, g.lpNorm<Eigen::Infinity>(), conv};
  return m;
}

// Text: hftd-logistic 1 inputs D classes K l2 L mean D.. scale D.. coef (K-1)(D+1).. end
std::string LogisticModel::to_text() const {
  using text::put;
  std::string s;
  put(s, "hftd-logistic");
  put(s, 1LL);
  put(s, "inputs");
  put(s, static_cast<long long>(d));
  put(s, "classes");
  put(s, static_cast<long long>(k));
  put(s, "l2");
  put(s, l2);
  s += "\nmean ";
  text::put_all(s, mean);
  s += "\nscale ";
  text::put_all(s, scale);
  s += "\ncoef ";
  text::put_all(s, coef);
  s += "\nend\n";
  return s;
}

LogisticModel LogisticModel::from_text(std::string_view t) {
  text::Reader r(t, "logistic");
  r.expect("hftd-logistic");
  if (r.integer(0, 1 << 30, "version") != 1) r.fail("unsupported version");
  LogisticModel m;
  r.expect("inputs");
  m.d = static_cast<int>(r.integer(1, 1 << 20, "inputs"));
  r.expect("classes");
  m.k = static_cast<int>(r.integer(2, kLogisticMaxClasses, "classes"));
  r.expect("l2");
  m.l2 = r.number("l2");
  if (m.l2 < 0) r.fail("negative l2");
  r.expect("mean");
  m.mean.resize(static_cast<std::size_t>(m.d));
  r.numbers(m.mean, "mean");
  r.expect("scale");
  m.scale.resize(static_cast<std::size_t>(m.d));
  r.numbers(m.scale, "scale");
  for (double v : m.scale)
    if (v < 0) r.fail("negative scale");
  r.expect("coef");
  m.coef.resize(static_cast<std::size_t>(m.k - 1) * static_cast<std::size_t>(m.d + 1));
  r.numbers(m.coef, "coefficient");
  r.end();
  return m;
}

// ---------------------------------------------------------------------------------------------
// Bayesian linear regression.

BayesLinear::BayesLinear(int inputs, bool intercept, double v0, double a0, double b0)
    : BayesLinear(inputs, intercept, {}, {}, a0, b0) {
  if (!(v0 > 0) || !std::isfinite(v0)) throw std::invalid_argument("BayesLinear: v0 must be > 0");
  for (int i = 0; i < p_; ++i) V_[static_cast<std::size_t>(i * p_ + i)] = v0;
}

BayesLinear::BayesLinear(int inputs, bool intercept, std::span<const double> m0, std::span<const double> V0,
                         double a0, double b0)
    : d_(inputs), p_(inputs + (intercept ? 1 : 0)), intercept_(intercept), a_(a0), b_(b0) {
  if (inputs < 1) throw std::invalid_argument("BayesLinear: inputs >= 1");
  if (!(a0 > 0) || !(b0 > 0) || !std::isfinite(a0) || !std::isfinite(b0))
    throw std::invalid_argument("BayesLinear: a0, b0 must be > 0");
  const auto p = static_cast<std::size_t>(p_);
  // Empty m0/V0 come from the isotropic constructor, which fills V itself.
  if (!(m0.empty() && V0.empty()) && (m0.size() != p || V0.size() != p * p))
    throw std::invalid_argument("BayesLinear: m0 needs p values and V0 p*p");
  m_.assign(p, 0.0);
  V_.assign(p * p, 0.0);
  vx_.assign(p, 0.0);
  if (!m0.empty()) {
    std::copy(m0.begin(), m0.end(), m_.begin());
    std::copy(V0.begin(), V0.end(), V_.begin());
    Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> V(V_.data(), p_, p_);
    if (!V.allFinite() || !Eigen::Map<const Eigen::VectorXd>(m_.data(), p_).allFinite() ||
        (V - V.transpose()).cwiseAbs().maxCoeff() > 1e-12 * V.cwiseAbs().maxCoeff() ||
        Eigen::LLT<Eigen::MatrixXd>(V).info() != Eigen::Success)
      throw std::invalid_argument("BayesLinear: V0 must be finite, symmetric positive definite");
  }
}

double BayesLinear::xt(const float* x, int i) const noexcept {
  if (intercept_) {
    if (i == 0) return 1.0;
    --i;
  }
  double v = x[i];
  return std::isfinite(v) ? v : 0.0;
}

bool BayesLinear::update(const float* x, double y) noexcept {
  if (!std::isfinite(y)) return false;
  for (int j = 0; j < d_; ++j)
    if (!std::isfinite(x[j])) return false;
  const auto p = static_cast<std::size_t>(p_);
  double s = 1.0, pred = 0.0;
  for (std::size_t i = 0; i < p; ++i) {
    double acc = 0;
    const double* vr = V_.data() + i * p;
    for (std::size_t j = 0; j < p; ++j) acc += vr[j] * xt(x, static_cast<int>(j));
    vx_[i] = acc;
    double xi = xt(x, static_cast<int>(i));
    s += xi * acc;
    pred += xi * m_[i];
  }
  const double r = y - pred;
  for (std::size_t i = 0; i < p; ++i) {
    m_[i] += vx_[i] * r / s;
    double* vr = V_.data() + i * p;
    // (vx_i * vx_j) / s: the same bits for (i, j) and (j, i), so V stays exactly symmetric.
    for (std::size_t j = 0; j < p; ++j) vr[j] -= vx_[i] * vx_[j] / s;
  }
  a_ += 0.5;
  b_ += 0.5 * r * r / s;
  ++n_;
  return true;
}

double BayesLinear::predictive_scale2(const float* x) const noexcept {
  const auto p = static_cast<std::size_t>(p_);
  double q = 0;
  for (std::size_t i = 0; i < p; ++i) {
    double acc = 0;
    const double* vr = V_.data() + i * p;
    for (std::size_t j = 0; j < p; ++j) acc += vr[j] * xt(x, static_cast<int>(j));
    q += xt(x, static_cast<int>(i)) * acc;
  }
  return b_ / a_ * (1.0 + q);
}

void BayesLinear::predict(const float* x, double* mean, double* variance) const noexcept {
  double mu = 0;
  for (int i = 0; i < p_; ++i) mu += xt(x, i) * m_[static_cast<std::size_t>(i)];
  *mean = mu;
  const double nu = 2 * a_;
  *variance = nu > 2 ? predictive_scale2(x) * nu / (nu - 2) : std::numeric_limits<double>::infinity();
}

// Text: hftd-bayes-linear 1 inputs D intercept 0|1 a A b B n N m p.. V p*p.. end
std::string BayesLinear::to_text() const {
  using text::put;
  std::string s;
  put(s, "hftd-bayes-linear");
  put(s, 1LL);
  put(s, "inputs");
  put(s, static_cast<long long>(d_));
  put(s, "intercept");
  put(s, intercept_ ? 1LL : 0LL);
  put(s, "a");
  put(s, a_);
  put(s, "b");
  put(s, b_);
  put(s, "n");
  put(s, static_cast<long long>(n_));
  s += "\nm ";
  text::put_all(s, m_);
  s += "\nV ";
  text::put_all(s, V_);
  s += "\nend\n";
  return s;
}

BayesLinear BayesLinear::from_text(std::string_view t) {
  text::Reader r(t, "bayes-linear");
  r.expect("hftd-bayes-linear");
  if (r.integer(0, 1 << 30, "version") != 1) r.fail("unsupported version");
  r.expect("inputs");
  int d = static_cast<int>(r.integer(1, 4096, "inputs"));
  r.expect("intercept");
  bool icpt = r.integer(0, 1, "intercept") == 1;
  r.expect("a");
  double a = r.number("a");
  r.expect("b");
  double b = r.number("b");
  if (!(a > 0) || !(b > 0)) r.fail("a and b must be > 0");
  r.expect("n");
  auto n = r.integer(0, std::numeric_limits<long long>::max(), "n");
  BayesLinear m(d, icpt, 1.0, a, b);
  m.n_ = static_cast<std::uint64_t>(n);
  r.expect("m");
  r.numbers(m.m_, "m");
  r.expect("V");
  r.numbers(m.V_, "V");
  for (int i = 0; i < m.p_; ++i) {
    if (!(m.V_[static_cast<std::size_t>(i * m.p_ + i)] > 0)) r.fail("V has a non-positive diagonal");
    for (int j = 0; j < i; ++j)
      if (m.V_[static_cast<std::size_t>(i * m.p_ + j)] != m.V_[static_cast<std::size_t>(j * m.p_ + i)])
        r.fail("V is not symmetric");
  }
  r.end();
  return m;
}

}  // namespace hft::model
