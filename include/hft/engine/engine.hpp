// The engine runtime: builds a pipeline of stages (pipeline.hpp), the threads and the rings that
// a config's layout asks for, runs them, and hands reloadable settings to each thread at a safe
// point between batches. BasicEngine<P> runs any pipeline P; Engine runs DefaultPipeline.
//
// Layout: config.system.layout lists threads (Agrona's agents), each with some of the pipeline's
// stages in order (a composite agent) and an idle strategy (spin, backoff, sleep). Stages on one
// thread are called directly through the pipeline's one chain (no virtual call per event);
// consecutive threads are joined by an SpscRing<Envelope>. A full ring either blocks the producer
// or drops the event with a count (system.ring_full). Stopping: the feed stops reading, every
// ring is drained, every thread ends; nothing in flight is lost.
//
// Orders and time: the last thread owns the exchange-time Clock, the Scheduler (timers and
// execution reports) and the OrderRouter. Before it handles a market event at time t it delivers
// every report and timer due at or before t (in (time, sequence) order), so reports are merged
// with market events in exchange-time order; on a live feed it also fires them between events
// by the live clock. In a replay everything is driven by event time: the same input gives the
// same deliveries on every run and layout.
//
// Bounded work: the feed hands on a fresh envelope per event; paced replays clamp gaps in event
// time to EngineOptions::max_gap and never follow time backwards (both counted).
//
// Kill switch: EngineOptions::control (a risk::Control the caller owns) is handed to the router;
// the order thread polls it once per event and on each idle step (see orders.hpp).
//
// What the control thread may read while the engine runs: the RelaxedCounter / atomic fields of
// ThreadState and of the stages, the histograms (single writer, atomic buckets), the ring depths,
// and the source and order counter mirrors (the latter with the risk state: kill, breakers).
// Everything else belongs to the hot threads until join().
// May touch: config/, telemetry/, feed/ (EventSource), book/, core/, engine/.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/core/spsc_ring.hpp"
#include "hft/engine/clock.hpp"
#include "hft/engine/envelope.hpp"
#include "hft/engine/orders.hpp"
#include "hft/engine/pipeline.hpp"
#include "hft/engine/stages.hpp"
#include "hft/engine/symbols.hpp"
#include "hft/report/recorder.hpp"
#include "hft/feed/source.hpp"
#include "hft/telemetry/histogram.hpp"
#include "hft/telemetry/log.hpp"

