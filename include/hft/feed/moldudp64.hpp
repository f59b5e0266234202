// MoldUDP64 downstream packets: header (session 10 ASCII, sequence u64, count u16, big-endian),
// message blocks (2-byte length + message), heartbeats (count 0), end of session (0xFFFF); and
// expected-sequence tracking per session: a locked session, implausible jumps, gaps, duplicates,
// partial overlaps, with a per-instrument stale flag (see MoldTracker for the rule); gap
// recovery's parts: the hold buffer for packets beyond a hole, the re-request packet and the
// request schedule (retry, timeout, rate). May touch: core/.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "hft/core/byteorder.hpp"
#include "hft/core/types.hpp"

namespace hft::feed {

inline constexpr std::size_t kMoldHeaderSize = 20;
inline constexpr std::uint16_t kMoldEndOfSession = 0xFFFF;

struct MoldHeader {
  std::array<char, 10> session{};
  std::uint64_t sequence = 0;  // sequence number of the first message in the packet
  std::uint16_t count = 0;     // messages in the packet; 0 heartbeat, 0xFFFF end of session
};

// Session equality as two loads and compares (std::array's == calls memcmp: ~2% of a replay
// of one-message packets, every packet compares its session once or twice).
inline bool same_session(const std::array<char, 10>& a, const std::array<char, 10>& b) noexcept {
  std::uint64_t a8, b8;
  std::uint16_t a2, b2;
  std::memcpy(&a8, a.data(), 8);
  std::memcpy(&b8, b.data(), 8);
  std::memcpy(&a2, a.data() + 8, 2);
  std::memcpy(&b2, b.data() + 8, 2);
  return a8 == b8 && a2 == b2;
}

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
  std::uint64_t session_changes = 0;    // a new session taken after the locked one ended
  std::uint64_t unsequenced = 0;        // sequence 0 with messages (applied only for files)
  std::uint64_t foreign_packets = 0;    // error: another session than the locked one: dropped
  std::uint64_t implausible = 0;        // error: sequence beyond max_jump of the known end: ignored
  std::uint64_t jumps_confirmed = 0;    // such jumps believed after jump_confirm packets continued them
  std::uint64_t gaps = 0;               // error: gap events (a sequence above the known end)
  std::uint64_t gap_msgs = 0;           // error: messages missing in those gaps (recovered or not)
  std::uint64_t lost_msgs = 0;          // error: messages given up (not recovered): stale
  std::uint64_t unrecovered_gaps = 0;   // error: holes given up by recovery (retries, buffer)
  std::uint64_t held_packets = 0;       // packets held beyond a hole until it is filled
  std::uint64_t dup_packets = 0;        // error: packets wholly below expected (dropped)
  std::uint64_t dup_msgs = 0;           // error: messages dropped as already seen
  std::uint64_t overlaps = 0;           // packets partly below expected (new tail delivered)
  std::uint64_t truncated_packets = 0;  // error: blocks overrun the payload
  std::uint64_t truncated_msgs = 0;     // error: declared messages lost to that overrun
  std::uint64_t trailing_bytes = 0;     // error: packets with bytes after the declared messages
  std::uint64_t messages = 0;           // message blocks handed on for decoding
  std::uint64_t behind_msgs = 0;        // level, not a count: messages known but not yet applied
  std::uint64_t stale = 0;              // level: 1 while instruments are stale (messages lost, or
                                        //   a live session not yet complete from its start;
                                        //   mark_fresh of single instruments not counted)
};

// What to do with a packet's messages.
struct MoldDecision {
  bool deliver = false;     // false: drop the whole packet (dup, heartbeat, end of session)
  std::uint16_t skip = 0;   // leading messages already seen (partial overlap)
  std::uint16_t count = 0;  // messages to deliver after the skipped ones
  bool hold = false;        // ahead of a hole that recovery may fill: keep it (MoldHoldBuffer)
};

// The defaults are the file rules (a capture is taken as it is); live() is the live feed's.
struct MoldOptions {
  // A sequence more than this above the known end of the session is implausible (a corrupted or
  // hostile packet): counted and ignored unless jump_confirm data packets continue it. 0 = off
  // (files: excerpts of a capture jump by millions).
  std::uint64_t max_jump = 0;
  std::uint32_t jump_confirm = 2;
  // Lock the session at its first packet: another session's packets are dropped (counted) until
  // the locked one ends. Off: a new session string starts tracking afresh (files).
  bool lock_session = false;
  // Sequence 0 (anonymised captures): delivered without tracking (files) or never applied.
  bool apply_unsequenced = true;
  // Live: a session is expected from sequence 1, so a first packet above 1 (a late join or a
  // restart) is a gap, and instruments are stale until the session is complete from its start.
  // Files: the first packet sets the expectation (a mid-day capture is taken as it is).
  bool expect_from_start = false;
  // Recovery: packets beyond a hole are held (not delivered) until the hole is filled or given
  // up (abandon()); without it a hole is lost at once and instruments go stale.
  bool hold_gaps = false;

