// RegimeDetector: the regime stage. Samples the mid price on a fixed event-time grid, turns it
// into log returns and runs GARCH(1,1), realised-volatility terciles, variance ratio, rolling
// AR(1) and BOCPD on them; outputs a label, its scores (doubles, usable as model features) and a
// gate for later stages. Touches only its own state: no threads, no I/O.
//
// Sampling: the mid of grid time g is the last mid with timestamp <= g (previous tick), so a
// sample never uses an event after its grid time; grid g's sample is taken when the first event
// after g arrives. Two modes (RegimeConfig::sample_on):
//  - change (default): a grid point is emitted only when its mid differs from the last emitted
//    sample's, so returns run between successive mid changes and runs of zero returns are
//    skipped (counted in SamplerCounters::flat). On a sparse instrument a fixed grid is mostly
//    zero returns, which collapse the volatility terciles to 0 and push GARCH to a boundary
//    optimum; the sizes of actual moves are what the detectors can use. At most two samples per
//    event (a move before a gap, and the gap's restart), whatever the gap.
//  - grid: every grid point is emitted; gaps up to max_fill intervals are filled with the
//    unchanged mid (zero returns), up to max_fill + 1 samples per event.
// In both, a gap of more than max_fill intervals without an event restarts the return chain
// without a return across it (counted).
//
// Warm-up: the last `warmup` returns are kept; the warm-up ends when they hold at least
// min_moves non-zero returns and their realised volatilities give positive tercile cut points
// (else it slides on and tries again every rv_window returns; each refusal counted by reason).
// Then the volatility terciles are fixed, the return scale for BOCPD is fixed, and (unless
// parameters were already given) GARCH is fitted once on the warm-up returns, kept only when
// usable (GarchFit::usable, the refits' rule). That fit allocates and costs a few milliseconds
// once; refits belong on a background thread: copy_returns() -> fit_garch() ->
// set_garch_params(). After warm-up on_mid() does not allocate.
#pragma once
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "hft/core/types.hpp"
#include "hft/regime/bocpd.hpp"
#include "hft/regime/garch.hpp"
#include "hft/regime/mean_reversion.hpp"
#include "hft/regime/vol_regime.hpp"

