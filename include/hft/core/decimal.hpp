// Exact decimal-string -> fixed-point conversion and per-instrument scales. Venues that send
// prices and sizes as text ("61590.30", "0.00012000") are converted here with integer
// arithmetic only (digits -> integer, never through binary floating point), against the
// instrument's scale, tick and lot; a value that is not a decimal, has more decimals than the
// scale can hold, or is off the tick / lot grid is refused with its reason.
//
// Strong types: PriceFx and QtyFx carry their units and cannot be mixed with each other or
// with raw integers by accident; the engine's hot path still stores raw Price / Qty (event.hpp)
// and takes .units at this boundary (what is left: see README, "Instruments and scales").
// May touch: core/types.hpp only.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "hft/core/types.hpp"

namespace hft {

// One instrument's fixed-point units. price_scale: price units per 1 of the quote currency
// (10000 = ITCH's 1e-4; 100 = cents; 128 = 1/128ths); qty_scale: quantity units per 1 of the
// base asset (1 = whole shares; 1000 = 0.001 BTC). tick / lot: the price and size grids, in
// those units (1 = every unit is allowed).
struct InstrumentScale {
  std::int64_t price_scale = kPriceScale;
  std::int64_t qty_scale = 1;
  std::int64_t tick = 1;
  std::int64_t lot = 1;
  bool operator==(const InstrumentScale&) const = default;
};

template <class Tag>
struct Fixed {
  std::int64_t units = 0;
  constexpr auto operator<=>(const Fixed&) const = default;
};
struct PriceTag {};
struct QtyTag {};
using PriceFx = Fixed<PriceTag>;  // price in the instrument's price units
using QtyFx = Fixed<QtyTag>;      // quantity in the instrument's quantity units

enum class DecimalError : std::uint8_t {
  None = 0,
  Empty,        // no digits
  NotNumeric,   // a character that is not a digit or one '.' (signs refused: prices and sizes are >= 0)
  TooPrecise,   // more decimals than the scale holds (a nonzero digit below one unit)
  Overflow,     // does not fit in int64 units
  OffGrid,      // not a multiple of the tick (price) or lot (quantity)
};
const char* decimal_error_name(DecimalError e) noexcept;

// "61590.30" with scale 100 -> 6159030. scale > 0. Trailing zeros beyond the scale's decimals
// are fine ("0.00100000" at scale 1000 is 1); a nonzero digit there is TooPrecise. Works for any
// scale (also 128: the value times the scale must be a whole number of units).
DecimalError parse_decimal(std::string_view s, std::int64_t scale, std::int64_t& out) noexcept;

// parse_decimal + the instrument's grid.
DecimalError parse_price(std::string_view s, const InstrumentScale& sc, PriceFx& out) noexcept;
DecimalError parse_qty(std::string_view s, const InstrumentScale& sc, QtyFx& out) noexcept;

// Units -> decimal text, exact when the scale is a power of ten (else 9 decimals, rounded).
std::string format_decimal(std::int64_t units, std::int64_t scale);

constexpr double to_double(PriceFx p, const InstrumentScale& sc) noexcept {
  return static_cast<double>(p.units) / static_cast<double>(sc.price_scale);
}
constexpr double to_double(QtyFx q, const InstrumentScale& sc) noexcept {
  return static_cast<double>(q.units) / static_cast<double>(sc.qty_scale);
}

}  // namespace hft
