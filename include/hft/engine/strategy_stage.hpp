// The order stages after prediction (step 7 and the simulated venue):
//  - StrategyStage runs the strategy manager (strategy/manager.hpp) on every event, hands it
//    execution reports and timers, feeds the circuit breakers what only the hot path sees (a
//    traded instrument going stale or halting, the model's online scores) and marks positions
//    to the mid; every order the strategies send goes through the router's risk gate.
//  - SimStage hosts the simulated exchange (sim/exchange.hpp) when simulator.enabled and no
//    other venue was given: it becomes the router's order sink, takes its order-arrival timers
//    and sees every market event right after the book applied it (queue positions, fills).
// Both read the books, so they run on the book's thread, and take reports or timers, so that is
// the last thread of the layout (the engine checks both).
// May touch: strategy/, sim/, engine/.
#pragma once
#include <atomic>
#include <memory>
#include <string_view>

#include "hft/engine/envelope.hpp"
#include "hft/engine/pipeline.hpp"
#include "hft/telemetry/histogram.hpp"
#include "hft/sim/exchange.hpp"
#include "hft/strategy/manager.hpp"

namespace hft::report { class Recorder; }

namespace hft::engine {

// What the control thread shows of each strategy while it trades (/metrics, /status): copied by
// the order thread at publish points. Sharpe and Sortino so far are of the 1-second changes of net
// P&L in exchange time, annualised by sqrt(252 x 23,400) like the report's.
struct StrategyFigures {
  std::atomic<double> net{0}, realized{0}, unrealized{0}, fees{0}, drawdown{0}, max_drawdown{0};
  std::atomic<double> sharpe{0}, sortino{0}, win_rate{0}, profit_factor{0}, gross{0};
  RelaxedCounter orders, fills, round_trips, halted;
};
// The model as the strategies see it (the recorder's scores of every label so far).
struct PredictionFigures {
  std::atomic<double> accuracy{0}, log_loss{0}, mean_confidence{0};
  RelaxedCounter predictions, labels;
};

// The order router's risk side from config.yml (risk_management, simulator.fees).
RouterConfig router_config(const config::Config& cfg, bool live = false);  // live: pools prefaulted

struct StrategyStage {
  static constexpr std::string_view kName = "strategy";
  static constexpr bool kReadsBook = true;
  // Reload: the risk limits, breaker thresholds and fees, handed to the router at a safe point
  // on the order thread (per-symbol limits resolved again for the instruments seen). The
  // strategies themselves are built at start (a change to strategies: needs a restart).
  struct Settings {
    risk::RiskSettings limits;
    risk::BreakerSettings breakers;
    oms::FeeSchedule fees;
  };
  static Settings settings(const config::Config& c) {
    const RouterConfig rc = router_config(c);
    return {rc.limits, rc.breakers, rc.oms.fees};
  }
  void apply(const Settings& s) noexcept;
  explicit StrategyStage(StageEnv& env);
  bool on_event(Envelope& e) noexcept;
  void on_exec(const ExecReport& r) noexcept;
  void on_timer(const TimerFire& f) noexcept;
  void publish() noexcept;

  const book::Books* books = nullptr;
  const features::FeatureEngine* features = nullptr;
  OrderRouter* router = nullptr;
  const OnlineScore* online = nullptr;
  report::Recorder* recorder = nullptr;        // a replay's report (null: none)
  double ns_per_tick = 1.0;
  Nanos trade_from = INT64_MIN;                // backtests: strategies act from this exchange time on
  bool stale_trips = true;                     // risk_management.circuit_breakers.stale_feed
  bool live_latency = false;                   // latency breaker: live feeds only (replays must not
                                               // depend on the machine's speed)
  std::unique_ptr<strategy::Manager> manager;  // null: no strategies configured
  // Feed release to the first order of the event leaving the risk gate (events that sent one).
  telemetry::LatencyHistogram tick_to_order;
  RelaxedCounter events, trips;
  std::unique_ptr<StrategyFigures[]> figures;  // one per strategy (manager->size())
  PredictionFigures prediction;

 private:
  void after_strategies(const MarketEvent& ev, std::size_t n, const std::uint16_t* subs) noexcept;
  void notify_trips(Nanos now) noexcept;
  void feed_labels(Nanos now) noexcept;
  void sample_intervals(Nanos ts) noexcept;
  // Per strategy: the 1-second net P&L changes so far (Welford), the peak and the drawdown.
  struct Interval {
    double last = 0, n = 0, mean = 0, m2 = 0, down2 = 0, peak = 0, max_dd = 0;
  };
  std::vector<Interval> intervals;
  Nanos next_sample = INT64_MIN;
  std::vector<std::uint8_t> notified;  // per strategy: its halt was passed on
  std::uint64_t trips_seen = 0, labels_seen = 0, hits_seen = 0;
  double ll_seen = 0;
};

struct SimStage {
  static constexpr std::string_view kName = "sim";
  static constexpr bool kReadsBook = true;
  explicit SimStage(StageEnv& env);
  bool on_event(Envelope& e) noexcept {
    if (exchange) exchange->on_market(e.ev, *sched);
    return true;
  }
  void on_timer(const TimerFire& f) noexcept {
    if (exchange) exchange->on_timer(f, *sched);
  }
  void on_exec(const ExecReport&) noexcept {}  // (reports are the router's and strategies')
  Scheduler* sched = nullptr;
  std::unique_ptr<sim::Exchange> exchange;  // null: simulator off, or another venue given
};

}  // namespace hft::engine
