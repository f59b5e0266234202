// LOBSTER message + orderbook files (lobsterdata.com) as normalized MarketEvents. A level-N
// message file holds only events inside the top-N window; the reader keeps its own book and
// adds synthetic (evflag::kSynthetic) orders for levels entering the window and deletes levels
// leaving it, so the emitted stream applied to a fresh book::Books reproduces every orderbook
// row. Helpers here are exposed for tests. May touch: core/, feed/source.hpp, book/.
//
// Events (instrument kLobsterInstrument, ts_exch = ts_recv = ns after midnight):
//   type 1 -> Add; 2 -> Cancel (qty removed); 3 -> Delete; 4 -> Execute (price = row price,
//   kPrintable); 5 -> Trade (order id 0, side = direction, kPrintable); 6 -> Trade (kCross);
//   7 -> Status (price -1 Halted, 0 Quotation, 1 Trading). An order the reader does not know
//   (rested before the file starts, or forgotten when its level left the window) is taken from
//   the synthetic order at its side and price: Execute / Cancel on it, or Delete when the
//   quantity empties it. Per row: the message's events, then window events (kSynthetic:
//   Delete of every order at a level leaving, one Add per level entering); row 1 is preceded
//   by the seed (kSynthetic | kSnapshot Adds). The row's last event has kLast; a row whose
//   message had no book effect (an error, counted) closes with a kSynthetic System event.
// A level that stays inside the window is never patched from the row: a disagreement is
// counted ("lobster.mismatch"). Bad message lines skip the line and its row; a bad orderbook
// row skips only that row's window check.
// Without its orderbook file (a message file alone): the book starts empty, no seed and no
// window; an execution of an order placed before the file starts becomes a Trade (side and
// price of the row, kPrintable), a cancel or delete of one is skipped; both are counted
// ("lobster.prestart_*", "lobster.no_orderbook_file") and one line on stderr says so at the end.
// A delete of a size the book does not hold (the order changed outside the top-N window, where
// the file is silent) deletes it and is counted ("lobster.delete_size_unseen_change").
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
