// market_making: quotes both sides around a reservation price.
//  - method as: Avellaneda-Stoikov (2008) on a rolling horizon horizon_s (tau = horizon_s);
//    method glft: Gueant-Lehalle-Fernandez-Tapia (2013) infinite-horizon closed form.
//  - sigma from the feature stage's realized volatility (inputs.hpp), in currency per sqrt(s).
//  - A and k (the arrival rate A exp(-k delta) of trades delta away from the mid) start at the
//    configured values and, with estimate_arrival, are refitted online from where trades hit.
//  - The reservation price is skewed by the predicted drift: drift_weight x the model's
//    expected return (bps of the mid) when the prediction is at least min_confidence sure.
//  - Quotes are snapped to the tick (bid down, ask up), at least min_spread_ticks apart, never
//    crossing the opposite best; sizes shrink on the side that adds to the inventory
//    (quote_qty x (1 -/+ q / max_position)) and stop at the position limit.
//  - The regime gate: widen multiplies the spread by widen_factor; stop cancels the quotes.
//  - Quotes are replaced only when their price or size changes and at most every requote_ms of
//    exchange time, so the order rate stays within the risk gate's limit.
// Settings: method (as), gamma (0.1 per currency-share), k (per currency, 100), A (per s, 1),
// estimate_arrival (true), quote_qty (100), min_spread_ticks (1), horizon_s (60),
// drift_weight (1), widen_factor (2), requote_ms (50), arrival_half_life_s (300: the estimator's
// memory; depth buckets of one tick, 20 of them).
// May touch: strategy/, exec/ (quotes, arrival estimator), regime/ (the gate's encoding).
#pragma once
#include <array>
#include <cstdint>

#include "hft/exec/avellaneda_stoikov.hpp"
#include "hft/strategy/inputs.hpp"
#include "hft/strategy/strategy.hpp"

namespace hft::strategy {

class MarketMaking : public Steps<MarketMaking> {
 public:
  explicit MarketMaking(const StrategySpec& spec);

  void place_orders(const MarketView& m, const Signal& s, Context& c) noexcept;
  void on_exec(const ExecReport& r, Context& c) noexcept override;
  void on_trip(Context& c) noexcept override;

  struct Quote {
    ClientOrderId id = 0;
    Price price = 0;
    Qty qty = 0;
  };
  struct Book {  // per instrument
    Quote bid, ask;
    Nanos last_quote = 0;
    Nanos last_t = 0;
    double last_mid = 0;  // currency
    exec::ArrivalEstimator arrivals{0.01, 20, 300};  // re-made per tick size at start
    VolEstimate vol;
    exec::MmParams params{};  // sigma, A, k in use: refreshed at most once a second of event
    Nanos params_t = 0;          // time (they move slowly; a refit per requote costs microseconds)
    bool have_params = false;
  };
  // The parameters in use for an instrument (A, k after the online fit).
  exec::MmParams params_of(const Book& b) const noexcept;

 private:
  void requote(Book& b, InstrumentId id, Side side, Price px, Qty qty, Context& c) noexcept;

  StrategySpec spec_;
  bool glft_;
  double gamma_, k_, A_, horizon_s_, drift_weight_, widen_;
  bool estimate_;
  std::int64_t quote_qty_, min_spread_ticks_;
  Nanos requote_ns_;
  Slots slots_;
  std::array<Book, 64> books_{};
};

}  // namespace hft::strategy
