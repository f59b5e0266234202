// Circuit breakers, property-tested: for thousands of random settings and input sequences, each
// breaker trips at the first input where its condition (recomputed here from the whole history,
// not by the breaker's own recursion) holds, and never before; once tripped it stays tripped
// until re-armed. Plus the control handle (kill / re-arm) as the hot thread polls it.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../common/test_rng.hpp"
#include "hft/risk/breakers.hpp"

namespace {

using namespace hft;
using namespace hft::risk;

BreakerSettings off() {
  BreakerSettings s;
  s.max_loss = s.max_drawdown = s.max_logloss = s.min_hit_rate = s.max_reject_rate = 0;
  s.max_stale_ns = 0;
  s.trip_on_gap = false;
  s.max_latency_ns = 0;
  return s;
}

TEST(BreakersProperty, LossAndDrawdownTripAtTheFirstBreach) {
  hft::testing::TestRng rng(11);
  for (int trial = 0; trial < 3000; ++trial) {
    BreakerSettings s = off();
    s.max_loss = 50 + 500 * rng.uniform();
    s.max_drawdown = rng.next() % 3 ? 20 + 300 * rng.uniform() : 0;
    const auto st = static_cast<std::uint16_t>(rng.next() % 8);
    Breakers b(8, s);
    std::vector<double> path;
    double net = 0;
    for (int k = 0; k < 400; ++k) {
      net += 10 * rng.sym() - 0.5;
      path.push_back(net);
    }
    // Reference: the first k where net_k <= -max_loss or max(net_0..net_k) - net_k >= max_drawdown.
    int first = -1;
    BreakerReason why = BreakerReason::None;
    for (int k = 0; k < static_cast<int>(path.size()) && first < 0; ++k) {
      double peak = path[0];
      for (int j = 0; j <= k; ++j) peak = std::max(peak, path[static_cast<std::size_t>(j)]);
      if (path[static_cast<std::size_t>(k)] <= -s.max_loss) { first = k; why = BreakerReason::DailyLoss; }
      else if (s.max_drawdown > 0 && peak - path[static_cast<std::size_t>(k)] >= s.max_drawdown) { first = k; why = BreakerReason::Drawdown; }
    }
    for (int k = 0; k < static_cast<int>(path.size()); ++k) {
      const bool t = b.on_pnl(st, path[static_cast<std::size_t>(k)], k);
      ASSERT_EQ(t, k == first) << "trial " << trial << " k " << k;
      ASSERT_EQ(b.blocked(st), first >= 0 && k >= first);
    }
    if (first >= 0) {
      EXPECT_EQ(b.state(st).reason, why);
      EXPECT_EQ(b.state(st).since, first);
      EXPECT_EQ(b.trips(why), 1u);
      EXPECT_FALSE(b.blocked(static_cast<std::uint16_t>((st + 1) % 8)));  // the others trade on
      b.rearm(st);
      EXPECT_FALSE(b.blocked(st));
    }
  }
}

TEST(BreakersProperty, ModelDegradationTripsAfterTheMinimumLabelsWhenTheAveragesCross) {
  hft::testing::TestRng rng(12);
  int tripped = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    BreakerSettings s = off();
    s.model_alpha = 0.01 + 0.3 * rng.uniform();
    s.min_labels = 1 + static_cast<std::uint32_t>(rng.next() % 50);
    s.max_logloss = rng.next() % 2 ? 0.7 + 0.3 * rng.uniform() : 0;
    s.min_hit_rate = rng.next() % 2 ? 0.3 + 0.3 * rng.uniform() : 0;
    Breakers b(2, s);
    const double skill = rng.uniform();
    std::vector<double> ll;
    std::vector<int> hit;
    int first = -1;
    for (int k = 0; k < 300; ++k) {
      const bool h = rng.uniform() < 0.3 + 0.5 * skill;
      const double p = h ? 0.5 + 0.4 * rng.uniform() : 0.1 + 0.4 * rng.uniform();
      ll.push_back(-std::log(p));
      hit.push_back(h);
      // Reference: the weighted averages in closed form, w_0 = (1-a)^k, w_j = a (1-a)^(k-j).
      double L = std::pow(1 - s.model_alpha, k) * ll[0], H = std::pow(1 - s.model_alpha, k) * hit[0];
      for (int j = 1; j <= k; ++j) {
        const double w = s.model_alpha * std::pow(1 - s.model_alpha, k - j);
        L += w * ll[static_cast<std::size_t>(j)];
        H += w * hit[static_cast<std::size_t>(j)];
      }
      const bool cond = static_cast<std::uint32_t>(k + 1) >= s.min_labels &&
                        ((s.max_logloss > 0 && L > s.max_logloss) || (s.min_hit_rate > 0 && H < s.min_hit_rate));
      // Values within rounding of a threshold are skipped: the two sums may round apart there.
      const bool close = (s.max_logloss > 0 && std::fabs(L - s.max_logloss) < 1e-9) || (s.min_hit_rate > 0 && std::fabs(H - s.min_hit_rate) < 1e-9);
      const bool t = b.on_label(1, ll.back(), h, k);
      if (first < 0 && !close) {
        ASSERT_EQ(t, cond) << "trial " << trial << " k " << k;
      }
      if (t) first = k;
      if (first >= 0) {
        ASSERT_TRUE(b.blocked(1));
      }
    }
    tripped += first >= 0;
    EXPECT_FALSE(b.blocked(0));
  }
  EXPECT_GT(tripped, 300);
  EXPECT_LT(tripped, 1900);
}

