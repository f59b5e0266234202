#include "hft/model/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "text_io.hpp"

namespace hft::model {
namespace {

constexpr double kProbFloor = 1e-15;

// One row's calibrated probabilities (double) from k scores of type S.
template <class S>
void calibrate_row(const S* s, int k, ScoreKind kind, double inv_t, double w, const double* prior,
                   double* out) noexcept {
  double mx = -std::numeric_limits<double>::infinity();
  for (int c = 0; c < k; ++c) {
    double v = static_cast<double>(s[c]);
    if (kind == ScoreKind::Probabilities) v = std::log(v > kProbFloor ? v : kProbFloor);
    out[c] = v * inv_t;
    mx = std::max(mx, out[c]);
  }
  double sum = 0;
  for (int c = 0; c < k; ++c) sum += (out[c] = std::exp(out[c] - mx));
  for (int c = 0; c < k; ++c) {
    out[c] /= sum;
    if (w > 0) out[c] = (1 - w) * out[c] + w * prior[c];
  }
}

void check_inputs(std::span<const float> scores, std::span<const float> y, int k, const char* who) {
  if (k < 2 || k > kCalibrationMaxClasses)
    throw std::invalid_argument(std::string(who) + ": k must be in [2, 64]");
  if (y.empty()) throw std::invalid_argument(std::string(who) + ": no rows");
  if (scores.size() != y.size() * static_cast<std::size_t>(k))
    throw std::invalid_argument(std::string(who) + ": scores must hold rows * k values");
  for (float v : y)
    if (!(v >= 0 && v < static_cast<float>(k) && v == std::floor(v)))
      throw std::invalid_argument(std::string(who) + ": label " + std::to_string(v) + " is not a class index");
}

// Golden-section search for the minimum of a unimodal f on [lo, hi].
template <class F>
double golden_min(F&& f, double lo, double hi, double tol) {
  const double r = (std::sqrt(5.0) - 1) / 2;
  double a = lo, b = hi;
  double x1 = b - r * (b - a), x2 = a + r * (b - a);
  double f1 = f(x1), f2 = f(x2);
  while (b - a > tol) {
    if (f1 <= f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - r * (b - a);
      f1 = f(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + r * (b - a);
      f2 = f(x2);
    }
  }
  return f1 <= f2 ? x1 : x2;
}

}  // namespace

double calibration_nll(std::span<const float> scores, std::span<const float> y, int k, ScoreKind kind,
                       double temperature, double w, std::span<const double> prior) {
  check_inputs(scores, y, k, "calibration_nll");
  if (w > 0 && prior.size() != static_cast<std::size_t>(k))
    throw std::invalid_argument("calibration_nll: a prior weight needs k prior values");
  double p[kCalibrationMaxClasses];
  double nll = 0;
  const auto ku = static_cast<std::size_t>(k);
  for (std::size_t i = 0; i < y.size(); ++i) {
    calibrate_row(scores.data() + i * ku, k, kind, 1.0 / temperature, w, prior.data(), p);
    nll -= std::log(std::max(p[static_cast<std::size_t>(y[i])], 1e-300));
  }
  return nll / static_cast<double>(y.size());
}

double fit_temperature(std::span<const float> scores, std::span<const float> y, int k, ScoreKind kind,
                       double t_min, double t_max) {
  check_inputs(scores, y, k, "fit_temperature");
  if (!(t_min > 0) || !(t_max > t_min) || !std::isfinite(t_max))
    throw std::invalid_argument("fit_temperature: need 0 < t_min < t_max");
  auto f = [&](double u) { return calibration_nll(scores, y, k, kind, std::exp(u)); };
  double u = golden_min(f, std::log(t_min), std::log(t_max), 1e-7);
  double t = std::exp(u);
  // T = 1 (the scores as they are) whenever it is at least as good: the fit must not hurt.
  if (!(f(u) < calibration_nll(scores, y, k, kind, 1.0))) t = 1.0;
  return t;
}

std::vector<double> class_frequencies(std::span<const float> y, int k) {
  if (k < 1) throw std::invalid_argument("class_frequencies: k >= 1");
  std::vector<double> f(static_cast<std::size_t>(k), 0.0);
  std::size_t n = 0;
  for (float v : y)
    if (v >= 0 && v < static_cast<float>(k) && v == std::floor(v)) f[static_cast<std::size_t>(v)] += 1, ++n;
  if (n)
    for (double& x : f) x /= static_cast<double>(n);
  return f;
}

Calibrator fit_calibrator(std::span<const float> scores, std::span<const float> y, int k, ScoreKind kind,
                          std::span<const double> prior, const CalibrationOptions& opt) {
  Calibrator c;
  c.k = k;
  c.input = kind;
  c.temperature = fit_temperature(scores, y, k, kind, opt.t_min, opt.t_max);
  if (!opt.blend_with_prior || prior.empty()) return c;
  if (prior.size() != static_cast<std::size_t>(k))
    throw std::invalid_argument("fit_calibrator: the prior needs k values");
  for (double v : prior)
    if (!(v >= 0) || !std::isfinite(v)) throw std::invalid_argument("fit_calibrator: prior values must be >= 0");
  c.prior.assign(prior.begin(), prior.end());
  auto f = [&](double w) { return calibration_nll(scores, y, k, kind, c.temperature, w, prior); };
  double w = golden_min(f, 0.0, 1.0, 1e-7);
  // The ends explicitly: w = 1 is "predict the frequencies", the floor this blend guarantees.
  double best = f(w);
  for (double e : {0.0, 1.0})
    if (double fe = f(e); fe <= best) best = fe, w = e;
  c.prior_weight = w;
  return c;
}

void Calibrator::apply(double* s, int n) const noexcept {
  if (n != k || k < 1 || k > kCalibrationMaxClasses) return;
  double p[kCalibrationMaxClasses];
  const double w = prior.size() == static_cast<std::size_t>(k) ? prior_weight : 0.0;
  calibrate_row(s, k, input, 1.0 / temperature, w, prior.data(), p);
  for (int c = 0; c < k; ++c) s[c] = p[c];
}

void Calibrator::apply(float* s, int n) const noexcept {
  if (n != k || k < 1 || k > kCalibrationMaxClasses) return;
  double p[kCalibrationMaxClasses];
  const double w = prior.size() == static_cast<std::size_t>(k) ? prior_weight : 0.0;
  calibrate_row(s, k, input, 1.0 / temperature, w, prior.data(), p);
  for (int c = 0; c < k; ++c) s[c] = static_cast<float>(p[c]);
}

// Text: hftd-calibrator 1 classes K input logits|probabilities temperature T prior_weight W
//       prior N (0 or K values) end
std::string Calibrator::to_text() const {
  using text::put;
  std::string s;
  put(s, "hftd-calibrator");
  put(s, 1LL);
  put(s, "classes");
  put(s, static_cast<long long>(k));
  put(s, "input");
  put(s, input == ScoreKind::Logits ? "logits" : "probabilities");
  put(s, "temperature");
  put(s, temperature);
  put(s, "prior_weight");
  put(s, prior_weight);
  put(s, "prior");
  put(s, static_cast<long long>(prior.size()));
  text::put_all(s, prior);
  s += "\nend\n";
  return s;
}

Calibrator Calibrator::from_text(std::string_view t) {
  text::Reader r(t, "calibrator");
  r.expect("hftd-calibrator");
  if (r.integer(0, 1 << 30, "version") != 1) r.fail("unsupported version");
  Calibrator c;
  r.expect("classes");
  c.k = static_cast<int>(r.integer(2, kCalibrationMaxClasses, "classes"));
  r.expect("input");
  std::string_view in = r.token();
  if (in == "logits")
    c.input = ScoreKind::Logits;
  else if (in == "probabilities")
    c.input = ScoreKind::Probabilities;
  else
    r.fail("unknown input kind '" + std::string(in) + "'");
  r.expect("temperature");
  c.temperature = r.number("temperature");
  if (!(c.temperature > 0)) r.fail("temperature must be > 0");
  r.expect("prior_weight");
  c.prior_weight = r.number("prior_weight");
  if (!(c.prior_weight >= 0 && c.prior_weight <= 1)) r.fail("prior_weight must be in [0, 1]");
  r.expect("prior");
  auto np = r.integer(0, c.k, "prior size");
  if (np != 0 && np != c.k) r.fail("prior must have 0 or k values");
  if (np == 0 && c.prior_weight > 0) r.fail("a prior weight without a prior");
  c.prior.resize(static_cast<std::size_t>(np));
  r.numbers(c.prior, "prior");
  for (double v : c.prior)
    if (v < 0) r.fail("negative prior");
  r.end();
  return c;
}

// ---------------------------------------------------------------------------------------------
// Platt scaling.

namespace {
double softplus(double f) noexcept { return f > 0 ? f + std::log1p(std::exp(-f)) : std::log1p(std::exp(f)); }
double sigmoid(double f) noexcept {
  if (f >= 0) return 1.0 / (1.0 + std::exp(-f));
  double e = std::exp(f);
  return e / (1.0 + e);
}
}  // namespace

double PlattScaling::probability(double s) const noexcept { return sigmoid(a * s + b); }

void PlattScaling::apply(float* s, std::size_t n) const noexcept {
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<float>(probability(s[i]));
}

PlattScaling fit_platt(std::span<const float> scores, std::span<const float> y) {
  if (scores.empty() || scores.size() != y.size())
    throw std::invalid_argument("fit_platt: need as many labels as scores, at least one");
  double np = 0, nn = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i] != 0 && y[i] != 1) throw std::invalid_argument("fit_platt: labels must be 0 or 1");
    if (!std::isfinite(scores[i])) throw std::invalid_argument("fit_platt: non-finite score");
    (y[i] == 1 ? np : nn) += 1;
  }
  const double tp = (np + 1) / (np + 2), tn = 1 / (nn + 2);
  const double inv_n = 1.0 / static_cast<double>(y.size());
  auto obj = [&](double a, double b, double* g, double* h) {
    double f = 0;
    if (g) g[0] = g[1] = 0, h[0] = h[1] = h[2] = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      double s = scores[i], t = y[i] == 1 ? tp : tn, z = a * s + b;
      f += softplus(z) - t * z;
      if (g) {
        double p = sigmoid(z), r = p - t, w = p * (1 - p);
        g[0] += r * s, g[1] += r;
        h[0] += w * s * s, h[1] += w * s, h[2] += w;
      }
    }
    if (g) g[0] *= inv_n, g[1] *= inv_n, h[0] *= inv_n, h[1] *= inv_n, h[2] *= inv_n;
    return f * inv_n;
  };
  PlattScaling m;
  m.a = 0;
  m.b = std::log((np + 1) / (nn + 1));
  double g[2], h[3];
  double f = obj(m.a, m.b, g, h);
  for (int it = 0; it < 100 && std::max(std::fabs(g[0]), std::fabs(g[1])) > 1e-12; ++it) {
    // 2x2 Newton solve; a tiny ridge keeps it defined when all scores are equal.
    double h00 = h[0] + 1e-12, h11 = h[2] + 1e-12, det = h00 * h11 - h[1] * h[1];
    double da = -(h11 * g[0] - h[1] * g[1]) / det, db = -(h00 * g[1] - h[1] * g[0]) / det;
    double slope = g[0] * da + g[1] * db;
    if (!(slope < 0)) da = -g[0], db = -g[1], slope = -(g[0] * g[0] + g[1] * g[1]);
    double t = 1, fn = f;
    for (int ls = 0; ls < 50; ++ls, t *= 0.5)
      if ((fn = obj(m.a + t * da, m.b + t * db, nullptr, nullptr)) <= f + 1e-4 * t * slope) break;
    if (!(fn <= f)) break;
    m.a += t * da;
    m.b += t * db;
    f = obj(m.a, m.b, g, h);
  }
  return m;
}

// Text: hftd-platt 1 a A b B end
std::string PlattScaling::to_text() const {
  using text::put;
  std::string s;
  put(s, "hftd-platt");
  put(s, 1LL);
  put(s, "a");
  put(s, a);
  put(s, "b");
  put(s, b);
  s += "\nend\n";
  return s;
}

PlattScaling PlattScaling::from_text(std::string_view t) {
  text::Reader r(t, "platt");
  r.expect("hftd-platt");
  if (r.integer(0, 1 << 30, "version") != 1) r.fail("unsupported version");
  PlattScaling p;
  r.expect("a");
  p.a = r.number("a");
  r.expect("b");
  p.b = r.number("b");
  r.end();
  return p;
}

}  // namespace hft::model
