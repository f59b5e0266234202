// MoldUDP64 -> ITCH 5.0 -> MarketEvent for one UDP payload at a time (see packet_decoder.hpp).
// A packet's events go straight into the caller's span when it has room for the packet's
// declared message count; otherwise into a buffer drained over the next calls.
#include "hft/feed/packet_decoder.hpp"

#include <algorithm>
#include <string>

#include "hft/itch/messages.hpp"

namespace hft::feed {

void StatList::add(std::string name, const std::uint64_t* src, bool error) {
  list_.push_back(Stat{std::move(name), src, error, nullptr});
}

void StatList::sync(SourceStats& out, std::uint64_t events) noexcept {
  for (Stat& s : list_) {
    if (s.dst == nullptr && *s.src != 0) {
      try {
        s.dst = &(s.error ? out.errors : out.counts)[s.name];
      } catch (...) {
        continue;
      }
    }
    if (s.dst != nullptr) *s.dst = *s.src;
  }
  out.events = events;
}

PacketDecoder::PacketDecoder(MoldOptions mold, std::size_t hold_packets)
    : mold_(mold), hold_(mold.hold_gaps ? hold_packets : 0), pending_(kMaxPacketEvents) {}

std::size_t PacketDecoder::decode(std::span<const std::uint8_t> payload, Nanos ts, MarketEvent* out,
                                  std::size_t cap) {
  std::size_t n = drain(out, cap);
  MoldHeader h;
  if (!parse_mold_header(payload, h)) [[unlikely]] {
    mold_.on_short_packet();
    return n;
  }
  const MoldDecision d = mold_.on_packet(h);
  if (d.hold) [[unlikely]] {
    switch (hold_.put(h.sequence, payload, ts)) {
      case MoldHoldBuffer::Put::Held: mold_.on_held(); break;
      case MoldHoldBuffer::Put::Duplicate: mold_.on_duplicate(h.count); break;
      case MoldHoldBuffer::Put::Full:
      case MoldHoldBuffer::Put::TooLarge:
        // Cannot wait any longer for the hole: give it up (stale); this packet is dropped and
        // lies in a later hole, which recovery may still fill.
        ++c_.hold_overflows;
        abandon_hole();
        break;
    }
    return n;
  }
  if (!d.deliver) return n;
  if (pending() == 0) [[likely]] {
    const std::size_t room = cap - n;
    if (room >= d.count) return n + process_packet(payload, ts, h, d, out + n, room);
    pend_n_ = process_packet(payload, ts, h, d, pending_.data(), pending_.size());
    pend_pos_ = 0;
    return n + drain(out + n, cap - n);
  }
  // The caller decoded with a full span while events were pending: queue behind them.
  std::copy(pending_.begin() + static_cast<std::ptrdiff_t>(pend_pos_),
            pending_.begin() + static_cast<std::ptrdiff_t>(pend_n_), pending_.begin());
  pend_n_ -= pend_pos_;
  pend_pos_ = 0;
  if (pending_.size() - pend_n_ < d.count) [[unlikely]] {
    ++c_.overflow_packets;
    mold_.on_truncated(d.count);  // the packet's messages are lost: a gap, instruments stale
    return n;
  }
  pend_n_ += process_packet(payload, ts, h, d, pending_.data() + pend_n_, pending_.size() - pend_n_);
  return n;
}

std::size_t PacketDecoder::flush(MarketEvent* out, std::size_t cap) {
  std::size_t n = drain(out, cap);
  while (pending() == 0 && !hold_.empty() && hold_.front().seq <= mold_.expected()) {
    const MoldHoldBuffer::Entry e = hold_.front();
    const std::span<const std::uint8_t> payload = hold_.bytes(e);
    MoldHeader h;
    parse_mold_header(payload, h);  // checked when it was held
    const MoldDecision d = mold_.on_release(h);
    if (d.deliver) {
      const std::size_t room = cap - n;
      if (room >= d.count) {
        n += process_packet(payload, e.ts, h, d, out + n, room);
      } else {
        pend_n_ = process_packet(payload, e.ts, h, d, pending_.data(), pending_.size());
        pend_pos_ = 0;
        n += drain(out + n, cap - n);
      }
    }
    hold_.pop_front();  // after decoding: the events are copied out of its bytes
  }
  return n;
}

// Decodes the delivered messages of one packet into dst (capacity cap); returns the count.
// Inlined into its callers (decode's common path first): a call per packet before.
[[gnu::always_inline]] inline std::size_t PacketDecoder::process_packet(std::span<const std::uint8_t> payload,
                                                                        Nanos ts, const MoldHeader& h,
                                                                        const MoldDecision& d, MarketEvent* dst,
                                                                        std::size_t cap) {
  auto finish = [dst](std::size_t k) noexcept {
    if (k != 0) dst[k - 1].flags |= evflag::kLast;
    return k;
  };
  MoldBlockCursor cur(payload);
  const std::uint8_t* msg = nullptr;
  std::size_t len = 0;
  std::size_t k = 0;
  const std::size_t total = static_cast<std::size_t>(d.skip) + d.count;
  for (std::size_t i = 0; i < total; ++i) {
    if (cur.next(msg, len) != MoldBlockCursor::Step::Message) [[unlikely]] {
      mold_.on_truncated(total - i);  // the declared messages from i on are lost
      mold_.on_messages(i > d.skip ? i - d.skip : 0);
      return finish(k);
    }
    if (i < d.skip) continue;  // already delivered by an earlier packet
    MarketEvent& ev = dst[k];
    const itch::DecodeResult r = dec_.decode(msg, len, ev);
    if (!r.event) continue;
    ev.ts_recv = ts;
    if (mold_.stale(ev.instrument)) ev.flags |= evflag::kStale;
    table_.on_event(msg, ev);
    if (++k == cap && i + 1 < total) [[unlikely]] {  // cannot happen: callers give room for d.count
      mold_.on_truncated(total - i - 1);
      mold_.on_messages(i + 1 - d.skip);
      return finish(k);
    }
  }
  mold_.on_messages(d.count);
  if (cur.remaining() != 0 && h.count != kMoldEndOfSession) mold_.on_trailing_bytes();
  return finish(k);
}

void PacketDecoder::add_stats(StatList& list) const {
  const MoldCounters& mc = mold_.counters();
  list.add("mold.packets", &mc.packets, false);
  list.add("mold.messages", &mc.messages, false);
  list.add("mold.heartbeats", &mc.heartbeats, false);
  list.add("mold.end_of_session", &mc.end_of_session, false);
  list.add("mold.session_changes", &mc.session_changes, false);
  list.add("mold.unsequenced_packets", &mc.unsequenced, false);
  list.add("mold.overlaps", &mc.overlaps, false);
  list.add("mold.short_packets", &mc.short_packets, true);
  list.add("mold.gaps", &mc.gaps, true);
  list.add("mold.gap_msgs", &mc.gap_msgs, true);
  list.add("mold.dup_packets", &mc.dup_packets, true);
  list.add("mold.dup_msgs", &mc.dup_msgs, true);
  list.add("mold.truncated_packets", &mc.truncated_packets, true);
  list.add("mold.truncated_msgs", &mc.truncated_msgs, true);
  list.add("mold.trailing_bytes", &mc.trailing_bytes, true);
  list.add("mold.foreign_packets", &mc.foreign_packets, true);
  list.add("mold.implausible_packets", &mc.implausible, true);
  list.add("mold.jumps_confirmed", &mc.jumps_confirmed, false);
  list.add("mold.lost_msgs", &mc.lost_msgs, true);
  list.add("mold.unrecovered_gaps", &mc.unrecovered_gaps, true);
  list.add("mold.held_packets", &mc.held_packets, false);
  list.add("mold.behind_msgs", &mc.behind_msgs, false);
  list.add("mold.stale", &mc.stale, false);
  list.add("decoder.hold_overflows", &c_.hold_overflows, true);
  const itch::DecoderCounters& dc = dec_.counters();
  list.add("itch.messages", &dc.messages_in, false);
  for (char t : itch::kAllTypes)
    list.add(std::string("itch.") + t, &dc.by_type[static_cast<std::uint8_t>(t)], false);
  list.add("itch.truncated", &dc.truncated, true);
  list.add("itch.unknown_type", &dc.unknown_type, true);
  list.add("itch.bad_length", &dc.bad_length, true);
  list.add("decoder.overflow_packets", &c_.overflow_packets, true);
}

}  // namespace hft::feed
