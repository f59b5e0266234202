// Hawkes study of market orders: buy and sell market-order arrival times of one instrument,
// taken from normalized events, fitted with the bivariate exponential Hawkes process of
// model/hawkes.hpp (dimension 0 = buy, 1 = sell) beside a pooled univariate fit and a Poisson
// fit, with time-rescaling goodness of fit. Research tool (allocates), not the hot path.
//
// Method:
// - A market order is signed by the resting order it executes against: an execution of a
//   resting SELL is a BUY market order (as in study/ofi.hpp: Execute looked up in the book when
//   the event has no side; a printed Trade or one naming no order takes the event's side; DBN
//   fills 'F' naming the resting order are counted beside their print 'T', not used; cross /
//   auction prints are excluded and counted).
// - One aggressive order that sweeps several resting orders arrives as several executions with
//   the same exchange timestamp on the same side: every execution at the same timestamp and
//   side as the previous market order of that side is merged into it (counted in `merged`).
//   Two distinct aggressive orders at the same nanosecond on the same side cannot be told apart
//   from such a sweep and are merged too.
// - The observation window is the session [start, end) when one is given (executions outside it
//   counted), else from the first to the last event of the instrument. Times are seconds from
//   the window's start. A market order earlier than the one before it is dropped and counted
//   (the likelihood needs ordered times).
// - Constant baselines mu over the window: intraday seasonality (busier open and close) is
//   absorbed partly by the excitation, so a whole-day fit overstates the branching ratio
//   against a fit with a time-varying baseline (a known bias; use --start/--end for a
//   sub-window).
//
// May touch: core/, book/, model/ (hawkes only).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/event.hpp"
#include "hft/core/types.hpp"
#include "hft/model/hawkes.hpp"

namespace hft::study {

struct HawkesStudyConfig {
  bool session = false;  // filter to [start, end) (time of day); else the instrument's span
  Nanos start = 0;
  Nanos end = 0;
  model::HawkesFitOptions fit{};
};

struct MarketOrderCounts {
  std::uint64_t executions = 0;     // signed executions in the window (= market_orders + merged
                                    //   + out_of_order)
  std::uint64_t market_orders = 0;  // after merging
  std::array<std::uint64_t, 2> per_side{};  // market orders: [0] buy, [1] sell
  std::uint64_t merged = 0;         // executions folded into the previous market order of their
                                    //   side (same timestamp)
  std::uint64_t unsigned_side = 0;  // executions with no known side (not used)
  std::uint64_t cross = 0;          // auction / cross prints (not used)
  std::uint64_t fills = 0;          // non-printed fills beside their print (not used)
  std::uint64_t outside = 0;        // executions outside the session (not used)
  std::uint64_t out_of_order = 0;   // market orders earlier than the previous one (dropped)
};

// Market-order times of one instrument (time of day in ns) -> seconds from the window start.
class MarketOrderTimes {
 public:
  explicit MarketOrderTimes(const HawkesStudyConfig& cfg = {}) : cfg_(cfg) {}
  // Any event of the instrument at time of day tod: the window's span when no session is set.
  void on_instrument_event(Nanos tod) noexcept;
  // One execution; aggressor Buy = buyer-initiated (a resting sell was hit).
  void on_execution(Nanos tod, Side aggressor, bool cross);
  void note_fill() noexcept { ++counts_.fills; }

  struct Data {
    std::vector<double> times;         // seconds from t0, non-decreasing
    std::vector<std::uint8_t> marks;   // 0 buy, 1 sell
    Nanos t0 = 0;                      // window start (time of day)
    double T = 0;                      // window length (s)
  };
  Data data() const;
  const MarketOrderCounts& counts() const noexcept { return counts_; }

 private:
  HawkesStudyConfig cfg_;
  std::vector<Nanos> tod_;
  std::vector<std::uint8_t> side_;
  std::array<Nanos, 2> last_side_ts_{-1, -1};
  Nanos last_ts_ = -1;
  Nanos first_event_ = -1, last_event_ = -1;
  MarketOrderCounts counts_;
};

// Drives MarketOrderTimes from normalized events (see OfiFeed in study/ofi.hpp: the books are
// kept to find the side of an Execute that carries none).
class HawkesFeed {
 public:
  static constexpr InstrumentId kAny = 0xFFFFFFFFu;  // the first instrument with an Add
  HawkesFeed(MarketOrderTimes& times, book::Books& books, InstrumentId instrument, bool epoch_clock);
  void on_event(const MarketEvent& ev);
  InstrumentId instrument() const noexcept { return instr_; }

 private:
  MarketOrderTimes& times_;
  book::Books& books_;
  InstrumentId instr_;
  bool epoch_;
};

struct HawkesStudyResult {
  MarketOrderCounts counts;
  MarketOrderTimes::Data data;
  model::HawkesFit bivariate;          // dimension 0 buy, 1 sell
  model::HawkesResiduals residuals;    // of the bivariate fit (when it has parameters)
  model::HawkesFit pooled;             // every market order as one univariate process
  model::HawkesResiduals pooled_residuals;
  std::array<double, 2> poisson_ks{};  // KS of the Poisson fit's residuals (constant rate per side)
};

// Fits the market orders collected by `times`.
HawkesStudyResult hawkes_study(const MarketOrderTimes& times, const model::HawkesFitOptions& fit = {});

}  // namespace hft::study
