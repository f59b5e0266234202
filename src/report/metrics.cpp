#include "hft/core/scales.hpp"
#include "hft/report/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hft::report {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
bool selected(int strategy, std::uint16_t s) noexcept { return strategy < 0 || s == static_cast<std::uint16_t>(strategy); }
double ratio(double a, double b) noexcept { return b != 0 ? a / b : kNaN; }
}  // namespace

std::vector<EquityPoint> equity_curve(const Recording& r, int strategy) {
  std::vector<EquityPoint> out;
  // One sampling fills a contiguous run of rows with one t.
  for (std::size_t k = 0; k < r.grid.size();) {
    const Nanos t = r.grid[k].t;
    double sum = 0;
    bool any = false;
    for (; k < r.grid.size() && r.grid[k].t == t; ++k) {
      if (!selected(strategy, r.grid[k].strategy)) continue;
      sum += r.grid[k].net;
      any = true;
    }
    if (any) out.push_back({t, sum});
  }
  return out;
}

std::vector<double> interval_pnl(std::span<const EquityPoint> e) {
  std::vector<double> x(e.size());
  double prev = 0;
  for (std::size_t k = 0; k < e.size(); ++k) {
    x[k] = e[k].net - prev;
    prev = e[k].net;
  }
  return x;
}

RiskReturn risk_return(std::span<const double> x, double interval_s, double trading_day_s, int days_per_year) {
  RiskReturn r;
  r.return_interval_s = interval_s;
  r.trading_day_s = trading_day_s;
  r.days_per_year = days_per_year;
  r.intervals_per_year = interval_s > 0 ? days_per_year * trading_day_s / interval_s : kNaN;
  r.annualisation = std::sqrt(r.intervals_per_year);
  r.intervals = x.size();
  if (x.empty()) {
    r.mean = r.sd = r.downside_sd = r.sharpe = r.sortino = kNaN;
    return r;
  }
  const double n = static_cast<double>(x.size());
  double sum = 0, down = 0;
  for (double v : x) {
    sum += v;
    if (v < 0) down += v * v;
  }
  r.mean = sum / n;
  double ss = 0;
  for (double v : x) ss += (v - r.mean) * (v - r.mean);
  r.sd = x.size() > 1 ? std::sqrt(ss / (n - 1)) : kNaN;
  r.downside_sd = std::sqrt(down / n);
  r.sharpe = x.size() > 1 && r.sd > 0 ? r.mean / r.sd * r.annualisation : kNaN;
  r.sortino = x.size() > 1 && r.downside_sd > 0 ? r.mean / r.downside_sd * r.annualisation : kNaN;
  return r;
}

Drawdown max_drawdown(std::span<const EquityPoint> e) {
  Drawdown d;
  double peak = 0;  // the series starts at 0 before the first sample
  Nanos peak_t = e.empty() ? 0 : e.front().t;
  for (const auto& p : e) {
    if (p.net > peak) {
      peak = p.net;
      peak_t = p.t;
    }
    if (peak - p.net > d.max) {
      d.max = peak - p.net;
      d.peak_t = peak_t;
      d.trough_t = p.t;
    }
  }
  return d;
}

Tail historical_var(std::span<const double> x, double level) {
  if (x.empty()) return {kNaN, kNaN};
  std::vector<double> loss(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) loss[k] = -x[k];
  std::sort(loss.begin(), loss.end(), [](double a, double b) { return a > b; });
  // m = ceil((1 - level) n), guarded against 0.05 * n being a hair above an integer.
  const double raw = (1.0 - level) * static_cast<double>(x.size());
  std::size_t m = static_cast<std::size_t>(std::ceil(raw - 1e-9));
  m = std::clamp<std::size_t>(m, 1, x.size());
  double sum = 0;
  for (std::size_t k = 0; k < m; ++k) sum += loss[k];
  return {loss[m - 1], sum / static_cast<double>(m)};
}

Markout markout(const Recording& r, int strategy, Nanos horizon) {
  Markout m;
  m.horizon_s = static_cast<double>(horizon) * 1e-9;
  // The fine grid is in time order; split it by instrument.
  std::vector<std::vector<MidSample>> by(r.settings.instruments);
  for (const auto& s : r.mids)
    if (s.instrument < by.size()) by[s.instrument].push_back(s);
  for (const auto& f : r.fills) {
    if (!selected(strategy, f.strategy) || f.instrument >= by.size()) continue;
    const Nanos t = (f.ts_venue > 0 ? f.ts_venue : f.ts) + horizon;
    const auto& v = by[f.instrument];
    const auto it = std::lower_bound(v.begin(), v.end(), t, [](const MidSample& s, Nanos x) { return s.t < x; });
    if (it == v.end()) {
      ++m.unresolved;
      continue;
    }
    const double side = f.side == Side::Buy ? 1.0 : -1.0;
    // (mid in currency per whole unit; fills in the instrument's size units)
    const double per = (it->mid - price_to_double(f.price, f.instrument)) * side / static_cast<double>(qty_scale_of(f.instrument));
    ++m.fills;
    m.qty += f.qty;
    m.total += per * static_cast<double>(f.qty);
  }
  m.per_share = m.qty ? m.total / static_cast<double>(m.qty) : kNaN;
  return m;
}

