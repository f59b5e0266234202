#include "hft/model/calibration.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/test_rng.hpp"

namespace {

using hft::model::Calibrator;
using hft::model::PlattScaling;
using hft::model::ScoreKind;

using hft::testing::TestRng;

// n rows of 3 true logits, labels drawn from softmax(true logits); the scores handed to the
// calibration are factor * true logits (factor > 1: overconfident).
struct Synthetic {
  std::vector<float> scores;
  std::vector<float> y;
};
Synthetic make(std::size_t n, double factor, std::uint64_t seed, const double* bias = nullptr) {
  TestRng r(seed);
  Synthetic s;
  for (std::size_t i = 0; i < n; ++i) {
    double z[3], p[3], sum = 0;
    for (int c = 0; c < 3; ++c) {
      z[c] = 1.2 * r.normal() + (bias ? bias[c] : 0.0);
      sum += (p[c] = std::exp(z[c]));
    }
    double u = r.uniform() * sum, acc = 0;
    int y = 2;
    for (int c = 0; c < 3; ++c)
      if ((acc += p[c]) > u) {
        y = c;
        break;
      }
    for (double v : z) s.scores.push_back(static_cast<float>(factor * v));
    s.y.push_back(static_cast<float>(y));
  }
  return s;
}

// The NLL computed here: mean of -log softmax(scores / T)[y], blended with a prior by w.
double nll_here(const Synthetic& s, double T, double w = 0, const std::vector<double>& prior = {}) {
  double sum = 0;
  for (std::size_t i = 0; i < s.y.size(); ++i) {
    const float* z = s.scores.data() + i * 3;
    double mx = std::max({z[0], z[1], z[2]}) / T, e = 0;
    for (int c = 0; c < 3; ++c) e += std::exp(z[c] / T - mx);
    auto yi = static_cast<std::size_t>(s.y[i]);
    double p = std::exp(z[yi] / T - mx) / e;
    if (w > 0) p = (1 - w) * p + w * prior[yi];
    sum -= std::log(p);
  }
  return sum / static_cast<double>(s.y.size());
}

// Brute force: a grid over log T, then two finer grids around the best point.
double grid_temperature(const Synthetic& s, double lo, double hi) {
  double a = std::log(lo), b = std::log(hi), best = a;
  for (int level = 0; level < 4; ++level) {
    const int pts = 60;
    double step = (b - a) / pts, best_f = INFINITY;
    for (int i = 0; i <= pts; ++i) {
      double u = a + i * step, f = nll_here(s, std::exp(u));
      if (f < best_f) best_f = f, best = u;
    }
    a = std::max(a, best - step);
    b = std::min(b, best + step);
  }
  return std::exp(best);
}

TEST(Calibration, TemperatureOfOverconfidentLogits) {
  Synthetic s = make(800, 3.0, 1);
  double T = hft::model::fit_temperature(s.scores, s.y, 3, ScoreKind::Logits);
  EXPECT_GT(T, 1.5);  // about 3: the factor the logits were inflated by
  EXPECT_NEAR(T, 3.0, 0.6);
  EXPECT_LT(nll_here(s, T), nll_here(s, 1.0) - 0.05);
  EXPECT_NEAR(T, grid_temperature(s, 0.05, 20), 1e-3);
  EXPECT_NEAR(hft::model::calibration_nll(s.scores, s.y, 3, ScoreKind::Logits, T), nll_here(s, T), 1e-12);
  // The same scores given as probabilities (their logs are the logits up to a row constant).
  std::vector<float> probs(s.scores.size());
  for (std::size_t i = 0; i < s.y.size(); ++i) {
    double e = 0;
    for (int c = 0; c < 3; ++c) e += std::exp(static_cast<double>(s.scores[i * 3 + c]));
    for (int c = 0; c < 3; ++c) probs[i * 3 + c] = static_cast<float>(std::exp(static_cast<double>(s.scores[i * 3 + c])) / e);
  }
  double Tp = hft::model::fit_temperature(probs, s.y, 3, ScoreKind::Probabilities);
  EXPECT_NEAR(Tp, T, 1e-3);
}

TEST(Calibration, TemperatureNeverWorseThanOne) {
  // Calibrated, underconfident, and a bracket that stops short of the optimum.
  struct Case {
    double factor, t_min, t_max;
  } cases[] = {{1.0, 0.05, 20}, {0.4, 0.05, 20}, {3.0, 0.05, 1.5}, {3.0, 0.2, 0.9}, {0.4, 1.2, 20}};
  for (const auto& c : cases) {
    Synthetic s = make(500, c.factor, 2);
    double T = hft::model::fit_temperature(s.scores, s.y, 3, ScoreKind::Logits, c.t_min, c.t_max);
    EXPECT_LE(nll_here(s, T), nll_here(s, 1.0)) << c.factor << " " << c.t_min << " " << c.t_max;
    EXPECT_GT(T, 0);
  }
  Synthetic under = make(500, 0.4, 3);
  EXPECT_LT(hft::model::fit_temperature(under.scores, under.y, 3, ScoreKind::Logits), 0.7);
  // A bracket without a better point than T = 1 returns exactly 1.
  Synthetic over = make(500, 3.0, 4);
  EXPECT_EQ(hft::model::fit_temperature(over.scores, over.y, 3, ScoreKind::Logits, 0.2, 0.9), 1.0);
}

TEST(Calibration, PriorFloorNeverWorseThanTheFrequencies) {
  // Training labels skewed towards class 2. The model's validation scores are its true logits
  // plus twice as much confident noise, and the temperature bracket is too narrow to flatten
  // them: the blend has to do the rest (an interior weight).
  const double bias[3] = {-0.5, 0.0, 1.0};
  Synthetic train = make(1000, 1.0, 5, bias);
  std::vector<double> prior = hft::model::class_frequencies(train.y, 3);
  ASSERT_NEAR(prior[0] + prior[1] + prior[2], 1.0, 1e-12);
  Synthetic valid = make(600, 1.0, 6, bias);
  Synthetic noise = make(600, 2.0, 7);
  for (std::size_t i = 0; i < valid.scores.size(); ++i) valid.scores[i] = 3 * (valid.scores[i] + noise.scores[i]);
  hft::model::CalibrationOptions opt;
  opt.t_max = 1.5;
  Calibrator cal = hft::model::fit_calibrator(valid.scores, valid.y, 3, ScoreKind::Logits, prior, opt);
  EXPECT_GT(cal.prior_weight, 0.05);
  EXPECT_LT(cal.prior_weight, 0.95);
  double with = nll_here(valid, cal.temperature, cal.prior_weight, prior);
  double freq = 0;
  for (float y : valid.y) freq -= std::log(prior[static_cast<std::size_t>(y)]);
  freq /= static_cast<double>(valid.y.size());
  EXPECT_LE(with, freq + 1e-12);
  EXPECT_LT(with, nll_here(valid, cal.temperature));
  // The fitted weight against a grid over w in [0, 1] computed here.
  // (Steps of 1e-3, then 1e-5 around the best step.)
  double best_w = 0, best_f = INFINITY;
  for (int i = 0; i <= 1000; ++i) {
    double w = i / 1000.0, f = nll_here(valid, cal.temperature, w, prior);
    if (f < best_f) best_f = f, best_w = w;
  }
  const double centre = best_w;
  for (int i = -100; i <= 100; ++i) {
    double w = centre + i * 1e-5;
    if (w < 0 || w > 1) continue;
    if (double f = nll_here(valid, cal.temperature, w, prior); f < best_f) best_f = f, best_w = w;
  }
  EXPECT_NEAR(cal.prior_weight, best_w, 2e-5);
  // Pure noise scores: the blend goes all the way to the frequencies (w = 1, an end point).
  Synthetic pure = make(600, 1.0, 9, bias);
  pure.scores = make(600, 4.0, 10).scores;
  Calibrator cp = hft::model::fit_calibrator(pure.scores, pure.y, 3, ScoreKind::Logits, prior, opt);
  double pure_freq = 0;
  for (float y : pure.y) pure_freq -= std::log(prior[static_cast<std::size_t>(y)]);
  pure_freq /= static_cast<double>(pure.y.size());
  EXPECT_GT(cp.prior_weight, 0.9);
  EXPECT_LE(nll_here(pure, cp.temperature, cp.prior_weight, prior), pure_freq + 1e-12);
  // A good model keeps a small weight, and is still no worse than the frequencies.
  Synthetic good = make(600, 1.0, 8, bias);
  Calibrator cg = hft::model::fit_calibrator(good.scores, good.y, 3, ScoreKind::Logits, prior);
  EXPECT_LT(cg.prior_weight, 0.2);
  EXPECT_LE(nll_here(good, cg.temperature, cg.prior_weight, prior), nll_here(good, 1.0));
}

TEST(Calibration, ApplyMatchesTheFormula) {
  Calibrator c;
  c.k = 3;
  c.temperature = 2.0;
  c.prior_weight = 0.25;
  c.prior = {0.2, 0.3, 0.5};
  float row[3] = {1.0f, -0.5f, 2.0f};
  double e[3], sum = 0;
  for (int i = 0; i < 3; ++i) sum += (e[i] = std::exp(row[i] / 2.0));
  c.apply(row, 3);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(row[i], 0.75 * e[i] / sum + 0.25 * c.prior[static_cast<std::size_t>(i)], 1e-7);
  float untouched[2] = {1.f, 2.f};
  c.apply(untouched, 2);  // wrong width: left as it is
  EXPECT_EQ(untouched[0], 1.f);
  EXPECT_EQ(untouched[1], 2.f);
  // Probabilities in: floor 1e-15 on the logs; T = 1, w = 0 leaves them as they are.
  Calibrator id;
  id.k = 3;
  id.input = ScoreKind::Probabilities;
  float p[3] = {0.2f, 0.0f, 0.8f};
  id.apply(p, 3);
  EXPECT_NEAR(p[0], 0.2, 1e-7);
  EXPECT_NEAR(p[1], 0.0, 1e-7);
  EXPECT_NEAR(p[2], 0.8, 1e-7);
}

TEST(Calibration, TextRoundTripAndGarbage) {
  Calibrator c;
  c.k = 3;
  c.input = ScoreKind::Probabilities;
  c.temperature = 1.2345678901234567;
  c.prior_weight = 0.1;
  c.prior = {0.25, 0.25, 0.5};
  std::string t = c.to_text();
  Calibrator b = Calibrator::from_text(t);
  EXPECT_EQ(b.to_text(), t);
  EXPECT_EQ(b.temperature, c.temperature);
  EXPECT_EQ(b.prior, c.prior);
  EXPECT_EQ(b.input, c.input);
  for (std::size_t n = 0; n + 1 < t.size(); ++n)
    EXPECT_THROW(Calibrator::from_text(std::string_view(t).substr(0, n)), std::runtime_error) << n;
  EXPECT_THROW(Calibrator::from_text("hftd-calibrator 1 classes 3 input logits temperature 0 prior_weight 0 prior 0 end"),
               std::runtime_error);
  EXPECT_THROW(Calibrator::from_text("hftd-calibrator 1 classes 3 input logits temperature 1 prior_weight 0.5 prior 0 end"),
               std::runtime_error);
  EXPECT_THROW(Calibrator::from_text("hftd-calibrator 1 classes 3 input odds temperature 1 prior_weight 0 prior 0 end"),
               std::runtime_error);
  EXPECT_THROW(Calibrator::from_text("hftd-calibrator 1 classes 3 input logits temperature nan prior_weight 0 prior 0 end"),
               std::runtime_error);
  PlattScaling p{1.5, -0.25};
  PlattScaling pb = PlattScaling::from_text(p.to_text());
  EXPECT_EQ(pb.a, p.a);
  EXPECT_EQ(pb.b, p.b);
  EXPECT_THROW(PlattScaling::from_text("hftd-platt 1 a 1"), std::runtime_error);
  EXPECT_THROW(PlattScaling::from_text("hftd-platt 1 a 1 b 2 end x"), std::runtime_error);
  // Bad fit inputs.
  std::vector<float> sc{1, 2, 3}, y{0};
  EXPECT_THROW(hft::model::fit_temperature(sc, y, 2, ScoreKind::Logits), std::invalid_argument);
  std::vector<float> y3{3};
  EXPECT_THROW(hft::model::fit_temperature(sc, y3, 3, ScoreKind::Logits), std::invalid_argument);
  EXPECT_THROW(hft::model::fit_temperature({}, {}, 3, ScoreKind::Logits), std::invalid_argument);
}

TEST(Calibration, PlattFitsABinaryScore) {
  TestRng r(9);
  std::vector<float> s, y;
  for (int i = 0; i < 2000; ++i) {
    double v = r.normal();
    s.push_back(static_cast<float>(v));
    y.push_back(r.uniform() < 1 / (1 + std::exp(-(2 * v - 0.5))) ? 1.f : 0.f);
  }
  PlattScaling p = hft::model::fit_platt(s, y);
  EXPECT_NEAR(p.a, 2.0, 0.25);
  EXPECT_NEAR(p.b, -0.5, 0.15);
  // First-order condition of Platt's objective with smoothed targets, computed here.
  double np = 0, nn = 0;
  for (float v : y) (v == 1 ? np : nn) += 1;
  double tp = (np + 1) / (np + 2), tn = 1 / (nn + 2), ga = 0, gb = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    double q = 1 / (1 + std::exp(-(p.a * s[i] + p.b))), t = y[i] == 1 ? tp : tn;
    ga += (q - t) * s[i] / s.size();
    gb += (q - t) / s.size();
  }
  EXPECT_LT(std::fabs(ga), 1e-9);
  EXPECT_LT(std::fabs(gb), 1e-9);
  float buf[2] = {0.f, 1.f};
  p.apply(buf, 2);
  EXPECT_NEAR(buf[0], 1 / (1 + std::exp(-p.b)), 1e-7);
  EXPECT_NEAR(buf[1], 1 / (1 + std::exp(-(p.a + p.b))), 1e-7);
  // Separable scores: the smoothed targets keep a and b finite.
  std::vector<float> ss{-2, -1, 1, 2}, ys{0, 0, 1, 1};
  PlattScaling sep = hft::model::fit_platt(ss, ys);
  EXPECT_TRUE(std::isfinite(sep.a) && std::isfinite(sep.b));
  EXPECT_GT(sep.a, 0);
  EXPECT_THROW(hft::model::fit_platt(ss, std::vector<float>{0, 0, 2, 1}), std::invalid_argument);
}

}  // namespace
