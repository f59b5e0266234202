// Streaming microstructure features (step 2): per instrument, in event time, O(1) per event and
// no allocation after an instrument's first event. Called after the book applied the event.
// Groups: book (mid, micro-price, spread, depth, imbalance, OFI, queue rates), flow (signed
// volume, trade imbalance, intensities, add/cancel rates, Hawkes), statistical (realized
// volatility, momentum, autocorrelation, z-score), technical (VWAP, volume momentum, range
// position) and time (cyclic time of day, session clock, day of week, session flags).
//
// May touch: core/, book/ (reads Books only), model/ (the models group: stat_models.hpp).
//
// Time decay (exactly): every decayed quantity is S(t) = sum over contributing events i with
// t_i <= t of x_i * exp(-(t - t_i) / tau), t = the instrument's clock in seconds: the running
// maximum of ev.ts_exch since the instrument's last restart (a timestamp that goes back by at
// most max_backwards is counted and taken as the clock).
// Kept as U = S(t) exp((t - t0) / tau) for a per-instrument base time t0, so that an event adds
// x exp((t - t0) / tau) to the sums it contributes to and touches no other; a read gives U times
// exp(-(t - t0) / tau); t0 moves up to the clock every ~200 tau. Rates are S / tau (per second).
// Exact for irregular arrivals: it equals the direct sum over past events (tests).
//
// Sessions and discontinuities (per instrument, in ts_exch, counted in FeatureCounters):
//  - session: sessions start at session_open local time each day: session index =
//    floor((clock + shift - session_open) / 24 h), shift = utc_offset for epoch stamps
//    (ts_exch_epoch, DBN), 0 for stamps since midnight (ITCH, LOBSTER: a later day's stamps
//    there come after a step back or a gap, below). When the clock enters another session the
//    session features start again: VWAP, range (high, low) and the z-score (anchor, decayed
//    moments). session_resets.
//  - restart: an event more than max_gap after the clock, or more than max_backwards before
//    it, starts the instrument's time-based state again at its stamp: every decayed sum,
//    Hawkes sum and market-order tracking, the return chain and the session features (the gap
//    is not filled). gap_restarts, backwards_restarts. The cost is that of clearing the
//    state, whatever the gap; a gap up to max_gap costs one rebase (below).
//  - snapshot events (evflag::kSnapshot: a feed's book snapshot, stamped with the snapshot's
//    receive time) only build the book: they move no clock and add to no sum (no order flow,
//    execution, VWAP, return, range or session change); the book features and the time
//    features (of the event's stamps) show them. snapshot_events.
// Stamps at the ends of the int64 range are handled without overflow (clamped local times).
//
// Book validity: book_valid = 1 when both sides have a level and best bid < best ask. Else
// (empty side, locked or crossed book) mid = the last valid mid (or the one present best price,
// or 0), wmid = microprice = mid, spread 0 when a side is empty; returns, volatility, z-score
// and range only use valid books. No NaN or inf is ever emitted: a non-finite value (or one
// beyond the float range) is replaced by 0 in both the double and float outputs and counted
// (counters().nonfinite_replaced, counted when the values are read).
//
// The features, in output order ({h} = each horizon, e.g. 1s 10s 60s; "mid horizon" = the
// second horizon (the only one if there is one), "long" = the last; prices in currency units,
// P = price, Q = quantity, b/a = bid/ask, level 1 = best; S_h = decayed sum at horizon h):
//  book  mid (Pb1+Pa1)/2 | wmid (Pb1*QaN + Pa1*QbN)/(QbN+QaN), QxN = depth to level N |
//        microprice (Pb1*Qa1 + Pa1*Qb1)/(Qb1+Qa1) | spread_ticks, spread_bps (of mid) |
//        book_valid | depth_bid_i, depth_ask_i: cumulative quantity to level i | imb_i =
//        (QbI-QaI)/(QbI+QaI) on those | ofi_{h}: S_h of the CKS e_n at level 1 (empty bid at
//        price 0, empty ask at +inf) | mlofi_{h}: S_h of the sum of e_n over levels 1..N |
//        qdepl/qrepl_bid/ask: S/tau at the mid horizon of the decrease/increase of the best
//        queue while its price stays (shares per second)
//  flow  svol_{h}: S_h of signed executed quantity (+ when the resting order was a sell) |
//        timb_{h} (B-S)/(B+S) of decayed buyer/seller-initiated quantity | trate_{h}:
//        executions per second | add_rate_bid/ask, cxl_rate_bid/ask: non-synthetic adds and
//        cancels+deletes per second (mid horizon; a side-less cancel takes the side whose top-N
//        depth fell) | hawkes_buy/sell: mu + alpha * sum exp(-beta (t - t_i)) over market
//        orders (executions at one timestamp on one aggressor side are one order; the value
//        includes an order arriving at t)
//  stat  rv_{h}: sqrt(S_h of r^2), r = log-return between consecutive distinct valid mids |
//        mom_{h}: S_h of r | ret_acf1: S(r_i r_i-1)/S(r^2) at the long horizon | zscore:
//        (d - m)/max(sd, 1 tick), d = mid - first valid mid in ticks, m and sd the decayed
//        mean and deviation of d over valid-book events at the long horizon (first valid mid
//        and moments of the session)
//  tech  vwap (all executions with a price, in the session) | vwap_dev_bps (mid - vwap)/vwap |
//        vol_mom log((1 + vol rate at the first horizon)/(1 + at the long one)) | range_pos
//        (mid - low)/(high - low) over valid mids of the session, 0.5 when flat
//  time  tod_sin, tod_cos (24 h cycle) | min_since_open, min_to_close | day_of_week (Mon 0,
//        -1 unknown) | pre_open, open_first, close_last (within session_edge), post_close |
//        halted (last Status event Halted or Paused)
// Ratios whose decayed event count is below 1e-6 (no such event within ~14 tau) are 0.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/event.hpp"
#include "hft/core/page_arena.hpp"
#include "hft/core/types.hpp"
#include "hft/features/stat_models.hpp"