PredictionMetrics prediction_metrics(const PredictionStats& s) {
  PredictionMetrics p;
  p.predictions = s.predictions;
  p.labels = s.labels;
  p.confidence = s.confidence;
  p.confusion = s.confusion;
  if (s.labels == 0) {
    p.accuracy = p.macro_f1 = p.log_loss = p.ece = kNaN;
  } else {
    const double n = static_cast<double>(s.labels);
    p.accuracy = static_cast<double>(s.confusion[0] + s.confusion[4] + s.confusion[8]) / n;
    double f1 = 0;
    for (std::size_t c = 0; c < 3; ++c) {
      std::uint64_t pred = 0, truth = 0;
      for (std::size_t k = 0; k < 3; ++k) {
        pred += s.confusion[k * 3 + c];
        truth += s.confusion[c * 3 + k];
      }
      if (pred + truth > 0) f1 += 2.0 * static_cast<double>(s.confusion[c * 3 + c]) / static_cast<double>(pred + truth);
    }
    p.macro_f1 = f1 / 3;
    p.log_loss = s.log_loss_sum / n;
    p.ece = 0;
  }
  for (std::size_t b = 0; b < 10; ++b) {
    auto& c = p.calibration[b];
    c.count = s.calib_count[b];
    c.mean_predicted = c.count ? s.calib_p_sum[b] / static_cast<double>(c.count) : kNaN;
    c.fraction_correct = c.count ? static_cast<double>(s.calib_correct[b]) / static_cast<double>(c.count) : kNaN;
    if (c.count && s.labels)
      p.ece += static_cast<double>(c.count) / static_cast<double>(s.labels) * std::fabs(c.fraction_correct - c.mean_predicted);
  }
  return p;
}

Metrics compute_metrics(const Recording& r, int strategy) {
  Metrics m;
  m.strategy = strategy;
  const std::size_t n_instr = r.settings.instruments;
  for (std::size_t k = 0; k < r.pairs.size(); ++k) {
    if (!selected(strategy, static_cast<std::uint16_t>(k / n_instr))) continue;
    m.realized += r.pairs[k].realized;
    m.unrealized += r.pairs[k].unrealized;
    m.fees += r.pairs[k].fees;
  }
  m.gross = m.realized + m.unrealized;
  m.net = m.gross - m.fees;

  const auto eq = equity_curve(r, strategy);
  const auto x = interval_pnl(eq);
  m.rr = risk_return(x, static_cast<double>(r.settings.grid_ns) * 1e-9, r.settings.trading_day_s, r.settings.days_per_year);
  m.dd = max_drawdown(eq);
  m.var95 = historical_var(x, 0.95);
  m.var99 = historical_var(x, 0.99);

  const Aggregates& a = strategy < 0 ? r.total
                        : static_cast<std::size_t>(strategy) < r.per_strategy.size() ? r.per_strategy[static_cast<std::size_t>(strategy)]
                                                                                      : Aggregates{};
  m.trips = a.trips;
  m.wins = a.wins;
  m.losses = a.losses;
  m.win_sum = a.win_sum;
  m.loss_sum = a.loss_sum;
  m.win_rate = a.trips ? static_cast<double>(a.wins) / static_cast<double>(a.trips) : kNaN;
  m.profit_factor = ratio(a.win_sum, a.loss_sum);
  m.orders_sent = a.orders_sent;
  m.orders_filled = a.orders_filled;
  m.qty_sent = a.qty_sent;
  m.qty_filled = a.qty_filled;
  m.fills = a.fills;
  m.maker_fills = a.maker_fills;
  m.taker_fills = a.taker_fills;
  m.fill_ratio_qty = ratio(static_cast<double>(a.qty_filled), static_cast<double>(a.qty_sent));
  m.fill_ratio_orders = ratio(static_cast<double>(a.orders_filled), static_cast<double>(a.orders_sent));
  m.notional = a.notional;
  m.max_gross = a.max_gross;
  m.turnover = ratio(a.notional, a.max_gross);
  m.rejects = a.rejects;

  std::vector<double> q;
  for (const auto& f : r.fills)
    if (selected(strategy, f.strategy) && f.liquidity == Liquidity::Maker) q.push_back(static_cast<double>(f.queue_ahead));
  m.queue_fills = q.size();
  if (q.empty()) {
    m.queue_mean = m.queue_median = kNaN;
  } else {
    double sum = 0;
    for (double v : q) sum += v;
    m.queue_mean = sum / static_cast<double>(q.size());
    std::sort(q.begin(), q.end());
    const std::size_t h = q.size() / 2;
    m.queue_median = q.size() % 2 ? q[h] : (q[h - 1] + q[h]) / 2;
  }
  m.markouts[0] = markout(r, strategy, 1'000'000'000);
  m.markouts[1] = markout(r, strategy, 10'000'000'000);
  return m;
}

}  // namespace hft::report