namespace hft::regime {

enum class VolRegime : std::uint8_t { Calm = 0, Normal = 1, Stressed = 2 };
enum class TrendRegime : std::uint8_t { MeanReverting = 0, Neutral = 1, Trending = 2 };
// What later stages should do: quote normally, widen quotes, or stop opening risk.
enum class Gate : std::uint8_t { Normal = 0, Widen = 1, Stop = 2 };

const char* to_string(VolRegime v) noexcept;
const char* to_string(TrendRegime v) noexcept;
const char* to_string(Gate v) noexcept;

// Which grid points become samples (see the top of this file).
enum class SampleOn : std::uint8_t { Change = 0, Grid = 1 };
const char* to_string(SampleOn v) noexcept;

struct RegimeConfig {
  Nanos interval = 1'000'000'000;  // sampling grid (event time)
  std::size_t max_fill = 60;       // longest gap (in intervals) without a restart (grid: filled
                                   // with zero returns)
  SampleOn sample_on = SampleOn::Change;
  std::size_t warmup = 600;        // returns before labels; raised to fit the windows below
  // Non-zero returns the warm-up must hold before it may end, and a GARCH fit's window before
  // it is made (FitOptions::min_moves). 100: GARCH estimates four parameters from the sizes of
  // moves, and the variance of 100 moves is known to about +-15% (sqrt(2/100)) even for
  // Gaussian moves; far fewer leave the tercile cut points and the fit to a handful of moves.
  // Small beside the 600-return warm-up, so it does not delay a liquid instrument.
  std::size_t min_moves = 100;
  std::size_t rv_window = 60;      // realised volatility
  std::size_t vr_window = 300;     // variance ratio window and horizon q
  std::size_t vr_q = 5;
  std::size_t ar_window = 300;     // AR(1) pairs
  double trend_z = 1.96;           // |VR z| beyond which (with the AR(1) sign agreeing) a trend
                                   // or mean-reversion label is given
  std::size_t cp_hold = 30;        // samples a detected change keeps the gate raised
  std::size_t refit_window = 3600; // returns kept for a background GARCH refit
  bool fit_garch_at_warmup = true;
  FitOptions garch_fit{};
  BocpdConfig bocpd{};             // on returns divided by the warm-up standard deviation
};

// Scores, all doubles, NaN until warm-up ends. Order and names fixed (kRegimeScoreNames).
struct RegimeScores {
  double garch_sigma;  // GARCH one-step forecast of the next return's standard deviation
  double rv;           // realised volatility over rv_window returns
  double vol_rank;     // empirical CDF of rv within the warm-up sample, 0..1
  double vr;           // variance ratio VR(q)
  double vr_z;         // its z statistic
  double ar1_phi;      // rolling AR(1) coefficient of returns
  double cp_prob;      // BOCPD P(run length < recent)
  double run_length;   // BOCPD MAP run length, in samples
};
inline constexpr std::size_t kRegimeScoreCount = 8;
inline constexpr std::array<const char*, kRegimeScoreCount> kRegimeScoreNames{
    "regime_garch_sigma", "regime_rv", "regime_vol_rank", "regime_vr",
    "regime_vr_z", "regime_ar1_phi", "regime_cp_prob", "regime_run_length"};
static_assert(sizeof(RegimeScores) == kRegimeScoreCount * sizeof(double));

struct RegimeState {
  bool ready = false;                 // warm-up done
  VolRegime vol = VolRegime::Normal;
  TrendRegime trend = TrendRegime::Neutral;
  bool change_point = false;          // BOCPD reported a change at the last sample
  std::uint64_t samples_since_change = ~std::uint64_t{0};
  Gate gate = Gate::Widen;            // Widen until warm-up ends
  RegimeScores scores{};
  Nanos sample_ts = 0;                // grid time of the last sample
  std::uint64_t returns = 0;          // returns processed
};

struct SamplerCounters {
  std::uint64_t mids = 0;          // on_mid calls accepted
  std::uint64_t bad_mid = 0;       // non-finite or non-positive mid (ignored)
  std::uint64_t ts_backwards = 0;  // timestamp before the previous one (ignored)
  std::uint64_t filled = 0;        // grid intervals filled with the unchanged mid
  std::uint64_t gaps = 0;          // gaps longer than max_fill (return chain restarted)
  std::uint64_t flat = 0;          // change mode: grid points skipped, mid as last emitted
  SamplerCounters& operator+=(const SamplerCounters& o) noexcept {
    mids += o.mids;
    bad_mid += o.bad_mid;
    ts_backwards += o.ts_backwards;
    filled += o.filled;
    gaps += o.gaps;
    flat += o.flat;
    return *this;
  }
};

// One grid point's mid. restart: no return from the previous sample (a gap longer than
// max_fill lies between them).
struct GridSample {
  Nanos grid;
  double mid;
  bool restart;
};

// The sampling half of the detector (see above): a few compares per mid, so that it can run on
// the hot thread while the detector runs elsewhere (engine::RegimeStage). Touches only itself.
class GridSampler {
 public:
  GridSampler(Nanos interval, std::size_t max_fill, SampleOn on = SampleOn::Change) noexcept
      : interval_(interval), on_(on), max_fill_(max_fill) {}
  explicit GridSampler(const RegimeConfig& c) noexcept : GridSampler(c.interval, c.max_fill, c.sample_on) {}
  // Calls emit(GridSample) for the grid points that ts passes (change mode: only those whose
  // mid moved, at most two); returns how many.
  template <class Emit>
  int on_mid(Nanos ts, double mid, Emit&& emit) noexcept;
  const SamplerCounters& counters() const noexcept { return cnt_; }
  SampleOn mode() const noexcept { return on_; }

 private:
  template <class Emit>
  int on_grid_points(Nanos k, Emit& emit) noexcept;  // k >= 1 grid points carrying last_mid_

  // What every mid reads or writes first, then the counters (`mids` is their first field), then
  // what only a grid point reads: a mid touches one cache line of an engine's regime channel.
  Nanos interval_;
  Nanos last_ts_ = 0, next_grid_ = 0;
  double last_mid_ = 0;
  SampleOn on_;
  bool started_ = false;
  SamplerCounters cnt_;
  std::size_t max_fill_;
  double emitted_mid_ = std::numeric_limits<double>::quiet_NaN();  // NaN: nothing emitted yet
};

struct RegimeCounters {
  std::uint64_t garch_fit_failed = 0;  // warm-up fit not usable: variance-targeting fallback used
  std::array<std::uint64_t, kFitStatusCount> garch_fit{};  // warm-up fits by FitStatus (the reason)
  // Warm-up end refused (tried when the window is full, then every rv_window returns):
  std::uint64_t warmup_too_few_moves = 0;  // fewer than min_moves non-zero returns in it
  std::uint64_t warmup_flat_vol = 0;       // a volatility tercile cut point at 0 (degenerate)
  std::uint64_t garch_swaps = 0;       // set_garch_params accepted
  std::uint64_t garch_rejected = 0;    // set_garch_params refused (invalid or boundary parameters)
};

class RegimeDetector {
 public:
  // Its windows and tables come from mr (a pool of detectors passes its arena).
  explicit RegimeDetector(const RegimeConfig& cfg = {}, std::pmr::memory_resource* mr = std::pmr::get_default_resource());

