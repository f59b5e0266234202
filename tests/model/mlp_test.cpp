#include "hft/model/mlp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "hft/learn/metrics.hpp"
#include "hft/model/calibration.hpp"
#include "hft/model/linear.hpp"

#include "../common/test_rng.hpp"

#include "../common/count_allocations.hpp"

namespace {

using hft::model::Mlp;
using hft::model::MlpActivation;
using hft::model::MlpConfig;
using hft::model::MlpTrainInfo;
using hft::model::Samples;

using hft::testing::TestRng;

// XOR-like: two inputs in [-1, 1] plus a noise input; class = sign of x1 * x2 (2 classes),
// or 3 classes: x1 * x2 below -0.1, between, above 0.1.
Samples xor_samples(std::size_t n, int classes, std::uint64_t seed) {
  TestRng r(seed);
  Samples s;
  s.cols = 3;
  s.names = {"x1", "x2", "noise"};
  for (std::size_t i = 0; i < n; ++i) {
    double a = r.sym(), b = r.sym(), c = r.sym();
    s.x.insert(s.x.end(), {static_cast<float>(a), static_cast<float>(b), static_cast<float>(c)});
    double p = a * b;
    float y = classes == 2 ? (p > 0 ? 1.f : 0.f) : (p < -0.1 ? 0.f : p > 0.1 ? 2.f : 1.f);
    s.y.push_back(y);
  }
  return s;
}

double accuracy_of(const Samples& s, int k, auto&& predict) {
  std::vector<float> probs(s.rows() * static_cast<std::size_t>(k));
  for (std::size_t i = 0; i < s.rows(); ++i) predict(s.row(i).data(), probs.data() + i * static_cast<std::size_t>(k));
  return hft::learn::classification_metrics(probs, s.y, k).accuracy;
}

TEST(Mlp, LearnsXorBetterThanLinear) {
  for (int k : {2, 3}) {
    Samples tr = xor_samples(400, k, 11), va = xor_samples(150, k, 12), te = xor_samples(400, k, 13);
    MlpConfig cfg;
    cfg.hidden = {12, 6};
    cfg.activation = MlpActivation::Tanh;
    cfg.lr = 0.03;
    cfg.epochs = 30;
    cfg.batch = 32;
    cfg.patience = 10;
    Mlp m = hft::model::train_mlp(tr, va, cfg, k);
    auto lin = hft::model::fit_logistic(tr, k, 1e-4);
    double acc_mlp = accuracy_of(te, k, [&](const float* r, float* o) { m.predict(r, o); });
    double acc_lin = accuracy_of(te, k, [&](const float* r, float* o) { lin.predict(r, o); });
    // The classes are not linearly separable: a linear model is near the majority rate.
    // (Seen: k = 2: 0.98 vs 0.54; k = 3: 0.94 vs 0.34.)
    EXPECT_GT(acc_mlp, 0.85) << k << ": mlp " << acc_mlp << ", linear " << acc_lin;
    EXPECT_LT(acc_lin, 0.65) << k << ": mlp " << acc_mlp << ", linear " << acc_lin;
    EXPECT_GT(acc_mlp, acc_lin + 0.25) << k;
  }
}

TEST(Mlp, RegressionLearnsASquare) {
  TestRng r(5);
  auto make = [&](std::size_t n) {
    Samples s;
    s.cols = 2;
    for (std::size_t i = 0; i < n; ++i) {
      double a = 3 * r.sym(), b = r.sym();
      s.x.insert(s.x.end(), {static_cast<float>(a), static_cast<float>(b)});
      s.y.push_back(static_cast<float>(100 + 10 * a * a + 0.5 * r.sym()));  // scale far from 1
    }
    return s;
  };
  Samples tr = make(400), va = make(100), te = make(300);
  MlpConfig cfg;
  cfg.hidden = {16};
  cfg.lr = 0.02;
  cfg.epochs = 60;
  cfg.batch = 32;
  cfg.patience = 10;
  Mlp m = hft::model::train_mlp(tr, va, cfg, 1);
  EXPECT_FALSE(m.classification());
  std::vector<float> pred(te.rows());
  for (std::size_t i = 0; i < te.rows(); ++i) m.predict(te.row(i).data(), &pred[i]);
  auto rm = hft::learn::regression_metrics(pred, te.y);
  EXPECT_GT(rm.r2, 0.95);  // (seen: 0.998)  // a linear fit of a centred square explains ~0
}

// Backprop against central finite differences of the loss computed here from predict()
// (cross-entropy of its probabilities plus the L2 term over the weights): independent of the
// training code's backward pass.
TEST(Mlp, GradientMatchesFiniteDifferences) {
  for (auto act : {MlpActivation::Tanh, MlpActivation::Relu}) {
    for (std::vector<int> hidden : {std::vector<int>{5}, std::vector<int>{6, 4}}) {
      Samples s = xor_samples(40, 3, 21);
      s.x[4] = std::nanf("");  // a missing input: 0 after standardization
      MlpConfig cfg;
      cfg.hidden = hidden;
      cfg.activation = act;
      cfg.epochs = 1;
      cfg.lr = 0.05;
      Mlp m = hft::model::train_mlp(s, Samples{}, cfg, 3);
      const double l2 = 0.03;
      auto loss_here = [&](const Mlp& mm) {
        double ce = 0;
        double p[3];
        for (std::size_t i = 0; i < s.rows(); ++i) {
          mm.predict(s.row(i).data(), p);
          ce -= std::log(p[static_cast<int>(s.y[i])]);
        }
        double reg = 0;
        for (const auto& ly : mm.layers())
          for (double w : ly.w) reg += w * w;
        return ce / static_cast<double>(s.rows()) + 0.5 * l2 * reg;
      };
      std::vector<double> g;
      double f = hft::model::mlp_loss(m, s, l2, &g);
      EXPECT_NEAR(f, loss_here(m), 1e-12);
      std::vector<double> theta = m.parameters();
      ASSERT_EQ(g.size(), theta.size());
      double worst = 0;
      for (std::size_t p = 0; p < theta.size(); ++p) {
        const double h = 1e-6;
        std::vector<double> t = theta;
        t[p] = theta[p] + h;
        Mlp plus = m;
        plus.set_parameters(t);
        t[p] = theta[p] - h;
        Mlp minus = m;
        minus.set_parameters(t);
        double fd = (loss_here(plus) - loss_here(minus)) / (2 * h);
        worst = std::max(worst, std::fabs(fd - g[p]) / std::max(1.0, std::fabs(g[p])));
      }
      EXPECT_LT(worst, 1e-6) << "activation " << static_cast<int>(act) << " layers " << hidden.size();
    }
  }
}

TEST(Mlp, RegressionGradientMatchesFiniteDifferences) {
  Samples s = xor_samples(30, 2, 31);
  for (std::size_t i = 0; i < s.rows(); ++i) s.y[i] = 5.f + 3.f * s.x[i * 3] - s.x[i * 3 + 1];
  MlpConfig cfg;
  cfg.hidden = {4, 3};
  cfg.activation = MlpActivation::Tanh;
  cfg.epochs = 1;
  Mlp m = hft::model::train_mlp(s, Samples{}, cfg, 1);
  std::vector<double> g;
  hft::model::mlp_loss(m, s, 0.01, &g);
  std::vector<double> theta = m.parameters();
  for (std::size_t p = 0; p < theta.size(); ++p) {
    const double h = 1e-6;
    std::vector<double> t = theta;
    t[p] += h;
    Mlp a = m;
    a.set_parameters(t);
    t[p] -= 2 * h;
    Mlp b = m;
    b.set_parameters(t);
    double fd = (hft::model::mlp_loss(a, s, 0.01, nullptr) - hft::model::mlp_loss(b, s, 0.01, nullptr)) / (2 * h);
    EXPECT_NEAR(fd, g[p], 1e-6 * std::max(1.0, std::fabs(g[p]))) << p;
  }
}

TEST(Mlp, TextRoundTripIsBitIdentical) {
  Samples tr = xor_samples(300, 3, 41), va = xor_samples(100, 3, 42);
  tr.x[7] = std::nanf("");
  MlpConfig cfg;
  cfg.hidden = {7, 5};
  cfg.epochs = 3;
  cfg.lr = 0.01;
  cfg.batch = 16;
  Mlp m = hft::model::train_mlp(tr, va, cfg, 3);
  std::string text = m.to_text();
  Mlp back = Mlp::from_text(text);
  EXPECT_EQ(back.to_text(), text);
  EXPECT_EQ(back.parameters(), m.parameters());
  Samples probe = xor_samples(200, 3, 43);
  probe.x[0] = std::nanf("");
  probe.x[5] = INFINITY;
  for (std::size_t i = 0; i < probe.rows(); ++i) {
    float a[3], b[3];
    m.predict(probe.row(i).data(), a);
    back.predict(probe.row(i).data(), b);
    EXPECT_EQ(std::memcmp(a, b, sizeof a), 0) << i;
    EXPECT_NEAR(a[0] + a[1] + a[2], 1.0f, 1e-5f);
  }
  // Regression too (target scaling is part of the text).
  for (std::size_t i = 0; i < tr.rows(); ++i) tr.y[i] = 1000.f + tr.x[i * 3];
  for (std::size_t i = 0; i < va.rows(); ++i) va.y[i] = 1000.f + va.x[i * 3];
  Mlp r = hft::model::train_mlp(tr, va, cfg, 1);
  Mlp rb = Mlp::from_text(r.to_text());
  for (std::size_t i = 0; i < probe.rows(); ++i) {
    double a, b;
    r.predict(probe.row(i).data(), &a);
    rb.predict(probe.row(i).data(), &b);
    EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
  }
}

TEST(Mlp, DeterministicGivenSeed) {
  Samples tr = xor_samples(200, 2, 51), va = xor_samples(50, 2, 52);
  MlpConfig cfg;
  cfg.hidden = {6};
  cfg.epochs = 4;
  cfg.batch = 16;
  cfg.lr = 0.01;
  std::string a = hft::model::train_mlp(tr, va, cfg, 2).to_text();
  std::string b = hft::model::train_mlp(tr, va, cfg, 2).to_text();
  EXPECT_EQ(a, b);
  cfg.seed = 2;
  EXPECT_NE(hft::model::train_mlp(tr, va, cfg, 2).to_text(), a);
}

// A wide network on few rows with random labels overfits: the validation loss has a minimum,
// then rises; training stops `patience` epochs after it and returns those weights.
TEST(Mlp, EarlyStoppingKeepsTheBestValidationWeights) {
  TestRng r(61);
  auto noisy = [&](std::size_t n) {
    Samples s;
    s.cols = 4;
    for (std::size_t i = 0; i < n; ++i) {
      double a = r.sym();
      for (int j = 0; j < 4; ++j) s.x.push_back(static_cast<float>(j == 0 ? a : r.sym()));
      s.y.push_back(r.uniform() < 0.5 + 0.3 * a ? 1.f : 0.f);  // weakly predictable
    }
    return s;
  };
  Samples tr = noisy(60), va = noisy(200);
  MlpConfig cfg;
  cfg.hidden = {32, 32};
  cfg.lr = 0.01;
  cfg.epochs = 300;
  cfg.batch = 8;
  cfg.patience = 4;
  cfg.l2 = 0;
  MlpTrainInfo info;
  Mlp m = hft::model::train_mlp(tr, va, cfg, 2, &info);
  ASSERT_FALSE(info.valid_loss.empty());
  auto best = std::min_element(info.valid_loss.begin(), info.valid_loss.end());
  EXPECT_EQ(info.best_epoch, best - info.valid_loss.begin());
  EXPECT_LT(info.epochs_run, cfg.epochs);  // stopped early
  EXPECT_EQ(info.epochs_run, info.best_epoch + 1 + cfg.patience);
  EXPECT_EQ(static_cast<int>(info.valid_loss.size()), info.epochs_run);
  EXPECT_GT(info.valid_loss.back(), *best);
  // The returned model's validation loss, computed here from its predictions, is the best one.
  double ce = 0;
  double p[2];
  for (std::size_t i = 0; i < va.rows(); ++i) {
    m.predict(va.row(i).data(), p);
    ce -= std::log(p[static_cast<int>(va.y[i])]);
  }
  EXPECT_NEAR(ce / static_cast<double>(va.rows()), *best, 1e-9);
}

TEST(Mlp, GarbageTextThrows) {
  Samples tr = xor_samples(50, 3, 71);
  MlpConfig cfg;
  cfg.hidden = {3};
  cfg.epochs = 1;
  const std::string good = hft::model::train_mlp(tr, Samples{}, cfg, 3).to_text();
  ASSERT_NO_THROW(Mlp::from_text(good));
  for (const char* bad : {"", "hello", "hftd-mlp", "hftd-mlp 2", "hftd-mlp 1 inputs 0", "hftd-mlp 1 inputs 999",
                          "\x01\x02\xff garbage"})
    EXPECT_THROW(Mlp::from_text(bad), std::runtime_error) << bad;
  // Every truncation (the text without its final newline still reads).
  for (std::size_t n = 0; n + 1 < good.size(); ++n)
    EXPECT_THROW(Mlp::from_text(std::string_view(good).substr(0, n)), std::runtime_error) << n;
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_THROW(Mlp::from_text(replaced("relu", "sigmoid")), std::runtime_error);
  EXPECT_THROW(Mlp::from_text(replaced("layer 3 3", "layer 4 3")), std::runtime_error);  // inputs mismatch
  EXPECT_THROW(Mlp::from_text(replaced("layer 3 3", "layer 3 2")), std::runtime_error);  // widths mismatch
  EXPECT_THROW(Mlp::from_text(replaced("layer 3 3", "layer 3 300")), std::runtime_error);  // too wide
  EXPECT_THROW(Mlp::from_text(replaced("\nw ", "\nw nan ")), std::runtime_error);           // NaN weight
  EXPECT_THROW(Mlp::from_text(replaced("\nw ", "\nw inf ")), std::runtime_error);
  EXPECT_THROW(Mlp::from_text(replaced("\nw ", "\nw 1x ")), std::runtime_error);
  EXPECT_THROW(Mlp::from_text(replaced("layers 2", "layers 5")), std::runtime_error);
  EXPECT_THROW(Mlp::from_text(good + "extra"), std::runtime_error);
  try {
    Mlp::from_text(replaced("\nw ", "\nw nan "));
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("weight"), std::string::npos) << e.what();
  }
}

