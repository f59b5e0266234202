// Queue-reactive study (Cont and de Larrard 2013): estimates the order flow rates at the best
// bid and ask queues from an event stream, then compares the model's P(next mid move is up |
// bid queue x, ask queue y) with the empirical frequency, by queue-size bucket.
// Pure computation: QueueStudy takes classified order flow and book tops; QueueFeed drives it
// from normalized events and a book::Books. Research tool, not the hot path.
//
// Method:
// - Flow at the best (events the reader made up, LOBSTER window entries/exits, are left out):
//   limit orders added at the best price of their side (lambda), executions of resting orders
//   at the best (market orders, mu) and cancels / deletes of orders at the best (theta). An
//   add inside the spread opens a new queue and is counted apart. Rates per second, by count
//   and by volume; the model uses the volume rates in units of the mean limit-order size at the
//   best (u): lambda = added shares / u / T, mu + theta = removed shares / u / T, pooled over
//   both sides (the paper's model has one set of rates). Queue sizes: shares / u, rounded, >= 1.
// - Samples: after every event group (LOBSTER row, packet) that changes the best bid or ask
//   (price or size) with a valid top inside the session, the state (x, y); its outcome is the
//   sign of the next change of the mid. Samples still open at the end are dropped (counted).
//   The queue sizes just after each mid move are summarised (the paper's post-move law).
// - Buckets: the same edges for x and y, quantiles of the pooled sample units (merged when equal).
//   Per cell: count, empirical up-frequency and its binomial standard error, mean model p.
// - Summary: count-weighted mean |freq - model|; Brier scores of the model, of 0.5 and of the
//   cell frequencies themselves (in-sample: the floor for any function of the cell).
//
// May touch: core/, book/, model/queue_reactive.hpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/event.hpp"
#include "hft/core/types.hpp"
#include "hft/model/queue_reactive.hpp"
#include "hft/study/ofi.hpp"

namespace hft::study {

struct QueueConfig {
  Nanos start = (9 * 3600 + 1800) * kNsPerSec;  // session, time of day
  Nanos end = 16 * 3600 * kNsPerSec;
  int buckets = 5;      // quantile buckets per side
  int max_units = 50;   // model table size K (sizes above read K)
  int max_spread = 0;   // keep samples with spread <= this many ticks (0: any spread)
  Price tick = 100;
};

// Flow at one side's best queue.
struct SideFlow {
  std::uint64_t adds = 0, execs = 0, cancels = 0, inside = 0;    // events
  std::int64_t add_qty = 0, exec_qty = 0, cancel_qty = 0;          // shares
};

struct QueueRates {
  double seconds = 0;              // session time covered (first to last event inside it)
  SideFlow bid, ask;
  double unit = 0;                 // mean limit-order size added at the best (shares)
  // per second, both sides pooled (each side's average): by count
  double lambda_n = 0, mu_n = 0, theta_n = 0;
  // per second, in units of `unit` (by volume): what the model uses
  double lambda = 0, mu = 0, theta = 0;
  double bid_lambda = 0, bid_mu = 0, ask_lambda = 0, ask_mu = 0;   // mu here = market + cancel
};

struct QueueCell {
  int bx = 0, by = 0;       // bucket indices
  int x_lo = 0, x_hi = 0;   // units covered (inclusive)
  int y_lo = 0, y_hi = 0;
  std::uint64_t n = 0, up = 0;
  double freq = 0, se = 0;  // empirical up-frequency and sqrt(f(1-f)/n)
  double model = 0;         // mean model p over the cell's samples
};

struct QueueSummary {
  std::uint64_t samples = 0, open_at_end = 0, wide_spread = 0, invalid = 0, outside = 0;
  std::uint64_t moves = 0, up_moves = 0;
  double mad = 0;                       // count-weighted mean |freq - model|
  double brier_model = 0, brier_half = 0.25, brier_cells = 0;
  double after_move_bid = 0, after_move_ask = 0;  // mean units just after a mid move
  // up-frequency by imbalance (qb - qa) / (qb + qa) in 5 equal bins on [-1, 1]
  std::uint64_t imb_n[5] = {}, imb_up[5] = {};
};

struct QueueResult {
  QueueConfig cfg;
  QueueRates rates;
  std::vector<int> edges;  // bucket b covers units (edges[b-1], edges[b]]; edges[-1] = 0
  std::vector<QueueCell> cells;
  QueueSummary summary;
  model::QueueTable table;
};

class QueueStudy {
 public:
  explicit QueueStudy(const QueueConfig& cfg = {});  // throws std::invalid_argument on bad config
  // Order flow at the best (classified by QueueFeed); ts is the time of day.
  void on_flow(Nanos ts, Side side, EventKind kind, Qty qty, bool at_best, bool inside) noexcept;
  // Best levels after one event group.
  void on_top(Nanos ts, const Top& top);
  QueueResult finish();  // once

 private:
  struct Sample {
    Volume qb, qa;
    std::int8_t dir;  // +1 up, -1 down, 0 open
  };
  QueueConfig cfg_;
  QueueRates rates_;
  std::vector<Sample> samples_;
  std::size_t open_from_ = 0;
  Top prev_{};
  Price last_mid2_ = 0;  // bid + ask of the last valid top
  bool have_mid_ = false;
  Nanos first_ts_ = -1, last_ts_ = -1;
  double after_bid_ = 0, after_ask_ = 0;
  QueueSummary sum_;
};

// Drives a QueueStudy: classifies each event against the book before it is applied, applies it,
// and passes the top after each event group (evflag::kLast).
class QueueFeed {
 public:
  static constexpr InstrumentId kAny = 0xFFFFFFFFu;  // the first instrument with an Add
  QueueFeed(QueueStudy& study, book::Books& books, InstrumentId instrument, bool epoch_clock);
  void on_event(const MarketEvent& ev);
  InstrumentId instrument() const noexcept { return instr_; }

 private:
  QueueStudy& study_;
  book::Books& books_;
  InstrumentId instr_;
  bool epoch_;
  bool touched_ = false;
};

}  // namespace hft::study
