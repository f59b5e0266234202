// FeatureEngine: see include/hft/features/features.hpp for the definitions of every feature.
#include "hft/core/scales.hpp"
#include "hft/features/features.hpp"

#include "hft/core/fastmath.hpp"

#include <algorithm>
#include <bit>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <new>
#include <stdexcept>

namespace hft::features {
namespace {

constexpr Nanos kDay = 86'400'000'000'000;
constexpr Nanos kEpochThreshold = 100'000'000'000'000'000;  // 1e17 ns: after 1973
constexpr Price kNoAsk = std::numeric_limits<Price>::max();  // empty ask level (as +inf)
// A ratio of decayed sums is 0 once the decayed count of its events falls below this (no such
// event within about 14 tau): a ratio of vanishing sums is noise, and near underflow it is not
// even accurate.
constexpr double kMinWeight = 1e-6;
constexpr double kTwoPi = 6.283185307179586476925286766559;

// Decayed streams, S(t) = sum_i x_i exp(-(t - t_i)/tau). Kept scaled to the instrument's base
// time t0: U = S(t) exp((t - t0)/tau) = sum_i x_i exp((t_i - t0)/tau), so an event adds
// x * g (g = exp((t - t0)/tau), one vector exp per event for all horizons) to the streams it
// has an increment for and leaves the others alone (no pass over every stream), and a read
// takes S = U / g. t0 moves to the clock (every U multiplied by 1/g, the exact decay since t0)
// before any g exceeds e^kRebaseArg. A stream is kept only at the horizons its features use:
// every horizon, the mid horizon only, or the long one only.
enum Stream : std::size_t {  // at every horizon; in pairs that events add together (State::dec)
  sOfi,      // CKS e_n at the best level
  sMlofi,    // sum over levels 1..N of e_n at level m
  sR2,       // squared mid log-return (at mid changes of a valid book)
  sR,        // mid log-return
  sSvol,     // signed executed quantity (+ buyer-initiated)
  sBuyVol,   // buyer-initiated executed quantity
  sSellVol,  // seller-initiated executed quantity
  sTrades,   // executions (count)
  sSignedN,  // executions with a known aggressor side (count): guards the trade imbalance
  sVol,      // executed quantity (unsigned; used at the first and the long horizon)
  kStreams
};
enum MidStream : std::size_t {  // at the mid horizon only
  mAddB, mAddA,      // non-synthetic adds by side (count)
  mCxlB, mCxlA,      // non-synthetic cancels + deletes by side (count)
  mDeplB, mReplB,    // best bid queue decrease / increase at an unchanged price (shares)
  mDeplA, mReplA,    // best ask likewise
  kMidStreams
};
enum LongStream : std::size_t {  // at the long horizon only
  lRR,       // return times the previous non-zero return
  lW,        // valid-book events (count): weight of the moving mean
  lD,        // mid deviation from the instrument's first valid mid, ticks
  lD2,       // its square
  lRN,       // returns (count): guards the autocorrelation
  kLongStreamsUsed
};
constexpr std::size_t kLongStreams = kLongStreamsUsed;
// The largest exponent (t - t0)/tau of a scale factor g: e^200 = 7e86 leaves the scaled sums
// (shares, squared ticks) far from overflow; with tau = 1 s, t0 moves every 200 s of event time.
constexpr double kRebaseArg = 200;
// Scale factors per instrument: one per horizon and the Hawkes rate, in whole 4-lane vectors.
constexpr std::size_t kScaleLanes = 2 * kMaxHorizons;
static_assert(kMaxHorizons + 1 <= kScaleLanes && kScaleLanes % 4 == 0);

// |x| at or above this converts to an infinite float: 2^128 - 2^103, half way between FLT_MAX
// and 2^128, rounds up (FLT_MAX's significand is odd).
constexpr double kFloatOverflow = 0x1.ffffffp+127;

std::string hlabel(double tau) {
  char b[32];
  std::snprintf(b, sizeof b, "%gs", tau);
  return b;
}

// t + d, clamped to the int64 range: a hostile stamp near an end of the range must not overflow
// (local times, session bounds); real stamps are far from both ends.
Nanos sat_add(Nanos t, Nanos d) noexcept {
  Nanos r;
  if (__builtin_add_overflow(t, d, &r)) return d > 0 ? std::numeric_limits<Nanos>::max() : std::numeric_limits<Nanos>::min();
  return r;
}
// t = day * kDay + r, 0 <= r < kDay, without forming day * kDay (which overflows for t near
// INT64_MIN).
Nanos time_of_day(Nanos t) noexcept {
  const Nanos r = t % kDay;
  return r < 0 ? r + kDay : r;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
long days_from_civil(long y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

}  // namespace

std::uint64_t schema_hash(const std::vector<std::string>& names) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) mix('\n');
    for (char c : names[i]) mix(static_cast<unsigned char>(c));
  }
  return h;
}

std::size_t to_float_checked(double* v, float* out, std::size_t n) noexcept {
  // One branch-free pass: a float whose exponent bits are all ones (inf or NaN, also a finite
  // double beyond the float range) sets bit 31 of (exp + 1 << 23). Packed on SSE2: scalar
  // cvtsd2ss merges into its destination register and chains every iteration on the previous.
  std::uint32_t bad = 0;
  std::size_t i0 = 0;
#if defined(__SSE2__)
  {
    const __m128i m = _mm_set1_epi32(0x7f800000), one = _mm_set1_epi32(0x00800000);
    __m128i acc = _mm_setzero_si128();
    for (; i0 + 4 <= n; i0 += 4) {
      const __m128 f = _mm_movelh_ps(_mm_cvtpd_ps(_mm_loadu_pd(v + i0)), _mm_cvtpd_ps(_mm_loadu_pd(v + i0 + 2)));
      _mm_storeu_ps(out + i0, f);
      acc = _mm_or_si128(acc, _mm_add_epi32(_mm_and_si128(_mm_castps_si128(f), m), one));
    }
    alignas(16) std::uint32_t lanes[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(lanes), acc);
    bad = lanes[0] | lanes[1] | lanes[2] | lanes[3];
  }
#endif
  for (std::size_t i = i0; i < n; ++i) {
    out[i] = static_cast<float>(v[i]);
    bad |= (std::bit_cast<std::uint32_t>(out[i]) & 0x7f800000u) + 0x00800000u;
  }
  std::size_t replaced = 0;
  if (bad & 0x80000000u) [[unlikely]] {
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(out[i])) {
        v[i] = 0.0;
        out[i] = 0.0f;
        ++replaced;
      }
    }
  }
  return replaced;
}