namespace hft::features {

inline constexpr std::size_t kMaxFeatures = 128;
inline constexpr std::size_t kMaxHorizons = 4;
inline constexpr std::size_t kMaxLevels = 10;

struct FeatureSchema {
  std::vector<std::string> names;
  std::uint64_t hash = 0;  // FNV-1a 64 over the names joined by '\n', in order
};
std::uint64_t schema_hash(const std::vector<std::string>& names) noexcept;

struct FeatureVector {
  std::array<float, kMaxFeatures> v{};
  std::uint16_t n = 0;
  std::uint64_t schema_hash = 0;
  Nanos ts = 0;
  InstrumentId instrument = 0;
};
static_assert(std::is_trivially_copyable_v<FeatureVector>);

struct FeatureConfig {
  bool book = true, flow = true, stat = true, tech = true, time = true;  // groups on
  std::vector<double> horizons_s{1.0, 10.0, 60.0};  // time constants tau (s), 1..kMaxHorizons
  std::size_t levels = 5;                           // depth levels N, 1..kMaxLevels
  Price tick = 100;                                 // price units ($0.01)
  Nanos session_open = 34'200'000'000'000;          // 09:30, ns since midnight
  Nanos session_close = 57'600'000'000'000;         // 16:00
  Nanos session_edge = 300'000'000'000;             // "first/last N minutes" flags: 5 min
  // ts_exch since the Unix epoch (DBN) instead of since midnight: time of day is then
  // (ts_exch + utc_offset) mod 24 h.
  bool ts_exch_epoch = false;
  Nanos utc_offset = 0;                             // e.g. -4 h for New York in summer; |.| <= 24 h
  // Day of week: from ts_recv when it is an epoch time (> 1e17 ns, after 1973), shifted by
  // utc_offset; else from this date (YYYYMMDD); 0 = unknown (feature -1).
  int date_yyyymmdd = 0;
  // Hawkes intensity of market orders per side: mu + alpha * sum exp(-beta (t - t_i)).
  double hawkes_mu = 0.1, hawkes_alpha = 1.0, hawkes_beta = 2.0;
  // Discontinuities that restart an instrument's time-based state (see the top): a step
  // forward of more than max_gap (> 0), a step back of more than max_backwards (>= 0).
  Nanos max_gap = 3'600'000'000'000;                // 1 h
  Nanos max_backwards = 0;                          // any step back restarts
  // The statistical models as features (group "models", stat_models.hpp): off by default.
  bool models = false;
  double models_grid_s = 1.0;        // return sampling of ARMA-GARCH and Bayes
  double models_refit_s = 1800;      // event time between an instrument's refits
  double models_swap_lag_s = 60;     // replays: request to swap (<= models_refit_s)
  std::size_t models_window = 2048;  // grid returns kept for the ARMA-GARCH fit
  std::size_t models_orders = 4096;  // market orders kept for the Hawkes fit
  double models_discount = 0.999;    // Bayes forgetting per grid return
  int models_queue_units = 20;       // queue-reactive table size K
  bool models_live = false;          // set by the engine for a live feed: swap when ready
  // Cointegration pairs "Y/X" by symbol (models group): the feature coint_z (stat_models.hpp);
  // legs are named by name_instrument().
  std::vector<std::string> coint_pairs;
  std::size_t coint_window = 1800;   // grid points in the rolling regression
  // The decay factors' exp four lanes at a time in AVX2 when the CPU has it (else SSE2, two at
  // a time); the same bits either way (no FMA). Off: tests compare the two.
  bool allow_avx2 = true;
};
// The models group's settings from a feature config (Hawkes prior from hawkes_*).
StatModelConfig stat_model_config(const FeatureConfig& cfg);

// "" when the config is usable, else the reason.
std::string validate(const FeatureConfig& cfg);

struct FeatureCounters {
  std::uint64_t events = 0;
  std::uint64_t instruments_created = 0;   // per-instrument state taken from the pool (first event)
  std::uint64_t over_capacity = 0;         // events of instruments beyond the pool (no features)
  std::uint64_t bad_instrument = 0;        // instrument id >= max_instruments (ignored)
  std::uint64_t time_backwards = 0;        // ts_exch below the instrument's clock (dt = 0)
  std::uint64_t backwards_restarts = 0;    // of those, more than max_backwards back: restart
  std::uint64_t gap_restarts = 0;          // ts_exch more than max_gap after the clock: restart
  std::uint64_t session_resets = 0;        // clock entered another session (no restart)
  std::uint64_t snapshot_events = 0;       // kSnapshot events: applied to nothing time-based
  std::uint64_t nonfinite_replaced = 0;    // NaN/inf values replaced by 0
  std::uint64_t invalid_book = 0;          // events after which the book was not valid
};

class FeatureEngine {
 public:
  // Throws std::invalid_argument with validate()'s reason on a bad config.
  // max_active: instruments with state (a pool mapped here); more are counted (over_capacity).
  // The pool and the table by id are fresh pages: a state is built at its instrument's first
  // event, so that a replay of a few instruments touches a few states (2.5 KB each). prefault
  // (a live feed): every page written at construction, so the hot thread takes no page fault.
  explicit FeatureEngine(const FeatureConfig& cfg, std::size_t max_instruments = 65536, std::size_t max_active = 1024,
                         bool prefault = false);
  ~FeatureEngine();
  FeatureEngine(const FeatureEngine&) = delete;
  FeatureEngine& operator=(const FeatureEngine&) = delete;