TEST(BreakersProperty, RejectRateLatencyAndFeedTripExactlyWhenTheirConditionHolds) {
  hft::testing::TestRng rng(13);
  for (int trial = 0; trial < 2000; ++trial) {
    BreakerSettings s = off();
    s.max_reject_rate = 0.05 + 0.5 * rng.uniform();
    s.min_orders = 1 + static_cast<std::uint32_t>(rng.next() % 30);
    s.max_latency_ns = 1000 + static_cast<Nanos>(rng.next() % 1000);
    s.latency_spikes = 1 + static_cast<std::uint32_t>(rng.next() % 5);
    s.max_stale_ns = 50'000'000 + static_cast<Nanos>(rng.next() % 100'000'000);
    s.trip_on_gap = true;
    Breakers b(3, s);
    // Reject rate: the reference recounts the events of the current second from the list.
    struct Ev { Nanos t; bool sent, rej; };
    std::vector<Ev> evs;
    Nanos t = 0;
    bool tripped = false;
    for (int k = 0; k < 300; ++k) {
      t += static_cast<Nanos>(rng.next() % 80'000'000);
      const bool sent = rng.next() % 4 != 0;
      const bool rej = !sent || rng.uniform() < 0.1 + 0.3 * (trial % 3);
      evs.push_back({t, sent, rej});
      std::uint32_t ns = 0, nr = 0;
      for (const Ev& e : evs)
        if (floor_div(e.t, 1'000'000'000) == floor_div(t, 1'000'000'000)) { ns += e.sent; nr += e.rej; }
      const bool cond = ns >= s.min_orders && static_cast<double>(nr) > s.max_reject_rate * static_cast<double>(ns);
      const bool got = sent ? b.on_order(2, rej, t) : b.on_reject(2, t);
      if (!tripped) {
        ASSERT_EQ(got, cond) << trial << " " << k;
      } else {
        ASSERT_FALSE(got);
      }
      tripped = tripped || got;
    }
    EXPECT_EQ(b.blocked(2), tripped);
    // Latency: trips at the first index ending a run of latency_spikes values above the limit.
    int run = 0;
    bool lat_tripped = false;
    for (int k = 0; k < 200 && !lat_tripped; ++k) {
      const Nanos lat = rng.next() % 3 ? 500 + static_cast<Nanos>(rng.next() % 1200) : 3000;
      run = lat > s.max_latency_ns ? run + 1 : 0;
      const bool got = b.on_latency(lat, k);
      ASSERT_EQ(got, run >= static_cast<int>(s.latency_spikes)) << trial << " " << k;
      lat_tripped = got;
    }
    if (lat_tripped) {
      EXPECT_TRUE(b.blocked(0));
      EXPECT_EQ(b.state(Breakers::kGlobal).reason, BreakerReason::Latency);
    }
    b.rearm_all();
    EXPECT_FALSE(b.blocked(0));
    EXPECT_FALSE(b.blocked(2));
    // Feed: a step in event time above max_stale_ns, or a gap flag, trips; on_clock likewise.
    Nanos ft = 0;
    Nanos last = -1;
    for (int k = 0; k < 200; ++k) {
      ft += static_cast<Nanos>(rng.next() % 60'000'000) + (rng.next() % 50 == 0 ? 200'000'000 : 0);
      const bool gap = rng.next() % 150 == 0;
      if (rng.next() % 5 == 0) {
        const bool cond = last >= 0 && ft - last > s.max_stale_ns;
        ASSERT_EQ(b.on_clock(ft), cond);
        if (cond) break;
        continue;
      }
      const bool cond = (last >= 0 && ft - last > s.max_stale_ns) || gap;
      ASSERT_EQ(b.on_feed_event(ft, gap), cond) << trial << " " << k;
      last = ft;
      if (cond) {
        EXPECT_TRUE(b.blocked(1));
        break;
      }
    }
  }
}

TEST(Control, KillIsALevelRearmIsACounterAndThePollSeesEachOnce) {
  Control c;
  ControlPoll p;
  auto ch = p.poll(c);
  EXPECT_FALSE(ch.kill_rose);
  EXPECT_FALSE(ch.rearm);
  c.request_kill();
  ch = p.poll(c);
  EXPECT_TRUE(ch.kill_rose);
  EXPECT_TRUE(p.killed);
  ch = p.poll(c);
  EXPECT_FALSE(ch.kill_rose);  // seen once
  EXPECT_TRUE(p.killed);       // still killed
  c.request_rearm();
  ch = p.poll(c);
  EXPECT_TRUE(ch.rearm);
  EXPECT_FALSE(p.killed);
  EXPECT_FALSE(p.poll(c).rearm);
}

}  // namespace
