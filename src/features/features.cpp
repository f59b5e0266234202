// FeatureEngine: see include/hft/features/features.hpp for the definitions of every feature.
#include "hft/features/features.hpp"

#include <bit>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cmath>
#include <cstdio>
#include <limits>
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

// Decayed streams, one set per horizon. x per event, S <- S * exp(-dt/tau) + x.
enum Stream : std::size_t {
  sOfi,      // CKS e_n at the best level
  sMlofi,    // sum over levels 1..N of e_n at level m
  sSvol,     // signed executed quantity (+ buyer-initiated)
  sBuyVol,   // buyer-initiated executed quantity
  sSellVol,  // seller-initiated executed quantity
  sTrades,   // executions (count)
  sAddB, sAddA,      // non-synthetic adds by side (count)
  sCxlB, sCxlA,      // non-synthetic cancels + deletes by side (count)
  sDeplB, sReplB,    // best bid queue decrease / increase at an unchanged price (shares)
  sDeplA, sReplA,    // best ask likewise
  sR2,       // squared mid log-return (at mid changes of a valid book)
  sR,        // mid log-return
  sRR,       // return times the previous non-zero return
  sW,        // valid-book events (count): weight of the moving mean
  sD,        // mid deviation from the instrument's first valid mid, ticks
  sD2,       // its square
  sVol,      // executed quantity (unsigned)
  sSignedN,  // executions with a known aggressor side (count): guards the trade imbalance
  sRN,       // returns (count): guards the autocorrelation
  kStreamsUsed
};
// Padded to an even count so that the decay loops are whole SIMD pairs (no scalar epilogue).
constexpr std::size_t kStreams = (kStreamsUsed + 1) / 2 * 2;

