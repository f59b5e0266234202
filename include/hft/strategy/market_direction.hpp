// market_direction: trades the direction the model predicts. A prediction at least
// min_confidence_threshold confident gives a target position (+max_position for up,
// -max_position for down; flat with exit_on_flat gives 0); the change from the current position
// is worked by an Almgren-Chriss schedule of child orders over horizon_s in `slices` slices,
// whose front-loading (urgency kappa) follows the risk aversion and the volatility: a nervous
// desk or a volatile stock trades sooner. Each slice is a marketable limit order (IOC at the
// opposite best, within the collar; several when the slice is over max_order_qty); what a
// slice does not fill rolls into the next one.
// The README's worked example of a user strategy: only the hooks it needs (predict comes from
// the shared prediction stage; place_orders and the adapt hooks are its own).
// Settings (besides the common ones): horizon_s (30), slices (10), risk_aversion (lambda, 1e-6
// per currency), impact (eta, temporary impact in currency per share per share/second, 1e-6),
// exit_on_flat (false), regime_stop (true: no new targets while the regime gate says stop),
// signal (model: the prediction stage's ensemble | imbalance: the level-1 queue imbalance
// (bid - ask)/(bid + ask) as direction and confidence, for runs without a trained model; this is
// the one hook, predict, that it overrides).
// May touch: strategy/, exec/ (Almgren-Chriss).
#pragma once
#include <array>
#include <cstdint>

#include "hft/exec/almgren_chriss.hpp"
#include "hft/strategy/inputs.hpp"
#include "hft/strategy/strategy.hpp"

namespace hft::strategy {

class MarketDirection : public Steps<MarketDirection> {
 public:
  static constexpr int kMaxSlices = 64;
  static constexpr int kMaxChunks = 16;  // child orders one slice may send
  explicit MarketDirection(const StrategySpec& spec);

  Signal predict(const MarketView& m, Context& c) noexcept;
  void place_orders(const MarketView& m, const Signal& s, Context& c) noexcept;
  void on_exec(const ExecReport& r, Context& c) noexcept override;
  void on_timer(std::uint32_t cookie, Context& c) noexcept override;
  void on_trip(Context& c) noexcept override;

  struct Book {  // per instrument
    InstrumentId id = 0;
    Price bid = 0, ask = 0;
    std::int64_t target = 0;       // the position the schedule works towards
    std::int64_t planned = 0;      // signed shares still to send in the current schedule
    std::array<double, kMaxSlices> trades{};  // the schedule's slice sizes (shares, >= 0)
    int next = 0;                  // next slice
    std::uint32_t generation = 0;  // a new schedule invalidates the old one's timers
    double carry = 0;              // unfilled shares rolled into the next slice
    ClientOrderId first_child = 0; // the current schedule's first child order (ids grow)
    Side side = Side::None;
    VolEstimate vol;
  };

 private:
  void schedule(Book& b, std::uint8_t slot, std::int64_t position, double mid, double sigma, Context& c) noexcept;
  void send_slice(Book& b, Context& c) noexcept;

  StrategySpec spec_;
  double horizon_s_, lambda_, eta_;
  int slices_;
  bool exit_on_flat_, regime_stop_, imbalance_;
  Slots slots_;
  std::array<Book, 64> books_{};
};

}  // namespace hft::strategy
