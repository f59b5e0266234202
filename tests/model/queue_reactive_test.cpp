// Queue-reactive model (Cont & de Larrard 2013) against independent references: a Monte Carlo
// simulation of the two queues in continuous time, an exact grid solution of the race's
// harmonic equations, the pure-depletion limit (a binomial race), symmetry and monotonicity;
// then the study on a real LOBSTER day (AMZN 2012-06-21).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/model/queue_reactive.hpp"
#include "hft/sources/open.hpp"
#include "hft/study/queue.hpp"
#include "../common/unzip_once.hpp"

namespace hft::model {
namespace {

double u01(std::mt19937_64& g) { return (static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53; }

struct McOut {
  long up = 0, down = 0;
};

// Two independent queues, each its own clock: +1 at rate lambda, -1 at rate mu + theta.
McOut mc_race(int x, int y, double lambda, double mu, double theta, int runs, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  McOut o;
  const double dep = mu + theta, tot = lambda + dep;
  for (int r = 0; r < runs; ++r) {
    int qb = x, qa = y;
    double tb = -std::log(u01(g)) / tot, ta = -std::log(u01(g)) / tot;
    // lambda > mu + theta: once both queues hold 80 units, P(either ever empties) < 2 rho^80
    // (< 1e-13 for the cases below): stop and count the run as no move.
    for (long step = 0; step < 1'000'000 && !(lambda > dep && qb > 80 && qa > 80); ++step) {
      if (tb < ta) {
        qb += u01(g) * tot < lambda ? 1 : -1;
        if (qb == 0) { ++o.down; break; }
        tb += -std::log(u01(g)) / tot;
      } else {
        qa += u01(g) * tot < lambda ? 1 : -1;
        if (qa == 0) { ++o.up; break; }
        ta += -std::log(u01(g)) / tot;
      }
    }
  }
  return o;
}

TEST(QueueReactive, ClosedFormMatchesMonteCarlo) {
  struct Case { int x, y; double lambda, mu, theta; };
  const Case cases[] = {{1, 1, 1, 1, 0},   {2, 5, 1, 1, 0},     {6, 3, 1, 0.5, 0.5}, {5, 2, 0.5, 1, 0},
                        {10, 4, 0.8, 1, 0}, {3, 8, 0.3, 0.6, 0.4}, {4, 6, 1.5, 1, 0}, {2, 3, 2, 0.5, 0.5}};
  int k = 0;
  for (const auto& c : cases) {
    const int runs = 20000;
    const McOut mc = mc_race(c.x, c.y, c.lambda, c.mu, c.theta, runs, 1000 + static_cast<std::uint64_t>(k++));
    const double n = static_cast<double>(mc.up + mc.down);
    const double f = static_cast<double>(mc.up) / n;
    const double p = queue_p_up(c.x, c.y, c.lambda, c.mu, c.theta);
    const double sd = std::sqrt(p * (1 - p) / n);
    std::printf("x %2d y %2d lambda %.2f mu %.2f theta %.2f: model %.4f, MC %.4f (n %.0f, sd %.4f)\n", c.x, c.y,
                c.lambda, c.mu, c.theta, p, f, n, sd);
    EXPECT_NEAR(f, p, 4 * sd) << c.x << " " << c.y;
    if (c.lambda > c.mu + c.theta) {  // P(some queue empties) = 1 - (1 - rho^x)(1 - rho^y)
      const double rho = (c.mu + c.theta) / c.lambda;
      const double pm = 1 - (1 - std::pow(rho, c.x)) * (1 - std::pow(rho, c.y));
      const QueueRace r = queue_race(c.x, c.y, c.lambda, c.mu, c.theta);
      EXPECT_NEAR(r.up + r.down, pm, 1e-12);
      EXPECT_NEAR(n / runs, pm, 4 * std::sqrt(pm * (1 - pm) / runs));
    }
  }
}

// Exact reference for lambda < mu: Gauss-Seidel on the embedded walk's harmonic equations on
// [0, N]^2 (a queue at N cannot grow: the far edge is reached with probability ~ (lambda/mu)^(N-x)).
std::vector<double> grid_solution(double lambda, double mu, int N) {
  const double p = lambda / (lambda + mu), q = 1 - p;
  std::vector<double> f(static_cast<std::size_t>((N + 1) * (N + 1)), 0.0);
  auto at = [&](int x, int y) -> double& { return f[static_cast<std::size_t>(x * (N + 1) + y)]; };
  for (int x = 1; x <= N; ++x) at(x, 0) = 1;
  for (int sweep = 0; sweep < 200000; ++sweep) {
    double change = 0;
    for (int x = 1; x <= N; ++x)
      for (int y = 1; y <= N; ++y) {
        const double v = 0.5 * (p * at(x < N ? x + 1 : N, y) + q * at(x - 1, y)) +
                         0.5 * (p * at(x, y < N ? y + 1 : N) + q * at(x, y - 1));
        change = std::max(change, std::fabs(v - at(x, y)));
        at(x, y) = v;
      }
    if (change < 1e-15) break;
  }
  return f;
}

TEST(QueueReactive, MatchesExactGridBelowBalance) {
  for (double ratio : {0.5, 0.25}) {
    const int N = 100;
    const auto f = grid_solution(ratio, 1, N);
    double worst = 0;
    for (int x : {1, 2, 5, 12, 30})
      for (int y : {1, 3, 7, 20, 35}) {
        const double ref = f[static_cast<std::size_t>(x * (N + 1) + y)];
        const double p = queue_p_up(x, y, ratio, 1);
        worst = std::max(worst, std::fabs(p - ref));
        EXPECT_NEAR(p, ref, 1e-9) << "ratio " << ratio << " x " << x << " y " << y;
      }
    std::printf("lambda/mu %.2f: largest |closed form - grid| %.2e\n", ratio, worst);
  }
}

TEST(QueueReactive, PureDepletionIsABinomialRace) {
  // lambda -> 0: the ask wins when its y-th removal comes before the bid's x-th, each event
  // belonging to either queue with probability 1/2: P(Bin(x + y - 1, 1/2) >= y).
  for (int x : {1, 3, 7})
    for (int y : {1, 2, 6}) {
      const int n = x + y - 1;
      double ref = 0;
      for (int k = y; k <= n; ++k) ref += std::exp(std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1)) * std::pow(0.5, n);
      EXPECT_NEAR(queue_p_up(x, y, 1e-9, 1), ref, 1e-6) << x << " " << y;
    }
}

TEST(QueueReactive, SymmetryMonotonicityAndLimits) {
  for (double ratio : {0.2, 0.7, 1.0, 1.3, 3.0}) {
    for (int x = 1; x <= 25; x += 3)
      for (int y = 1; y <= 25; y += 2) {
        const double p = queue_p_up(x, y, ratio, 1);
        ASSERT_NEAR(p + queue_p_up(y, x, ratio, 1), 1, 1e-10) << ratio << " " << x << " " << y;
        ASSERT_GT(queue_p_up(x + 1, y, ratio, 1), p) << ratio << " " << x << " " << y;
        ASSERT_LT(queue_p_up(x, y + 1, ratio, 1), p) << ratio << " " << x << " " << y;
        if (x == y) {
          ASSERT_NEAR(p, 0.5, 1e-10);
        }
      }
  }
  // lambda = mu: the general form equals the paper's balanced integral; only the ratio matters.
  for (int x : {1, 2, 4, 9, 30})
    for (int y : {1, 3, 8, 40}) {
      EXPECT_NEAR(queue_p_up(x, y, 2.5, 2.5), queue_p_up_balanced(x, y), 1e-11);
      EXPECT_NEAR(queue_p_up(x, y, 0.6, 0.3, 0.3), queue_p_up_balanced(x, y), 1e-11);
    }
  // Balanced, one unit on the bid against y on the ask: p ~ 2 / (pi y) for large y (the
  // quadrant-exit asymptotics of the simple random walk).
  EXPECT_NEAR(queue_p_up_balanced(1, 400) * 400 * M_PI / 2, 1, 2e-3);
  EXPECT_THROW(queue_p_up(0, 1, 1, 1), std::invalid_argument);
  EXPECT_THROW(queue_p_up(1, 1, 0, 1), std::invalid_argument);
  EXPECT_THROW(queue_p_up(1, 1, 1, 0, 0), std::invalid_argument);
}

TEST(QueueReactive, TableReadsTheModelInUnits) {
  const QueueTable t(0.9, 0.6, 0.4, 100.0, 20);
  EXPECT_EQ(t.K(), 20);
  EXPECT_NEAR(t.p_up(300, 700), queue_p_up(3, 7, 0.9, 0.6, 0.4), 1e-9);
  EXPECT_NEAR(t.p_up(349, 651), queue_p_up(3, 7, 0.9, 0.6, 0.4), 1e-9);  // rounded to units
  EXPECT_NEAR(t.p_up(10, 100), queue_p_up(1, 1, 0.9, 0.6, 0.4), 1e-9);   // below one unit reads 1
  EXPECT_NEAR(t.p_up(0, 5000), queue_p_up(1, 20, 0.9, 0.6, 0.4), 1e-9);  // above K reads K
  // Every entry (half of them by the symmetry p(y, x) = 1 - p(x, y)) against the model's own
  // 1e-13 evaluation, in both regimes (lambda below and above mu + theta).
  for (const double lam : {0.9, 0.4, 1.7}) {
    const QueueTable full(lam, 0.6, 0.4, 1.0, 12);
    for (int x = 1; x <= 12; ++x)
      for (int y = 1; y <= 12; ++y)
        ASSERT_NEAR(full.p_up_units(x, y), queue_p_up(x, y, lam, 0.6, 0.4), 1e-9) << lam << " " << x << " " << y;
  }
  EXPECT_EQ(t.units(250), 3);
  EXPECT_EQ(queue_units(250, 100), 3);
  EXPECT_EQ(queue_units(20, 100), 1);
  EXPECT_EQ(queue_units(0, 100), 0);
  EXPECT_DOUBLE_EQ(QueueTable().p_up(1, 1), 0.5);
  EXPECT_THROW(QueueTable(1, 1, 0, 0, 10), std::invalid_argument);
  EXPECT_THROW(QueueTable(1, 1, 0, 1, 0), std::invalid_argument);
}

// A real day: LOBSTER AMZN 2012-06-21, level 5. Asserts only what must hold; prints the table.
TEST(QueueReactiveLobster, AmznRatesAndImbalance) {
  const std::string msg = hft::testing::lobster_sample("AMZN", 5, "model-queue");
  ASSERT_FALSE(msg.empty());
  auto src = sources::open_source(sources::parse_source_spec("lobster:" + msg));
  book::Books books;
  study::QueueStudy st;
  study::QueueFeed feed(st, books, study::QueueFeed::kAny, false);
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  while (const std::size_t n = src->next(buf))
    for (std::size_t i = 0; i < n; ++i) feed.on_event(buf[i]);
  const auto res = st.finish();
  const auto& r = res.rates;
  std::printf("unit %.1f shares, %.0f s; lambda %.4f mu %.4f theta %.4f /s (units); by count %.4f %.4f %.4f\n", r.unit,
              r.seconds, r.lambda, r.mu, r.theta, r.lambda_n, r.mu_n, r.theta_n);
  for (const auto& c : res.cells)
    if (c.n)
      std::printf("x %d-%d y %d-%d n %llu freq %.3f se %.3f model %.3f\n", c.x_lo, c.x_hi, c.y_lo, c.y_hi,
                  static_cast<unsigned long long>(c.n), c.freq, c.se, c.model);
  const auto& s = res.summary;
  std::printf("samples %llu moves %llu; mad %.4f brier model %.4f half %.4f cells %.4f\n",
              static_cast<unsigned long long>(s.samples), static_cast<unsigned long long>(s.moves), s.mad,
              s.brier_model, s.brier_half, s.brier_cells);
  EXPECT_GT(r.seconds, 6 * 3600.0);
  EXPECT_GT(r.unit, 0);
  for (const auto* f : {&r.bid, &r.ask}) {
    EXPECT_GT(f->adds, 1000u);
    EXPECT_GT(f->execs, 100u);
    EXPECT_GT(f->cancels, 1000u);
  }
  EXPECT_GT(r.lambda, 0);
  EXPECT_GT(r.mu, 0);
  EXPECT_GT(r.theta, 0);
  EXPECT_GT(s.moves, 1000u);
  EXPECT_GT(s.samples, 10000u);
  // The up-frequency rises with the imbalance (qb - qa) / (qb + qa): the outer bins apart by
  // several standard errors, and the three middle bins in order.
  double f[5], se[5];
  for (int i = 0; i < 5; ++i) {
    ASSERT_GT(s.imb_n[i], 100u) << i;
    f[i] = static_cast<double>(s.imb_up[i]) / static_cast<double>(s.imb_n[i]);
    se[i] = std::sqrt(f[i] * (1 - f[i]) / static_cast<double>(s.imb_n[i]));
    std::printf("imbalance bin %d: n %llu up-frequency %.3f (se %.3f)\n", i,
                static_cast<unsigned long long>(s.imb_n[i]), f[i], se[i]);
  }
  EXPECT_GT(f[4] - f[0], 4 * std::hypot(se[0], se[4]));
  EXPECT_LT(f[1], f[3]);
}

}  // namespace
}  // namespace hft::model
