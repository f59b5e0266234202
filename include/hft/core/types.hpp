// Basic value types shared by every module: fixed-point prices, integer quantities, nanosecond
// times, sides. Floating point starts at features; everything before it is integer.
#pragma once
#include <cstdint>

namespace hft {

// Price in units of 1e-4 of the quote currency (ITCH's 4 implied decimals).
// DBN's 1e-9 prices are divided by 1e5 on the way in (exact for every real tick size).
using Price = std::int64_t;
using Qty = std::uint32_t;       // per-order or per-event quantity
using Volume = std::int64_t;     // sums of quantities (level totals)
using Nanos = std::int64_t;      // nanoseconds
using OrderId = std::uint64_t;
using InstrumentId = std::uint32_t;  // dense index: ITCH stock locate, or a reader's own mapping

inline constexpr Price kPriceScale = 10000;
// LOBSTER's markers for an empty level in its orderbook files.
inline constexpr Price kLobsterEmptyAsk = 9999999999LL;
inline constexpr Price kLobsterEmptyBid = -9999999999LL;

enum class Side : std::uint8_t { Buy = 0, Sell = 1, None = 2 };

constexpr Side opposite(Side s) noexcept {
  return s == Side::Buy ? Side::Sell : (s == Side::Sell ? Side::Buy : Side::None);
}
constexpr char side_char(Side s) noexcept {
  return s == Side::Buy ? 'B' : (s == Side::Sell ? 'S' : 'N');
}

// a - b for a >= b, exact for any two int64 (the difference always fits in uint64): a step
// between two hostile stamps without signed overflow.
constexpr std::uint64_t udiff(Nanos a, Nanos b) noexcept {
  return static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b);
}

// a / b rounded toward minus infinity (b != 0): the grid or day a time falls in, also before 0.
constexpr Nanos floor_div(Nanos a, Nanos b) noexcept {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace hft