  static constexpr MoldOptions live() noexcept {
    MoldOptions o;
    o.max_jump = 1'000'000;
    o.lock_session = true;
    o.apply_unsequenced = false;
    o.expect_from_start = true;
    return o;
  }
};

// Expected-sequence tracking for one feed (one session at a time).
//
// Rules (MoldOptions says which apply; the live feed takes them all):
// - The session is locked by its first good packet; packets of another session are counted
//   and dropped, until an end of session of the locked one (once nothing is missing before it).
// - sequence 0 is not a MoldUDP64 sequence (they start at 1): never applied, counted (files:
//   anonymised captures, delivered whole without tracking).
// - A sequence more than max_jump above the known end is ignored (counted) until jump_confirm
//   data packets continue it in order; then it is a gap like any other. One bad datagram (a
//   heartbeat at 2^63) cannot move the expectation.
// - sequence > known end: a gap. Without hold_gaps the missing messages are lost at once; with
//   it the packet is held and the caller recovers the hole or gives it up (abandon()).
// - sequence + count <= expected: a duplicate or retransmission, dropped and counted; a packet
//   straddling expected delivers only the messages from expected on.
// - Heartbeats and end of session carry the next sequence, so they reveal gaps too.
// Stale rule: messages lost (a gap given up, a truncated packet) may have touched any
// instrument, so all become stale and stay so until their state is known again: a session
// complete from sequence 1 (every message applied, nothing behind) makes every instrument fresh.
// A hole being recovered does not make events stale: nothing is applied out of order, so every
// event delivered has all messages before it applied. Cost: one compare per event (a loss bumps
// an epoch; an instrument is stale while its fresh-epoch is behind).
class MoldTracker {
 public:
  explicit MoldTracker(MoldOptions o = {});

  MoldDecision on_packet(const MoldHeader& h) noexcept;
  // A held packet whose turn has come (its sequence <= expected()): deliver, or drop as seen.
  MoldDecision on_release(const MoldHeader& h) noexcept;
  // Recovery gave up the hole [expected(), to): those messages are lost, instruments stale.
  void abandon(std::uint64_t to) noexcept;
  // The payload ended before all declared messages: `lost` of them are gone (a gap).
  void on_truncated(std::uint64_t lost) noexcept {
    ++c_.truncated_packets;
    c_.truncated_msgs += lost;
    lose();
  }
  void on_trailing_bytes() noexcept { ++c_.trailing_bytes; }
  void on_short_packet() noexcept { ++c_.short_packets; }
  void on_messages(std::uint64_t n) noexcept { c_.messages += n; }
  void on_held() noexcept { ++c_.held_packets; }
  void on_duplicate(std::uint16_t count) noexcept {  // a packet already held
    ++c_.dup_packets;
    c_.dup_msgs += count;
  }

  bool stale(std::uint32_t instrument) const noexcept {
    return fresh_epoch_[instrument & 0xFFFF] < gap_epoch_;
  }
  void mark_fresh(std::uint32_t instrument) noexcept { fresh_epoch_[instrument & 0xFFFF] = gap_epoch_; }
  void mark_all_fresh() noexcept;

  std::uint64_t expected() const noexcept { return expected_; }
  // One past the highest sequence the session is known to have reached (packets, heartbeats).
  std::uint64_t known_end() const noexcept { return known_end_; }
  bool behind() const noexcept { return expected_ < known_end_; }
  bool locked() const noexcept { return have_session_; }
  const std::array<char, 10>& session() const noexcept { return session_; }
  const MoldCounters& counters() const noexcept { return c_; }

 private:
  MoldDecision deliver_from(const MoldHeader& h) noexcept;
  void begin_session(const MoldHeader& h) noexcept;
  void lose() noexcept;
  void sync_levels() noexcept;

