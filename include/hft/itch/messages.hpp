// NASDAQ TotalView-ITCH 5.0 message layouts: type codes, exact lengths, field offsets and
// zero-copy views that read big-endian fields in place from the wire buffer.
// Layouts follow the ITCH 5.0 specification (every message: type 1, stock locate 2, tracking
// number 2, timestamp 6 = ns since midnight, then the type's own fields).
// May touch: core/ only. A view never owns or copies bytes; the caller checks the length first
// (itch::message_length / decoder.hpp) before building one.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hft/core/byteorder.hpp"

namespace hft::itch {

// Message type codes (first byte of every message).
namespace mt {
inline constexpr char kSystemEvent = 'S';
inline constexpr char kStockDirectory = 'R';
inline constexpr char kStockTradingAction = 'H';
inline constexpr char kRegSho = 'Y';
inline constexpr char kParticipantPosition = 'L';
inline constexpr char kMwcbDecline = 'V';
inline constexpr char kMwcbStatus = 'W';
inline constexpr char kIpoQuoting = 'K';
inline constexpr char kLuldCollar = 'J';
inline constexpr char kOperationalHalt = 'h';
inline constexpr char kAddOrder = 'A';
inline constexpr char kAddOrderMpid = 'F';
inline constexpr char kOrderExecuted = 'E';
inline constexpr char kOrderExecutedPrice = 'C';
inline constexpr char kOrderCancel = 'X';
inline constexpr char kOrderDelete = 'D';
inline constexpr char kOrderReplace = 'U';
inline constexpr char kTrade = 'P';
inline constexpr char kCrossTrade = 'Q';
inline constexpr char kBrokenTrade = 'B';
inline constexpr char kNoii = 'I';
inline constexpr char kRpii = 'N';
inline constexpr char kDlcr = 'O';
}  // namespace mt

// Every ITCH 5.0 message type in specification order.
inline constexpr std::array<char, 23> kAllTypes = {'S', 'R', 'H', 'Y', 'L', 'V', 'W', 'K',
                                                   'J', 'h', 'A', 'F', 'E', 'C', 'X', 'D',
                                                   'U', 'P', 'Q', 'B', 'I', 'N', 'O'};

// Exact length of each message type (0 = not an ITCH 5.0 type). Indexed by the type byte so the
// decoder's length check is one table load.
inline constexpr std::array<std::uint8_t, 256> kLengthTable = [] {
  std::array<std::uint8_t, 256> t{};
  t['S'] = 12; t['R'] = 39; t['H'] = 25; t['Y'] = 20; t['L'] = 26; t['V'] = 35;
  t['W'] = 12; t['K'] = 28; t['J'] = 35; t['h'] = 21; t['A'] = 36; t['F'] = 40;
  t['E'] = 31; t['C'] = 36; t['X'] = 23; t['D'] = 19; t['U'] = 35; t['P'] = 44;
  t['Q'] = 40; t['B'] = 19; t['I'] = 50; t['N'] = 20; t['O'] = 48;
  return t;
}();
inline constexpr std::size_t kHeaderLength = 11;
inline constexpr std::size_t kMaxMessageLength = 50;  // 'I'

constexpr std::size_t message_length(std::uint8_t type) noexcept { return kLengthTable[type]; }

// Common header offsets.
namespace off {
inline constexpr std::size_t kType = 0;
inline constexpr std::size_t kLocate = 1;
inline constexpr std::size_t kTracking = 3;
inline constexpr std::size_t kTimestamp = 5;
inline constexpr std::size_t kBody = 11;  // first type-specific field
}  // namespace off

// Base view: the 11-byte header common to every message.
struct MessageView {
  const std::uint8_t* p;
  char type() const noexcept { return static_cast<char>(p[0]); }
  std::uint16_t stock_locate() const noexcept { return load_be<std::uint16_t>(p + 1); }
  std::uint16_t tracking_number() const noexcept { return load_be<std::uint16_t>(p + 3); }
  std::uint64_t timestamp() const noexcept { return load_be48(p + 5); }  // ns since midnight

