// The normalized market event: what every reader (pcap/ITCH, LOBSTER, DBN) produces and every
// later stage (book, clean, features) consumes. Small, trivially copyable, integer-only.
#pragma once
#include <cstdint>
#include <type_traits>

#include "hft/core/types.hpp"

namespace hft {

enum class EventKind : std::uint8_t {
  Add = 0,      // new resting order: order_id, side, price, qty
  Execute,      // order_id executed by qty; price = execution price if known (else 0)
  Cancel,       // order_id reduced by qty (partial cancel)
  Delete,       // order_id removed whatever its remaining quantity
  Replace,      // order_id removed, new_order_id added with price and qty on the same side
                //   (loses priority; ITCH 'U')
  Modify,       // order_id keeps its id, takes price and qty (DBN 'M'): priority is lost when
                //   the price changes or the quantity grows, kept when the quantity shrinks
  Trade,        // a print that does not change the visible book (hidden execution, ITCH P/Q,
                //   DBN T/F): price, qty, side = side of the resting order when known
  Clear,        // remove every order of the instrument (DBN 'R', feed reset)
  Status,       // trading state change: aux = EventStatus value
  Directory,    // instrument defined (ITCH 'R'): qty = round lot
  System,       // system event: aux = event code character
  Count_
};
inline constexpr int kEventKindCount = static_cast<int>(EventKind::Count_);

const char* event_kind_name(EventKind k) noexcept;

// Values carried in MarketEvent::aux for Status events.
enum class TradingState : std::uint8_t { Unknown = 0, Halted, Paused, Quotation, Trading };

// MarketEvent::flags bits.
namespace evflag {
inline constexpr std::uint8_t kLast = 1;        // last event of a source event group (packet,
                                                //   DBN F_LAST, one LOBSTER row)
inline constexpr std::uint8_t kStale = 2;       // instrument state may be wrong (after a gap)
inline constexpr std::uint8_t kSynthetic = 4;   // made by a reader, not by the venue (LOBSTER
                                                //   window entries and exits)
inline constexpr std::uint8_t kSnapshot = 8;    // part of a start-of-day snapshot
inline constexpr std::uint8_t kPrintable = 16;  // execution printed to the tape
inline constexpr std::uint8_t kCross = 32;      // auction / cross trade
inline constexpr std::uint8_t kLevel = 64;      // market-by-price source: the "order" is a whole
                                                //   price level (one per instrument, side and
                                                //   price), so queue position and order counts
                                                //   are unknown (binance/)
}  // namespace evflag

struct MarketEvent {
  Nanos ts_exch = 0;         // exchange time: ns after midnight (ITCH, LOBSTER) or since the
                             //   Unix epoch (DBN); the source says which
  Nanos ts_recv = 0;         // receive time: ns since the Unix epoch (pcap, socket, DBN ts_recv)
  OrderId order_id = 0;
  OrderId new_order_id = 0;  // Replace only
  Price price = 0;
  Qty qty = 0;
  InstrumentId instrument = 0;
  EventKind kind = EventKind::Add;
  Side side = Side::None;
  std::uint8_t flags = 0;
  std::uint8_t aux = 0;      // Status: TradingState; System: event code
};
static_assert(std::is_trivially_copyable_v<MarketEvent>);
static_assert(sizeof(MarketEvent) <= 64, "a ring slot is one cache line");

}  // namespace hft
