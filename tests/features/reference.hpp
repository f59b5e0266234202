// An independent reference for the feature engine, written separately from it: its own book
// (std::map of orders and price levels, no hft::book), per-event raw increments stored for the
// whole stream, and every time-decayed quantity computed by explicit summation over past
// events, S(t_k) = sum_{i <= k} x_i exp(-(t_k - t_i) / tau), never by the S*f + x recursion:
//   - Direct: the literal O(n^2) double loop over all past events (short streams);
//   - Blocked: the same sum regrouped by time blocks of A = 32 tau, each block's terms kept as
//     x_i exp((t_i - T_b) / tau) (at most e^32 x_i) with T_b the block start, and
//     S(t_k) = sum_b exp(-(t_k - T_b) / tau) * (sum of block b's terms up to k), over the
//     blocks of the last 768 tau (older terms weigh < e^-768: 0 in double precision).
// Ratios of decayed sums are 0 when the decayed count of their events is below 1e-6 (the
// engine's documented rule).
// Alongside each value the reference gives a scale for the comparison tolerance: |value| for
// exactly computed features, the decayed sum of |x| for signed decayed sums (the condition of
// the sum), 1 for ratios bounded by 1.
// Sessions and restarts, as specified in features.hpp, kept here as indices into the stream:
// seg_ = the first event of the current segment (since the last restart: a step of ts_exch
// beyond max_gap forward or max_backwards back), whose events alone enter the decayed sums;
// sess_ = the first event of the current session (session index of the clock, computed in
// 128-bit integers), whose events alone enter the session features (VWAP, range, z-score).
// Snapshot events (kSnapshot) change the book and nothing else.
// Single instrument: every event is taken as the same instrument.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include "hft/core/event.hpp"
#include "hft/features/features.hpp"

namespace hft::features::ref {

enum class Decay { Direct, Blocked };
__extension__ typedef __int128 i128;  // exact differences and sessions of any two int64 stamps

struct Ref {
  std::vector<std::string> names;
  // For event k: values and scales (filled by step()).
  std::vector<double> val, scale;
  std::vector<bool> exact;  // computed exactly (no decayed sum): compared at 1e-12
  // Top N after the event (for a cross-check against hft::book): bid/ask price and size.
  std::vector<double> top_pb, top_qb, top_pa, top_qa;
};

// Names written out by hand here, independently of feature_names().
inline std::vector<std::string> ref_names(const FeatureConfig& c) {
  std::vector<std::string> n;
  auto hl = [](double t) {
    // %g formatting of the time constant: integers print without a decimal point.
    char b[32];
    std::snprintf(b, sizeof b, "%gs", t);
    return std::string(b);
  };
  auto per_h = [&](const std::string& p) {
    for (double t : c.horizons_s) n.push_back(p + hl(t));
  };
  if (c.book) {
    n.insert(n.end(), {"mid", "wmid", "microprice", "spread_ticks", "spread_bps", "book_valid"});
    for (std::size_t i = 1; i <= c.levels; ++i) n.push_back("depth_bid_" + std::to_string(i));
    for (std::size_t i = 1; i <= c.levels; ++i) n.push_back("depth_ask_" + std::to_string(i));
    for (std::size_t i = 1; i <= c.levels; ++i) n.push_back("imb_" + std::to_string(i));
    per_h("ofi_");
    per_h("mlofi_");
    n.insert(n.end(), {"qdepl_bid", "qrepl_bid", "qdepl_ask", "qrepl_ask"});
  }
  if (c.flow) {
    per_h("svol_");
    per_h("timb_");
    per_h("trate_");
    n.insert(n.end(), {"add_rate_bid", "add_rate_ask", "cxl_rate_bid", "cxl_rate_ask", "hawkes_buy",
                       "hawkes_sell"});
  }
  if (c.stat) {
    per_h("rv_");
    per_h("mom_");
    n.insert(n.end(), {"ret_acf1", "zscore"});
  }
  if (c.tech) n.insert(n.end(), {"vwap", "vwap_dev_bps", "vol_mom", "range_pos"});
  if (c.time)
    n.insert(n.end(), {"tod_sin", "tod_cos", "min_since_open", "min_to_close", "day_of_week",
                       "pre_open", "open_first", "close_last", "post_close", "halted"});
  return n;
}

// Raw per-event increments, by name.
enum X : int {
  xOfi, xMlofi, xSvol, xBuy, xSell, xTrades, xAddB, xAddA, xCxlB, xCxlA, xDeplB, xReplB, xDeplA,
  xReplA, xR2, xR, xRR, xW, xD, xD2, xVol, xMoBuy, xMoSell, xSignedN, xRN, kX
};

class Reference {
 public:
  Reference(const FeatureConfig& c, Decay d) : c_(c), decay_(d) {
    out_.names = ref_names(c);
    H_ = c.horizons_s.size();
    blocks_.resize(H_ + 1);
  }
  const Ref& out() const { return out_; }