namespace hft::engine {

// Settings a hot thread re-reads at a safe point (the reloadable part of the config it uses).
struct HotSettings {
  std::size_t batch = 64;              // feed.batch: events taken from the source per step
  std::uint32_t sample_every = 1;      // telemetry.latency_sample_every
  std::uint64_t publish_ticks = 0;     // telemetry.publish_interval_ms in cycle-counter ticks
};

struct ThreadState {
  config::ThreadLayout layout;
  std::int64_t index = 0;                        // position in the layout
  bool feed = false;                             // runs the feed (the first thread)
  unsigned mask = 0;                             // bit k: runs pipeline stage k
  SpscRing<Envelope>* in = nullptr;              // from the previous thread (null for the feed's)
  SpscRing<Envelope>* out = nullptr;             // to the next thread (null for the last)
  std::unique_ptr<telemetry::LogRing> log;       // binary log records to the control thread
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> applied_version{0};  // config version this thread runs
  std::atomic<std::uint64_t> applied_seq{0};      // offer sequence number it has taken
  RelaxedCounter events, batches, idle_loops, heartbeat, ring_drops, ring_full_waits, filtered;
  std::atomic<int> pinned_cpu{-1};               // -1 = not pinned (or pinning failed)
};

// Mirror of the source's named counters (SourceStats maps), refreshed by the feed thread at
// publish points. Names point into the source's map nodes, which never move.
struct SourceMirror {
  static constexpr std::size_t kMax = 256;
  std::array<std::atomic<const std::string*>, kMax> name{};
  std::array<std::atomic<bool>, kMax> is_error{};
  std::array<RelaxedCounter, kMax> value;
  std::atomic<std::size_t> n{0};
  RelaxedCounter events;
  std::atomic<double> progress{-1.0};  // the source's share of its input read (progress lines)
};

struct EngineOptions {
  double replay_speed = 0;  // 0 = as fast as possible; N = N x recorded pace (by ts_exch)
  Nanos max_gap = 1'000'000'000;  // paced replays: a longer gap in event time is waited as this
  OrderSink* sink = nullptr;      // where accepted orders go (not owned); none: rejected, no_venue
  int trading_date = 0;           // YYYYMMDD for day-of-week features of a since-midnight source
  // Backtests: (exchange time, model store) swaps for the prediction stage, and when strategies
  // may start trading (before it they only watch).
  std::vector<std::pair<Nanos, std::string>> model_schedule;
  Nanos trade_from = INT64_MIN;
  const risk::Control* control = nullptr;  // kill / re-arm requests for the router (not owned; must outlive the engine)
  LearnerLink* learner = nullptr;  // continuous learning (learn/learner.hpp owns it; must outlive the engine)
};

// Counters of the order thread (clock, scheduler, router), mirrored at publish points.
// Risk state for the control thread: killed (0/1, the gate's kill switch as the order thread
// applies it), kills / rearms / breaker_trips (the router's counters), tripped (strategies whose
// breaker is tripped now), the reasons of the global set and of the first kMaxReasons strategies
// (risk::BreakerReason, 0 = not tripped).
struct OrderMirror {
  static constexpr std::size_t kMaxReasons = 64;
  RelaxedCounter sent, accepted, rejected, reports, timers_fired, scheduler_full, clock_backwards;
  RelaxedCounter killed, kills, rearms, breaker_trips, tripped;
  std::atomic<std::uint8_t> global_reason{0};
  std::array<std::atomic<std::uint8_t>, kMaxReasons> reason{};
};
// Work counters of the feed thread's pacing.
struct PaceCounters {
  RelaxedCounter clamped, backwards;  // gaps clamped to max_gap; events older than the last
};

template <class P>
class BasicEngine {
 public:
  using PipelineType = P;
  static constexpr std::size_t kStages = P::kSize;
  // Throws std::invalid_argument when the layout cannot be built (it was validated by config).
  BasicEngine(const config::Config& cfg, std::unique_ptr<feed::EventSource> source, EngineOptions opts = {});
  ~BasicEngine();
  BasicEngine(const BasicEngine&) = delete;
  BasicEngine& operator=(const BasicEngine&) = delete;

  void start();
  void request_stop() noexcept;  // feed stops; the rest drains
  bool finished() const noexcept;  // every thread ended (end of input or stop)
  void join();

  // Reload: builds every stage's settings from cfg here, on the calling (control) thread (throws
  // std::invalid_argument if a stage refuses them: nothing is offered then); every thread takes
  // them at its next safe point. The caller keeps nothing alive.
  void offer_config(std::shared_ptr<const config::Config> cfg);
  // True when every thread runs this config version (or a later one).
  bool runs_version(std::uint64_t version) const noexcept;

  // Read-only views for telemetry (safe while running, see the header comment).
  const std::vector<std::unique_ptr<ThreadState>>& threads() const noexcept { return threads_; }
  // Latency: index 0 the feed, k + 1 pipeline stage k.
  const telemetry::LatencyHistogram& stage_latency(std::size_t i) const noexcept { return stage_hist_[i]; }
  const telemetry::LatencyHistogram& end_to_end_latency() const noexcept { return e2e_hist_; }
  static constexpr std::string_view stage_name(std::size_t i) noexcept { return i == 0 ? "feed" : P::kNames[i - 1]; }
  template <class S> const S& stage() const noexcept { return pipe_->template get<S>(); }
  template <class S> S& stage() noexcept { return pipe_->template get<S>(); }
  template <class S> bool runs() const noexcept { return all_stages_ >> P::template index_of<S>() & 1u; }
  const SourceMirror& source_counters() const noexcept { return mirror_; }
  const OrderMirror& order_counters() const noexcept { return order_mirror_; }
  const PaceCounters& pace_counters() const noexcept { return pace_; }
  std::size_t ring_count() const noexcept { return rings_.size(); }
  std::size_t ring_depth(std::size_t i) const noexcept { return rings_[i]->size_approx(); }
  std::size_t ring_capacity(std::size_t i) const noexcept { return rings_[i]->capacity(); }
  double ns_per_tick() const noexcept { return ns_per_tick_; }

