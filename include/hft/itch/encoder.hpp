// ITCH 5.0 encoder: writes NASDAQ TotalView-ITCH 5.0 messages, big-endian, at their exact
// spec lengths, into a caller's buffer (no allocation, no checks beyond what the types give).
// The write side of the wire format, used by the synthetic feed generator and converters.
// Header-only so it does not depend on the decoder's sources. May touch: core/.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "hft/core/byteorder.hpp"
#include "hft/core/event.hpp"
#include "hft/core/types.hpp"

namespace hft::itch::enc {

// Message lengths (TotalView-ITCH 5.0 section 1.x), the type byte included.
inline constexpr std::size_t kLenSystemEvent = 12;     // S
inline constexpr std::size_t kLenStockDirectory = 39;  // R
inline constexpr std::size_t kLenTradingAction = 25;   // H
inline constexpr std::size_t kLenRegSho = 20;          // Y
inline constexpr std::size_t kLenAdd = 36;             // A
inline constexpr std::size_t kLenAddMpid = 40;         // F
inline constexpr std::size_t kLenExecuted = 31;        // E
inline constexpr std::size_t kLenExecutedPrice = 36;   // C
inline constexpr std::size_t kLenCancel = 23;          // X
inline constexpr std::size_t kLenDelete = 19;          // D
inline constexpr std::size_t kLenReplace = 35;         // U
inline constexpr std::size_t kLenTrade = 44;           // P
inline constexpr std::size_t kLenCrossTrade = 40;      // Q
inline constexpr std::size_t kLenBrokenTrade = 19;     // B
inline constexpr std::size_t kMaxLen = 50;             // largest ITCH 5.0 message ('I')

// Alpha fields are left-justified and space-padded.
using Symbol8 = std::array<char, 8>;
inline Symbol8 symbol8(std::string_view s) noexcept {
  Symbol8 out;
  out.fill(' ');
  for (std::size_t i = 0; i < out.size() && i < s.size(); ++i) out[i] = s[i];
  return out;
}

// The 11 bytes every message starts with after its type.
struct Header {
  std::uint16_t locate = 0;
  std::uint16_t tracking = 0;
  std::uint64_t ts_ns = 0;  // ns since midnight, 48 bits on the wire
};

// Stock Directory ('R') body; defaults are those of a plain NASDAQ-listed common stock.
struct DirectoryFields {
  Symbol8 stock = symbol8("");
  char market_category = 'Q';
  char financial_status = 'N';
  std::uint32_t round_lot = 100;
  char round_lots_only = 'N';
  char issue_classification = 'C';
  std::array<char, 2> issue_subtype = {'Z', ' '};
  char authenticity = 'P';
  char short_sale_threshold = 'N';
  char ipo_flag = 'N';
  char luld_tier = '1';
  char etp_flag = 'N';
  std::uint32_t etp_leverage = 0;
  char inverse = 'N';
};

}  // namespace hft::itch::enc

