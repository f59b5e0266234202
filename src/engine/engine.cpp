// Engine threads: the feed thread (source -> its stages -> ring or end), ring threads (ring ->
// their stages -> ring or end), the chain table, pinning, idling, and the safe-point reload.
#include "hft/engine/engine.hpp"

#include <pthread.h>
#include <sys/prctl.h>
#include <sched.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "hft/core/cpu_relax.hpp"
#include "hft/engine/stage_config.hpp"
#include "hft/telemetry/tsc_clock.hpp"

namespace hft::engine {
namespace {

using telemetry::rdtsc;

// ---- the chain: the stages of one thread, called directly, in pipeline order -------------------
// A thread's stages are a bit mask over StageId; chain<Mask> is one instantiation per mask (64),
// picked once per thread, so the per-event calls are direct and inlinable (no virtual call).
// t (when sampling) receives a cycle-counter stamp after each stage run: t[j + 1] after the
// j-th stage of the mask.

struct Stages {
  BookStage& book;
  CleanStage& clean;
  FeatureStage& features;
  RegimeStage& regime;
  MonitorStage& monitor;
};

template <std::size_t K>
inline bool call_stage(Stages& s, Envelope& e) noexcept {
  if constexpr (K == kBook) return s.book.on_event(e);
  else if constexpr (K == kClean) return s.clean.on_event(e);
  else if constexpr (K == kFeatures) return s.features.on_event(e);
  else if constexpr (K == kRegime) return s.regime.on_event(e);
  else if constexpr (K == kMonitor) return s.monitor.on_event(e);
  else return true;  // kFeed: its work is done before the chain
}

template <unsigned Mask, std::size_t K>
inline bool run_from(Stages& s, Envelope& e, std::uint64_t* t, std::size_t j) noexcept {
  if constexpr (K == kStageCount) {
    return true;
  } else if constexpr (((Mask >> K) & 1u) != 0) {
    if (!call_stage<K>(s, e)) return false;
    if (t) t[j + 1] = rdtsc();
    return run_from<Mask, K + 1>(s, e, t, j + 1);
  } else {
    return run_from<Mask, K + 1>(s, e, t, j);
  }
}

template <unsigned Mask>
bool chain(Stages& s, Envelope& e, std::uint64_t* t) noexcept {
  return run_from<Mask, 0>(s, e, t, 0);
}

using ChainFn = bool (*)(Stages&, Envelope&, std::uint64_t*) noexcept;
constexpr std::size_t kMasks = std::size_t{1} << kStageCount;
template <std::size_t... M>
constexpr std::array<ChainFn, kMasks> chain_table(std::index_sequence<M...>) {
  return {&chain<static_cast<unsigned>(M)>...};
}
constexpr auto kChains = chain_table(std::make_index_sequence<kMasks>{});

// ---- idling --------------------------------------------------------------------------------

struct Idler {
  config::Idle mode;
  unsigned spins = 0;
  void reset() noexcept { spins = 0; }
  void wait() noexcept {
    switch (mode) {
      case config::Idle::Spin:
        cpu_relax();
        break;
      case config::Idle::Backoff:  // spin a little, then yield, then short sleeps
        if (++spins < 64) cpu_relax();
        else if (spins < 128) sched_yield();
        else std::this_thread::sleep_for(std::chrono::microseconds(spins < 1024 ? 20 : 200));
        break;
      case config::Idle::Sleep:
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        break;
    }
  }
};

std::size_t stage_index(const std::string& name) {
  for (std::size_t i = 0; i < config::kPipelineStages.size(); ++i)
    if (name == config::kPipelineStages[i]) return i;
  throw std::invalid_argument("unknown stage '" + name + "'");
}

// Message ids for the hot threads' binary log records.
struct Msgs {
  std::uint16_t started, pin_failed, config_applied, end_of_input, ring_full, clean_rejected;
};
const Msgs& msgs() {
  static const Msgs m{
      telemetry::register_message(telemetry::Level::info, "hot thread {} started: stage mask {:#x}, cpu {}"),
      telemetry::register_message(telemetry::Level::warn, "hot thread {}: could not pin to cpu {} / SCHED_FIFO {} (errno {}); running unpinned"),
      telemetry::register_message(telemetry::Level::info, "hot thread {}: config version {:#x} applied (batch {}, latency sample every {})"),
      telemetry::register_message(telemetry::Level::info, "feed: end of input after {} events"),
      telemetry::register_message(telemetry::Level::warn, "hot thread {}: ring to the next thread full ({} times so far, policy {})"),
      telemetry::register_message(telemetry::Level::error, "hot thread {}: cleaning settings refused by the cleaner; previous rules kept"),
  };
  return m;
}

}  // namespace

std::string pin_current_thread(int cpu, int fifo_priority) {
  std::string err;
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (const int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set))
      err = "cpu " + std::to_string(cpu) + ": " + std::strerror(rc);
  }
  if (fifo_priority > 0) {
    sched_param sp{};
    sp.sched_priority = fifo_priority;
    if (const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp))
      err += (err.empty() ? "" : "; ") + std::string("SCHED_FIFO ") + std::to_string(fifo_priority) + ": " + std::strerror(rc);
  }
  return err;
}

