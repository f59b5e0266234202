#include "hft/learn/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace hft::learn {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void put_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.6g", v);
  out.append(buf, static_cast<std::size_t>(n));
}

void put_key(std::string& out, const char* key) {
  out += '"';
  out += key;
  out += "\":";
}

}  // namespace

Metrics classification_metrics(std::span<const float> probs, std::span<const float> y, int k) {
  if (k < 1) throw std::invalid_argument("classification_metrics: k must be >= 1");
  const auto ku = static_cast<std::size_t>(k);
  if (probs.size() != y.size() * ku)
    throw std::invalid_argument("classification_metrics: probs must hold rows * k values (" +
                                std::to_string(probs.size()) + " for " + std::to_string(y.size()) + " rows)");
  for (float v : y)
    if (!(v >= 0 && v < static_cast<float>(k) && v == std::floor(v)))
      throw std::invalid_argument("classification_metrics: label " + std::to_string(v) + " is not in [0, k)");

  Metrics m;
  m.k = k;
  m.rows = y.size();
  m.confusion.assign(ku * ku, 0);
  m.f1.assign(ku, 0.0);
  const std::size_t n = m.rows;
  std::array<double, 10> conf_sum{}, hit_sum{};
  double correct = 0, ll = 0, brier = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float* p = probs.data() + i * ku;
    const auto yi = static_cast<std::size_t>(y[i]);
    std::size_t arg = 0;
    for (std::size_t c = 1; c < ku; ++c)
      if (p[c] > p[arg]) arg = c;
    ++m.confusion[yi * ku + arg];
    const bool hit = arg == yi;
    correct += hit;
    // Log-loss as sklearn: clip to [1e-15, 1], renormalize the row.
    double sum = 0;
    for (std::size_t c = 0; c < ku; ++c) sum += std::clamp(static_cast<double>(p[c]), 1e-15, 1.0);
    ll -= std::log(std::clamp(static_cast<double>(p[yi]), 1e-15, 1.0) / sum);
    for (std::size_t c = 0; c < ku; ++c) {
      double e = p[c] - (c == yi ? 1.0 : 0.0);
      brier += e * e;
    }
    const double conf = p[arg];
    auto b = static_cast<std::size_t>(std::clamp(std::floor(conf * 10.0), 0.0, 9.0));
    ++m.reliability[b].count;
    conf_sum[b] += conf;
    hit_sum[b] += hit;
  }
  if (n == 0) {
    m.accuracy = m.macro_f1 = m.log_loss = m.brier = m.ece = kNaN;
    for (auto& b : m.reliability) b.mean_confidence = b.accuracy = kNaN;
    return m;
  }
  const double nd = static_cast<double>(n);
  m.accuracy = correct / nd;
  m.log_loss = ll / nd;
  m.brier = brier / nd;
  double f1_sum = 0;
  for (std::size_t c = 0; c < ku; ++c) {
    double tp = static_cast<double>(m.confusion[c * ku + c]), fp = 0, fn = 0;
    for (std::size_t o = 0; o < ku; ++o) {
      if (o == c) continue;
      fp += static_cast<double>(m.confusion[o * ku + c]);
      fn += static_cast<double>(m.confusion[c * ku + o]);
    }
    const double den = 2 * tp + fp + fn;
    m.f1[c] = den > 0 ? 2 * tp / den : 0.0;  // zero_division: 0 (sklearn's default)
    f1_sum += m.f1[c];
  }
  m.macro_f1 = f1_sum / static_cast<double>(k);
  double ece = 0;
  for (std::size_t b = 0; b < 10; ++b) {
    auto& bin = m.reliability[b];
    if (bin.count == 0) {
      bin.mean_confidence = bin.accuracy = kNaN;
      continue;
    }
    const double cnt = static_cast<double>(bin.count);
    bin.mean_confidence = conf_sum[b] / cnt;
    bin.accuracy = hit_sum[b] / cnt;
    ece += cnt / nd * std::fabs(bin.accuracy - bin.mean_confidence);
  }
  m.ece = ece;
  return m;
}

void Metrics::to_json(std::string& out) const {
  out += '{';
  put_key(out, "rows");
  out += std::to_string(rows);
  out += ',';
  put_key(out, "k");
  out += std::to_string(k);
  const std::pair<const char*, double> scalars[] = {
      {"accuracy", accuracy}, {"macro_f1", macro_f1}, {"log_loss", log_loss}, {"brier", brier}, {"ece", ece}};
  for (const auto& [key, v] : scalars) {
    out += ',';
    put_key(out, key);
    put_number(out, v);
  }
  out += ',';
  put_key(out, "f1");
  out += '[';
  for (std::size_t c = 0; c < f1.size(); ++c) {
    if (c) out += ',';
    put_number(out, f1[c]);
  }
  out += "],";
  put_key(out, "confusion");
  out += '[';
  const auto ku = static_cast<std::size_t>(k);
  for (std::size_t r = 0; r < ku; ++r) {
    out += r ? ",[" : "[";
    for (std::size_t c = 0; c < ku; ++c) {
      if (c) out += ',';
      out += std::to_string(confusion[r * ku + c]);
    }
    out += ']';
  }
  out += "],";
  put_key(out, "reliability");
  out += '[';
  for (std::size_t b = 0; b < reliability.size(); ++b) {
    if (b) out += ',';
    out += "{\"lo\":";
    put_number(out, static_cast<double>(b) / 10.0);
    out += ",\"hi\":";
    put_number(out, static_cast<double>(b + 1) / 10.0);
    out += ",\"count\":";
    out += std::to_string(reliability[b].count);
    out += ",\"confidence\":";
    put_number(out, reliability[b].mean_confidence);
    out += ",\"accuracy\":";
    put_number(out, reliability[b].accuracy);
    out += '}';
  }
  out += "]}";
}

RegressionMetrics regression_metrics(std::span<const float> pred, std::span<const float> y) {
  if (pred.size() != y.size()) throw std::invalid_argument("regression_metrics: pred and y differ in size");
  RegressionMetrics m;
  m.rows = y.size();
  if (m.rows == 0) {
    m.rmse = m.mae = m.r2 = m.hit_rate = kNaN;
    return m;
  }
  const double nd = static_cast<double>(m.rows);
  double se = 0, ae = 0, ymean = 0, hits = 0;
  for (float v : y) ymean += v;
  ymean /= nd;
  double sst = 0;
  for (std::size_t i = 0; i < m.rows; ++i) {
    double e = static_cast<double>(pred[i]) - y[i];
    se += e * e;
    ae += std::fabs(e);
    sst += (y[i] - ymean) * (y[i] - ymean);
    if (y[i] != 0) {
      ++m.hit_rows;
      hits += static_cast<double>(pred[i]) * y[i] > 0;
    }
  }
  m.rmse = std::sqrt(se / nd);
  m.mae = ae / nd;
  m.r2 = sst > 0 ? 1 - se / sst : (se == 0 ? 1.0 : 0.0);
  m.hit_rate = m.hit_rows ? hits / static_cast<double>(m.hit_rows) : kNaN;
  return m;
}

void RegressionMetrics::to_json(std::string& out) const {
  out += '{';
  put_key(out, "rows");
  out += std::to_string(rows);
  const std::pair<const char*, double> scalars[] = {{"rmse", rmse}, {"mae", mae}, {"r2", r2}, {"hit_rate", hit_rate}};
  for (const auto& [key, v] : scalars) {
    out += ',';
    put_key(out, key);
    put_number(out, v);
  }
  out += ',';
  put_key(out, "hit_rows");
  out += std::to_string(hit_rows);
  out += '}';
}

}  // namespace hft::learn
