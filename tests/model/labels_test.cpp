// Streaming labels against a direct computation over the whole series (which sees the future by
// construction): FI-2010 direction moves and returns, horizons in events and in exchange time,
// several instruments interleaved, invalid books carrying the last mid, a full ring counted.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "hft/model/inputs.hpp"
#include "hft/model/labels.hpp"

namespace {

using namespace hft;
using model::Horizon;
using model::HorizonUnit;

struct Ev {
  InstrumentId id;
  Nanos t;
  Price bid, ask;
  bool sample;
};

std::vector<Ev> make_stream(std::uint64_t seed, std::size_t n) {
  std::vector<Ev> out;
  std::uint64_t s = seed;
  auto rnd = [&] { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; };
  Price mid[3] = {1'000'000, 2'000'000, 500'000};
  Nanos t = 1'000'000;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = rnd();
    const InstrumentId id = static_cast<InstrumentId>(r % 3);
    t += static_cast<Nanos>((r >> 8) % 3'000'000);  // 0..3 ms, ties included
    mid[id] += 100 * (static_cast<Price>((r >> 32) % 5) - 2);
    const Price half = 100 * static_cast<Price>(1 + (r >> 40) % 3);
    Ev e{id, t, mid[id] - half, mid[id] + half, ((r >> 48) % 3) == 0};
    if ((r >> 52) % 17 == 0) e.ask = 0;            // one side empty: carries the last mid
    if ((r >> 56) % 23 == 0) e.ask = e.bid;        // locked: likewise
    out.push_back(e);
  }
  return out;
}

// Direct: for the sample at (instrument-local) event j, the instrument's events after it.
struct Ref {
  std::map<std::uint64_t, model::LabelValue> at;  // by sample id
};
Ref reference(const std::vector<Ev>& evs, Horizon h, Price tick) {
  Ref ref;
  std::map<InstrumentId, std::vector<std::pair<Nanos, std::int64_t>>> series;  // (t, mid2) per event with a mid
  std::map<InstrumentId, std::int64_t> last;
  struct S { std::uint64_t id; InstrumentId inst; std::size_t j; };
  std::vector<S> samples;
  std::uint64_t next_id = 0;
  for (const Ev& e : evs) {
    if (e.bid > 0 && e.ask > 0 && e.bid < e.ask) last[e.id] = e.bid + e.ask;
    if (!last.count(e.id)) continue;
    series[e.id].push_back({e.t, last[e.id]});
    if (e.sample) samples.push_back({next_id++, e.id, series[e.id].size() - 1});
  }
  for (const S& s : samples) {
    const auto& v = series[s.inst];
    const auto [t0, m0] = v[s.j];
    double sum = 0;
    std::size_t k = 0, j = s.j + 1;
    Nanos t_end = 0;
    if (h.unit == HorizonUnit::Events) {
      if (s.j + static_cast<std::size_t>(h.value) >= v.size()) continue;  // never resolves
      for (; k < static_cast<std::size_t>(h.value); ++k, ++j) sum += static_cast<double>(v[j].second);
      t_end = v[j - 1].first;
    } else {
      bool beyond = false;
      for (; j < v.size(); ++j) {
        if (v[j].first - t0 > h.value) { beyond = true; break; }
        sum += static_cast<double>(v[j].second);
        ++k;
      }
      if (!beyond) continue;  // no event after the horizon yet: unresolved
      t_end = t0 + h.value;
    }
    const std::int64_t m_end = k ? v[j - 1].second : m0;
    const double mean = k ? sum / static_cast<double>(k) : static_cast<double>(m0);
    model::LabelValue lv;
    lv.move_ticks = (mean - static_cast<double>(m0)) / (2.0 * static_cast<double>(tick));
    lv.move_bps = (mean - static_cast<double>(m0)) / static_cast<double>(m0) * 1e4;
    lv.ret_bps = static_cast<double>(m_end - m0) / static_cast<double>(m0) * 1e4;
    lv.t_end = t_end;
    ref.at[s.id] = lv;
  }
  return ref;
}

void check(Horizon h) {
  const auto evs = make_stream(42 + static_cast<std::uint64_t>(h.value), 20'000);
  const Ref ref = reference(evs, h, 100);
  model::Labeler lab(h, 100, 8, 100'000, 4);
  std::map<std::uint64_t, model::LabelValue> got;
  std::uint64_t next_id = 0;
  Nanos last_t = 0;
  for (const Ev& e : evs) {
    lab.on_event(e.id, e.t, e.bid, e.ask, [&](std::uint64_t id, const model::LabelValue& v) {
      EXPECT_LE(v.t_end, e.t) << "a label is emitted only once its horizon has passed";
      got[id] = v;
    });
    if (e.sample && lab.mid2(e.id) != 0) {
      ASSERT_TRUE(lab.add_sample(e.id, next_id, e.t));
      ++next_id;
    }
    last_t = e.t;
  }
  (void)last_t;
  ASSERT_GT(ref.at.size(), 1000u);
  ASSERT_EQ(got.size(), ref.at.size()) << h.name();
  std::size_t up = 0, down = 0;
  for (const auto& [id, r] : ref.at) {
    ASSERT_TRUE(got.count(id)) << id;
    const auto& g = got.at(id);
    EXPECT_NEAR(g.move_ticks, r.move_ticks, 1e-9) << id;
    EXPECT_NEAR(g.move_bps, r.move_bps, 1e-9) << id;
    EXPECT_NEAR(g.ret_bps, r.ret_bps, 1e-9) << id;
    EXPECT_EQ(g.t_end, r.t_end) << id;
    up += model::class_of(r.move_ticks, 0.5) == 2;
    down += model::class_of(r.move_ticks, 0.5) == 0;
  }
  EXPECT_GT(up, 100u);
  EXPECT_GT(down, 100u);
}

TEST(Labels, EventHorizonsEqualTheDirectComputation) {
  check({HorizonUnit::Events, 1});
  check({HorizonUnit::Events, 10});
  check({HorizonUnit::Events, 100});
}

TEST(Labels, TimeHorizonsEqualTheDirectComputation) {
  check({HorizonUnit::Nanos, 5'000'000});
  check({HorizonUnit::Nanos, 100'000'000});
}

TEST(Labels, FullRingAndUnknownInstrumentsAreCounted) {
  model::Labeler lab({HorizonUnit::Events, 1000}, 100, 4, 16, 1);
  lab.on_event(0, 1, 9900, 10100, [](auto, auto) {});
  for (int i = 0; i < 20; ++i) (void)lab.add_sample(0, static_cast<std::uint64_t>(i), 1);
  EXPECT_EQ(lab.counters().samples, 16u);
  EXPECT_EQ(lab.counters().dropped_full, 4u);
  EXPECT_FALSE(lab.add_sample(1, 99, 1));  // no mid yet
  EXPECT_EQ(lab.counters().no_mid, 1u);
  lab.on_event(2, 1, 9900, 10100, [](auto, auto) {});
  EXPECT_FALSE(lab.add_sample(2, 100, 1));  // the pool had room for one instrument
  EXPECT_EQ(lab.counters().over_capacity, 1u);
  lab.on_event(9, 1, 9900, 10100, [](auto, auto) {});
  EXPECT_EQ(lab.counters().bad_instrument, 1u);
}

TEST(Labels, HorizonsParseAndBalancedThresholdSplitsInThirds) {
  EXPECT_EQ(model::parse_horizon("50").value, 50);
  EXPECT_EQ(model::parse_horizon("50ev").unit, HorizonUnit::Events);
  EXPECT_EQ(model::parse_horizon("500ms").value, 500'000'000);
  EXPECT_EQ(model::parse_horizon("2s").name(), "2s");
  EXPECT_THROW(model::parse_horizon("0"), std::invalid_argument);
  EXPECT_THROW(model::parse_horizon("5min"), std::invalid_argument);
  EXPECT_THROW(model::parse_horizon("x"), std::invalid_argument);
  std::vector<double> m;
  for (int i = -300; i < 300; ++i) m.push_back(i * 0.01);
  const double a = model::balanced_threshold(m);
  std::size_t c[3] = {};
  for (double v : m) ++c[model::class_of(v, a)];
  for (std::size_t k : c) EXPECT_NEAR(static_cast<double>(k), 200.0, 3.0);
}

// The inputs are scale-free: multiplying every size by 10 (another instrument's lot sizes) or
// moving every price by a constant leaves them unchanged.
TEST(Inputs, SizesAndPriceLevelsDoNotChangeTheInputs) {
  const std::vector<std::string> names = {"mid", "wmid", "microprice", "spread_ticks", "depth_bid_1", "depth_bid_2",
                                          "depth_ask_1", "depth_ask_2", "imb_1", "ofi_1s", "mlofi_1s", "svol_1s",
                                          "qdepl_bid", "trate_1s", "hawkes_buy", "hawkes_sell", "rv_1s", "vwap"};
  const model::InputMap map(names, 0.01);
  std::vector<double> f = {100.005, 100.007, 100.004, 1, 300, 700, 500, 900, -0.25, 120, -300, 40, 55, 3, 2.5, 1.5, 2e-4, 99.9};
  std::vector<float> a(map.size()), b(map.size());
  map.compute(f, 0x80 | 1, a.data());
  auto g = f;
  for (int k : {4, 5, 6, 7, 9, 10, 11, 12}) g[static_cast<std::size_t>(k)] *= 10;
  for (int k : {0, 1, 2, 17}) g[static_cast<std::size_t>(k)] += 55.0;
  map.compute(g, 0x80 | 1, b.data());
  for (std::size_t i = 0; i < map.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4 * (1 + std::fabs(a[i]))) << map.defs()[i].name;
  for (const auto& d : map.defs()) {
    EXPECT_NE(d.name, "mid");
    EXPECT_NE(d.name, "vwap");
  }
  EXPECT_NEAR(a[0], 0.2f, 1e-3) << "wmid - mid in ticks";
  // The regime label's volatility and trend: missing until the detector is ready.
  const std::size_t rv = map.size() - 2, rt = map.size() - 1;
  EXPECT_EQ(map.defs()[rv].name, "regime_vol");
  EXPECT_EQ(map.defs()[rt].name, "regime_trend");
  EXPECT_TRUE(std::isnan(map.one(f, 2 | 1 << 2, rv)));
  EXPECT_EQ(map.one(f, 0x80 | 2 | 1 << 2, rv), 2.0f);
  EXPECT_EQ(map.one(f, 0x80 | 2 | 1 << 2, rt), 1.0f);
}

}  // namespace
