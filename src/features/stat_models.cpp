#include "hft/features/stat_models.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace hft::features {

struct StatModels::State {
  Nanos clock = 0;
  bool started = false;
  Nanos next_due = 0;
  int slot = -1;  // pending request's slot
  // Hawkes: intensity state under the parameters in use; ring of market orders.
  model::HawkesIntensity hk;
  std::size_t mo_head = 0, mo_n = 0;  // ring: next write, count
  // Grid returns.
  bool grid_has = false;  // grid_mid is a sampled mid (the chain's base)
  bool has_mid = false;
  double cur_mid = 0, grid_mid = 0;
  Nanos next_grid = 0;
  std::size_t ret_head = 0, ret_n = 0;
  model::ArmaGarchFilter ag;
  bool ag_ok = false;
  model::BayesDriftVol bayes{0.0, 1.0, 1.0, 1e-10, 1.0};
  // Best-queue flow since the last request.
  double repl = 0, depl = 0;
  std::uint64_t repl_n = 0;
  Nanos flow_t0 = 0;
  model::QueueTable qr;
  bool qr_ok = false;
  Volume bq = 0, aq = 0;
  bool hawkes_fitted = false;  // hk.p is a fit (not the prior)
  bool deferred = false;       // a due request waits for a pending slot (counted once)
  int pair = -1;  // the pair it is a leg of
  bool pair_y = false;
};

struct StatModels::Pair {
  explicit Pair(std::size_t window) : rc(window, std::numeric_limits<std::size_t>::max()) {}
  int y = -1, x = -1;  // pool indices of the legs
  model::RollingCointegration rc;
};

const char* validate_stat(const StatModelConfig& c) noexcept {
  if (c.grid <= 0) return "models_grid_s: must be > 0";
  if (c.refit <= 0) return "models_refit_s: must be > 0";
  if (c.swap_lag < 0 || c.swap_lag > c.refit) return "models_swap_lag_s: must be in [0, models_refit_s]";
  if (c.window < 200 || c.window > (1u << 20)) return "models_window: must be in 200..1048576 returns";
  if (c.orders < 200 || c.orders > (1u << 20)) return "models_orders: must be in 200..1048576 orders";
  if (!(c.discount > 0 && c.discount <= 1)) return "models_discount: must be in (0, 1]";
  if (c.queue_units < 1 || c.queue_units > 200) return "models_queue_units: must be in 1..200";
  if (c.pairs > 1024) return "coint_pairs: at most 1024";
  if (c.coint_window < 30 || c.coint_window > (1u << 20)) return "coint_window: must be in 30..1048576 grid points";
  if (c.prior.dim != 2 || !model::hawkes_valid(c.prior)) return "the Hawkes prior is not valid (mu > 0)";
  return "";
}

StatFit fit_stat_models(const StatFitInput& in, int queue_units) {
  StatFit f;
  // Hawkes: both sides, one decay.
  std::size_t nb = 0;
  for (std::uint8_t m : in.mo_marks) nb += m == 0;
  const std::size_t ns = in.mo_marks.size() - nb;
  if (in.mo_times.size() >= 100 && nb >= 20 && ns >= 20 && in.T > 0) {
    model::HawkesFitOptions o;
    o.starts = 2;  // the previous fit and one fixed start (two fixed ones on a first fit)
    o.standard_errors = false;
    if (in.hawkes_fitted) o.warm = &in.hawkes_warm;
    const model::HawkesFit h = model::hawkes_fit(in.mo_times, in.mo_marks, 2, in.T, o);
    if (h.status == model::HawkesFitStatus::Ok && h.branching_ratio < 1 && model::hawkes_valid(h.params)) {
      f.hawkes = h.params;
      f.hawkes_ok = true;
    }
  }
  // ARMA-GARCH on the grid returns.
  if (in.returns.size() >= 200) {
    model::ArmaGarchOptions o;
    o.starts = 2;
    o.standard_errors = false;
    if (in.ag_fitted) o.warm = &in.ag_warm;
    const model::ArmaGarchFit a = model::fit_arma_garch(in.returns, o);
    if (a.usable()) {
      f.ag = a.params;
      f.ag_ok = true;
    }
  }
  // Queue-reactive table from the volume rates.
  if (in.repl_n > 0 && in.repl_qty > 0 && in.depl_qty > 0 && in.flow_seconds > 0) {
    const double unit = in.repl_qty / static_cast<double>(in.repl_n);
    const double lambda = in.repl_qty / unit / in.flow_seconds / 2;
    const double mu = in.depl_qty / unit / in.flow_seconds / 2;
    if (in.qr_ratio > 0 && std::fabs(lambda / mu / in.qr_ratio - 1) < 0.05 && std::fabs(unit / in.qr_unit - 1) < 0.05) {
      f.qr_kept = true;
      return f;
    }
    try {
      f.qr = model::QueueTable(lambda, mu, 0.0, unit, queue_units);
      f.qr_ok = true;
    } catch (const std::invalid_argument&) {
      f.qr_ok = false;
    }
  }
  return f;
}