  // Feeds the next event of the stream and computes every feature after it.
  void step(const MarketEvent& ev) {
    const std::size_t N = c_.levels;
    // ---- the book
    std::vector<double> bp_prev = bp_, ap_prev = ap_, bq_prev = bq_, aq_prev = aq_;
    const double depth_b_prev = sum(bq_prev), depth_a_prev = sum(aq_prev);
    apply(ev);
    top(N);
    const bool first = t_.empty();
    if (first) {
      bp_prev.assign(N, 0.0);
      ap_prev.assign(N, INFINITY);
      bq_prev.assign(N, 0.0);
      aq_prev.assign(N, 0.0);
    }
    const bool snap = ev.flags & evflag::kSnapshot;
    // ---- clock: the running maximum of ts_exch within a segment
    const std::size_t k_now = t_.size();
    Nanos t = started_ ? clock_ : 0;
    if (!snap) {
      const i128 step = static_cast<i128>(ev.ts_exch) - clock_;
      const bool restart = !started_ || step > c_.max_gap || -step > c_.max_backwards;
      if (restart) {
        if (started_) (step > 0 ? gap_restarts_ : backwards_restarts_)++;
        started_ = true;
        clock_ = ev.ts_exch;
        seg_ = k_now;
        for (auto& b : blocks_) b.clear();
        rets_.clear();
        ret_base_ = false;
        session_ = session_of(clock_);
        new_session(k_now);
      } else if (step > 0) {
        clock_ = ev.ts_exch;
        const i128 ses = session_of(clock_);
        if (ses != session_) {
          ++session_resets_;
          session_ = ses;
          new_session(k_now);
        }
      }
      t = clock_;
    }
    t_.push_back(t);

    std::array<double, kX> x{};
    auto e_at = [&](std::size_t m) {
      // CKS 2014: bid part minus ask part, empty bid at price 0, empty ask at +inf.
      const double bid = (bp_[m] >= bp_prev[m] ? bq_[m] : 0.0) - (bp_[m] <= bp_prev[m] ? bq_prev[m] : 0.0);
      const double ask = (ap_[m] <= ap_prev[m] ? aq_[m] : 0.0) - (ap_[m] >= ap_prev[m] ? aq_prev[m] : 0.0);
      return bid - ask;
    };
    x[xOfi] = e_at(0);
    for (std::size_t m = 0; m < N; ++m) x[xMlofi] += e_at(m);
    if (bp_[0] > 0 && bp_[0] == bp_prev[0]) {
      x[xDeplB] = std::max(0.0, bq_prev[0] - bq_[0]);
      x[xReplB] = std::max(0.0, bq_[0] - bq_prev[0]);
    }
    if (std::isfinite(ap_[0]) && ap_[0] == ap_prev[0]) {
      x[xDeplA] = std::max(0.0, aq_prev[0] - aq_[0]);
      x[xReplA] = std::max(0.0, aq_[0] - aq_prev[0]);
    }
    const bool synth = ev.flags & evflag::kSynthetic;
    const bool exec = (ev.kind == EventKind::Execute || ev.kind == EventKind::Trade) && ev.qty > 0;
    if (snap) {
      // The book only: no increment at all.
      x = {};
      if (ev.kind == EventKind::Status) state_ = ev.aux;
    } else if (exec) {
      x[xTrades] = 1;
      x[xVol] = ev.qty;
      if (ev.price > 0) {
        pq_ += ev.price * static_cast<std::int64_t>(ev.qty);
        q_ += ev.qty;
      }
      if (ev.side == Side::Sell || ev.side == Side::Buy) {
        const bool buyer = ev.side == Side::Sell;
        x[buyer ? xBuy : xSell] = ev.qty;
        x[xSvol] = buyer ? double(ev.qty) : -double(ev.qty);
        x[xSignedN] = 1;
        // A new market order unless the previous execution on this aggressor side had the
        // same timestamp: look back over past events explicitly.
        bool same = false;
        for (std::size_t i = evs_.size(); i-- > seg_;) {
          const MarketEvent& p = evs_[i];
          const bool pexec = (p.kind == EventKind::Execute || p.kind == EventKind::Trade) && p.qty > 0 &&
                             p.side == ev.side;
          if (pexec) {
            same = p.ts_exch == ev.ts_exch;
            break;
          }
        }
        if (!same) x[buyer ? xMoBuy : xMoSell] = 1;
      }
    } else if (!synth && ev.kind == EventKind::Add) {
      if (ev.side == Side::Buy) x[xAddB] = 1;
      if (ev.side == Side::Sell) x[xAddA] = 1;
    } else if (!synth && (ev.kind == EventKind::Cancel || ev.kind == EventKind::Delete)) {
      Side s = ev.side;
      if (s == Side::None) s = sum(bq_) < depth_b_prev ? Side::Buy : (sum(aq_) < depth_a_prev ? Side::Sell : Side::None);
      if (s == Side::Buy) x[xCxlB] = 1;
      if (s == Side::Sell) x[xCxlA] = 1;
    } else if (ev.kind == EventKind::Status) {
      state_ = ev.aux;
    }
    const bool valid = bp_[0] > 0 && std::isfinite(ap_[0]) && bp_[0] < ap_[0];
    double midp;
    if (valid) {
      midp = 0.5 * (bp_[0] + ap_[0]);
    } else if (has_last_mid_) {
      midp = last_mid_;
    } else {
      midp = bp_[0] > 0 ? bp_[0] : (std::isfinite(ap_[0]) ? ap_[0] : 0.0);
    }
    if (valid && snap) {
      has_last_mid_ = true;
      last_mid_ = midp;
      ret_base_ = false;
    } else if (valid) {
      // Returns between consecutive distinct valid mids of a segment (not from a snapshot's
      // book); rr pairs a return with the one before.
      if (ret_base_ && midp != last_mid_) {
        const double r = std::log(midp / last_mid_);
        x[xR] = r;
        x[xR2] = r * r;
        x[xRN] = 1;
        if (!rets_.empty()) x[xRR] = r * rets_.back();
        rets_.push_back(r);
      }
      has_last_mid_ = ret_base_ = true;
      last_mid_ = midp;
      session_mids_.push_back(midp);
      const double d = (midp - session_mids_.front()) / double(c_.tick);
      x[xW] = 1;
      x[xD] = d;
      x[xD2] = d * d;
    }
    xs_.push_back(x);
    evs_.push_back(ev);

    // ---- decayed sums of every stream, value and |value|, for every horizon (+ Hawkes)
    std::vector<std::array<double, kX>> S(H_ + 1), G(H_ + 1);
    for (std::size_t h = 0; h <= H_; ++h) {
      const double tau = h < H_ ? c_.horizons_s[h] : 1.0 / c_.hawkes_beta;
      decayed(h, tau, S[h], G[h]);
    }

    // ---- assemble
    auto& v = out_.val;
    auto& sc = out_.scale;
    v.clear();
    sc.clear();
    out_.exact.clear();
    auto exact = [&](double a) {
      v.push_back(a);
      sc.push_back(std::fabs(a));
      out_.exact.push_back(true);
    };
    auto with = [&](double a, double s) {
      v.push_back(a);
      sc.push_back(s);
      out_.exact.push_back(false);
    };
    const std::size_t hm = H_ > 1 ? 1 : 0, hl = H_ - 1;
    const double tick = double(c_.tick);
    if (c_.book) {
      const double P = double(kPriceScale);
      double cbN = 0, caN = 0;
      for (std::size_t i = 0; i < N; ++i) {
        cbN += bq_[i];
        caN += aq_[i];
      }
      exact(midp / P);
      exact(valid ? (bp_[0] * caN + ap_[0] * cbN) / (caN + cbN) / P : midp / P);
      exact(valid ? (bp_[0] * aq_[0] + ap_[0] * bq_[0]) / (aq_[0] + bq_[0]) / P : midp / P);
      const bool both = bp_[0] > 0 && std::isfinite(ap_[0]);
      exact(both ? (ap_[0] - bp_[0]) / tick : 0.0);
      exact(both && midp > 0 ? (ap_[0] - bp_[0]) / midp * 1e4 : 0.0);
      exact(valid ? 1 : 0);
      double acc = 0;
      for (std::size_t i = 0; i < N; ++i) exact(acc += bq_[i]);
      acc = 0;
      for (std::size_t i = 0; i < N; ++i) exact(acc += aq_[i]);
      double ab = 0, aa = 0;
      for (std::size_t i = 0; i < N; ++i) {
        ab += bq_[i];
        aa += aq_[i];
        exact(ab + aa > 0 ? (ab - aa) / (ab + aa) : 0.0);
      }
      for (std::size_t h = 0; h < H_; ++h) with(S[h][xOfi], G[h][xOfi]);
      for (std::size_t h = 0; h < H_; ++h) with(S[h][xMlofi], G[h][xMlofi]);
      const double tm = c_.horizons_s[hm];
      for (int k : {xDeplB, xReplB, xDeplA, xReplA}) with(S[hm][k] / tm, G[hm][k] / tm);
    }
    if (c_.flow) {
      for (std::size_t h = 0; h < H_; ++h) with(S[h][xSvol], G[h][xSvol]);
      for (std::size_t h = 0; h < H_; ++h) {
        const double tot = S[h][xBuy] + S[h][xSell];
        with(S[h][xSignedN] >= 1e-6 && tot > 0 ? (S[h][xBuy] - S[h][xSell]) / tot : 0.0, 1.0);
      }
      for (std::size_t h = 0; h < H_; ++h) with(S[h][xTrades] / c_.horizons_s[h], G[h][xTrades] / c_.horizons_s[h]);
      const double tm = c_.horizons_s[hm];
      for (int k : {xAddB, xAddA, xCxlB, xCxlA}) with(S[hm][k] / tm, G[hm][k] / tm);
      const double mu = c_.hawkes_mu, al = c_.hawkes_alpha;
      with(mu + al * S[H_][xMoBuy], mu + al * G[H_][xMoBuy]);
      with(mu + al * S[H_][xMoSell], mu + al * G[H_][xMoSell]);
    }
    if (c_.stat) {
      for (std::size_t h = 0; h < H_; ++h) with(std::sqrt(S[h][xR2]), std::sqrt(G[h][xR2]));
      for (std::size_t h = 0; h < H_; ++h) with(S[h][xR], G[h][xR]);
      with(S[hl][xRN] >= 1e-6 && S[hl][xR2] > 0 ? S[hl][xRR] / S[hl][xR2] : 0.0, 1.0);
      double z = 0;
      if (!session_mids_.empty() && S[hl][xW] >= 1e-6) {
        const double m = S[hl][xD] / S[hl][xW];
        const double var = S[hl][xD2] / S[hl][xW] - m * m;
        z = ((midp - session_mids_.front()) / tick - m) / (var > 1.0 ? std::sqrt(var) : 1.0);
      }
      // E[d^2] - E[d]^2 cancels: compare at 1e-9 of the magnitudes it is made of.
      with(z, std::max(1.0, std::fabs(z)) * 1e3);
    }
    if (c_.tech) {
      const double vw = q_ > 0 ? double(pq_) / double(q_) : 0.0;
      exact(vw / double(kPriceScale));
      exact(vw > 0 && midp > 0 ? (midp - vw) / vw * 1e4 : 0.0);
      const double ts = c_.horizons_s[0], tl = c_.horizons_s[hl];
      with(std::log((1.0 + S[0][xVol] / ts) / (1.0 + S[hl][xVol] / tl)), 1.0);
      // Session high and low of the valid mid so far (kept as running extremes: a rescan of
      // every past mid per event would be quadratic on a full day).
      if (valid && !snap) {
        hi_ = session_mids_.size() == 1 ? midp : std::max(hi_, midp);
        lo_ = session_mids_.size() == 1 ? midp : std::min(lo_, midp);
      }
      const double hi = hi_, lo = lo_;
      exact(!session_mids_.empty() && hi > lo ? (midp - lo) / (hi - lo) : 0.5);
    }
    if (c_.time) {
      const Nanos day = 86'400'000'000'000;
      Nanos tod = c_.ts_exch_epoch ? ev.ts_exch + c_.utc_offset : ev.ts_exch;
      tod %= day;
      if (tod < 0) tod += day;
      const double a = 2.0 * std::numbers::pi * double(tod) / double(day);
      exact(std::sin(a));
      exact(std::cos(a));
      exact(double(tod - c_.session_open) / 60e9);
      exact(double(c_.session_close - tod) / 60e9);
      double dow = -1;
      if (ev.ts_recv > 100'000'000'000'000'000) {
        Nanos local = ev.ts_recv + c_.utc_offset;
        const Nanos days = local / day;  // positive epoch times only here
        dow = double((days + 3) % 7);    // 1970-01-01: Thursday
      } else if (c_.date_yyyymmdd) {
        dow = double(features::day_of_week(c_.date_yyyymmdd));
      }
      exact(dow);
      exact(tod < c_.session_open);
      exact(tod >= c_.session_open && tod - c_.session_open < c_.session_edge);
      exact(tod < c_.session_close && c_.session_close - tod <= c_.session_edge);
      exact(tod >= c_.session_close);
      exact(state_ == std::uint8_t(TradingState::Halted) || state_ == std::uint8_t(TradingState::Paused));
    }
    out_.top_pb = bp_;
    out_.top_qb = bq_;
    out_.top_pa = ap_;
    out_.top_qa = aq_;
  }

