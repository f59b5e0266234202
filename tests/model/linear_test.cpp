#include "hft/model/linear.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/test_rng.hpp"

namespace {

using hft::model::BayesLinear;
using hft::model::LogisticModel;
using hft::model::Samples;

using hft::testing::TestRng;

// Rows from a known multinomial logistic model on 3 inputs of different scales; class 0 has
// logit 0, classes 1.. have logit b0 + b . x.
Samples logistic_samples(std::size_t n, int k, std::uint64_t seed, bool with_nan) {
  TestRng r(seed);
  const double B[3][4] = {{0.3, 1.0, -0.2, 0.5}, {-0.4, -0.8, 0.3, 1.2}, {0.1, 0.2, 0.2, -0.3}};
  Samples s;
  s.cols = 3;
  for (std::size_t i = 0; i < n; ++i) {
    double x[3] = {1 + 2 * r.normal(), 10 * r.uniform(), r.sym()};
    double eta[4] = {0, 0, 0, 0}, mx = 0;
    for (int c = 1; c < k; ++c) {
      eta[c] = B[c - 1][0] + B[c - 1][1] * x[0] + B[c - 1][2] * (x[1] - 5) + B[c - 1][3] * x[2];
      mx = std::max(mx, eta[c]);
    }
    double sum = 0, p[4];
    for (int c = 0; c < k; ++c) sum += (p[c] = std::exp(eta[c] - mx));
    double u = r.uniform() * sum, acc = 0;
    int y = k - 1;
    for (int c = 0; c < k; ++c)
      if ((acc += p[c]) > u) {
        y = c;
        break;
      }
    for (double v : x) s.x.push_back(static_cast<float>(v));
    if (with_nan && i % 37 == 5) s.x[i * 3 + 1] = std::nanf("");
    s.y.push_back(static_cast<float>(y));
  }
  return s;
}

// Standardized inputs computed here: mean and population sd of each column's finite values,
// a missing value -> 0.
std::vector<std::vector<double>> standardize_here(const Samples& s, std::vector<double>* mean_out,
                                                  std::vector<double>* sd_out) {
  const std::size_t n = s.rows(), d = s.cols;
  std::vector<double> mean(d), sd(d);
  for (std::size_t j = 0; j < d; ++j) {
    double sum = 0, cnt = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (std::isfinite(s.x[i * d + j])) sum += s.x[i * d + j], cnt += 1;
    mean[j] = sum / cnt;
    double ss = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (std::isfinite(s.x[i * d + j])) ss += (s.x[i * d + j] - mean[j]) * (s.x[i * d + j] - mean[j]);
    sd[j] = std::sqrt(ss / cnt);
  }
  std::vector<std::vector<double>> z(n, std::vector<double>(d + 1, 1.0));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j)
      z[i][j + 1] = std::isfinite(s.x[i * d + j]) ? (s.x[i * d + j] - mean[j]) / sd[j] : 0.0;
  if (mean_out) *mean_out = mean;
  if (sd_out) *sd_out = sd;
  return z;
}

TEST(Logistic, BatchOptimumHasZeroGradient) {
  const int k = 3;
  const double l2 = 0.01;
  Samples s = logistic_samples(600, k, 1, true);
  hft::model::LogisticFitInfo info;
  LogisticModel m = hft::model::fit_logistic(s, k, l2, &info);
  EXPECT_TRUE(info.converged);
  std::vector<double> mean, sd;
  auto z = standardize_here(s, &mean, &sd);
  for (std::size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(m.mean[j], mean[j], 1e-12 * (1 + std::fabs(mean[j])));
    EXPECT_NEAR(m.scale[j], 1 / sd[j], 1e-12 / sd[j]);
  }
  // Gradient of mean(-log p(y|x)) + l2/2 |w|^2 at the fitted coefficients, in double, here.
  const std::size_t q = 4;
  std::vector<double> g((k - 1) * q, 0.0);
  for (std::size_t i = 0; i < s.rows(); ++i) {
    double eta[3] = {0, 0, 0};
    for (int c = 1; c < k; ++c)
      for (std::size_t j = 0; j < q; ++j) eta[c] += m.coef[(c - 1) * q + j] * z[i][j];
    double mx = std::max({eta[0], eta[1], eta[2]}), sum = 0, p[3];
    for (int c = 0; c < k; ++c) sum += (p[c] = std::exp(eta[c] - mx));
    for (int c = 1; c < k; ++c)
      for (std::size_t j = 0; j < q; ++j)
        g[(c - 1) * q + j] += (p[c] / sum - (static_cast<int>(s.y[i]) == c ? 1 : 0)) * z[i][j] / s.rows();
  }
  for (int c = 1; c < k; ++c)
    for (std::size_t j = 1; j < q; ++j) g[(c - 1) * q + j] += l2 * m.coef[(c - 1) * q + j];
  for (double v : g) EXPECT_LT(std::fabs(v), 1e-9);
  // predict() agrees with the probabilities computed here.
  double p[3];
  m.predict(s.row(3).data(), p);
  double eta1 = 0, eta2 = 0;
  for (std::size_t j = 0; j < q; ++j) eta1 += m.coef[j] * z[3][j], eta2 += m.coef[q + j] * z[3][j];
  double den = 1 + std::exp(eta1) + std::exp(eta2);
  EXPECT_NEAR(p[0], 1 / den, 1e-12);
  EXPECT_NEAR(p[1], std::exp(eta1) / den, 1e-12);
}

