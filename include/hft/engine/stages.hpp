// The hot-path stages after the feed: plain objects that handle one event and know nothing of
// threads (the layout decides where they run). on_event returns false to end the event's trip
// down the chain (a filter); apply() takes reloadable settings at a safe point between events;
// publish() copies plain hot-path counters into atomics that the control thread may read.
// Pipeline order (config::kPipelineStages): feed, book, clean, features, regime, monitor; clean,
// features and regime read the book and so run on its thread (the config checks it).
// May touch: book/, clean/, features/, regime/, core/.
#pragma once
#include <array>
#include <memory>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/spsc_ring.hpp"
#include "hft/clean/cleaner.hpp"
#include "hft/engine/envelope.hpp"
#include "hft/features/features.hpp"
#include "hft/regime/detector.hpp"

namespace hft::engine {

// Index of each stage in the pipeline order.
enum StageId : std::size_t { kFeed = 0, kBook, kClean, kFeatures, kRegime, kMonitor, kStageCount };

// Single-writer counter readable from another thread: a relaxed load and store (no locked
// instruction), so the owner pays what a plain increment costs and readers see no torn values.
struct RelaxedCounter {
  std::atomic<std::uint64_t> v{0};
  void add(std::uint64_t n = 1) noexcept { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(std::uint64_t n) noexcept { v.store(n, std::memory_order_relaxed); }
  std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

// Applies every event to the L3 books and stamps the resulting top of book on the envelope.
struct BookStage {
  explicit BookStage(const book::BookConfig& cfg) : books(cfg) {}
  bool on_event(Envelope& e) noexcept {
    books.apply(e.ev);
    if (e.ev.instrument < books.config().max_instruments) [[likely]] {
      const book::LevelView b = books.best(e.ev.instrument, Side::Buy);
      const book::LevelView a = books.best(e.ev.instrument, Side::Sell);
      e.top = TopOfBook{b.price, a.price, b.qty, a.qty};
    }
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
struct CleanStage {
  CleanStage(const clean::CleanConfig& cfg, const book::Books& b, std::size_t max_instruments)
      : cleaner(cfg, max_instruments), books(b) {}
  bool on_event(Envelope& e) noexcept {
    const clean::Verdict v = cleaner.on_event(e.ev, book::LevelView{e.top.bid, e.top.bid_qty, 0},
                                              book::LevelView{e.top.ask, e.top.ask_qty, 0});
    e.quality = v.quality;
    e.halted = v.halted;
    return !v.drop;
  }
  void publish() noexcept {
    for (std::size_t r = 0; r < clean::kRuleCount; ++r) fired[r].set(cleaner.count(static_cast<clean::Rule>(r)));
  }
  clean::Cleaner cleaner;
  const book::Books& books;
  std::array<RelaxedCounter, clean::kRuleCount> fired;
};

// Features (step 2): the instrument's feature vector after the event.
struct FeatureStage {
  FeatureStage(const features::FeatureConfig& cfg, const book::Books& b, std::size_t max_instruments)
      : engine(cfg, max_instruments), books(b) {}
  bool on_event(Envelope& e) noexcept {
    if (e.ev.kind != EventKind::Directory && e.ev.kind != EventKind::System) engine.on_event(e.ev, books);
    return true;
  }
  void publish() noexcept {
    const features::FeatureCounters& c = engine.counters();
    nonfinite.set(c.nonfinite_replaced);
    invalid_book.set(c.invalid_book);
  }
  features::FeatureEngine engine;
  const book::Books& books;
  RelaxedCounter nonfinite, invalid_book;
};

// Regimes (step 3), in two halves joined by an SPSC ring, so that the detectors' per-sample work
// (GARCH filter, BOCPD over up to R_max run lengths: about a microsecond or two per sample) never
// runs on the hot thread:
//  - on_event (book's thread): samples each instrument's mid on the grid (regime::GridSampler: a
//    few compares per event) and sends the grid samples of an event as one batch;
//  - work() (the regime thread): runs one RegimeDetector per instrument on them and publishes the
//    detector's state after every batch.
// Deterministic whatever the threads' timing (wait_for_results, replays): when an event sends
// batch j of an instrument, the instrument's label becomes the detector's state after batch j-1
// (waiting for it if the regime thread is behind, counted in waits). The label so lags one batch
// (one grid interval) behind the samples; a regime is a slow signal. On a live feed the hot
// thread must not stall on another thread: it then shows the newest finished batch's label
// instead (counted in late; the lag grows only while the regime thread is behind).
// Envelope.regime carries the label (encode()).
// Per-instrument state is created at the instrument's first two-sided book (counted).
struct GarchRefits;

struct RegimeStage {
  RegimeStage(const regime::RegimeConfig& cfg, std::size_t max_instruments, std::size_t ring_capacity = 1u << 16);
  ~RegimeStage();

  // ---- hot thread
  bool on_event(Envelope& e) noexcept {
    const InstrumentId id = e.ev.instrument;
    if (id >= chans.size()) [[unlikely]] return true;
    Channel* c = chans[id].get();
    if (e.top.bid > 0 && e.top.ask > e.top.bid) {
      if (c == nullptr) [[unlikely]] c = create(id);
      const double mid = 0.5 * static_cast<double>(e.top.bid + e.top.ask);
      // The samples of this event, sent as they come but one behind, so that the last can carry
      // the end-of-batch mark.
      Msg held{};
      bool holding = false;
      c->sampler.on_mid(e.ev.ts_exch, mid, [&](const regime::GridSample& g) {
        if (holding) send(*c, held);
        else begin_batch(*c);
        held = Msg{g.grid, g.mid, id, g.restart, false};
        holding = true;
      });
      if (holding) {
        held.last = true;
        send(*c, held);
      }
    }
    if (c) e.regime = c->label;
    return true;
  }
  // The detector state the hot thread shows for an instrument (nullptr: none yet, or not waiting
  // for results, when only the label is kept). Stable until the instrument's next batch is sent.
  const regime::RegimeState* shown(InstrumentId id) const noexcept {
    if (!wait_for_results || id >= chans.size() || !chans[id]) return nullptr;
    const Channel& c = *chans[id];
    return c.sent >= 2 ? &c.slot[(c.sent - 1) & 1] : &kFresh;
  }

  // Polls of the other side space out PAUSEs (cpu_relax(n)): the regime thread's polls of an
  // empty ring and the hot thread's waits for a batch. A poll after every PAUSE makes the other
  // vCPU's thread run several times slower on this VM; a sample is picked up a few hundred ns
  // later instead, well within the grid interval the labels lag anyway.
  static constexpr unsigned kIdlePollPauses = 64;  // regime thread, ring empty (~1.3 us)
  static constexpr unsigned kWaitPollPauses = 4;   // hot thread, waiting for a batch's result

  // ---- regime thread (something must call work(): the hot half waits for its results)
  // Runs the detectors on the queued samples; returns how many messages it took.
  std::size_t work() noexcept;
  void publish() noexcept;  // counters for the control thread (stressed, garch_swaps)

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
  // One instrument's hand-off. The hot thread's fields first; the regime thread writes only
  // done_label and slot (own cache lines): slot[b & 1] is the state after batch b, done_label
  // holds b << 8 | its label. The hot thread shows slot[(j-1) & 1] from the moment it sends
  // batch j until it sends batch j+1, and the regime thread writes slot[(j+1) & 1] only after
  // that: the two never touch one slot at once.
  struct Channel {
    Channel(Nanos interval, std::size_t max_fill) : sampler(interval, max_fill) {}
    regime::GridSampler sampler;
    std::uint64_t sent = 0;   // batches sent
    bool gap = false;         // a sample was dropped (live, ring full): the next one restarts
    std::uint8_t label = encode(regime::RegimeState{});
    alignas(64) std::atomic<std::uint64_t> done_label{0};
    std::uint64_t finished = 0;  // regime thread's own count of batches
    std::array<regime::RegimeState, 2> slot{};
  };
  static constexpr regime::RegimeState kFresh{};

  Channel* create(InstrumentId id);
  void begin_batch(Channel& c) noexcept;
  void send(Channel& c, Msg m) noexcept;

  regime::RegimeConfig cfg;
  std::vector<std::unique_ptr<Channel>> chans;                      // hot thread creates, by id
  SpscRing<Msg> ring;                                               // hot -> regime thread
  bool wait_for_results = true;                                     // false on a live feed (see above)
  // Hot thread's counters: ring_full = samples that found the ring full (replay: waited for room;
  // live feed: dropped), wait_ticks in TSC ticks.
  RelaxedCounter instruments, waits, wait_ticks, late, ring_full;
  // Regime thread's state.
  std::vector<std::unique_ptr<regime::RegimeDetector>> detectors;   // by instrument id
  std::vector<InstrumentId> live;                                   // ids with a detector
  Nanos work_ts = 0;                                                // grid time of the last sample
  GarchRefits* refits = nullptr;  // set: refits in event time after every sample (GarchRefits)
  RelaxedCounter stressed, garch_swaps;
};

// Background GARCH refits: a small pool of job slots handed between the regime thread (which
// copies an instrument's returns into a free slot and later swaps the fitted parameters in, both
// between samples) and a refit thread (which fits). Each slot's state is an atomic with one writer
// per transition, so neither side locks; the return buffers are reserved up front.
// Two schedules:
//  - live feed (service(), when the regime thread runs out of samples and every 1024 rounds): a
//    fit is requested when an instrument is due and swapped in as soon as it is done: never waits;
//    which samples see which parameters depends on timing.
//  - replays (deterministic: RegimeStage::refits set, on_sample() after every sample): in event
//    time. An instrument is due refit_interval after its last request; the request is made at its
//    first sample at or after that (if fewer than kPending requests are pending: event time), and
//    the parameters are swapped in at its first sample swap_lag later. A fit not done by then is
//    made there, on the regime thread: the slot's own if the refit thread has not started it,
//    else a copy (the fit is a pure function of the returns and the warm start, so the same
//    parameters), rather than waiting: the refit thread shares the control core at SCHED_IDLE and
//    a busy thread there (a spinning feed thread in a split layout) can starve it for seconds.
//    The GARCH scores of a replay are then the same on every run, whatever the threads' timing.
struct GarchRefits {
  enum State : int { kFree, kRequested, kRunning, kDone };
  struct Slot {
    std::atomic<int> state{kFree};
    InstrumentId id = 0;
    Nanos swap_at = 0;  // replays: event time of the swap
    regime::GarchParams in_use{0, 0, 0, 0};  // the detector's at the request: the fit's warm start
    bool pending = false;  // a request not yet swapped in (regime thread's view)
    bool orphan = false;   // replays: swapped in from the regime thread's own fit; freed when done
    std::vector<double> returns;
    regime::GarchFit fit;
  };
  // max_instruments: the regime stage's (next_due is indexed like its detectors).
  GarchRefits(std::size_t window, double interval_s, std::size_t max_instruments);
  // Regime thread, live schedule: swap in finished fits, hand out one due instrument.
  void service(RegimeStage& rs, Nanos now_event_time) noexcept;
  // Regime thread, replay schedule: after instrument id's sample at grid time t.
  void on_sample(RegimeStage& rs, InstrumentId id, Nanos t) noexcept;
  // Refit thread: fits every requested slot; returns how many it fitted.
  std::size_t work();

  // At most kPending requests wait for their swap (decided in event time); two more slots are
  // for orphans (a copy swapped in while the refit thread still works on the slot: it works on
  // one at a time, and a finished orphan is freed at the next sample), so a request that finds
  // fewer than kPending pending always finds a free slot, whatever the refit thread's timing.
  static constexpr std::size_t kPending = 4;
  std::array<Slot, kPending + 2> slots;
  Nanos interval;
  Nanos swap_lag;                // replays: event time from a request to its swap (<= interval)
  std::vector<Nanos> next_due;  // per instrument id (event time)
  std::size_t cursor = 0;       // round robin over RegimeStage::live
  RelaxedCounter fitted, failed, waited;  // waited: replay swaps that found the fit unfinished
                                          // (and fitted it on the regime thread)

 private:
  bool fit(Slot& s);  // kRequested -> kRunning -> kDone; false if another thread took it
  regime::GarchFit run_fit(const Slot& s) noexcept;  // the fit itself (counted), from the slot's inputs
  void apply(RegimeStage& rs, Slot& s, const regime::GarchFit& f) noexcept;  // params in, not pending
  void swap_in(RegimeStage& rs, Slot& s) noexcept;  // apply the slot's fit, free the slot
  bool request(RegimeStage& rs, InstrumentId id, Nanos now) noexcept;
};

// End of the hot path for now (the strategy stages of later issues slot in before it): counts
// events by kind and folds every event, the top of book it produced and the cleaning verdict
// into a digest (and the regime labels into a second one), so two runs (two layouts) can be
// compared event by event with one number.
struct MonitorStage {
  explicit MonitorStage(std::size_t max_instruments) : seen(max_instruments, 0) {}
  bool on_event(Envelope& e) noexcept {
    kinds[static_cast<std::size_t>(e.ev.kind)].add();
    if (e.ev.kind != EventKind::Directory && e.ev.kind != EventKind::System && e.ev.instrument < seen.size())
      seen[e.ev.instrument] = 1;
    const MarketEvent& v = e.ev;
    std::uint64_t h = digest;
    for (std::uint64_t x : {static_cast<std::uint64_t>(v.ts_exch), v.order_id, v.new_order_id,
                            static_cast<std::uint64_t>(v.price),
                            (std::uint64_t{v.qty} << 32) | v.instrument,
                            (std::uint64_t{static_cast<std::uint8_t>(v.kind)} << 16) |
                                (std::uint64_t{static_cast<std::uint8_t>(v.side)} << 8) | v.flags,
                            static_cast<std::uint64_t>(e.top.bid), static_cast<std::uint64_t>(e.top.ask),
                            static_cast<std::uint64_t>(e.top.bid_qty), static_cast<std::uint64_t>(e.top.ask_qty),
                            (std::uint64_t{e.quality} << 16) | (std::uint64_t{e.halted} << 8)})
      h = (h ^ x) * 0x100000001B3ull + (h >> 29);
    digest = h;
    label_digest = (label_digest ^ e.regime) * 0x100000001B3ull + (label_digest >> 29);
    return true;
  }
  void publish() noexcept { digest_out.set(digest); }
  std::uint64_t digest = 0xCBF29CE484222325ull;
  // The regime labels, apart: a replay's are fixed, a live feed's depend on thread timing.
  std::uint64_t label_digest = 0xCBF29CE484222325ull;
  std::array<RelaxedCounter, kEventKindCount> kinds;
  RelaxedCounter digest_out;
  std::vector<std::uint8_t> seen;  // instruments with market events (for the final report)
};

}  // namespace hft::engine