StatModels::StatModels(const StatModelConfig& cfg, std::size_t max_active)
    : cfg_(cfg), st_(new State[max_active]), n_(max_active), mo_t_(max_active * cfg.orders),
      mo_m_(max_active * cfg.orders), ret_(max_active * cfg.window) {
  if (const char* e = validate_stat(cfg); *e) throw std::invalid_argument(std::string("features: ") + e);
  for (std::size_t k = 0; k < n_; ++k) {
    st_[k].hk.reset(cfg.prior);
    st_[k].bayes = model::BayesDriftVol(0.0, 1.0, 1.0, 1e-10, cfg.discount);
  }
  pairs_.reserve(cfg.pairs);
  for (std::size_t p = 0; p < cfg.pairs; ++p) pairs_.emplace_back(cfg.coint_window);
  for (auto& s : slots_) {  // copies into the slots never allocate
    s.in.mo_times.reserve(cfg.orders);
    s.in.mo_marks.reserve(cfg.orders);
    s.in.returns.reserve(cfg.window);
  }
}

StatModels::~StatModels() = default;

void StatModels::restart(std::size_t k, Nanos t) noexcept {
  State& s = st_[k];
  s.clock = t;
  s.started = true;
  // The first refit after refit x (1, 1.25, 1.5 or 1.75) by pool index: instruments that start
  // together do not all ask at once.
  const Nanos first = cfg_.refit + cfg_.refit / 4 * static_cast<Nanos>(k % 4);
  if (s.next_due == 0 || s.next_due > t + first) s.next_due = t + first;
  s.hk.reset(s.hk.p);  // parameters kept, excitation gone with the orders before the gap
  s.mo_head = s.mo_n = 0;
  s.grid_has = s.has_mid = false;
  s.repl = s.depl = 0;
  s.repl_n = 0;
  s.flow_t0 = t;
}

void StatModels::set_pair_leg(std::size_t p, bool y_leg, std::size_t k) noexcept {
  if (p >= pairs_.size() || k >= n_) return;
  Pair& pr = pairs_[p];
  int& leg = y_leg ? pr.y : pr.x;
  if (leg == static_cast<int>(k)) return;
  if (leg >= 0) st_[static_cast<std::size_t>(leg)].pair = -1;
  leg = static_cast<int>(k);
  st_[k].pair = static_cast<int>(p);
  st_[k].pair_y = y_leg;
  pr.rc.clear();
}

void StatModels::push_return(State& s, double r) noexcept {
  double* ring = ret_.data() + static_cast<std::size_t>(&s - st_.get()) * cfg_.window;
  ring[s.ret_head] = r;
  s.ret_head = s.ret_head + 1 == cfg_.window ? 0 : s.ret_head + 1;
  if (s.ret_n < cfg_.window) ++s.ret_n;
  s.ag.update(r);
  s.bayes.update(r);
}

