// The hot-path stages after the feed: plain objects that handle one event and know nothing of
// threads (the layout decides where they run); see pipeline.hpp for what a stage is. Pipeline
// order (DefaultPipeline at the end, config::kPipelineStages): book, clean, features, regime,
// predict (predict_stage.hpp), strategy, sim (strategy_stage.hpp), monitor; clean, features, regime and predict read the book or
// the feature state and so run on its thread (the config checks it). Every stage writes its fields of the envelope for every event (the feed hands on a fresh
// envelope per event), so no event carries another event's state.
// May touch: book/, clean/, features/, regime/, model/ (via predict_stage.hpp), core/, config/
// (settings), engine/pipeline.hpp.
#pragma once
#include <array>
#include <cmath>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/clean/cleaner.hpp"
#include "hft/core/page_arena.hpp"
#include "hft/core/spsc_ring.hpp"
#include "hft/engine/envelope.hpp"
#include "hft/engine/pipeline.hpp"
#include "hft/engine/predict_stage.hpp"
#include "hft/engine/strategy_stage.hpp"
#include "hft/features/features.hpp"
#include "hft/regime/detector.hpp"

namespace hft::engine {

// Applies every event to the L3 books and stamps the resulting top of book on the envelope.
struct BookStage {
  static constexpr std::string_view kName = "book";
  static book::BookConfig book_config(const config::Config& c, bool live) {
    book::BookConfig bc;
    bc.max_orders = c.feed.max_orders;
    bc.max_levels = std::min<std::size_t>(c.feed.max_orders, std::size_t{1} << 22);
    bc.prefault = live;  // no page faults on a live hot thread; replays touch what they use
    return bc;
  }
  explicit BookStage(StageEnv& env) : books(book_config(env.cfg, env.live)) {
    env.books = &books;
    env.max_instruments = books.config().max_instruments;
  }
  bool on_event(Envelope& e) noexcept {
    books.apply(e.ev);
    book::LevelView b, a;
    books.best_both(e.ev.instrument, b, a);  // (empty for an id beyond the books)
    e.top = TopOfBook{b.price, a.price, b.qty, a.qty};
    return true;
  }
  // Mirrors of the books' counters for the control thread (copied at publish points).
  void publish() noexcept {
    const book::BookCounters& c = books.counters();
    for (int i = 0; i < book::kBookErrorCount; ++i) errors[static_cast<std::size_t>(i)].set(c.errors[static_cast<std::size_t>(i)]);
    crossed.set(c.crossed);
    locked.set(c.locked);
    live_orders.set(books.live_orders());
  }
  book::Books books;
  std::array<RelaxedCounter, book::kBookErrorCount> errors;
  RelaxedCounter crossed, locked, live_orders;
};

// Cleaning (step 1): every rule's verdict on the event and the book after it. A Drop verdict ends
// the event's trip (counted by the cleaner per rule and instrument, and by the thread as filtered).
// Reload: the rules are built and validated on the control thread (settings(): throws on an
// invalid set, so the reload is refused there); the hot thread only copies them in.
struct CleanStage {
  static constexpr std::string_view kName = "clean";
  static constexpr bool kReadsBook = true;
  using Settings = clean::CleanConfig;
  static Settings settings(const config::Config& c);
  explicit CleanStage(StageEnv& env);
  bool on_event(Envelope& e) noexcept {
    const clean::Verdict v = cleaner.on_event(e.ev, book::LevelView{e.top.bid, e.top.bid_qty, 0},
                                              book::LevelView{e.top.ask, e.top.ask_qty, 0});
    e.quality = v.quality;
    e.halted = v.halted;
    return !v.drop;
  }
  void apply(const Settings& s) noexcept { cleaner.apply_rules(s); }
  void publish() noexcept {
    for (std::size_t r = 0; r < clean::kRuleCount; ++r) fired[r].set(cleaner.count(static_cast<clean::Rule>(r)));
  }
  clean::Cleaner cleaner;
  std::array<RelaxedCounter, clean::kRuleCount> fired;
};

// Features (step 2): the instrument's feature state after the event (values computed on read).
struct FeatureStage {
  static constexpr std::string_view kName = "features";
  static constexpr bool kReadsBook = true;
  explicit FeatureStage(StageEnv& env);
  bool on_event(Envelope& e) noexcept {
    const InstrumentId id = e.ev.instrument;
    if (name_pairs && id < named.size() && (!named[id] || e.ev.kind == EventKind::Directory)) [[unlikely]]
      name(id);
    if (e.ev.kind != EventKind::Directory && e.ev.kind != EventKind::System) engine.on_event(e.ev, books);
    return true;
  }
  // Tells the feature engine an instrument's symbol (coint_pairs' legs): at its first event and
  // at each directory entry (a symbol may be renamed).
  void name(InstrumentId id) noexcept;
  void publish() noexcept {
    const features::FeatureCounters& c = engine.counters();
    nonfinite.set(c.nonfinite_replaced);
    invalid_book.set(c.invalid_book);
    over_capacity.set(c.over_capacity);
    if (const auto* m = engine.stat_models()) {
      model_swaps.set(m->counters().swaps);
      model_waited.set(m->counters().waited);
    }
  }
  // The models group's refit thread (features.models), at the background priority.
  void start_background(int cpu);
  void stop_background();
  features::FeatureEngine engine;
  const book::Books& books;
  bool refit_idle = true;
  const SymbolTable* symbols = nullptr;
  bool name_pairs = false;            // features.coint_pairs set
  std::vector<std::uint8_t> named;    // by instrument id: its symbol was told
  RelaxedCounter nonfinite, invalid_book, over_capacity, model_swaps, model_waited;
  std::thread refit_thread;
  std::atomic<bool> refit_stop{false};
};

// Regimes (step 3): per instrument, the mid sampled on the event-time grid (regime::GridSampler)
// and a RegimeDetector on the samples. Two ways to run, chosen by the feed:
//  - replays (deterministic by construction): the detectors run inline on the hot thread at the
//    event that passes a grid point, and GARCH refits are requested and swapped in at fixed
//    points of event time (GarchRefits); an event carries the instrument's label after its own
//    samples. Nothing waits for another thread's luck: a fit not finished by its swap time is
//    computed right there (a pure function of its inputs, so the same parameters).
//  - live feed: the hot thread only samples the grid and hands the samples through an SPSC ring
//    to a regime thread (start_background) that runs the detectors; the hot thread never waits:
//    it shows the newest finished label (late batches counted), a sample that finds the ring
//    full is dropped (counted) and the instrument's next sample restarts the return chain.
// Per-instrument state (channel, detector) comes from pools built at start for max_active
// instruments: nothing is allocated on the hot thread; instruments beyond the pool are counted
// (over_capacity) and get no label.
// Envelope.regime carries the label (encode()), 0 when the instrument has none.
struct GarchRefits;

struct RegimeStage {
  static constexpr std::string_view kName = "regime";
  static constexpr bool kReadsBook = true;
  explicit RegimeStage(StageEnv& env);
  // threaded: the live arrangement (detectors on the regime thread; tests may call work()).
  RegimeStage(const regime::RegimeConfig& cfg, std::size_t max_instruments, bool threaded,
              std::size_t max_active = 64, std::size_t ring_capacity = 1u << 16, double refit_interval_s = 300);
  ~RegimeStage();

