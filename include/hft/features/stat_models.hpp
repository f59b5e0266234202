// The statistical models as features (the feature group "models", off by default): per
// instrument, in event time, each model's streaming form on the hot thread and its fit on a
// background thread, swapped in at fixed points of event time in replays.
//
//   hawkes_fit_buy, hawkes_fit_sell  intensities (1/s) of buy and sell market orders under the
//                                    instrument's bivariate Hawkes fit (model/hawkes.hpp) at its
//                                    clock, the event at t included; before its first usable fit
//                                    the configured univariate prior (features.hawkes_*), i.e.
//                                    the values of hawkes_buy / hawkes_sell
//   qr_p_up                          queue-reactive P(next mid move is up | best bid and ask
//                                    queues) (model/queue_reactive.hpp); 0.5 before a fit and
//                                    while the book is not valid
//   ag_mean_bps, ag_vol_bps          ARMA(1,1)-GARCH(1,1) one-step forecast of the next grid
//                                    return: mean and sd in bps (model/arma_garch.hpp); 0 before a
//                                    usable fit
//   bayes_drift_t, bayes_vol_bps     conjugate posterior of the grid returns' drift over its
//                                    scale (a t statistic) and E[sigma] in bps, with forgetting
//                                    (model/bayes_drift_vol.hpp); updated on every grid return
//   coint_z (when pairs are set)     the z-score of the instrument's pair's spread (rolling
//                                    Engle-Granger OLS of log mid y on log mid x over the last
//                                    coint_window grid points of y, model/cointegration.hpp):
//                                    +z for the pair's y, -z for its x (so > 0 reads "rich
//                                    against the pair" for both); 0 until the window is full,
//                                    for instruments in no pair, and while a leg has no mid
//
// Inputs, kept per instrument in rings sized at construction (no allocation per event):
//  - market orders (executions at one timestamp on one aggressor side, as the flow group
//    counts them): the last `orders` (time, side) for the Hawkes fit;
//  - grid returns: log returns of the last valid mid at each multiple of `grid` of the clock
//    (several grid points without an event are zero returns; more than kMaxFill of them start
//    the chain again): the last `window` for the ARMA-GARCH fit;
//  - the best queues' flow while their price stays (the qrepl / qdepl of the book group):
//    increases are limit orders, decreases market orders and cancels. At a refit, from the flow
//    since the previous request, pooled over the sides: unit = mean increase (shares), lambda =
//    increase volume / unit / T / 2, mu + theta = decrease volume / unit / T / 2 (the model's
//    volume rates, as study/queue.hpp; here theta is folded into mu: only their sum matters).
//
// Refits (fit_stat_models, a pure function of its inputs; warm-started from the parameters in
// use): an instrument is due `refit` of event time after its previous request (the first one
// after refit x (1 + (pool index mod 4) / 4), so that instruments starting together are
// spread); at its first event at or after that its inputs are copied
// into a free job slot (at most kPending instruments pending; none is busy-waited for). A
// background thread (work()) fits requested slots. The fitted parameters are swapped in:
//  - replays (live = false): at the instrument's first event at or after request + swap_lag.
//    A fit the thread has not finished by then is made right there by the hot thread (the
//    slot's if not started, else a copy: the same inputs give the same parameters; counted in
//    `waited`). So a replay's values never depend on the threads' timing;
//  - live: at the instrument's first event after the fit is done.
// A swap exchanges containers (the queue table) with the slot: the old one is freed by the
// thread's next fit, never on the hot thread. A failed fit keeps the parameters in use (counted
// by model and status).
// Hawkes swap: the intensity is recomputed from the ring under the new parameters (exact for
// the new model up to orders older than the ring), O(ring) once per refit.
//
// May touch: core/, model/ (hawkes, arma_garch, queue_reactive, bayes_drift_vol, cointegration).
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "hft/core/types.hpp"
#include "hft/model/arma_garch.hpp"
#include "hft/model/bayes_drift_vol.hpp"
#include "hft/model/cointegration.hpp"
#include "hft/model/hawkes.hpp"
#include "hft/model/queue_reactive.hpp"