void StatModels::on_event(std::size_t k, const StatEvent& e) noexcept {
  State& s = st_[k];
  if (e.snapshot) return;
  if (!s.started) restart(k, e.clock);
  s.clock = e.clock;
  const std::size_t base = k * cfg_.orders;
  for (int side = 0; side < 2; ++side) {
    if (!(side == 0 ? e.mo_buy : e.mo_sell)) continue;
    s.hk.on_event(e.clock, side);
    mo_t_[base + s.mo_head] = e.clock;
    mo_m_[base + s.mo_head] = static_cast<std::uint8_t>(side);
    s.mo_head = s.mo_head + 1 == cfg_.orders ? 0 : s.mo_head + 1;
    if (s.mo_n < cfg_.orders) ++s.mo_n;
  }
  for (const auto change : {e.bid_change, e.ask_change}) {  // best-queue growth and depletion
    if (change > 0) { s.repl += static_cast<double>(change); ++s.repl_n; }
    else s.depl -= static_cast<double>(change);
  }
  // Grid returns: the last valid mid at each grid point the clock passed.
  if (s.has_mid) {
    if (!s.grid_has) {
      s.grid_mid = s.cur_mid;
      s.grid_has = true;
      s.next_grid = (e.clock / cfg_.grid + 1) * cfg_.grid;
    } else if (e.clock >= s.next_grid) {
      const Nanos steps = (e.clock - s.next_grid) / cfg_.grid + 1;
      if (static_cast<std::size_t>(steps) > kMaxFill) {
        ++counters_.chain_restarts;
        s.grid_mid = s.cur_mid;
      } else {
        push_return(s, std::log(s.cur_mid / s.grid_mid));
        for (Nanos i = 1; i < steps; ++i) push_return(s, 0.0);
        s.grid_mid = s.cur_mid;
      }
      s.next_grid += steps * cfg_.grid;
      // The pair, sampled at the y leg's grid points: log mids of both legs.
      if (s.pair >= 0 && s.pair_y) {
        Pair& pr = pairs_[static_cast<std::size_t>(s.pair)];
        const State* xs = pr.x >= 0 ? &st_[static_cast<std::size_t>(pr.x)] : nullptr;
        if (xs && xs->has_mid && s.grid_mid > 0 && xs->cur_mid > 0)
          pr.rc.update(std::log(s.grid_mid), std::log(xs->cur_mid));
      }
    }
  }
  if (e.valid) {
    s.cur_mid = e.mid;
    s.has_mid = true;
    s.bq = e.best_bid_qty;
    s.aq = e.best_ask_qty;
  }
  if (s.slot >= 0) poll(s, e.clock);
  if (s.slot < 0 && e.clock >= s.next_due) request(s, k, e.clock);
}

void StatModels::request(State& s, std::size_t k, Nanos now) noexcept {
  if (pending_ >= kPending) {
    if (!s.deferred) ++counters_.busy;  // tried again at the instrument's next events
    s.deferred = true;
    return;
  }
  s.deferred = false;
  Slot* free = nullptr;
  for (auto& sl : slots_)
    if (sl.state.load(std::memory_order_acquire) == kFree) { free = &sl; break; }
  if (free == nullptr) {  // cannot happen: at most kPending pending + one orphan
    ++counters_.busy;
    return;
  }
  StatFitInput& in = free->in;
  // Market orders, oldest first, in seconds from the first.
  in.mo_times.clear();
  in.mo_marks.clear();
  const std::size_t base = k * cfg_.orders;
  const std::size_t first = (s.mo_head + cfg_.orders - s.mo_n) % cfg_.orders;
  const Nanos t0 = s.mo_n ? mo_t_[base + first] : now;
  for (std::size_t i = 0; i < s.mo_n; ++i) {
    const std::size_t j = base + (first + i) % cfg_.orders;
    in.mo_times.push_back(static_cast<double>(mo_t_[j] - t0) * 1e-9);
    in.mo_marks.push_back(mo_m_[j]);
  }
  in.T = static_cast<double>(now - t0) * 1e-9;
  in.returns.clear();
  const double* ring = ret_.data() + k * cfg_.window;
  const std::size_t rf = (s.ret_head + cfg_.window - s.ret_n) % cfg_.window;
  for (std::size_t i = 0; i < s.ret_n; ++i) in.returns.push_back(ring[(rf + i) % cfg_.window]);
  in.repl_qty = s.repl;
  in.depl_qty = s.depl;
  in.repl_n = s.repl_n;
  in.flow_seconds = static_cast<double>(now - s.flow_t0) * 1e-9;
  in.hawkes_warm = s.hk.p;
  in.hawkes_fitted = s.hawkes_fitted;
  in.ag_fitted = s.ag_ok;
  in.ag_warm = s.ag.params();
  in.qr_ratio = s.qr_ok ? s.qr.lambda() / s.qr.mu() : 0.0;
  in.qr_unit = s.qr_ok ? s.qr.unit() : 0.0;
  s.repl = s.depl = 0;
  s.repl_n = 0;
  s.flow_t0 = now;
  free->k = k;
  free->swap_at = now + cfg_.swap_lag;
  s.slot = static_cast<int>(free - slots_.data());
  s.next_due = now + cfg_.refit;
  ++pending_;
  ++counters_.requests;
  free->state.store(kRequested, std::memory_order_release);
}