  // ---- hot thread
  bool on_event(Envelope& e) noexcept {
    const InstrumentId id = e.ev.instrument;
    e.regime = 0;
    if (id >= chans.size()) [[unlikely]] return true;
    Channel* c = chans[id];
    if (e.top.bid > 0 && e.top.ask > e.top.bid && !(e.ev.flags & evflag::kSnapshot)) {
      if (c == nullptr) [[unlikely]] {
        c = create(id);
        if (c == nullptr) return true;  // pool exhausted (counted)
      }
      const double mid = 0.5 * static_cast<double>(e.top.bid + e.top.ask);
      if (!threaded) sample_inline(*c, id, e.ev.ts_exch, mid);
      else sample_threaded(*c, id, e.ev.ts_exch, mid);
    }
    if (c) e.regime = c->label;
    return true;
  }
  void publish() noexcept {  // replays: the detectors are the hot thread's
    if (!threaded) publish_state();
  }
  // The regime thread polls its empty ring every kIdlePollPauses PAUSEs (~1.3 us): a poll after
  // every PAUSE slows the other vCPU's thread several times on this VM.
  static constexpr unsigned kIdlePollPauses = 64;
  void start_background(int cpu);  // the regime thread (live) and the GARCH refit thread
  void stop_background();          // after the hot threads ended: drains the ring first