TEST(Mlp, BadTrainingInputThrows) {
  Samples tr = xor_samples(20, 3, 81);
  MlpConfig cfg;
  cfg.epochs = 1;
  EXPECT_THROW(hft::model::train_mlp(tr, Samples{}, cfg, 2), std::invalid_argument);  // label 2 with 2 classes
  EXPECT_THROW(hft::model::train_mlp(Samples{}, Samples{}, cfg, 3), std::invalid_argument);
  cfg.hidden = {300};
  EXPECT_THROW(hft::model::train_mlp(tr, Samples{}, cfg, 3), std::invalid_argument);
  cfg.hidden = {4, 4, 4};
  EXPECT_THROW(hft::model::train_mlp(tr, Samples{}, cfg, 3), std::invalid_argument);
  cfg.hidden = {4};
  tr.y[0] = 0.5f;
  EXPECT_THROW(hft::model::train_mlp(tr, Samples{}, cfg, 3), std::invalid_argument);
}

}  // namespace

namespace {

// predict / update / apply of every model here: no allocation (the hot path's rule).
TEST(HotPath, NoAllocation) {
  Samples tr = xor_samples(200, 3, 91);
  MlpConfig cfg;
  cfg.hidden = {8, 4};
  cfg.epochs = 2;
  Mlp mlp = hft::model::train_mlp(tr, Samples{}, cfg, 3);
  auto logit = hft::model::fit_logistic(tr, 3, 0.1);
  hft::model::BayesLinear bayes(3, true, 10.0, 1.0, 1.0);
  hft::model::Calibrator cal;
  cal.k = 3;
  cal.temperature = 1.5;
  cal.prior_weight = 0.1;
  cal.prior = {0.3, 0.3, 0.4};
  hft::model::PlattScaling platt{2.0, 0.1};
  float out[3];
  double dout[3], mean = 0, var = 0;
  const long before = g_allocations.load();
  for (std::size_t i = 0; i < tr.rows(); ++i) {
    const float* row = tr.row(i).data();
    mlp.predict(row, out);
    mlp.predict(row, dout);
    mlp.logits(row, dout);
    logit.predict(row, out);
    logit.update(row, static_cast<int>(tr.y[i]), 0.01);
    bayes.update(row, tr.y[i]);
    bayes.predict(row, &mean, &var);
    cal.apply(out, 3);
    platt.apply(out, 3);
  }
  EXPECT_EQ(g_allocations.load(), before);
  // The counter does see allocations.
  EXPECT_FALSE(mlp.to_text().empty());
  EXPECT_GT(g_allocations.load(), before);
  EXPECT_TRUE(std::isfinite(mean) && std::isfinite(var));
}

}  // namespace
