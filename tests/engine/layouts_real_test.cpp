// Replays are deterministic by construction: the fused layout and split layouts give identical
// outputs event by event (the event, top of book, cleaning verdict, regime label and every
// feature value after it) on the generated demo day and on the shared CME ESH4 days; and a
// stream with a one-week gap and a snapshot timestamped days before does work proportional to
// its events (work counters, not wall time), with one digest over runs and layouts.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <memory>
#include <vector>

#include "hft/engine/engine_impl.hpp"
#include "hft/gen/generator.hpp"
#include "hft/sources/open.hpp"
#include "synthetic_source.hpp"

namespace {

using namespace hft;
using namespace hft::engine;
using hft::testing::thread;

std::uint64_t mix(std::uint64_t h, std::uint64_t x) noexcept { return (h ^ x) * 0x100000001B3ull + (h >> 29); }

// Records one hash per event of everything the stages before it wrote, and every feature value.
struct Recorder {
  static constexpr std::string_view kName = "record";
  static constexpr bool kReadsBook = true;  // reads the feature stage's state
  explicit Recorder(StageEnv&) { out.reserve(1 << 21); }
  bool on_event(Envelope& e) noexcept {
    std::uint64_t h = 0xCBF29CE484222325ull;
    for (std::uint64_t x : {static_cast<std::uint64_t>(e.ev.ts_exch), e.ev.order_id, static_cast<std::uint64_t>(e.ev.price),
                            std::uint64_t{e.ev.instrument}, static_cast<std::uint64_t>(e.top.bid),
                            static_cast<std::uint64_t>(e.top.ask), static_cast<std::uint64_t>(e.top.bid_qty),
                            static_cast<std::uint64_t>(e.top.ask_qty), std::uint64_t{e.quality},
                            std::uint64_t{e.halted} << 8 | e.regime})
      h = mix(h, x);
    if (features && e.ev.kind != EventKind::Directory && e.ev.kind != EventKind::System)
      for (double v : features->values(e.ev.instrument)) h = mix(h, std::bit_cast<std::uint64_t>(v));
    out.push_back(h);
    labelled += (e.regime >> 7) & 1;
    return true;
  }
  const features::FeatureEngine* features = nullptr;
  std::vector<std::uint64_t> out;
  std::uint64_t labelled = 0;
};
using RecordPipeline = Pipeline<BookStage, CleanStage, FeatureStage, RegimeStage, Recorder, MonitorStage>;

struct Run {
  std::vector<std::uint64_t> per_event;
  std::uint64_t digest = 0, label_digest = 0, labelled = 0;
  std::uint64_t model_swaps = 0;  // features.models refits swapped in
};

bool small_regimes = false;
bool models_group = false;  // features.models on, a cointegration pair, refits every 10 minutes

Run replay(const std::string& spec, const std::vector<config::ThreadLayout>& layout) {
  config::Config c = config::default_config();
  c.system.layout = layout;
  for (auto& t : c.system.layout) t.core = -1;
  c.system.ring_capacity = 4096;
  if (small_regimes) {  // a short day (sanitizer builds): windows that fill within it
    c.regimes.warmup = 120;
    c.regimes.rv_window = 20;
    c.regimes.vr_window = 60;
    c.regimes.ar_window = 60;
    c.regimes.min_moves = 60;
  }
  if (models_group) {
    c.features.models = true;
    c.features.models_refit_s = 600;
    c.features.coint_pairs = {"SYM0001/SYM0002"};
    c.features.coint_window = 300;
    c.features.models_queue_units = 10;
    c.features.models_orders = 1024;
  }
  BasicEngine<RecordPipeline> e(c, sources::open_source(sources::parse_source_spec(spec)));
  e.stage<Recorder>().features = &e.stage<FeatureStage>().engine;
  e.start();
  e.join();
  Run r;
  r.per_event = std::move(e.stage<Recorder>().out);
  r.digest = e.stage<MonitorStage>().digest;
  r.label_digest = e.stage<MonitorStage>().label_digest;
  r.labelled = e.stage<Recorder>().labelled;
  if (const auto* m = e.stage<FeatureStage>().engine.stat_models()) r.model_swaps = m->counters().swaps;
  return r;
}

void expect_layouts_agree(const std::string& spec, std::uint64_t min_labelled) {
  const Run fused = replay(spec, {thread("hot", {"feed", "book", "clean", "features", "regime", "record", "monitor"})});
  ASSERT_GT(fused.per_event.size(), 1000u);
  EXPECT_GE(fused.labelled, min_labelled) << spec << ": too few events past the regime warm-up to mean anything";
  for (const auto& layout : {std::vector<config::ThreadLayout>{thread("feed", {"feed"}),
                                                               thread("rest", {"book", "clean", "features", "regime", "record", "monitor"})},
                             std::vector<config::ThreadLayout>{thread("front", {"feed", "book", "clean", "features", "regime", "record"}),
                                                               thread("mon", {"monitor"})}}) {
    const Run split = replay(spec, layout);
    ASSERT_EQ(split.per_event.size(), fused.per_event.size()) << spec;
    std::size_t first = split.per_event.size();
    for (std::size_t i = 0; i < split.per_event.size() && first == split.per_event.size(); ++i)
      if (split.per_event[i] != fused.per_event[i]) first = i;
    EXPECT_EQ(first, split.per_event.size()) << spec << ": " << layout.size() << "-thread layout differs first at event " << first;
    EXPECT_EQ(split.digest, fused.digest);
    EXPECT_EQ(split.label_digest, fused.label_digest);
    EXPECT_EQ(split.model_swaps, fused.model_swaps);
  }
  if (models_group) {
    EXPECT_GE(fused.model_swaps, 20u) << spec;
  }
}

#if defined(HFT_SANITIZE_ADDRESS) || defined(HFT_SANITIZE_THREAD)
constexpr std::uint64_t kDemoMessages = 200'000;  // sanitizers: ~20x slower
#else
constexpr std::uint64_t kDemoMessages = 2'000'000;  // tools/demo's day
#endif

TEST(Layouts, GiveIdenticalOutputsEventByEventOnTheGeneratedDemoDay) {
  const std::string dir = std::string(HFT_TEST_TMP) + "/layouts";
  std::filesystem::create_directories(dir);
  gen::GenConfig g;  // as tools/demo: 8 instruments, seed 1, thin books (the mid moves)
  g.messages = kDemoMessages;
  g.instruments = 8;
  g.seed = 1;
  g.live_target = 100;
  g.out_path = dir + "/demo.pcap";
  gen::generate_pcap(g);
  small_regimes = kDemoMessages < 1'000'000;
  expect_layouts_agree("pcap:" + g.out_path, kDemoMessages / 10);
  small_regimes = false;
}

// The models feature group: refits on the background thread, swapped in event time; every value
// of every event the same in the three layouts (the refit thread's timing differs in each).
TEST(Layouts, TheStatisticalModelFeaturesAreTheSameInEveryLayout) {
  const std::string dir = std::string(HFT_TEST_TMP) + "/layouts-models";
  std::filesystem::create_directories(dir);
  gen::GenConfig g;
  g.messages = kDemoMessages / 10;
  g.instruments = 3;
  g.seed = 4;
  g.live_target = 60;
  g.out_path = dir + "/day.pcap";
  gen::generate_pcap(g);
  small_regimes = true;
  models_group = true;
  expect_layouts_agree("pcap:" + g.out_path, 0);
  models_group = false;
  small_regimes = false;
}

TEST(Layouts, GiveIdenticalOutputsEventByEventOnTheCmeEsh4Days) {
  for (const char* day : {"esh4-glbx-mdp3-20231224.mbo.dbn.zst", "esh4-glbx-mdp3-20231225.mbo.dbn.zst"}) {
    const std::string path = std::string(HFT_SHARED_DATA) + "/cme-mbo-databento/" + day;
    if (!std::filesystem::exists(path)) GTEST_FAIL() << "missing shared data " << path;
    expect_layouts_agree("dbn:" + path, 0);  // a sparse holiday session: labels may not come
  }
}

// A stream whose snapshot is timestamped three days before the session and which has a
// one-week gap in the middle (a weekend-like hole) and a step back in time.
class GapSource final : public feed::EventSource {
 public:
  explicit GapSource(std::uint64_t n) : n_(n) {}
  std::size_t next(std::span<MarketEvent> out) override {
    std::size_t k = 0;
    while (k < out.size() && i_ < n_) out[k++] = make(i_++);
    stats_.events = i_;
    return k;
  }
  feed::TimeBasis time_basis() const noexcept override { return feed::TimeBasis::SinceEpoch; }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return ins_; }
  const feed::SourceStats& stats() const noexcept override { return stats_; }
  bool live() const noexcept override { return false; }
  static constexpr Nanos kDay = 86'400'000'000'000;
  static constexpr Nanos kOpen = 1'703'500'000'000'000'000;  // late December 2023

