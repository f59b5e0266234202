// The engine runtime: layouts that split the pipeline over threads give exactly the outputs of the
// fused layout (event-by-event digest, every book, counts); the drop policy accounts for every
// event; a reload reaches every thread at a safe point; a stop drains everything in flight.
// Runs under ThreadSanitizer too (the tsan preset). No timing assertions: waits have generous
// limits only so that a bug fails instead of hanging.
#include <gtest/gtest.h>

#include <bit>

#include <chrono>
#include <memory>
#include <thread>

#include "hft/config/config.hpp"
#include "hft/engine/engine.hpp"
#include "hft/engine/report.hpp"

namespace {

using namespace hft;

// A deterministic order flow over a few instruments: adds around a mid that drifts, partial
// executions, cancels and deletes of live orders, a replace now and then. live = true makes it a
// never-ending source that also returns empty batches (like a quiet socket).
class SyntheticSource final : public feed::EventSource {
 public:
  SyntheticSource(std::uint64_t total, bool live, Nanos ts_step = 1000)
      : total_(total), live_(live), ts_step_(ts_step) {
    live_ids_.reserve(1 << 16);
  }
  std::size_t next(std::span<MarketEvent> out) override {
    if (live_ && (++calls_ % 5) == 0) return 0;  // nothing this time
    std::size_t n = 0;
    while (n < out.size() && (live_ || produced_ < total_)) {
      out[n++] = make();
      ++produced_;
    }
    stats_.events = produced_;
    stats_.counts["synthetic.events"] = produced_;
    return n;
  }
  feed::TimeBasis time_basis() const noexcept override { return feed::TimeBasis::SinceMidnight; }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return instruments_; }
  const feed::SourceStats& stats() const noexcept override { return stats_; }
  bool live() const noexcept override { return live_; }

 private:
  std::uint64_t rnd() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  MarketEvent make() {
    MarketEvent e{};
    e.ts_exch = static_cast<Nanos>(34'200'000'000'000 + static_cast<Nanos>(produced_) * ts_step_);
    const std::uint64_t r = rnd();
    if (live_ids_.size() < 50 || r % 10 < 5) {
      e.kind = EventKind::Add;
      e.order_id = ++next_id_;
      e.instrument = 1 + static_cast<InstrumentId>(r % 4);
      e.side = (r >> 8) & 1 ? Side::Buy : Side::Sell;
      const Price mid = 1'000'000 + static_cast<Price>((produced_ / 1000) % 50) * 100;
      e.price = e.side == Side::Buy ? mid - 100 * static_cast<Price>(1 + (r >> 16) % 5)
                                    : mid + 100 * static_cast<Price>(1 + (r >> 16) % 5);
      e.qty = 100 * static_cast<Qty>(1 + (r >> 24) % 5);
      live_ids_.push_back({e.order_id, e.instrument});
    } else {
      // Past 200 live orders the oldest goes: the book stays near the drifting mid (uncrossed).
      const bool trim = live_ids_.size() > 200;
      const std::size_t k = trim ? 0 : (r >> 8) % live_ids_.size();
      e.order_id = live_ids_[k].first;
      e.instrument = live_ids_[k].second;
      const int what = trim ? 3 : static_cast<int>((r >> 32) % 4);
      if (what == 0) {
        e.kind = EventKind::Execute;
        e.qty = 100;
      } else if (what == 1) {
        e.kind = EventKind::Cancel;
        e.qty = 100;
      } else {
        e.kind = EventKind::Delete;
      }
      // executes/cancels may empty the order (the book counts an over-execute); ids are dropped
      // from our list only on delete, so some later events hit unknown ids: counted by the book
      if (e.kind == EventKind::Delete) live_ids_.erase(live_ids_.begin() + static_cast<long>(k));  // keeps age order
    }
    e.flags = evflag::kLast;
    return e;
  }

  std::uint64_t total_, produced_ = 0, calls_ = 0, next_id_ = 0, s_ = 0x9E3779B97F4A7C15ull;
  bool live_;
  Nanos ts_step_;
  std::vector<std::pair<OrderId, InstrumentId>> live_ids_;
  std::vector<feed::Instrument> instruments_;
  feed::SourceStats stats_;
};

