#include "hft/engine/strategy_stage.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "hft/engine/predict_stage.hpp"
#include "hft/report/recorder.hpp"
#include "hft/telemetry/tsc_clock.hpp"

namespace hft::engine {

RouterConfig router_config(const config::Config& cfg, bool live) {
  RouterConfig rc;
  rc.oms.prefault = live;
  const auto& rm = cfg.risk_management;
  const auto& cb = rm.circuit_breakers;
  rc.oms.fees = oms::FeeSchedule{cfg.simulator.fees.maker_per_share, cfg.simulator.fees.taker_per_share};
  rc.oms.max_orders = std::max<std::size_t>(static_cast<std::size_t>(cfg.simulator.max_orders) * 4, 1u << 16);
  rc.limits.max_order_qty = static_cast<Qty>(std::clamp<std::int64_t>(rm.max_order_qty, 0, 0xFFFFFFFF));
  rc.limits.max_orders_per_s = static_cast<std::uint32_t>(std::clamp(rm.max_orders_per_s, 0.0, 1e9));
  rc.limits.max_position = rm.max_position;
  for (const auto& [sym, lim] : rm.position_limits) {
    const std::int64_t v = std::stoll(lim);  // checked by the config loader
    if (sym == "default") rc.limits.max_position = v;
    else rc.limits.position_limits.emplace_back(sym, v);
  }
  rc.limits.max_gross = rm.max_notional;
  rc.limits.max_order_notional = rm.max_order_notional;
  rc.limits.collar_bps = static_cast<std::uint32_t>(std::clamp(rm.price_collar_bps, 0.0, 1e9));
  rc.limits.max_open_orders = static_cast<std::uint32_t>(rm.max_open_orders);
  rc.limits.max_open_orders_per_strategy = static_cast<std::uint32_t>(rm.max_open_orders);
  rc.breakers.max_loss = cb.max_daily_loss;
  rc.breakers.max_drawdown = cb.max_drawdown;
  rc.breakers.max_reject_rate = cb.max_reject_rate;
  rc.breakers.max_latency_ns = static_cast<Nanos>(cb.max_latency_us * 1000.0);
  rc.breakers.latency_spikes = static_cast<std::uint32_t>(cb.latency_count);
  rc.breakers.max_logloss = cb.max_log_loss;
  rc.breakers.model_alpha = 2.0 / (static_cast<double>(cb.model_window) + 1.0);
  rc.breakers.min_hit_rate = cb.min_hit_rate;
  rc.breakers.min_labels = static_cast<std::uint32_t>(cb.min_labels);
  rc.breakers.trip_on_gap = cb.stale_feed;
  rc.breakers.flatten_on_trip = cb.flatten_on_trip;
  return rc;
}


StrategyStage::StrategyStage(StageEnv& env)
    : books(env.books), features(env.features), router(env.orders), online(env.online), recorder(env.recorder),
      ns_per_tick(env.ns_per_tick), trade_from(env.trade_from), stale_trips(env.cfg.risk_management.circuit_breakers.stale_feed), live_latency(env.live) {
  auto specs = strategy::specs_of(env.cfg);
  if (specs.empty()) return;
  if (!env.orders || !env.sched || !env.clock || !env.books)
    throw std::invalid_argument("strategy stage: needs the book stage and the order thread");
  manager = std::make_unique<strategy::Manager>(std::move(specs), *env.orders, *env.sched, *env.clock, env.index,
                                                env.symbols, env.max_instruments);
  notified.assign(manager->size(), 0);
  intervals.assign(manager->size(), Interval{});
  figures = std::make_unique<StrategyFigures[]>(manager->size());
}

bool StrategyStage::on_event(Envelope& e) noexcept {
  if (!manager) return true;
  const MarketEvent& ev = e.ev;
  if (ev.kind == EventKind::Directory || ev.kind == EventKind::System) {
    manager->on_event(e, *books, features);  // symbol resolution only
    return true;
  }
  if (ev.ts_exch < trade_from) return true;  // a backtest's warm-up: books, features, models only
  events.add();
  if (ev.ts_exch >= next_sample) [[unlikely]] sample_intervals(ev.ts_exch);
  // (The engine polls the kill / re-arm control and tells the router the event's market.)
  const bool stale = (ev.flags & evflag::kStale) != 0;
  if (router->breakers().on_feed_event(ev.ts_exch, stale && stale_trips)) router->on_trip(risk::Breakers::kGlobal);
  if (online && online->n != labels_seen) feed_labels(ev.ts_exch);
  const std::uint16_t* subs = nullptr;
  const std::size_t n = manager->trading(ev.instrument, subs);
  if (recorder && n && e.top.bid > 0 && e.top.ask > 0) recorder->on_book(ev.ts_exch, ev.instrument, e.top.bid, e.top.ask);

  router->clear_accept_tick();
  manager->on_event(e, *books, features);
  if (router->first_accept_tick() != 0 && e.t_in != 0) {  // tick-to-order: feed release -> gate passed
    const auto ns = static_cast<Nanos>(static_cast<double>(router->first_accept_tick() - e.t_in) * ns_per_tick);
    tick_to_order.record(static_cast<std::uint64_t>(ns));
    if (live_latency && router->breakers().on_latency(ns, ev.ts_exch)) router->on_trip(risk::Breakers::kGlobal);
  }
  after_strategies(ev, n, subs);
  return true;
}

// After the strategies acted on an event: their quotes for the recorder, trips to tell them of.
void StrategyStage::after_strategies(const MarketEvent& ev, std::size_t n, const std::uint16_t* subs) noexcept {
  if (recorder)
    for (std::size_t k = 0; k < n; ++k) {
      const oms::Position* p = router->oms().position(subs[k], ev.instrument);
      if (p) recorder->on_quotes(ev.ts_exch, subs[k], ev.instrument, p->best_buy, p->best_sell);
    }
  if (router->counters().breaker_trips != trips_seen) notify_trips(ev.ts_exch);
}

void StrategyStage::notify_trips(Nanos now) noexcept {
  trips_seen = router->counters().breaker_trips;
  for (std::uint16_t s = 0; s < manager->size(); ++s) {
    const bool blocked = router->gate().breakers.blocked(s);
    if (blocked && !notified[s]) {
      const risk::BreakerState& st = router->gate().breakers.state(s).tripped ? router->gate().breakers.state(s)
                                                                              : router->gate().breakers.state(risk::Breakers::kGlobal);
      if (recorder) recorder->on_breaker(now, s, risk::breaker_reason_name(st.reason));
      trips.add();
      manager->on_trip(s);
    }
    notified[s] = blocked;
  }
}

// The model's labels since the last event, to every strategy's model breaker (one model serves
// them all): the mean log-loss and the hit rate of the new labels.
void StrategyStage::feed_labels(Nanos now) noexcept {
  const std::uint64_t n = online->n - labels_seen;
  const double ll = (online->log_loss_sum - ll_seen) / static_cast<double>(n);
  std::uint64_t hits = 0;
  for (int c = 0; c < 3; ++c) hits += online->confusion[static_cast<std::size_t>(c * 4)];
  const std::uint64_t new_hits = hits - hits_seen;
  labels_seen = online->n;
  ll_seen = online->log_loss_sum;
  hits_seen = hits;
  for (std::uint64_t i = 0; i < n; ++i)
    for (std::uint16_t s = 0; s < manager->size(); ++s)
      if (router->breakers().on_label(s, ll, i < new_hits, now)) router->on_trip(s);
}

void StrategyStage::on_exec(const ExecReport& r) noexcept {
  if (!manager) return;
  manager->on_exec(r);
  if (router->counters().breaker_trips != trips_seen) notify_trips(r.ts);
}

void StrategyStage::on_timer(const TimerFire& f) noexcept {
  if (!manager) return;
  manager->on_timer(f.cookie);
  if (router->counters().breaker_trips != trips_seen) notify_trips(f.due);
}

// At the first event of each new second of exchange time: every strategy's net P&L change since
// the last sample (a gap of several seconds is one interval, as in the report's grid).
void StrategyStage::sample_intervals(Nanos ts) noexcept {
  constexpr Nanos kSec = 1'000'000'000;
  const bool first = next_sample == INT64_MIN;
  next_sample = (ts / kSec + 1) * kSec;
  for (std::uint16_t s = 0; s < intervals.size(); ++s) {
    Interval& v = intervals[s];
    const double net = router->oms().strategy_pnl(s).net;
    if (!first) {
      const double d = net - v.last;
      v.n += 1;
      const double delta = d - v.mean;
      v.mean += delta / v.n;
      v.m2 += delta * (d - v.mean);
      if (d < 0) v.down2 += d * d;
    }
    v.last = net;
    v.peak = std::max(v.peak, net);
    v.max_dd = std::max(v.max_dd, v.peak - net);
  }
}

void StrategyStage::apply(const Settings& s) noexcept {
  if (!router) return;
  router->set_limits(s.limits);
  router->breakers().set_settings(s.breakers);
  router->set_fees(s.fees);
  if (manager) manager->resolve_again();  // per-symbol limits for the instruments seen
}

void StrategyStage::publish() noexcept {
  if (!manager) return;
  const double annual = std::sqrt(252.0 * 23400.0);
  for (std::uint16_t s = 0; s < manager->size(); ++s) {
    StrategyFigures& f = figures[s];
    const oms::PnL p = router->oms().strategy_pnl(s);
    const Interval& v = intervals[s];
    f.net.store(p.net, std::memory_order_relaxed);
    f.realized.store(p.realized, std::memory_order_relaxed);
    f.unrealized.store(p.unrealized, std::memory_order_relaxed);
    f.fees.store(p.fees, std::memory_order_relaxed);
    f.drawdown.store(std::max(0.0, std::max(v.peak, p.net) - p.net), std::memory_order_relaxed);
    f.max_drawdown.store(std::max(v.max_dd, std::max(v.peak, p.net) - p.net), std::memory_order_relaxed);
    const double sd = v.n > 1 ? std::sqrt(v.m2 / (v.n - 1)) : 0, dsd = v.n > 0 ? std::sqrt(v.down2 / v.n) : 0;
    f.sharpe.store(sd > 0 ? v.mean / sd * annual : 0, std::memory_order_relaxed);
    f.sortino.store(dsd > 0 ? v.mean / dsd * annual : 0, std::memory_order_relaxed);
    f.halted.set(router->gate().killed() || router->gate().breakers.blocked(s));
    if (recorder) {
      const report::Aggregates& a = recorder->data().per_strategy[s];
      f.orders.set(a.orders_sent);
      f.fills.set(a.fills);
      f.round_trips.set(a.trips);
      f.win_rate.store(a.trips ? static_cast<double>(a.wins) / static_cast<double>(a.trips) : 0, std::memory_order_relaxed);
      f.profit_factor.store(a.loss_sum > 0 ? a.win_sum / a.loss_sum : 0, std::memory_order_relaxed);
      f.gross.store(a.notional, std::memory_order_relaxed);
    }
  }
  if (recorder) {
    const report::PredictionStats& ps = recorder->data().pred;
    std::uint64_t hits = 0;
    for (int c = 0; c < 3; ++c) hits += ps.confusion[static_cast<std::size_t>(c * 4)];
    double conf = 0;
    for (int b = 0; b < report::PredictionStats::kConfBins; ++b)
      conf += (b + 0.5) / report::PredictionStats::kConfBins * static_cast<double>(ps.confidence[static_cast<std::size_t>(b)]);
    prediction.predictions.set(ps.predictions);
    prediction.labels.set(ps.labels);
    prediction.accuracy.store(ps.labels ? static_cast<double>(hits) / static_cast<double>(ps.labels) : 0, std::memory_order_relaxed);
    prediction.log_loss.store(ps.labels ? ps.log_loss_sum / static_cast<double>(ps.labels) : 0, std::memory_order_relaxed);
    prediction.mean_confidence.store(ps.predictions ? conf / static_cast<double>(ps.predictions) : 0, std::memory_order_relaxed);
  }
}

// ---- SimStage

namespace {

sim::LatencyModel latency_of(std::int64_t ns, const std::string& file, std::uint64_t seed) {
  return file.empty() ? sim::LatencyModel::constant(ns) : sim::LatencyModel::from_file(file, seed);
}

// Entry latency = feed + order entry: the strategy decided on data feed_latency old, and its order
// needs order_latency to reach the venue. Constant + constant stays constant; otherwise the sum
// of independent draws, sampled once here (deterministic for the seed).
sim::LatencyModel entry_latency(const config::Config::Simulator& s) {
  if (s.feed_latency_file.empty() && s.order_latency_file.empty())
    return sim::LatencyModel::constant(s.feed_latency_ns + s.order_latency_ns);
  auto feed = latency_of(s.feed_latency_ns, s.feed_latency_file, static_cast<std::uint64_t>(s.seed));
  auto order = latency_of(s.order_latency_ns, s.order_latency_file, static_cast<std::uint64_t>(s.seed) + 1);
  std::vector<Nanos> sums(1 << 14);
  for (auto& x : sums) x = feed.draw() + order.draw();
  return sim::LatencyModel::from_samples(std::move(sums), static_cast<std::uint64_t>(s.seed) + 2);
}

}  // namespace

SimStage::SimStage(StageEnv& env) : sched(env.sched) {
  const auto& s = env.cfg.simulator;
  if (!s.enabled || !env.orders || !env.sched || !env.books) return;
  if (env.orders->has_sink()) return;  // another venue was given (tests, a gateway)
  sim::SimConfig sc;
  sc.entry = entry_latency(s);
  sc.response = latency_of(s.ack_latency_ns, s.ack_latency_file, static_cast<std::uint64_t>(s.seed) + 3);
  switch (s.queue_model) {
    case config::QueueModel::L3: sc.queue = sim::QueueModel::L3Exact; break;
    case config::QueueModel::ProbPower2: sc.queue = sim::QueueModel::ProbPower2; break;
    case config::QueueModel::ProbPower3: sc.queue = sim::QueueModel::ProbPower3; break;
    case config::QueueModel::ProbLog: sc.queue = sim::QueueModel::ProbLog; break;
    case config::QueueModel::RiskAverse: sc.queue = sim::QueueModel::RiskAverse; break;
  }
  // A market-by-price source has one aggregate order per level: no exact L3 queue position to
  // follow, so `l3` takes the probabilistic model hftbacktest uses for such data (every command:
  // replay, backtest, run).
  if (env.by_price && sc.queue == sim::QueueModel::L3Exact) sc.queue = sim::QueueModel::ProbPower2;
  sc.max_orders = static_cast<std::size_t>(s.max_orders);
  sc.prefault = env.live;
  exchange = std::make_unique<sim::Exchange>(std::move(sc), *env.books, env.index);
  env.orders->set_sink(exchange.get());
}

}  // namespace hft::engine