  const FeatureSchema& schema() const noexcept { return schema_; }
  const FeatureConfig& config() const noexcept { return cfg_; }
  // Books must already reflect ev. O(1); never allocates (state comes from the pool).
  // Updates the instrument's state (decayed sums, top N of the book, clocks); the output
  // values are computed from that state when read (values(), current()), once per read after
  // an event, not on every event: an event costs the same whether or not anyone reads.
  void on_event(const MarketEvent& ev, const book::Books& books) noexcept;
  // The values after the instrument's latest event. Zero vector (with the schema hash) for an
  // instrument never seen. Single-threaded, like on_event (a read writes the cached outputs).
  const FeatureVector& current(InstrumentId instr) const noexcept;
  std::span<const double> values(InstrumentId instr) const noexcept;
  const FeatureCounters& counters() const noexcept { return counters_; }
  // The models group's state and refit hand-off (null when the group is off): its work() is the
  // background refit thread's (the engine's feature stage runs it).
  StatModels* stat_models() noexcept { return stat_.get(); }
  const StatModels* stat_models() const noexcept { return stat_.get(); }
  // The instrument's symbol, when it is first seen or renamed: makes it a leg of the
  // coint_pairs that name it. Not per event (compares strings); never allocates.
  void name_instrument(InstrumentId id, std::string_view symbol) noexcept;