 private:
  MarketEvent make(std::uint64_t i) {
    MarketEvent e{};
    e.instrument = 1 + static_cast<InstrumentId>(i % 3);
    e.flags = evflag::kLast;
    e.kind = EventKind::Add;
    e.order_id = i + 1;
    e.qty = 100;
    const bool buy = (i / 3) % 2 == 0;
    e.side = buy ? Side::Buy : Side::Sell;
    const Price wiggle = 100 * static_cast<Price>((i * 7919) % 5);
    e.price = buy ? 1'000'000 - 100 - wiggle : 1'000'000 + 100 + wiggle;
    if (i < 60) {  // the snapshot: orders resting for days
      e.flags |= evflag::kSnapshot;
      e.ts_exch = kOpen - 3 * kDay + static_cast<Nanos>(i) * 1'000'000;
      return e;
    }
    Nanos t = kOpen + static_cast<Nanos>(i) * 5'000'000;  // 5 ms apart
    if (i >= n_ / 2) t += 7 * kDay;                        // a week later
    if (i == n_ / 4) t -= 2'000'000'000;                   // one event 2 s in the past
    e.ts_exch = t;
    if (i % 4 == 3) {  // keep books finite: delete an older order
      e.kind = EventKind::Delete;
      e.order_id = i - 2;
    }
    return e;
  }
  std::uint64_t n_, i_ = 0;
  std::vector<feed::Instrument> ins_;
  feed::SourceStats stats_;
};

