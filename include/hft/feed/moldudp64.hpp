// MoldUDP64 downstream packets: header (session 10 ASCII, sequence u64, count u16, big-endian),
// message blocks (2-byte length + message), heartbeats (count 0), end of session (0xFFFF); and
// expected-sequence tracking per session: gaps, duplicates, partial overlaps, session changes,
// with a per-instrument stale flag (see MoldTracker for the rule). May touch: core/.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "hft/core/byteorder.hpp"

namespace hft::feed {

inline constexpr std::size_t kMoldHeaderSize = 20;
inline constexpr std::uint16_t kMoldEndOfSession = 0xFFFF;

struct MoldHeader {
  std::array<char, 10> session{};
  std::uint64_t sequence = 0;  // sequence number of the first message in the packet
  std::uint16_t count = 0;     // messages in the packet; 0 heartbeat, 0xFFFF end of session
};

// False when the payload is shorter than the header.
inline bool parse_mold_header(std::span<const std::uint8_t> payload, MoldHeader& h) noexcept {
  if (payload.size() < kMoldHeaderSize) return false;
  std::memcpy(h.session.data(), payload.data(), 10);
  h.sequence = load_be<std::uint64_t>(payload.data() + 10);
  h.count = load_be<std::uint16_t>(payload.data() + 18);
  return true;
}

// Walks the message blocks after the header, bounds-checked.
class MoldBlockCursor {
 public:
  enum class Step : std::uint8_t { Message, End, Overrun };
  MoldBlockCursor() = default;
  explicit MoldBlockCursor(std::span<const std::uint8_t> payload) noexcept
      : end_(payload.data() + payload.size()),
        pos_(payload.size() >= kMoldHeaderSize ? payload.data() + kMoldHeaderSize : end_) {}
  // Message: (msg, len) set, cursor advanced. End: no bytes left. Overrun: a length prefix or a
  // message runs past the payload (the cursor then stays at End).
  Step next(const std::uint8_t*& msg, std::size_t& len) noexcept {
    const std::size_t left = static_cast<std::size_t>(end_ - pos_);
    if (left == 0) return Step::End;
    if (left < 2) [[unlikely]] { pos_ = end_; return Step::Overrun; }
    const std::size_t n = load_be<std::uint16_t>(pos_);
    if (n > left - 2) [[unlikely]] { pos_ = end_; return Step::Overrun; }
    msg = pos_ + 2;
    len = n;
    pos_ += 2 + n;
    return Step::Message;
  }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - pos_); }

 private:
  const std::uint8_t* end_ = nullptr;
  const std::uint8_t* pos_ = nullptr;
};

struct MoldCounters {
  std::uint64_t packets = 0;            // packets seen (with a full header)
  std::uint64_t short_packets = 0;      // error: payload shorter than the 20-byte header
  std::uint64_t heartbeats = 0;         // count 0
  std::uint64_t end_of_session = 0;     // count 0xFFFF
  std::uint64_t session_changes = 0;    // session differs from the previous packet's
  std::uint64_t unsequenced = 0;        // sequence 0: delivered without tracking (see below)
  std::uint64_t gaps = 0;               // error: gap events (sequence above expected)
  std::uint64_t gap_msgs = 0;           // error: messages missing in those gaps
  std::uint64_t dup_packets = 0;        // error: packets wholly below expected (dropped)
  std::uint64_t dup_msgs = 0;           // error: messages dropped as already seen
  std::uint64_t overlaps = 0;           // packets partly below expected (new tail delivered)
  std::uint64_t truncated_packets = 0;  // error: blocks overrun the payload
  std::uint64_t truncated_msgs = 0;     // error: declared messages lost to that overrun
  std::uint64_t trailing_bytes = 0;     // error: packets with bytes after the declared messages
  std::uint64_t messages = 0;           // message blocks handed on for decoding
};

// What to do with a packet's messages.
struct MoldDecision {
  bool deliver = false;     // false: drop the whole packet (dup, heartbeat, end of session)
  std::uint16_t skip = 0;   // leading messages already seen (partial overlap)
  std::uint16_t count = 0;  // messages to deliver after the skipped ones
};

// Expected-sequence tracking for one feed (one session at a time).
//
// Rules:
// - The first packet of a session sets the expected sequence (a capture that starts mid-session
//   is taken as it is: what came before cannot be known, and flagging it all would make every
//   mid-day capture useless).
// - sequence > expected: a gap; gap_msgs += sequence - expected; every instrument becomes stale.
// - sequence + count <= expected: a duplicate or retransmission, dropped and counted; a packet
//   straddling expected delivers only the messages from expected on.
// - Heartbeats and end of session carry the next expected sequence, so they reveal gaps too.
// - A different session string resets tracking as for a first packet (counted).
// - sequence 0 is not a valid MoldUDP64 sequence (they start at 1): such packets (e.g.
//   anonymised captures) are delivered whole without tracking, counted as unsequenced.
// Stale rule: after a gap (or a truncated packet, whose lost messages are a gap too) we cannot
// know which instruments the missing messages touched, so all instruments are stale; an
// instrument stays stale until its state is known again: a new session that starts at
// sequence 1 (a full stream from the start) makes every instrument fresh, and a recovery
// mechanism (snapshot, re-request) can call mark_fresh(). Cost: one compare per event (a gap
// bumps an epoch; an instrument is stale while its fresh-epoch is behind).
class MoldTracker {
 public:
  MoldTracker() : fresh_epoch_(65536, 0) {}

  MoldDecision on_packet(const MoldHeader& h) noexcept;
  // The payload ended before all declared messages: `lost` of them are gone (a gap).
  void on_truncated(std::uint64_t lost) noexcept {
    ++c_.truncated_packets;
    c_.truncated_msgs += lost;
    ++gap_epoch_;
  }
  void on_trailing_bytes() noexcept { ++c_.trailing_bytes; }
  void on_short_packet() noexcept { ++c_.short_packets; }
  void on_messages(std::uint64_t n) noexcept { c_.messages += n; }

  bool stale(std::uint32_t instrument) const noexcept {
    return fresh_epoch_[instrument & 0xFFFF] < gap_epoch_;
  }
  void mark_fresh(std::uint32_t instrument) noexcept { fresh_epoch_[instrument & 0xFFFF] = gap_epoch_; }
  void mark_all_fresh() noexcept;

  std::uint64_t expected() const noexcept { return expected_; }
  const MoldCounters& counters() const noexcept { return c_; }

 private:
  MoldCounters c_;
  std::array<char, 10> session_{};
  bool have_session_ = false;
  std::uint64_t expected_ = 0;
  std::uint32_t gap_epoch_ = 0;
  std::vector<std::uint32_t> fresh_epoch_;  // indexed by stock locate (16 bits)
};

}  // namespace hft::feed
