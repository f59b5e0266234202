// Binance market-data recorder lines (`<local_ns> <json>`, hftbacktest's collector: depth
// diffs, REST snapshot, bookTicker, trades; USD-M futures and spot) -> normalized MarketEvents
// of a market-by-price book. One line in, its events appended; no I/O (binance_source.hpp reads
// the files). May touch: core/, feed/source.hpp (instrument definitions), simdjson.
//
// Why one aggregate order per level: level-2 data has no order ids, yet every stage reads
// book::Books (best, level, top_levels, depth). Expressing each price level as one order with
// a deterministic id per (instrument, side, price) — Add when the level appears, Modify when
// its size changes, Delete when it empties — makes Books an exact market-by-price book with no
// second book type and no virtual call on the hot path; stages cannot tell the difference.
// Every such event carries evflag::kLevel so that readers that care (the simulated exchange's
// queue position, order counts per level) know a "order" is a whole level (LevelView::orders is
// 1). kSynthetic is not used: it means "not order flow" to features and studies, and a level's
// size change is real flow.
//
// Book sync, as Binance documents it: diffs are buffered until a snapshot; diffs with
// u <= lastUpdateId are dropped; the first applied diff must have U <= lastUpdateId + 1; then
// continuity is futures pu == previous u, spot U == previous u + 1. A break (or a diff that
// cannot be applied whole: a bad price or size) makes the instrument stale: a Clear event with
// evflag::kStale empties its book (the cleaner's kStale rule halts it), later diffs are
// buffered again and trades carry kStale, until the next snapshot (Clear + kSnapshot Adds +
// the buffered diffs that follow it) brings it back. No bookTicker event is emitted (a quote
// stream faster than the depth stream; last_ticker() exposes it for checks).
//
// Times: ts_exch = the exchange's time in ns since the epoch (depth and trade: T when sent, else
// E; snapshot: T / E, spot none: the instrument's last exchange time); ts_recv = the recorder's
// local time (ns; old captures in us are scaled).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hft/core/decimal.hpp"
#include "hft/core/event.hpp"
#include "hft/feed/source.hpp"

namespace hft::binance {

enum class Market : std::uint8_t { Spot, UsdM };
const char* market_name(Market m) noexcept;  // "spot" | "usdm"

// Synthetic level ids: bit 63 set, bit 62 = ask side, bits 40..61 = instrument, 0..39 = price.
inline constexpr OrderId kLevelIdBase = OrderId{1} << 63;
inline constexpr Price kMaxLevelPrice = (Price{1} << 40) - 1;
constexpr OrderId level_id(InstrumentId instr, Side side, Price p) noexcept {
  return kLevelIdBase | (side == Side::Sell ? OrderId{1} << 62 : 0) |
         ((static_cast<OrderId>(instr) & 0x3FFFFF) << 40) | static_cast<OrderId>(p);
}

enum class LineKind : std::uint8_t { Depth, Snapshot, Ticker, Trade, Other, Bad };

// Counted reasons (stats names in brackets).
enum Error : std::uint8_t {
  kBadLine = 0,        // no "<local_ns> " prefix [binance.bad_line]
  kBadJson,            // not valid JSON: a cut or corrupt line [binance.bad_json]
  kMissingField,       // a field the message kind needs is absent or of the wrong type [binance.missing_field]
  kBadPrice,           // a price that is not a decimal, has too many decimals or is off the tick [binance.bad_price]
  kBadQty,             // the same for a size, or a size too large for Qty [binance.bad_qty]
  kNoDefinition,       // no `instruments` entry for the symbol and market [binance.no_instrument_definition]
  kGap,                // continuity broken: the instrument went stale [binance.gap]
  kUnsyncedDiff,       // a diff never applied: no snapshot came before the end (or the buffer filled) [binance.diff_without_snapshot]
  kSnapshotNoStream,   // a snapshot before any stream message: its instrument is unknown [binance.snapshot_unknown_instrument]
  kUnknownMessage,     // a JSON message of no known kind [binance.unknown_message]
  kBadTime,            // a time that does not fit in ns since the epoch [binance.bad_time]
  kErrorCount
};
enum Count : std::uint8_t {
  kLines = 0, kDepth, kApplied, kDroppedOld, kBuffered, kSnapshots, kRecovered, kTickers, kTrades,
  kNonMarketTrades, kDeleteAbsent, kUnchanged, kCountCount
};
const char* error_name(Error e) noexcept;
const char* count_name(Count c) noexcept;

enum class Sync : std::uint8_t { NoSnapshot, Synced, Stale };

struct InstrumentView {
  InstrumentId id = 0;
  std::string symbol;
  Market market = Market::Spot;
  bool defined = false;       // has an `instruments` entry (else its lines are refused)
  InstrumentScale scale;
  Sync sync = Sync::NoSnapshot;
  std::uint64_t last_u = 0;   // final update id of the last applied diff (or the snapshot's id)
  std::uint64_t gaps = 0, snapshots = 0, applied = 0;
};

struct Ticker {  // the last bookTicker line
  InstrumentId instrument = 0;
  std::uint64_t u = 0;
  Price bid = 0, ask = 0;
  Qty bid_qty = 0, ask_qty = 0;
};

struct DecoderOptions {
  std::vector<feed::FeedOptions::InstrumentDef> instruments;
  std::size_t max_buffered = 1u << 16;  // diff lines held per instrument while unsynced
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions opts);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one line (without '\n'), appending its events to out (the last one has kLast).
  LineKind decode(std::string_view line, std::vector<MarketEvent>& out);
  // End of input: diffs still waiting for a snapshot are counted as never applied.
  void finish();

  const Ticker& last_ticker() const noexcept { return ticker_; }
  const std::vector<InstrumentView>& instruments() const noexcept { return view_; }
  std::uint64_t errors(Error e) const noexcept { return errors_[e]; }
  std::uint64_t counts(Count c) const noexcept { return counts_[c]; }
  std::uint64_t line_number() const noexcept { return counts_[kLines]; }
  // The first occurrence of each error, "line N: reason", for reports ("" when none).
  const std::string& first_error(Error e) const noexcept { return first_[e]; }
  void export_stats(feed::SourceStats& s) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::vector<InstrumentView> view_;
  Ticker ticker_;
  std::array<std::uint64_t, kErrorCount> errors_{};
  std::array<std::uint64_t, kCountCount> counts_{};
  std::array<std::string, kErrorCount> first_{};
};

}  // namespace hft::binance