  // ---- regime thread (live): runs the detectors on the queued samples; returns how many.
  std::size_t work() noexcept;
  void publish_state() noexcept;  // counters for the control thread (stressed, garch_swaps)

  // bits 0-1 volatility regime, 2-3 trend regime, 4 change point, 5-6 gate, 7 warm-up done
  static std::uint8_t encode(const regime::RegimeState& s) noexcept {
    return static_cast<std::uint8_t>(static_cast<unsigned>(s.vol) | static_cast<unsigned>(s.trend) << 2 |
                                     unsigned{s.change_point} << 4 | static_cast<unsigned>(s.gate) << 5 |
                                     unsigned{s.ready} << 7);
  }

  struct Msg {
    Nanos grid;
    double mid;
    InstrumentId id;
    bool restart;  // no return from the previous sample (a gap)
    bool last;     // the last sample of its batch
  };
  // One instrument's state on the hot thread, and (live) its hand-off: the regime thread writes
  // only done_label (own cache line): b << 8 | the label after batch b.
  struct Channel {
    // label first: with the sampler's per-mid fields after it, an event reads one line here.
    std::uint8_t label = 0;
    regime::GridSampler sampler{1, 0};  // set from the config at start
    std::uint64_t sent = 0;   // batches sent (live)
    bool gap = false;         // a sample was dropped (live, ring full): the next one restarts
    alignas(64) std::atomic<std::uint64_t> done_label{0};
    std::uint64_t finished = 0;  // regime thread's own count of batches
    bool listed = false;         // in `live` (written by the detectors' owner)
  };

  Channel* create(InstrumentId id) noexcept;
  void sample_inline(Channel& c, InstrumentId id, Nanos ts, double mid) noexcept;
  void sample_threaded(Channel& c, InstrumentId id, Nanos ts, double mid) noexcept;
  void begin_batch(Channel& c) noexcept;
  void send(Channel& c, Msg m) noexcept;
  // Sampler counters summed over the instruments (work done: grid points, fills, gaps).
  regime::SamplerCounters sampler_totals() const noexcept;

  regime::RegimeConfig cfg;
  bool threaded = false;
  bool refit_idle = true;  // the refit thread at SCHED_IDLE (system.background_priority)
  std::vector<Channel*> chans;                                      // by instrument id (hot thread)
  std::unique_ptr<Channel[]> chan_pool;
  // The detectors, their windows and tables (~50 KB each at the defaults). Live: all built at
  // start and prefaulted. Replays: the first at start, the others at their instrument's first
  // sample, in room reserved at start (no mapping then): instruments never seen cost nothing.
  core::PageArena arena;
  struct InArena {  // the arena keeps the memory: only the destructor runs
    void operator()(regime::RegimeDetector* d) const noexcept { d->~RegimeDetector(); }
  };
  using DetectorPtr = std::unique_ptr<regime::RegimeDetector, InArena>;
  DetectorPtr build_detector();
  std::vector<DetectorPtr> det_pool;                                // max_active entries
  std::size_t used = 0;                                             // pool entries handed out
  SpscRing<Msg> ring;                                               // hot -> regime thread (live)
  // Hot thread's counters: ring_full = samples dropped because the ring was full (live).
  RelaxedCounter instruments, late, ring_full, over_capacity;
  // The detectors' owner's state (hot thread in replays, regime thread live).
  std::vector<regime::RegimeDetector*> detectors;                   // by instrument id
  std::vector<InstrumentId> live;                                   // ids with a detector
  Nanos work_ts = 0;                                                // grid time of the last sample
  std::unique_ptr<GarchRefits> refits;
  RelaxedCounter stressed, garch_swaps;
  // Background threads.
  std::thread regime_thread, refit_thread;
  std::atomic<bool> regime_stop{false}, refit_stop{false};
};

// Background GARCH refits: a small pool of job slots handed between the detectors' owner (which
// copies an instrument's returns into a free slot and later swaps the fitted parameters in, both
// between samples) and a refit thread (which fits). Each slot's state is an atomic with one writer
// per transition, so neither side locks; the return buffers are reserved up front.
// Two schedules:
//  - live feed (service(), when the regime thread runs out of samples and every 1024 rounds): a
//    fit is requested when an instrument is due and swapped in as soon as it is done: never waits;
//    which samples see which parameters depends on timing.
//  - replays (on_sample() after every sample, on the hot thread): in event time. An instrument is
//    due refit_interval after its last request; the request is made at its first sample at or
//    after that (if fewer than kPending requests are pending: event time), and the parameters are
//    swapped in at its first sample swap_lag later. A fit not done by then is made there: the
//    slot's own if the refit thread has not started it, else a copy (the fit is a pure function
//    of the returns and the warm start, so the same parameters). The GARCH scores of a replay are
//    then the same on every run, whatever the threads' timing.
struct GarchRefits {
  enum State : int { kFree, kRequested, kRunning, kDone };
  struct Slot {
    std::atomic<int> state{kFree};
    InstrumentId id = 0;
    Nanos swap_at = 0;  // replays: event time of the swap
    regime::GarchParams in_use{0, 0, 0, 0};  // the detector's at the request: the fit's warm start
    bool pending = false;  // a request not yet swapped in (owner's view)
    bool orphan = false;   // replays: swapped in from the owner's own fit; freed when done
    std::vector<double> returns;
    regime::GarchFit fit;
  };
  // max_instruments: the regime stage's (next_due is indexed like its detectors).
  GarchRefits(std::size_t window, double interval_s, std::size_t max_instruments, std::size_t min_moves = 100);
  // Regime thread, live schedule: swap in finished fits, hand out one due instrument.
  void service(RegimeStage& rs, Nanos now_event_time) noexcept;
  // Detectors' owner, replay schedule: after instrument id's sample at grid time t.
  void on_sample(RegimeStage& rs, InstrumentId id, Nanos t) noexcept;
  // Refit thread: fits every requested slot; returns how many it fitted.
  std::size_t work();