namespace {
// The engine's check, on the doubles: a value that would not convert to a finite float (NaN,
// inf, |x| >= kFloatOverflow) becomes 0; returns how many. The same values to_float_checked
// replaces, so the floats can be converted later, only when they are read.
std::size_t replace_nonfloat(double* v, std::size_t n) noexcept {
  bool bad = false;
  std::size_t i0 = 0;
#if defined(__SSE2__)
  {
    const __m128d abs_mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL));
    const __m128d lim = _mm_set1_pd(kFloatOverflow);
    __m128d acc = _mm_setzero_pd();
    __m128d acc2 = _mm_setzero_pd();
    for (; i0 + 4 <= n; i0 += 4) {  // not-less-than: also true for NaN
      acc = _mm_or_pd(acc, _mm_cmpnlt_pd(_mm_and_pd(_mm_loadu_pd(v + i0), abs_mask), lim));
      acc2 = _mm_or_pd(acc2, _mm_cmpnlt_pd(_mm_and_pd(_mm_loadu_pd(v + i0 + 2), abs_mask), lim));
    }
    bad = _mm_movemask_pd(_mm_or_pd(acc, acc2)) != 0;
  }
#endif
  for (std::size_t i = i0; i < n; ++i) bad |= !(std::fabs(v[i]) < kFloatOverflow);
  std::size_t replaced = 0;
  if (bad) [[unlikely]] {
    for (std::size_t i = 0; i < n; ++i) {
      if (!(std::fabs(v[i]) < kFloatOverflow)) {
        v[i] = 0.0;
        ++replaced;
      }
    }
  }
  return replaced;
}
}  // namespace

