#include "hft/feed/moldudp64.hpp"

#include <algorithm>
#include <limits>

namespace hft::feed {

void MoldTracker::mark_all_fresh() noexcept {
  std::fill(fresh_epoch_.begin(), fresh_epoch_.end(), gap_epoch_);
}

MoldDecision MoldTracker::on_packet(const MoldHeader& h) noexcept {
  ++c_.packets;
  const bool heartbeat = h.count == 0;
  const bool eos = h.count == kMoldEndOfSession;
  if (h.sequence == 0) {  // not a valid MoldUDP64 sequence: no tracking possible
    if (heartbeat) { ++c_.heartbeats; return {}; }
    if (eos) { ++c_.end_of_session; return {}; }
    ++c_.unsequenced;
    return {true, 0, h.count};
  }
  if (!have_session_ || h.session != session_) {
    if (have_session_) ++c_.session_changes;
    session_ = h.session;
    have_session_ = true;
    expected_ = h.sequence;
    if (h.sequence == 1) mark_all_fresh();  // a full stream from its start: state is known
  }
  if (h.sequence > expected_) {
    ++c_.gaps;
    c_.gap_msgs += h.sequence - expected_;
    ++gap_epoch_;
    expected_ = h.sequence;
  }
  if (heartbeat || eos) {
    if (heartbeat) ++c_.heartbeats;
    else ++c_.end_of_session;
    return {};
  }
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t end = h.sequence > kMax - h.count ? kMax : h.sequence + h.count;
  if (end <= expected_) {
    ++c_.dup_packets;
    c_.dup_msgs += h.count;
    return {};
  }
  std::uint16_t skip = 0;
  if (h.sequence < expected_) {
    ++c_.overlaps;
    skip = static_cast<std::uint16_t>(expected_ - h.sequence);  // < count, so fits
    c_.dup_msgs += skip;
  }
  expected_ = end;
  return {true, skip, static_cast<std::uint16_t>(h.count - skip)};
}

}  // namespace hft::feed
