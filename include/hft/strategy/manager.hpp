// The strategy manager: runs the configured strategies (config.yml `strategies:`) over their
// instruments on the order thread. Each strategy has its own Context (its orders carry its
// index, so positions, limits and P&L are kept per strategy and instrument by the order
// manager behind the router). Instruments are matched to strategies by symbol the first time
// an instrument is seen and again at its directory event; after that an event reaches the
// strategies that trade its instrument through a fixed table (no search, no allocation).
// May touch: strategy/, engine/ (headers: envelope, orders, clock, symbols), config/.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/engine/clock.hpp"
#include "hft/engine/envelope.hpp"
#include "hft/engine/orders.hpp"
#include "hft/engine/symbols.hpp"
#include "hft/strategy/strategy.hpp"

namespace hft::strategy {

// The StrategySpec of each enabled config entry (type resolved, tick from execution.tick_size).
std::vector<StrategySpec> specs_of(const config::Config& c);

class Manager {
 public:
  static constexpr std::size_t kMaxPerInstrument = 8;  // strategies trading one instrument
  // Builds every enabled strategy (throws std::invalid_argument on a bad one: unknown type,
  // bad setting). owner: the hosting stage's index (timers come back to it).
  Manager(std::vector<StrategySpec> specs, engine::OrderRouter& router, engine::Scheduler& sched,
          const engine::Clock& clock, std::uint16_t owner, const engine::SymbolTable* symbols,
          std::size_t max_instruments);

  void on_event(const engine::Envelope& e, const book::Books& books, const features::FeatureEngine* fe) noexcept;
  void on_exec(const ExecReport& r) noexcept;
  void on_timer(std::uint64_t cookie) noexcept;
  // A breaker halted strategy s (the router already rejects its new orders): it cancels its
  // orders and is told (on_trip).
  void on_trip(std::uint16_t s) noexcept;
  // After the risk limits were replaced (a reload): the instruments seen are matched again.
  void resolve_again() noexcept;

  std::size_t size() const noexcept { return list_.size(); }
  const StrategySpec& spec(std::size_t i) const noexcept { return list_[i].spec; }
  // Strategies that trade instrument id (after it was resolved).
  std::size_t trading(InstrumentId id, const std::uint16_t*& out) const noexcept;

 private:
  struct Entry {
    StrategySpec spec;
    std::unique_ptr<Strategy> impl;
    Context ctx;
  };
  void resolve(InstrumentId id) noexcept;

  std::vector<Entry> list_;
  engine::OrderRouter* router_;
  const engine::SymbolTable* symbols_;
  std::size_t max_instr_;
  std::vector<std::uint8_t> state_;    // per instrument: 0 unseen, 1 resolved without a symbol, 2 resolved
  std::vector<std::uint8_t> count_;    // strategies per instrument
  std::vector<std::uint16_t> subs_;    // kMaxPerInstrument per instrument
};

}  // namespace hft::strategy