TEST(BoundedWork, AWeekGapAndAnOldSnapshotCostWhatTheirEventsCost) {
  constexpr std::uint64_t kEvents = 40'000;
  auto run = [&](const std::vector<config::ThreadLayout>& layout, double speed) {
    config::Config c = hft::testing::with_layout(layout);
    c.regimes.warmup = 100;
    EngineOptions eo;
    eo.replay_speed = speed;
    eo.max_gap = 1'000'000;  // 1 ms: a paced run must not wait out the week (or the 3 days)
    Engine e(c, std::make_unique<GapSource>(kEvents), eo);
    e.start();
    e.join();
    const RegimeStage& rs = e.stage<RegimeStage>();
    const regime::SamplerCounters sc = rs.sampler_totals();
    // Grid work: the samples emitted (made returns or restarts) plus intervals filled.
    std::uint64_t samples = 0;
    for (InstrumentId id : rs.live) samples += rs.detectors[id]->state().returns;
    // Sampling on mid changes makes at most two samples an event whatever the gap (and fills
    // nothing); filling the week alone would be ~1.8 million samples.
    EXPECT_LE(samples, 2 * kEvents) << "grid work grew with the elapsed time";
    EXPECT_EQ(sc.filled, 0u);
    EXPECT_GE(sc.gaps, 3u) << "the week must restart each instrument's return chain";
    if (speed > 0) {
      EXPECT_GE(e.pace_counters().clamped.get(), 1u);
      EXPECT_GE(e.pace_counters().backwards.get(), 1u);
    }
    EXPECT_EQ(e.clock().backwards, 1u);  // the step back, not followed
    EXPECT_EQ(e.clock().event_now, GapSource::kOpen + static_cast<Nanos>(kEvents - 1) * 5'000'000 + 7 * GapSource::kDay);
    return std::pair{e.stage<MonitorStage>().digest, e.stage<MonitorStage>().label_digest};
  };
  const auto a = run({thread("hot", {"feed", "book", "clean", "features", "regime", "monitor"})}, 0);
  const auto b = run({thread("hot", {"feed", "book", "clean", "features", "regime", "monitor"})}, 0);
  const auto c = run({thread("feed", {"feed"}), thread("rest", {"book", "clean", "features", "regime", "monitor"})}, 0);
  // Paced at 100x: 40,000 events 5 ms apart are 2 s of wall time; the week and the snapshot's
  // three days would be 1.7 hours unclamped.
  const auto d = run({thread("hot", {"feed", "book", "clean", "features", "regime", "monitor"})}, 100);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(a, d);
}

}  // namespace
