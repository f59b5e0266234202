// The parts of the stages that are not per-event: construction from the config, the regime
// stage's sampling paths, its background threads (live), GARCH refits.
#include "hft/engine/stages.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <new>
#include <stdexcept>
#include <thread>

#include "hft/core/cpu_relax.hpp"
#include "hft/engine/engine.hpp"  // pin_current_thread
#include "hft/engine/stage_config.hpp"
#include "hft/telemetry/tsc_clock.hpp"

namespace hft::engine {

CleanStage::Settings CleanStage::settings(const config::Config& c) {
  Settings s = clean_config(c);
  if (const std::string e = clean::validate(s); !e.empty()) throw std::invalid_argument("clean: " + e);
  return s;
}

CleanStage::CleanStage(StageEnv& env) : cleaner(settings(env.cfg), env.max_instruments, env.live) {}

namespace {
features::FeatureConfig feature_config_for(const StageEnv& env) {
  features::FeatureConfig fc = feature_config(env.cfg);
  fc.ts_exch_epoch = env.epoch_times;
  fc.date_yyyymmdd = env.trading_date;
  fc.models_live = env.live;
  return fc;
}

// A background fitting thread on the control core: fits take milliseconds, so it must never hold
// the core while the control, regime or learner thread has work (SCHED_IDLE: it runs only when
// they sleep; system.background_priority: normal where the core is never idle and the fits
// would starve). work() returns how many fits it made.
template <class Work>
std::thread start_fit_thread(const char* name, int cpu, bool idle, const std::atomic<bool>& stop, Work work) {
  return std::thread([name, cpu, idle, &stop, work] {
    name_current_thread(name);
    (void)pin_current_thread(cpu, 0);
    if (idle) {
      sched_param sp{};
      (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    }
    while (!stop.load(std::memory_order_acquire))
      if (work() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
}
}  // namespace

FeatureStage::FeatureStage(StageEnv& env)
    : engine(feature_config_for(env), env.max_instruments, env.cfg.system.max_instruments, env.live),
      books(*env.books) {
  env.features = &engine;
  refit_idle = env.cfg.system.background_priority == config::BackgroundPriority::Idle;
  symbols = env.symbols;
  name_pairs = engine.stat_models() != nullptr && !engine.config().coint_pairs.empty() && symbols != nullptr;
  if (name_pairs) named.assign(env.max_instruments, 0);
}

void FeatureStage::name(InstrumentId id) noexcept {
  if (!symbols->known(id)) return;  // asked again at its next event
  named[id] = 1;
  char buf[SymbolTable::kMaxLen + 1];
  engine.name_instrument(id, symbols->view(id, buf));
}

void FeatureStage::start_background(int cpu) {
  if (features::StatModels* m = engine.stat_models())
    refit_thread = start_fit_thread("model-refit", cpu, refit_idle, refit_stop, [m] { return m->work(); });
}

void FeatureStage::stop_background() {
  refit_stop.store(true, std::memory_order_release);
  if (refit_thread.joinable()) refit_thread.join();
}

RegimeStage::RegimeStage(StageEnv& env)
    : RegimeStage(regime_config(env.cfg), env.max_instruments, env.live, env.cfg.system.max_instruments,
                  1u << 16, env.cfg.regimes.refit_interval_s) {
  refit_idle = env.cfg.system.background_priority == config::BackgroundPriority::Idle;
}

RegimeStage::RegimeStage(const regime::RegimeConfig& c, std::size_t max_instruments, bool thr,
                         std::size_t max_active, std::size_t ring_capacity, double refit_interval_s)
    : cfg(c), threaded(thr), chans(max_instruments, nullptr), chan_pool(new Channel[max_active]),
      ring(thr ? ring_capacity : 2), detectors(max_instruments, nullptr) {
  cfg.fit_garch_at_warmup = false;  // fits run on the refit thread (or at their swap point)
  det_pool.resize(max_active);
  for (std::size_t i = 0; i < max_active; ++i) chan_pool[i].sampler = regime::GridSampler(cfg);
  if (max_active != 0) {
    const std::size_t before = arena.used();
    det_pool[0] = build_detector();
    // Every detector asks the arena for the same sizes; with room for their alignment padding
    // and sanitizer gaps (a few dozen requests each), 1/8 + 4 KB more is ample.
    const std::size_t each = arena.used() - before;  // the object and everything it asked for
    if (thr) {
      for (std::size_t i = 1; i < max_active; ++i) det_pool[i] = build_detector();
      arena.prefault();  // live: the first sample of an instrument takes no page fault
    } else {
      arena.reserve((max_active - 1) * (each + each / 8 + 4096));
    }
  }
  live.reserve(max_active);
  // Refit buffers sized like the detectors' own return windows (their config, sanitised).
  const regime::RegimeConfig& dc = det_pool.empty() ? cfg : det_pool.front()->config();
  refits = std::make_unique<GarchRefits>(dc.refit_window, refit_interval_s, max_instruments, dc.min_moves);
}

RegimeStage::~RegimeStage() { stop_background(); }

RegimeStage::DetectorPtr RegimeStage::build_detector() {
  void* p = arena.allocate(sizeof(regime::RegimeDetector), alignof(regime::RegimeDetector));
  return DetectorPtr(new (p) regime::RegimeDetector(cfg, &arena));
}

RegimeStage::Channel* RegimeStage::create(InstrumentId id) noexcept {
  if (used == det_pool.size()) {
    over_capacity.add();
    return nullptr;
  }
  HFT_ASSERT(chans[id] == nullptr && detectors[id] == nullptr, "instrument state created twice");
  if (!det_pool[used]) {  // a replay: built at the instrument's first sample, in reserved room
    try {
      det_pool[used] = build_detector();
    } catch (...) {  // out of memory: the instrument goes without, counted
      over_capacity.add();
      return nullptr;
    }
  }
  Channel* c = &chan_pool[used];
  detectors[id] = det_pool[used].get();  // live: published to the regime thread by the ring push
  ++used;
  chans[id] = c;
  instruments.add();
  if (!threaded) {  // live: the regime thread lists it at its first sample (it owns `live`)
    c->listed = true;
    live.push_back(id);
  }
  return c;
}

void RegimeStage::sample_inline(Channel& c, InstrumentId id, Nanos ts, double mid) noexcept {
  regime::RegimeDetector& d = *detectors[id];
  const int n = c.sampler.on_mid(ts, mid, [&](const regime::GridSample& g) {
    d.on_sample(g);
    work_ts = g.grid;
    refits->on_sample(*this, id, g.grid);
  });
  if (n > 0) c.label = encode(d.state());
}

void RegimeStage::sample_threaded(Channel& c, InstrumentId id, Nanos ts, double mid) noexcept {
  // The samples of this event, sent as they come but one behind, so that the last can carry the
  // end-of-batch mark.
  Msg held{};
  bool holding = false;
  c.sampler.on_mid(ts, mid, [&](const regime::GridSample& g) {
    if (holding) send(c, held);
    else begin_batch(c);
    held = Msg{g.grid, g.mid, id, g.restart, false};
    holding = true;
  });
  if (holding) {
    held.last = true;
    send(c, held);
  }
}

void RegimeStage::begin_batch(Channel& c) noexcept {
  // Live: never wait for the regime thread; show the newest label it has finished.
  if (c.sent > 0) {
    const std::uint64_t dl = c.done_label.load(std::memory_order_acquire);
    if ((dl >> 8) < c.sent) late.add();
    if ((dl >> 8) != 0) c.label = static_cast<std::uint8_t>(dl & 0xFF);
  }
  ++c.sent;
}

void RegimeStage::send(Channel& c, Msg m) noexcept {
  if (c.gap) [[unlikely]] m.restart = true;
  if (!ring.try_push(m)) [[unlikely]] {
    // The sample is lost (counted): the instrument's next sample starts a new return chain (no
    // return across the hole), and a lost end-of-batch mark merges the batch into the next one
    // (its count taken back), so that the regime thread's count of finished batches still meets
    // the hot side's.
    ring_full.add();
    c.gap = true;
    if (m.last) --c.sent;
    return;
  }
  c.gap = false;
}

std::size_t RegimeStage::work() noexcept {
  Msg buf[256];
  const std::size_t n = ring.pop_batch(buf, 256);
  for (std::size_t k = 0; k < n; ++k) {
    const Msg& m = buf[k];
    regime::RegimeDetector* d = detectors[m.id];  // set by the hot thread before the first push
    HFT_ASSERT(d != nullptr, "a sample for an instrument without a detector");
    Channel& c = *chans[m.id];  // created before its first message was sent
    if (!c.listed) {
      c.listed = true;
      live.push_back(m.id);  // within the reserved capacity
    }
    d->on_sample(regime::GridSample{m.grid, m.mid, m.restart});
    work_ts = m.grid;
    if (m.last) {
      const std::uint64_t b = ++c.finished;
      c.done_label.store(b << 8 | encode(d->state()), std::memory_order_release);
    }
  }
  return n;
}

regime::SamplerCounters RegimeStage::sampler_totals() const noexcept {
  regime::SamplerCounters t{};
  for (std::size_t i = 0; i < used; ++i) t += chan_pool[i].sampler.counters();
  return t;
}

void RegimeStage::publish_state() noexcept {
  std::uint64_t n = 0, swaps = 0;
  for (InstrumentId id : live) {
    const auto& d = *detectors[id];
    n += d.state().vol == regime::VolRegime::Stressed;
    swaps += d.counters().garch_swaps;
  }
  stressed.set(n);
  garch_swaps.set(swaps);
}

void RegimeStage::start_background(int cpu) {
  if (threaded) {
    // The regime thread (live): runs the detectors on the hot thread's grid samples, drains them
    // all at the stop (the hot threads have ended by then), hands returns to the refit thread
    // and swaps fitted parameters in between batches. It spins while samples keep coming (a poll
    // every kIdlePollPauses PAUSEs: a poll after every PAUSE slows the other vCPU's thread
    // several times on this VM) and after ~0.3 ms without one sleeps in short steps (timer
    // slack 1 us). Not sched_yield: that hands the core to the refit thread until the next
    // scheduler tick.
    regime_thread = std::thread([this, cpu] {
      name_current_thread("regime");
      (void)pin_current_thread(cpu, 0);  // the control/learner core; unpinned if that fails
      (void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
      unsigned empty = 0;
      for (unsigned k = 1;; ++k) {
        const bool stopping = regime_stop.load(std::memory_order_acquire);
        const std::size_t n = work();
        if ((n == 0 && empty == 0) || k % 1024 == 0) {  // refits and counters, not on every poll
          refits->service(*this, work_ts);
          publish_state();
        }
        if (n > 0) {
          empty = 0;
        } else {
          if (stopping) break;
          if (++empty < 250) cpu_relax(kIdlePollPauses);
          else std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
      }
      publish_state();
    });
  }
  refit_thread = start_fit_thread("garch-refit", cpu, refit_idle, refit_stop, [this] { return refits->work(); });
}

void RegimeStage::stop_background() {
  regime_stop.store(true, std::memory_order_release);  // after the hot threads: nothing more is sent
  if (regime_thread.joinable()) regime_thread.join();
  refit_stop.store(true, std::memory_order_release);
  if (refit_thread.joinable()) refit_thread.join();
}

GarchRefits::GarchRefits(std::size_t window, double interval_s, std::size_t max_instruments, std::size_t min_moves_)
    : min_moves(min_moves_), interval(static_cast<Nanos>(interval_s * 1e9)),
      swap_lag(std::min<Nanos>(interval, 60'000'000'000)),
      next_due(max_instruments, 0) {
  for (auto& s : slots) s.returns.reserve(window);
}

void GarchRefits::apply(RegimeStage& rs, Slot& s, const regime::GarchFit& f) noexcept {
  applied.by_status[static_cast<std::size_t>(f.status)].add();
  if (f.usable() && rs.detectors[s.id]) rs.detectors[s.id]->set_garch_params(f.params);
  s.pending = false;
}

void GarchRefits::swap_in(RegimeStage& rs, Slot& s) noexcept {
  apply(rs, s, s.fit);
  s.state.store(kFree, std::memory_order_release);
}

bool GarchRefits::request(RegimeStage& rs, InstrumentId id, Nanos now) noexcept {
  std::size_t pending = 0;
  for (const auto& s : slots) pending += s.pending;
  if (pending >= kPending) return false;
  for (auto& s : slots) {
    if (s.state.load(std::memory_order_acquire) != kFree) continue;
    s.id = id;
    s.pending = true;
    s.swap_at = now + swap_lag;
    HFT_ASSERT(s.returns.capacity() >= rs.detectors[id]->config().refit_window, "refit buffer would allocate");
    rs.detectors[id]->copy_returns(s.returns);  // within the reserved capacity: no allocation
    s.in_use = rs.detectors[id]->garch_params();
    s.state.store(kRequested, std::memory_order_release);
    next_due[id] = now + interval;
    return true;
  }
  return false;
}

void GarchRefits::service(RegimeStage& rs, Nanos now) noexcept {
  bool have_free = false;
  for (auto& s : slots) {
    const int st = s.state.load(std::memory_order_acquire);
    if (st == kDone) swap_in(rs, s);
    have_free = have_free || st == kDone || st == kFree;
  }
  if (!have_free || rs.live.empty()) return;
  for (std::size_t tries = 0; tries < rs.live.size(); ++tries) {  // one request per publish point
    const InstrumentId id = rs.live[cursor++ % rs.live.size()];
    if (!rs.detectors[id]->state().ready || now < next_due[id]) continue;
    request(rs, id, now);
    return;
  }
}

void GarchRefits::on_sample(RegimeStage& rs, InstrumentId id, Nanos t) noexcept {
  for (auto& s : slots) {
    const int st = s.state.load(std::memory_order_acquire);
    if (st == kFree) continue;
    if (s.orphan) {  // its parameters went in from a copy: free it once the refit thread is done
      if (st == kDone) {
        s.orphan = false;
        s.state.store(kFree, std::memory_order_release);
      }
      continue;
    }
    if (s.id != id || t < s.swap_at) continue;
    if (st == kDone || (st == kRequested && fit(s, fg))) {
      if (st != kDone) waited.add();
      swap_in(rs, s);
      continue;
    }
    // The refit thread is on it (or was preempted on it): fit a copy here, same result.
    waited.add();
    apply(rs, s, run_fit(s, fg));
    s.orphan = true;
  }
  if (rs.detectors[id]->state().ready && t >= next_due[id]) request(rs, id, t);
}

regime::GarchFit GarchRefits::run_fit(const Slot& s, FitCounts& c) noexcept {
  // From the parameters in use alone (the last fit's, on a window that mostly overlaps this
  // one: it reaches the cold multi-start optimum, tests; fit_garch falls back to a fixed start
  // if they are not valid); no standard errors (not used here). About a tenth of the time of a
  // cold four-start fit with standard errors (AMZN day: 76 refits, 1.9 s -> 0.2 s).
  regime::FitOptions o;
  o.warm = true;
  o.warm_start = s.in_use;
  o.starts = 0;
  o.standard_errors = false;
  o.min_moves = min_moves;
  regime::GarchFit f;
  try {
    f = regime::fit_garch(s.returns, o);
  } catch (...) {  // out of memory: f stays unconverged, no parameters this time
  }
  c.by_status[static_cast<std::size_t>(f.status)].add();
  return f;
}

bool GarchRefits::fit(Slot& s, FitCounts& c) {
  int want = kRequested;
  if (!s.state.compare_exchange_strong(want, kRunning, std::memory_order_acq_rel)) return false;
  s.fit = run_fit(s, c);
  s.state.store(kDone, std::memory_order_release);
  return true;
}

std::size_t GarchRefits::work() {
  std::size_t n = 0;
  for (auto& s : slots)
    if (s.state.load(std::memory_order_acquire) == kRequested && fit(s, bg)) ++n;
  return n;
}

}  // namespace hft::engine