  // One writer each: the refit thread's counts and the owner's (fits it made itself) apart.
  // Fits by status (regime::FitStatus: ok, or too few moves, zero variance, boundary optimum,
  // not converged, ...); fitted = usable (ok), failed = the rest.
  struct FitCounts {
    std::array<RelaxedCounter, regime::kFitStatusCount> by_status;
    std::uint64_t fitted() const noexcept { return by_status[static_cast<std::size_t>(regime::FitStatus::Ok)].get(); }
    std::uint64_t failed() const noexcept {
      std::uint64_t n = 0;
      for (const auto& c : by_status) n += c.get();
      return n - fitted();
    }
  };
  FitCounts bg, fg;  // fits made, by the thread that made them (work: depends on timing)
  // The outcome of each request's fit when it is swapped in (the owner's count): one per
  // request, so in a replay the same on every run. bg + fg is not: a fit the owner had to copy
  // at its swap time is made twice, and the refit thread may or may not reach the requests
  // still pending when the input ends.
  FitCounts applied;
  std::uint64_t fitted() const noexcept { return applied.fitted(); }
  std::uint64_t failed() const noexcept { return applied.failed(); }
  std::uint64_t by_status(regime::FitStatus st) const noexcept {
    return applied.by_status[static_cast<std::size_t>(st)].get();
  }

  static constexpr std::size_t kPending = 4;
  std::size_t min_moves;        // non-zero returns a window needs before a fit is tried
  std::array<Slot, kPending + 2> slots;
  Nanos interval;
  Nanos swap_lag;               // replays: event time from a request to its swap (<= interval)
  std::vector<Nanos> next_due;  // per instrument id (event time)
  std::size_t cursor = 0;       // round robin over RegimeStage::live
  RelaxedCounter waited;        // replay swaps that found the fit unfinished (fitted by the owner)