 private:
  struct O {
    Side side;
    Price price;
    std::int64_t qty;
  };
  static double sum(const std::vector<double>& v) {
    double s = 0;
    for (double a : v) s += a;
    return s;
  }
  void level_add(Side s, Price p, std::int64_t q) {
    auto& m = s == Side::Buy ? bids_ : asks_;
    m[p] += q;
    if (m[p] == 0) m.erase(p);
  }
  void remove(OrderId id) {
    auto it = orders_.find(id);
    if (it == orders_.end()) return;
    level_add(it->second.side, it->second.price, -it->second.qty);
    orders_.erase(it);
  }
  void add(OrderId id, Side s, Price p, std::int64_t q) {
    if (orders_.count(id) || q <= 0 || p <= 0 || s == Side::None) return;
    orders_[id] = O{s, p, q};
    level_add(s, p, q);
  }
  void apply(const MarketEvent& e) {
    switch (e.kind) {
      case EventKind::Add: add(e.order_id, e.side, e.price, e.qty); break;
      case EventKind::Execute:
      case EventKind::Cancel: {
        auto it = orders_.find(e.order_id);
        if (it == orders_.end() || e.qty == 0) break;
        const std::int64_t r = std::min<std::int64_t>(e.qty, it->second.qty);
        it->second.qty -= r;
        level_add(it->second.side, it->second.price, -r);
        if (it->second.qty == 0) orders_.erase(it);
        break;
      }
      case EventKind::Delete: remove(e.order_id); break;
      case EventKind::Replace: {
        auto it = orders_.find(e.order_id);
        if (it == orders_.end()) break;
        const Side s = it->second.side;
        remove(e.order_id);
        add(e.new_order_id, s, e.price, e.qty);
        break;
      }
      case EventKind::Clear:
        orders_.clear();
        bids_.clear();
        asks_.clear();
        break;
      default: break;
    }
  }
  void top(std::size_t N) {
    bp_.assign(N, 0.0);
    bq_.assign(N, 0.0);
    ap_.assign(N, INFINITY);
    aq_.assign(N, 0.0);
    std::size_t i = 0;
    for (auto it = bids_.rbegin(); it != bids_.rend() && i < N; ++it, ++i) {
      bp_[i] = double(it->first);
      bq_[i] = double(it->second);
    }
    i = 0;
    for (auto it = asks_.begin(); it != asks_.end() && i < N; ++it, ++i) {
      ap_[i] = double(it->first);
      aq_[i] = double(it->second);
    }
  }
  // S and G (sum of |x|) at the newest event for time constant tau.
  void decayed(std::size_t slot, double tau, std::array<double, kX>& S, std::array<double, kX>& G) {
    S.fill(0.0);
    G.fill(0.0);
    const std::size_t k = xs_.size() - 1;
    const Nanos tk = t_[k];
    if (decay_ == Decay::Direct) {
      for (std::size_t i = seg_; i <= k; ++i) {
        const double w = std::exp(-double(tk - t_[i]) * 1e-9 / tau);
        for (int j = 0; j < kX; ++j) {
          if (i < sess_ && (j == xW || j == xD || j == xD2)) continue;  // an earlier session's
          S[j] += xs_[i][j] * w;
          G[j] += std::fabs(xs_[i][j]) * w;
        }
      }
      return;
    }
    // Blocked: add event k to its block, then sum the recent blocks.
    const Nanos A = static_cast<Nanos>(std::llround(32.0 * tau * 1e9));
    auto& bl = blocks_[slot];
    const Nanos b = floor_div(tk, A);
    auto& part = bl[b];
    const double up = std::exp(double(tk - b * A) * 1e-9 / tau);
    for (int j = 0; j < kX; ++j) {
      part.first[j] += xs_[k][j] * up;
      part.second[j] += std::fabs(xs_[k][j]) * up;
    }
    for (auto it = bl.lower_bound(b - 24); it != bl.end() && it->first <= b; ++it) {
      const double w = std::exp(-double(tk - it->first * A) * 1e-9 / tau);
      for (int j = 0; j < kX; ++j) {
        S[j] += it->second.first[j] * w;
        G[j] += it->second.second[j] * w;
      }
    }
  }

