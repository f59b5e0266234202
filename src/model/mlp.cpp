#include "hft/model/mlp.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "text_io.hpp"

namespace hft::model {
namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapW = Eigen::Map<const RowMat>;

// xoshiro256** seeded through splitmix64: the same stream on every platform and library.
struct Rng {
  std::uint64_t s[4];
  explicit Rng(std::uint64_t seed) {
    for (auto& w : s) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      w = z ^ (z >> 31);
    }
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    std::uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  // Modulo bias is below n / 2^64: irrelevant for a shuffle of at most billions of rows.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

double activate(MlpActivation a, double z) noexcept {
  return a == MlpActivation::Relu ? (z > 0 ? z : 0.0) : std::tanh(z);
}

// Standardized inputs: (x - mean) / sd, missing (non-finite) -> 0, the mean.
RowMat standardize(const Samples& s, std::span<const double> mean, std::span<const double> inv_sd) {
  const std::size_t n = s.rows(), d = s.cols;
  RowMat X(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      double v = s.x[i * d + j];
      X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
          std::isfinite(v) ? (v - mean[j]) * inv_sd[j] : 0.0;
    }
  return X;
}

void check_samples(const Samples& s, const char* which) {
  if (s.x.size() != s.rows() * s.cols)
    throw std::invalid_argument(std::string("train_mlp: ") + which + " x has " +
                                std::to_string(s.x.size()) + " values, not rows * cols");
}

void check_targets(const Samples& s, int n_out, const char* which) {
  for (float y : s.y) {
    bool ok = std::isfinite(y);
    if (ok && n_out > 1) ok = y >= 0 && y < static_cast<float>(n_out) && y == std::floor(y);
    if (!ok)
      throw std::invalid_argument(std::string("train_mlp: ") + which + " target " + std::to_string(y) +
                                  (n_out > 1 ? " is not a class index in [0, " + std::to_string(n_out) + ")"
                                             : " is not finite"));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Batch objective and backpropagation (training side: Eigen, allocates).

namespace {

double l2_penalty(const Mlp& m, double l2) {
  double p = 0;
  for (const auto& ly : m.layers())
    for (double w : ly.w) p += 0.5 * l2 * w * w;
  return p;
}

// Mean data loss over the rows of X (standardized inputs) plus l2/2 * |W|^2; t holds class
// indices (classification) or standardized targets. grad (parameters() layout) when non-null.
double batch_loss(const Mlp& m, const RowMat& X, const std::vector<double>& t, double l2, double* grad) {
  const auto& layers = m.layers();
  const std::size_t L = layers.size();
  const Eigen::Index B = X.rows();
  if (B == 0) return 0.0;
  std::vector<RowMat> A(L);  // A[l]: input of layer l (A[0] = X)
  std::vector<RowMat> Z(L);  // Z[l]: pre-activation of layer l
  const RowMat* in = &X;
  for (std::size_t l = 0; l < L; ++l) {
    MapW W(layers[l].w.data(), layers[l].out, layers[l].in);
    Eigen::Map<const Eigen::RowVectorXd> b(layers[l].b.data(), layers[l].out);
    Z[l] = (*in) * W.transpose();
    Z[l].rowwise() += b;
    if (l + 1 < L) {
      A[l + 1] = Z[l].unaryExpr([&](double z) { return activate(m.activation(), z); });
      in = &A[l + 1];
    }
  }
  RowMat& out = Z[L - 1];
  RowMat dZ(B, out.cols());
  double loss = 0;
  const double inv_b = 1.0 / static_cast<double>(B);
  if (m.classification()) {
    for (Eigen::Index i = 0; i < B; ++i) {
      double mx = out.row(i).maxCoeff();
      double s = 0;
      for (Eigen::Index c = 0; c < out.cols(); ++c) s += std::exp(out(i, c) - mx);
      double lse = mx + std::log(s);
      auto yi = static_cast<Eigen::Index>(t[static_cast<std::size_t>(i)]);
      loss += lse - out(i, yi);
      for (Eigen::Index c = 0; c < out.cols(); ++c)
        dZ(i, c) = (std::exp(out(i, c) - lse) - (c == yi ? 1.0 : 0.0)) * inv_b;
    }
  } else {
    for (Eigen::Index i = 0; i < B; ++i) {
      double r = out(i, 0) - t[static_cast<std::size_t>(i)];
      loss += 0.5 * r * r;
      dZ(i, 0) = r * inv_b;
    }
  }
  loss *= inv_b;
  loss += l2_penalty(m, l2);
  if (!grad) return loss;

  // Offsets of each layer's block in the flat parameter vector.
  std::vector<std::size_t> off(L);
  std::size_t o = 0;
  for (std::size_t l = 0; l < L; ++l) {
    off[l] = o;
    o += layers[l].w.size() + layers[l].b.size();
  }
  for (std::size_t l = L; l-- > 0;) {
    const RowMat& Ain = l == 0 ? X : A[l];
    MapW W(layers[l].w.data(), layers[l].out, layers[l].in);
    Eigen::Map<RowMat> dW(grad + off[l], layers[l].out, layers[l].in);
    Eigen::Map<Eigen::RowVectorXd> db(grad + off[l] + layers[l].w.size(), layers[l].out);
    dW = dZ.transpose() * Ain + l2 * W;
    db = dZ.colwise().sum();
    if (l == 0) break;
    RowMat dA = dZ * W;
    if (m.activation() == MlpActivation::Relu)
      dZ = dA.cwiseProduct(Z[l - 1].unaryExpr([](double z) { return z > 0 ? 1.0 : 0.0; }));
    else
      dZ = dA.cwiseProduct(A[l].unaryExpr([](double a) { return 1.0 - a * a; }));
  }
  return loss;
}

std::vector<double> targets(const Mlp& m, const Samples& s, double y_mean, double y_sd) {
  std::vector<double> t(s.rows());
  for (std::size_t i = 0; i < t.size(); ++i)
    t[i] = m.classification() ? static_cast<double>(s.y[i]) : (s.y[i] - y_mean) / y_sd;
  return t;
}

}  // namespace

double mlp_loss(const Mlp& m, const Samples& s, double l2, std::vector<double>* grad) {
  if (s.cols != static_cast<std::size_t>(m.n_in_) || s.x.size() != s.rows() * s.cols)
    throw std::invalid_argument("mlp_loss: samples do not match the model's inputs");
  check_targets(s, m.n_out_, "loss");
  RowMat X = standardize(s, m.mean_, m.inv_sd_);
  std::vector<double> t = targets(m, s, m.y_mean_, m.y_sd_);
  if (grad) grad->assign(m.parameters().size(), 0.0);
  return batch_loss(m, X, t, l2, grad ? grad->data() : nullptr);
}

Mlp train_mlp(const Samples& train, const Samples& valid, const MlpConfig& cfg, int n_outputs,
              MlpTrainInfo* info) {
  if (n_outputs < 1 || n_outputs > kMlpMaxWidth)
    throw std::invalid_argument("train_mlp: n_outputs must be 1 (regression) or the number of classes, at most 256");
  if (cfg.hidden.empty() || cfg.hidden.size() > static_cast<std::size_t>(kMlpMaxHidden))
    throw std::invalid_argument("train_mlp: one or two hidden layers");
  for (int h : cfg.hidden)
    if (h < 1 || h > kMlpMaxWidth) throw std::invalid_argument("train_mlp: hidden width out of [1, 256]");
  if (train.cols < 1 || train.cols > static_cast<std::size_t>(kMlpMaxWidth))
    throw std::invalid_argument("train_mlp: input count out of [1, 256]");
  if (!(cfg.lr > 0) || !std::isfinite(cfg.lr) || !(cfg.l2 >= 0) || !std::isfinite(cfg.l2) ||
      cfg.epochs < 1 || cfg.batch < 1 || cfg.patience < 1)
    throw std::invalid_argument("train_mlp: lr > 0, l2 >= 0, epochs, batch, patience >= 1");
  if (train.rows() == 0) throw std::invalid_argument("train_mlp: no training rows");
  if (valid.rows() > 0 && valid.cols != train.cols)
    throw std::invalid_argument("train_mlp: validation rows have another column count");
  check_samples(train, "train");
  check_samples(valid, "valid");
  check_targets(train, n_outputs, "train");
  check_targets(valid, n_outputs, "valid");

  Mlp m;
  const std::size_t n = train.rows(), d = train.cols;
  m.n_in_ = static_cast<int>(d);
  m.n_out_ = n_outputs;
  m.act_ = cfg.activation;

  // Standardization from the training rows' finite values (a constant or empty column gets
  // scale 0: it carries no information, so it must not blow up).
  m.mean_.assign(d, 0.0);
  m.inv_sd_.assign(d, 0.0);
  for (std::size_t j = 0; j < d; ++j) {
    double s = 0, s2 = 0;
    std::size_t c = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double v = train.x[i * d + j];
      if (!std::isfinite(v)) continue;
      s += v;
      ++c;
    }
    double mu = c ? s / static_cast<double>(c) : 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      double v = train.x[i * d + j];
      if (std::isfinite(v)) s2 += (v - mu) * (v - mu);
    }
    double sd = c ? std::sqrt(s2 / static_cast<double>(c)) : 0.0;
    m.mean_[j] = mu;
    m.inv_sd_[j] = sd > 1e-12 * (1.0 + std::fabs(mu)) ? 1.0 / sd : 0.0;
  }
  if (n_outputs == 1) {
    double s = 0, s2 = 0;
    for (float y : train.y) s += y;
    m.y_mean_ = s / static_cast<double>(n);
    for (float y : train.y) s2 += (y - m.y_mean_) * (y - m.y_mean_);
    double sd = std::sqrt(s2 / static_cast<double>(n));
    m.y_sd_ = sd > 1e-12 * (1.0 + std::fabs(m.y_mean_)) ? sd : 1.0;
  }

  // Layers; weights uniform with He (ReLU) or Glorot (tanh, and the output layer) bounds.
  Rng rng(cfg.seed);
  std::vector<int> widths{m.n_in_};
  widths.insert(widths.end(), cfg.hidden.begin(), cfg.hidden.end());
  widths.push_back(n_outputs);
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    Mlp::Layer ly;
    ly.in = widths[l];
    ly.out = widths[l + 1];
    bool output = l + 2 == widths.size();
    double lim = (cfg.activation == MlpActivation::Relu && !output) ? std::sqrt(6.0 / ly.in)
                                                                     : std::sqrt(6.0 / (ly.in + ly.out));
    ly.w.resize(static_cast<std::size_t>(ly.in) * static_cast<std::size_t>(ly.out));
    for (double& w : ly.w) w = (2.0 * rng.uniform() - 1.0) * lim;
    ly.b.assign(static_cast<std::size_t>(ly.out), 0.0);
    m.layers_.push_back(std::move(ly));
  }

