// Order flow imbalance study (Cont, Kukanov & Stoikov 2014, "The price impact of order book
// events"): per book update the OFI contribution e_n from the best bid/ask before and after;
// OFI, trade imbalance and mid-price change over fixed intervals; per window OLS regressions
// dP = alpha + beta OFI (and on TI, and on both) with t-statistics, R^2 and average depth.
// Pure computation: OfiStudy takes book tops and trades; OfiFeed drives it from normalized
// events and a book::Books. Research tool, not the hot path (allocates at construction only).
//
// Method, and where it differs from the paper:
// - e_n is taken per event group (a LOBSTER message row, an ITCH packet), not per event: the
//   LOBSTER reader's synthetic window events inside a row pass through states (an emptied best
//   level before the next level enters) that never existed. The paper has one e_n per TAQ
//   quote update. A group whose top before or after is crossed, locked or has an empty side is
//   skipped and counted (Counts::invalid); the mid then keeps its last valid value.
// - dP_k = (mid at the end - mid at the start of interval k) / tick, the mid at a boundary being
//   the one left by every update strictly before it; an interval with no mid at either end is
//   left out of the regressions (on LOBSTER only the first: the file starts after 09:30:00).
// - Windows tile the session (13 half hours, 09:30-16:00, none dropped); one OLS per window.
// - TI_k = buyer- minus seller-initiated executed volume: visible executions and hidden
//   executions / prints (LOBSTER types 4 and 5, ITCH E/C and P, DBN trades 'T') signed by
//   the resting order's side (a resting sell hit = buyer-initiated); cross / auction prints
//   are excluded and counted. The paper signs TAQ trades against the quotes.
// - Depth is the time-weighted mean of (qb + qa) / 2 over the window (so files carrying more
//   or fewer deeper-level messages give the same value); lambda in beta = c / depth^lambda is
//   fitted across the windows of the one day given (the paper pools many days and stocks).
//
// May touch: core/, book/.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/event.hpp"
#include "hft/core/types.hpp"

namespace hft::study {

inline constexpr Nanos kNsPerSec = 1'000'000'000LL;
inline constexpr Nanos kNsPerDay = 86'400LL * kNsPerSec;

// Best bid and ask; price 0 and qty 0 for an empty side (as book::Books::best reports it).
struct Top {
  Price bid_px = 0;
  Volume bid_qty = 0;
  Price ask_px = 0;
  Volume ask_qty = 0;
};

// Both sides present and bid < ask. e_n and the mid are only defined on valid tops.
bool top_valid(const Top& t) noexcept;

// e_n = 1{Pb_n >= Pb_n-1} qb_n - 1{Pb_n <= Pb_n-1} qb_n-1
//     - 1{Pa_n <= Pa_n-1} qa_n + 1{Pa_n >= Pa_n-1} qa_n-1     (shares; both tops must be valid)
std::int64_t ofi_contribution(const Top& prev, const Top& cur) noexcept;

struct StudyConfig {
  Nanos start = (9 * 3600 + 1800) * kNsPerSec;  // session start, time of day (09:30)
  Nanos end = 16 * 3600 * kNsPerSec;            // session end (16:00)
  Nanos interval = 10 * kNsPerSec;              // OFI / dP aggregation interval
  Nanos window = 1800 * kNsPerSec;              // regression window (a multiple of interval)
  Price tick = 100;                             // $0.01 in price units (1e-4)
};

// One aggregation interval [start, start + interval).
struct Interval {
  Nanos start = 0;
  std::int64_t ofi = 0;       // sum of e_n over valid updates in the interval (shares)
  std::int64_t ti = 0;        // buyer- minus seller-initiated executed volume (shares)
  double dp_ticks = 0;        // mid at the end minus mid at the start, in ticks
  std::uint64_t updates = 0;  // book updates (e_n terms) counted in the interval
  bool priced = false;        // a valid mid existed at both ends (else excluded from regressions)
};

// Simple regression y = alpha + beta x (or with two regressors; beta2 then set).
struct Ols {
  std::size_t n = 0;
  double alpha = 0, beta = 0, beta2 = 0;
  double se_beta = 0, t_beta = 0, t_beta2 = 0;
  double r2 = 0;
  bool ok = false;  // n >= regressors + 2 and regressors and y not constant
};
// y on x (same length).
Ols ols1(const std::vector<double>& x, const std::vector<double>& y);
// y on x1 and x2.
Ols ols2(const std::vector<double>& x1, const std::vector<double>& x2, const std::vector<double>& y);

struct WindowResult {
  Nanos start = 0;
  std::size_t intervals = 0;  // priced intervals used in the regressions
  Ols ofi;                    // dP on OFI
  Ols ti;                     // dP on TI
  Ols both;                   // dP on OFI (beta) and TI (beta2)
  double depth = 0;           // time-weighted mean of (qb + qa) / 2 at the best while the top
                              //   is valid (shares); independent of updates that leave it alone
  double beta_depth = 0;      // ofi.beta * depth (the paper's beta ~ c / depth: c in ticks)
  double std_dp = 0;          // standard deviation of dP (ticks)
};

struct Averages {
  std::size_t windows = 0;  // windows whose OFI regression is ok
  double beta = 0, t = 0, r2_ofi = 0, r2_ti = 0, r2_both = 0, depth = 0, beta_depth = 0;
  Ols depth_fit;            // log beta = a - lambda log depth across windows (beta = -lambda)
};

// The paper's beta_i = c / depth_i^lambda, fitted across windows whose OFI regression is ok
// and whose beta and depth are > 0: OLS of log beta on log depth; lambda = -slope.
Ols depth_exponent_fit(const std::vector<WindowResult>& windows);

struct Counts {
  std::uint64_t updates = 0;          // book tops given to on_top
  std::uint64_t used = 0;             // e_n terms summed inside the session
  std::uint64_t invalid = 0;          // skipped: crossed, locked or empty before or after
  std::uint64_t outside = 0;          // valid e_n outside the session (not summed)
  std::uint64_t trades = 0;           // signed executions summed into TI
  std::uint64_t trades_unsigned = 0;  // executions with no known side (not in TI)
  std::uint64_t trades_cross = 0;     // auction / cross prints (excluded from TI)
  std::uint64_t trades_fill = 0;      // non-printed fills of a known resting order (DBN 'F':
                                      //   the trade is printed once by its 'T'; not in TI)
  std::uint64_t trades_outside = 0;   // executions outside the session
  std::uint64_t out_of_order = 0;     // times earlier than the previous one (taken as is)
};

struct StudyResult {
  StudyConfig cfg;
  std::vector<Interval> intervals;
  std::vector<WindowResult> windows;
  Averages avg;
  Counts counts;
  std::int64_t ofi_total = 0;  // sum of every e_n used (equals the sum of interval OFI)
};

class OfiStudy {
 public:
  // Throws std::invalid_argument when the windows do not tile the session in whole intervals.
  explicit OfiStudy(const StudyConfig& cfg = {});
  // The best levels after one book update at time-of-day ts (updates in time order).
  void on_top(Nanos ts, const Top& top) noexcept;
  // An execution of qty shares; aggressor Buy = buyer-initiated (a resting sell was hit).
  void on_trade(Nanos ts, Side aggressor, Qty qty, bool cross = false) noexcept;
  // A fill that is not counted in TI (see OfiFeed): counted only.
  void note_fill() noexcept { ++counts_.trades_fill; }
  // Closes the intervals and runs the regressions. Call once.
  StudyResult finish();