Engine::Engine(const config::Config& cfg, std::unique_ptr<feed::EventSource> source, EngineOptions opts)
    : source_(std::move(source)),
      opts_(opts),
      ring_full_(cfg.system.ring_full),
      book_([&] {
        book::BookConfig bc;
        bc.max_orders = cfg.feed.max_orders;
        bc.max_levels = std::min<std::size_t>(cfg.feed.max_orders, std::size_t{1} << 22);
        return bc;
      }()),
      clean_(clean_config(cfg), book_.books, book_.books.config().max_instruments),
      features_(feature_config(cfg), book_.books, book_.books.config().max_instruments),
      regime_(regime_config(cfg), book_.books.config().max_instruments),
      refits_(cfg.regimes.refit_window, cfg.regimes.refit_interval_s, book_.books.config().max_instruments),
      monitor_(book_.books.config().max_instruments) {
  if (!source_) throw std::invalid_argument("engine: no market data source");
  regime_.wait_for_results = !source_->live();  // replays: labels independent of thread timing
  if (regime_.wait_for_results) regime_.refits = &refits_;  // and GARCH refits in event time
  ns_per_tick_ = telemetry::calibrate_tsc().ns_per_tick;
  initial_ = settings_of(cfg);
  control_core_ = cfg.system.control_core;
  (void)msgs();
  std::size_t next_stage = 0;  // stages must come in pipeline order across the threads
  unsigned all = 0;
  for (const auto& tl : cfg.system.layout) {
    auto t = std::make_unique<ThreadState>();
    t->layout = tl;
    t->index = static_cast<std::int64_t>(threads_.size());
    if (tl.stages.empty()) throw std::invalid_argument("engine: thread " + tl.name + " has no stages");
    for (const auto& name : tl.stages) {
      const std::size_t k = stage_index(name);
      if (k < next_stage || (all >> k & 1u))
        throw std::invalid_argument("engine: stage " + name + " of thread " + tl.name + " is out of pipeline order or repeated");
      next_stage = k + 1;
      t->mask |= 1u << k;
    }
    all |= t->mask;
    all_stages_ |= t->mask;
    t->log = std::make_unique<telemetry::LogRing>(4096);
    t->applied_version.store(cfg.version);
    if (!threads_.empty()) {
      rings_.push_back(std::make_unique<SpscRing<Envelope>>(cfg.system.ring_capacity));
      threads_.back()->out = rings_.back().get();
      t->in = rings_.back().get();
    }
    threads_.push_back(std::move(t));
  }
  const unsigned required = 1u << kFeed | 1u << kBook | 1u << kMonitor;
  if ((all & required) != required || !(threads_.front()->mask & 1u << kFeed))
    throw std::invalid_argument("engine: the layout must run feed (first), book and monitor");
  for (const auto& t : threads_)  // stages that read the book run on its thread
    if ((t->mask & (1u << kClean | 1u << kFeatures | 1u << kRegime)) && !(t->mask & 1u << kBook))
      throw std::invalid_argument("engine: clean, features and regime must run on the book's thread");
}

Engine::~Engine() {
  request_stop();
  join();
}

