// ITCH 5.0 decoder: one message (ptr, len) -> status and at most one normalized MarketEvent.
// One table load checks the length, a per-type layout row builds the event for the order-flow
// types (a switch for the rest); fields are read in place (big-endian loads), nothing is
// copied or allocated. Decoder adds counters per
// type and per error reason; messages_in == sum(by_type) + truncated + unknown_type + bad_length.
// May touch: core/ only (the instrument table lives in the feed source, fed from
// StockDirectoryView when a Directory event comes out).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "hft/core/byteorder.hpp"
#include "hft/core/event.hpp"
#include "hft/core/types.hpp"
#include "hft/itch/messages.hpp"

namespace hft::itch {

enum class DecodeStatus : std::uint8_t {
  Ok = 0,       // a valid ITCH 5.0 message (it may or may not produce an event)
  Truncated,    // shorter than its type needs (or empty)
  UnknownType,  // first byte is not an ITCH 5.0 message type
  BadLength,    // longer than its type's fixed length (ITCH 5.0 lengths are exact)
};
const char* decode_status_name(DecodeStatus s) noexcept;

struct DecodeResult {
  DecodeStatus status;
  bool event;  // true when `ev` was filled
};

constexpr Side side_from_char(char c) noexcept {
  return c == 'B' ? Side::Buy : (c == 'S' ? Side::Sell : Side::None);
}
constexpr TradingState trading_state_from_char(char c) noexcept {
  switch (c) {
    case 'H': return TradingState::Halted;
    case 'P': return TradingState::Paused;
    case 'Q': return TradingState::Quotation;
    case 'T': return TradingState::Trading;
    default: return TradingState::Unknown;
  }
}

// The order-flow types (A F E C X D U P: nearly every message of a day) share one layout rule:
// order id at 11, then qty / price / side / new id / printable flag at per-type offsets. A
// table row per type byte lets decode_message fill the event with straight-line code instead
// of a jump through a switch whose target changes at random from message to message. A field
// the type does not have is read at offset 0 (always inside the message) and masked to 0;
// the side and printable reads at offset 0 see the type byte, which is never 'B', 'S' or 'Y'
// for these types.
struct FastLayout {
  bool fast = false;
  EventKind kind = EventKind::Add;
  std::uint8_t flags = 0;
  std::uint8_t qty_off = 0;
  std::uint8_t price_off = 0;
  std::uint8_t side_off = 0;
  std::uint8_t new_id_off = 0;    // 0: no new id
  std::uint8_t printable_off = 0; // kPrintable when the byte there is 'Y'
  std::uint32_t qty_mask = 0;
  std::uint32_t price_mask = 0;
};
inline constexpr std::array<FastLayout, 256> kFastLayout = [] {
  std::array<FastLayout, 256> t{};
  auto row = [&](char type, EventKind k, std::uint8_t flags, int qty, int price, int side, int new_id,
                 int printable) {
    FastLayout& f = t[static_cast<std::uint8_t>(type)];
    f.fast = true;
    f.kind = k;
    f.flags = flags;
    f.qty_off = static_cast<std::uint8_t>(qty);
    f.price_off = static_cast<std::uint8_t>(price);
    f.side_off = static_cast<std::uint8_t>(side);
    f.new_id_off = static_cast<std::uint8_t>(new_id);
    f.printable_off = static_cast<std::uint8_t>(printable);
    f.qty_mask = qty != 0 ? 0xFFFFFFFFu : 0u;
    f.price_mask = price != 0 ? 0xFFFFFFFFu : 0u;
  };
  //  type                       kind                 flags                qty price side new print
  row(mt::kAddOrder,           EventKind::Add,      0,                   20, 32,   19,  0,  0);
  row(mt::kAddOrderMpid,       EventKind::Add,      0,                   20, 32,   19,  0,  0);
  row(mt::kOrderExecuted,      EventKind::Execute,  evflag::kPrintable,  19, 0,    0,   0,  0);
  row(mt::kOrderExecutedPrice, EventKind::Execute,  0,                   19, 32,   0,   0,  31);
  row(mt::kOrderCancel,        EventKind::Cancel,   0,                   19, 0,    0,   0,  0);
  row(mt::kOrderDelete,        EventKind::Delete,   0,                   0,  0,    0,   0,  0);
  row(mt::kOrderReplace,       EventKind::Replace,  0,                   27, 31,   0,   19, 0);
  row(mt::kTrade,              EventKind::Trade,    0,                   20, 32,   19,  0,  0);
  return t;
}();
inline constexpr std::array<Side, 256> kSideOfChar = [] {
  std::array<Side, 256> t{};
  for (auto& x : t) x = Side::None;
  t['B'] = Side::Buy;
  t['S'] = Side::Sell;
  return t;
}();

// Decodes one message. Mapping (instrument = stock locate, ts_exch = the 48-bit timestamp):
//   A/F -> Add (price as on the wire, 1e-4), E -> Execute (price 0, kPrintable: E executions
//   always print), C -> Execute with price (kPrintable when printable = 'Y'), X -> Cancel,
//   D -> Delete, U -> Replace (order_id = original, side None: the book knows it),
//   P -> Trade (side = side of the resting order), Q -> Trade (kCross, aux = cross type, shares
//   saturated to 32 bits, side None), H -> Status (aux = TradingState), R -> Directory (qty = round lot,
//   aux = market category), S -> System (aux = event code).
//   Y L V W K J h B I N O are valid, counted by the caller, and produce no event.
// An unknown Buy/Sell character gives Side::None (the book counts BadSide).
inline DecodeResult decode_message(const std::uint8_t* p, std::size_t len, MarketEvent& ev) noexcept {
  if (len == 0) [[unlikely]] return {DecodeStatus::Truncated, false};
  const std::size_t need = kLengthTable[p[0]];
  if (len != need) [[unlikely]] {
    if (need == 0) return {DecodeStatus::UnknownType, false};
    return {len < need ? DecodeStatus::Truncated : DecodeStatus::BadLength, false};
  }
  ev.ts_exch = static_cast<Nanos>(load_be48(p + off::kTimestamp));
  ev.instrument = load_be<std::uint16_t>(p + off::kLocate);
  ev.ts_recv = 0;
  ev.aux = 0;
  if (const FastLayout& f = kFastLayout[p[0]]; f.fast) [[likely]] {
    ev.kind = f.kind;
    ev.order_id = load_be<std::uint64_t>(p + 11);
    ev.new_order_id = load_be<std::uint64_t>(p + f.new_id_off) &
                      (std::uint64_t{0} - static_cast<std::uint64_t>(f.new_id_off != 0));
    ev.qty = load_be<std::uint32_t>(p + f.qty_off) & f.qty_mask;
    ev.price = load_be<std::uint32_t>(p + f.price_off) & f.price_mask;
    ev.side = kSideOfChar[p[f.side_off]];
    ev.flags = static_cast<std::uint8_t>(
        f.flags | (p[f.printable_off] == 'Y' ? evflag::kPrintable : std::uint8_t{0}));
    return {DecodeStatus::Ok, true};
  }
  ev.new_order_id = 0;
  ev.flags = 0;
  switch (static_cast<char>(p[0])) {
    // A F E C X D U P went through kFastLayout above.
    case mt::kCrossTrade: {
      const std::uint64_t sh = load_be<std::uint64_t>(p + 11);
      constexpr std::uint64_t kMax = std::numeric_limits<Qty>::max();
      ev.kind = EventKind::Trade;
      ev.order_id = 0;
      ev.qty = static_cast<Qty>(sh > kMax ? kMax : sh);
      ev.price = load_be<std::uint32_t>(p + 27);
      ev.side = Side::None;
      ev.flags = evflag::kCross;
      ev.aux = p[39];  // cross type
      return {DecodeStatus::Ok, true};
    }
    case mt::kStockTradingAction:
      ev.kind = EventKind::Status;
      ev.order_id = 0;
      ev.qty = 0;
      ev.price = 0;
      ev.side = Side::None;
      ev.aux = static_cast<std::uint8_t>(trading_state_from_char(static_cast<char>(p[19])));
      return {DecodeStatus::Ok, true};
    case mt::kStockDirectory:
      ev.kind = EventKind::Directory;
      ev.order_id = 0;
      ev.qty = load_be<std::uint32_t>(p + 21);
      ev.price = 0;
      ev.side = Side::None;
      ev.aux = p[19];  // market category
      return {DecodeStatus::Ok, true};
    case mt::kSystemEvent:
      ev.kind = EventKind::System;
      ev.order_id = 0;
      ev.qty = 0;
      ev.price = 0;
      ev.side = Side::None;
      ev.aux = p[11];
      return {DecodeStatus::Ok, true};
    default:  // Y L V W K J h B I N O: valid, no book meaning
      return {DecodeStatus::Ok, false};
  }
}

// Counting wrapper around decode_message.
struct DecoderCounters {
  std::array<std::uint64_t, 256> by_type{};  // valid messages per type byte
  std::uint64_t messages_in = 0;
  std::uint64_t events = 0;
  std::uint64_t truncated = 0;
  std::uint64_t unknown_type = 0;
  std::uint64_t bad_length = 0;
  std::uint64_t decoded() const noexcept {
    std::uint64_t s = 0;
    for (auto v : by_type) s += v;
    return s;
  }
  std::uint64_t errors() const noexcept { return truncated + unknown_type + bad_length; }
};

class Decoder {
 public:
  DecodeResult decode(const std::uint8_t* p, std::size_t len, MarketEvent& ev) noexcept {
    ++c_.messages_in;
    const DecodeResult r = decode_message(p, len, ev);
    if (r.status == DecodeStatus::Ok) [[likely]] {
      ++c_.by_type[p[0]];
      c_.events += r.event;
    } else {
      count_error(r.status);
    }
    return r;
  }
  const DecoderCounters& counters() const noexcept { return c_; }
  void reset() noexcept { c_ = DecoderCounters{}; }

 private:
  void count_error(DecodeStatus s) noexcept {
    if (s == DecodeStatus::Truncated) ++c_.truncated;
    else if (s == DecodeStatus::UnknownType) ++c_.unknown_type;
    else ++c_.bad_length;
  }
  DecoderCounters c_;
};

}  // namespace hft::itch
