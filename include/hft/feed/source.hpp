// A source of normalized market events: the one interface that replay, book building,
// conversion and (later) the live feed read from. Sources are pulled in batches (a pcap packet,
// a block of file rows), so the virtual call is paid per batch, not per event.
//
// SOURCE strings name a kind and a path: "pcap:FILE.pcap", "itch:FILE[.gz]", "lobster:MESSAGE.csv",
// "dbn:FILE.dbn[.zst]", "binance:A.gz[,B.gz...]"; sources/open.hpp turns such a string into a
// reader. May touch: core/.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hft/core/decimal.hpp"
#include "hft/core/event.hpp"
#include "hft/core/types.hpp"

namespace hft::feed {

// Static facts about an instrument, learned from the source (ITCH Stock Directory, DBN
// metadata, LOBSTER file name).
struct Instrument {
  InstrumentId id = 0;
  std::string symbol;
  std::uint32_t round_lot = 100;
  char market_category = ' ';
  char financial_status = ' ';
  char classification = ' ';
  char authenticity = ' ';
  bool etp = false;
  // Fixed-point units of this instrument's prices and quantities (core/decimal.hpp): ITCH,
  // LOBSTER and DBN keep 1e-4 prices and whole shares; Binance takes them from config.
  std::int64_t price_scale = kPriceScale;
  std::int64_t qty_scale = 1;
};

enum class TimeBasis : std::uint8_t { SinceMidnight, SinceEpoch };

// Counts every event produced and every input unit rejected, with its reason. Readers add
// their own named reasons; nothing is dropped without landing in one of these.
struct SourceStats {
  std::uint64_t events = 0;
  std::map<std::string, std::uint64_t> counts;  // e.g. "itch.A", "pcap.frames", "mold.gap_msgs"
  std::map<std::string, std::uint64_t> errors;  // e.g. "itch.truncated", "pcap.non_udp"
};

// UDP filter for packet sources (from config or command line). 0 / empty = any.
struct FeedOptions {
  std::string dst_addr;          // dotted IPv4, e.g. "233.54.12.111"
  std::uint16_t dst_port = 0;
  std::string lobster_symbol;    // override the symbol taken from a LOBSTER file name
  // Instrument definitions for sources whose prices are decimal text (config `instruments`).
  struct InstrumentDef {
    std::string symbol;       // BTCUSDT
    std::string market;       // binance: spot | usdm
    InstrumentScale scale;
  };
  std::vector<InstrumentDef> instruments;
  bool pcap_libpcap = false;     // read classic pcap through libpcap, not mapped (to compare)
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Fills out with the next events, in order; returns how many. 0 means end of input, except
  // for a live source (live() true), where 0 means "nothing now": call again.
  virtual std::size_t next(std::span<MarketEvent> out) = 0;
  // True for sources fed by the network (live/udp_source.hpp): they never reach end of input.
  virtual bool live() const noexcept { return false; }
  virtual TimeBasis time_basis() const noexcept = 0;
  // Instruments known so far (grows as directory messages arrive).
  virtual const std::vector<Instrument>& instruments() const noexcept = 0;
  // Counters so far. Called by the reading thread, or after it stopped: a file source brings its
  // mirror of the counters up to date here, not per batch.
  virtual const SourceStats& stats() const noexcept = 0;
  // Share of the input read so far, 0..1, for progress lines; < 0 when unknown (a live feed).
  // Called by the reading thread only (the engine mirrors it for others).
  virtual double progress() const noexcept { return -1.0; }
  // True for market-by-price sources (one aggregate order per price level, evflag::kLevel): a
  // queue position cannot be followed exactly there (the simulator models it instead).
  virtual bool by_price() const noexcept { return false; }
};

// For a source that makes events ahead of its reader (one file row or line can make many):
// copies the staged events from staged[pos..) into out, calling refill() whenever they run out
// (refill appends to staged, which is emptied first; it returns false when the input is done).
// Returns how many events were written.
template <class Refill>
std::size_t hand_out(std::vector<MarketEvent>& staged, std::size_t& pos, std::span<MarketEvent> out,
                     Refill&& refill) {
  std::size_t n = 0;
  while (n < out.size()) {
    if (pos == staged.size()) {
      staged.clear();
      pos = 0;
      if (!refill()) break;
      continue;
    }
    const std::size_t room = out.size() - n, left = staged.size() - pos;
    const std::size_t k = room < left ? room : left;  // (no <algorithm> in this widely included header)
    std::memcpy(out.data() + n, staged.data() + pos, k * sizeof(MarketEvent));
    pos += k;
    n += k;
  }
  return n;
}

// Minimum span size a caller must pass to next(): the largest batch any source produces.
inline constexpr std::size_t kMaxBatch = 1024;

}  // namespace hft::feed