  const RowMat X = standardize(train, m.mean_, m.inv_sd_);
  const RowMat XV = standardize(valid, m.mean_, m.inv_sd_);
  const std::vector<double> T = targets(m, train, m.y_mean_, m.y_sd_);
  const std::vector<double> TV = targets(m, valid, m.y_mean_, m.y_sd_);

  std::vector<double> theta = m.parameters();
  const std::size_t P = theta.size();
  std::vector<double> g(P), am(P, 0.0), av(P, 0.0), best = theta;
  constexpr double kB1 = 0.9, kB2 = 0.999, kEps = 1e-8;
  double b1t = 1, b2t = 1;
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  const std::size_t bs = std::min<std::size_t>(static_cast<std::size_t>(cfg.batch), n);
  RowMat Xb;
  std::vector<double> tb;
  double best_valid = std::numeric_limits<double>::infinity();
  int best_epoch = -1, wait = 0, epoch = 0;
  MlpTrainInfo local;
  MlpTrainInfo& inf = info ? *info : local;
  inf = MlpTrainInfo{};

  for (epoch = 0; epoch < cfg.epochs; ++epoch) {
    for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    double epoch_loss = 0;
    for (std::size_t start = 0; start < n; start += bs) {
      const std::size_t end = std::min(n, start + bs);
      Xb.resize(static_cast<Eigen::Index>(end - start), static_cast<Eigen::Index>(d));
      tb.resize(end - start);
      for (std::size_t i = start; i < end; ++i) {
        Xb.row(static_cast<Eigen::Index>(i - start)) = X.row(static_cast<Eigen::Index>(order[i]));
        tb[i - start] = T[order[i]];
      }
      epoch_loss += (batch_loss(m, Xb, tb, cfg.l2, g.data()) - l2_penalty(m, cfg.l2)) * static_cast<double>(end - start);
      b1t *= kB1;
      b2t *= kB2;
      for (std::size_t p = 0; p < P; ++p) {
        am[p] = kB1 * am[p] + (1 - kB1) * g[p];
        av[p] = kB2 * av[p] + (1 - kB2) * g[p] * g[p];
        theta[p] -= cfg.lr * (am[p] / (1 - b1t)) / (std::sqrt(av[p] / (1 - b2t)) + kEps);
      }
      m.set_parameters(theta);
    }
    // The batches' losses as they were met: a pass over every training row only for this
    // report cost a third of the training time on a day's rows.
    inf.train_loss.push_back(epoch_loss / static_cast<double>(n));
    if (valid.rows() == 0) continue;
    double vl = batch_loss(m, XV, TV, 0.0, nullptr);
    inf.valid_loss.push_back(vl);
    if (vl < best_valid) {  // strictly better: ties keep the earlier (smaller-step) weights
      best_valid = vl;
      best_epoch = epoch;
      best = theta;
      wait = 0;
    } else if (++wait >= cfg.patience) {
      ++epoch;
      break;
    }
  }
  inf.epochs_run = epoch;
  inf.best_epoch = best_epoch;
  if (valid.rows() > 0 && best_epoch >= 0) m.set_parameters(best);
  for (const auto& ly : m.layers_)
    for (double w : ly.w)
      if (!std::isfinite(w)) throw std::runtime_error("train_mlp: training diverged (non-finite weights); lower lr");
  return m;
}

// ---------------------------------------------------------------------------------------------
// Hot path: one row, stack buffers, plain loops.

void Mlp::forward(const float* row, double* z) const noexcept {
  double buf[2][kMlpMaxWidth];
  double* cur = buf[0];
  double* nxt = buf[1];
  for (int j = 0; j < n_in_; ++j) {
    double v = row[j];
    cur[j] = std::isfinite(v) ? (v - mean_[static_cast<std::size_t>(j)]) * inv_sd_[static_cast<std::size_t>(j)] : 0.0;
  }
  const std::size_t L = layers_.size();
  for (std::size_t l = 0; l < L; ++l) {
    const Layer& ly = layers_[l];
    const bool last = l + 1 == L;
    double* dst = last ? z : nxt;
    const double* w = ly.w.data();
    for (int o = 0; o < ly.out; ++o) {
      double s = ly.b[static_cast<std::size_t>(o)];
      const double* wr = w + static_cast<std::size_t>(o) * static_cast<std::size_t>(ly.in);
      for (int i = 0; i < ly.in; ++i) s += wr[i] * cur[i];
      dst[o] = last ? s : activate(act_, s);
    }
    std::swap(cur, nxt);
  }
}

void Mlp::logits(const float* row, double* out) const noexcept { forward(row, out); }

void Mlp::predict(const float* row, double* out) const noexcept {
  forward(row, out);
  if (n_out_ < 2) {
    if (n_out_ == 1) out[0] = y_mean_ + y_sd_ * out[0];
    return;
  }
  double mx = out[0];
  for (int c = 1; c < n_out_; ++c) mx = std::max(mx, out[c]);
  double s = 0;
  for (int c = 0; c < n_out_; ++c) s += (out[c] = std::exp(out[c] - mx));
  for (int c = 0; c < n_out_; ++c) out[c] /= s;
}

void Mlp::predict(const float* row, float* out) const noexcept {
  double o[kMlpMaxWidth];
  predict(row, o);
  for (int c = 0; c < n_out_; ++c) out[c] = static_cast<float>(o[c]);
}

std::vector<double> Mlp::parameters() const {
  std::vector<double> p;
  for (const auto& ly : layers_) {
    p.insert(p.end(), ly.w.begin(), ly.w.end());
    p.insert(p.end(), ly.b.begin(), ly.b.end());
  }
  return p;
}

void Mlp::set_parameters(std::span<const double> p) {
  std::size_t total = 0;
  for (const auto& ly : layers_) total += ly.w.size() + ly.b.size();
  if (p.size() != total) throw std::invalid_argument("Mlp::set_parameters: size mismatch");
  std::size_t o = 0;
  for (auto& ly : layers_) {
    std::copy(p.begin() + static_cast<std::ptrdiff_t>(o), p.begin() + static_cast<std::ptrdiff_t>(o + ly.w.size()), ly.w.begin());
    o += ly.w.size();
    std::copy(p.begin() + static_cast<std::ptrdiff_t>(o), p.begin() + static_cast<std::ptrdiff_t>(o + ly.b.size()), ly.b.begin());
    o += ly.b.size();
  }
}

// ---------------------------------------------------------------------------------------------
// Text format:
//   hftd-mlp 1 inputs D outputs K activation relu|tanh target MEAN SD
//   mean D numbers  scale D numbers  layers L
//   layer IN OUT w IN*OUT numbers b OUT numbers   (L times)   end

std::string Mlp::to_text() const {
  using text::put;
  std::string s;
  put(s, "hftd-mlp");
  put(s, 1LL);
  put(s, "inputs");
  put(s, static_cast<long long>(n_in_));
  put(s, "outputs");
  put(s, static_cast<long long>(n_out_));
  put(s, "activation");
  put(s, act_ == MlpActivation::Relu ? "relu" : "tanh");
  put(s, "target");
  put(s, y_mean_);
  put(s, y_sd_);
  s += "\nmean ";
  text::put_all(s, mean_);
  s += "\nscale ";
  text::put_all(s, inv_sd_);
  s += "\nlayers ";
  put(s, static_cast<long long>(layers_.size()));
  for (const auto& ly : layers_) {
    s += "\nlayer ";
    put(s, static_cast<long long>(ly.in));
    put(s, static_cast<long long>(ly.out));
    s += "\nw ";
    text::put_all(s, ly.w);
    s += "\nb ";
    text::put_all(s, ly.b);
  }
  s += "\nend\n";
  return s;
}

Mlp Mlp::from_text(std::string_view t) {
  text::Reader r(t, "mlp");
  r.expect("hftd-mlp");
  if (r.integer(0, 1 << 30, "version") != 1) r.fail("unsupported version");
  Mlp m;
  r.expect("inputs");
  m.n_in_ = static_cast<int>(r.integer(1, kMlpMaxWidth, "inputs"));
  r.expect("outputs");
  m.n_out_ = static_cast<int>(r.integer(1, kMlpMaxWidth, "outputs"));
  r.expect("activation");
  std::string_view a = r.token();
  if (a == "relu")
    m.act_ = MlpActivation::Relu;
  else if (a == "tanh")
    m.act_ = MlpActivation::Tanh;
  else
    r.fail("unknown activation '" + std::string(a) + "'");
  r.expect("target");
  m.y_mean_ = r.number("target mean");
  m.y_sd_ = r.number("target sd");
  if (!(m.y_sd_ > 0)) r.fail("target sd must be > 0");
  r.expect("mean");
  m.mean_.resize(static_cast<std::size_t>(m.n_in_));
  r.numbers(m.mean_, "mean");
  r.expect("scale");
  m.inv_sd_.resize(static_cast<std::size_t>(m.n_in_));
  r.numbers(m.inv_sd_, "scale");
  for (double v : m.inv_sd_)
    if (v < 0) r.fail("negative input scale");
  r.expect("layers");
  const auto L = r.integer(2, kMlpMaxHidden + 1, "layers");
  int prev = m.n_in_;
  for (long long l = 0; l < L; ++l) {
    Layer ly;
    r.expect("layer");
    ly.in = static_cast<int>(r.integer(1, kMlpMaxWidth, "layer inputs"));
    ly.out = static_cast<int>(r.integer(1, kMlpMaxWidth, "layer outputs"));
    if (ly.in != prev)
      r.fail("layer " + std::to_string(l) + " has " + std::to_string(ly.in) + " inputs, previous width is " +
             std::to_string(prev));
    prev = ly.out;
    r.expect("w");
    ly.w.resize(static_cast<std::size_t>(ly.in) * static_cast<std::size_t>(ly.out));
    r.numbers(ly.w, "weight");
    r.expect("b");
    ly.b.resize(static_cast<std::size_t>(ly.out));
    r.numbers(ly.b, "bias");
    m.layers_.push_back(std::move(ly));
  }
  if (prev != m.n_out_)
    r.fail("last layer has " + std::to_string(prev) + " outputs, header says " + std::to_string(m.n_out_));
  r.end();
  return m;
}

}  // namespace hft::model