  MoldOptions o_;
  MoldCounters c_;
  std::array<char, 10> session_{};
  bool have_session_ = false;
  bool eos_seen_ = false;       // the locked session has ended
  bool fresh_pending_ = false;  // the session is complete so far: fresh once nothing is behind
  std::uint64_t expected_ = 0;
  std::uint64_t known_end_ = 0;
  // An implausible jump waiting for confirmation: its session, the sequence that continues it,
  // the packets that have.
  std::array<char, 10> cand_session_{};
  bool have_cand_ = false;
  std::uint64_t cand_next_ = 0;
  std::uint32_t cand_hits_ = 0;
  std::uint32_t gap_epoch_ = 0;
  std::uint32_t all_fresh_epoch_ = 0;       // gap_epoch_ at the last mark_all_fresh()
  std::vector<std::uint32_t> fresh_epoch_;  // indexed by stock locate (16 bits)
};

// Packets held beyond a hole, in sequence order, in fixed slots allocated at construction (no
// allocation after it). A packet larger than a slot, or one more than the slots, is refused.
class MoldHoldBuffer {
 public:
  static constexpr std::size_t kSlotBytes = 2048;  // an Ethernet MoldUDP64 packet is <= 1472
  struct Entry {
    std::uint64_t seq = 0;
    Nanos ts = 0;
    std::uint32_t len = 0;
    std::uint32_t slot = 0;
  };
  enum class Put : std::uint8_t { Held, Duplicate, Full, TooLarge };

  explicit MoldHoldBuffer(std::size_t packets = 0);
  Put put(std::uint64_t seq, std::span<const std::uint8_t> payload, Nanos ts) noexcept;
  bool empty() const noexcept { return head_ == tail_; }
  std::size_t size() const noexcept { return tail_ - head_; }
  std::size_t capacity() const noexcept { return free_.capacity(); }
  const Entry& front() const noexcept { return idx_[head_]; }
  std::span<const std::uint8_t> bytes(const Entry& e) const noexcept {
    return {arena_.data() + static_cast<std::size_t>(e.slot) * kSlotBytes, e.len};
  }
  void pop_front() noexcept;

 private:
  std::vector<std::uint8_t> arena_;
  std::vector<Entry> idx_;  // [head_, tail_) sorted by seq; 2 x capacity, compacted when full
  std::size_t head_ = 0, tail_ = 0;
  std::vector<std::uint32_t> free_;  // free slots
};

// The MoldUDP64 re-request (upstream) packet: session (10), sequence (u64), count (u16), big-endian.
inline constexpr std::size_t kMoldRequestSize = 20;
struct MoldRequest {
  std::array<char, 10> session{};
  std::uint64_t sequence = 0;
  std::uint16_t count = 0;
};
inline void encode_mold_request(const MoldRequest& r, std::uint8_t* out) noexcept {
  std::memcpy(out, r.session.data(), 10);
  store_be<std::uint64_t>(out + 10, r.sequence);
  store_be<std::uint16_t>(out + 18, r.count);
}
inline bool parse_mold_request(std::span<const std::uint8_t> p, MoldRequest& r) noexcept {
  if (p.size() != kMoldRequestSize) return false;
  std::memcpy(r.session.data(), p.data(), 10);
  r.sequence = load_be<std::uint64_t>(p.data() + 10);
  r.count = load_be<std::uint16_t>(p.data() + 18);
  return true;
}

struct RecoveryOptions {
  Nanos timeout = 100'000'000;      // no progress on a request for this long: ask again
  std::uint32_t retries = 5;        // asks again at most this many times, then gives the hole up
  Nanos min_interval = 1'000'000;   // between two requests (rate limit)
  std::uint16_t max_count = 1000;   // messages asked for per request
};
struct RecoveryCounters {
  std::uint64_t requests = 0;  // re-requests sent (retries included)
  std::uint64_t retries = 0;   // of them, asked again after a timeout
  std::uint64_t give_ups = 0;  // holes given up after the last retry
};

// When to ask for what: one request in flight at a time, for the first hole (from expected()
// up to the first held packet or the known end). Pure: the caller passes the time and sends.
class MoldRecovery {
 public:
  enum class Step : std::uint8_t { Idle, Wait, Send, GiveUp };
  explicit MoldRecovery(RecoveryOptions o = {}) : o_(o) {}
  // expected: the tracker's; hole_end: first sequence after the hole. Send: `out` is to be sent.
  // GiveUp: the caller abandons the hole.
  Step poll(const std::array<char, 10>& session, std::uint64_t expected, std::uint64_t hole_end, Nanos now,
            MoldRequest& out) noexcept;
  const RecoveryCounters& counters() const noexcept { return c_; }

 private:
  RecoveryOptions o_;
  RecoveryCounters c_;
  bool active_ = false, sent_ = false;
  std::uint64_t req_seq_ = 0, req_end_ = 0;
  std::uint32_t tries_ = 0;
  Nanos last_progress_ = 0, last_sent_ = 0;
};

}  // namespace hft::feed