config::Config with_layout(std::vector<config::ThreadLayout> layout, config::RingFull policy = config::RingFull::Block) {
  config::Config c = config::default_config();
  c.system.layout = std::move(layout);
  c.system.ring_capacity = 1024;  // small, so that full rings happen
  c.system.ring_full = policy;
  c.feed.batch = 64;
  c.feed.max_orders = 1 << 18;
  return c;
}

config::ThreadLayout thread(const char* name, std::vector<std::string> stages, config::Idle idle = config::Idle::Backoff) {
  return {name, std::move(stages), -1, idle, 0};
}

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

// GARCH refits on a live feed: the regime thread hands an instrument's returns to the refit
// thread, the refit thread fits, the regime thread swaps the parameters in when it is done.
TEST(Engine, RegimeGarchRefitsRunInTheBackgroundAndAreSwappedIn) {
  config::Config c = with_small_regimes(with_layout({thread("hot", {"feed", "book", "regime", "monitor"})}));
  c.telemetry.publish_interval_ms = 0.01;  // a publish point after (nearly) every batch
  engine::Engine e(c, std::make_unique<SyntheticSource>(0, true, 20'000'000));  // 20 ms of event time per event
  e.start();
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < end &&
         !(e.stage<engine::RegimeStage>().refits->fitted() + e.stage<engine::RegimeStage>().refits->failed() >= 2 && e.stage<engine::RegimeStage>().garch_swaps.get() >= 1))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  e.request_stop();
  e.join();
  EXPECT_GE(e.stage<engine::RegimeStage>().refits->fitted() + e.stage<engine::RegimeStage>().refits->failed(), 2u);
  EXPECT_GE(e.stage<engine::RegimeStage>().garch_swaps.get(), 1u);
  EXPECT_GE(e.stage<engine::RegimeStage>().instruments.get(), 1u);
  bool labelled = false;
  for (InstrumentId id : e.stage<engine::RegimeStage>().live) labelled = labelled || e.stage<engine::RegimeStage>().detectors[id]->state().ready;
  EXPECT_TRUE(labelled) << "no detector finished its warm-up";
}

// In a replay the refits run in event time: requested at an instrument's first sample past its
// due time, swapped in a fixed event time later (fitted there if the refit thread has not). So the GARCH
// parameters and scores are the same on every run and in every thread layout, whatever the
// threads' timing (the live schedule above would give each run its own).
TEST(Engine, ReplayGarchRefitsAreTheSameOnEveryRun) {
  config::Config c = with_small_regimes(with_layout({thread("hot", {"feed", "book", "regime", "monitor"})}));
  c.telemetry.publish_interval_ms = 0.01;
  struct Run {
    std::vector<std::uint64_t> values;  // per instrument: GARCH parameters and sigma at the end, bits
    std::uint64_t swaps = 0, fits = 0;
  };
  auto run = [&](const config::Config& cfg) {
    engine::Engine e(cfg, std::make_unique<SyntheticSource>(120'000, false, 20'000'000));
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
    r.swaps = rs.garch_swaps.get();
    r.fits = e.stage<engine::RegimeStage>().refits->fitted() + e.stage<engine::RegimeStage>().refits->failed();
    return r;
  };
  const Run a = run(c);
  EXPECT_GE(a.swaps, 10u);
  EXPECT_GE(a.fits, a.swaps);
  EXPECT_GE(a.values.size(), 12u);
  const Run b = run(c);
  config::Config c2 = c;
  c2.system.layout = {thread("feed", {"feed"}), thread("rest", {"book", "regime", "monitor"})};
  const Run split = run(c2);
  for (const Run* o : {&b, &split}) {
    EXPECT_EQ(o->swaps, a.swaps);
    // (fits may differ by the ones still pending at the stop, never swapped in)
    EXPECT_EQ(o->values, a.values);  // bit for bit
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