 private:
  bool fit(Slot& s, FitCounts& c);  // kRequested -> kRunning -> kDone; false if another thread took it
  regime::GarchFit run_fit(const Slot& s, FitCounts& c) noexcept;  // the fit itself (counted)
  void apply(RegimeStage& rs, Slot& s, const regime::GarchFit& f) noexcept;  // params in, not pending
  void swap_in(RegimeStage& rs, Slot& s) noexcept;  // apply the slot's fit, free the slot
  bool request(RegimeStage& rs, InstrumentId id, Nanos now) noexcept;
};

// End of the hot path for now (the strategy stages of later issues slot in before it): counts
// events by kind and folds every event, the top of book it produced and the cleaning verdict
// into a digest (and the regime labels into a second one), so two runs (two layouts) can be
// compared event by event with one number.
struct MonitorStage {
  static constexpr std::string_view kName = "monitor";
  explicit MonitorStage(StageEnv& env) : seen(env.max_instruments, 0) {}
  bool on_event(Envelope& e) noexcept {
    kinds[static_cast<std::size_t>(e.ev.kind)].add();
    if (e.ev.kind != EventKind::Directory && e.ev.kind != EventKind::System && e.ev.instrument < seen.size())
      seen[e.ev.instrument] = 1;
    digest = fold_event(digest, e);
    label_digest = (label_digest ^ e.regime) * 0x100000001B3ull + (label_digest >> 29);
    if (e.pred.made) [[unlikely]] watch_prediction(e);
    return true;
  }
  // Predictions as they leave the hot path, checked apart from the stage that made them: a torn
  // one (a probability not finite or outside [0, 1], or not summing to 1) is counted, and the
  // first event time each model index was seen at is kept (a learner's version must not be
  // seen before it was published).
  void watch_prediction(const Envelope& e) noexcept {
    const float* p = e.pred.p;
    const float sum = p[0] + p[1] + p[2];
    bool ok = std::abs(sum - 1.0f) < 1e-3f;
    for (int k = 0; k < 3; ++k) ok = ok && p[k] >= 0.0f && p[k] <= 1.0f;
    torn_predictions += !ok;
    ++predictions;
    if (e.pred.model < first_seen.size() && first_seen[e.pred.model] == INT64_MAX) first_seen[e.pred.model] = e.ev.ts_exch;
  }
  void publish() noexcept { digest_out.set(digest); }
  // One event into the digest: its 11 words (the event, the top of book it produced, the
  // cleaning verdict) chained one after another. (Mixing the words independently and chaining
  // only their sum, ~5 instead of ~55 cycles of latency an event, measured no faster in the
  // 500-instrument replay: the out-of-order core already overlaps the chain with the next event.)
  static std::uint64_t fold_event(std::uint64_t h, const Envelope& e) noexcept {
    const MarketEvent& v = e.ev;
    const std::uint64_t w[11] = {static_cast<std::uint64_t>(v.ts_exch), v.order_id, v.new_order_id,
                                 static_cast<std::uint64_t>(v.price),
                                 (std::uint64_t{v.qty} << 32) | v.instrument,
                                 (std::uint64_t{static_cast<std::uint8_t>(v.kind)} << 16) |
                                     (std::uint64_t{static_cast<std::uint8_t>(v.side)} << 8) | v.flags,
                                 static_cast<std::uint64_t>(e.top.bid), static_cast<std::uint64_t>(e.top.ask),
                                 static_cast<std::uint64_t>(e.top.bid_qty), static_cast<std::uint64_t>(e.top.ask_qty),
                                 (std::uint64_t{e.quality} << 16) | (std::uint64_t{e.halted} << 8)};
    for (const std::uint64_t x : w) h = (h ^ x) * 0x100000001B3ull + (h >> 29);
    return h;
  }
  std::uint64_t predictions = 0, torn_predictions = 0;
  std::array<Nanos, 256> first_seen = make_unseen();
  static constexpr std::array<Nanos, 256> make_unseen() {
    std::array<Nanos, 256> a{};
    a.fill(INT64_MAX);
    return a;
  }
  std::uint64_t digest = 0xCBF29CE484222325ull;
  // The regime labels, apart: a replay's are fixed, a live feed's depend on thread timing.
  std::uint64_t label_digest = 0xCBF29CE484222325ull;
  std::array<RelaxedCounter, kEventKindCount> kinds;
  RelaxedCounter digest_out;
  std::vector<std::uint8_t> seen;  // instruments with market events (for the final report)
};

// The engine's pipeline: the stage types in order. A new stage is one entry here (and its name
// in config::kPipelineStages, which the layout is validated against; checked below).
using DefaultPipeline = Pipeline<BookStage, CleanStage, FeatureStage, RegimeStage, PredictStage, StrategyStage, SimStage, MonitorStage>;

constexpr bool names_match_config() {
  if (DefaultPipeline::kSize + 1 != config::kPipelineStages.size() || config::kPipelineStages[0] != "feed") return false;
  for (std::size_t i = 0; i < DefaultPipeline::kSize; ++i)
    if (DefaultPipeline::kNames[i] != config::kPipelineStages[i + 1]) return false;
  return true;
}
static_assert(names_match_config(), "config::kPipelineStages must list feed then DefaultPipeline's stages");

}  // namespace hft::engine
