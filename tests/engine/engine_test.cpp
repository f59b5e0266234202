// The engine runtime: layouts that split the pipeline over threads give exactly the outputs of the
// fused layout (event-by-event digest, every book, counts); the drop policy accounts for every
// event; a reload reaches every thread at a safe point; a stop drains everything in flight.
// Runs under ThreadSanitizer too (the tsan preset). No timing assertions: waits have generous
// limits only so that a bug fails instead of hanging.
#include <gtest/gtest.h>

#include <array>
#include <bit>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "hft/config/config.hpp"
#include "hft/engine/engine.hpp"
#include "hft/engine/metrics.hpp"
#include "hft/engine/report.hpp"
#include "hft/gen/generator.hpp"
#include "hft/sources/open.hpp"
#include "hft/telemetry/metrics.hpp"
#include "synthetic_source.hpp"

namespace {

using namespace hft;
using hft::testing::SyntheticSource;
using hft::testing::thread;
using hft::testing::with_layout;

struct Outcome {
  std::uint64_t digest, label_digest, source_events, monitor_events;
  std::string books;
  std::array<std::uint64_t, kEventKindCount> kinds;
  std::uint64_t drops = 0;
};

Outcome run_engine(const config::Config& c, std::uint64_t events) {
  engine::Engine e(c, std::make_unique<SyntheticSource>(events, false));
  e.start();
  e.join();
  EXPECT_TRUE(e.finished());
  Outcome o;
  o.digest = e.stage<engine::MonitorStage>().digest;
  o.label_digest = e.stage<engine::MonitorStage>().label_digest;
  o.source_events = e.source().stats().events;
  o.monitor_events = 0;
  for (std::size_t k = 0; k < o.kinds.size(); ++k) o.monitor_events += (o.kinds[k] = e.stage<engine::MonitorStage>().kinds[k].get());
  for (const auto& t : e.threads()) o.drops += t->ring_drops.get();
  o.books = engine::books_json(engine::summarize_books(e.books(), e.source().instruments(), e.stage<engine::MonitorStage>().seen));
  EXPECT_EQ(e.books().check_invariants(), "");
  return o;
}

// The live service's word on instruments past system.max_instruments: /metrics counts their
// events without features and without a regime label.
TEST(Engine, MetricsCountEventsOfInstrumentsPastMaxInstruments) {
  config::Config c = with_layout({thread("hot", {"feed", "book", "clean", "features", "regime", "monitor"})});
  c.system.max_instruments = 1;  // the synthetic flow has more
  engine::Engine e(c, std::make_unique<SyntheticSource>(20'000, false));
  e.start();
  e.join();
  ASSERT_TRUE(e.finished());
  const std::uint64_t no_features = e.stage<engine::FeatureStage>().engine.counters().over_capacity;
  const std::uint64_t no_label = e.stage<engine::RegimeStage>().over_capacity.get();
  // Counted apart, from the same flow: every event (but directory and system) of an instrument
  // other than the first one seen goes without features.
  SyntheticSource again(20'000, false);
  std::array<MarketEvent, 256> buf;
  std::uint64_t others = 0;
  bool have_first = false;
  InstrumentId first = 0;
  while (const std::size_t n = again.next(buf))
    for (std::size_t i = 0; i < n; ++i) {
      const MarketEvent& ev = buf[i];
      if (ev.kind == EventKind::Directory || ev.kind == EventKind::System) continue;
      if (!have_first) {
        have_first = true;
        first = ev.instrument;
      }
      others += ev.instrument != first;
    }
  ASSERT_GT(others, 0u);
  EXPECT_EQ(no_features, others);
  ASSERT_GT(no_label, 0u);
  EXPECT_LE(no_label, others);  // (only events on a valid book are sampled)
  telemetry::Registry reg;
  engine::EngineMetrics m(e, reg);
  m.sync();
  const std::string text = reg.render_prometheus();
  EXPECT_NE(text.find("\nhftd_features_over_capacity_total " + std::to_string(no_features) + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nhftd_regime_over_capacity_total " + std::to_string(no_label) + "\n"), std::string::npos) << text;
}

TEST(Engine, SplitLayoutsGiveTheFusedOutputsExactly) {
  constexpr std::uint64_t kEvents = 300'000;
  const Outcome fused =
      run_engine(with_layout({thread("hot", {"feed", "book", "clean", "features", "regime", "monitor"})}), kEvents);
  ASSERT_EQ(fused.source_events, kEvents);
  ASSERT_EQ(fused.monitor_events, kEvents);
  EXPECT_GT(fused.kinds[static_cast<int>(EventKind::Add)], kEvents / 3);
  EXPECT_NE(fused.books.find("\"orders\""), std::string::npos);

  const std::vector<std::vector<config::ThreadLayout>> layouts = {
      {thread("feed", {"feed"}), thread("rest", {"book", "clean", "features", "regime", "monitor"})},
      {thread("front", {"feed", "book", "clean", "features", "regime"}), thread("mon", {"monitor"})},
      {thread("feed", {"feed"}), thread("book", {"book", "clean", "features", "regime"}),
       thread("mon", {"monitor"}, config::Idle::Sleep)},
  };
  for (const auto& l : layouts) {
    const Outcome o = run_engine(with_layout(l), kEvents);
    EXPECT_EQ(o.digest, fused.digest) << l.size() << " threads, first " << l[0].stages.size() << " stages";
    EXPECT_EQ(o.label_digest, fused.label_digest) << l.size() << " threads: regime labels differ";
    EXPECT_EQ(o.monitor_events, kEvents);
    EXPECT_EQ(o.kinds, fused.kinds);
    EXPECT_EQ(o.books, fused.books);
    EXPECT_EQ(o.drops, 0u);  // policy block: nothing is ever dropped
  }
}

TEST(Engine, DropPolicyAccountsForEveryEvent) {
  constexpr std::uint64_t kEvents = 300'000;
  // The consumer sleeps when it finds the ring empty, so the producer may overrun a 1024-slot
  // ring; whatever happens, what arrived plus what was dropped is what the source produced.
  const Outcome o = run_engine(with_layout({thread("feed", {"feed"}, config::Idle::Spin),
                                            thread("rest", {"book", "monitor"}, config::Idle::Sleep)},
                                           config::RingFull::Drop),
                               kEvents);
  EXPECT_EQ(o.source_events, kEvents);
  EXPECT_EQ(o.monitor_events + o.drops, kEvents);
}

TEST(Engine, ReloadReachesEveryThreadAndStopDrainsTheRings) {
  config::Config c = with_layout({thread("feed", {"feed"}), thread("book", {"book"}), thread("mon", {"monitor"})});
  c.version = 1;
  engine::Engine e(c, std::make_unique<SyntheticSource>(0, true));
  e.start();
  const auto wait = [](auto pred) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!pred() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return pred();
  };
  ASSERT_TRUE(e.runs_version(1));
  ASSERT_TRUE(wait([&] { return e.stage<engine::MonitorStage>().kinds[static_cast<int>(EventKind::Add)].get() > 1000; }));

  for (std::uint64_t v = 2; v <= 5; ++v) {  // several reloads in a row, the last one wins
    auto next = std::make_shared<config::Config>(c);
    next->version = v;
    next->feed.batch = 7 + v;
    next->telemetry.latency_sample_every = static_cast<std::uint32_t>(v);
    e.offer_config(next);
  }
  ASSERT_TRUE(wait([&] { return e.runs_version(5); }));
  for (const auto& t : e.threads()) EXPECT_EQ(t->applied_version.load(), 5u) << t->layout.name;

  e.request_stop();
  ASSERT_TRUE(wait([&] { return e.finished(); }));
  e.join();
  std::uint64_t arrived = 0;
  for (const auto& k : e.stage<engine::MonitorStage>().kinds) arrived += k.get();
  EXPECT_EQ(arrived, e.source().stats().events) << "events in flight at the stop were lost";
  EXPECT_EQ(e.threads()[1]->events.get(), e.source().stats().events);
}

// Regime windows small enough for a short synthetic run, a refit every 30 s of event time.
config::Config with_small_regimes(config::Config c) {
  c.regimes.warmup = 120;
  c.regimes.rv_window = 20;
  c.regimes.vr_window = 60;
  c.regimes.ar_window = 60;
  c.regimes.refit_window = 200;
  c.regimes.refit_interval_s = 30;
  return c;
}

// A generated day with thin books (the mid moves thousands of times), 6 hours of trading, 3
// instruments, in test-tmp/<name>/day.pcap.
std::string thin_day(const std::string& name) {
  const std::string dir = std::string(HFT_TEST_TMP) + "/" + name;
  std::filesystem::create_directories(dir);
  gen::GenConfig g;
  g.messages = 400'000;
  g.instruments = 3;
  g.live_target = 100;
  g.out_path = dir + "/day.pcap";
  gen::generate_pcap(g);
  return g.out_path;
}

// GARCH refits on a live feed: the regime thread hands an instrument's returns to the refit
// thread, the refit thread fits, the regime thread swaps the parameters in when it is done. The
// feed is a generated day with thin books (the mid moves thousands of times) played as a live
// feed in 1 ms bursts. Halfway through the day the feed holds until a usable fit has been made
// and swapped in, so the outcome does not depend on how busy the machine is (CI runs tests side
// by side); the refit thread runs at normal priority here, since at idle priority (the default)
// it gets the core only when nothing else on the machine wants it.
TEST(Engine, RegimeGarchRefitsRunInTheBackgroundAndAreSwappedIn) {
  const std::string day = thin_day("garch-live");
  config::Config c = with_small_regimes(with_layout({thread("hot", {"feed", "book", "regime", "monitor"})}));
  c.regimes.refit_window = 600;
  c.regimes.min_moves = 60;
  c.regimes.refit_interval_s = 120;
  c.system.background_priority = config::BackgroundPriority::Normal;
  c.telemetry.publish_interval_ms = 0.01;  // a publish point after (nearly) every batch
  const engine::RegimeStage* held_by = nullptr;
  auto waiting = [&] { return held_by == nullptr || held_by->refits->bg.fitted() == 0 || held_by->garch_swaps.get() == 0; };
  engine::Engine e(c, std::make_unique<hft::testing::AsLive>(
                          sources::open_source(sources::parse_source_spec("pcap:" + day)), 256, 200'000, waiting));
  const auto& rs = e.stage<engine::RegimeStage>();
  held_by = &rs;
  e.start();
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(300);  // a hang, not a timing
  while (std::chrono::steady_clock::now() < end && waiting())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  e.request_stop();
  e.join();
  EXPECT_GE(rs.refits->bg.fitted(), 1u) << "usable fits made on the refit thread";
  EXPECT_EQ(rs.refits->fg.fitted() + rs.refits->fg.failed(), 0u) << "live: no fit on the regime thread";
  EXPECT_GE(rs.garch_swaps.get(), 1u);
  EXPECT_GE(rs.instruments.get(), 1u);
  bool labelled = false;
  for (InstrumentId id : rs.live) labelled = labelled || rs.detectors[id]->state().ready;
  EXPECT_TRUE(labelled) << "no detector finished its warm-up";
}

// In a replay the refits run in event time: requested at an instrument's first sample past its
// due time, swapped in a fixed event time later (fitted there if the refit thread has not). So the GARCH
// parameters and scores are the same on every run and in every thread layout, whatever the
// threads' timing (the live schedule above would give each run its own).
TEST(Engine, ReplayGarchRefitsAreTheSameOnEveryRun) {
  const std::string day = thin_day("garch-replay");
  config::Config c = with_small_regimes(with_layout({thread("hot", {"feed", "book", "regime", "monitor"})}));
  c.regimes.refit_window = 600;
  c.regimes.min_moves = 60;
  c.regimes.refit_interval_s = 120;
  struct Run {
    std::vector<std::uint64_t> values;  // per instrument: GARCH parameters and sigma at the end, bits
    std::vector<std::uint64_t> outcomes;  // refits by status
    std::uint64_t swaps = 0;
  };
  auto run = [&](const config::Config& cfg) {
    engine::Engine e(cfg, sources::open_source(sources::parse_source_spec("pcap:" + day)));
    e.start();
    e.join();
    Run r;
    const auto& rs = e.stage<engine::RegimeStage>();
    for (InstrumentId id = 0; id < 8; ++id) {
      if (id >= rs.detectors.size() || !rs.detectors[id]) continue;
      const auto& d = *rs.detectors[id];
      const auto& p = d.garch_params();
      for (double v : {double(id), p.omega, p.alpha, p.beta, p.mu, d.state().scores.garch_sigma})
        r.values.push_back(std::bit_cast<std::uint64_t>(v));
    }
    for (std::size_t k = 0; k < regime::kFitStatusCount; ++k)
      r.outcomes.push_back(rs.refits->by_status(static_cast<regime::FitStatus>(k)));
    r.swaps = rs.garch_swaps.get();
    return r;
  };
  const Run a = run(c);
  EXPECT_GE(a.swaps, 3u) << "usable refits swapped in";
  EXPECT_GE(a.values.size(), 12u);
  const Run b = run(c);
  config::Config c2 = c;
  c2.system.layout = {thread("feed", {"feed"}), thread("rest", {"book", "regime", "monitor"})};
  const Run split = run(c2);
  for (const Run* o : {&b, &split}) {
    EXPECT_EQ(o->swaps, a.swaps);
    EXPECT_EQ(o->values, a.values);  // bit for bit
    EXPECT_EQ(o->outcomes, a.outcomes);  // the report's "GARCH fits N (+M failed)"
  }
}

TEST(Engine, RejectsALayoutThatDoesNotCoverThePipelineInOrder) {
  EXPECT_THROW(engine::Engine(with_layout({thread("a", {"feed", "monitor"})}), std::make_unique<SyntheticSource>(1, false)),
               std::invalid_argument);
  EXPECT_THROW(engine::Engine(with_layout({thread("a", {"book", "feed", "monitor"})}),
                              std::make_unique<SyntheticSource>(1, false)),
               std::invalid_argument);
  EXPECT_THROW(engine::Engine(with_layout({thread("a", {"feed"}), thread("b", {"monitor", "book"})}),
                              std::make_unique<SyntheticSource>(1, false)),
               std::invalid_argument);
  EXPECT_THROW(engine::Engine(with_layout({thread("a", {"feed", "book"}), thread("b", {"features", "monitor"})}),
                              std::make_unique<SyntheticSource>(1, false)),
               std::invalid_argument);
}

}  // namespace
