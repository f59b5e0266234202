// The built-in strategy types, registered on first use of the registry (a static library's
// self-registering objects would be dropped by the linker when nothing refers to them).
#include <memory>

#include "hft/strategy/market_direction.hpp"
#include "hft/strategy/market_making.hpp"
#include "hft/strategy/registry.hpp"

namespace hft::strategy {

void register_builtin_types() {
  static const bool done = [] {
    register_type("market_direction", [](const StrategySpec& s) { return std::make_unique<MarketDirection>(s); });
    register_type("market_making", [](const StrategySpec& s) { return std::make_unique<MarketMaking>(s); });
    return true;
  }();
  (void)done;
}

}  // namespace hft::strategy