  // Feeds a mid price at event time ts; returns the number of returns processed by this call.
  // The same as sampling with a GridSampler of this config and calling on_sample.
  int on_mid(Nanos ts, double mid) noexcept;
  // One grid sample (from a GridSampler elsewhere); true if it made a return.
  bool on_sample(const GridSample& s) noexcept;
  const RegimeState& state() const noexcept { return st_; }
  Gate gate() const noexcept { return st_.gate; }
  const RegimeCounters& counters() const noexcept { return cnt_; }
  // Those of on_mid's own sampler (zero when fed by on_sample).
  const SamplerCounters& sampler_counters() const noexcept { return sampler_.counters(); }
  const RegimeConfig& config() const noexcept { return cfg_; }

  // Background refit support (call copy_returns on the owning thread, fit elsewhere, hand the
  // result back to the owning thread).
  void copy_returns(std::vector<double>& out) const { returns_.copy_to(out); }
  bool set_garch_params(const GarchParams& p) noexcept;
  const GarchParams& garch_params() const noexcept { return garch_.params(); }
  double return_scale() const noexcept { return scale_; }
  const Bocpd& bocpd() const noexcept { return bocpd_; }

 private:
  void on_return(double r) noexcept;
  void warm_push(double r) noexcept;
  void try_finish_warmup();
  bool learn_terciles();
  void finish_warmup();
  void update_state() noexcept;

  RegimeConfig cfg_;
  RollingRealizedVol rv_;
  RollingRealizedVol warm_rv_;  // the realised volatilities along the warm-up (learn_terciles)
  QuantileRegimes vq_;
  RollingVarianceRatio vr_;
  RollingAR1 ar_;
  Bocpd bocpd_;
  GarchFilter garch_;
  Ring returns_;
  Ring warm_;                       // the last `warmup` returns, until the warm-up ends
  std::size_t warm_moves_ = 0;      // non-zero returns in warm_
  std::size_t warm_wait_ = 1;       // returns until the next try (once warm_ is full)
  std::pmr::vector<double> warm_buf_;  // warm_ in order, for the warm-up's fit (reserved)
  bool have_params_ = false;
  double scale_ = 1;

  GridSampler sampler_;
  double prev_sample_mid_ = 0;
  bool have_prev_sample_ = false;
  RegimeState st_;
  RegimeCounters cnt_;
};

template <class Emit>
int GridSampler::on_mid(Nanos ts, double mid, Emit&& emit) noexcept {
  if (!(mid > 0) || !std::isfinite(mid)) {
    ++cnt_.bad_mid;
    return 0;
  }
  if (started_ && ts < last_ts_) {
    ++cnt_.ts_backwards;
    return 0;
  }
  ++cnt_.mids;
  if (!started_) {
    started_ = true;
    next_grid_ = floor_div(ts, interval_) * interval_;
    if (next_grid_ < ts) next_grid_ += interval_;
    last_ts_ = ts;
    last_mid_ = mid;
    return 0;
  }
  int n = 0;
  if (ts > next_grid_) {
    // Grid points strictly before ts all carry last_mid_ (the mid in effect at each of them).
    n = on_grid_points((ts - next_grid_ - 1) / interval_ + 1, emit);
  }
  last_ts_ = ts;
  last_mid_ = mid;
  return n;
}

template <class Emit>
int GridSampler::on_grid_points(Nanos k, Emit& emit) noexcept {
  const bool gap = static_cast<std::uint64_t>(k - 1) > max_fill_;
  const bool change = on_ == SampleOn::Change;
  int n = 0;
  if (change && last_mid_ != emitted_mid_) {
    // The first of the k points carries the move (a return within the chain, before any gap).
    emit(GridSample{next_grid_, last_mid_, false});
    ++n;
  }
  if (gap) {
    ++cnt_.gaps;
    emit(GridSample{next_grid_ + (k - 1) * interval_, last_mid_, true});  // no return across it
    ++n;
  } else if (change) {
    cnt_.flat += static_cast<std::uint64_t>(k - n);
  } else {
    cnt_.filled += static_cast<std::uint64_t>(k - 1);
    for (Nanos j = 0; j < k; ++j) {
      emit(GridSample{next_grid_ + j * interval_, last_mid_, false});
      ++n;
    }
  }
  next_grid_ += k * interval_;
  if (n > 0) emitted_mid_ = last_mid_;
  return n;
}

}  // namespace hft::regime