  // After join(): the whole state.
  const book::Books& books() const noexcept { return stage<BookStage>().books; }
  const feed::EventSource& source() const noexcept { return *source_; }
  const OrderRouter& router() const noexcept { return router_; }
  const SymbolTable& symbols() const noexcept { return symbols_; }
  // The report recorder (when strategies are configured), else null. Read it after join().
  report::Recorder* recorder() noexcept { return recorder_.get(); }
  const Clock& clock() const noexcept { return clock_; }

 private:
  struct Loop;
  struct Offer {
    std::shared_ptr<const config::Config> cfg;
    HotSettings hs;
    typename P::Settings stages;
  };
  void run_feed_thread(ThreadState& t);
  void run_ring_thread(ThreadState& t);
  bool take_config(ThreadState& t, HotSettings& hs) noexcept;  // true when a new config was applied
  void hand_on(ThreadState& t, const Envelope* e, std::size_t n);
  void publish(ThreadState& t) noexcept;
  HotSettings settings_of(const config::Config& c) const;

  std::unique_ptr<feed::EventSource> source_;
  EngineOptions opts_;
  config::RingFull ring_full_;
  double ns_per_tick_ = 1.0;
  // The order thread's clock, scheduler and router (built before the stages: StageEnv).
  Clock clock_;
  SymbolTable symbols_{std::size_t{1} << 16};  // written by the feed thread (publish_symbols)
  std::size_t symbols_published_ = 0;          // feed thread: source instruments published
  void publish_symbols() noexcept;
  Scheduler sched_;
  OrderRouter router_;
  std::unique_ptr<report::Recorder> recorder_;  // before the stages that hold it
  std::unique_ptr<P> pipe_;
  unsigned all_stages_ = 0;
  int control_core_ = -1;
  std::vector<telemetry::LatencyHistogram> stage_hist_;  // feed + stages, sized at construction
  telemetry::LatencyHistogram e2e_hist_;
  SourceMirror mirror_;
  OrderMirror order_mirror_;
  PaceCounters pace_;
  std::vector<std::unique_ptr<SpscRing<Envelope>>> rings_;
  std::vector<std::unique_ptr<ThreadState>> threads_;
  std::vector<std::thread> workers_;
  bool background_started_ = false;
  alignas(64) std::atomic<bool> stop_{false};
  // Config hand-over: the newest offer and its sequence number; older ones stay alive until
  // every thread has moved past them.
  alignas(64) std::atomic<const Offer*> offered_{nullptr};
  std::atomic<std::uint64_t> offered_seq_{0};
  std::vector<std::pair<std::uint64_t, std::unique_ptr<Offer>>> keep_;  // control thread only
  HotSettings initial_;
};

using Engine = BasicEngine<DefaultPipeline>;
extern template class BasicEngine<DefaultPipeline>;

// Pins the calling thread to cpu (-1: leave it) and sets SCHED_FIFO priority (0: leave it).
// Returns "" or the reason it failed (the thread runs on unpinned; the caller logs it).
std::string pin_current_thread(int cpu, int fifo_priority);
// Names the calling thread (its first 15 characters, Linux's limit) for top -H, ps and perf:
// the hot threads by their layout name, the background ones by their job.
void name_current_thread(const std::string& name) noexcept;

}  // namespace hft::engine
