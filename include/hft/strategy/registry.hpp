// Strategy types by name: config.yml names a type (market_direction, market_making, or a user's),
// the registry builds it from its StrategySpec. Built-in types are registered by the strategy
// module itself; a user's type registers with HFT_REGISTER_STRATEGY in its own .cpp, which must
// be linked into the binary (put it in src/app/strategies/: every file there is compiled into
// hftd, so its registration runs before main).
// May touch: strategy/ (strategy.hpp, params.hpp).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hft/strategy/strategy.hpp"

namespace hft::strategy {

// Builds a strategy; throws std::invalid_argument with a clear reason for bad settings.
using Factory = std::function<std::unique_ptr<Strategy>(const StrategySpec&)>;

// False if the type was already registered (the first one stays).
bool register_type(std::string_view type, Factory f);
// The names of all registered types, sorted.
std::vector<std::string> registered_types();
// Builds spec.type; throws std::invalid_argument naming the known types when it is unknown.
std::unique_ptr<Strategy> make_strategy(const StrategySpec& spec);
// The type a config entry names: its `type`, else its name without a trailing _vN or _N.
std::string type_of(std::string_view name, std::string_view type);

}  // namespace hft::strategy

#define HFT_STRATEGY_CAT2(a, b) a##b
#define HFT_STRATEGY_CAT(a, b) HFT_STRATEGY_CAT2(a, b)
#define HFT_REGISTER_STRATEGY(type_name, Class)                                                      \
  static const bool HFT_STRATEGY_CAT(hft_registered_, __LINE__) = ::hft::strategy::register_type( \
      #type_name, [](const ::hft::strategy::StrategySpec& s) { return std::make_unique<Class>(s); });
