// The C++ strategy interface (step 7 and the hooks of the other steps). A user strategy is one
// class with one hook per step of the product's workflow; every hook but place_orders has a
// default that uses the shared stages, so a strategy only writes what it does differently:
//
//   struct MyStrategy : strategy::Steps<MyStrategy> {
//     explicit MyStrategy(const StrategySpec& s);                      // reads its own settings
//     void place_orders(const MarketView&, const Signal&, Context&) noexcept;   // step 7
//   };
//   HFT_REGISTER_STRATEGY(my_strategy, MyStrategy)                      // registry.hpp
//
// and is named in config.yml (strategies: {my_strategy_v1: {symbols: [AAPL], ...}}).
//
// Steps<D> is a template over the user's class, so the hooks are direct (inlinable) calls: one
// virtual call per event and strategy (on_market), not one per hook. The hooks, per event on one
// of the strategy's instruments:
//   1 process(m, c)      the data reaching it (default: a market event of a tradable book,
//                        not halted, not part of a snapshot)
//   2 features(m, c)     its own features beside the shared feature stage's (default: none)
//   3 patterns(m, c)     the regime (default: the regime stage's label in the envelope)
//   4 model / 6 predict  predict(m, c) -> Signal (default: the prediction stage's output)
//   7 place_orders(m, signal, c)   required
// and outside the event path:
//   5 calibrate(c)       at start, and when the model in use changes (default: nothing)
//   8 adapt: on_exec(report, c) after every execution report for its orders, on_timer(cookie,
//                        c) for its timers, on_trip(c) when a breaker halts it.
// Hooks run on the order thread and must not block, allocate or do I/O (see ARCHITECTURE.md).
// May touch: core/, engine/ (envelope, orders, clock: headers), book/, features/ (read only).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/order.hpp"
#include "hft/core/types.hpp"
#include "hft/engine/envelope.hpp"
#include "hft/strategy/context.hpp"

namespace hft::features { class FeatureEngine; }

namespace hft::strategy {

// What the prediction stage said after this event (valid = a prediction was made).
struct Signal {
  bool valid = false;
  int direction = 0;          // -1 down, 0 flat, +1 up: the most probable class
  float p[3] = {0, 0, 0};     // down, flat, up
  float confidence = 0;       // [0, 1]
  float exp_ret_bps = 0;      // expected return over the model's horizon
};

// What a strategy sees of one market event: the envelope (event, top of book, cleaning verdict,
// regime, prediction) after the shared stages ran, and read-only views of the books and features.
struct MarketView {
  const engine::Envelope& e;
  const book::Books& books;
  const features::FeatureEngine* features;  // null when the features stage is not in the layout
  InstrumentId instrument() const noexcept { return e.ev.instrument; }
  bool two_sided() const noexcept { return e.top.bid > 0 && e.top.ask > e.top.bid; }
  double mid() const noexcept { return 0.5 * static_cast<double>(e.top.bid + e.top.ask); }
};

// Everything a strategy is built from: its config entry (common settings and its own params).
struct StrategySpec {
  std::string name;
  std::string type;
  std::vector<std::string> symbols;
  std::int64_t max_position = 1000;
  std::int64_t max_order_qty = 100;
  double retrain_hours = 1;
  double min_confidence = 0.55;
  std::vector<std::pair<std::string, std::string>> params;
  Price tick = 100;  // execution.tick_size (price units)
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual void on_market(const MarketView& m, Context& c) noexcept = 0;
  virtual void on_exec(const ExecReport&, Context&) noexcept {}
  virtual void on_timer(std::uint32_t, Context&) noexcept {}
  virtual void on_trip(Context&) noexcept {}
  virtual void calibrate(Context&) noexcept {}
};

// The step hooks with the shared stages as defaults; D overrides what it needs by name.
template <class D>
class Steps : public Strategy {
 public:
  void on_market(const MarketView& m, Context& c) noexcept final {
    D& d = static_cast<D&>(*this);
    if (!d.process(m, c)) return;     // 1
    d.features(m, c);                 // 2
    d.patterns(m, c);                 // 3
    const Signal s = d.predict(m, c); // 4, 6
    d.place_orders(m, s, c);          // 7
  }

  // 1: book-changing or trade events of a two-sided book that the cleaning stage did not halt.
  bool process(const MarketView& m, Context&) noexcept {
    const MarketEvent& ev = m.e.ev;
    return !m.e.halted && ev.kind <= EventKind::Trade && (ev.flags & evflag::kSnapshot) == 0 && m.two_sided();
  }
  void features(const MarketView&, Context&) noexcept {}
  void patterns(const MarketView&, Context&) noexcept {}
  // 4, 6: the prediction stage's ensemble (the model in the store).
  Signal predict(const MarketView& m, Context&) noexcept { return signal_of(m.e); }

  static Signal signal_of(const engine::Envelope& e) noexcept {
    Signal s;
    if (!e.pred.made) return s;
    s.valid = true;
    s.p[0] = e.pred.p[0];
    s.p[1] = e.pred.p[1];
    s.p[2] = e.pred.p[2];
    s.confidence = e.pred.confidence;
    s.exp_ret_bps = e.pred.exp_ret_bps;
    const int top = s.p[2] > s.p[1] && s.p[2] > s.p[0] ? 2 : (s.p[0] > s.p[1] ? 0 : 1);
    s.direction = top - 1;
    return s;
  }
};

}  // namespace hft::strategy