 private:
  long index_of(Nanos ts) const noexcept;  // interval index or -1 outside the session
  void close_until(long k) noexcept;       // record the mid at the start of intervals <= k
  void accrue_depth(Nanos until) noexcept; // the current top's depth, from its start to until

  StudyConfig cfg_;
  std::vector<Interval> iv_;
  std::vector<double> mid_at_start_;  // mid (price units) at each interval's start; NaN: none
  std::vector<double> depth_sum_;     // per window: sum of depth x ns
  std::vector<double> depth_ns_;      // per window: ns with a valid top
  double cur_depth_ = -1;             // depth of the current top; < 0 when it is not valid
  Nanos cur_from_ = 0;                // when the current top took effect
  Top prev_{};
  double last_mid_ = 0;
  bool have_mid_ = false;
  long next_boundary_ = 0;            // first interval whose start mid is not recorded yet
  Nanos last_ts_ = 0;
  Counts counts_;
  std::int64_t ofi_total_ = 0;
};

// Drives an OfiStudy from a normalized event stream: applies each event to the books, takes
// the top of one instrument after each event group (evflag::kLast; a LOBSTER row, a packet),
// and signs executions by the side of the resting order (Execute: looked up in the book
// before it is applied when the event has no side; Trade: the event's side). Every Execute
// counts; a Trade counts when it is printed (kPrintable) or names no order (ITCH P, LOBSTER 5),
// so a DBN fill ('F', naming the resting order) is not counted beside its print ('T').
class OfiFeed {
 public:
  static constexpr InstrumentId kAny = 0xFFFFFFFFu;  // the first instrument with an Add
  // epoch_clock: ts_exch counts from the Unix epoch; the time of day is then taken in UTC.
  OfiFeed(OfiStudy& study, book::Books& books, InstrumentId instrument, bool epoch_clock);
  void on_event(const MarketEvent& ev) noexcept;
  InstrumentId instrument() const noexcept { return instr_; }

 private:
  OfiStudy& study_;
  book::Books& books_;
  InstrumentId instr_;
  bool epoch_;
  bool touched_ = false;
};

}  // namespace hft::study