HotSettings Engine::settings_of(const config::Config& c) const {
  HotSettings h;
  h.batch = std::clamp<std::size_t>(c.feed.batch, 1, feed::kMaxBatch);
  h.sample_every = std::max<std::uint32_t>(1, c.telemetry.latency_sample_every);
  h.publish_ticks = static_cast<std::uint64_t>(c.telemetry.publish_interval_ms * 1e6 / ns_per_tick_);
  return h;
}

void Engine::start() {
  if (all_stages_ & 1u << kRegime) start_background(control_core_);
  for (auto& tp : threads_) {
    ThreadState* t = tp.get();
    workers_.emplace_back([this, t] {
      const std::string err = pin_current_thread(t->layout.core, t->layout.fifo_priority);
      if (!err.empty()) t->log->log(msgs().pin_failed, t->index, t->layout.core, t->layout.fifo_priority, 0);
      else t->pinned_cpu.store(t->layout.core);
      t->log->log(msgs().started, t->index, t->mask, t->layout.core);
      if (t->in == nullptr) run_feed_thread(*t);
      else run_ring_thread(*t);
      publish(*t);
      t->done.store(true, std::memory_order_release);
    });
  }
}

void Engine::start_background(int cpu) {
  // The regime thread: runs the detectors on the hot thread's grid samples, drains them all at
  // the stop (the hot threads have ended by then), hands returns to the refit thread and swaps
  // fitted parameters in between batches.
  regime_thread_ = std::thread([this, cpu] {
    (void)pin_current_thread(cpu, 0);  // the control/learner core; unpinned if that fails
    // The hot thread needs a batch's result by the instrument's next batch, one grid interval of
    // event time later: in a live session a second, in a fast replay a few microseconds. So the
    // thread spins while samples keep coming (a poll every kIdlePollPauses PAUSEs, ~1.3 us: see
    // RegimeStage), and only after ~0.3 ms without one sleeps, in
    // short steps (timer slack 1 us, so a step is not 50 us longer). Not sched_yield: that
    // hands the core to the refit thread until the next scheduler tick (milliseconds).
    (void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
    unsigned empty = 0;
    for (unsigned k = 1;; ++k) {
      const bool stopping = regime_stop_.load(std::memory_order_acquire);
      const std::size_t n = regime_.work();
      // Refits and counters when the samples run out and every 1024 rounds, not on every poll
      // (publish walks every detector).
      if ((n == 0 && empty == 0) || k % 1024 == 0) {
        if (regime_.refits == nullptr) refits_.service(regime_, regime_.work_ts);  // live schedule
        regime_.publish();
      }
      if (n > 0) {
        empty = 0;
      } else {
        if (stopping) break;
        if (++empty < 250) cpu_relax(RegimeStage::kIdlePollPauses);
        else std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    }
    regime_.publish();
  });
  refit_thread_ = std::thread([this, cpu] {
    (void)pin_current_thread(cpu, 0);
    // A fit takes milliseconds: it must never hold the core while the regime or control thread
    // has work (SCHED_IDLE: it runs only when they sleep).
    sched_param sp{};
    (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    while (!refit_stop_.load(std::memory_order_acquire))
      if (refits_.work() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
}

void Engine::request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

bool Engine::finished() const noexcept {
  for (const auto& t : threads_)
    if (!t->done.load(std::memory_order_acquire)) return false;
  return true;
}

void Engine::join() {
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  workers_.clear();
  regime_stop_.store(true, std::memory_order_release);  // after the hot threads: nothing more is sent
  if (regime_thread_.joinable()) regime_thread_.join();
  refit_stop_.store(true, std::memory_order_release);
  if (refit_thread_.joinable()) refit_thread_.join();
}

void Engine::offer_config(std::shared_ptr<const config::Config> cfg) {
  std::uint64_t min_seq = ~std::uint64_t{0};
  for (const auto& t : threads_) min_seq = std::min(min_seq, t->applied_seq.load(std::memory_order_acquire));
  std::erase_if(keep_, [&](const auto& kv) { return kv.first < min_seq; });
  const std::uint64_t seq = offered_seq_.load(std::memory_order_relaxed) + 1;
  keep_.emplace_back(seq, cfg);
  offered_.store(cfg.get(), std::memory_order_release);
  offered_seq_.store(seq, std::memory_order_release);
}

bool Engine::runs_version(std::uint64_t version) const noexcept {
  for (const auto& t : threads_)
    if (t->applied_version.load(std::memory_order_acquire) != version) return false;
  return true;
}

bool Engine::take_config(ThreadState& t, HotSettings& hs) {
  const std::uint64_t seq = offered_seq_.load(std::memory_order_acquire);
  if (seq == t.applied_seq.load(std::memory_order_relaxed)) [[likely]] return false;
  const config::Config* c = offered_.load(std::memory_order_acquire);
  hs = settings_of(*c);  // every reloadable setting of this thread at once, between batches
  if (t.mask & 1u << kClean) {
    try {
      clean_.cleaner.apply(clean_config(*c));
    } catch (const std::exception&) {  // validated by the config loader; keep the running rules
      t.log->log(msgs().clean_rejected, t.index);
    }
  }
  t.applied_version.store(c->version, std::memory_order_release);
  t.applied_seq.store(seq, std::memory_order_release);
  t.log->log(msgs().config_applied, t.index, c->version,
             static_cast<std::int64_t>(hs.batch), hs.sample_every);
  return true;
}

void Engine::hand_on(ThreadState& t, const Envelope* e, std::size_t n) {
  std::size_t done = t.out->push_batch(e, n);
  if (done == n) [[likely]] return;
  t.ring_full_waits.add();
  if (t.ring_full_waits.get() == 1 || (t.ring_full_waits.get() & 0xFFFF) == 0)
    t.log->log(msgs().ring_full, t.index, t.ring_full_waits.get(),
               ring_full_ == config::RingFull::Block ? 0 : 1);
  if (ring_full_ == config::RingFull::Drop) {
    t.ring_drops.add(n - done);
    return;
  }
  Idler idle{t.layout.idle};  // block: wait for room (the consumer always drains, even on stop)
  while (done < n) {
    idle.wait();
    done += t.out->push_batch(e + done, n - done);
  }
}

void Engine::publish(ThreadState& t) {
  if (t.mask & 1u << kBook) book_.publish();
  if (t.mask & 1u << kClean) clean_.publish();
  if (t.mask & 1u << kFeatures) features_.publish();
  if (t.mask & 1u << kMonitor) monitor_.publish();
  if (t.mask & 1u << kFeed) {
    const feed::SourceStats& st = source_->stats();
    mirror_.events.set(st.events);
    std::size_t n = mirror_.n.load(std::memory_order_relaxed);
    for (const auto* m : {&st.counts, &st.errors}) {
      for (const auto& [name, v] : *m) {
        std::size_t i = 0;
        while (i < n && mirror_.name[i].load(std::memory_order_relaxed) != &name) ++i;
        if (i == n) {
          if (n == SourceMirror::kMax) continue;  // more names than slots: not mirrored
          mirror_.name[i].store(&name, std::memory_order_relaxed);
          mirror_.is_error[i].store(m == &st.errors, std::memory_order_relaxed);
          mirror_.n.store(++n, std::memory_order_release);
        }
        mirror_.value[i].set(v);
      }
    }
  }
}

// The per-thread loop state shared by the feed thread and the ring threads.
struct Engine::Loop {
  Loop(Engine& e, ThreadState& th)
      : eng(e), t(th), st{e.book_, e.clean_, e.features_, e.regime_, e.monitor_},
        fn(kChains[th.mask & ~(1u << kFeed)]),  // the feed's own work is not part of the chain
        last(th.out == nullptr), hs(e.initial_), idle{th.layout.idle}, last_pub(rdtsc()) {
    for (std::size_t k = kFeed + 1; k < kStageCount; ++k)
      if (th.mask >> k & 1u) order[n_stages++] = k;
  }

  // Runs this thread's stages on env[0, n) in place; returns how many go on (compacted to the
  // front). Samples the cycle counter between stages every hs.sample_every events.
  std::size_t process(Envelope* env, std::size_t n) noexcept {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
      Envelope& e = env[i];
      const bool timed = ++sample >= hs.sample_every;
      if (timed) { sample = 0; stamps[0] = rdtsc(); }
      if (!fn(st, e, timed ? stamps : nullptr)) { t.filtered.add(); continue; }
      if (timed) {
        for (std::size_t j = 0; j < n_stages; ++j) eng.stage_hist_[order[j]].record(ticks_to_ns(stamps[j + 1] - stamps[j]));
        if (last) eng.e2e_hist_.record(ticks_to_ns(stamps[n_stages] - e.t_in));
      }
      if (!last) env[kept++] = e;
    }
    return kept;
  }
  void after_batch(std::size_t n) noexcept {
    idle.reset();
    t.events.add(n);
    t.batches.add();
    maybe_publish();
  }
  void idle_step() noexcept {
    t.idle_loops.add();
    maybe_publish();  // keep the mirrors fresh while idle too
    idle.wait();
  }
  void maybe_publish() noexcept {
    if (rdtsc() - last_pub < hs.publish_ticks) return;
    eng.publish(t);
    last_pub = rdtsc();
  }
  std::uint64_t ticks_to_ns(std::uint64_t ticks) const noexcept {
    return static_cast<std::uint64_t>(static_cast<double>(ticks) * eng.ns_per_tick_);
  }

  Engine& eng;
  ThreadState& t;
  Stages st;
  const ChainFn fn;
  std::array<std::size_t, kStageCount> order{};  // this thread's chain stages, in order
  std::size_t n_stages = 0;
  const bool last;                // this thread ends the hot path
  HotSettings hs;
  Idler idle;
  std::uint64_t last_pub, sample = 0;
  std::uint64_t stamps[kStageCount + 1] = {};
};

void Engine::run_feed_thread(ThreadState& t) {
  Loop L(*this, t);
  std::array<MarketEvent, feed::kMaxBatch> evs;
  std::array<Envelope, feed::kMaxBatch> env;
  std::uint64_t paced_t0 = 0;
  Nanos paced_ts0 = 0;
  const double ticks_per_ns = 1.0 / ns_per_tick_;
  while (!stop_.load(std::memory_order_relaxed)) {
    t.heartbeat.add();
    take_config(t, L.hs);
    const std::uint64_t t0 = rdtsc();
    const std::size_t n = source_->next(std::span<MarketEvent>(evs.data(), L.hs.batch));
    if (n == 0) {
      if (!source_->live()) {
        t.log->log(msgs().end_of_input, source_->stats().events);
        break;
      }
      L.idle_step();
      continue;
    }
    const std::uint64_t t1 = rdtsc();
    stage_hist_[kFeed].record(L.ticks_to_ns((t1 - t0) / n));
    if (opts_.replay_speed > 0) [[unlikely]] {
      // Paced replay: each event is released (stamped, run, handed on) when its recorded time,
      // scaled by the speed, has come.
      for (std::size_t i = 0; i < n && !stop_.load(std::memory_order_relaxed); ++i) {
        if (paced_t0 == 0) { paced_t0 = rdtsc(); paced_ts0 = evs[i].ts_exch; }
        const auto due = paced_t0 + static_cast<std::uint64_t>(
            static_cast<double>(evs[i].ts_exch - paced_ts0) / opts_.replay_speed * ticks_per_ns);
        while (rdtsc() < due && !stop_.load(std::memory_order_relaxed)) cpu_relax();
        env[0].ev = evs[i];
        env[0].t_in = rdtsc();
        if (L.process(env.data(), 1)) hand_on(t, env.data(), 1);
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        env[i].ev = evs[i];
        env[i].t_in = t1;
      }
      if (const std::size_t kept = L.process(env.data(), n)) hand_on(t, env.data(), kept);
    }
    L.after_batch(n);
  }
}

void Engine::run_ring_thread(ThreadState& t) {
  Loop L(*this, t);
  constexpr std::size_t kPop = 256;
  std::array<Envelope, kPop> env;
  const ThreadState& prev = *threads_[static_cast<std::size_t>(t.index) - 1];
  for (;;) {
    t.heartbeat.add();
    take_config(t, L.hs);
    const std::size_t n = t.in->pop_batch(env.data(), kPop);
    if (n == 0) {
      // The producer's done flag is read before the final emptiness check, so every item it
      // pushed before finishing is seen.
      if (prev.done.load(std::memory_order_acquire) && t.in->empty_approx()) break;
      L.idle_step();
      continue;
    }
    if (const std::size_t kept = L.process(env.data(), n)) hand_on(t, env.data(), kept);
    L.after_batch(n);
  }
}

}  // namespace hft::engine
