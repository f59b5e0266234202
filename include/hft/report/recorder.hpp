// The backtest recorder: what a replay with strategies did, collected on the hot thread with no
// allocation after construction. Every buffer is sized from RecorderSettings; when one is full
// its further rows are counted (dropped_*) and not kept, while the aggregates (P&L, fill counts,
// round trips, rejects, prediction scores) stay exact. Nothing grows with the time between
// events: a gap of many grid intervals costs one sample.
//
// What the engine calls (all event time, integer ns; one thread):
//   on_book(t, instrument, bid, ask)    after a book update: the instrument's mid
//   on_quotes(t, strategy, instrument, bid, ask)  a strategy's own best quotes (0 = none)
//   on_order(intent)                    every New intent sent (after the router set id and ts)
//   on_exec(report, fee)                every execution report (fee: currency, fills only;
//                                       positive = paid, negative = rebate)
//   on_prediction(t, p, confidence)     every prediction (p: down / flat / up probabilities)
//   on_label(p, truth)                  a prediction whose label resolved (truth 0/1/2)
//   on_breaker(t, strategy, reason)     a circuit breaker tripped
//   finish(t_end)                       once at the end: the last grid samples
//
// Accounting (per strategy and instrument, in currency = price / kPriceScale * qty): average
// cost. A fill that adds to the position moves the average cost; one that reduces it realizes
// (price - average cost) * qty * sign(position). Unrealized = (mid - average cost) * position
// (the last fill price when no mid is known). A round trip starts when the position leaves zero
// and ends when it returns to zero or crosses it (a crossing fill closes the trip with the
// closing part and opens the next at the fill price); its P&L is the realized P&L of the trip
// minus the fees of its fills (a crossing fill's fee split pro rata by quantity).
//
// Grids (event time): at every boundary B = k * interval an event crosses, one sample per active
// (strategy, instrument) pair (a pair becomes active at its first order, quote or fill) with the
// state after every event with ts < B; when events skip several boundaries only the last is
// sampled (`intervals` says how many the sample covers). The fine mid grid samples the mid of
// every active instrument in the same way.
//
// May touch: core/ (types, order messages).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hft/core/order.hpp"
#include "hft/core/types.hpp"

namespace hft::report {

struct RecorderSettings {
  std::size_t strategies = 1;              // strategy indices 0..strategies-1
  std::size_t instruments = 1;             // instrument ids 0..instruments-1
  Nanos grid_ns = 1'000'000'000;           // P&L / inventory sample interval
  Nanos mid_grid_ns = 100'000'000;         // fine mid grid for markouts
  // Row capacities (touched at construction: no page faults on the hot thread; the engine sets
  // them from report.max_rows).
  std::size_t max_orders = 1 << 16;
  std::size_t max_fills = 1 << 16;
  std::size_t max_grid = 1 << 16;          // grid rows (one per active pair per boundary)
  std::size_t max_mids = 1 << 17;          // fine grid rows (one per active instrument per boundary)
  std::size_t max_trips = 4096;            // breaker trip rows
  double trading_day_s = 23400;            // 6.5 h (annualisation: intervals per trading day)
  int days_per_year = 252;
};

enum class OrderState : std::uint8_t { Sent = 0, Working, PartFilled, Filled, Cancelled, Rejected };
const char* order_state_name(OrderState s) noexcept;
const char* liquidity_name(Liquidity l) noexcept;

struct OrderRow {
  Nanos ts_sent = 0;
  Nanos ts_final = 0;        // time of the last state change
  ClientOrderId id = 0;
  std::uint16_t strategy = 0;
  InstrumentId instrument = 0;
  Side side = Side::None;
  TimeInForce tif = TimeInForce::Day;
  OrderState state = OrderState::Sent;
  RejectReason reason = RejectReason::None;
  Price price = 0;           // the latest limit price (a replace changes it)
  Qty qty = 0;               // quantity sent
  Qty filled = 0;
  std::uint32_t replaces = 0;
};

struct FillRow {
  Nanos ts = 0;              // reached the engine
  Nanos ts_venue = 0;        // exchange time (0 = unknown)
  ClientOrderId id = 0;
  std::uint16_t strategy = 0;
  InstrumentId instrument = 0;
  Side side = Side::None;
  Liquidity liquidity = Liquidity::None;
  Price price = 0;
  Qty qty = 0;
  Qty queue_ahead = 0;
  double fee = 0;            // currency
  double mid = 0;            // currency, the instrument's mid when the fill arrived (0 = unknown)
  std::int64_t position = 0; // the pair's position after the fill
};

struct GridSample {
  Nanos t = 0;               // boundary time
  std::uint32_t intervals = 1;  // grid intervals since the previous sample of the run
  std::uint16_t strategy = 0;
  InstrumentId instrument = 0;
  double mid = 0;            // currency (0 = unknown)
  Price bid = 0, ask = 0;    // own best quotes (0 = none)
  std::int64_t inventory = 0;
  double realized = 0, unrealized = 0, fees = 0, net = 0;  // currency, cumulative
};

struct MidSample {
  Nanos t = 0;
  InstrumentId instrument = 0;
  double mid = 0;            // currency
};

struct BreakerTrip {
  Nanos t = 0;
  std::uint16_t strategy = 0;
  std::array<char, 48> reason{};  // NUL-terminated, truncated
};

// Counts that stay exact when row buffers are full (per strategy and in total).
struct Aggregates {
  std::uint64_t orders_sent = 0, qty_sent = 0, orders_filled = 0, qty_filled = 0;  // filled: leaves 0
  std::uint64_t fills = 0, maker_fills = 0, taker_fills = 0;
  double notional = 0;       // traded, currency
  double max_gross = 0;      // max over time of sum |position| * last fill price, currency
  std::uint64_t trips = 0, wins = 0, losses = 0;  // closed round trips (P&L 0 is neither)
  double win_sum = 0, loss_sum = 0;               // loss_sum >= 0
  std::array<std::uint64_t, kRejectReasonCount> rejects{};
};

// Prediction scores: top class as model::top_class (a down/flat tie goes to flat, up only strictly).
struct PredictionStats {
  static constexpr int kConfBins = 20;
  std::uint64_t predictions = 0;
  std::array<std::uint64_t, kConfBins> confidence{};  // bin floor(20 c), c = 1 -> last
  std::uint64_t labels = 0;
  std::array<std::uint64_t, 9> confusion{};           // [true][predicted]
  double log_loss_sum = 0;                            // -ln(clamp(p[truth], 1e-15, 1))
  std::array<std::uint64_t, 10> calib_count{};        // bin floor(10 top p), 1 -> bin 9
  std::array<double, 10> calib_p_sum{};
  std::array<std::uint64_t, 10> calib_correct{};
};

// Pair state at the end of the run (per strategy x instrument, dense; filled in by finish()).
struct PairFinal {
  std::int64_t position = 0;
  double avg_cost = 0, realized = 0, fees = 0, unrealized = 0, mark = 0;
};

// Everything recorded; a plain copy for the report (Recorder::data()).
struct Recording {
  RecorderSettings settings;
  std::vector<OrderRow> orders;
  std::vector<FillRow> fills;
  std::vector<GridSample> grid;
  std::vector<MidSample> mids;
  std::vector<BreakerTrip> trips;
  std::vector<PairFinal> pairs;          // strategies x instruments, row-major by strategy (set by finish())
  std::vector<Aggregates> per_strategy;
  Aggregates total;
  PredictionStats pred;
  std::uint64_t breaker_trips = 0;
  std::uint64_t dropped_orders = 0, dropped_fills = 0, dropped_grid = 0, dropped_mids = 0, dropped_trips = 0;
  std::uint64_t bad_input = 0;           // calls with ids out of range or malformed reports
  std::uint64_t unknown_reports = 0;     // reports for orders not in `orders` (dropped or never sent)
  std::uint64_t skipped_intervals = 0;   // grid intervals no event fell in (covered by one sample)
  Nanos t_first = 0, t_last = 0;
  bool started = false;
};

class Recorder {
 public:
  // Allocates every buffer; throws std::invalid_argument on zero sizes or intervals.
  explicit Recorder(const RecorderSettings& s);