std::string hlabel(double tau) {
  char b[32];
  std::snprintf(b, sizeof b, "%gs", tau);
  return b;
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

Nanos floor_div(Nanos a, Nanos b) noexcept { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

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
  return n;
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
  if (!(c.hawkes_mu >= 0) || !(c.hawkes_alpha >= 0) || !(c.hawkes_beta > 0) ||
      !std::isfinite(c.hawkes_mu) || !std::isfinite(c.hawkes_alpha) || !std::isfinite(c.hawkes_beta))
    return "hawkes: need mu >= 0, alpha >= 0, beta > 0, finite";
  if (c.date_yyyymmdd != 0 && day_of_week(c.date_yyyymmdd) < 0) return "date_yyyymmdd: not a date";
  const std::size_t n = feature_names(c).size();
  if (n > kMaxFeatures)
    return std::to_string(n) + " features exceed kMaxFeatures " + std::to_string(kMaxFeatures);
  return "";
}

struct FeatureEngine::State {
  Nanos clock = 0;  // running max of ts_exch
  bool started = false;
  bool book_read = false;  // pb..qa hold the top N (else read both sides)
  // Top N after the previous event. Empty: bid price 0, ask price kNoAsk, quantity 0.
  std::array<Price, kMaxLevels> pb{}, pa{};
  std::array<Volume, kMaxLevels> qb{}, qa{};
  std::array<std::array<double, kStreams>, kMaxHorizons> dec{};
  std::array<double, 2> hawkes{};        // [0] buy, [1] sell market orders: excitation sums
  std::array<Nanos, 2> last_exec{};      // time of the last execution per aggressor side
  std::array<bool, 2> has_exec{};
  bool has_mid = false;                  // a valid book was seen
  double last_midp = 0;                  // last valid mid, price units
  double anchor = 0;                     // first valid mid, price units
  bool has_ret = false;
  double prev_ret = 0;                   // last non-zero return
  double hi = 0, lo = 0;                 // session range of the valid mid
  double pq = 0, q = 0;                  // VWAP sums (price units * shares, shares)
  std::uint8_t trading = 0;              // TradingState
  bool has_tod = false;                  // time-of-day encoding cached for this tod
  Nanos tod = 0;
  double tod_sin = 0, tod_cos = 0;
  std::array<double, kMaxFeatures> vals{};
  FeatureVector fv{};
};

FeatureEngine::FeatureEngine(const FeatureConfig& cfg, std::size_t max_instruments) : cfg_(cfg) {
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
  config_dow_ = cfg.date_yyyymmdd ? day_of_week(cfg.date_yyyymmdd) : -1;
  states_.resize(max_instruments);
  empty_fv_.n = static_cast<std::uint16_t>(schema_.names.size());
  empty_fv_.schema_hash = schema_.hash;
}

FeatureEngine::~FeatureEngine() = default;

const FeatureVector& FeatureEngine::current(InstrumentId instr) const noexcept {
  if (instr >= states_.size() || !states_[instr]) return empty_fv_;
  return states_[instr]->fv;
}

std::span<const double> FeatureEngine::values(InstrumentId instr) const noexcept {
  const std::size_t n = schema_.names.size();
  if (instr >= states_.size() || !states_[instr]) return {empty_vals_.data(), n};
  return {states_[instr]->vals.data(), n};
}

void FeatureEngine::on_event(const MarketEvent& ev, const book::Books& books) noexcept {
  ++counters_.events;
  if (ev.instrument >= states_.size()) {
    ++counters_.bad_instrument;
    return;
  }
  auto& sp = states_[ev.instrument];
  if (!sp) {
    // The one allocation: an instrument's state on its first event (counted).
    try {
      sp = std::make_unique<State>();
    } catch (...) {
      ++counters_.bad_instrument;
      return;
    }
    sp->pa.fill(kNoAsk);
    sp->fv.schema_hash = schema_.hash;
    sp->fv.instrument = ev.instrument;
    sp->fv.n = static_cast<std::uint16_t>(schema_.names.size());
    ++counters_.instruments_created;
  }
  compute(*sp, ev, books);
}

void FeatureEngine::compute(State& s, const MarketEvent& ev, const book::Books& books) noexcept {
  const std::size_t N = cfg_.levels;
  const InstrumentId in = ev.instrument;

  // --- clock and decay factors
  double dt = 0;
  if (!s.started) {
    s.started = true;
    s.clock = ev.ts_exch;
  } else if (ev.ts_exch < s.clock) {
    ++counters_.time_backwards;
  } else {
    dt = static_cast<double>(ev.ts_exch - s.clock) * 1e-9;
    s.clock = ev.ts_exch;
  }

  // --- book now (top N; empty levels as sentinels). Only the sides the event can have changed
  // are read again: an event names one order on one side (the readers give the side of the
  // order they name), so Add/Execute/Cancel/Delete with a side re-read that side; Replace,
  // Modify, Clear, side-less events and an instrument's first event re-read both; Trade,
  // Status, System and Directory change no book. The side not re-read is checked at its best
  // level, so an event whose side disagrees with the book is still caught there.
  bool rd_b = true, rd_a = true;
  if (s.book_read) {
    switch (ev.kind) {
      case EventKind::Add:
      case EventKind::Execute:
      case EventKind::Cancel:
      case EventKind::Delete:
        if (ev.side == Side::Buy) rd_a = false;
        if (ev.side == Side::Sell) rd_b = false;
        break;
      case EventKind::Trade:
      case EventKind::Status:
      case EventKind::System:
      case EventKind::Directory:
        rd_b = rd_a = false;
        break;
      default:
        break;
    }
    if (rd_b != rd_a) {
      const Side other = rd_b ? Side::Sell : Side::Buy;
      const book::LevelView lv = books.best(in, other);
      const Price empty = rd_b ? kNoAsk : 0;
      const Price p0 = lv.qty == 0 ? empty : lv.price;
      if (rd_b ? (p0 != s.pa[0] || lv.qty != s.qa[0]) : (p0 != s.pb[0] || lv.qty != s.qb[0]))
        rd_b = rd_a = true;
    }
  }
  s.book_read = true;
  std::array<Price, kMaxLevels> pb, pa;
  std::array<Volume, kMaxLevels> qb, qa;
  auto read_side = [&](Side sd, Price empty, std::array<Price, kMaxLevels>& p, std::array<Volume, kMaxLevels>& q) {
    std::size_t i = 0;
    book::LevelView lv;
    for (; i < N && books.level(in, sd, i, lv); ++i) {  // levels are contiguous
      p[i] = lv.price;
      q[i] = lv.qty;
    }
    for (; i < N; ++i) {
      p[i] = empty;
      q[i] = 0;
    }
  };
  if (rd_b) {
    read_side(Side::Buy, 0, pb, qb);
  } else {
    pb = s.pb;
    qb = s.qb;
  }
  if (rd_a) {
    read_side(Side::Sell, kNoAsk, pa, qa);
  } else {
    pa = s.pa;
    qa = s.qa;
  }
  std::array<Volume, kMaxLevels> cb, ca;  // cumulative depth
  Volume accb = 0, acca = 0;
  for (std::size_t i = 0; i < N; ++i) {
    accb += qb[i];
    acca += qa[i];
    cb[i] = accb;
    ca[i] = acca;
  }

  // --- per-event increments
  std::array<double, kStreams> x{};
  auto e_level = [&](std::size_t m) {
    double e = 0;
    if (pb[m] >= s.pb[m]) e += static_cast<double>(qb[m]);
    if (pb[m] <= s.pb[m]) e -= static_cast<double>(s.qb[m]);
    if (pa[m] <= s.pa[m]) e -= static_cast<double>(qa[m]);
    if (pa[m] >= s.pa[m]) e += static_cast<double>(s.qa[m]);
    return e;
  };
  x[sOfi] = e_level(0);
  for (std::size_t m = 0; m < N; ++m) x[sMlofi] += e_level(m);
  if (pb[0] != 0 && pb[0] == s.pb[0]) {
    const Volume d = qb[0] - s.qb[0];
    if (d < 0) x[sDeplB] = static_cast<double>(-d);
    if (d > 0) x[sReplB] = static_cast<double>(d);
  }
  if (pa[0] != kNoAsk && pa[0] == s.pa[0]) {
    const Volume d = qa[0] - s.qa[0];
    if (d < 0) x[sDeplA] = static_cast<double>(-d);
    if (d > 0) x[sReplA] = static_cast<double>(d);
  }

  const bool synthetic = (ev.flags & evflag::kSynthetic) != 0;
  bool mo[2] = {false, false};  // a new market order arrived: [0] buy, [1] sell aggressor
  if ((ev.kind == EventKind::Execute || ev.kind == EventKind::Trade) && ev.qty > 0) {
    const double qd = static_cast<double>(ev.qty);
    x[sTrades] = 1;
    x[sVol] = qd;
    if (ev.price > 0) {
      s.pq += static_cast<double>(ev.price) * qd;
      s.q += qd;
    }
    if (ev.side == Side::Buy || ev.side == Side::Sell) {
      const int a = ev.side == Side::Sell ? 0 : 1;  // resting sell -> buyer-initiated
      x[sSvol] = a == 0 ? qd : -qd;
      x[a == 0 ? sBuyVol : sSellVol] = qd;
      x[sSignedN] = 1;
      // Executions at one timestamp on one aggressor side are one market order.
      if (!s.has_exec[a] || s.last_exec[a] != ev.ts_exch) mo[a] = true;
      s.has_exec[a] = true;
      s.last_exec[a] = ev.ts_exch;
    }
  } else if (!synthetic && ev.kind == EventKind::Add) {
    if (ev.side == Side::Buy) x[sAddB] = 1;
    if (ev.side == Side::Sell) x[sAddA] = 1;
  } else if (!synthetic && (ev.kind == EventKind::Cancel || ev.kind == EventKind::Delete)) {
    Side sd = ev.side;
    if (sd != Side::Buy && sd != Side::Sell) {
      // Side not on the event (ITCH delete): the side whose top-N depth fell.
      const Volume ob = [&] { Volume t = 0; for (std::size_t i = 0; i < N; ++i) t += s.qb[i]; return t; }();
      const Volume oa = [&] { Volume t = 0; for (std::size_t i = 0; i < N; ++i) t += s.qa[i]; return t; }();
      sd = accb < ob ? Side::Buy : (acca < oa ? Side::Sell : Side::None);
    }
    if (sd == Side::Buy) x[sCxlB] = 1;
    if (sd == Side::Sell) x[sCxlA] = 1;
  } else if (ev.kind == EventKind::Status) {
    s.trading = ev.aux;
  }

  // Mid and validity.
  const bool has_b = pb[0] != 0, has_a = pa[0] != kNoAsk;
  const bool valid = has_b && has_a && pb[0] < pa[0];
  double midp;  // price units
  if (valid) {
    midp = 0.5 * static_cast<double>(pb[0] + pa[0]);
  } else {
    ++counters_.invalid_book;
    midp = s.has_mid ? s.last_midp
                     : (has_b ? static_cast<double>(pb[0]) : (has_a ? static_cast<double>(pa[0]) : 0.0));
  }
  if (valid) {
    if (!s.has_mid) {
      s.anchor = midp;
      s.hi = s.lo = midp;
    } else if (midp != s.last_midp) {
      const double r = std::log(midp / s.last_midp);
      x[sR] = r;
      x[sR2] = r * r;
      x[sRN] = 1;
      if (s.has_ret) x[sRR] = r * s.prev_ret;
      s.prev_ret = r;
      s.has_ret = true;
    }
    if (midp > s.hi) s.hi = midp;
    if (midp < s.lo) s.lo = midp;
    s.has_mid = true;
    s.last_midp = midp;
    const double d = (midp - s.anchor) / static_cast<double>(cfg_.tick);
    x[sW] = 1;
    x[sD] = d;
    x[sD2] = d * d;
  }

  // --- decay and add
  for (std::size_t h = 0; h < n_h_; ++h) {
    auto& S = s.dec[h];
    if (dt > 0) {
      const double f = std::exp(-dt * inv_tau_[h]);
      for (std::size_t k = 0; k < kStreams; ++k) S[k] = S[k] * f + x[k];
    } else {
      for (std::size_t k = 0; k < kStreams; ++k) S[k] += x[k];
    }
  }
  if (dt > 0) {
    const double f = std::exp(-dt * cfg_.hawkes_beta);
    s.hawkes[0] *= f;
    s.hawkes[1] *= f;
  }
  if (mo[0]) s.hawkes[0] += 1;
  if (mo[1]) s.hawkes[1] += 1;

  // Book state for the next event.
  s.pb = pb;
  s.pa = pa;
  s.qb = qb;
  s.qa = qa;

  // --- output
  double* v = s.vals.data();
  std::size_t j = 0;
  const double tick = static_cast<double>(cfg_.tick);
  if (cfg_.book) {
    const double mid = midp / static_cast<double>(kPriceScale);
    double wmid = mid, micro = mid, spread_t = 0, spread_bps = 0;
    if (valid) {
      const double bbp = static_cast<double>(pb[0]), bap = static_cast<double>(pa[0]);
      const double b1 = static_cast<double>(qb[0]), a1 = static_cast<double>(qa[0]);
      const double bn = static_cast<double>(cb[N - 1]), an = static_cast<double>(ca[N - 1]);
      micro = (bbp * a1 + bap * b1) / (a1 + b1) / static_cast<double>(kPriceScale);
      wmid = (bbp * an + bap * bn) / (an + bn) / static_cast<double>(kPriceScale);
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
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = s.dec[h][sOfi];
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = s.dec[h][sMlofi];
    const auto& M = s.dec[mid_h_];
    const double im = inv_tau_[mid_h_];
    v[j++] = M[sDeplB] * im;
    v[j++] = M[sReplB] * im;
    v[j++] = M[sDeplA] * im;
    v[j++] = M[sReplA] * im;
  }
  if (cfg_.flow) {
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = s.dec[h][sSvol];
    for (std::size_t h = 0; h < n_h_; ++h) {
      const double t = s.dec[h][sBuyVol] + s.dec[h][sSellVol];
      v[j++] = s.dec[h][sSignedN] >= kMinWeight && t > 0 ? (s.dec[h][sBuyVol] - s.dec[h][sSellVol]) / t : 0.0;
    }
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = s.dec[h][sTrades] * inv_tau_[h];
    const auto& M = s.dec[mid_h_];
    const double im = inv_tau_[mid_h_];
    v[j++] = M[sAddB] * im;
    v[j++] = M[sAddA] * im;
    v[j++] = M[sCxlB] * im;
    v[j++] = M[sCxlA] * im;
    v[j++] = cfg_.hawkes_mu + cfg_.hawkes_alpha * s.hawkes[0];
    v[j++] = cfg_.hawkes_mu + cfg_.hawkes_alpha * s.hawkes[1];
  }
  if (cfg_.stat) {
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = std::sqrt(s.dec[h][sR2]);
    for (std::size_t h = 0; h < n_h_; ++h) v[j++] = s.dec[h][sR];
    const auto& L = s.dec[n_h_ - 1];
    v[j++] = L[sRN] >= kMinWeight && L[sR2] > 0 ? L[sRR] / L[sR2] : 0.0;
    double z = 0;
    if (s.has_mid && L[sW] >= kMinWeight) {
      const double m = L[sD] / L[sW];
      const double var = L[sD2] / L[sW] - m * m;
      const double sd = var > 1.0 ? std::sqrt(var) : 1.0;  // floor: one tick
      z = ((midp - s.anchor) / tick - m) / sd;
    }
    v[j++] = z;
  }
  if (cfg_.tech) {
    const double vwapp = s.q > 0 ? s.pq / s.q : 0.0;
    v[j++] = vwapp / static_cast<double>(kPriceScale);
    v[j++] = vwapp > 0 && midp > 0 ? (midp - vwapp) / vwapp * 1e4 : 0.0;
    v[j++] = std::log((1.0 + s.dec[0][sVol] * inv_tau_[0]) / (1.0 + s.dec[n_h_ - 1][sVol] * inv_tau_[n_h_ - 1]));
    v[j++] = s.has_mid && s.hi > s.lo ? (midp - s.lo) / (s.hi - s.lo) : 0.5;
  }
  if (cfg_.time) {
    Nanos tod = cfg_.ts_exch_epoch ? ev.ts_exch + cfg_.utc_offset : ev.ts_exch;
    tod = tod - floor_div(tod, kDay) * kDay;
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
    if (ev.ts_recv > kEpochThreshold) {
      const Nanos days = floor_div(ev.ts_recv + cfg_.utc_offset, kDay);
      dow = static_cast<int>(((days + 3) % 7 + 7) % 7);
    }
    v[j++] = dow;
    v[j++] = tod < cfg_.session_open ? 1.0 : 0.0;
    v[j++] = tod >= cfg_.session_open && tod < cfg_.session_open + cfg_.session_edge ? 1.0 : 0.0;
    v[j++] = tod < cfg_.session_close && tod >= cfg_.session_close - cfg_.session_edge ? 1.0 : 0.0;
    v[j++] = tod >= cfg_.session_close ? 1.0 : 0.0;
    const auto st = static_cast<TradingState>(s.trading);
    v[j++] = st == TradingState::Halted || st == TradingState::Paused ? 1.0 : 0.0;
  }

  counters_.nonfinite_replaced += to_float_checked(v, s.fv.v.data(), j);
  s.fv.ts = ev.ts_exch;
}

}  // namespace hft::features
