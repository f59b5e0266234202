// RegimeStage: in replays the label an event carries is its instrument's detector state after
// the event's samples (checked against RegimeDetectors fed the same mids); live, the detectors
// run on another thread (also under ThreadSanitizer), the hot half never waits, and a full ring
// drops samples (counted) and recovers; instruments beyond the pre-built pool are counted.
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

// A replay: the detectors run inline at the event that passes a grid point, so an event carries
// its instrument's state after its own samples: checked against RegimeDetectors fed the same mids.
TEST(RegimeStage, AReplayEventCarriesTheDetectorStateAfterItsSamples) {
  const auto ticks = stream(30'000);
  RegimeStage rs(small_config(), 8, /*threaded=*/false);
  regime::RegimeConfig rc = small_config();
  rc.fit_garch_at_warmup = false;  // as the stage does
  std::vector<regime::RegimeDetector> direct(3, regime::RegimeDetector(rc));
  std::array<bool, 3> sampled{};
  std::size_t checked = 0, ready = 0;
  for (const Tick& t : ticks) {
    Envelope e = envelope(t);
    rs.on_event(e);
    if (t.bid > 0 && t.ask > t.bid) {
      const auto before = direct[t.id].state().sample_ts;
      direct[t.id].on_mid(t.ts, 0.5 * static_cast<double>(t.bid + t.ask));
      sampled[t.id] = sampled[t.id] || direct[t.id].state().sample_ts != before;
    }
    if (sampled[t.id]) {
      ASSERT_EQ(e.regime, RegimeStage::encode(direct[t.id].state())) << "event at " << t.ts << " instrument " << t.id;
      ++checked;
      ready += (e.regime >> 7) & 1;
    } else {
      ASSERT_EQ(e.regime, 0) << "no label before the instrument's first sample";
    }
  }
  EXPECT_GT(checked, ticks.size() / 2);
  EXPECT_GT(ready, ticks.size() / 4) << "the stream should get past the warm-up";
  EXPECT_EQ(rs.instruments.get(), 3u);
}

// Live: the detectors on another thread (ThreadSanitizer covers the hand-off); with a ring big
// enough that nothing is dropped they end in the same state as inline detectors.
TEST(RegimeStage, TheRegimeThreadsDetectorsEndWhereInlineOnesDo) {
  const auto ticks = stream(60'000);
  RegimeStage inl(small_config(), 8, false);
  RegimeStage thr(small_config(), 8, true, 64, 1u << 17);
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    for (;;) {
      const bool stopping = stop.load(std::memory_order_acquire);
      if (thr.work() == 0) {
        if (stopping) break;
        std::this_thread::yield();
      }
    }
  });
  for (const Tick& t : ticks) {
    Envelope a = envelope(t), b = envelope(t);
    inl.on_event(a);
    thr.on_event(b);
  }
  stop.store(true, std::memory_order_release);
  worker.join();
  EXPECT_EQ(thr.ring_full.get(), 0u);
  for (InstrumentId id = 0; id < 3; ++id) {
    ASSERT_NE(inl.detectors[id], nullptr);
    ASSERT_NE(thr.detectors[id], nullptr);
    EXPECT_EQ(inl.detectors[id]->state().returns, thr.detectors[id]->state().returns) << id;
    EXPECT_EQ(RegimeStage::encode(inl.detectors[id]->state()), RegimeStage::encode(thr.detectors[id]->state())) << id;
  }
}

// Instruments beyond the pool built at start get no state and no label, counted; nothing is
// allocated for them.
TEST(RegimeStage, InstrumentsBeyondThePoolAreCountedNotAllocated) {
  const auto ticks = stream(5'000);
  RegimeStage rs(small_config(), 8, false, /*max_active=*/2);
  std::size_t unlabelled_third = 0;
  for (const Tick& t : ticks) {
    Envelope e = envelope(t);
    e.regime = 0xFF;  // whatever an earlier event left: the stage must overwrite it
    rs.on_event(e);
    if (rs.chans[t.id] == nullptr) unlabelled_third += e.regime == 0;
  }
  EXPECT_EQ(rs.instruments.get(), 2u);
  EXPECT_GT(rs.over_capacity.get(), 0u);
  EXPECT_GT(unlabelled_third, 0u);
}

std::size_t detectors_built(const RegimeStage& rs) {
  std::size_t n = 0;
  for (const auto& d : rs.det_pool) n += d != nullptr;
  return n;
}

// A replay builds one detector at start and the others at their instrument's first sample, in
// room the arena reserved at start: no mapping on the hot thread, nothing for instruments never
// seen. A live stage builds them all at start (its regime thread must not allocate).
TEST(RegimeStage, AReplayBuildsDetectorsAtTheirInstrumentsFirstSample) {
  const auto ticks = stream(5'000);  // instruments 0, 1 and 2
  RegimeStage rs(small_config(), 8, false, /*max_active=*/6);
  EXPECT_EQ(detectors_built(rs), 1u);
  const std::size_t mapped = rs.arena.mapped();
  for (const Tick& t : ticks) {
    Envelope e = envelope(t);
    rs.on_event(e);
  }
  EXPECT_EQ(rs.instruments.get(), 3u);
  EXPECT_EQ(detectors_built(rs), 3u);
  EXPECT_EQ(rs.arena.mapped(), mapped);
  for (InstrumentId id = 0; id < 3; ++id) ASSERT_NE(rs.detectors[id], nullptr) << id;
  EXPECT_GT(rs.detectors[0]->state().returns, 0u);

  RegimeStage live(small_config(), 8, true, /*max_active=*/6);
  EXPECT_EQ(detectors_built(live), 6u);

  // More detectors than one of the arena's chunks holds (16 MiB; ~10 KB each here): still no
  // mapping after the start.
  constexpr std::size_t kMany = 4096;
  RegimeStage wide(small_config(), kMany, false, kMany);
  const std::size_t wide_mapped = wide.arena.mapped();
  for (std::size_t id = 0; id < kMany; ++id) {
    Envelope e = envelope(Tick{static_cast<InstrumentId>(id), 1'000'000'000, 999'900, 1'000'100});
    wide.on_event(e);
  }
  EXPECT_EQ(detectors_built(wide), kMany);
  EXPECT_GT(wide.arena.used(), std::size_t{16} << 20);
  EXPECT_EQ(wide.arena.mapped(), wide_mapped);
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
  RegimeStage rs(small_config(), 8, true);
  const std::uint8_t fresh = 0;
  const std::size_t half = ticks.size() / 2;
  for (std::size_t i = 0; i < half; ++i) {
    Envelope e = envelope(ticks[i]);
    rs.on_event(e);
    ASSERT_EQ(e.regime, fresh);
  }
  EXPECT_GT(rs.late.get(), 100u);
  while (rs.work() > 0) {}  // the detectors catch up
  EXPECT_GT(run_with_detectors(rs, ticks, half), 0u);
}

// A live feed whose regime thread stalls until the ring fills: the hot half drops the samples
// that find no room (counted) instead of waiting; once the detectors run again the labels move
// and batches stop being late (a batch whose end mark was lost merged into the next one).
TEST(RegimeStage, OnALiveFeedAFullRingDropsSamplesAndRecovers) {
  const auto ticks = stream(20'000);
  RegimeStage rs(small_config(), 8, true, 64, 16);  // 16 samples of room
  const std::size_t half = ticks.size() / 2;
  for (std::size_t i = 0; i < half; ++i) {  // no regime thread at all
    Envelope e = envelope(ticks[i]);
    rs.on_event(e);
  }
  EXPECT_GT(rs.ring_full.get(), 1000u);
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
