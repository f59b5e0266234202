// The packet path shared by every MoldUDP64 source (pcap file, live UDP socket): one UDP
// payload -> MoldUDP64 header and sequence tracking -> ITCH 5.0 decode -> MarketEvent, plus
// the instrument table (Stock Directory and first-seen locates) and the named counters. The
// source owns the transport (file, socket) and hands payloads in. May touch: core/, itch/,
// feed/moldudp64.hpp, feed/instrument_table.hpp, feed/source.hpp.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hft/core/event.hpp"
#include "hft/core/types.hpp"
#include "hft/feed/instrument_table.hpp"
#include "hft/feed/moldudp64.hpp"
#include "hft/feed/source.hpp"
#include "hft/itch/decoder.hpp"

namespace hft::feed {

// Plain integer counters (kept on the hot path) published by name into a SourceStats. A counter
// appears in the maps only once it is non-zero. The counters must outlive the list.
class StatList {
 public:
  void add(std::string name, const std::uint64_t* src, bool error);
  // Copies every counter into out (one pointer store per counter once it is non-zero). File
  // sources call it from stats(), not per batch: the copy reads ~60 scattered map nodes, about
  // one L1 miss per event when it ran after every batch. The live source still calls it after
  // every batch: its levels (mold.stale, mold.behind_msgs) go back to 0, and a level is listed
  // once a copy saw it non-zero. An out of memory adding a name leaves that counter unmirrored
  // until the next call.
  void sync(SourceStats& out, std::uint64_t events) noexcept;

 private:
  struct Stat {
    std::string name;
    const std::uint64_t* src;
    bool error;
    std::uint64_t* dst = nullptr;
  };
  std::vector<Stat> list_;
};

struct PacketDecoderCounters {
  std::uint64_t overflow_packets = 0;  // error: packet's events did not fit the pending buffer
                                       //   (only when decode() is called with events pending)
  std::uint64_t hold_overflows = 0;    // error: a packet beyond a hole found the hold buffer full
                                       //   (or was larger than a slot): the hole is given up
};

// Not copyable or movable: StatList entries point into it.
class PacketDecoder {
 public:
  // A UDP payload holds at most 65535 bytes and an event needs a 2-byte length plus at least
  // 12 bytes of message, so no packet yields more than this many events.
  static constexpr std::size_t kMaxPacketEvents = 65536 / 14 + 1;

  // hold_packets: slots of the hold buffer (packets beyond a hole, when mold.hold_gaps).
  explicit PacketDecoder(MoldOptions mold = {}, std::size_t hold_packets = 0);
  PacketDecoder(const PacketDecoder&) = delete;
  PacketDecoder& operator=(const PacketDecoder&) = delete;

  // Decodes one UDP payload received at ts_recv (ns since the Unix epoch) into out[0..cap).
  // Returns the events written. Events first drain what is pending. When the packet's
  // delivered messages do not fit in what is left of out, they go to an internal buffer and
  // the rest come out of drain() (or the next decode()) in order: nothing is lost. The last
  // event of each packet carries evflag::kLast.
  std::size_t decode(std::span<const std::uint8_t> udp_payload, Nanos ts_recv, MarketEvent* out,
                     std::size_t cap);
  // Moves pending events into out[0..cap); returns how many.
  std::size_t drain(MarketEvent* out, std::size_t cap) noexcept {
    std::size_t n = 0;
    while (pend_pos_ < pend_n_ && n < cap) out[n++] = pending_[pend_pos_++];
    return n;
  }
  std::size_t pending() const noexcept { return pend_n_ - pend_pos_; }
  // drain(), then the held packets whose turn has come (a hole before them filled or given up),
  // in order, while they fit. Returns the events written.
  std::size_t flush(MarketEvent* out, std::size_t cap);
  // Held packets are waiting for a hole to be filled.
  bool holding() const noexcept { return !hold_.empty(); }
  bool hold_front_ready() const noexcept { return !hold_.empty() && hold_.front().seq <= mold_.expected(); }
  // First sequence after the hole that starts at mold().expected(): the first held packet's,
  // else the known end of the session.
  std::uint64_t hole_end() const noexcept {
    const std::uint64_t k = mold_.known_end();
    return hold_.empty() ? k : std::min(k, hold_.front().seq);
  }
  // Recovery gave the current hole up: its messages are lost (instruments stale); the held
  // packets after it come out of flush().
  void abandon_hole() noexcept { mold_.abandon(hole_end()); }

  const std::vector<Instrument>& instruments() const noexcept { return table_.instruments(); }
  MoldTracker& mold() noexcept { return mold_; }
  const MoldTracker& mold() const noexcept { return mold_; }
  const itch::DecoderCounters& itch_counters() const noexcept { return dec_.counters(); }
  const PacketDecoderCounters& counters() const noexcept { return c_; }
  // Adds the "mold.*", "itch.*" and "decoder.*" counters to a source's list.
  void add_stats(StatList& list) const;

 private:
  std::size_t process_packet(std::span<const std::uint8_t> payload, Nanos ts, const MoldHeader& h,
                             const MoldDecision& d, MarketEvent* dst, std::size_t cap);

  MoldTracker mold_;
  MoldHoldBuffer hold_;
  itch::Decoder dec_;
  ItchInstrumentTable table_;
  std::vector<MarketEvent> pending_;
  std::size_t pend_pos_ = 0, pend_n_ = 0;
  PacketDecoderCounters c_;
};

}  // namespace hft::feed