// Solves A x = b (small, dense) by Gaussian elimination with partial pivoting.
std::vector<double> solve_here(std::vector<std::vector<double>> A, std::vector<double> b) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::fabs(A[r][c]) > std::fabs(A[piv][c])) piv = r;
    std::swap(A[c], A[piv]);
    std::swap(b[c], b[piv]);
    for (std::size_t r = c + 1; r < n; ++r) {
      double f = A[r][c] / A[c][c];
      for (std::size_t k = c; k < n; ++k) A[r][k] -= f * A[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (std::size_t c = n; c-- > 0;) {
    double s = b[c];
    for (std::size_t k = c + 1; k < n; ++k) s -= A[c][k] * x[k];
    x[c] = s / A[c][c];
  }
  return x;
}

TEST(Logistic, TwoClassesMatchAHandRolledNewton) {
  const double l2 = 0.05;
  Samples s = logistic_samples(400, 2, 2, false);
  LogisticModel m = hft::model::fit_logistic(s, 2, l2);
  auto z = standardize_here(s, nullptr, nullptr);
  // Binary logistic regression, Newton (IRLS): beta -= H^-1 g with
  //   g = X^T (p - y) / n + l2 [0, w],  H = X^T diag(p (1 - p)) X / n + l2 diag(0, 1, 1, 1).
  const std::size_t q = 4, n = s.rows();
  std::vector<double> beta(q, 0.0);
  for (int it = 0; it < 30; ++it) {
    std::vector<double> g(q, 0.0);
    std::vector<std::vector<double>> H(q, std::vector<double>(q, 0.0));
    for (std::size_t i = 0; i < n; ++i) {
      double eta = 0;
      for (std::size_t j = 0; j < q; ++j) eta += beta[j] * z[i][j];
      double p = 1 / (1 + std::exp(-eta));
      for (std::size_t a = 0; a < q; ++a) {
        g[a] += (p - s.y[i]) * z[i][a] / n;
        for (std::size_t b = 0; b < q; ++b) H[a][b] += p * (1 - p) * z[i][a] * z[i][b] / n;
      }
    }
    for (std::size_t j = 1; j < q; ++j) g[j] += l2 * beta[j], H[j][j] += l2;
    auto step = solve_here(H, g);
    for (std::size_t j = 0; j < q; ++j) beta[j] -= step[j];
  }
  ASSERT_EQ(m.coef.size(), q);
  for (std::size_t j = 0; j < q; ++j) EXPECT_NEAR(m.coef[j], beta[j], 1e-8) << j;
}

// SGD over a stream of rows, passes with a decaying step, the iterates averaged over the last
// passes (Polyak-Ruppert, done here): lands near the batch optimum of the same objective.
TEST(Logistic, OnlineSgdConvergesToTheBatchSolution) {
  const int k = 3;
  const double l2 = 0.01;
  Samples s = logistic_samples(1000, k, 3, true);
  LogisticModel batch = hft::model::fit_logistic(s, k, l2);
  LogisticModel online = LogisticModel::zeros(3, k, batch.mean, batch.scale, l2);
  std::vector<double> avg(online.coef.size(), 0.0);
  double navg = 0;
  const int passes = 30;
  for (int e = 0; e < passes; ++e) {
    const double lr = 0.3 / (1 + e);
    for (std::size_t i = 0; i < s.rows(); ++i) {
      ASSERT_TRUE(online.update(s.row(i).data(), static_cast<int>(s.y[i]), lr));
      if (e >= passes / 2) {
        for (std::size_t j = 0; j < avg.size(); ++j) avg[j] += online.coef[j];
        navg += 1;
      }
    }
  }
  for (double& v : avg) v /= navg;
  double worst = 0;
  for (std::size_t j = 0; j < avg.size(); ++j) worst = std::max(worst, std::fabs(avg[j] - batch.coef[j]));
  EXPECT_LT(worst, 0.02);
  online.coef = avg;
  double pa[3], pb[3], worst_p = 0;
  for (std::size_t i = 0; i < s.rows(); ++i) {
    online.predict(s.row(i).data(), pa);
    batch.predict(s.row(i).data(), pb);
    for (int c = 0; c < k; ++c) worst_p = std::max(worst_p, std::fabs(pa[c] - pb[c]));
  }
  EXPECT_LT(worst_p, 0.01);
  EXPECT_FALSE(online.update(s.row(0).data(), 3, 0.1));  // label out of range: ignored
  EXPECT_FALSE(online.update(s.row(0).data(), -1, 0.1));
}

TEST(Logistic, TextRoundTripAndGarbage) {
  Samples s = logistic_samples(200, 3, 4, true);
  LogisticModel m = hft::model::fit_logistic(s, 3, 0.1);
  std::string t = m.to_text();
  LogisticModel b = LogisticModel::from_text(t);
  EXPECT_EQ(b.to_text(), t);
  EXPECT_EQ(b.coef, m.coef);
  for (std::size_t i = 0; i < s.rows(); ++i) {
    float pa[3], pb[3];
    m.predict(s.row(i).data(), pa);
    b.predict(s.row(i).data(), pb);
    EXPECT_EQ(std::memcmp(pa, pb, sizeof pa), 0);
  }
  for (std::size_t n = 0; n + 1 < t.size(); ++n)
    EXPECT_THROW(LogisticModel::from_text(std::string_view(t).substr(0, n)), std::runtime_error) << n;
  EXPECT_THROW(LogisticModel::from_text("hftd-logistic 1 inputs 3 classes 1"), std::runtime_error);
  EXPECT_THROW(LogisticModel::from_text("hftd-logistic 1 inputs 1 classes 2 l2 nan"), std::runtime_error);
  EXPECT_THROW(hft::model::fit_logistic(Samples{}, 3, 0.1), std::invalid_argument);
  s.y[0] = 5;
  EXPECT_THROW(hft::model::fit_logistic(s, 3, 0.1), std::invalid_argument);
}

// --- Bayesian linear regression -------------------------------------------------------------

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

TEST(BayesLinear, SequentialUpdatesEqualTheBatchPosterior) {
  TestRng r(7);
  const int d = 3, p = 4;  // with an intercept
  // A general prior: m0 != 0, V0 symmetric positive definite but not diagonal.
  Mat Lr(p, p);
  for (int i = 0; i < p; ++i)
    for (int j = 0; j < p; ++j) Lr(i, j) = i == j ? 1.5 : (i > j ? 0.3 * r.sym() : 0.0);
  Mat V0 = Lr * Lr.transpose();
  Vec m0(p);
  m0 << 0.5, -0.2, 0.1, 0.0;
  const double a0 = 2, b0 = 1.5;
  std::vector<double> m0v(m0.data(), m0.data() + p), V0v(static_cast<std::size_t>(p * p));
  for (int i = 0; i < p; ++i)
    for (int j = 0; j < p; ++j) V0v[static_cast<std::size_t>(i * p + j)] = V0(i, j);
  BayesLinear bl(d, true, m0v, V0v, a0, b0);

  const int n = 200;
  Mat X(n, p);
  Vec y(n);
  for (int i = 0; i < n; ++i) {
    float x[3] = {static_cast<float>(r.normal()), static_cast<float>(3 * r.uniform()), static_cast<float>(r.sym())};
    double yi = 1.0 + 2.0 * x[0] - 0.5 * x[1] + 0.7 * x[2] + 0.4 * r.normal();
    ASSERT_TRUE(bl.update(x, yi));
    X(i, 0) = 1;
    for (int j = 0; j < d; ++j) X(i, j + 1) = x[j];  // the float values the model saw
    y(i) = yi;
  }
  // Closed form from the normal equations.
  Mat L0 = V0.inverse();
  Mat Ln = L0 + X.transpose() * X;
  Mat Vn = Ln.inverse();
  Vec mn = Ln.ldlt().solve(L0 * m0 + X.transpose() * y);
  double an = a0 + n / 2.0;
  double bn = b0 + 0.5 * (y.dot(y) + m0.dot(L0 * m0) - mn.dot(Ln * mn));

  auto rel = [](double a, double b) { return std::fabs(a - b) / std::max(1e-300, std::fabs(b)); };
  EXPECT_EQ(bl.n(), static_cast<std::uint64_t>(n));
  EXPECT_LT(rel(bl.a(), an), 1e-12);
  EXPECT_LT(rel(bl.b(), bn), 1e-9);
  for (int i = 0; i < p; ++i) {
    EXPECT_LT(rel(bl.m()[static_cast<std::size_t>(i)], mn(i)), 1e-9) << i;
    for (int j = 0; j < p; ++j)
      EXPECT_LT(std::fabs(bl.V()[static_cast<std::size_t>(i * p + j)] - Vn(i, j)), 1e-9 * Vn.cwiseAbs().maxCoeff())
          << i << "," << j;
  }
  // Predictive: location x~^T m, variance (b/a)(1 + x~^T V x~) nu/(nu-2), nu = 2a.
  float xq[3] = {0.3f, 1.0f, -0.5f};
  Vec xt(p);
  xt << 1, xq[0], xq[1], xq[2];
  double mean, var;
  bl.predict(xq, &mean, &var);
  const double nu = 2 * an;
  EXPECT_LT(rel(mean, xt.dot(mn)), 1e-9);
  EXPECT_LT(rel(var, bn / an * (1 + xt.dot(Vn * xt)) * nu / (nu - 2)), 1e-9);
  EXPECT_DOUBLE_EQ(bl.dof(), nu);
  // The posterior recovers the generating coefficients roughly (sigma 0.4, 200 rows).
  EXPECT_NEAR(bl.m()[1], 2.0, 0.15);
  EXPECT_NEAR(bn / (an - 1), 0.16, 0.05);  // posterior mean of sigma^2
}

TEST(BayesLinear, RejectsNonFiniteAndRoundTrips) {
  BayesLinear bl(2, false, 10.0, 1.0, 1.0);
  float x[2] = {1.f, 2.f};
  EXPECT_TRUE(bl.update(x, 3.0));
  std::string before = bl.to_text();
  float xn[2] = {std::nanf(""), 1.f};
  EXPECT_FALSE(bl.update(xn, 1.0));
  EXPECT_FALSE(bl.update(x, std::nan("")));
  EXPECT_EQ(bl.to_text(), before);
  double mean, var;
  BayesLinear prior_only(2, true, 1.0, 1.0, 1.0);
  prior_only.predict(x, &mean, &var);
  EXPECT_TRUE(std::isinf(var));  // nu = 2: the Student-t has no variance yet
  TestRng r(9);
  for (int i = 0; i < 50; ++i) {
    float xi[2] = {static_cast<float>(r.normal()), static_cast<float>(r.normal())};
    bl.update(xi, xi[0] - xi[1] + 0.1 * r.normal());
  }
  std::string t = bl.to_text();
  BayesLinear back = BayesLinear::from_text(t);
  EXPECT_EQ(back.to_text(), t);
  double m1, v1, m2, v2;
  bl.predict(x, &m1, &v1);
  back.predict(x, &m2, &v2);
  EXPECT_EQ(std::memcmp(&m1, &m2, sizeof m1), 0);
  EXPECT_EQ(std::memcmp(&v1, &v2, sizeof v1), 0);
  // The copy keeps learning identically.
  float xa[2] = {0.5f, -1.f};
  bl.update(xa, 1.0);
  back.update(xa, 1.0);
  EXPECT_EQ(back.to_text(), bl.to_text());
  for (std::size_t n = 0; n + 1 < t.size(); ++n)
    EXPECT_THROW(BayesLinear::from_text(std::string_view(t).substr(0, n)), std::runtime_error) << n;
  std::string bad = t;
  bad.replace(bad.find(" a "), 3, " a -");
  EXPECT_THROW(BayesLinear::from_text(bad), std::runtime_error);
  EXPECT_THROW(BayesLinear::from_text("hftd-bayes-linear 1 inputs 1 intercept 0 a 1 b 1 n 0 m 0 V 0 end"),
               std::runtime_error);  // V not positive
  EXPECT_THROW(BayesLinear::from_text(
                   "hftd-bayes-linear 1 inputs 2 intercept 0 a 1 b 1 n 0 m 0 0 V 1 0.5 0.4 1 end"),
               std::runtime_error);  // V not symmetric
  EXPECT_THROW(BayesLinear(0, true, 1.0, 1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(BayesLinear(1, true, 1.0, 0.0, 1.0), std::invalid_argument);
  std::vector<double> m0{0, 0}, notpd{1, 2, 2, 1};
  EXPECT_THROW(BayesLinear(1, true, m0, notpd, 1.0, 1.0), std::invalid_argument);
}

}  // namespace