int day_of_week(int yyyymmdd) noexcept {
  const int y = yyyymmdd / 10000, m = yyyymmdd / 100 % 100, d = yyyymmdd % 100;
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
  const long days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return static_cast<int>(((days + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday (3)
}

std::vector<std::string> feature_names(const FeatureConfig& c) {
  std::vector<std::string> n;
  std::vector<std::string> hs;
  for (double t : c.horizons_s) hs.push_back(hlabel(t));
  if (c.book) {
    for (const char* s : {"mid", "wmid", "microprice", "spread_ticks", "spread_bps", "book_valid"})
      n.push_back(s);
    for (std::size_t i = 1; i <= c.levels; ++i) n.push_back("depth_bid_" + std::to_string(i));
    for (std::size_t i = 1; i <= c.levels; ++i) n.push_back("depth_ask_" + std::to_string(i));
    for (std::size_t i = 1; i <= c.levels; ++i) n.push_back("imb_" + std::to_string(i));
    for (const auto& h : hs) n.push_back("ofi_" + h);
    for (const auto& h : hs) n.push_back("mlofi_" + h);
    for (const char* s : {"qdepl_bid", "qrepl_bid", "qdepl_ask", "qrepl_ask"}) n.push_back(s);
  }
  if (c.flow) {
    for (const auto& h : hs) n.push_back("svol_" + h);
    for (const auto& h : hs) n.push_back("timb_" + h);
    for (const auto& h : hs) n.push_back("trate_" + h);
    for (const char* s : {"add_rate_bid", "add_rate_ask", "cxl_rate_bid", "cxl_rate_ask",
                          "hawkes_buy", "hawkes_sell"})
      n.push_back(s);
  }
  if (c.stat) {
    for (const auto& h : hs) n.push_back("rv_" + h);
    for (const auto& h : hs) n.push_back("mom_" + h);
    n.push_back("ret_acf1");
    n.push_back("zscore");
  }
  if (c.tech) {
    for (const char* s : {"vwap", "vwap_dev_bps", "vol_mom", "range_pos"}) n.push_back(s);
  }
  if (c.time) {
    for (const char* s : {"tod_sin", "tod_cos", "min_since_open", "min_to_close", "day_of_week",
                          "pre_open", "open_first", "close_last", "post_close", "halted"})
      n.push_back(s);
  }
  if (c.models) {
    for (const char* s : {"hawkes_fit_buy", "hawkes_fit_sell", "qr_p_up", "ag_mean_bps", "ag_vol_bps",
                          "bayes_drift_t", "bayes_vol_bps"})
      n.push_back(s);
    if (!c.coint_pairs.empty()) n.push_back("coint_z");
  }
  return n;
}

StatModelConfig stat_model_config(const FeatureConfig& c) {
  StatModelConfig m;
  auto ns = [](double s) { return static_cast<Nanos>(std::llround(s * 1e9)); };
  m.grid = ns(std::clamp(c.models_grid_s, 0.0, 1e6));
  m.refit = ns(std::clamp(c.models_refit_s, 0.0, 1e6));
  m.swap_lag = ns(std::clamp(c.models_swap_lag_s, 0.0, 1e6));
  m.window = c.models_window;
  m.orders = c.models_orders;
  m.discount = c.models_discount;
  m.queue_units = c.models_queue_units;
  m.live = c.models_live;
  m.pairs = c.coint_pairs.size();
  m.coint_window = c.coint_window;
  m.prior.dim = 2;
  const double mu = std::max(c.hawkes_mu, 1e-12);  // the model needs mu > 0
  m.prior.mu = {mu, mu};
  m.prior.alpha = {{{c.hawkes_alpha, 0.0}, {0.0, c.hawkes_alpha}}};
  m.prior.beta = c.hawkes_beta;
  return m;
}

std::string validate(const FeatureConfig& c) {
  if (!(c.book || c.flow || c.stat || c.tech || c.time)) return "no feature group is on";
  if (c.horizons_s.empty() || c.horizons_s.size() > kMaxHorizons)
    return "horizons: need 1.." + std::to_string(kMaxHorizons) + " values, got " +
           std::to_string(c.horizons_s.size());
  for (double t : c.horizons_s)
    if (!(t > 0) || !std::isfinite(t)) return "horizons: each must be a finite number > 0 seconds";
  if (c.levels < 1 || c.levels > kMaxLevels)
    return "levels: must be in 1.." + std::to_string(kMaxLevels) + ", got " + std::to_string(c.levels);
  if (c.tick <= 0) return "tick: must be > 0 price units";
  if (c.session_open < 0 || c.session_close > kDay || c.session_open >= c.session_close)
    return "session: need 0 <= open < close <= 24 h (ns since midnight)";
  if (c.session_edge < 0) return "session_edge: must be >= 0";
  if (c.utc_offset < -kDay || c.utc_offset > kDay) return "utc_offset: must be within +-24 h";
  if (c.max_gap <= 0) return "max_gap: must be > 0 ns";
  if (c.max_backwards < 0) return "max_backwards: must be >= 0 ns";
  if (!(c.hawkes_mu >= 0) || !(c.hawkes_alpha >= 0) || !(c.hawkes_beta > 0) ||
      !std::isfinite(c.hawkes_mu) || !std::isfinite(c.hawkes_alpha) || !std::isfinite(c.hawkes_beta))
    return "hawkes: need mu >= 0, alpha >= 0, beta > 0, finite";
  if (c.date_yyyymmdd != 0 && day_of_week(c.date_yyyymmdd) < 0) return "date_yyyymmdd: not a date";
  if (c.models) {
    for (double x : {c.models_grid_s, c.models_refit_s, c.models_swap_lag_s})
      if (!std::isfinite(x) || x < 0 || x > 1e6) return "models_*_s: must be finite, in [0, 1e6] seconds";
    if (const char* e = validate_stat(stat_model_config(c)); *e) return e;
    for (const auto& p : c.coint_pairs) {
      const auto k = p.find('/');
      if (k == std::string::npos || k == 0 || k + 1 == p.size() || p.find('/', k + 1) != std::string::npos ||
          p.substr(0, k) == p.substr(k + 1))
        return "coint_pairs: '" + p + "' is not Y/X (two different symbols)";
    }
  }
  const std::size_t n = feature_names(c).size();
  if (n > kMaxFeatures)
    return std::to_string(n) + " features exceed kMaxFeatures " + std::to_string(kMaxFeatures);
  return "";
}

// Laid out by when an event touches it, in whole cache lines: with hundreds of instruments the
// states do not stay in the core's cache, and an event used to touch ~15 of a state's lines
// (each horizon's sums in their own line, each side's top in a buffer sized for kMaxLevels).
// Now a book event with a valid book touches ~7: the header, the scale factors, the valid-book
// sums, the top N of both sides (2.5 lines at N = 5), one line of sums and the mid-horizon
// counts. What only a read of the outputs uses comes last.
struct alignas(64) FeatureEngine::State {
  // --- every event
  Nanos clock = 0;        // running max of ts_exch since the last restart
  Nanos t0 = 0;           // base time of the scaling (see Stream): g = exp((clock - t0) * rate)
  Nanos sess_hi = 0;      // end of the clock's session, in ts_exch (see set_session)
  std::uint64_t book_events = 0;  // Books::applied_events of the instrument at the last update
  double last_midp = 0;   // last valid mid, price units
  Nanos ts_exch = 0, ts_recv = 0;  // the latest event's stamps
  bool started = false;
  bool book_read = false;  // top holds the top N of both sides (else both are read)
  bool has_mid = false;    // a valid book was seen
  bool ret_base = false;   // last_midp is the base of the next return
  bool sess_mid = false;   // a valid mid was seen in this session
  bool has_ret = false;    // prev_ret holds a return
  // An event came since the outputs below were last computed.
  bool vals_stale = false, fv_stale = false;
  // --- events that move the clock or add to a sum: the scale factors (S = U / g[h] at horizon
  // h, g[n_h] for the Hawkes sums).
  alignas(64) std::array<double, kScaleLanes> g{1, 1, 1, 1, 1, 1, 1, 1};
  // --- events after which the book is valid
  std::array<double, kLongStreams> dec_long{};  // at the long horizon
  double hi = 0, lo = 0;                 // session range of the valid mid
  double anchor = 0;                     // first valid mid of the session, price units
  // --- returns and executions
  double prev_ret = 0;                   // last non-zero return
  std::array<double, 2> hawkes{};        // [0] buy, [1] sell market orders: excitation sums
  std::array<Nanos, 2> last_exec{};      // time of the last execution per aggressor side
  double pq = 0, q = 0;                  // VWAP sums (price units * shares, shares)
  std::array<bool, 2> has_exec{};
  std::uint8_t trading = 0;              // TradingState
  // --- the top N of both sides after the latest event, packed: bid prices at [0, N), bid
  // quantities at [N, 2N), ask prices at [2N, 3N), ask quantities at [3N, 4N). Empty: bid price
  // 0, ask price kNoAsk, quantity 0. update() keeps the previous top for the OFI on its stack.
  alignas(64) std::array<std::int64_t, 4 * kMaxLevels> top{};
  // --- scaled decayed sums, all horizons of a stream in one half line (see Stream's order)
  alignas(64) std::array<std::array<double, kMaxHorizons>, kStreams> dec{};
  std::array<double, kMidStreams> dec_mid{};  // at the mid horizon
  // --- read by the outputs only, or rarely written
  Nanos session = 0, sess_lo = 0;        // session of the clock and its start (see set_session)
  bool has_tod = false;                  // time-of-day encoding cached for this tod
  Nanos tod = 0;
  double tod_sin = 0, tod_cos = 0;
  bool has_vol_mom = false;              // vol_mom cached for these volume sums
  std::array<double, 2> vol_mom_in{};
  double vol_mom = 0;
  bool has_day = false;                  // day of week cached for [day_lo, day_lo + 24 h) of ts_recv
  Nanos day_lo = 0;
  int dow = -1;
  // The outputs, computed from the state above when they are read (materialize()), not on
  // every event.
  std::array<double, kMaxFeatures> vals{};
  FeatureVector fv{};
};
static_assert(std::is_same_v<Price, std::int64_t> && std::is_same_v<Volume, std::int64_t>);
static_assert(offsetof(FeatureEngine::State, g) == 64 && offsetof(FeatureEngine::State, prev_ret) == 192 &&
              offsetof(FeatureEngine::State, top) == 256, "a hot group left its cache line");

namespace {
// The mid (price units) after an event and whether the book is valid, from the best prices and
// the last valid mid before the event (see "Book validity"): update() and materialize() both
// take it from here, so the outputs need not keep it.
struct BookMid {
  bool valid;
  double mid;
};
BookMid book_mid(Price bid, Price ask, bool has_mid, double last_midp) noexcept {
  const bool has_b = bid != 0, has_a = ask != kNoAsk;
  if (has_b && has_a && bid < ask) return {true, 0.5 * static_cast<double>(bid + ask)};
  return {false, has_mid ? last_midp : (has_b ? static_cast<double>(bid) : (has_a ? static_cast<double>(ask) : 0.0))};
}
}  // namespace

FeatureEngine::FeatureEngine(const FeatureConfig& cfg, std::size_t max_instruments, std::size_t max_active,
                             bool prefault)
    : cfg_(cfg), pool_size_(max_active) {
  const std::string err = validate(cfg);
  if (!err.empty()) throw std::invalid_argument("features: " + err);
  schema_.names = feature_names(cfg);
  schema_.hash = schema_hash(schema_.names);
  n_h_ = cfg.horizons_s.size();
  for (std::size_t h = 0; h < n_h_; ++h) {
    tau_[h] = cfg.horizons_s[h];
    inv_tau_[h] = 1.0 / tau_[h];
  }
  mid_h_ = n_h_ > 1 ? 1 : 0;
  for (std::size_t h = 0; h < n_h_; ++h) rates_[h] = inv_tau_[h];
  rates_[n_h_] = cfg.hawkes_beta;
  max_rate_ = *std::max_element(rates_.begin(), rates_.end());
  __builtin_cpu_init();
  avx2_ = cfg_.allow_avx2 && __builtin_cpu_supports("avx2");
  config_dow_ = cfg.date_yyyymmdd ? day_of_week(cfg.date_yyyymmdd) : -1;
  local_shift_ = cfg.ts_exch_epoch ? cfg.utc_offset : 0;
  if (cfg.models) {
    stat_ = std::make_unique<StatModels>(stat_model_config(cfg), max_active);
    for (const auto& p : cfg.coint_pairs) {
      const auto k = p.find('/');
      pair_names_.emplace_back(p.substr(0, k), p.substr(k + 1));
    }
  }
  empty_fv_.n = static_cast<std::uint16_t>(schema_.names.size());
  empty_fv_.schema_hash = schema_.hash;
  pool_ = arena_.array<State>(max_active);             // built at first use (state_of)
  states_ = arena_.array<State*>(max_instruments);  // zero bytes: null pointers
  n_states_ = max_instruments;
  if (prefault) arena_.prefault();
}

FeatureEngine::~FeatureEngine() = default;

const FeatureVector& FeatureEngine::current(InstrumentId instr) const noexcept {
  if (instr >= n_states_ || !states_[instr]) return empty_fv_;
  State& s = *states_[instr];
  if (s.vals_stale) materialize(s);
  if (s.fv_stale) {
    // vals holds only values with a finite float (materialize), so nothing is replaced.
    to_float_checked(s.vals.data(), s.fv.v.data(), s.fv.n);
    s.fv.ts = s.ts_exch;
    s.fv_stale = false;
  }
  return s.fv;
}

std::span<const double> FeatureEngine::values(InstrumentId instr) const noexcept {
  const std::size_t n = schema_.names.size();
  if (instr >= n_states_ || !states_[instr]) return {empty_vals_.data(), n};
  State& s = *states_[instr];
  if (s.vals_stale) materialize(s);
  return {s.vals.data(), n};
}

FeatureEngine::State* FeatureEngine::state_of(InstrumentId id) noexcept {
  auto& sp = states_[id];
  if (!sp) {
    // An instrument's state on its first event, from the pool built at construction (counted);
    // past the pool the instrument gets no features (counted), nothing is allocated.
    if (pool_used_ == pool_size_) {
      ++counters_.over_capacity;
      return nullptr;
    }
    sp = new (&pool_[pool_used_++]) State();
    std::fill_n(sp->top.data() + 2 * cfg_.levels, cfg_.levels, kNoAsk);  // ask prices: empty
    sp->fv.schema_hash = schema_.hash;
    sp->fv.instrument = id;
    sp->fv.n = static_cast<std::uint16_t>(schema_.names.size());
    ++counters_.instruments_created;
  }
  return sp;
}

void FeatureEngine::on_event(const MarketEvent& ev, const book::Books& books) noexcept {
  ++counters_.events;
  if (ev.instrument >= n_states_) {
    ++counters_.bad_instrument;
    return;
  }
  if (State* s = state_of(ev.instrument)) update(*s, ev, books);
}

void FeatureEngine::name_instrument(InstrumentId id, std::string_view symbol) noexcept {
  if (!stat_ || pair_names_.empty() || id >= n_states_) return;
  for (std::size_t p = 0; p < pair_names_.size(); ++p) {
    const bool y = pair_names_[p].first == symbol, x = pair_names_[p].second == symbol;
    if (!y && !x) continue;
    if (State* s = state_of(id)) stat_->set_pair_leg(p, y, static_cast<std::size_t>(s - pool_));
  }
}

void FeatureEngine::update(State& s, const MarketEvent& ev, const book::Books& books) noexcept {
  const std::size_t N = cfg_.levels;
  const InstrumentId in = ev.instrument;

  // --- clock and the decay scale factors at it. A snapshot event only builds the book: its
  // stamp is the snapshot's, not an event time, so it moves no clock and adds to no sum.
  const bool snap = (ev.flags & evflag::kSnapshot) != 0;
  if (snap) {
    ++counters_.snapshot_events;
  } else if (!s.started) {
    s.started = true;
    restart(s, ev.ts_exch);
  } else if (ev.ts_exch < s.clock) {
    ++counters_.time_backwards;
    if (udiff(s.clock, ev.ts_exch) > static_cast<std::uint64_t>(cfg_.max_backwards)) {
      ++counters_.backwards_restarts;
      restart(s, ev.ts_exch);
    }
  } else if (ev.ts_exch > s.clock) {
    if (udiff(ev.ts_exch, s.clock) > static_cast<std::uint64_t>(cfg_.max_gap)) {
      ++counters_.gap_restarts;
      restart(s, ev.ts_exch);
    } else {
      s.clock = ev.ts_exch;
      advance_scale(s);
      if (s.clock >= s.sess_hi) [[unlikely]] {
        const Nanos old = s.session;
        set_session(s);
        if (s.session != old) {
          ++counters_.session_resets;
          reset_session(s);
        }
      }
    }
  }

  // --- book now (top N; empty levels as sentinels). A side is read again only when the book's
  // last apply (this event's) changed one of its levels at or above the N-th level held here
  // (any level while the side has fewer than N): an add or cancel deeper in the book leaves the
  // top N as it was. That the last apply was this event's is checked by the instrument's count
  // of book events: if the engine saw fewer (an event filtered out before features), both sides
  // are read.
  bool rd_b = true, rd_a = true;
  const std::uint64_t applied = books.applied_events(in);
  if (s.book_read && applied == s.book_events + (book::is_book_event(ev.kind) ? 1 : 0)) {
    const Price nb = s.top[N - 1];      // 0 when the side has fewer than N levels
    const Price na = s.top[3 * N - 1];  // kNoAsk likewise
    rd_b = books.last_apply_touched(Side::Buy, nb);
    rd_a = books.last_apply_touched(Side::Sell, na == kNoAsk ? 0 : na);
  }
  s.book_events = applied;
  s.book_read = true;
  // Previous top N (a side read again: its copy), then the one after this event.
  std::array<std::int64_t, 2 * kMaxLevels> prev_b, prev_a;
  std::int64_t* const bid = s.top.data();  // prices, then quantities
  std::int64_t* const ask = s.top.data() + 2 * N;
  auto read_side = [&](Side sd, Price empty, std::int64_t* t, std::array<std::int64_t, 2 * kMaxLevels>& prev) {
    std::copy_n(t, 2 * N, prev.data());
    Price* p = t;
    Volume* q = t + N;
    std::size_t i = books.top_levels(in, sd, p, q, N);
    for (; i < N; ++i) {
      p[i] = empty;
      q[i] = 0;
    }
    return prev.data();
  };
  const std::int64_t* prb = rd_b ? read_side(Side::Buy, 0, bid, prev_b) : bid;
  const std::int64_t* pra = rd_a ? read_side(Side::Sell, kNoAsk, ask, prev_a) : ask;
  const Price* opb = prb;
  const Volume* oqb = prb + N;
  const Price* opa = pra;
  const Volume* oqa = pra + N;
  const Price* pb = bid;
  const Volume* qb = bid + N;
  const Price* pa = ask;
  const Volume* qa = ask + N;

  // --- per-event increments x, added as x * g to the streams that have one (see Stream)
  const double* const g = s.g.data();
  // Every lane of the stream in two 2-lane vector operations (the scale factors held in
  // registers: through g the compiler could not tell them apart from the sums). Lanes from n_h
  // on are padding, added to but never read (their sums stay finite: g <= e^200 there too).
  // Each lane is the same multiply and add as a scalar one: the same bits.
  typedef double v2 __attribute__((vector_size(16)));
  static_assert(kMaxHorizons == 4);
  v2 g01, g23;
  __builtin_memcpy(&g01, g, sizeof g01);
  __builtin_memcpy(&g23, g + 2, sizeof g23);
  auto add = [&](Stream k, double x) {
    double* d = s.dec[k].data();
    v2 d01, d23;
    __builtin_memcpy(&d01, d, sizeof d01);
    __builtin_memcpy(&d23, d + 2, sizeof d23);
    d01 += x * g01;
    d23 += x * g23;
    __builtin_memcpy(d, &d01, sizeof d01);
    __builtin_memcpy(d + 2, &d23, sizeof d23);
  };
  auto add_mid = [&](MidStream k, double x) { s.dec_mid[k] += x * g[mid_h_]; };
  auto add_long = [&](LongStream k, double x) { s.dec_long[k] += x * g[n_h_ - 1]; };
  // In integers (exact, as the sums of integer-valued doubles were), without branches. A side
  // not read again is the same array before and after, so its terms (q - q) are 0: skipped.
  Volume e0 = 0, ml = 0;
  if (rd_b) {
    auto e_bid = [&](std::size_t m) -> Volume {
      return (pb[m] >= opb[m] ? qb[m] : 0) - (pb[m] <= opb[m] ? oqb[m] : 0);
    };
    e0 = e_bid(0);
    ml = e0;
    for (std::size_t m = 1; m < N; ++m) ml += e_bid(m);
  }
  if (rd_a) {
    auto e_ask = [&](std::size_t m) -> Volume {
      return (pa[m] >= opa[m] ? oqa[m] : 0) - (pa[m] <= opa[m] ? qa[m] : 0);
    };
    const Volume a0 = e_ask(0);
    e0 += a0;
    ml += a0;
    for (std::size_t m = 1; m < N; ++m) ml += e_ask(m);
  }
  if ((rd_b || rd_a) && !snap) {
    add(sOfi, static_cast<double>(e0));
    add(sMlofi, static_cast<double>(ml));
  }
  Volume dqb = 0, dqa = 0;  // best queue change while its price stays
  if (snap) {
    // Book only: nothing below is added (a snapshot's adds are no order flow).
  } else if (pb[0] != 0 && pb[0] == opb[0]) {
    const Volume d = dqb = qb[0] - oqb[0];
    if (d < 0) add_mid(mDeplB, static_cast<double>(-d));
    if (d > 0) add_mid(mReplB, static_cast<double>(d));
  }
  if (!snap && pa[0] != kNoAsk && pa[0] == opa[0]) {
    const Volume d = dqa = qa[0] - oqa[0];
    if (d < 0) add_mid(mDeplA, static_cast<double>(-d));
    if (d > 0) add_mid(mReplA, static_cast<double>(d));
  }

  const bool synthetic = (ev.flags & evflag::kSynthetic) != 0;
  bool mo[2] = {false, false};  // a new market order arrived: [0] buy, [1] sell aggressor
  if (ev.kind == EventKind::Status) {
    s.trading = ev.aux;
  } else if (snap) {
    // Book only (above).
  } else if ((ev.kind == EventKind::Execute || ev.kind == EventKind::Trade) && ev.qty > 0) {
    const double qd = static_cast<double>(ev.qty);
    add(sTrades, 1);
    add(sVol, qd);
    if (ev.price > 0) {
      s.pq += static_cast<double>(ev.price) * qd;
      s.q += qd;
    }
    if (ev.side == Side::Buy || ev.side == Side::Sell) {
      const int a = ev.side == Side::Sell ? 0 : 1;  // resting sell -> buyer-initiated
      add(sSvol, a == 0 ? qd : -qd);
      add(a == 0 ? sBuyVol : sSellVol, qd);
      add(sSignedN, 1);
      // Executions at one timestamp on one aggressor side are one market order.
      if (!s.has_exec[a] || s.last_exec[a] != ev.ts_exch) mo[a] = true;
      s.has_exec[a] = true;
      s.last_exec[a] = ev.ts_exch;
    }
  } else if (!synthetic && ev.kind == EventKind::Add) {
    if (ev.side == Side::Buy) add_mid(mAddB, 1);
    if (ev.side == Side::Sell) add_mid(mAddA, 1);
  } else if (!synthetic && (ev.kind == EventKind::Cancel || ev.kind == EventKind::Delete)) {
    Side sd = ev.side;
    if (sd != Side::Buy && sd != Side::Sell) {
      // Side not on the event (ITCH delete): the side whose top-N depth fell.
      Volume ob = 0, oa = 0, nb = 0, na = 0;
      for (std::size_t i = 0; i < N; ++i) {
        ob += oqb[i];
        oa += oqa[i];
        nb += qb[i];
        na += qa[i];
      }
      sd = nb < ob ? Side::Buy : (na < oa ? Side::Sell : Side::None);
    }
    if (sd == Side::Buy) add_mid(mCxlB, 1);
    if (sd == Side::Sell) add_mid(mCxlA, 1);
  }

  // Mid and validity.
  const auto [valid, midp] = book_mid(pb[0], pa[0], s.has_mid, s.last_midp);
  if (!valid) ++counters_.invalid_book;
  if (valid && snap) {
    // The mid shown while the book is invalid later; not a return base (a snapshot's partial
    // books are no prices that traded in time).
    s.has_mid = true;
    s.last_midp = midp;
    s.ret_base = false;
  } else if (valid) {
    if (!s.sess_mid) {
      s.anchor = midp;
      s.hi = s.lo = midp;
      s.sess_mid = true;
    }
    if (s.ret_base && midp != s.last_midp) {
      const double r = std::log(midp / s.last_midp);
      add(sR, r);
      add(sR2, r * r);
      add_long(lRN, 1);
      if (s.has_ret) add_long(lRR, r * s.prev_ret);
      s.prev_ret = r;
      s.has_ret = true;
    }
    if (midp > s.hi) s.hi = midp;
    if (midp < s.lo) s.lo = midp;
    s.has_mid = true;
    s.ret_base = true;
    s.last_midp = midp;
    const double d = (midp - s.anchor) / static_cast<double>(cfg_.tick);
    add_long(lW, 1);
    add_long(lD, d);
    add_long(lD2, d * d);
  }

  // Market orders excite the Hawkes sums.
  if (mo[0]) s.hawkes[0] += g[n_h_];
  if (mo[1]) s.hawkes[1] += g[n_h_];

  if (stat_) {
    StatEvent se;
    se.clock = s.clock;
    se.snapshot = snap;
    se.mo_buy = mo[0];
    se.mo_sell = mo[1];
    se.valid = valid;
    se.mid = midp;
    se.best_bid_qty = qb[0];
    se.best_ask_qty = qa[0];
    se.bid_change = dqb;
    se.ask_change = dqa;
    stat_->on_event(static_cast<std::size_t>(&s - pool_), se);
  }

  s.ts_exch = ev.ts_exch;
  s.ts_recv = ev.ts_recv;
  s.vals_stale = true;
  s.fv_stale = true;
}

// The session of the clock: sessions start at session_open (local time of day) every day, so
// index = floor((local clock - session_open) / 24 h), local = clock (+ utc_offset for epoch
// stamps). Also keeps the session's bounds in ts_exch, so that the clock is compared, not
// divided, on every event.
void FeatureEngine::set_session(State& s) const noexcept {
  const Nanos x = sat_add(sat_add(s.clock, local_shift_), -cfg_.session_open);
  const Nanos r = time_of_day(x);
  s.session = floor_div(x, kDay);
  s.sess_lo = sat_add(s.clock, -r);
  s.sess_hi = sat_add(s.sess_lo, kDay);
}

// Session features start again: VWAP, range, the z-score's anchor and moments.
void FeatureEngine::reset_session(State& s) const noexcept {
  s.pq = s.q = 0;
  s.sess_mid = false;
  s.hi = s.lo = s.anchor = 0;
  s.dec_long[lW] = s.dec_long[lD] = s.dec_long[lD2] = 0;
}

// A discontinuity (or the first event): the clock starts again at t with every time-based sum
// empty, a new return chain and new session features. O(size of the state), whatever the gap.
void FeatureEngine::restart(State& s, Nanos t) const noexcept {
  s.clock = s.t0 = t;
  s.g.fill(1.0);
  for (auto& d : s.dec) d.fill(0.0);
  s.dec_mid.fill(0.0);
  s.dec_long.fill(0.0);
  s.hawkes.fill(0.0);
  s.has_exec.fill(false);
  s.has_ret = false;
  s.prev_ret = 0;
  s.ret_base = false;
  set_session(s);
  reset_session(s);
  if (stat_) stat_->restart(static_cast<std::size_t>(&s - pool_), t);
}

namespace {
// g[i] = exp(el * rate[i]) for i < n (rounded up to whole vectors: the arrays have kScaleLanes),
// written once for a vector type and compiled twice: baseline SSE2 two lanes at a time (GCC
// split a 4-lane vector's compares there into scalar ones put back together), AVX2 four at a
// time, picked at construction from the CPU. Without FMA, so both give the same bits.
typedef double v2d __attribute__((vector_size(16)));
typedef std::uint64_t v2u __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
typedef std::uint64_t v4u __attribute__((vector_size(32)));
template <class V, class VU>
[[gnu::always_inline]] inline void scale_lanes(const double* rate, double el, double* g, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; i += sizeof(V) / sizeof(double)) {
    V a;
    __builtin_memcpy(&a, rate + i, sizeof a);
    a *= el;
    exp_inplace<V, VU>(a);
    __builtin_memcpy(g + i, &a, sizeof a);
  }
}
void scale_base(const double* rate, double el, double* g, std::size_t n) noexcept {
  scale_lanes<v2d, v2u>(rate, el, g, n);
}
__attribute__((target("avx2"))) void scale_avx2(const double* rate, double el, double* g, std::size_t n) noexcept {
  scale_lanes<v4d, v4u>(rate, el, g, n);
}
}  // namespace

// The scale factors g at the instrument's clock, which just advanced (see Stream): one inline
// vector exp for every horizon and the Hawkes rate (glibc's exp is an out-of-line call each).
// First moves t0 to the clock when an exponent would pass kRebaseArg: every scaled sum times
// 1/g, the exact decay since t0 (0 below e^-700: a sum that old is gone).
void FeatureEngine::advance_scale(State& s) const noexcept {
  const double el = static_cast<double>(s.clock - s.t0) * 1e-9;  // seconds since t0
  if (el * max_rate_ > kRebaseArg) [[unlikely]] {
    std::array<double, kScaleLanes> f{};
    for (std::size_t i = 0; i <= n_h_; ++i) f[i] = el * rates_[i] > 700 ? 0.0 : std::exp(-el * rates_[i]);
    for (auto& d : s.dec)
      for (std::size_t h = 0; h < kMaxHorizons; ++h) d[h] *= f[h];  // (padding lanes too)
    for (double& u : s.dec_mid) u *= f[mid_h_];
    for (double& u : s.dec_long) u *= f[n_h_ - 1];
    for (double& u : s.hawkes) u *= f[n_h_];
    s.t0 = s.clock;
    s.g.fill(1.0);
    return;
  }
  (avx2_ ? scale_avx2 : scale_base)(rates_.data(), el, s.g.data(), n_h_ + 1);
}

// The outputs from the state update() left: O(features), on read only.
void FeatureEngine::materialize(State& s) const noexcept {
  const std::size_t N = cfg_.levels;
  const Price* pb = s.top.data();
  const Volume* qb = pb + N;
  const Price* pa = pb + 2 * N;
  const Volume* qa = pb + 3 * N;
  std::array<Volume, kMaxLevels> cb, ca;  // cumulative depth
  Volume accb = 0, acca = 0;
  for (std::size_t i = 0; i < N; ++i) {
    accb += qb[i];
    acca += qa[i];
    cb[i] = accb;
    ca[i] = acca;
  }
  const bool has_b = pb[0] != 0, has_a = pa[0] != kNoAsk;
  // As update() found them: has_mid and last_midp change only with a valid book.
  const auto [valid, midp] = book_mid(pb[0], pa[0], s.has_mid, s.last_midp);
  // The decayed sums at the clock, S = U / g (see Stream).
  std::array<std::array<double, kStreams>, kMaxHorizons> dec;
  std::array<double, kMidStreams> dec_mid;
  std::array<double, kLongStreams> dec_long;
  std::array<double, 2> hawkes;
  for (std::size_t h = 0; h < n_h_; ++h) {
    const double ig = 1.0 / s.g[h];
    for (std::size_t k = 0; k < kStreams; ++k) dec[h][k] = s.dec[k][h] * ig;
  }
  {
    const double im = 1.0 / s.g[mid_h_], il = 1.0 / s.g[n_h_ - 1], ih = 1.0 / s.g[n_h_];
    for (std::size_t k = 0; k < kMidStreams; ++k) dec_mid[k] = s.dec_mid[k] * im;
    for (std::size_t k = 0; k < kLongStreams; ++k) dec_long[k] = s.dec_long[k] * il;
    for (std::size_t k = 0; k < 2; ++k) hawkes[k] = s.hawkes[k] * ih;
  }

  // --- output
  double* v = s.vals.data();
  std::size_t j = 0;
  const double tick = static_cast<double>(cfg_.tick);
  if (cfg_.book) {
    const double pscale = static_cast<double>(price_scale_of(s.fv.instrument));
    const double mid = midp / pscale;
    double wmid = mid, micro = mid, spread_t = 0, spread_bps = 0;
    if (valid) {
      const double bbp = static_cast<double>(pb[0]), bap = static_cast<double>(pa[0]);
      const double b1 = static_cast<double>(qb[0]), a1 = static_cast<double>(qa[0]);
      const double bn = static_cast<double>(cb[N - 1]), an = static_cast<double>(ca[N - 1]);
      micro = (bbp * a1 + bap * b1) / (a1 + b1) / pscale;
      wmid = (bbp * an + bap * bn) / (an + bn) / pscale;
    }
    if (has_b && has_a) {
      spread_t = static_cast<double>(pa[0] - pb[0]) / tick;
      if (midp > 0) spread_bps = static_cast<double>(pa[0] - pb[0]) / midp * 1e4;
    }
    v[j++] = mid;
    v[j++] = wmid;
    v[j++] = micro;
    v[j++] = spread_t;
    v[j++] = spread_bps;
    v[j++] = valid ? 1.0 : 0.0;
    for (std::size_t i = 0; i < N; ++i) v[j++] = static_cast<double>(cb[i]);
    for (std::size_t i = 0; i < N; ++i) v[j++] = static_cast<double>(ca[i]);
    for (std::size_t i = 0; i < N; ++i) {
      const Volume t = cb[i] + ca[i];
      v[j++] = t > 0 ? static_cast<double>(cb[i] - ca[i]) / static_cast<double>(t) : 0.0;
    }
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = dec[h][sOfi];
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = dec[h][sMlofi];
    const auto& M = dec_mid;
    const double im = inv_tau_[mid_h_];
    v[j++] = M[mDeplB] * im;
    v[j++] = M[mReplB] * im;
    v[j++] = M[mDeplA] * im;
    v[j++] = M[mReplA] * im;
  }
  if (cfg_.flow) {
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = dec[h][sSvol];
    for (std::size_t h = 0; h < n_h_; ++h) {
      const double t = dec[h][sBuyVol] + dec[h][sSellVol];
      v[j++] = dec[h][sSignedN] >= kMinWeight && t > 0 ? (dec[h][sBuyVol] - dec[h][sSellVol]) / t : 0.0;
    }
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = dec[h][sTrades] * inv_tau_[h];
    const auto& M = dec_mid;
    const double im = inv_tau_[mid_h_];
    v[j++] = M[mAddB] * im;
    v[j++] = M[mAddA] * im;
    v[j++] = M[mCxlB] * im;
    v[j++] = M[mCxlA] * im;
    v[j++] = cfg_.hawkes_mu + cfg_.hawkes_alpha * hawkes[0];
    v[j++] = cfg_.hawkes_mu + cfg_.hawkes_alpha * hawkes[1];
  }
  if (cfg_.stat) {
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = std::sqrt(dec[h][sR2]);
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = dec[h][sR];
    const auto& L = dec_long;
    const double lr2 = dec[n_h_ - 1][sR2];
    v[j++] = L[lRN] >= kMinWeight && lr2 > 0 ? L[lRR] / lr2 : 0.0;
    double z = 0;
    if (s.sess_mid && L[lW] >= kMinWeight) {
      const double m = L[lD] / L[lW];
      const double var = L[lD2] / L[lW] - m * m;
      const double sd = var > 1.0 ? std::sqrt(var) : 1.0;  // floor: one tick
      z = ((midp - s.anchor) / tick - m) / sd;
    }
    v[j++] = z;
  }
  if (cfg_.tech) {
    const double vwapp = s.q > 0 ? s.pq / s.q : 0.0;
    v[j++] = vwapp / static_cast<double>(price_scale_of(s.fv.instrument));
    v[j++] = vwapp > 0 && midp > 0 ? (midp - vwapp) / vwapp * 1e4 : 0.0;
    // The same inputs give the same log: skipped while both volume sums stand still (dt = 0, no
    // execution).
    const double vf = dec[0][sVol], vl = dec[n_h_ - 1][sVol];
    if (!s.has_vol_mom || vf != s.vol_mom_in[0] || vl != s.vol_mom_in[1]) {
      s.vol_mom = std::log((1.0 + vf * inv_tau_[0]) / (1.0 + vl * inv_tau_[n_h_ - 1]));
      s.vol_mom_in = {vf, vl};
      s.has_vol_mom = true;
    }
    v[j++] = s.vol_mom;
    v[j++] = s.sess_mid && s.hi > s.lo ? (midp - s.lo) / (s.hi - s.lo) : 0.5;
  }
  if (cfg_.time) {
    const Nanos tod = time_of_day(sat_add(s.ts_exch, local_shift_));
    if (!s.has_tod || tod != s.tod) {  // many events share a timestamp
      const double ang = kTwoPi * static_cast<double>(tod) / static_cast<double>(kDay);
      s.tod_sin = std::sin(ang);
      s.tod_cos = std::cos(ang);
      s.tod = tod;
      s.has_tod = true;
    }
    v[j++] = s.tod_sin;
    v[j++] = s.tod_cos;
    v[j++] = static_cast<double>(tod - cfg_.session_open) / 60e9;
    v[j++] = static_cast<double>(cfg_.session_close - tod) / 60e9;
    int dow = config_dow_;
    if (s.ts_recv > kEpochThreshold) {
      const Nanos t = sat_add(s.ts_recv, cfg_.utc_offset);  // > 0: days * kDay <= t fits
      if (!s.has_day || t < s.day_lo || udiff(t, s.day_lo) >= static_cast<std::uint64_t>(kDay)) {  // once a day
        const Nanos days = floor_div(t, kDay);
        s.dow = static_cast<int>(((days + 3) % 7 + 7) % 7);
        s.day_lo = days * kDay;
        s.has_day = true;
      }
      dow = s.dow;
    }
    v[j++] = dow;
    v[j++] = tod < cfg_.session_open ? 1.0 : 0.0;
    v[j++] = tod >= cfg_.session_open && tod < cfg_.session_open + cfg_.session_edge ? 1.0 : 0.0;
    v[j++] = tod < cfg_.session_close && tod >= cfg_.session_close - cfg_.session_edge ? 1.0 : 0.0;
    v[j++] = tod >= cfg_.session_close ? 1.0 : 0.0;
    const auto st = static_cast<TradingState>(s.trading);
    v[j++] = st == TradingState::Halted || st == TradingState::Paused ? 1.0 : 0.0;
  }
  if (stat_) {
    stat_->values(static_cast<std::size_t>(&s - pool_), s.clock, valid, v + j);
    j += stat_->outputs();
  }

  counters_.nonfinite_replaced += replace_nonfloat(v, j);
  s.vals_stale = false;
}

}  // namespace hft::features
