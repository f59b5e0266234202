// Backtest metrics from a Recording (off the hot path; allocates). Definitions, which
// docs/report.md repeats for the report's readers:
//  - P&L (currency): realized + unrealized = gross; net = gross - fees (average cost, see
//    recorder.hpp), from the pairs' final state.
//  - Interval P&L: the changes of the net P&L between consecutive grid samples (summed over the
//    selected pairs), the first from 0. Sharpe = mean / sd (sample sd, n - 1) and Sortino =
//    mean / downside sd (sqrt(sum min(x, 0)^2 / n)), both times annualisation =
//    sqrt(intervals per year), intervals per year = days_per_year * trading_day_s / interval_s.
//    P&L is not divided by any capital: these are ratios of currency amounts. NaN (null) when
//    fewer than 2 intervals or a zero denominator.
//  - Maximum drawdown: max over i <= j of E_i - E_j on the equity series E (0 first, then the
//    net P&L at every grid sample); its peak and trough times (the first such pair in time).
//  - Historical VaR / CVaR at level a (0.95, 0.99) of the interval P&L: losses L = -x, m =
//    ceil((1 - a) n); VaR = the m-th largest loss, CVaR = the mean of the m largest losses
//    (positive = a loss). NaN when there are no intervals.
//  - Round trips: from the recorder's aggregates (win rate = wins / trips; profit factor =
//    sum of winning trips / sum of |losing trips|, NaN without losses).
//  - Fill ratios: filled qty / sent qty; fully filled orders (a fill with leaves 0) / sent.
//  - Queue position at fill: mean and median of queue_ahead over recorded maker fills (median of
//    an even count: the mean of the two middle values).
//  - Markout at horizon h of a fill at time t (ts_venue if known, else ts): the mid of the first
//    fine-grid sample of its instrument at or after t + h; per share (mid - price) * side
//    (+1 buy, -1 sell); total = sum per share * qty; reported per share = total / qty. Fills
//    with no such sample (end of data) are counted as unresolved.
//  - Turnover: traded notional; multiple = notional / max gross position (aggregates).
//  - Predictions: accuracy, macro F1 (per class 2TP / (2TP + FP + FN), 0 for a class with no
//    true and no predicted rows, averaged over 3), log-loss (mean of -ln clamp(p_true, 1e-15, 1)),
//    reliability per top-probability bin, ECE.
// May touch: report/ (recorder types), core/.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hft/report/recorder.hpp"

namespace hft::report {

struct EquityPoint {
  Nanos t = 0;
  double net = 0;
};

struct RiskReturn {
  double return_interval_s = 0, trading_day_s = 0;
  int days_per_year = 0;
  double intervals_per_year = 0, annualisation = 0;
  std::size_t intervals = 0;
  double mean = 0, sd = 0, downside_sd = 0, sharpe = 0, sortino = 0;
};

struct Drawdown {
  double max = 0;          // currency, >= 0
  Nanos peak_t = 0, trough_t = 0;
};

struct Tail {
  double var = 0, cvar = 0;
};

struct Markout {
  double horizon_s = 0;
  std::uint64_t fills = 0, qty = 0, unresolved = 0;
  double per_share = 0, total = 0;  // currency
};

struct CalibBin {
  std::uint64_t count = 0;
  double mean_predicted = 0, fraction_correct = 0;  // NaN when empty
};

struct PredictionMetrics {
  std::uint64_t predictions = 0, labels = 0;
  double accuracy = 0, macro_f1 = 0, log_loss = 0, ece = 0;  // NaN without labels
  std::array<CalibBin, 10> calibration{};
  std::array<std::uint64_t, PredictionStats::kConfBins> confidence{};
  std::array<std::uint64_t, 9> confusion{};
};

struct Metrics {
  int strategy = -1;  // -1: all strategies
  double realized = 0, unrealized = 0, gross = 0, fees = 0, net = 0;
  RiskReturn rr;
  Drawdown dd;
  Tail var95, var99;
  std::uint64_t trips = 0, wins = 0, losses = 0;
  double win_rate = 0, profit_factor = 0, win_sum = 0, loss_sum = 0;
  std::uint64_t orders_sent = 0, orders_filled = 0, qty_sent = 0, qty_filled = 0;
  std::uint64_t fills = 0, maker_fills = 0, taker_fills = 0;
  double fill_ratio_qty = 0, fill_ratio_orders = 0;
  std::uint64_t queue_fills = 0;
  double queue_mean = 0, queue_median = 0;
  std::array<Markout, 2> markouts{};  // 1 s, 10 s
  double notional = 0, max_gross = 0, turnover = 0;
  std::array<std::uint64_t, kRejectReasonCount> rejects{};
};

// Net P&L at every grid time, summed over the pairs of `strategy` (-1: all).
std::vector<EquityPoint> equity_curve(const Recording& r, int strategy = -1);
// Changes of the curve, the first from 0.
std::vector<double> interval_pnl(std::span<const EquityPoint> e);
RiskReturn risk_return(std::span<const double> x, double interval_s, double trading_day_s, int days_per_year);
Drawdown max_drawdown(std::span<const EquityPoint> e);
Tail historical_var(std::span<const double> x, double level);
Markout markout(const Recording& r, int strategy, Nanos horizon);
PredictionMetrics prediction_metrics(const PredictionStats& s);
Metrics compute_metrics(const Recording& r, int strategy = -1);

}  // namespace hft::report