namespace hft::itch {

namespace enc_detail {
inline std::uint8_t* header(std::uint8_t* p, char type, const enc::Header& h) noexcept {
  p[0] = static_cast<std::uint8_t>(type);
  store_be<std::uint16_t>(p + 1, h.locate);
  store_be<std::uint16_t>(p + 3, h.tracking);
  store_be48(p + 5, h.ts_ns);
  return p + 11;
}
inline void chars(std::uint8_t* p, const char* s, std::size_t n) noexcept { std::memcpy(p, s, n); }
inline void ch(std::uint8_t* p, char c) noexcept { *p = static_cast<std::uint8_t>(c); }
}  // namespace enc_detail

// Each function writes one message at out (which must hold its length) and returns the length.

inline std::size_t encode_system_event(std::uint8_t* out, const enc::Header& h, char code) noexcept {
  auto* p = enc_detail::header(out, 'S', h);
  enc_detail::ch(p, code);
  return enc::kLenSystemEvent;
}

inline std::size_t encode_stock_directory(std::uint8_t* out, const enc::Header& h,
                                          const enc::DirectoryFields& f) noexcept {
  using namespace enc_detail;
  auto* p = header(out, 'R', h);
  chars(p, f.stock.data(), 8);
  ch(p + 8, f.market_category);
  ch(p + 9, f.financial_status);
  store_be<std::uint32_t>(p + 10, f.round_lot);
  ch(p + 14, f.round_lots_only);
  ch(p + 15, f.issue_classification);
  chars(p + 16, f.issue_subtype.data(), 2);
  ch(p + 18, f.authenticity);
  ch(p + 19, f.short_sale_threshold);
  ch(p + 20, f.ipo_flag);
  ch(p + 21, f.luld_tier);
  ch(p + 22, f.etp_flag);
  store_be<std::uint32_t>(p + 23, f.etp_leverage);
  ch(p + 27, f.inverse);
  return enc::kLenStockDirectory;
}

// state: 'H' halted, 'P' paused, 'Q' quotation only, 'T' trading. reason: 4 alpha.
inline std::size_t encode_trading_action(std::uint8_t* out, const enc::Header& h,
                                         const enc::Symbol8& stock, char state,
                                         std::string_view reason = "") noexcept {
  using namespace enc_detail;
  auto* p = header(out, 'H', h);
  chars(p, stock.data(), 8);
  ch(p + 8, state);
  ch(p + 9, ' ');  // reserved
  for (std::size_t i = 0; i < 4; ++i) ch(p + 10 + i, i < reason.size() ? reason[i] : ' ');
  return enc::kLenTradingAction;
}

inline std::size_t encode_reg_sho(std::uint8_t* out, const enc::Header& h, const enc::Symbol8& stock,
                                  char action) noexcept {
  auto* p = enc_detail::header(out, 'Y', h);
  enc_detail::chars(p, stock.data(), 8);
  enc_detail::ch(p + 8, action);
  return enc::kLenRegSho;
}

// side: 'B' or 'S'. price: 4 implied decimals.
inline std::size_t encode_add(std::uint8_t* out, const enc::Header& h, std::uint64_t order_ref,
                              char side, std::uint32_t shares, const enc::Symbol8& stock,
                              std::uint32_t price) noexcept {
  using namespace enc_detail;
  auto* p = header(out, 'A', h);
  store_be<std::uint64_t>(p, order_ref);
  ch(p + 8, side);
  store_be<std::uint32_t>(p + 9, shares);
  chars(p + 13, stock.data(), 8);
  store_be<std::uint32_t>(p + 21, price);
  return enc::kLenAdd;
}

inline std::size_t encode_add_mpid(std::uint8_t* out, const enc::Header& h, std::uint64_t order_ref,
                                   char side, std::uint32_t shares, const enc::Symbol8& stock,
                                   std::uint32_t price, std::string_view mpid) noexcept {
  encode_add(out, h, order_ref, side, shares, stock, price);
  out[0] = 'F';
  for (std::size_t i = 0; i < 4; ++i) enc_detail::ch(out + 36 + i, i < mpid.size() ? mpid[i] : ' ');
  return enc::kLenAddMpid;
}

inline std::size_t encode_executed(std::uint8_t* out, const enc::Header& h, std::uint64_t order_ref,
                                   std::uint32_t shares, std::uint64_t match) noexcept {
  auto* p = enc_detail::header(out, 'E', h);
  store_be<std::uint64_t>(p, order_ref);
  store_be<std::uint32_t>(p + 8, shares);
  store_be<std::uint64_t>(p + 12, match);
  return enc::kLenExecuted;
}

// printable: 'Y' or 'N'.
inline std::size_t encode_executed_price(std::uint8_t* out, const enc::Header& h,
                                         std::uint64_t order_ref, std::uint32_t shares,
                                         std::uint64_t match, char printable,
                                         std::uint32_t price) noexcept {
  encode_executed(out, h, order_ref, shares, match);
  out[0] = 'C';
  enc_detail::ch(out + 31, printable);
  store_be<std::uint32_t>(out + 32, price);
  return enc::kLenExecutedPrice;
}

inline std::size_t encode_cancel(std::uint8_t* out, const enc::Header& h, std::uint64_t order_ref,
                                 std::uint32_t shares) noexcept {
  auto* p = enc_detail::header(out, 'X', h);
  store_be<std::uint64_t>(p, order_ref);
  store_be<std::uint32_t>(p + 8, shares);
  return enc::kLenCancel;
}

inline std::size_t encode_delete(std::uint8_t* out, const enc::Header& h,
                                 std::uint64_t order_ref) noexcept {
  auto* p = enc_detail::header(out, 'D', h);
  store_be<std::uint64_t>(p, order_ref);
  return enc::kLenDelete;
}

inline std::size_t encode_replace(std::uint8_t* out, const enc::Header& h, std::uint64_t orig_ref,
                                  std::uint64_t new_ref, std::uint32_t shares,
                                  std::uint32_t price) noexcept {
  auto* p = enc_detail::header(out, 'U', h);
  store_be<std::uint64_t>(p, orig_ref);
  store_be<std::uint64_t>(p + 8, new_ref);
  store_be<std::uint32_t>(p + 16, shares);
  store_be<std::uint32_t>(p + 20, price);
  return enc::kLenReplace;
}

// Non-cross trade (hidden execution). NASDAQ sends order_ref 0 for these.
inline std::size_t encode_trade(std::uint8_t* out, const enc::Header& h, std::uint64_t order_ref,
                                char side, std::uint32_t shares, const enc::Symbol8& stock,
                                std::uint32_t price, std::uint64_t match) noexcept {
  encode_add(out, h, order_ref, side, shares, stock, price);
  out[0] = 'P';
  store_be<std::uint64_t>(out + 36, match);
  return enc::kLenTrade;
}

// cross_type: 'O' opening, 'C' closing, 'H' IPO/halt, 'I' intraday.
inline std::size_t encode_cross_trade(std::uint8_t* out, const enc::Header& h, std::uint64_t shares,
                                      const enc::Symbol8& stock, std::uint32_t price,
                                      std::uint64_t match, char cross_type) noexcept {
  using namespace enc_detail;
  auto* p = header(out, 'Q', h);
  store_be<std::uint64_t>(p, shares);
  chars(p + 8, stock.data(), 8);
  store_be<std::uint32_t>(p + 16, price);
  store_be<std::uint64_t>(p + 20, match);
  ch(p + 28, cross_type);
  return enc::kLenCrossTrade;
}

inline std::size_t encode_broken_trade(std::uint8_t* out, const enc::Header& h,
                                       std::uint64_t match) noexcept {
  auto* p = enc_detail::header(out, 'B', h);
  store_be<std::uint64_t>(p, match);
  return enc::kLenBrokenTrade;
}

// Encodes a normalized event as the ITCH message that carries it (for converters): Add -> A,
// Execute -> E (C when price != 0), Cancel -> X, Delete -> D, Replace -> U, Trade -> P,
// System -> S (aux = code). locate = ev.instrument, ts = ev.ts_exch. Returns 0 for kinds ITCH
// cannot carry in one message (Modify, Clear, Status, Directory) or prices/quantities out of
// range; the caller counts those.
inline std::size_t encode_event(std::uint8_t* out, const MarketEvent& ev, const enc::Symbol8& stock,
                                std::uint64_t match = 0) noexcept {
  if (ev.instrument > 0xFFFF || ev.ts_exch < 0) return 0;
  const enc::Header h{static_cast<std::uint16_t>(ev.instrument), 0,
                      static_cast<std::uint64_t>(ev.ts_exch)};
  const bool price_ok = ev.price >= 0 && ev.price <= 0xFFFFFFFFLL;
  const auto price = static_cast<std::uint32_t>(ev.price);
  const char side = ev.side == Side::Sell ? 'S' : 'B';
  switch (ev.kind) {
    case EventKind::Add:
      if (!price_ok || ev.side == Side::None) return 0;
      return encode_add(out, h, ev.order_id, side, ev.qty, stock, price);
    case EventKind::Execute:
      if (!price_ok) return 0;
      return ev.price == 0 ? encode_executed(out, h, ev.order_id, ev.qty, match)
                           : encode_executed_price(out, h, ev.order_id, ev.qty, match, 'Y', price);
    case EventKind::Cancel: return encode_cancel(out, h, ev.order_id, ev.qty);
    case EventKind::Delete: return encode_delete(out, h, ev.order_id);
    case EventKind::Replace:
      if (!price_ok) return 0;
      return encode_replace(out, h, ev.order_id, ev.new_order_id, ev.qty, price);
    case EventKind::Trade:
      if (!price_ok) return 0;
      return encode_trade(out, h, ev.order_id, side, ev.qty, stock, price, match);
    case EventKind::System: return encode_system_event(out, h, static_cast<char>(ev.aux));
    default: return 0;
  }
}

}  // namespace hft::itch
