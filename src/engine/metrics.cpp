#include "hft/engine/metrics.hpp"

#include <unistd.h>

#include <cstdio>

namespace hft::engine {

std::int64_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long long size = 0, rss = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &rss);
  std::fclose(f);
  return n == 2 ? rss * sysconf(_SC_PAGESIZE) : 0;
}

EngineMetrics::EngineMetrics(const Engine& engine, telemetry::Registry& reg) : engine_(engine), reg_(reg) {
  auto add = [&](std::string_view family, const std::string& labels, std::string_view help, const RelaxedCounter& c) {
    counters_.emplace_back(&reg_.counter(family, labels, help), &c);
  };
  const MonitorStage& mon = engine.stage<MonitorStage>();
  for (int k = 0; k < kEventKindCount; ++k)
    add("hftd_events", std::string("kind=\"") + event_kind_name(static_cast<EventKind>(k)) + "\"",
        "market events that reached the end of the hot path, by kind", mon.kinds[static_cast<std::size_t>(k)]);
  const BookStage& bs = engine.stage<BookStage>();
  for (int e = 1; e < book::kBookErrorCount; ++e)
    add("hftd_book_errors", std::string("reason=\"") + book::book_error_name(static_cast<book::BookError>(e)) + "\"",
        "events the book could not apply as they stand, by reason", bs.errors[static_cast<std::size_t>(e)]);
  add("hftd_book_crossed", "", "adds that left a book crossed", bs.crossed);
  add("hftd_book_locked", "", "adds that left a book locked", bs.locked);
  reg_.gauge_fn("hftd_book_live_orders", "", "live orders in all books",
                [&bs] { return static_cast<std::int64_t>(bs.live_orders.get()); });
  const CleanStage& cs = engine.stage<CleanStage>();
  for (std::size_t r = 0; r < clean::kRuleCount; ++r)
    add("hftd_clean_fired", std::string("rule=\"") + clean::Cleaner::rule_name(static_cast<clean::Rule>(r)) + "\"",
        "events on which a cleaning rule fired, by rule", cs.fired[r]);
  const FeatureStage& fs = engine.stage<FeatureStage>();
  add("hftd_features_nonfinite_replaced", "", "feature values that were NaN or infinite and were replaced by 0 (checked when values are read)", fs.nonfinite);
  add("hftd_features_invalid_book", "", "events after which the book was empty on a side, locked or crossed", fs.invalid_book);
  add("hftd_features_over_capacity", "", "events of instruments past system.max_instruments (no features)", fs.over_capacity);
  add("hftd_features_model_swaps", "", "statistical-model refits swapped into the features (features.models)", fs.model_swaps);
  add("hftd_features_model_waited", "", "replays: model refits not done by their swap time, fitted on the hot thread", fs.model_waited);
  const RegimeStage& rs = engine.stage<RegimeStage>();
  add("hftd_regime_instruments", "", "instruments with a regime detector", rs.instruments);
  reg_.gauge_fn("hftd_regime_stressed_instruments", "", "instruments whose volatility regime is stressed",
                [&rs] { return static_cast<std::int64_t>(rs.stressed.get()); });
  add("hftd_regime_over_capacity", "", "events of instruments past system.max_instruments (no regime state, unlabelled)", rs.over_capacity);
  add("hftd_regime_late", "", "grid batches after which a live feed's label stayed older because the regime thread was behind", rs.late);
  add("hftd_regime_ring_full", "", "live feed: grid samples dropped because the ring to the regime thread was full", rs.ring_full);
  add("hftd_regime_garch_swaps", "", "GARCH parameter sets swapped into regime detectors", rs.garch_swaps);
  const PredictStage& ps = engine.stage<PredictStage>();
  add("hftd_predictions", "", "predictions made by the prediction stage", ps.made_out);
  add("hftd_predictions_labelled", "", "predictions whose label has arrived (online accuracy, log-loss)", ps.labelled_out);
  reg_.gauge_fn("hftd_model_versions_refused", "", "model store versions refused at start (checksum, schema, parse; /status says why)",
                [&ps] { return static_cast<std::int64_t>(ps.load.refusals.size()); });
  const GarchRefits& gr = *rs.refits;
  for (const auto* fc : {&gr.bg, &gr.fg}) {
    const std::string l = fc == &gr.bg ? "thread=\"refit\"" : "thread=\"regime\"";
    derived_.emplace_back(&reg_.counter("hftd_regime_garch_fits", l, "GARCH maximum-likelihood refits made that were usable, by the thread that fitted (a fit the regime thread copies at its swap time is made twice)"),
                          [fc] { return fc->fitted(); });
    derived_.emplace_back(&reg_.counter("hftd_regime_garch_fit_failures", l, "GARCH refits that did not converge or were refused (parameters kept)"),
                          [fc] { return fc->failed(); });
    for (std::size_t k = 0; k < regime::kFitStatusCount; ++k)
      add("hftd_regime_garch_fit_outcomes", l + ",status=\"" + regime::fit_status_name(static_cast<regime::FitStatus>(k)) + "\"",
          "GARCH refits by outcome (ok, or why the fit was refused or skipped)", fc->by_status[k]);
  }
  add("hftd_regime_garch_swap_waits", "", "replays: GARCH swaps whose fit was not done at its event time (fitted at the swap)",
      gr.waited);
  const StrategyStage& st = engine.stage<StrategyStage>();
  if (st.manager) {  // the strategies' figures so far (paper trading live, or a replay)
    for (std::size_t i = 0; i < st.manager->size(); ++i) {
      const StrategyFigures* f = &st.figures[i];
      const std::string l = "strategy=\"" + st.manager->spec(i).name + "\"";
      auto real = [&](const char* fam, const char* help, const std::atomic<double>& v) {
        reg_.gauge_fn_real(fam, l, help, [&v] { return v.load(std::memory_order_relaxed); });
      };
      real("hftd_strategy_pnl_net", "net P&L so far (realized + unrealized - fees), currency", f->net);
      real("hftd_strategy_pnl_realized", "realized P&L so far, currency", f->realized);
      real("hftd_strategy_pnl_unrealized", "unrealized P&L at the mid, currency", f->unrealized);
      real("hftd_strategy_fees", "fees paid so far (negative: rebates), currency", f->fees);
      real("hftd_strategy_drawdown", "net P&L below its peak now, currency", f->drawdown);
      real("hftd_strategy_max_drawdown", "largest drawdown so far, currency", f->max_drawdown);
      real("hftd_strategy_sharpe", "Sharpe ratio so far of the 1 s net P&L changes, annualised by sqrt(252 x 23400)", f->sharpe);
      real("hftd_strategy_sortino", "Sortino ratio so far of the 1 s net P&L changes, annualised by sqrt(252 x 23400)", f->sortino);
      real("hftd_strategy_win_rate", "winning round trips / closed round trips", f->win_rate);
      real("hftd_strategy_profit_factor", "sum of winning round trips / sum of losing ones", f->profit_factor);
      real("hftd_strategy_traded_notional", "traded notional so far, currency", f->gross);
      add("hftd_strategy_orders", l, "new orders the strategy sent", f->orders);
      add("hftd_strategy_fills", l, "fills of the strategy's orders", f->fills);
      add("hftd_strategy_round_trips", l, "closed round trips (position back to or through zero)", f->round_trips);
      reg_.gauge_fn("hftd_strategy_halted", l, "1 while a breaker or the kill switch halts the strategy",
                    [f] { return static_cast<std::int64_t>(f->halted.get()); });
    }
    const PredictionFigures* p = &st.prediction;
    reg_.gauge_fn_real("hftd_prediction_accuracy", "", "accuracy of the predictions labelled so far",
                       [p] { return p->accuracy.load(std::memory_order_relaxed); });
    reg_.gauge_fn_real("hftd_prediction_log_loss", "", "mean log-loss of the predictions labelled so far",
                       [p] { return p->log_loss.load(std::memory_order_relaxed); });
    reg_.gauge_fn_real("hftd_prediction_mean_confidence", "", "mean confidence of the predictions so far",
                       [p] { return p->mean_confidence.load(std::memory_order_relaxed); });
  }
  const OrderMirror& om = engine.order_counters();
  add("hftd_orders_sent", "", "order intents from the strategy stages", om.sent);
  add("hftd_orders_accepted", "", "order intents that passed the risk gate and went to the order sink", om.accepted);
  add("hftd_orders_rejected", "", "order intents rejected by the risk gate or the router", om.rejected);
  add("hftd_exec_reports", "", "execution reports delivered to the stages", om.reports);
  add("hftd_timers_fired", "", "timers and execution reports the scheduler delivered", om.timers_fired);
  add("hftd_scheduler_full", "", "timers or reports refused because the scheduler was full", om.scheduler_full);
  add("hftd_clock_backwards", "", "market events older than the clock (time not followed back)", om.clock_backwards);
  add("hftd_source_decoded_events", "", "events produced by the market data source", engine.source_counters().events);
  for (const auto& tp : engine.threads()) {
    const ThreadState& t = *tp;
    const std::string l = "thread=\"" + t.layout.name + "\"";
    add("hftd_thread_events", l, "events handled by a hot thread", t.events);
    add("hftd_thread_batches", l, "batches handled by a hot thread", t.batches);
    add("hftd_thread_idle_loops", l, "loops of a hot thread that found no work", t.idle_loops);
    add("hftd_ring_dropped", l, "events dropped because the ring to the next thread was full (policy drop)", t.ring_drops);
    add("hftd_ring_full", l, "times the ring to the next thread was found full", t.ring_full_waits);
    add("hftd_filtered", l, "events a stage ended early", t.filtered);
    reg_.gauge_fn("hftd_thread_pinned_cpu", l, "cpu a hot thread is pinned to (-1 = not pinned)",
                  [&t] { return static_cast<std::int64_t>(t.pinned_cpu.load(std::memory_order_relaxed)); });
    reg_.gauge_fn("hftd_log_dropped", l, "binary log records dropped because the log ring was full",
                  [&t] { return static_cast<std::int64_t>(t.log->dropped()); });
  }
  for (std::size_t i = 0; i < engine.ring_count(); ++i) {
    const std::string l = "ring=\"" + engine.threads()[i]->layout.name + "->" + engine.threads()[i + 1]->layout.name + "\"";
    reg_.gauge_fn("hftd_ring_depth", l, "events waiting in a ring between threads",
                  [&engine, i] { return static_cast<std::int64_t>(engine.ring_depth(i)); });
    reg_.gauge_fn("hftd_ring_capacity", l, "slots of a ring between threads",
                  [&engine, i] { return static_cast<std::int64_t>(engine.ring_capacity(i)); });
  }
  for (std::size_t s = 0; s <= Engine::kStages; ++s)
    reg_.histogram("hftd_stage_latency", "stage=\"" + std::string(Engine::stage_name(s)) + "\"",
                   &engine.stage_latency(s), "time spent in a stage per event (feed: per event, amortised over its batch)");
  reg_.histogram("hftd_end_to_end_latency", "", &engine.end_to_end_latency(),
                 "from the feed releasing an event to the end of the hot path");
  reg_.gauge_fn("hftd_resident_memory_bytes", "", "resident set size", [] { return resident_bytes(); });
}

void EngineMetrics::sync() {
  for (auto& [dst, src] : counters_) dst->set(src->get());
  for (auto& [dst, f] : derived_) dst->set(f());
  const SourceMirror& m = engine_.source_counters();
  const std::size_t n = m.n.load(std::memory_order_acquire);
  while (source_.size() < n) {
    const std::size_t i = source_.size();
    const std::string* name = m.name[i].load(std::memory_order_relaxed);
    const bool err = m.is_error[i].load(std::memory_order_relaxed);
    source_.push_back(&reg_.counter(err ? "hftd_source_errors" : "hftd_source_counts",
                                    (err ? "reason=\"" : "counter=\"") + *name + "\"",
                                    err ? "market data input rejected, by reason (pcap, udp, mold, itch)"
                                        : "market data input units seen, by kind (pcap, udp, mold, itch)"));
  }
  for (std::size_t i = 0; i < n; ++i) source_[i]->set(m.value[i].get());
}

}  // namespace hft::engine