void StatModels::poll(State& s, Nanos now) noexcept {
  Slot& sl = slots_[static_cast<std::size_t>(s.slot)];
  int st = sl.state.load(std::memory_order_acquire);
  if (cfg_.live) {
    if (st != kDone) return;
  } else {
    if (now < sl.swap_at) return;
    if (st == kRequested && sl.state.compare_exchange_strong(st, kRunning, std::memory_order_acq_rel)) {
      sl.out = fit_stat_models(sl.in, cfg_.queue_units);  // not started: ours
      ++counters_.waited;
      st = kDone;
    } else if (st == kRunning) {
      // The thread is on it: the same fit from the same inputs, made here; the thread's result
      // is dropped (it frees the slot).
      StatFit f = fit_stat_models(sl.in, cfg_.queue_units);
      ++counters_.waited;
      apply(s, f);
      if (!sl.state.compare_exchange_strong(st, kOrphan, std::memory_order_acq_rel))
        sl.state.store(kFree, std::memory_order_release);  // it finished meanwhile (kDone)
      s.slot = -1;
      --pending_;
      ++counters_.swaps;
      return;
    }
  }
  apply(s, sl.out);
  sl.state.store(kFree, std::memory_order_release);
  s.slot = -1;
  --pending_;
  ++counters_.swaps;
}

void StatModels::apply(State& s, StatFit& f) noexcept {
  (f.hawkes_ok ? counters_.hawkes_ok : counters_.hawkes_failed)++;
  (f.ag_ok ? counters_.ag_ok : counters_.ag_failed)++;
  if (f.qr_kept) ++counters_.qr_kept;
  else (f.qr_ok ? counters_.qr_ok : counters_.qr_failed)++;
  if (f.hawkes_ok) {
    // The intensity under the new parameters, from the kept orders (oldest first).
    s.hawkes_fitted = true;
    s.hk.reset(f.hawkes);
    const std::size_t k = static_cast<std::size_t>(&s - st_.get());
    const std::size_t base = k * cfg_.orders;
    const std::size_t first = (s.mo_head + cfg_.orders - s.mo_n) % cfg_.orders;
    for (std::size_t i = 0; i < s.mo_n; ++i) {
      const std::size_t j = base + (first + i) % cfg_.orders;
      s.hk.on_event(mo_t_[j], mo_m_[j]);
    }
  }
  if (f.ag_ok) {
    if (!s.ag_ok) s.ag.reset(f.ag, model::arma_garch_unconditional_variance(f.ag));
    else (void)s.ag.set_params(f.ag);
    s.ag_ok = true;
  }
  if (f.qr_ok) {
    std::swap(s.qr, f.qr);  // the old table goes to the slot: freed off the hot thread
    s.qr_ok = true;
  }
}

void StatModels::values(std::size_t k, Nanos clock, bool valid, double* out) const noexcept {
  const State& s = st_[k];
  out[0] = s.hk.intensity_at(0, clock);
  out[1] = s.hk.intensity_at(1, clock);
  out[2] = s.qr_ok && valid ? s.qr.p_up(s.bq, s.aq) : 0.5;
  out[3] = s.ag_ok ? s.ag.mean() * 1e4 : 0.0;
  out[4] = s.ag_ok ? std::sqrt(std::max(s.ag.variance(), 0.0)) * 1e4 : 0.0;
  const double sc = s.bayes.drift_scale();
  out[5] = s.bayes.n() >= 2 && sc > 0 ? s.bayes.m() / sc : 0.0;
  out[6] = s.bayes.n() >= 2 ? s.bayes.sigma_mean() * 1e4 : 0.0;
  if (cfg_.pairs) {
    double z = 0;
    if (s.pair >= 0) {
      const Pair& pr = pairs_[static_cast<std::size_t>(s.pair)];
      if (pr.rc.full() && pr.x >= 0 && pr.y >= 0) {
        const double v = pr.rc.zscore();
        if (std::isfinite(v)) z = s.pair_y ? v : -v;
      }
    }
    out[kStatOutputs] = z;
  }
}

const model::HawkesParams& StatModels::hawkes_params(std::size_t k) const noexcept { return st_[k].hk.p; }

bool StatModels::arma_garch_fitted(std::size_t k, model::ArmaGarchParams* p) const noexcept {
  if (p && st_[k].ag_ok) *p = st_[k].ag.params();
  return st_[k].ag_ok;
}

const model::QueueTable* StatModels::queue_table(std::size_t k) const noexcept {
  return st_[k].qr_ok ? &st_[k].qr : nullptr;
}

std::size_t StatModels::work() {
  std::size_t n = 0;
  for (auto& sl : slots_) {
    int st = kRequested;
    if (!sl.state.compare_exchange_strong(st, kRunning, std::memory_order_acq_rel)) continue;
    sl.out = fit_stat_models(sl.in, cfg_.queue_units);
    st = kRunning;
    if (!sl.state.compare_exchange_strong(st, kDone, std::memory_order_acq_rel))
      sl.state.store(kFree, std::memory_order_release);  // orphaned: the owner fitted it
    ++n;
  }
  return n;
}

}  // namespace hft::features
