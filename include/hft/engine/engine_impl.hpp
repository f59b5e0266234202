// BasicEngine's definitions: the feed thread (source -> its stages -> ring or end), ring threads
// (ring -> their stages -> ring or end), the order thread's scheduler merge, idling, and the
// safe-point reload. Included by engine.cpp (DefaultPipeline) and by code that runs a pipeline
// of its own (tests, tools): everything else includes engine.hpp.
// May touch: what engine.hpp may.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include "hft/core/cpu_relax.hpp"
#include "hft/core/scales.hpp"
#include "hft/engine/engine.hpp"
#include "hft/telemetry/tsc_clock.hpp"

namespace hft::engine {
namespace detail {

// What a thread does when it has nothing to do (Agrona's idle strategies).
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

// Paced replay: an event is due when the event time elapsed since the first one, with every gap
// clamped to max_gap and no step backwards, has passed on the cycle counter (scaled by the
// speed). Snapshot records are not waited for (their times are old). Work and waiting are
// bounded per event whatever the timestamps.
struct Pacer {
  double speed;
  Nanos max_gap;
  double ticks_per_ns;
  PaceCounters& cnt;
  bool started = false;
  std::uint64_t t0 = 0;  // cycle counter at the first event
  Nanos last = 0;        // newest event time followed
  double elapsed_ns = 0;  // event time since the first event, clamped, divided by the speed

