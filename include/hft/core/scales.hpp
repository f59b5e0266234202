// Per-instrument price and quantity scales for the stages that turn integer prices and sizes
// into currency (features, strategies, the recorder and reports). The feed side publishes each
// instrument's scales (from its feed::Instrument) before it hands on any event of it, as it does
// its symbol (engine/symbols.hpp); stages read them with one relaxed atomic load. Unset ids read
// as ITCH's units (kPriceScale, whole shares), so sources without decimal prices are unchanged.
// One table per process, fixed size (no allocation, no lock); ids at or above kMaxScaled read the
// defaults. (A process that replays two sources with clashing ids at once would share entries:
// see README "Instruments and scales".)
// May touch: core/types.hpp only.
#pragma once
#include <cstdint>

#include "hft/core/types.hpp"

namespace hft {

inline constexpr std::size_t kMaxScaled = std::size_t{1} << 16;

void set_instrument_scale(InstrumentId id, std::int64_t price_scale, std::int64_t qty_scale) noexcept;
std::int64_t price_scale_of(InstrumentId id) noexcept;  // price units per 1 of the quote currency
std::int64_t qty_scale_of(InstrumentId id) noexcept;    // size units per 1 of the base asset

inline double price_to_double(Price p, InstrumentId id) noexcept {
  return static_cast<double>(p) / static_cast<double>(price_scale_of(id));
}
// Currency per unit of size at price p (price / price_scale / qty_scale): what a fill of q units costs.
inline double unit_value(Price p, InstrumentId id) noexcept {
  return static_cast<double>(p) / (static_cast<double>(price_scale_of(id)) * static_cast<double>(qty_scale_of(id)));
}

}  // namespace hft
