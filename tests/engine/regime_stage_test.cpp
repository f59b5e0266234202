// RegimeStage: the hot half (grid sampling, labels) and the regime thread's half (detectors)
// give the same labels on every event whatever the threads' timing: here with the regime half
// run inline after every event, and on its own thread (also under ThreadSanitizer). And the
// label an event carries is the detector's state after the instrument's previous batch, checked
// against RegimeDetectors fed the same mids directly.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "hft/engine/stages.hpp"

namespace hft::engine {
namespace {

regime::RegimeConfig small_config() {
  regime::RegimeConfig c;
  c.interval = 100'000'000;  // 100 ms
  c.warmup = 120;
  c.rv_window = 20;
  c.vr_window = 60;
  c.ar_window = 60;
  c.refit_window = 200;
  c.bocpd.max_run = 64;
  return c;
}

struct Tick {
  InstrumentId id;
  Nanos ts;
  Price bid, ask;
};

// Three instruments, random walks in ticks with a volatility change half way, irregular times
// (some gaps longer than max_fill), occasionally a one-sided or crossed book.
std::vector<Tick> stream(std::size_t n) {
  std::mt19937_64 rng(17);
  std::vector<Tick> v;
  std::array<Price, 3> mid{1'000'000, 2'000'000, 500'000};
  Nanos ts = 34'200'000'000'000;
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<InstrumentId>(rng() % 3);
    ts += static_cast<Nanos>(rng() % 60'000'000);
    if (rng() % 5000 == 0) ts += 10'000'000'000;  // 10 s: a gap longer than max_fill
    const int scale = i < n / 2 ? 1 : 4;
    mid[id] += static_cast<Price>((static_cast<int>(rng() % 3) - 1) * 100 * scale);
    Tick t{id, ts, mid[id] - 100, mid[id] + 100};
    const auto r = rng() % 200;
    if (r == 0) t.bid = 0;                 // one-sided: no mid
    if (r == 1) t.bid = t.ask + 100;       // crossed: no mid
    v.push_back(t);
  }
  return v;
}

Envelope envelope(const Tick& t) {
  Envelope e{};
  e.ev.instrument = t.id;
  e.ev.ts_exch = t.ts;
  e.top = TopOfBook{t.bid, t.ask, 100, 100};
  return e;
}

TEST(RegimeStage, LabelsDoNotDependOnTheRegimeThreadsTiming) {
  const auto ticks = stream(60'000);
  std::vector<std::uint8_t> inline_labels, threaded_labels;
  {
    RegimeStage rs(small_config(), 8);
    for (const Tick& t : ticks) {
      Envelope e = envelope(t);
      rs.on_event(e);
      inline_labels.push_back(e.regime);
      rs.work();
    }
    EXPECT_EQ(rs.waits.get(), 0u);
  }
  RegimeStage rs(small_config(), 8, 64);  // a small ring: the hot half also waits for room
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    for (;;) {
      const bool stopping = stop.load(std::memory_order_acquire);
      if (rs.work() == 0) {
        if (stopping) break;
        std::this_thread::yield();
      }
    }
  });
  for (const Tick& t : ticks) {
    Envelope e = envelope(t);
    rs.on_event(e);
    threaded_labels.push_back(e.regime);
  }
  stop.store(true, std::memory_order_release);
  worker.join();
  ASSERT_EQ(inline_labels.size(), threaded_labels.size());
  std::size_t differ = 0, ready = 0;
  for (std::size_t i = 0; i < inline_labels.size(); ++i) {
    differ += inline_labels[i] != threaded_labels[i];
    ready += (inline_labels[i] >> 7) & 1;
  }
  EXPECT_EQ(differ, 0u);
  EXPECT_GT(ready, ticks.size() / 2) << "the stream should get past the warm-up";
  EXPECT_EQ(rs.instruments.get(), 3u);
}

TEST(RegimeStage, AnEventShowsTheDetectorStateAfterThePreviousBatch) {
  const auto ticks = stream(30'000);
  RegimeStage rs(small_config(), 8);
  regime::RegimeConfig rc = small_config();
  rc.fit_garch_at_warmup = false;  // as the stage does
  std::vector<regime::RegimeDetector> direct(3, regime::RegimeDetector(rc));
  std::array<std::uint8_t, 3> after_last_batch{};
  std::array<std::uint8_t, 3> shown{};
  std::array<bool, 3> any{};
  const std::uint8_t fresh = RegimeStage::encode(regime::RegimeState{});
  shown.fill(fresh);
  after_last_batch.fill(fresh);
  std::size_t checked = 0, changed = 0;
  for (const Tick& t : ticks) {
    Envelope e = envelope(t);
    rs.on_event(e);
    rs.work();
    if (t.bid > 0 && t.ask > t.bid) {
      const auto before = direct[t.id].state().sample_ts;
      const std::uint64_t samples_before = direct[t.id].state().returns;
      direct[t.id].on_mid(t.ts, 0.5 * static_cast<double>(t.bid + t.ask));
      const bool batch = direct[t.id].state().sample_ts != before || direct[t.id].state().returns != samples_before;
      if (batch) {
        // This event sent a batch: it shows the state after the previous one.
        if (any[t.id]) shown[t.id] = after_last_batch[t.id];
        any[t.id] = true;
        after_last_batch[t.id] = RegimeStage::encode(direct[t.id].state());
      }
      changed += shown[t.id] != fresh;
    }
    if (rs.shown(t.id) != nullptr) {
      ASSERT_EQ(e.regime, shown[t.id]) << "event at " << t.ts << " instrument " << t.id;
      ++checked;
    }
  }
  EXPECT_GT(checked, ticks.size() / 2);
  EXPECT_GT(changed, 0u);
}

// Feeds ticks[from..] with the detectors run after every event; returns how many events carried
// a label past warm-up.
std::size_t run_with_detectors(RegimeStage& rs, const std::vector<Tick>& ticks, std::size_t from) {
  std::size_t ready = 0;
  for (std::size_t i = from; i < ticks.size(); ++i) {
    Envelope e = envelope(ticks[i]);
    rs.on_event(e);
    rs.work();
    ready += (e.regime >> 7) & 1;
  }
  return ready;
}

// A live feed: the hot half never waits for the regime thread. With no regime thread at all it
// keeps going (labels stay as they were, late batches counted); once the detectors catch up,
// labels move again.
TEST(RegimeStage, OnALiveFeedTheHotHalfNeverWaits) {
  const auto ticks = stream(20'000);
  RegimeStage rs(small_config(), 8);
  rs.wait_for_results = false;
  const std::uint8_t fresh = RegimeStage::encode(regime::RegimeState{});
  const std::size_t half = ticks.size() / 2;
  for (std::size_t i = 0; i < half; ++i) {
    Envelope e = envelope(ticks[i]);
    rs.on_event(e);
    ASSERT_EQ(e.regime, fresh);
  }
  EXPECT_GT(rs.late.get(), 100u);
  EXPECT_EQ(rs.waits.get(), 0u);
  EXPECT_EQ(rs.shown(ticks[0].id), nullptr);  // only the label is kept in this mode
  while (rs.work() > 0) {}  // the detectors catch up
  EXPECT_GT(run_with_detectors(rs, ticks, half), 0u);
}

// A live feed whose regime thread stalls until the ring fills: the hot half drops the samples
// that find no room (counted) instead of waiting; once the detectors run again the labels move
// and batches stop being late (a batch whose end mark was lost merged into the next one).
TEST(RegimeStage, OnALiveFeedAFullRingDropsSamplesAndRecovers) {
  const auto ticks = stream(20'000);
  RegimeStage rs(small_config(), 8, 16);  // 16 samples of room
  rs.wait_for_results = false;
  const std::size_t half = ticks.size() / 2;
  for (std::size_t i = 0; i < half; ++i) {  // no regime thread at all
    Envelope e = envelope(ticks[i]);
    rs.on_event(e);
  }
  EXPECT_GT(rs.ring_full.get(), 1000u);
  EXPECT_EQ(rs.waits.get(), 0u);
  while (rs.work() > 0) {}
  rs.work();
  const std::uint64_t late_before = rs.late.get(), full_before = rs.ring_full.get();
  EXPECT_GT(run_with_detectors(rs, ticks, half), 0u);
  EXPECT_EQ(rs.ring_full.get(), full_before);
  // At most the first batch of each instrument after the stall finds its predecessor unfinished.
  EXPECT_LE(rs.late.get() - late_before, 3u);
}

}  // namespace
}  // namespace hft::engine
