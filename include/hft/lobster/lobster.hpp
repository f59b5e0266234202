// LOBSTER message + orderbook files (lobsterdata.com) as normalized MarketEvents. A level-N
// message file holds only events inside the top-N window; the reader keeps its own book and
// adds synthetic (evflag::kSynthetic) orders for levels entering the window and deletes levels
// leaving it, so the emitted stream applied to a fresh book::Books reproduces every orderbook
// row. Helpers here are exposed for tests. May touch: core/, feed/source.hpp, book/.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "hft/core/types.hpp"

namespace hft::lobster {

// Synthetic resting orders (book seed, window entries) take ids from this reserved range.
inline constexpr OrderId kSyntheticIdBase = OrderId{1} << 62;
// The one instrument of a LOBSTER file.
inline constexpr InstrumentId kLobsterInstrument = 1;

// What LOBSTER's file name says: TICKER_DATE_START_END_message_N.csv.
struct LobsterName {
  std::string symbol;          // TICKER
  std::string orderbook_path;  // the paired ..._orderbook_N.csv beside the message file
  int levels = 0;              // N
};
// False when the name does not follow LOBSTER's naming.
bool parse_lobster_name(const std::string& message_path, LobsterName& out);

// "34200.18960767" -> 34200189607670 ns, exactly (digits, no floating point). Digits past the
// 9th decimal (a double printed in full, seen in AMZN level 5: 43002.632812672004) are rounded
// to the nearest ns and reported through *rounded. False on anything that is not a decimal.
bool parse_lobster_time(std::string_view s, Nanos& out, bool* rounded = nullptr) noexcept;

}  // namespace hft::lobster