 protected:
  char ch(std::size_t o) const noexcept { return static_cast<char>(p[o]); }
  std::uint16_t u16(std::size_t o) const noexcept { return load_be<std::uint16_t>(p + o); }
  std::uint32_t u32(std::size_t o) const noexcept { return load_be<std::uint32_t>(p + o); }
  std::uint64_t u64(std::size_t o) const noexcept { return load_be<std::uint64_t>(p + o); }
  std::string_view alpha(std::size_t o, std::size_t n) const noexcept {
    return {reinterpret_cast<const char*>(p + o), n};
  }
};

// Alpha fields are left-justified and space-padded: this drops the padding.
constexpr std::string_view trim_alpha(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

// 'S' System Event, 12.
struct SystemEventView : MessageView {
  static constexpr std::size_t kLength = 12;
  char event_code() const noexcept { return ch(11); }
};

// 'R' Stock Directory, 39.
struct StockDirectoryView : MessageView {
  static constexpr std::size_t kLength = 39;
  std::string_view stock() const noexcept { return alpha(11, 8); }
  char market_category() const noexcept { return ch(19); }
  char financial_status() const noexcept { return ch(20); }
  std::uint32_t round_lot_size() const noexcept { return u32(21); }
  char round_lots_only() const noexcept { return ch(25); }
  char issue_classification() const noexcept { return ch(26); }
  std::string_view issue_sub_type() const noexcept { return alpha(27, 2); }
  char authenticity() const noexcept { return ch(29); }
  char short_sale_threshold() const noexcept { return ch(30); }
  char ipo_flag() const noexcept { return ch(31); }
  char luld_tier() const noexcept { return ch(32); }
  char etp_flag() const noexcept { return ch(33); }
  std::uint32_t etp_leverage_factor() const noexcept { return u32(34); }
  char inverse_indicator() const noexcept { return ch(38); }
};

// 'H' Stock Trading Action, 25.
struct StockTradingActionView : MessageView {
  static constexpr std::size_t kLength = 25;
  std::string_view stock() const noexcept { return alpha(11, 8); }
  char trading_state() const noexcept { return ch(19); }
  char reserved() const noexcept { return ch(20); }
  std::string_view reason() const noexcept { return alpha(21, 4); }
};

// 'Y' Reg SHO Short Sale Price Test Restricted Indicator, 20.
struct RegShoView : MessageView {
  static constexpr std::size_t kLength = 20;
  std::string_view stock() const noexcept { return alpha(11, 8); }
  char reg_sho_action() const noexcept { return ch(19); }
};

// 'L' Market Participant Position, 26.
struct ParticipantPositionView : MessageView {
  static constexpr std::size_t kLength = 26;
  std::string_view mpid() const noexcept { return alpha(11, 4); }
  std::string_view stock() const noexcept { return alpha(15, 8); }
  char primary_market_maker() const noexcept { return ch(23); }
  char market_maker_mode() const noexcept { return ch(24); }
  char participant_state() const noexcept { return ch(25); }
};

// 'V' MWCB Decline Level, 35 (prices with 8 implied decimals).
struct MwcbDeclineView : MessageView {
  static constexpr std::size_t kLength = 35;
  std::uint64_t level1() const noexcept { return u64(11); }
  std::uint64_t level2() const noexcept { return u64(19); }
  std::uint64_t level3() const noexcept { return u64(27); }
};

// 'W' MWCB Status, 12.
struct MwcbStatusView : MessageView {
  static constexpr std::size_t kLength = 12;
  char breached_level() const noexcept { return ch(11); }
};

// 'K' IPO Quoting Period Update, 28.
struct IpoQuotingView : MessageView {
  static constexpr std::size_t kLength = 28;
  std::string_view stock() const noexcept { return alpha(11, 8); }
  std::uint32_t release_time() const noexcept { return u32(19); }  // seconds since midnight
  char release_qualifier() const noexcept { return ch(23); }
  std::uint32_t ipo_price() const noexcept { return u32(24); }
};

// 'J' LULD Auction Collar, 35.
struct LuldCollarView : MessageView {
  static constexpr std::size_t kLength = 35;
  std::string_view stock() const noexcept { return alpha(11, 8); }
  std::uint32_t reference_price() const noexcept { return u32(19); }
  std::uint32_t upper_price() const noexcept { return u32(23); }
  std::uint32_t lower_price() const noexcept { return u32(27); }
  std::uint32_t extension() const noexcept { return u32(31); }
};

// 'h' Operational Halt, 21.
struct OperationalHaltView : MessageView {
  static constexpr std::size_t kLength = 21;
  std::string_view stock() const noexcept { return alpha(11, 8); }
  char market_code() const noexcept { return ch(19); }
  char halt_action() const noexcept { return ch(20); }
};

// 'A' Add Order (no MPID), 36; 'F' Add Order with MPID, 40 (same fields plus attribution).
struct AddOrderView : MessageView {
  static constexpr std::size_t kLength = 36;
  std::uint64_t order_ref() const noexcept { return u64(11); }
  char side() const noexcept { return ch(19); }  // 'B' / 'S'
  std::uint32_t shares() const noexcept { return u32(20); }
  std::string_view stock() const noexcept { return alpha(24, 8); }
  std::uint32_t price() const noexcept { return u32(32); }  // 4 implied decimals
};
struct AddOrderMpidView : AddOrderView {
  static constexpr std::size_t kLength = 40;
  std::string_view attribution() const noexcept { return alpha(36, 4); }
};

// 'E' Order Executed, 31.
struct OrderExecutedView : MessageView {
  static constexpr std::size_t kLength = 31;
  std::uint64_t order_ref() const noexcept { return u64(11); }
  std::uint32_t executed_shares() const noexcept { return u32(19); }
  std::uint64_t match_number() const noexcept { return u64(23); }
};

// 'C' Order Executed With Price, 36.
struct OrderExecutedPriceView : OrderExecutedView {
  static constexpr std::size_t kLength = 36;
  char printable() const noexcept { return ch(31); }  // 'Y' / 'N'
  std::uint32_t execution_price() const noexcept { return u32(32); }
};

// 'X' Order Cancel, 23.
struct OrderCancelView : MessageView {
  static constexpr std::size_t kLength = 23;
  std::uint64_t order_ref() const noexcept { return u64(11); }
  std::uint32_t cancelled_shares() const noexcept { return u32(19); }
};

// 'D' Order Delete, 19.
struct OrderDeleteView : MessageView {
  static constexpr std::size_t kLength = 19;
  std::uint64_t order_ref() const noexcept { return u64(11); }
};

// 'U' Order Replace, 35.
struct OrderReplaceView : MessageView {
  static constexpr std::size_t kLength = 35;
  std::uint64_t original_order_ref() const noexcept { return u64(11); }
  std::uint64_t new_order_ref() const noexcept { return u64(19); }
  std::uint32_t shares() const noexcept { return u32(27); }
  std::uint32_t price() const noexcept { return u32(31); }
};

// 'P' Trade (non-cross), 44.
struct TradeView : MessageView {
  static constexpr std::size_t kLength = 44;
  std::uint64_t order_ref() const noexcept { return u64(11); }
  char side() const noexcept { return ch(19); }  // side of the resting non-displayed order
  std::uint32_t shares() const noexcept { return u32(20); }
  std::string_view stock() const noexcept { return alpha(24, 8); }
  std::uint32_t price() const noexcept { return u32(32); }
  std::uint64_t match_number() const noexcept { return u64(36); }
};

// 'Q' Cross Trade, 40.
struct CrossTradeView : MessageView {
  static constexpr std::size_t kLength = 40;
  std::uint64_t shares() const noexcept { return u64(11); }
  std::string_view stock() const noexcept { return alpha(19, 8); }
  std::uint32_t cross_price() const noexcept { return u32(27); }
  std::uint64_t match_number() const noexcept { return u64(31); }
  char cross_type() const noexcept { return ch(39); }
};

// 'B' Broken Trade, 19.
struct BrokenTradeView : MessageView {
  static constexpr std::size_t kLength = 19;
  std::uint64_t match_number() const noexcept { return u64(11); }
};

// 'I' Net Order Imbalance Indicator, 50.
struct NoiiView : MessageView {
  static constexpr std::size_t kLength = 50;
  std::uint64_t paired_shares() const noexcept { return u64(11); }
  std::uint64_t imbalance_shares() const noexcept { return u64(19); }
  char imbalance_direction() const noexcept { return ch(27); }
  std::string_view stock() const noexcept { return alpha(28, 8); }
  std::uint32_t far_price() const noexcept { return u32(36); }
  std::uint32_t near_price() const noexcept { return u32(40); }
  std::uint32_t current_reference_price() const noexcept { return u32(44); }
  char cross_type() const noexcept { return ch(48); }
  char price_variation_indicator() const noexcept { return ch(49); }
};

// 'N' Retail Price Improvement Indicator, 20.
struct RpiiView : MessageView {
  static constexpr std::size_t kLength = 20;
  std::string_view stock() const noexcept { return alpha(11, 8); }
  char interest_flag() const noexcept { return ch(19); }
};

// 'O' Direct Listing with Capital Raise Price Discovery, 48.
struct DlcrView : MessageView {
  static constexpr std::size_t kLength = 48;
  std::string_view stock() const noexcept { return alpha(11, 8); }
  char open_eligibility_status() const noexcept { return ch(19); }
  std::uint32_t min_allowable_price() const noexcept { return u32(20); }
  std::uint32_t max_allowable_price() const noexcept { return u32(24); }
  std::uint32_t near_execution_price() const noexcept { return u32(28); }
  std::uint64_t near_execution_time() const noexcept { return u64(32); }
  std::uint32_t lower_price_range_collar() const noexcept { return u32(40); }
  std::uint32_t upper_price_range_collar() const noexcept { return u32(44); }
};

// Builds a view over p (the caller has checked that the message is kLength bytes long).
template <class View>
constexpr View view_of(const std::uint8_t* p) noexcept {
  View v{};
  v.p = p;
  return v;
}

// The views' lengths agree with the table (a typo in either fails the build).
static_assert(SystemEventView::kLength == kLengthTable['S'] && StockDirectoryView::kLength == kLengthTable['R'] &&
              StockTradingActionView::kLength == kLengthTable['H'] && RegShoView::kLength == kLengthTable['Y'] &&
              ParticipantPositionView::kLength == kLengthTable['L'] && MwcbDeclineView::kLength == kLengthTable['V'] &&
              MwcbStatusView::kLength == kLengthTable['W'] && IpoQuotingView::kLength == kLengthTable['K'] &&
              LuldCollarView::kLength == kLengthTable['J'] && OperationalHaltView::kLength == kLengthTable['h'] &&
              AddOrderView::kLength == kLengthTable['A'] && AddOrderMpidView::kLength == kLengthTable['F'] &&
              OrderExecutedView::kLength == kLengthTable['E'] &&
              OrderExecutedPriceView::kLength == kLengthTable['C'] && OrderCancelView::kLength == kLengthTable['X'] &&
              OrderDeleteView::kLength == kLengthTable['D'] && OrderReplaceView::kLength == kLengthTable['U'] &&
              TradeView::kLength == kLengthTable['P'] && CrossTradeView::kLength == kLengthTable['Q'] &&
              BrokenTradeView::kLength == kLengthTable['B'] && NoiiView::kLength == kLengthTable['I'] &&
              RpiiView::kLength == kLengthTable['N'] && DlcrView::kLength == kLengthTable['O']);

}  // namespace hft::itch
