// Databento DBN (versions 1-3) low-level layer: file metadata and typed records (MBO, MBP-1,
// MBP-10, trades) decoded field by field from little-endian bytes with bounds checks.
// Layouts follow the DBN specification; MBO/MBP/trade records are identical in v1-v3.
// May touch: core/ only.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "hft/core/byteorder.hpp"

namespace hft::dbn {

// Record types (the header's rtype byte).
namespace rtype {
inline constexpr std::uint8_t kMbp0 = 0x00;  // trades schema
inline constexpr std::uint8_t kMbp1 = 0x01;  // MBP-1 and TBBO
inline constexpr std::uint8_t kMbp10 = 0x0A;
inline constexpr std::uint8_t kStatus = 0x12;
inline constexpr std::uint8_t kInstrumentDef = 0x13;
inline constexpr std::uint8_t kImbalance = 0x14;
inline constexpr std::uint8_t kError = 0x15;
inline constexpr std::uint8_t kSymbolMapping = 0x16;
inline constexpr std::uint8_t kSystem = 0x17;
inline constexpr std::uint8_t kStatistics = 0x18;
inline constexpr std::uint8_t kMbo = 0xA0;
}  // namespace rtype

// Name of a record type for counters ("mbo", "mbp1", "definition", ...); nullptr if unknown.
const char* rtype_name(std::uint8_t rt) noexcept;

// Record flags (the flags byte of MBO/MBP/trade records).
namespace dbnflag {
inline constexpr std::uint8_t kLast = 128;
inline constexpr std::uint8_t kTob = 64;
inline constexpr std::uint8_t kSnapshot = 32;
inline constexpr std::uint8_t kMbp = 16;
inline constexpr std::uint8_t kBadTsRecv = 8;
inline constexpr std::uint8_t kMaybeBadBook = 4;
}  // namespace dbnflag

inline constexpr std::int64_t kUndefPrice = INT64_MAX;  // "no price"
inline constexpr std::uint64_t kUndefTimestamp = UINT64_MAX;
inline constexpr std::size_t kHeaderLen = 16;
inline constexpr std::size_t kMboLen = 56;
inline constexpr std::size_t kTradeLen = 48;
inline constexpr std::size_t kMbp1Len = 80;
inline constexpr std::size_t kMbp10Len = 368;

struct RecordHeader {
  std::uint8_t length_words = 0;  // record length / 4, header included
  std::uint8_t rtype = 0;
  std::uint16_t publisher_id = 0;
  std::uint32_t instrument_id = 0;
  std::uint64_t ts_event = 0;     // ns since the Unix epoch
  std::size_t length() const noexcept { return std::size_t{length_words} * 4; }
  bool operator==(const RecordHeader&) const = default;
};

struct MboRecord {
  RecordHeader hd;
  std::uint64_t order_id = 0;
  std::int64_t price = 0;  // 1e-9 units
  std::uint32_t size = 0;
  std::uint8_t flags = 0;
  std::uint8_t channel_id = 0;
  char action = 0;
  char side = 0;
  std::uint64_t ts_recv = 0;
  std::int32_t ts_in_delta = 0;
  std::uint32_t sequence = 0;
  bool operator==(const MboRecord&) const = default;
};

struct BidAskPair {
  std::int64_t bid_px = 0;
  std::int64_t ask_px = 0;
  std::uint32_t bid_sz = 0;
  std::uint32_t ask_sz = 0;
  std::uint32_t bid_ct = 0;
  std::uint32_t ask_ct = 0;
  bool operator==(const BidAskPair&) const = default;
};

// Trades schema (MBP-0); also the common prefix of MBP-1 and MBP-10.
struct TradeRecord {
  RecordHeader hd;
  std::int64_t price = 0;
  std::uint32_t size = 0;
  char action = 0;
  char side = 0;  // aggressor side for trades
  std::uint8_t flags = 0;
  std::uint8_t depth = 0;
  std::uint64_t ts_recv = 0;
  std::int32_t ts_in_delta = 0;
  std::uint32_t sequence = 0;
  bool operator==(const TradeRecord&) const = default;
};

struct Mbp1Record {
  TradeRecord t;  // same fields, same offsets
  BidAskPair level;
  bool operator==(const Mbp1Record&) const = default;
};

struct Mbp10Record {
  TradeRecord t;
  std::array<BidAskPair, 10> levels{};
  bool operator==(const Mbp10Record&) const = default;
};

// Decoders: b is one whole record (length from its header). false when b is too short for
// the type or the rtype does not match; out is then unspecified.
inline bool decode_header(std::span<const std::uint8_t> b, RecordHeader& h) noexcept {
  if (b.size() < kHeaderLen) return false;
  const std::uint8_t* p = b.data();
  h.length_words = p[0];
  h.rtype = p[1];
  h.publisher_id = load_le<std::uint16_t>(p + 2);
  h.instrument_id = load_le<std::uint32_t>(p + 4);
  h.ts_event = load_le<std::uint64_t>(p + 8);
  return true;
}

inline bool decode_mbo(std::span<const std::uint8_t> b, MboRecord& r) noexcept {
  if (b.size() < kMboLen || !decode_header(b, r.hd) || r.hd.rtype != rtype::kMbo) return false;
  const std::uint8_t* p = b.data();
  r.order_id = load_le<std::uint64_t>(p + 16);
  r.price = load_le<std::int64_t>(p + 24);
  r.size = load_le<std::uint32_t>(p + 32);
  r.flags = p[36];
  r.channel_id = p[37];
  r.action = static_cast<char>(p[38]);
  r.side = static_cast<char>(p[39]);
  r.ts_recv = load_le<std::uint64_t>(p + 40);
  r.ts_in_delta = load_le<std::int32_t>(p + 48);
  r.sequence = load_le<std::uint32_t>(p + 52);
  return true;
}

namespace detail {
inline void decode_trade_fields(const std::uint8_t* p, TradeRecord& r) noexcept {
  r.price = load_le<std::int64_t>(p + 16);
  r.size = load_le<std::uint32_t>(p + 24);
  r.action = static_cast<char>(p[28]);
  r.side = static_cast<char>(p[29]);
  r.flags = p[30];
  r.depth = p[31];
  r.ts_recv = load_le<std::uint64_t>(p + 32);
  r.ts_in_delta = load_le<std::int32_t>(p + 40);
  r.sequence = load_le<std::uint32_t>(p + 44);
}
inline void decode_level(const std::uint8_t* p, BidAskPair& l) noexcept {
  l.bid_px = load_le<std::int64_t>(p);
  l.ask_px = load_le<std::int64_t>(p + 8);
  l.bid_sz = load_le<std::uint32_t>(p + 16);
  l.ask_sz = load_le<std::uint32_t>(p + 20);
  l.bid_ct = load_le<std::uint32_t>(p + 24);
  l.ask_ct = load_le<std::uint32_t>(p + 28);
}
}  // namespace detail

inline bool decode_trade(std::span<const std::uint8_t> b, TradeRecord& r) noexcept {
  if (b.size() < kTradeLen || !decode_header(b, r.hd) || r.hd.rtype != rtype::kMbp0) return false;
  detail::decode_trade_fields(b.data(), r);
  return true;
}

inline bool decode_mbp1(std::span<const std::uint8_t> b, Mbp1Record& r) noexcept {
  if (b.size() < kMbp1Len || !decode_header(b, r.t.hd) || r.t.hd.rtype != rtype::kMbp1) return false;
  detail::decode_trade_fields(b.data(), r.t);
  detail::decode_level(b.data() + 48, r.level);
  return true;
}

inline bool decode_mbp10(std::span<const std::uint8_t> b, Mbp10Record& r) noexcept {
  if (b.size() < kMbp10Len || !decode_header(b, r.t.hd) || r.t.hd.rtype != rtype::kMbp10) return false;
  detail::decode_trade_fields(b.data(), r.t);
  for (std::size_t i = 0; i < 10; ++i) detail::decode_level(b.data() + 48 + 32 * i, r.levels[i]);
  return true;
}

// Symbol mapping record (rtype 0x16): the instrument id of its header and its input symbol.
// false when too short. v1 symbols are 22 bytes, v2/v3 71 bytes (with an stype byte before).
bool decode_symbol_mapping(std::span<const std::uint8_t> b, std::uint8_t version,
                           std::uint32_t& instrument_id, std::string& stype_in_symbol);

// ---- Metadata ---------------------------------------------------------------------------

struct MappingInterval {
  std::uint32_t start_date = 0;  // YYYYMMDD
  std::uint32_t end_date = 0;
  std::string symbol;
};
struct SymbolMapping {
  std::string raw_symbol;
  std::vector<MappingInterval> intervals;
};

inline constexpr std::uint8_t kSTypeInstrumentId = 0;
inline constexpr std::uint16_t kSchemaMixed = 0xFFFF;

struct Metadata {
  std::uint8_t version = 0;
  std::string dataset;
  std::uint16_t schema = kSchemaMixed;  // 0 mbo, 1 mbp-1, 2 mbp-10, 3 tbbo, 4 trades, ...
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::uint64_t limit = 0;
  std::uint64_t record_count = 0;  // v1 only (UINT64_MAX when unknown)
  std::uint8_t stype_in = 0;
  std::uint8_t stype_out = 0;
  bool ts_out = false;              // every record carries 8 more bytes (counted in its length)
  std::uint16_t symbol_cstr_len = 0;
  std::vector<std::string> symbols, partial, not_found;
  std::vector<SymbolMapping> mappings;
  // instrument_id -> raw symbol, derived from mappings (whichever side is the instrument id).
  std::map<std::uint32_t, std::string> instrument_symbols;
};

// Parses the metadata body (the bytes after "DBN", version and the u32 length). Throws
// std::runtime_error naming the reason when it is malformed or truncated.
Metadata parse_metadata(std::uint8_t version, std::span<const std::uint8_t> body);

// Price conversion 1e-9 -> 1e-4 (hft::Price). exact = false when rounding was needed.
inline std::int64_t dbn_price_to_ticks(std::int64_t px, bool& exact) noexcept {
  constexpr std::int64_t kDiv = 100000;
  std::int64_t q = px / kDiv;
  const std::int64_t r = px % kDiv;
  exact = (r == 0);
  if (r >= kDiv / 2) ++q;          // round half away from zero
  else if (r <= -kDiv / 2) --q;
  return q;
}

}  // namespace hft::dbn