namespace hft::features {

inline constexpr std::size_t kStatOutputs = 7;

struct StatModelConfig {
  Nanos grid = 1'000'000'000;          // return sampling of ARMA-GARCH and Bayes (ns)
  Nanos refit = 1'800'000'000'000;     // event time between an instrument's refits
  Nanos swap_lag = 60'000'000'000;     // replays: request to swap, event time (<= refit)
  std::size_t window = 2048;           // grid returns kept (ARMA-GARCH fit), >= 200
  std::size_t orders = 4096;           // market orders kept (Hawkes fit), >= 200
  double discount = 0.999;             // Bayes forgetting per grid return, (0, 1]
  int queue_units = 20;                // queue-reactive table size K (units), 1..200
  bool live = false;                   // swap when done (live feed), not in event time
  std::size_t pairs = 0;               // cointegration pairs (legs set by set_pair_leg)
  std::size_t coint_window = 1800;     // grid points in a pair's rolling regression, >= 30
  model::HawkesParams prior{};         // before the first usable fit (valid, dim 2)
};

// What one event tells the models (set by the feature engine after the book applied it).
struct StatEvent {
  Nanos clock = 0;          // the instrument's clock after the event
  bool snapshot = false;    // book building only: nothing time-based
  bool mo_buy = false, mo_sell = false;  // a new market order per aggressor side
  bool valid = false;       // two-sided uncrossed book after the event
  double mid = 0;           // price units, when valid
  Volume best_bid_qty = 0, best_ask_qty = 0;
  Volume bid_change = 0, ask_change = 0;  // best queue's quantity change while its price stayed
};

// The hot thread's (the owner's) counts, all in event time (the same on every run of a replay):
// fits by model as swapped in: usable, or failed (too few inputs or a fit status; the
// parameters in use are kept).
struct StatCounters {
  // busy: due requests deferred because kPending were pending (each counted once)
  std::uint64_t requests = 0, swaps = 0, waited = 0, busy = 0, chain_restarts = 0;
  std::uint64_t hawkes_ok = 0, hawkes_failed = 0, ag_ok = 0, ag_failed = 0, qr_ok = 0, qr_failed = 0;
  std::uint64_t qr_kept = 0;  // rates within 5% of the table in use: not rebuilt (tens of ms)
};

// The inputs of one instrument's refit and its result.
struct StatFitInput {
  std::vector<double> mo_times;        // seconds from the first kept order
  std::vector<std::uint8_t> mo_marks;  // 0 buy, 1 sell aggressor
  double T = 0;                        // seconds from the first kept order to the request
  std::vector<double> returns;         // grid log returns, oldest first
  double repl_qty = 0, depl_qty = 0, flow_seconds = 0;
  std::uint64_t repl_n = 0;
  model::HawkesParams hawkes_warm{};   // the parameters in use: the fits' warm starts
  bool hawkes_fitted = false, ag_fitted = false;
  model::ArmaGarchParams ag_warm{};
  double qr_ratio = 0, qr_unit = 0;    // the table in use (0: none): kept when within 5%
};
struct StatFit {
  bool hawkes_ok = false, ag_ok = false, qr_ok = false, qr_kept = false;
  model::HawkesParams hawkes{};
  model::ArmaGarchParams ag{};
  model::QueueTable qr;
};
// Pure: the same input gives the same fit. Allocates (background thread, or a replay's late
// swap). Hawkes needs >= 100 orders with >= 20 on each side and a stationary fit; ARMA-GARCH
// >= 200 returns and a usable fit; the queue table positive rates (a table whose ratio
// lambda / (mu + theta) and unit are both within 5% of the one in use is kept, not rebuilt).
StatFit fit_stat_models(const StatFitInput& in, int queue_units);

class StatModels {
 public:
  // max_active: instruments with state (pool indices 0..max_active-1, the feature engine's).
  // Throws std::invalid_argument on a bad config (see validate_stat).
  StatModels(const StatModelConfig& cfg, std::size_t max_active);
  ~StatModels();
  StatModels(const StatModels&) = delete;
  StatModels& operator=(const StatModels&) = delete;

  // ---- hot thread (the feature engine's owner): k = the instrument's pool index
  void restart(std::size_t k, Nanos t) noexcept;  // a gap / step back: rings and chains again
  void on_event(std::size_t k, const StatEvent& e) noexcept;
  // The outputs() values at the instrument's clock, in the order above.
  void values(std::size_t k, Nanos clock, bool valid, double* out) const noexcept;
  std::size_t outputs() const noexcept { return kStatOutputs + (cfg_.pairs ? 1 : 0); }
  // Instrument k is the y (or x) leg of pair p (< pairs); a leg set again moves (the pair's
  // window starts again). Not on every event: when an instrument is first named.
  void set_pair_leg(std::size_t p, bool y_leg, std::size_t k) noexcept;
  const StatCounters& counters() const noexcept { return counters_; }
  // The parameters in use for instrument k (reports, tests); the ARMA-GARCH and queue ones only
  // after a usable fit (the flags).
  const model::HawkesParams& hawkes_params(std::size_t k) const noexcept;
  bool arma_garch_fitted(std::size_t k, model::ArmaGarchParams* p = nullptr) const noexcept;
  const model::QueueTable* queue_table(std::size_t k) const noexcept;

  // ---- background thread: fits every requested slot; returns how many it fitted.
  std::size_t work();

  static constexpr std::size_t kPending = 4;
  static constexpr std::size_t kMaxFill = 300;  // zero grid returns filled over a quiet spell

  struct State;  // per instrument, in the .cpp

 private:
  enum SlotState : int { kFree, kRequested, kRunning, kDone, kOrphan };
  struct Slot {
    std::atomic<int> state{kFree};
    std::size_t k = 0;
    Nanos swap_at = 0;
    StatFitInput in;
    StatFit out;
  };
  void request(State& s, std::size_t k, Nanos now) noexcept;
  void poll(State& s, Nanos now) noexcept;
  void apply(State& s, StatFit& f) noexcept;
  void push_return(State& s, double r) noexcept;

  struct Pair;
  StatModelConfig cfg_;
  std::unique_ptr<State[]> st_;
  std::vector<Pair> pairs_;
  std::size_t n_ = 0;
  std::vector<Nanos> mo_t_;            // rings: n_ x orders
  std::vector<std::uint8_t> mo_m_;
  std::vector<double> ret_;            // n_ x window
  std::array<Slot, kPending + 1> slots_;  // + 1: one a late replay swap left to the thread
  std::size_t pending_ = 0;            // the owner's requests not yet swapped in
  StatCounters counters_;
};

// "" when usable, else the reason.
const char* validate_stat(const StatModelConfig& c) noexcept;

}  // namespace hft::features