  // The cycle-counter time ev is due at (0: now).
  std::uint64_t due(const MarketEvent& ev) noexcept {
    if (!(ev.flags & evflag::kSnapshot)) {
      if (!started) {
        started = true;
        t0 = telemetry::rdtsc();
        last = ev.ts_exch;
      }
      Nanos dt = 0;
      if (ev.ts_exch < last) {
        cnt.backwards.add();
      } else {
        dt = ev.ts_exch - last;
        last = ev.ts_exch;
      }
      if (dt > max_gap) {
        dt = max_gap;
        cnt.clamped.add();
      }
      elapsed_ns += static_cast<double>(dt) / speed;
    }
    return started ? t0 + static_cast<std::uint64_t>(elapsed_ns * ticks_per_ns) : 0;
  }
};

// Message ids for the hot threads' binary log records.
struct Msgs {
  std::uint16_t started, pin_failed, config_applied, end_of_input, ring_full;
};
const Msgs& msgs();  // engine.cpp

}  // namespace detail

template <class P>
BasicEngine<P>::BasicEngine(const config::Config& cfg, std::unique_ptr<feed::EventSource> source, EngineOptions opts)
    : source_(std::move(source)),
      opts_(opts),
      ring_full_(cfg.system.ring_full),
      sched_(cfg.system.scheduler_capacity),
      router_(sched_, clock_, router_config(cfg, source_ && source_->live())),
      stage_hist_(P::kSize + 1) {
  if (!source_) throw std::invalid_argument("engine: no market data source");
  ns_per_tick_ = telemetry::calibrate_tsc().ns_per_tick;
  clock_.live = source_->live();
  clock_.ns_per_tick = ns_per_tick_;
  // The hot threads record raw cycle-counter ticks; snapshots (metrics, reports) convert.
  for (auto& h : stage_hist_) h.set_unit_ns(ns_per_tick_);
  e2e_hist_.set_unit_ns(ns_per_tick_);
  router_.set_sink(opts_.sink);
  router_.set_control(opts_.control);
  StageEnv env{cfg};
  env.live = source_->live();
  env.epoch_times = source_->time_basis() == feed::TimeBasis::SinceEpoch;
  env.by_price = source_->by_price();
  env.trading_date = opts_.trading_date;
  env.sched = &sched_;
  env.orders = &router_;
  env.clock = &clock_;
  env.ns_per_tick = ns_per_tick_;
  env.symbols = &symbols_;
  env.model_schedule = &opts_.model_schedule;
  env.learner = opts_.learner;
  env.trade_from = opts_.trade_from;
  if (!cfg.strategies.empty()) {  // the report (replays) and the live figures (run)
    report::RecorderSettings rs;
    rs.strategies = std::max<std::size_t>(1, cfg.strategies.size());
    rs.instruments = std::size_t{1} << 16;  // instrument ids (ITCH locates) run past max_instruments
    rs.grid_ns = static_cast<Nanos>(cfg.report.sample_ms * 1e6);
    rs.mid_grid_ns = static_cast<Nanos>(cfg.report.mid_sample_ms * 1e6);
    rs.max_orders = rs.max_fills = rs.max_grid = static_cast<std::size_t>(cfg.report.max_rows);
    rs.max_mids = 2 * rs.max_grid;
    recorder_ = std::make_unique<report::Recorder>(rs);
    env.recorder = recorder_.get();
    router_.set_recorder(recorder_.get());
  }
  publish_symbols();  // the ones the source knows before its first event (LOBSTER, DBN)
  pipe_ = std::make_unique<P>(env);
  initial_ = settings_of(cfg);
  control_core_ = cfg.system.control_core;
  (void)detail::msgs();
  std::size_t next_stage = 0;  // stages must come in pipeline order across the threads
  for (const auto& tl : cfg.system.layout) {
    auto t = std::make_unique<ThreadState>();
    t->layout = tl;
    t->index = static_cast<std::int64_t>(threads_.size());
    if (tl.stages.empty()) throw std::invalid_argument("engine: thread " + tl.name + " has no stages");
    for (const auto& name : tl.stages) {
      if (name == "feed") {
        if (!threads_.empty() || t->mask != 0) throw std::invalid_argument("engine: feed must be the first stage of the first thread");
        t->feed = true;
        continue;
      }
      const std::size_t k = P::index_of(name);
      if (k == P::kSize) throw std::invalid_argument("engine: unknown stage '" + name + "'");
      if (k < next_stage || (all_stages_ >> k & 1u))
        throw std::invalid_argument("engine: stage " + name + " of thread " + tl.name + " is out of pipeline order or repeated");
      next_stage = k + 1;
      t->mask |= 1u << k;
    }
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
  constexpr std::size_t kBookIdx = P::template index_of<BookStage>();
  if (threads_.empty() || !threads_.front()->feed || !(all_stages_ >> kBookIdx & 1u))
    throw std::invalid_argument("engine: the layout must run feed (first) and book");
  for (const auto& t : threads_)  // stages that read the books run on the book's thread
    if (!(t->mask >> kBookIdx & 1u) && (t->mask & P::kBookReaderMask))
      throw std::invalid_argument("engine: thread " + t->layout.name + " runs a stage that reads the books without the book stage");
  for (std::size_t i = 0; i + 1 < threads_.size(); ++i)
    if (threads_[i]->mask & P::kOrderMask)
      throw std::invalid_argument("engine: stages that take execution reports or timers run on the last thread");
  // The risk gate reads the books directly when they are on the order thread (else the top of
  // book the envelopes carry, see Loop::process).
  if (threads_.back()->mask >> kBookIdx & 1u) router_.set_books(&stage<BookStage>().books);
}

template <class P>
BasicEngine<P>::~BasicEngine() {
  request_stop();
  join();
}

template <class P>
HotSettings BasicEngine<P>::settings_of(const config::Config& c) const {
  HotSettings h;
  h.batch = std::clamp<std::size_t>(c.feed.batch, 1, feed::kMaxBatch);
  h.sample_every = std::max<std::uint32_t>(1, c.telemetry.latency_sample_every);
  h.publish_ticks = static_cast<std::uint64_t>(c.telemetry.publish_interval_ms * 1e6 / ns_per_tick_);
  return h;
}

template <class P>
void BasicEngine<P>::start() {
  pipe_->start_background(all_stages_, control_core_);
  background_started_ = true;
  for (auto& tp : threads_) {
    ThreadState* t = tp.get();
    workers_.emplace_back([this, t] {
      name_current_thread(t->layout.name);
      const std::string err = pin_current_thread(t->layout.core, t->layout.fifo_priority);
      if (!err.empty()) t->log->log(detail::msgs().pin_failed, t->index, t->layout.core, t->layout.fifo_priority, 0);
      else t->pinned_cpu.store(t->layout.core);
      t->log->log(detail::msgs().started, t->index, t->mask, t->layout.core);
      if (t->in == nullptr) run_feed_thread(*t);
      else run_ring_thread(*t);
      publish(*t);
      t->done.store(true, std::memory_order_release);
    });
  }
}

// New or renamed instruments of the source, before the batch that names them is handed on.
template <class P>
void BasicEngine<P>::publish_symbols() noexcept {
  const auto& ins = source_->instruments();
  for (std::size_t i = 0; i < ins.size(); ++i) {
    if (i >= symbols_published_) set_instrument_scale(ins[i].id, ins[i].price_scale, ins[i].qty_scale);
    if (i >= symbols_published_ || !symbols_.known(ins[i].id)) symbols_.set(ins[i].id, ins[i].symbol);
  }
  symbols_published_ = ins.size();
}

template <class P>
void BasicEngine<P>::request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

template <class P>
bool BasicEngine<P>::finished() const noexcept {
  for (const auto& t : threads_)
    if (!t->done.load(std::memory_order_acquire)) return false;
  return true;
}

template <class P>
void BasicEngine<P>::join() {
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  workers_.clear();
  if (background_started_) {  // after the hot threads: nothing more is sent to the background
    pipe_->stop_background(all_stages_);
    background_started_ = false;
  }
}

template <class P>
void BasicEngine<P>::offer_config(std::shared_ptr<const config::Config> cfg) {
  auto offer = std::make_unique<Offer>(Offer{cfg, settings_of(*cfg), P::settings(*cfg)});  // may throw: nothing offered
  std::uint64_t min_seq = ~std::uint64_t{0};
  for (const auto& t : threads_) min_seq = std::min(min_seq, t->applied_seq.load(std::memory_order_acquire));
  std::erase_if(keep_, [&](const auto& kv) { return kv.first < min_seq; });
  const std::uint64_t seq = offered_seq_.load(std::memory_order_relaxed) + 1;
  offered_.store(offer.get(), std::memory_order_release);
  keep_.emplace_back(seq, std::move(offer));
  offered_seq_.store(seq, std::memory_order_release);
}

template <class P>
bool BasicEngine<P>::runs_version(std::uint64_t version) const noexcept {
  for (const auto& t : threads_)
    if (t->applied_version.load(std::memory_order_acquire) != version) return false;
  return true;
}

template <class P>
bool BasicEngine<P>::take_config(ThreadState& t, HotSettings& hs) noexcept {
  const std::uint64_t seq = offered_seq_.load(std::memory_order_acquire);
  if (seq == t.applied_seq.load(std::memory_order_relaxed)) [[likely]] return false;
  const Offer* o = offered_.load(std::memory_order_acquire);
  hs = o->hs;  // every reloadable setting of this thread at once, between batches
  pipe_->apply(o->stages, t.mask);
  t.applied_version.store(o->cfg->version, std::memory_order_release);
  t.applied_seq.store(seq, std::memory_order_release);
  t.log->log(detail::msgs().config_applied, t.index, o->cfg->version, static_cast<std::int64_t>(hs.batch), hs.sample_every);
  return true;
}

template <class P>
void BasicEngine<P>::hand_on(ThreadState& t, const Envelope* e, std::size_t n) {
  std::size_t done = t.out->push_batch(e, n);
  if (done == n) [[likely]] return;
  t.ring_full_waits.add();
  if (t.ring_full_waits.get() == 1 || (t.ring_full_waits.get() & 0xFFFF) == 0)
    t.log->log(detail::msgs().ring_full, t.index, t.ring_full_waits.get(), ring_full_ == config::RingFull::Block ? 0 : 1);
  if (ring_full_ == config::RingFull::Drop) {
    t.ring_drops.add(n - done);
    return;
  }
  detail::Idler idle{t.layout.idle};  // block: wait for room (the consumer always drains, even on stop)
  while (done < n) {
    idle.wait();
    done += t.out->push_batch(e + done, n - done);
  }
}

template <class P>
void BasicEngine<P>::publish(ThreadState& t) noexcept {
  pipe_->publish(t.mask);
  if (t.out == nullptr) {  // the order thread
    const OrderCounters& c = router_.counters();
    order_mirror_.sent.set(c.sent);
    order_mirror_.accepted.set(c.accepted);
    std::uint64_t rej = 0, rep = 0;
    for (auto v : c.rejected) rej += v;
    for (auto v : c.reports) rep += v;
    order_mirror_.rejected.set(rej);
    order_mirror_.reports.set(rep);
    order_mirror_.timers_fired.set(sched_.fired);
    order_mirror_.scheduler_full.set(sched_.full);
    order_mirror_.clock_backwards.set(clock_.backwards);
    order_mirror_.killed.set(router_.gate().killed() ? 1 : 0);
    order_mirror_.kills.set(c.kills);
    order_mirror_.rearms.set(c.rearms);
    order_mirror_.breaker_trips.set(c.breaker_trips);
    const risk::Breakers& b = router_.gate().breakers;  // one pass over the strategies per publish, not per event
    const auto reason_of = [](const risk::BreakerState& st) {
      return static_cast<std::uint8_t>(st.tripped ? st.reason : risk::BreakerReason::None);
    };
    std::uint64_t tripped = 0;
    for (std::uint16_t s = 0; s < b.strategies(); ++s) {
      const std::uint8_t r = reason_of(b.state(s));
      tripped += r != 0;
      if (s < OrderMirror::kMaxReasons) order_mirror_.reason[s].store(r, std::memory_order_relaxed);
    }
    order_mirror_.tripped.set(tripped);
    order_mirror_.global_reason.store(reason_of(b.state(risk::Breakers::kGlobal)), std::memory_order_relaxed);
  }
  if (t.feed) {
    const feed::SourceStats& st = source_->stats();
    mirror_.events.set(st.events);
    mirror_.progress.store(source_->progress(), std::memory_order_relaxed);
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
template <class P>
struct BasicEngine<P>::Loop {
  Loop(BasicEngine& e, ThreadState& th)
      : eng(e), t(th), last(th.out == nullptr), hs(e.initial_), idle{th.layout.idle},
        last_pub(telemetry::rdtsc()) {
    for (std::size_t k = 0; k < P::kSize; ++k)
      if (th.mask >> k & 1u) order[n_stages++] = k + 1;
  }

  // The order thread: deliver reports and timers due at or before t, then move the clock.
  // (The clock reads an item's due time while it is delivered.)
  void deliver_until(Nanos ts) noexcept {
    eng.sched_.run_until(ts, [this](const Scheduled& s) {
      eng.clock_.advance_to(s.due);
      if (s.what == Scheduled::kExec) eng.router_.on_report(s.exec);  // OMS and breakers first
      eng.pipe_->deliver(s, t.mask);
    });
  }
  void advance(Nanos ts, std::uint64_t tick) noexcept {
    eng.router_.poll_control();
    if (eng.sched_.next_due() <= ts) deliver_until(ts);
    eng.clock_.on_event(ts, tick);
  }
  // Live: timers and reports due by the live clock, between events.
  void advance_live() noexcept {
    if (!last || !eng.clock_.live || eng.sched_.size() == 0) return;
    deliver_until(eng.clock_.now(telemetry::rdtsc()));
  }

  // Runs this thread's stages on env[0, n) in place; returns how many go on (compacted to the
  // front). Samples the cycle counter between stages every hs.sample_every events. indexed: the
  // caller prefetched the book's index entries of all n events (prefetch_index) as it filled
  // the batch, so that the first events' lookups do not wait for them.
  std::size_t process(Envelope* env, std::size_t n, bool indexed = false) noexcept {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
      Envelope& e = env[i];
      // The book's cache misses of the next events overlap this one's work (the later stages'
      // state evicts the book between events; see Books::prefetch_index).
      if (books_here) {
        const book::Books& bk = eng.template stage<BookStage>().books;
        if (i == 0) {
          if (indexed)
            for (std::size_t j = 0; j < n && j < 2; ++j) bk.prefetch_order(env[j].ev);
          else
            for (std::size_t j = 0; j < n && j < 3; ++j) bk.prefetch_index(env[j].ev);
        }
        if (!indexed && i + 3 < n) bk.prefetch_index(env[i + 3].ev);
        if (i + 2 < n) bk.prefetch_order(env[i + 2].ev);
        if (i + 1 < n) bk.prefetch_queue(env[i + 1].ev);
      }
      // Snapshot records build the book but do not move the clock (their times are old).
      if (last && !(e.ev.flags & evflag::kSnapshot)) advance(e.ev.ts_exch, e.t_in);
      const bool timed = ++sample >= hs.sample_every;
      if (timed) { sample = 0; stamps[0] = telemetry::rdtsc(); }
      // The order thread tells the router the event's market: before the stages when the book
      // and clean stages ran upstream (the envelope is final), after them when they run here.
      if (last && !books_here) eng.router_.on_market(e.ev.instrument, e.top.bid, e.top.ask, e.halted);
      const bool kept_on = eng.pipe_->run(e, t.mask, timed ? stamps : nullptr);
      if (last && books_here) eng.router_.on_market(e.ev.instrument, e.top.bid, e.top.ask, e.halted);
      if (!kept_on) { t.filtered.add(); continue; }
      if (timed) {
        // Raw ticks: the histograms convert to ns when read, off the hot path.
        for (std::size_t j = 0; j < n_stages; ++j) eng.stage_hist_[order[j]].record(stamps[j + 1] - stamps[j]);
        if (last) eng.e2e_hist_.record(stamps[n_stages] - e.t_in);
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
    // A kill must cancel the working orders even when no market event comes (a quiet feed).
    if (last) eng.router_.poll_control();
    advance_live();
    maybe_publish();  // keep the mirrors fresh while idle too
    idle.wait();
  }
  // End of input (replays): what is still scheduled fires, in order, after the last event.
  void finish() noexcept {
    if (last && !eng.clock_.live) deliver_until(Scheduler::kNever);
  }
  void maybe_publish() noexcept {
    if (telemetry::rdtsc() - last_pub < hs.publish_ticks) return;
    eng.publish(t);
    last_pub = telemetry::rdtsc();
  }

  BasicEngine& eng;
  ThreadState& t;
  std::array<std::size_t, P::kSize> order{};  // histogram index of this thread's stages, in order
  std::size_t n_stages = 0;
  const bool last;                // this thread ends the hot path (and runs the orders)
  const bool books_here = (t.mask >> P::template index_of<BookStage>()) & 1u;
  HotSettings hs;
  detail::Idler idle;
  std::uint64_t last_pub, sample = 0;
  std::uint64_t stamps[P::kSize + 1] = {};
};

template <class P>
void BasicEngine<P>::run_feed_thread(ThreadState& t) {
  Loop L(*this, t);
  std::array<MarketEvent, feed::kMaxBatch> evs;
  std::array<Envelope, feed::kMaxBatch> env;
  detail::Pacer pace{opts_.replay_speed, opts_.max_gap, 1.0 / ns_per_tick_, pace_};
  while (!stop_.load(std::memory_order_relaxed)) {
    t.heartbeat.add();
    take_config(t, L.hs);
    const std::uint64_t t0 = telemetry::rdtsc();
    const std::size_t n = source_->next(std::span<MarketEvent>(evs.data(), L.hs.batch));
    if (n == 0) {
      if (!source_->live()) {
        t.log->log(detail::msgs().end_of_input, source_->stats().events);
        break;
      }
      L.idle_step();
      continue;
    }
    if (source_->instruments().size() != symbols_published_) [[unlikely]] publish_symbols();
    const std::uint64_t t1 = telemetry::rdtsc();
    stage_hist_[0].record((t1 - t0) / n);  // ticks (see the constructor)
    if (opts_.replay_speed > 0) [[unlikely]] {
      for (std::size_t i = 0; i < n && !stop_.load(std::memory_order_relaxed); ++i) {
        const MarketEvent& ev = evs[i];
        const std::uint64_t due = pace.due(ev);
        while (telemetry::rdtsc() < due && !stop_.load(std::memory_order_relaxed)) cpu_relax();
        env[0].reset(ev, telemetry::rdtsc());
        if (L.process(env.data(), 1)) hand_on(t, env.data(), 1);
      }
    } else {
      // The batch's index entries are asked for while it is filled (see process).
      const book::Books* bk = L.books_here ? &stage<BookStage>().books : nullptr;
      for (std::size_t i = 0; i < n; ++i) {
        if (bk) bk->prefetch_index(evs[i]);
        env[i].reset(evs[i], t1);
      }
      if (const std::size_t kept = L.process(env.data(), n, L.books_here)) hand_on(t, env.data(), kept);
    }
    L.after_batch(n);
  }
  L.finish();
}

template <class P>
void BasicEngine<P>::run_ring_thread(ThreadState& t) {
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
  L.finish();
}

}  // namespace hft::engine
