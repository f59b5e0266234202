// Order flow imbalance study: see include/hft/study/ofi.hpp.
#include "hft/study/ofi.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace hft::study {

bool top_valid(const Top& t) noexcept {
  return t.bid_px > 0 && t.ask_px > 0 && t.bid_qty > 0 && t.ask_qty > 0 && t.bid_px < t.ask_px;
}

std::int64_t ofi_contribution(const Top& p, const Top& c) noexcept {
  std::int64_t e = 0;
  if (c.bid_px >= p.bid_px) e += c.bid_qty;
  if (c.bid_px <= p.bid_px) e -= p.bid_qty;
  if (c.ask_px <= p.ask_px) e -= c.ask_qty;
  if (c.ask_px >= p.ask_px) e += p.ask_qty;
  return e;
}

namespace {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

// Centred sums (two passes), residuals computed directly: exact enough for 10^2-10^4 points.
Ols ols1(const std::vector<double>& x, const std::vector<double>& y) {
  Ols r;
  r.n = x.size();
  if (r.n != y.size() || r.n < 3) return r;
  const double mx = mean(x), my = mean(y);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < r.n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return r;
  r.beta = sxy / sxx;
  r.alpha = my - r.beta * mx;
  double ssr = 0;
  for (std::size_t i = 0; i < r.n; ++i) {
    const double e = y[i] - r.alpha - r.beta * x[i];
    ssr += e * e;
  }
  r.r2 = 1 - ssr / syy;
  r.se_beta = std::sqrt(ssr / static_cast<double>(r.n - 2) / sxx);
  r.t_beta = r.se_beta > 0 ? r.beta / r.se_beta : (r.beta > 0 ? kInf : -kInf);
  r.ok = true;
  return r;
}

Ols ols2(const std::vector<double>& x1, const std::vector<double>& x2, const std::vector<double>& y) {
  Ols r;
  r.n = y.size();
  if (x1.size() != r.n || x2.size() != r.n || r.n < 4) return r;
  const double m1 = mean(x1), m2 = mean(x2), my = mean(y);
  double s11 = 0, s12 = 0, s22 = 0, s1y = 0, s2y = 0, syy = 0;
  for (std::size_t i = 0; i < r.n; ++i) {
    const double a = x1[i] - m1, b = x2[i] - m2, c = y[i] - my;
    s11 += a * a;
    s12 += a * b;
    s22 += b * b;
    s1y += a * c;
    s2y += b * c;
    syy += c * c;
  }
  const double det = s11 * s22 - s12 * s12;
  // Collinear (or constant) regressors: no unique solution.
  if (syy <= 0 || s11 <= 0 || s22 <= 0 || det <= 1e-12 * s11 * s22) return r;
  r.beta = (s22 * s1y - s12 * s2y) / det;
  r.beta2 = (s11 * s2y - s12 * s1y) / det;
  r.alpha = my - r.beta * m1 - r.beta2 * m2;
  double ssr = 0;
  for (std::size_t i = 0; i < r.n; ++i) {
    const double e = y[i] - r.alpha - r.beta * x1[i] - r.beta2 * x2[i];
    ssr += e * e;
  }
  r.r2 = 1 - ssr / syy;
  const double s2 = ssr / static_cast<double>(r.n - 3);
  r.se_beta = std::sqrt(s2 * s22 / det);
  const double se2 = std::sqrt(s2 * s11 / det);
  r.t_beta = r.se_beta > 0 ? r.beta / r.se_beta : (r.beta > 0 ? kInf : -kInf);
  r.t_beta2 = se2 > 0 ? r.beta2 / se2 : (r.beta2 > 0 ? kInf : -kInf);
  r.ok = true;
  return r;
}

Ols depth_exponent_fit(const std::vector<WindowResult>& windows) {
  std::vector<double> x, y;
  for (const auto& w : windows) {
    if (!w.ofi.ok || w.ofi.beta <= 0 || w.depth <= 0) continue;
    x.push_back(std::log(w.depth));
    y.push_back(std::log(w.ofi.beta));
  }
  return ols1(x, y);
}

OfiStudy::OfiStudy(const StudyConfig& cfg) : cfg_(cfg) {
  if (cfg.interval <= 0 || cfg.window <= 0 || cfg.end <= cfg.start || cfg.tick <= 0)
    throw std::invalid_argument("ofi study: interval, window, tick must be > 0 and end after start");
  if (cfg.window % cfg.interval != 0)
    throw std::invalid_argument("ofi study: the window must be a whole number of intervals");
  if ((cfg.end - cfg.start) % cfg.window != 0)
    throw std::invalid_argument("ofi study: the session must be a whole number of windows");
  const auto n = static_cast<std::size_t>((cfg.end - cfg.start) / cfg.interval);
  iv_.resize(n);
  for (std::size_t k = 0; k < n; ++k) iv_[k].start = cfg.start + static_cast<Nanos>(k) * cfg.interval;
  mid_at_start_.assign(n + 1, std::numeric_limits<double>::quiet_NaN());
  const auto w = static_cast<std::size_t>((cfg.end - cfg.start) / cfg.window);
  depth_sum_.assign(w, 0.0);
  depth_ns_.assign(w, 0.0);
}

long OfiStudy::index_of(Nanos ts) const noexcept {
  if (ts < cfg_.start || ts >= cfg_.end) return -1;
  return static_cast<long>((ts - cfg_.start) / cfg_.interval);
}

// The mid at a boundary is the state left by every update strictly before it: an update at
// exactly the boundary belongs to the interval that starts there.
void OfiStudy::close_until(long k) noexcept {
  const long last = static_cast<long>(mid_at_start_.size()) - 1;
  if (k > last) k = last;
  for (; next_boundary_ <= k; ++next_boundary_)
    mid_at_start_[static_cast<std::size_t>(next_boundary_)] =
        have_mid_ ? last_mid_ : std::numeric_limits<double>::quiet_NaN();
}

void OfiStudy::on_top(Nanos ts, const Top& top) noexcept {
  ++counts_.updates;
  if (ts < last_ts_) ++counts_.out_of_order;
  last_ts_ = ts;
  // Boundaries at or before ts: (ts - start) / interval, rounded down (none before the start).
  if (ts >= cfg_.start) close_until(static_cast<long>((ts - cfg_.start) / cfg_.interval));
  const long k = index_of(ts);
  const bool valid = top_valid(top);
  if (valid && top_valid(prev_)) {
    const std::int64_t e = ofi_contribution(prev_, top);
    if (k >= 0) {
      auto& iv = iv_[static_cast<std::size_t>(k)];
      iv.ofi += e;
      ++iv.updates;
      ++counts_.used;
      ofi_total_ += e;
    } else {
      ++counts_.outside;
    }
  } else {
    ++counts_.invalid;
  }
  accrue_depth(ts);
  cur_from_ = ts;
  cur_depth_ = valid ? 0.5 * static_cast<double>(top.bid_qty + top.ask_qty) : -1.0;
  if (valid) {
    last_mid_ = 0.5 * static_cast<double>(top.bid_px + top.ask_px);
    have_mid_ = true;
  }
  prev_ = top;
}

// Splits [cur_from_, until) at window boundaries, inside the session only.
void OfiStudy::accrue_depth(Nanos until) noexcept {
  if (cur_depth_ < 0) return;
  Nanos t = std::max(cur_from_, cfg_.start);
  const Nanos stop = std::min(until, cfg_.end);
  while (t < stop) {
    const auto w = static_cast<std::size_t>((t - cfg_.start) / cfg_.window);
    const Nanos seg_end = std::min(stop, cfg_.start + static_cast<Nanos>(w + 1) * cfg_.window);
    const auto dt = static_cast<double>(seg_end - t);
    depth_sum_[w] += cur_depth_ * dt;
    depth_ns_[w] += dt;
    t = seg_end;
  }
}

void OfiStudy::on_trade(Nanos ts, Side aggressor, Qty qty, bool cross) noexcept {
  if (cross) {
    ++counts_.trades_cross;
    return;
  }
  if (aggressor == Side::None) {
    ++counts_.trades_unsigned;
    return;
  }
  const long k = index_of(ts);
  if (k < 0) {
    ++counts_.trades_outside;
    return;
  }
  iv_[static_cast<std::size_t>(k)].ti += aggressor == Side::Buy ? Volume{qty} : -Volume{qty};
  ++counts_.trades;
}

StudyResult OfiStudy::finish() {
  close_until(static_cast<long>(mid_at_start_.size()) - 1);
  accrue_depth(cfg_.end);
  cur_depth_ = -1;
  StudyResult res;
  res.cfg = cfg_;
  res.counts = counts_;
  res.ofi_total = ofi_total_;
  for (std::size_t k = 0; k < iv_.size(); ++k) {
    const double a = mid_at_start_[k], b = mid_at_start_[k + 1];
    iv_[k].priced = !std::isnan(a) && !std::isnan(b);
    iv_[k].dp_ticks = iv_[k].priced ? (b - a) / static_cast<double>(cfg_.tick) : 0.0;
  }
  const auto per_window = static_cast<std::size_t>(cfg_.window / cfg_.interval);
  double sb = 0, st = 0, sr = 0, sd = 0, sbd = 0, sti = 0, sboth = 0;
  std::size_t nti = 0, nboth = 0;
  for (std::size_t w = 0; w < depth_sum_.size(); ++w) {
    WindowResult wr;
    wr.start = cfg_.start + static_cast<Nanos>(w) * cfg_.window;
    std::vector<double> x, t, y;
    for (std::size_t k = w * per_window; k < (w + 1) * per_window; ++k) {
      if (!iv_[k].priced) continue;
      x.push_back(static_cast<double>(iv_[k].ofi));
      t.push_back(static_cast<double>(iv_[k].ti));
      y.push_back(iv_[k].dp_ticks);
    }
    wr.intervals = y.size();
    wr.ofi = ols1(x, y);
    wr.ti = ols1(t, y);
    wr.both = ols2(x, t, y);
    wr.depth = depth_ns_[w] > 0 ? depth_sum_[w] / depth_ns_[w] : 0.0;
    wr.beta_depth = wr.ofi.beta * wr.depth;
    if (!y.empty()) {
      const double m = mean(y);
      double ss = 0;
      for (double v : y) ss += (v - m) * (v - m);
      wr.std_dp = std::sqrt(ss / static_cast<double>(y.size()));
    }
    if (wr.ofi.ok) {
      ++res.avg.windows;
      sb += wr.ofi.beta;
      st += wr.ofi.t_beta;
      sr += wr.ofi.r2;
      sd += wr.depth;
      sbd += wr.beta_depth;
    }
    if (wr.ti.ok) {
      ++nti;
      sti += wr.ti.r2;
    }
    if (wr.both.ok) {
      ++nboth;
      sboth += wr.both.r2;
    }
    res.windows.push_back(wr);
  }
  if (const auto n = static_cast<double>(res.avg.windows); n > 0) {
    res.avg.beta = sb / n;
    res.avg.t = st / n;
    res.avg.r2_ofi = sr / n;
    res.avg.depth = sd / n;
    res.avg.beta_depth = sbd / n;
  }
  if (nti) res.avg.r2_ti = sti / static_cast<double>(nti);
  if (nboth) res.avg.r2_both = sboth / static_cast<double>(nboth);
  res.avg.depth_fit = depth_exponent_fit(res.windows);
  res.intervals = iv_;
  return res;
}

OfiFeed::OfiFeed(OfiStudy& study, book::Books& books, InstrumentId instrument, bool epoch_clock)
    : study_(study), books_(books), instr_(instrument), epoch_(epoch_clock) {}

void OfiFeed::on_event(const MarketEvent& ev) noexcept {
  if (instr_ == kAny && ev.kind == EventKind::Add) instr_ = ev.instrument;
  const Nanos tod = epoch_ ? ev.ts_exch % kNsPerDay : ev.ts_exch;
  if (ev.instrument == instr_ && ev.kind != EventKind::Directory && ev.kind != EventKind::System) {
    touched_ = true;
    if (ev.kind == EventKind::Trade && !(ev.flags & evflag::kPrintable) && ev.order_id != 0) {
      study_.note_fill();
    } else if (ev.kind == EventKind::Execute || ev.kind == EventKind::Trade) {
      // The resting order's side, before the execution may remove the order from the book.
      Side resting = ev.side;
      book::Books::OrderView o;
      if (resting == Side::None && ev.kind == EventKind::Execute && books_.find_order(ev.order_id, o))
        resting = o.side;
      study_.on_trade(tod, opposite(resting), ev.qty, (ev.flags & evflag::kCross) != 0);
    }
  }
  books_.apply(ev);
  if ((ev.flags & evflag::kLast) && touched_) {
    touched_ = false;
    const auto b = books_.best(instr_, Side::Buy);
    const auto a = books_.best(instr_, Side::Sell);
    study_.on_top(tod, Top{b.price, b.qty, a.price, a.qty});
  }
}

}  // namespace hft::study
