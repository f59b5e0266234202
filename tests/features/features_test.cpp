// FeatureEngine against the independent reference (reference.hpp) on real LOBSTER days and on
// small synthetic streams with book edge cases; no look-ahead; schema hash; config validation.
//
// Tolerances: features the reference marks exact (book levels, mid, micro-price, spread,
// imbalance, VWAP, range, time) must agree to 1e-12 relative (the same arithmetic by another
// path; most agree bit for bit). Time-decayed features (scaled sums in the engine, explicit
// summation in the reference) must agree to 1e-9 of their scale: the decayed sum of |x| for
// signed sums (their condition), 1 for ratios bounded by 1; the z-score, built from
// E[d^2] - E[d]^2, to 1e-6 of max(1, |z|). Differences below 1e-290 (subnormal range) pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "../common/unzip_once.hpp"
#include "hft/book/order_book.hpp"
#include "hft/features/features.hpp"
#include "hft/gen/generator.hpp"
#include "hft/sources/open.hpp"
#include "hft/lobster/lobster.hpp"
#include "hft/lobster/lobster_source.hpp"
#include "reference.hpp"

namespace hft::features {
namespace {

const std::string kData = std::string(HFT_SHARED_DATA) + "/lobster-2012-06-21";
const std::string kTmp = std::string(HFT_TEST_TMP) + "/features";

std::vector<MarketEvent> lobster_day(const std::string& ticker, int levels) {
  const std::string zip = kData + "/LOBSTER_SampleFile_" + ticker + "_2012-06-21_" +
                          std::to_string(levels) + ".zip";
  std::filesystem::create_directories(kTmp);
  const std::string dir = hft::testing::unzip_once(zip, kTmp);
  EXPECT_FALSE(dir.empty()) << zip;
  const std::string path = dir + "/" + ticker + "_2012-06-21_34200000_57600000_message_" +
                           std::to_string(levels) + ".csv";
  auto src = lobster::open_lobster_source(path, {});
  std::vector<MarketEvent> all, buf(feed::kMaxBatch);
  std::size_t n;
  while ((n = src->next(buf)) > 0) all.insert(all.end(), buf.begin(), buf.begin() + n);
  return all;
}

struct Compared {
  std::size_t events = 0;
  std::size_t mismatches = 0;
  std::string first;
  double worst_exact = 0, worst_decayed = 0;  // largest |a - b| / scale seen
  std::uint64_t nonfinite = 0;
};

// Runs Books + FeatureEngine and the reference side by side over the stream and compares every
// feature after every event.
Compared compare(const std::vector<MarketEvent>& evs, const FeatureConfig& cfg, ref::Decay decay) {
  Compared r;
  book::Books books;
  FeatureEngine fe(cfg);
  ref::Reference rf(cfg, decay);
  EXPECT_EQ(fe.schema().names, rf.out().names);
  const std::size_t F = fe.schema().names.size();
  for (std::size_t k = 0; k < evs.size(); ++k) {
    const MarketEvent& ev = evs[k];
    books.apply(ev);
    fe.on_event(ev, books);
    rf.step(ev);
    const auto& o = rf.out();
    const auto got = fe.values(ev.instrument);
    ++r.events;
    if (got.size() != F || o.val.size() != F) {
      ADD_FAILURE() << "size " << got.size() << " vs " << o.val.size();
      return r;
    }
    // The reference's own book agrees with hft::book at every level.
    for (std::size_t i = 0; i < cfg.levels; ++i) {
      book::LevelView lv;
      const bool hb = books.level(ev.instrument, Side::Buy, i, lv);
      if ((hb ? double(lv.price) : 0.0) != o.top_pb[i] || (hb ? double(lv.qty) : 0.0) != o.top_qb[i]) {
        ADD_FAILURE() << "bid level " << i << " differs at event " << k;
        return r;
      }
      const bool ha = books.level(ev.instrument, Side::Sell, i, lv);
      if ((ha ? double(lv.price) : INFINITY) != o.top_pa[i] || (ha ? double(lv.qty) : 0.0) != o.top_qa[i]) {
        ADD_FAILURE() << "ask level " << i << " differs at event " << k;
        return r;
      }
    }
    const FeatureVector& fv = fe.current(ev.instrument);
    for (std::size_t f = 0; f < F; ++f) {
      const double a = got[f], b = o.val[f];
      if (!std::isfinite(a)) ++r.nonfinite;
      const double tol = o.exact[f] ? 1e-12 : 1e-9;
      const double scale = std::max(o.scale[f], std::fabs(b));
      const double err = std::fabs(a - b);
      // Below 1e-290 a value is in or near the subnormal range, where neither computation
      // keeps relative precision (weights of terms hundreds of tau old).
      // rv is the square root of such a sum: below 1e-140 it is the root of one too.
      const double rel = err <= 1e-290 || (std::fabs(a) < 1e-140 && std::fabs(b) < 1e-140)
                             ? 0.0
                             : (scale > 0 ? err / scale : INFINITY);
      double& worst = o.exact[f] ? r.worst_exact : r.worst_decayed;
      worst = std::max(worst, rel);
      if (!(rel <= tol) || fv.v[f] != static_cast<float>(a)) {
        if (r.mismatches++ < 5) {
          char line[256];
          std::snprintf(line, sizeof line, "event %zu %s: engine %.17g reference %.17g scale %.3g float %.9g\n",
                        k, fe.schema().names[f].c_str(), a, b, scale, double(fv.v[f]));
          r.first += line;
        }
      }
    }
    if (fv.schema_hash != fe.schema().hash || fv.n != F || fv.ts != ev.ts_exch || fv.instrument != ev.instrument)
      if (r.mismatches++ < 5) r.first += "vector header wrong at event " + std::to_string(k) + "\n";
  }
  r.nonfinite += fe.counters().nonfinite_replaced;
  return r;
}

void expect_match(const Compared& c, std::size_t min_events) {
  EXPECT_GE(c.events, min_events);
  EXPECT_EQ(c.mismatches, 0u) << c.first;
  EXPECT_EQ(c.nonfinite, 0u);
  std::printf("  %zu events: worst exact-feature error %.3g (of |value|), worst decayed-feature error %.3g (of scale)\n",
              c.events, c.worst_exact, c.worst_decayed);
}

FeatureConfig lobster_config(std::size_t levels) {
  FeatureConfig c;
  c.levels = levels;
  c.date_yyyymmdd = 20120621;
  return c;
}

TEST(FeaturesReal, AmznLevel5EveryFeatureEveryEvent) {
  const auto evs = lobster_day("AMZN", 5);
  ASSERT_GT(evs.size(), 150000u);
  expect_match(compare(evs, lobster_config(5), ref::Decay::Blocked), evs.size());
}

TEST(FeaturesReal, AaplLevel1EveryFeatureEveryEvent) {
  const auto evs = lobster_day("AAPL", 1);
  ASSERT_GT(evs.size(), 100000u);
  // Level-1 data, five configured levels: levels 2..5 are empty and must read as such.
  expect_match(compare(evs, lobster_config(5), ref::Decay::Blocked), evs.size());
}

// One instrument's generated ITCH day (full depth), written once per seed; returns its path.
std::string generated_day(std::uint64_t seed, std::uint64_t messages) {
  std::filesystem::create_directories(kTmp);
  gen::GenConfig g;
  g.seed = seed;
  g.instruments = 1;
  g.messages = messages;
  g.out_path = kTmp + "/gen" + std::to_string(seed) + ".pcap";
  gen::generate_pcap(g);
  return g.out_path;
}

// A full-depth book (the project's generated ITCH day: one instrument, hundreds of levels), where
// most adds and cancels are below the top N: the engine reads a side's top N only when the book
// changed a level there, and every feature still equals the reference, which rebuilds its own
// book on every event.
TEST(FeaturesGenerated, FullDepthBookEveryFeatureEveryEvent) {
  auto src = sources::open_source({"pcap", generated_day(11, 120'000)});
  std::vector<MarketEvent> evs, buf(feed::kMaxBatch);
  std::size_t n;
  while ((n = src->next(buf)) > 0)
    for (std::size_t i = 0; i < n; ++i)
      if (buf[i].kind != EventKind::Directory && buf[i].kind != EventKind::System) evs.push_back(buf[i]);
  ASSERT_GT(evs.size(), 100000u);
  std::size_t deep = 0;  // events whose book change was below the top 5 (the case under test)
  {
    book::Books b;
    for (const MarketEvent& e : evs) {
      b.apply(e);
      if (!book::is_book_event(e.kind)) continue;
      book::LevelView l5b, l5a;
      const bool fb = b.level(e.instrument, Side::Buy, 4, l5b), fa = b.level(e.instrument, Side::Sell, 4, l5a);
      deep += fb && fa && !b.last_apply_touched(Side::Buy, l5b.price) && !b.last_apply_touched(Side::Sell, l5a.price);
    }
  }
  std::printf("  %zu of %zu events changed nothing in the top 5 levels\n", deep, evs.size());
  EXPECT_GT(deep, evs.size() / 10);
  FeatureConfig c;
  c.date_yyyymmdd = 20250102;
  expect_match(compare(evs, c, ref::Decay::Blocked), evs.size());
}

// Events the features never see (the engine's cleaner dropped them after the book applied
// them): the next event the features do see reads both sides again, so the depth features are
// the book's, whatever the skipped events changed.
TEST(FeaturesGenerated, EventsSkippedAfterTheBookDoNotLeaveAStaleTop) {
  auto src = sources::open_source({"pcap", generated_day(12, 30'000)});
  book::Books books;
  FeatureConfig c;
  FeatureEngine fe(c);
  const auto& names = fe.schema().names;
  const auto col = [&](const std::string& n) {
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), n) - names.begin());
  };
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::size_t n, k = 0, checked = 0;
  while ((n = src->next(buf)) > 0) {
    for (std::size_t i = 0; i < n; ++i, ++k) {
      const MarketEvent& e = buf[i];
      books.apply(e);
      if (e.kind == EventKind::Directory || e.kind == EventKind::System || k % 7 == 3) continue;
      fe.on_event(e, books);
      const auto v = fe.values(e.instrument);
      Volume accb = 0, acca = 0;
      for (std::size_t lvl = 0; lvl < c.levels; ++lvl) {
        book::LevelView lb, la;
        if (books.level(e.instrument, Side::Buy, lvl, lb)) accb += lb.qty;
        if (books.level(e.instrument, Side::Sell, lvl, la)) acca += la.qty;
        ASSERT_EQ(v[col("depth_bid_" + std::to_string(lvl + 1))], static_cast<double>(accb)) << "event " << k;
        ASSERT_EQ(v[col("depth_ask_" + std::to_string(lvl + 1))], static_cast<double>(acca)) << "event " << k;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 20000u);
}

// The regrouped (blocked, truncated) summation of the day tests equals the literal double loop
// over every past event, on the first events of the AMZN day.
TEST(FeaturesReal, DirectSummationOnAmznOpening) {
  auto evs = lobster_day("AMZN", 5);
  evs.resize(3000);
  expect_match(compare(evs, lobster_config(5), ref::Decay::Direct), 3000);
  FeatureConfig c = lobster_config(3);
  c.horizons_s = {0.25, 2.0, 30.0, 300.0};
  c.hawkes_beta = 0.5;
  expect_match(compare(evs, c, ref::Decay::Direct), 3000);
}

// ---- synthetic streams with book edge cases

struct Gen {
  std::vector<MarketEvent> evs;
  Nanos t = 34'200'000'000'000 - 60'000'000'000;  // 09:29 (pre-open)
  OrderId next = 1;
  MarketEvent& push(EventKind k, Side s, Price p, Qty q, OrderId id, Nanos dt_ns) {
    t += dt_ns;
    MarketEvent e{};
    e.ts_exch = t;
    e.ts_recv = t;
    e.kind = k;
    e.side = s;
    e.price = p;
    e.qty = q;
    e.order_id = id;
    e.instrument = 7;
    e.flags = evflag::kLast;
    evs.push_back(e);
    return evs.back();
  }
  OrderId add(Side s, Price p, Qty q, Nanos dt = 1'000'000) {
    push(EventKind::Add, s, p, q, next, dt);
    return next++;
  }
};

// Empty book, one side only, one level, locked, crossed (as during a halt), cleared, and
// deletes without a side, hidden trades, replaces, a timestamp that goes backwards.
std::vector<MarketEvent> edge_stream() {
  Gen g;
  g.push(EventKind::Status, Side::None, 0, 0, 0, 1000).aux = static_cast<std::uint8_t>(TradingState::Quotation);
  g.push(EventKind::Trade, Side::None, 1'000'000, 50, 0, 1000);   // print with an empty book
  const OrderId b1 = g.add(Side::Buy, 1'000'000, 100);             // one side only
  const OrderId b2 = g.add(Side::Buy, 999'900, 200);
  const OrderId a1 = g.add(Side::Sell, 1'000'200, 300, 120'000'000'000);  // into the session
  g.add(Side::Sell, 1'000'300, 50);
  g.push(EventKind::Execute, Side::Sell, 1'000'200, 100, a1, 5'000'000);  // buyer-initiated
  g.push(EventKind::Execute, Side::Sell, 1'000'200, 100, a1, 0);          // same market order
  g.push(EventKind::Cancel, Side::Buy, 0, 40, b1, 300'000'000);
  g.push(EventKind::Delete, Side::None, 0, 0, b2, 2'000'000'000);         // side inferred
  const OrderId b3 = g.add(Side::Buy, 1'000'200, 10);                     // locked
  g.push(EventKind::Status, Side::None, 0, 0, 0, 1000).aux = static_cast<std::uint8_t>(TradingState::Halted);
  const OrderId b4 = g.add(Side::Buy, 1'000'400, 70);                     // crossed
  g.push(EventKind::Trade, Side::Buy, 1'000'250, 30, 0, 1000).flags |= evflag::kCross;
  g.push(EventKind::Delete, Side::Buy, 0, 0, b4, 1000);
  g.push(EventKind::Delete, Side::Buy, 0, 0, b3, 1000);
  g.push(EventKind::Status, Side::None, 0, 0, 0, 1000).aux = static_cast<std::uint8_t>(TradingState::Trading);
  MarketEvent& r = g.push(EventKind::Replace, Side::None, 1'000'100, 80, b1, 7'000'000);
  r.new_order_id = 500;
  g.push(EventKind::Add, Side::Sell, 1'000'150, 20, 501, -3'000'000);      // time goes backwards
  g.push(EventKind::Execute, Side::Buy, 1'000'100, 80, 500, 4'000'000'000);  // seller-initiated
  for (int i = 0; i < 40; ++i) {  // a busy stretch with mid changes
    const OrderId id = g.add(i % 2 ? Side::Buy : Side::Sell, i % 2 ? 1'000'000 + 100 * (i % 3) : 1'000'300 + 100 * (i % 4),
                             static_cast<Qty>(10 + i), 37'000'000 * (i % 5));
    if (i % 3 == 0) g.push(EventKind::Cancel, Side::None, 0, 5, id, 1'000'000);
    if (i % 4 == 1) g.push(EventKind::Execute, i % 2 ? Side::Buy : Side::Sell, 0, 3, id, 0);
  }
  g.push(EventKind::Clear, Side::None, 0, 0, 0, 1'000'000'000);           // both sides empty
  g.add(Side::Sell, 1'000'500, 10, 1000);
  g.add(Side::Buy, 1'000'000, 10, 24'000'000'000'000);                    // after the close
  return g.evs;
}

TEST(FeaturesEdge, SyntheticEdgeStreamMatchesReference) {
  const auto evs = edge_stream();
  FeatureConfig c;
  c.levels = 3;
  expect_match(compare(evs, c, ref::Decay::Direct), evs.size());
  c.levels = 1;
  c.horizons_s = {0.5};
  expect_match(compare(evs, c, ref::Decay::Direct), evs.size());
}

// Runs the stream and returns the feature vector (as values) after every event.
std::vector<std::vector<double>> run(const std::vector<MarketEvent>& evs, const FeatureConfig& c,
                                     FeatureCounters* counters = nullptr) {
  book::Books books;
  FeatureEngine fe(c);
  std::vector<std::vector<double>> out;
  for (const auto& e : evs) {
    books.apply(e);
    fe.on_event(e, books);
    const auto v = fe.values(e.instrument);
    out.emplace_back(v.begin(), v.end());
  }
  if (counters) *counters = fe.counters();
  return out;
}

double at(const FeatureEngine& fe, const std::vector<double>& v, const std::string& name) {
  const auto& n = fe.schema().names;
  const auto it = std::find(n.begin(), n.end(), name);
  EXPECT_NE(it, n.end()) << name;
  return it == n.end() ? NAN : v[static_cast<std::size_t>(it - n.begin())];
}

TEST(FeaturesEdge, DefinedValuesOnBadBooks) {
  const auto evs = edge_stream();
  FeatureConfig c;
  FeatureEngine fe(c);
  FeatureCounters cnt;
  const auto v = run(evs, c, &cnt);
  for (const auto& row : v)
    for (double x : row) ASSERT_TRUE(std::isfinite(x));
  EXPECT_EQ(cnt.nonfinite_replaced, 0u);
  EXPECT_EQ(cnt.instruments_created, 1u);
  EXPECT_EQ(cnt.time_backwards, 1u);
  EXPECT_GT(cnt.invalid_book, 0u);
  // Event 1: a print and no book at all: mid 0, invalid, spread 0.
  EXPECT_EQ(at(fe, v[1], "mid"), 0.0);
  EXPECT_EQ(at(fe, v[1], "book_valid"), 0.0);
  EXPECT_EQ(at(fe, v[1], "spread_ticks"), 0.0);
  EXPECT_EQ(at(fe, v[1], "pre_open"), 1.0);
  // Event 2: bid only: mid falls back to the bid.
  EXPECT_EQ(at(fe, v[2], "mid"), 100.0);
  EXPECT_EQ(at(fe, v[2], "imb_1"), 1.0);
  // Event 4: first two-sided book: 100.00 x 100.02, 100 x 300.
  EXPECT_EQ(at(fe, v[4], "book_valid"), 1.0);
  EXPECT_DOUBLE_EQ(at(fe, v[4], "mid"), 100.01);
  EXPECT_DOUBLE_EQ(at(fe, v[4], "spread_ticks"), 2.0);
  EXPECT_DOUBLE_EQ(at(fe, v[4], "microprice"), (100.0 * 300 + 100.02 * 100) / 400);
  EXPECT_DOUBLE_EQ(at(fe, v[4], "imb_1"), (100.0 - 300.0) / 400.0);
  EXPECT_EQ(at(fe, v[4], "open_first"), 1.0);
  // Events 6-7: two executions at one time are one market order on the buy side.
  EXPECT_DOUBLE_EQ(at(fe, v[7], "hawkes_buy"), c.hawkes_mu + c.hawkes_alpha);
  EXPECT_DOUBLE_EQ(at(fe, v[7], "hawkes_sell"), c.hawkes_mu);
  EXPECT_GT(at(fe, v[7], "svol_1s"), 0.0);
  // Event 10: locked (bid = ask), event 12: crossed, halted: invalid, mid = last valid mid.
  EXPECT_EQ(at(fe, v[10], "book_valid"), 0.0);
  EXPECT_EQ(at(fe, v[12], "book_valid"), 0.0);
  EXPECT_EQ(at(fe, v[12], "halted"), 1.0);
  EXPECT_EQ(at(fe, v[12], "mid"), at(fe, v[9], "mid"));
  EXPECT_LT(at(fe, v[12], "spread_ticks"), 0.0);
  // After the clear: empty book, last valid mid kept.
  const std::size_t n = v.size();
  EXPECT_EQ(at(fe, v[n - 1], "post_close"), 1.0);
  EXPECT_EQ(at(fe, v[n - 1], "book_valid"), 1.0);
}

// No feature at event k depends on an event after k: a fresh engine fed only events[0..k]
// gives bit-identical values at k, for many cut points.
TEST(FeaturesCausal, PrefixRunsEqualFullRun) {
  auto evs = lobster_day("AMZN", 5);
  evs.resize(30000);
  const FeatureConfig c = lobster_config(5);
  const auto full = run(evs, c);
  for (std::size_t cut = 1; cut <= evs.size(); cut += 997) {
    const std::vector<MarketEvent> prefix(evs.begin(), evs.begin() + static_cast<std::ptrdiff_t>(cut));
    const auto part = run(prefix, c);
    ASSERT_EQ(part.back(), full[cut - 1]) << "cut " << cut;
  }
  // And the converse: changing every event after k leaves the values at k untouched.
  auto changed = evs;
  for (std::size_t i = 15000; i < changed.size(); ++i) changed[i].qty = changed[i].qty / 2 + 1;
  const auto other = run(changed, c);
  for (std::size_t i = 0; i < 15000; ++i) ASSERT_EQ(other[i], full[i]) << i;
  EXPECT_NE(other.back(), full.back());
}

TEST(FeaturesInstruments, InstrumentsAreIndependent) {
  auto a = lobster_day("AMZN", 5);
  a.resize(20000);
  auto b = a;
  for (auto& e : b) {
    e.instrument = 9;
    e.order_id += 1'000'000'000;
    e.price += 500;
  }
  std::vector<MarketEvent> mixed;
  for (std::size_t i = 0; i < a.size(); ++i) {
    mixed.push_back(a[i]);
    mixed.push_back(b[i]);
  }
  const FeatureConfig c = lobster_config(5);
  const auto ra = run(a, c), rb = run(b, c), rm = run(mixed, c);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(rm[2 * i], ra[i]) << i;
    ASSERT_EQ(rm[2 * i + 1], rb[i]) << i;
  }
}

// The decay factors' exp in AVX2 (four lanes) and in baseline SSE2 (two) give the same bits in
// every value, with 3 horizons (4 lanes with Hawkes) and 4 (5 lanes: a partial vector).
TEST(FeaturesSimd, Avx2AndBaselineGiveTheSameBits) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "this CPU has no AVX2: one path only";
  auto src = sources::open_source({"pcap", generated_day(13, 20'000)});
  std::vector<MarketEvent> evs, buf(feed::kMaxBatch);
  std::size_t n;
  while ((n = src->next(buf)) > 0) evs.insert(evs.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  for (const std::vector<double>& horizons : {std::vector<double>{1, 10, 60}, std::vector<double>{0.5, 2, 10, 60}}) {
    FeatureConfig c;
    c.horizons_s = horizons;
    FeatureConfig base = c;
    base.allow_avx2 = false;
    const auto a = run(evs, c), b = run(evs, base);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].size(), b[i].size());
      ASSERT_EQ(std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(double)), 0)
          << "event " << i << ", " << horizons.size() << " horizons";
    }
  }
}

// ---- schema, vector, config

TEST(FeaturesSchema, HashIsFnv1aOfNamesAndFollowsThem) {
  EXPECT_EQ(schema_hash({}), 14695981039346656037ull);
  EXPECT_EQ(schema_hash({"a"}), 0xaf63dc4c8601ec8cull);  // published FNV-1a 64 of "a"
  EXPECT_EQ(schema_hash({"a", "b"}), schema_hash({"a\nb"}));
  EXPECT_NE(schema_hash({"a", "b"}), schema_hash({"b", "a"}));
  EXPECT_NE(schema_hash({"a", "b"}), schema_hash({"a", "c"}));
  EXPECT_NE(schema_hash({"ab"}), schema_hash({"a", "b"}));

  FeatureConfig c;
  FeatureEngine fe(c);
  EXPECT_GE(fe.schema().names.size(), 40u);
  EXPECT_EQ(fe.schema().hash, schema_hash(fe.schema().names));
  std::printf("  default set: %zu features, schema hash %016llx\n", fe.schema().names.size(),
              static_cast<unsigned long long>(fe.schema().hash));
  // Every name unique.
  auto sorted = fe.schema().names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
  // Another config, another schema.
  FeatureConfig c2 = c;
  c2.horizons_s = {1, 10, 30};
  EXPECT_NE(FeatureEngine(c2).schema().hash, fe.schema().hash);
  FeatureConfig c3 = c;
  c3.flow = false;
  FeatureEngine fe3(c3);
  EXPECT_LT(fe3.schema().names.size(), fe.schema().names.size());
  EXPECT_NE(fe3.schema().hash, fe.schema().hash);
  // A vector always carries its schema's hash, also for an instrument never seen.
  EXPECT_EQ(fe.current(123).schema_hash, fe.schema().hash);
  EXPECT_EQ(fe.current(123).n, fe.schema().names.size());
  EXPECT_EQ(fe.values(123).size(), fe.schema().names.size());
  book::Books books;
  MarketEvent e{};
  e.instrument = 5;
  e.kind = EventKind::Add;
  e.side = Side::Buy;
  e.price = 100;
  e.qty = 1;
  e.order_id = 1;
  e.ts_exch = 40'000'000'000'000;
  books.apply(e);
  fe.on_event(e, books);
  fe3.on_event(e, books);
  EXPECT_EQ(fe.current(5).schema_hash, fe.schema().hash);
  EXPECT_EQ(fe3.current(5).schema_hash, fe3.schema().hash);
  EXPECT_EQ(fe.current(5).instrument, 5u);
  static_assert(std::is_trivially_copyable_v<FeatureVector>);
}

TEST(FeaturesConfig, ValidateNamesTheProblem) {
  FeatureConfig c;
  EXPECT_EQ(validate(c), "");
  auto bad = [](auto mutate, const char* word) {
    FeatureConfig k;
    mutate(k);
    const std::string e = validate(k);
    EXPECT_NE(e.find(word), std::string::npos) << e;
    EXPECT_THROW(FeatureEngine{k}, std::invalid_argument);
  };
  bad([](FeatureConfig& k) { k.horizons_s = {}; }, "horizons");
  bad([](FeatureConfig& k) { k.horizons_s = {1, 2, 3, 4, 5}; }, "horizons");
  bad([](FeatureConfig& k) { k.horizons_s = {1, -2}; }, "horizons");
  bad([](FeatureConfig& k) { k.levels = 0; }, "levels");
  bad([](FeatureConfig& k) { k.levels = 11; }, "levels");
  bad([](FeatureConfig& k) { k.tick = 0; }, "tick");
  bad([](FeatureConfig& k) { k.session_close = k.session_open; }, "session");
  bad([](FeatureConfig& k) { k.hawkes_beta = 0; }, "hawkes");
  bad([](FeatureConfig& k) { k.date_yyyymmdd = 20121340; }, "date");
  bad([](FeatureConfig& k) { k.book = k.flow = k.stat = k.tech = k.time = false; }, "group");
  bad([](FeatureConfig& k) { k.max_gap = 0; }, "max_gap");
  bad([](FeatureConfig& k) { k.max_backwards = -1; }, "max_backwards");
  bad([](FeatureConfig& k) { k.utc_offset = 25 * 3'600'000'000'000; }, "utc_offset");
}

TEST(FeaturesSanitize, NonFiniteAndFloatOverflowReplacedAndCounted) {
  // Every position of a vector of each length, so both the packed and the scalar tail see it.
  for (std::size_t n = 1; n <= 13; ++n) {
    for (std::size_t at = 0; at < n; ++at) {
      for (double badv : {double(NAN), double(INFINITY), -double(INFINITY), 1e300}) {
        std::vector<double> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = 0.5 * double(i) - 2.0;
        v[at] = badv;
        std::vector<float> f(n, 7.0f);
        ASSERT_EQ(to_float_checked(v.data(), f.data(), n), 1u) << n << " " << at;
        for (std::size_t i = 0; i < n; ++i) {
          const double want = i == at ? 0.0 : 0.5 * double(i) - 2.0;
          ASSERT_EQ(v[i], want);
          ASSERT_EQ(f[i], static_cast<float>(want));
        }
      }
    }
  }
  std::vector<double> ok{1.0, -3e38, 3e38, 1e-300, 0.0};
  std::vector<float> f(ok.size());
  EXPECT_EQ(to_float_checked(ok.data(), f.data(), ok.size()), 0u);
  EXPECT_EQ(f[1], -3e38f);
}

TEST(FeaturesInstruments, InstrumentBeyondCapacityCountedAndIgnored) {
  FeatureEngine fe(FeatureConfig{}, 4);
  book::Books books;
  MarketEvent e{};
  e.instrument = 10;
  e.kind = EventKind::Status;
  fe.on_event(e, books);
  EXPECT_EQ(fe.counters().bad_instrument, 1u);
  EXPECT_EQ(fe.counters().instruments_created, 0u);
  EXPECT_EQ(fe.current(10).schema_hash, fe.schema().hash);
  for (double x : fe.values(10)) EXPECT_EQ(x, 0.0);
  e.instrument = 3;
  fe.on_event(e, books);
  EXPECT_EQ(fe.counters().instruments_created, 1u);
  EXPECT_EQ(fe.counters().events, 2u);
}

TEST(FeaturesTime, DayOfWeekFromEpochOrConfig) {
  EXPECT_EQ(day_of_week(20120621), 3);  // Thursday
  EXPECT_EQ(day_of_week(19700101), 3);
  EXPECT_EQ(day_of_week(20240101), 0);  // Monday
  EXPECT_EQ(day_of_week(20241110), 6);  // Sunday
  FeatureConfig c;
  c.date_yyyymmdd = 20120621;
  FeatureEngine fe(c);
  book::Books books;
  MarketEvent e{};
  e.instrument = 1;
  e.kind = EventKind::System;
  e.ts_exch = 36'000'000'000'000;  // 10:00
  fe.on_event(e, books);
  EXPECT_EQ(at(fe, std::vector<double>(fe.values(1).begin(), fe.values(1).end()), "day_of_week"), 3.0);
  EXPECT_DOUBLE_EQ(at(fe, std::vector<double>(fe.values(1).begin(), fe.values(1).end()), "min_since_open"), 30.0);
  e.ts_recv = 1'704'117'600'000'000'000;  // 2024-01-01 14:00 UTC, a Monday
  fe.on_event(e, books);
  EXPECT_EQ(at(fe, std::vector<double>(fe.values(1).begin(), fe.values(1).end()), "day_of_week"), 0.0);
}

// ---- sessions, discontinuities, snapshots, hostile stamps

constexpr Nanos kSec = 1'000'000'000;
constexpr Nanos kDayNs = 86'400 * kSec;

// A two-sided book quoted +-3 ticks around a drifting mid with prints, one step every dt from t: each
// step adds a bid and an ask, prints a trade at px (a Trade event: no book change), and cancels
// the orders of three steps before. Returns the ids of the orders left.
struct Quoter {
  std::vector<MarketEvent> evs;
  OrderId next = 1;
  std::vector<OrderId> live;
  MarketEvent ev(EventKind k, Nanos t) {
    MarketEvent e{};
    e.ts_exch = t;
    e.ts_recv = t;
    e.kind = k;
    e.instrument = 3;
    e.flags = evflag::kLast;
    return e;
  }
  void step(Nanos t, Price mid, Price print, Qty q) {
    MarketEvent b = ev(EventKind::Add, t);
    b.side = Side::Buy;
    b.price = mid - 300;
    b.qty = 100 + q;
    b.order_id = next++;
    MarketEvent a = ev(EventKind::Add, t);
    a.side = Side::Sell;
    a.price = mid + 300;
    a.qty = 50 + 2 * q;
    a.order_id = next++;
    evs.push_back(b);
    evs.push_back(a);
    live.push_back(b.order_id);
    live.push_back(a.order_id);
    MarketEvent tr = ev(EventKind::Trade, t);
    tr.price = print;
    tr.qty = q;
    tr.side = q % 2 ? Side::Buy : Side::Sell;
    evs.push_back(tr);
    if (live.size() > 6) {
      for (int i = 0; i < 2; ++i) {
        MarketEvent d = ev(EventKind::Delete, t);
        d.order_id = live.front();
        live.erase(live.begin());
        evs.push_back(d);
      }
    }
  }
};

std::size_t col(const FeatureEngine& fe, const std::string& name) {
  const auto& n = fe.schema().names;
  return static_cast<std::size_t>(std::find(n.begin(), n.end(), name) - n.begin());
}

// Epoch stamps (DBN) in New York winter time: a night of quotes every 5 minutes across the
// 09:30 open (a session boundary without a gap), a one-week gap, a step back, a quiet hour
// below max_gap that crosses the next open, a day with stamps since midnight (ITCH) read as
// such. Every feature after every event equals the reference, which keeps the whole stream and
// sums only over the events of the segment / session; each discontinuity counted once.
TEST(FeaturesSession, DayBoundaryWeekGapAndStepBackMatchReference) {
  FeatureConfig c;
  c.ts_exch_epoch = true;
  c.utc_offset = -5 * 3600 * kSec;
  c.date_yyyymmdd = 0;
  // 2024-01-08 (Monday) 00:00 New York = 05:00 UTC.
  const Nanos mon = 1'704'672'000 * kSec + 5 * 3600 * kSec;
  Quoter g;
  Nanos t = mon + 8 * 3600 * kSec;  // 08:00
  for (int i = 0; i < 30; ++i, t += 300 * kSec)  // 08:00 .. 10:25: the open at step 18
    g.step(t, 1'000'000 + 100 * (i % 7), 1'000'000 + 100 * (i % 5), static_cast<Qty>(10 + i));
  t += 7 * kDayNs;  // one week later (Monday 10:30): restart
  for (int i = 0; i < 20; ++i, t += kSec) g.step(t, 1'100'000 + 100 * (i % 3), 1'100'000, static_cast<Qty>(5 + i));
  t -= 10 * kSec;  // a step back: restart
  for (int i = 0; i < 10; ++i, t += kSec) g.step(t, 1'050'000 + 100 * (i % 4), 1'050'100, static_cast<Qty>(7 + i));
  t = mon + 8 * kDayNs + 9 * 3600 * kSec;  // Tuesday 09:00 next week: gap ~23 h: restart
  for (int i = 0; i < 12; ++i, t += 600 * kSec)  // 09:00 .. 10:50, quiet (10 min < max_gap): open at step 3
    g.step(t, 1'020'000 - 100 * (i % 6), 1'020'000, static_cast<Qty>(3 + i));
  expect_match(compare(g.evs, c, ref::Decay::Direct), g.evs.size());
  FeatureCounters cnt;
  run(g.evs, c, &cnt);
  EXPECT_EQ(cnt.session_resets, 2u);  // Monday's and Tuesday's 09:30
  EXPECT_EQ(cnt.gap_restarts, 2u);    // the week, the night
  EXPECT_EQ(cnt.backwards_restarts, 1u);
  EXPECT_EQ(cnt.time_backwards, 1u);
  // Blocked summation too (the day tests' method), and a long max_gap: the week is then one
  // rebase of the decayed sums (decayed to 0), and the Monday open still resets the session.
  c.max_gap = 30 * kDayNs;
  expect_match(compare(g.evs, c, ref::Decay::Blocked), g.evs.size());
  run(g.evs, c, &cnt);
  EXPECT_EQ(cnt.gap_restarts, 0u);
  // Monday's open, the next Monday (10:30, another session), Tuesday's open (Tuesday 09:00 is
  // still in Monday's session).
  EXPECT_EQ(cnt.session_resets, 3u);
  // Stamps since midnight (ITCH, LOBSTER): the same stream shifted to a day starting at 0 has
  // a session boundary at 09:30 too; a second day appended reads as a step back.
  FeatureConfig m;
  std::vector<MarketEvent> day = g.evs;
  day.resize(30 * 3 + 24 * 2);  // Monday only (30 steps and their deletes)
  for (auto& e : day) e.ts_exch = e.ts_recv = e.ts_exch - mon;
  std::vector<MarketEvent> two = day;
  for (auto e : day) {
    e.order_id += 10'000;
    two.push_back(e);
  }
  for (auto& e : two) {
    if (e.kind == EventKind::Delete && e.order_id < 10'000 && &e >= &two[day.size()]) e.order_id += 10'000;
  }
  expect_match(compare(two, m, ref::Decay::Direct), two.size());
  run(two, m, &cnt);
  EXPECT_EQ(cnt.backwards_restarts, 1u);
  EXPECT_EQ(cnt.session_resets, 2u);
}

// VWAP, range and z-score are session features: the first print of a new session alone makes
// the VWAP (an engine that kept summing from the start fails here), one valid mid gives range
// 0.5 and z-score 0; a decayed feature (trade rate) is not reset by a session boundary.
TEST(FeaturesSession, VwapRangeAndZscoreResetAtTheOpen) {
  FeatureConfig c;  // stamps since midnight, open 09:30
  Quoter g;
  Nanos t = 34'200 * kSec - 30 * kSec;  // 09:29:30
  for (int i = 0; i < 10; ++i, t += kSec) g.step(t, 1'000'000 + 100 * (i % 3), 1'000'000, 100);
  const std::size_t before = g.evs.size();
  g.step(34'200 * kSec, 1'010'000, 1'234'500, 7);  // 09:30:00: the open
  const auto v = run(g.evs, c);
  FeatureEngine fe(c);
  const auto& last_pre = v[before - 1];
  const auto& open = v[before + 2];  // after the open's print
  EXPECT_DOUBLE_EQ(last_pre[col(fe, "vwap")], 100.0);
  EXPECT_DOUBLE_EQ(open[col(fe, "vwap")], 123.45);
  EXPECT_NE(last_pre[col(fe, "range_pos")], 0.5);
  EXPECT_EQ(open[col(fe, "range_pos")], 0.5);
  EXPECT_EQ(open[col(fe, "zscore")], 0.0);
  EXPECT_NE(last_pre[col(fe, "zscore")], 0.0);
  EXPECT_GT(open[col(fe, "trate_60s")], 6.0 / 60.0);  // the earlier prints still count
  // One second earlier the print would be in the pre-open session: no reset.
  Quoter h = g;
  for (std::size_t i = before; i < h.evs.size(); ++i) h.evs[i].ts_exch = h.evs[i].ts_recv = 34'199 * kSec + 999'999'999;
  const auto w = run(h.evs, c);
  EXPECT_NEAR(w[before + 2][col(fe, "vwap")], (1000 * 100.0 + 123.45 * 7) / 1007, 1e-9);
}

// Snapshot events build the book only: the same stream with its snapshot stamped at other
// times (days before, later than the live events, at the ends of the int64 range) gives the
// same features after every live event; the engine equals the reference, which gives
// snapshot events no increment; a snapshot print does not enter the VWAP.
TEST(FeaturesSnapshot, SnapshotBuildsTheBookAndNothingTimeBased) {
  FeatureConfig c;
  c.ts_exch_epoch = true;
  const Nanos t0 = 1'703'545'200 * kSec;  // 2023-12-25 23:00 UTC
  Quoter snapq;
  for (int i = 0; i < 40; ++i) snapq.step(t0 - 3 * kDayNs, 1'000'000 + 100 * (i % 3), 1'000'000, 1);
  std::vector<MarketEvent> evs;
  for (auto e : snapq.evs) {
    e.flags = static_cast<std::uint8_t>(e.flags | evflag::kSnapshot);
    if (e.kind == EventKind::Trade) e.price = 5'000'000;  // a print far away: must not count
    evs.push_back(e);
  }
  const std::size_t n_snap = evs.size();
  Quoter live;
  live.next = 100'000;
  for (int i = 0; i < 50; ++i) live.step(t0 + Nanos{i} * 50'000'000, 1'000'000 + 100 * (i % 5), 1'000'100, static_cast<Qty>(1 + i % 4));
  evs.insert(evs.end(), live.evs.begin(), live.evs.end());
  expect_match(compare(evs, c, ref::Decay::Direct), evs.size());
  FeatureCounters cnt;
  const auto base = run(evs, c, &cnt);
  EXPECT_EQ(cnt.snapshot_events, n_snap);
  EXPECT_EQ(cnt.time_backwards, 0u);
  EXPECT_EQ(cnt.gap_restarts, 0u);
  EXPECT_EQ(cnt.backwards_restarts, 0u);
  FeatureEngine fe(c);
  EXPECT_DOUBLE_EQ(base[n_snap + 2][col(fe, "vwap")], 100.01);  // the first live print only
  EXPECT_EQ(base[n_snap - 1][col(fe, "trate_1s")], 0.0);
  EXPECT_EQ(base[n_snap - 1][col(fe, "ofi_60s")], 0.0);
  EXPECT_EQ(base[n_snap - 1][col(fe, "add_rate_bid")], 0.0);
  EXPECT_GT(base[n_snap - 1][col(fe, "depth_bid_1")], 0.0);  // the book is there
  const std::size_t first_time = col(fe, "tod_sin");
  for (Nanos st : {Nanos{0}, t0 + 365 * kDayNs, std::numeric_limits<Nanos>::max(), std::numeric_limits<Nanos>::min()}) {
    auto other = evs;
    for (std::size_t i = 0; i < n_snap; ++i) other[i].ts_exch = other[i].ts_recv = st;
    FeatureCounters oc;
    const auto v = run(other, c, &oc);
    EXPECT_EQ(oc.time_backwards + oc.gap_restarts + oc.backwards_restarts + oc.session_resets, 0u) << st;
    for (std::size_t k = n_snap; k < evs.size(); ++k) ASSERT_EQ(v[k], base[k]) << "event " << k << " snapshot at " << st;
    for (std::size_t k = 0; k < n_snap; ++k)  // before the time features, the same values
      ASSERT_TRUE(std::equal(v[k].begin(), v[k].begin() + static_cast<std::ptrdiff_t>(first_time), base[k].begin())) << k;
  }
}

// Real DBN: ESH4's snapshot (8,725 orders; ts_event a day before, stamped with its receive
// time) then the live evening: no step back, no gap restart (largest gap 993 s), and nothing
// time-based before the first live event.
TEST(FeaturesSnapshot, Esh4SnapshotThenLiveEvening) {
  auto src = sources::open_source(sources::parse_source_spec(
      "dbn:" + std::string(HFT_SHARED_DATA) + "/cme-mbo-databento/esh4-glbx-mdp3-20231225.mbo.dbn.zst"));
  FeatureConfig c;
  c.ts_exch_epoch = true;
  c.utc_offset = -6 * 3600 * kSec;  // Chicago
  c.tick = 2500;
  book::Books books;
  FeatureEngine fe(c);
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  std::size_t n, k = 0, snaps = 0;
  double vwap_first = -1;
  const std::size_t cv = col(fe, "vwap"), ct = col(fe, "trate_60s"), cb = col(fe, "book_valid");
  bool valid_after_snapshot = false;
  while ((n = src->next(buf)) > 0) {
    for (std::size_t i = 0; i < n; ++i, ++k) {
      const MarketEvent& e = buf[i];
      books.apply(e);
      fe.on_event(e, books);
      const auto v = fe.values(e.instrument);
      for (double x : v) ASSERT_TRUE(std::isfinite(x)) << k;
      if (e.flags & evflag::kSnapshot) {
        ++snaps;
        ASSERT_EQ(v[cv], 0.0) << k;
        ASSERT_EQ(v[ct], 0.0) << k;
        valid_after_snapshot = v[cb] == 1.0;
      } else if (vwap_first < 0 && (e.flags & evflag::kPrintable)) {
        vwap_first = v[cv];
        EXPECT_DOUBLE_EQ(vwap_first, static_cast<double>(e.price) / 1e4) << k;
      }
    }
  }
  EXPECT_EQ(snaps, 8725u);
  EXPECT_EQ(k, 68792u);
  const auto& cnt = fe.counters();
  EXPECT_EQ(cnt.snapshot_events, 8725u);
  EXPECT_EQ(cnt.time_backwards, 0u);
  EXPECT_EQ(cnt.gap_restarts, 0u);
  EXPECT_EQ(cnt.backwards_restarts, 0u);
  EXPECT_EQ(cnt.nonfinite_replaced, 0u);
  EXPECT_GT(vwap_first, 4800.0);
  std::printf("  ESH4: %llu session resets; book valid after the snapshot: %d\n",
              static_cast<unsigned long long>(cnt.session_resets), int(valid_after_snapshot));
}

// Hostile stamps: the ends of the int64 range, negative times, huge jumps both ways, for both
// time bases and extreme UTC offsets. Every value stays finite, the discontinuities are counted
// exactly, and nothing overflows (the asan preset runs this with UBSan, no recovery).
TEST(FeaturesHostile, Int64ExtremesAndHugeJumps) {
  constexpr Nanos kMax = std::numeric_limits<Nanos>::max(), kMin = std::numeric_limits<Nanos>::min();
  const std::vector<Nanos> stamps = {0,        kMax,    kMin,   -1,       kMax - 1, kMax,
                                     kMin + 1, -kDayNs, kDayNs, kMax / 2, kMin / 2, 42,
                                     42,       43,      kMax,   kMin};
  // Counted here from the list as well: forward steps beyond max_gap and steps back
  // (max_backwards 0).
  for (bool epoch : {false, true}) {
    for (Nanos off : {Nanos{0}, kDayNs, -kDayNs}) {
      FeatureConfig c;
      c.ts_exch_epoch = epoch;
      c.utc_offset = off;
      c.horizons_s = {1e-3, 1.0, 3600.0};
      c.hawkes_beta = 1e6;
      book::Books books;
      FeatureEngine fe(c);
      std::uint64_t want_back = 0, want_gap = 0;
      Nanos clock = 0;
      bool started = false;
      OrderId id = 1;
      for (std::size_t i = 0; i < stamps.size(); ++i) {
        for (int side = 0; side < 3; ++side) {  // a bid, an ask, a print: at each stamp
          MarketEvent e{};
          e.instrument = 1;
          e.ts_exch = stamps[i];
          e.ts_recv = stamps[(i + 3) % stamps.size()];
          e.flags = evflag::kLast;
          if (side < 2) {
            e.kind = EventKind::Add;
            e.side = side ? Side::Sell : Side::Buy;
            e.price = 1'000'000 + (side ? 100 : -100) + static_cast<Price>(i) * 100;
            e.qty = 10;
            e.order_id = id++;
          } else {
            e.kind = EventKind::Trade;
            e.price = 1'000'000;
            e.qty = 3;
            e.side = Side::Buy;
          }
          books.apply(e);
          fe.on_event(e, books);
          for (double x : fe.values(1)) ASSERT_TRUE(std::isfinite(x)) << i;
          const FeatureVector& fv = fe.current(1);
          for (std::uint16_t f = 0; f < fv.n; ++f) ASSERT_TRUE(std::isfinite(fv.v[f]));
          if (started && e.ts_exch < clock) ++want_back;
          if (started && e.ts_exch > clock && static_cast<std::uint64_t>(e.ts_exch) - static_cast<std::uint64_t>(clock) >
                                                  static_cast<std::uint64_t>(c.max_gap))
            ++want_gap;
          if (!started || e.ts_exch != clock) clock = e.ts_exch;  // every step here restarts
          started = true;
        }
      }
      const auto& cnt = fe.counters();
      EXPECT_EQ(cnt.time_backwards, want_back);
      EXPECT_EQ(cnt.backwards_restarts, want_back);
      EXPECT_EQ(cnt.gap_restarts, want_gap);
      EXPECT_EQ(want_back, 4u);  // to kMin twice, kMin + 1, kMin / 2
      EXPECT_EQ(want_gap, 8u);
      EXPECT_EQ(cnt.nonfinite_replaced, 0u);
    }
  }
}

}  // namespace
}  // namespace hft::features
