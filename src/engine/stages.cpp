// The parts of the stages that are not per-event: the regime stage's hand-off (once per batch on
// the hot thread, the detectors on the regime thread), GARCH refits.
#include "hft/engine/stages.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "hft/core/cpu_relax.hpp"
#include "hft/telemetry/tsc_clock.hpp"

namespace hft::engine {

RegimeStage::RegimeStage(const regime::RegimeConfig& c, std::size_t max_instruments, std::size_t ring_capacity)
    : cfg(c), chans(max_instruments), ring(ring_capacity), detectors(max_instruments) {
  cfg.fit_garch_at_warmup = false;  // fits run on the refit thread, never on the hot path
  live.reserve(max_instruments);
}

RegimeStage::~RegimeStage() = default;

RegimeStage::Channel* RegimeStage::create(InstrumentId id) {
  chans[id] = std::make_unique<Channel>(cfg.interval, cfg.max_fill);  // once per instrument, counted
  instruments.add();
  return chans[id].get();
}

void RegimeStage::begin_batch(Channel& c) noexcept {
  if (c.sent > 0) {
    const std::uint64_t want = c.sent;  // the previous batch
    std::uint64_t dl = c.done_label.load(std::memory_order_acquire);
    if ((dl >> 8) < want) [[unlikely]] {
      if (!wait_for_results) {
        late.add();  // live feed: never stall on the regime thread, show the newest it has
      } else {
        const std::uint64_t t0 = telemetry::rdtsc();
        waits.add();
        do {
          cpu_relax(kWaitPollPauses);
          dl = c.done_label.load(std::memory_order_acquire);
        } while ((dl >> 8) < want);
        wait_ticks.add(telemetry::rdtsc() - t0);
      }
    }
    // done_label is never past want: batch want+1 has not been sent.
    if ((dl >> 8) != 0) c.label = static_cast<std::uint8_t>(dl & 0xFF);
  }
  ++c.sent;
}

void RegimeStage::send(Channel& c, Msg m) noexcept {
  if (c.gap) [[unlikely]] m.restart = true;
  if (!ring.try_push(m)) [[unlikely]] {
    ring_full.add();
    if (!wait_for_results) {
      // Live feed: the hot thread never stalls on the regime thread. The sample is lost
      // (counted): the instrument's next sample starts a new return chain (no return across the
      // hole), and a lost end-of-batch mark merges the batch into the next one (its count taken
      // back), so that the regime thread's count of finished batches still meets the hot side's.
      c.gap = true;
      if (m.last) --c.sent;
      return;
    }
    while (!ring.try_push(m)) cpu_relax();  // replay: the regime thread always drains
  }
  c.gap = false;
}

std::size_t RegimeStage::work() noexcept {
  Msg buf[256];
  const std::size_t n = ring.pop_batch(buf, 256);
  for (std::size_t k = 0; k < n; ++k) {
    const Msg& m = buf[k];
    regime::RegimeDetector* d = detectors[m.id].get();
    if (d == nullptr) [[unlikely]] {
      detectors[m.id] = std::make_unique<regime::RegimeDetector>(cfg);  // once per instrument
      live.push_back(m.id);
      d = detectors[m.id].get();
    }
    d->on_sample(regime::GridSample{m.grid, m.mid, m.restart});
    work_ts = m.grid;
    if (refits != nullptr) refits->on_sample(*this, m.id, m.grid);
    if (m.last) {
      Channel& c = *chans[m.id];  // created before its first message was sent
      const std::uint64_t b = ++c.finished;
      c.slot[b & 1] = d->state();
      c.done_label.store(b << 8 | encode(c.slot[b & 1]), std::memory_order_release);
    }
  }
  return n;
}

void RegimeStage::publish() noexcept {
  std::uint64_t n = 0, swaps = 0;
  for (InstrumentId id : live) {
    const auto& d = *detectors[id];
    n += d.state().vol == regime::VolRegime::Stressed;
    swaps += d.counters().garch_swaps;
  }
  stressed.set(n);
  garch_swaps.set(swaps);
}

GarchRefits::GarchRefits(std::size_t window, double interval_s, std::size_t max_instruments)
    : interval(static_cast<Nanos>(interval_s * 1e9)),
      swap_lag(std::min<Nanos>(interval, 60'000'000'000)),
      next_due(max_instruments, 0) {
  for (auto& s : slots) s.returns.reserve(window);
}

void GarchRefits::apply(RegimeStage& rs, Slot& s, const regime::GarchFit& f) noexcept {
  if (f.converged && rs.detectors[s.id]) rs.detectors[s.id]->set_garch_params(f.params);
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
    if (st == kDone || (st == kRequested && fit(s))) {
      if (st != kDone) waited.add();
      swap_in(rs, s);
      continue;
    }
    // The refit thread is on it (or was preempted on it): fit a copy here, same result.
    waited.add();
    apply(rs, s, run_fit(s));
    s.orphan = true;
  }
  if (rs.detectors[id]->state().ready && t >= next_due[id]) request(rs, id, t);
}

regime::GarchFit GarchRefits::run_fit(const Slot& s) noexcept {
  // From the parameters in use alone (the last fit's, on a window that mostly overlaps this
  // one: it reaches the cold multi-start optimum, tests; fit_garch falls back to a fixed start
  // if they are not valid); no standard errors (not used here). About a tenth of the time of a
  // cold four-start fit with standard errors (AMZN day: 76 refits, 1.9 s -> 0.2 s).
  regime::FitOptions o;
  o.warm = true;
  o.warm_start = s.in_use;
  o.starts = 0;
  o.standard_errors = false;
  regime::GarchFit f;
  try {
    f = regime::fit_garch(s.returns, o);
  } catch (...) {  // out of memory: f stays unconverged, no parameters this time
  }
  (f.converged ? fitted : failed).add();
  return f;
}

bool GarchRefits::fit(Slot& s) {
  int want = kRequested;
  if (!s.state.compare_exchange_strong(want, kRunning, std::memory_order_acq_rel)) return false;
  s.fit = run_fit(s);
  s.state.store(kDone, std::memory_order_release);
  return true;
}

std::size_t GarchRefits::work() {
  std::size_t n = 0;
  for (auto& s : slots)
    if (s.state.load(std::memory_order_acquire) == kRequested && fit(s)) ++n;
  return n;
}

}  // namespace hft::engine