  struct State;  // per instrument, defined in the .cpp

 private:
  void update(State& s, const MarketEvent& ev, const book::Books& books) noexcept;
  void materialize(State& s) const noexcept;
  void advance_scale(State& s) const noexcept;
  void set_session(State& s) const noexcept;
  void reset_session(State& s) const noexcept;
  void restart(State& s, Nanos t) const noexcept;

  FeatureConfig cfg_;
  FeatureSchema schema_;
  std::size_t n_h_ = 0;
  std::array<double, kMaxHorizons> tau_{};
  std::array<double, kMaxHorizons> inv_tau_{};
  std::size_t mid_h_ = 0;  // horizon used by single-horizon rates
  // Decay rates of the scale factors: 1/tau per horizon, then the Hawkes beta, then 0.
  alignas(32) std::array<double, 2 * kMaxHorizons> rates_{};  // as many as State::g
  double max_rate_ = 0;
  bool avx2_ = false;  // advance_scale's AVX2 path (allow_avx2 and the CPU has it)
  int config_dow_ = -1;
  Nanos local_shift_ = 0;  // ts_exch + this = local time (utc_offset for epoch stamps)
  core::PageArena arena_;                  // the pool and the table below: fresh pages
  State** states_ = nullptr;               // by instrument id (n_states_ of them), into pool_
  std::size_t n_states_ = 0;
  State* pool_ = nullptr;                  // pool_used_ built, the rest zero pages
  std::unique_ptr<StatModels> stat_;       // the models group (pool indices as pool_)
  std::vector<std::pair<std::string, std::string>> pair_names_;  // coint_pairs: (y, x)
  State* state_of(InstrumentId id) noexcept;  // the instrument's state, taken from the pool if new
  std::size_t pool_size_ = 0, pool_used_ = 0;
  FeatureVector empty_fv_{};
  std::array<double, kMaxFeatures> empty_vals_{};
  mutable FeatureCounters counters_;  // nonfinite_replaced is counted on read
};

// Feature names for a config, in output order (the schema the engine uses).
std::vector<std::string> feature_names(const FeatureConfig& cfg);
// Converts n doubles to floats; a value that is NaN, infinite or beyond the float range becomes
// 0 in both arrays. Returns how many were replaced. (The engine replaces the same values in its
// doubles when they are computed on a read, and converts them with this in current().)
std::size_t to_float_checked(double* v, float* out, std::size_t n) noexcept;
// Monday = 0 .. Sunday = 6 for a civil date; -1 for an invalid one.
int day_of_week(int yyyymmdd) noexcept;

}  // namespace hft::features