  FeatureConfig c_;
  Decay decay_;
  std::size_t H_ = 0;
  Ref out_;
  std::map<OrderId, O> orders_;
  std::map<Price, std::int64_t> bids_, asks_;
  std::vector<double> bp_, bq_, ap_, aq_;
  std::vector<MarketEvent> evs_;
  std::vector<Nanos> t_;
  std::vector<std::array<double, kX>> xs_;
  std::vector<double> session_mids_, rets_;
  bool has_last_mid_ = false, ret_base_ = false;
  double last_mid_ = 0;
  bool started_ = false;
  Nanos clock_ = 0;
  i128 session_ = 0;
  std::size_t seg_ = 0, sess_ = 0;

 public:
  std::uint64_t gap_restarts_ = 0, backwards_restarts_ = 0, session_resets_ = 0;

 private:
  // floor((local - open) / 24 h) in 128 bits (no clamping needed for the streams tested here).
  i128 session_of(Nanos clock) const {
    const i128 local = static_cast<i128>(clock) + (c_.ts_exch_epoch ? c_.utc_offset : 0);
    const i128 a = local - c_.session_open, d = 86'400'000'000'000;
    i128 q = a / d;
    if (a % d != 0 && a < 0) --q;
    return q;
  }
  // The session features start at event k: VWAP, range, z-score anchor and its sums (the
  // blocked sums drop the earlier sessions' terms of those streams).
  void new_session(std::size_t k) {
    sess_ = k;
    pq_ = q_ = 0;
    hi_ = lo_ = 0;
    session_mids_.clear();
    for (auto& bl : blocks_)
      for (auto& [b, part] : bl)
        for (int j : {xW, xD, xD2}) part.first[j] = part.second[j] = 0;
  }
  std::int64_t pq_ = 0, q_ = 0;
  double hi_ = 0, lo_ = 0;
  std::uint8_t state_ = 0;
  std::vector<std::map<Nanos, std::pair<std::array<double, kX>, std::array<double, kX>>>> blocks_;
};

}  // namespace hft::features::ref
