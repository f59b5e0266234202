// The engine runtime: builds the stages, the threads and the rings that a config's layout asks
// for, runs them, and hands reloadable settings to each thread at a safe point between batches.
//
// Layout: config.system.layout lists threads, each with some of the pipeline stages in order
// (feed, book, clean, features, regime, monitor). Stages on one thread are called directly,
// through a chain function chosen once per thread from a table of template instantiations, one
// per set of stages (no virtual call per event);
// consecutive threads are joined by an SpscRing<Envelope>. A full ring either blocks the producer
// or drops the event with a count (system.ring_full). Stopping: the feed stops reading, every
// ring is drained, every thread ends; nothing in flight is lost.
// Background threads on system.control_core when the regime stage runs: the regime thread
// (RegimeStage::work: the detectors, fed by the hot thread's grid samples; it drains after the
// hot threads end) and the GARCH refit thread (SCHED_IDLE).
//
// What the control thread may read while the engine runs: the RelaxedCounter / atomic fields of
// ThreadState and of the stages, the histograms (single writer, atomic buckets), the ring depths,
// and the source counter mirror. Everything else belongs to the hot threads until join().
// May touch: config/, telemetry/, feed/ (EventSource), book/, core/.
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
#include "hft/engine/envelope.hpp"
#include "hft/engine/stages.hpp"
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
  unsigned mask = 0;                             // bit k: runs stage k (StageId)
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
};

struct EngineOptions {
  double replay_speed = 0;  // 0 = as fast as possible; N = N x recorded pace (by ts_exch)
};

class Engine {
 public:
  // Throws std::invalid_argument when the layout cannot be built (it was validated by config).
  Engine(const config::Config& cfg, std::unique_ptr<feed::EventSource> source, EngineOptions opts = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void start();
  void request_stop() noexcept;  // feed stops; the rest drains
  bool finished() const noexcept;  // every thread ended (end of input or stop)
  void join();

  // Reload: every thread takes cfg's reloadable settings at its next safe point. The caller keeps
  // nothing alive: the engine holds the config until every thread has moved on.
  void offer_config(std::shared_ptr<const config::Config> cfg);
  // True when every thread runs this config version (or a later one).
  bool runs_version(std::uint64_t version) const noexcept;

  // Read-only views for telemetry (safe while running, see the header comment).
  const std::vector<std::unique_ptr<ThreadState>>& threads() const noexcept { return threads_; }
  const telemetry::LatencyHistogram& stage_latency(std::size_t stage) const noexcept { return stage_hist_[stage]; }
  const telemetry::LatencyHistogram& end_to_end_latency() const noexcept { return e2e_hist_; }
  const BookStage& book_stage() const noexcept { return book_; }
  const CleanStage& clean_stage() const noexcept { return clean_; }
  const FeatureStage& feature_stage() const noexcept { return features_; }
  const RegimeStage& regime_stage() const noexcept { return regime_; }
  const GarchRefits& garch_refits() const noexcept { return refits_; }
  const MonitorStage& monitor_stage() const noexcept { return monitor_; }
  const SourceMirror& source_counters() const noexcept { return mirror_; }
  std::size_t ring_count() const noexcept { return rings_.size(); }
  std::size_t ring_depth(std::size_t i) const noexcept { return rings_[i]->size_approx(); }
  std::size_t ring_capacity(std::size_t i) const noexcept { return rings_[i]->capacity(); }
  double ns_per_tick() const noexcept { return ns_per_tick_; }

  // After join(): the whole state.
  const book::Books& books() const noexcept { return book_.books; }
  const feed::EventSource& source() const noexcept { return *source_; }
  std::uint64_t digest() const noexcept { return monitor_.digest; }
  std::uint64_t label_digest() const noexcept { return monitor_.label_digest; }

 private:
  struct Loop;
  void start_background(int cpu);  // the regime and GARCH refit threads
  void run_feed_thread(ThreadState& t);
  void run_ring_thread(ThreadState& t);
  bool take_config(ThreadState& t, HotSettings& hs);  // true when a new config was applied
  void hand_on(ThreadState& t, const Envelope* e, std::size_t n);
  void publish(ThreadState& t);
  HotSettings settings_of(const config::Config& c) const;

  std::unique_ptr<feed::EventSource> source_;
  EngineOptions opts_;
  config::RingFull ring_full_;
  double ns_per_tick_ = 1.0;
  alignas(64) BookStage book_;
  alignas(64) CleanStage clean_;
  alignas(64) FeatureStage features_;
  alignas(64) RegimeStage regime_;
  GarchRefits refits_;
  std::thread refit_thread_, regime_thread_;
  std::atomic<bool> refit_stop_{false}, regime_stop_{false};
  unsigned all_stages_ = 0;
  int control_core_ = -1;
  alignas(64) MonitorStage monitor_;
  std::array<telemetry::LatencyHistogram, kStageCount> stage_hist_;
  telemetry::LatencyHistogram e2e_hist_;
  SourceMirror mirror_;
  std::vector<std::unique_ptr<SpscRing<Envelope>>> rings_;
  std::vector<std::unique_ptr<ThreadState>> threads_;
  std::vector<std::thread> workers_;
  alignas(64) std::atomic<bool> stop_{false};
  // Config hand-over: the newest offered config and its sequence number; older ones stay alive
  // until every thread has moved past them.
  alignas(64) std::atomic<const config::Config*> offered_{nullptr};
  std::atomic<std::uint64_t> offered_seq_{0};
  std::vector<std::pair<std::uint64_t, std::shared_ptr<const config::Config>>> keep_;  // control thread only
  HotSettings initial_;
};

// Pins the calling thread to cpu (-1: leave it) and sets SCHED_FIFO priority (0: leave it).
// Returns "" or the reason it failed (the thread runs on unpinned; the caller logs it).
std::string pin_current_thread(int cpu, int fifo_priority);

}  // namespace hft::engine