  void on_book(Nanos t, InstrumentId i, Price bid, Price ask) noexcept;
  void on_quotes(Nanos t, std::uint16_t strategy, InstrumentId i, Price bid, Price ask) noexcept;
  void on_order(const OrderIntent& o) noexcept;
  void on_exec(const ExecReport& r, double fee = 0) noexcept;
  void on_prediction(Nanos t, const float* p, float confidence) noexcept;
  void on_label(const float* p, int truth) noexcept;
  void on_breaker(Nanos t, std::uint16_t strategy, const char* reason) noexcept;
  // Moves the clock (every call above does this first); samples the crossed grid boundaries.
  void advance(Nanos t) noexcept;
  // End of run at t: samples the grids once more at their next boundaries (the final state).
  void finish(Nanos t) noexcept;

  const Recording& data() const noexcept { return rec_; }

 private:
  struct Pair {
    std::int64_t pos = 0;
    double avg = 0, realized = 0, fees = 0, mark = 0;   // currency
    double trip_pnl = 0, trip_fees = 0, gross = 0;       // gross: |pos| * mark
    Price bid = 0, ask = 0;
    bool active = false;
  };
  std::size_t pair_index(std::uint16_t s, InstrumentId i) const noexcept {
    return static_cast<std::size_t>(s) * rec_.settings.instruments + i;
  }
  void activate(std::uint16_t s, InstrumentId i) noexcept;
  OrderRow* find(ClientOrderId id) noexcept;
  void on_fill(const ExecReport& r, double fee) noexcept;
  void close_trip(Pair& p, std::uint16_t s) noexcept;
  void sample_grid(Nanos b, std::uint32_t intervals) noexcept;
  void sample_mids(Nanos b) noexcept;

  Recording rec_;
  std::vector<Pair> pair_;
  std::vector<std::uint32_t> active_pairs_;   // pair indices, in activation order
  std::vector<std::uint8_t> instr_active_;
  std::vector<InstrumentId> active_instr_;
  std::vector<double> mid_;                   // per instrument, currency (0 = unknown)
  std::vector<double> gross_;                 // per strategy: sum of |pos| * mark
  double gross_total_ = 0;
  std::vector<std::uint32_t> slot_;           // open addressing: order id -> orders index + 1
  std::size_t slot_mask_ = 0;
  Nanos next_grid_ = 0, next_mid_ = 0, last_sample_ = 0;
  bool any_sample_ = false;
};

}  // namespace hft::report
