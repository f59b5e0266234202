#include "hft/feed/moldudp64.hpp"

#include <algorithm>
#include <limits>

namespace hft::feed {

namespace {
constexpr std::uint64_t kMaxSeq = std::numeric_limits<std::uint64_t>::max();
std::uint64_t end_of(const MoldHeader& h) noexcept {
  const bool data = h.count != 0 && h.count != kMoldEndOfSession;
  if (!data) return h.sequence;  // heartbeats and end of session carry the next sequence
  return h.sequence > kMaxSeq - h.count ? kMaxSeq : h.sequence + h.count;
}
}  // namespace

// A live tracker starts stale: nothing is known until a session is complete from its start.
MoldTracker::MoldTracker(MoldOptions o)
    : o_(o), expected_(o.expect_from_start ? 1 : 0), known_end_(expected_),
      gap_epoch_(o.expect_from_start ? 1 : 0), fresh_epoch_(65536, 0) {
  sync_levels();
}

void MoldTracker::mark_all_fresh() noexcept {
  std::fill(fresh_epoch_.begin(), fresh_epoch_.end(), gap_epoch_);
  all_fresh_epoch_ = gap_epoch_;
  sync_levels();
}

void MoldTracker::sync_levels() noexcept {
  c_.behind_msgs = known_end_ > expected_ ? known_end_ - expected_ : 0;
  c_.stale = all_fresh_epoch_ < gap_epoch_ ? 1 : 0;
}

void MoldTracker::lose() noexcept {
  ++gap_epoch_;
  fresh_pending_ = false;  // this session is no longer complete: stale until a new one
  sync_levels();
}

void MoldTracker::begin_session(const MoldHeader& h) noexcept {
  session_ = h.session;
  have_session_ = true;
  eos_seen_ = false;
  have_cand_ = false;
  if (!o_.expect_from_start) {
    expected_ = known_end_ = h.sequence;
  } else {
    // Live: what this session did to the books is unknown until it is complete from sequence 1
    // (a new session after an end of session, or the first one after a start).
    expected_ = known_end_ = 1;
    ++gap_epoch_;
    sync_levels();
  }
  fresh_pending_ = expected_ == 1;  // a stream from its start can make every instrument fresh
}

void MoldTracker::abandon(std::uint64_t to) noexcept {
  if (to <= expected_) return;
  ++c_.unrecovered_gaps;
  c_.lost_msgs += to - expected_;
  expected_ = to;
  known_end_ = std::max(known_end_, to);
  lose();
}

MoldDecision MoldTracker::on_packet(const MoldHeader& h) noexcept {
  ++c_.packets;
  const bool heartbeat = h.count == 0;
  const bool eos = h.count == kMoldEndOfSession;
  if (h.sequence == 0) {  // not a valid MoldUDP64 sequence: never applied
    if (heartbeat) ++c_.heartbeats;
    else if (eos) ++c_.end_of_session;
    else {
      ++c_.unsequenced;
      if (o_.apply_unsequenced) return {true, 0, h.count, false};
    }
    return {};
  }
  if (have_session_ && !same_session(h.session, session_)) {
    // Another session: only after the locked one has ended and nothing of it is missing.
    if (o_.lock_session && (!eos_seen_ || behind())) {
      ++c_.foreign_packets;
      return {};
    }
    ++c_.session_changes;
    have_session_ = false;
    if (o_.expect_from_start) expected_ = known_end_ = 1;
  }
  const std::uint64_t end = end_of(h);
  // Before the first packet of a file there is nothing to judge against: it is taken as it is.
  const bool judged = have_session_ || o_.expect_from_start;
  if (judged && o_.max_jump != 0 && h.sequence > known_end_ && h.sequence - known_end_ > o_.max_jump) {
    if (heartbeat || eos) {  // only data packets can confirm a jump
      ++c_.implausible;
      return {};
    }
    if (have_cand_ && same_session(h.session, cand_session_) && h.sequence == cand_next_) {
      ++cand_hits_;
    } else {
      have_cand_ = true;
      cand_session_ = h.session;
      cand_hits_ = 0;
    }
    cand_next_ = end;
    if (cand_hits_ < o_.jump_confirm) {
      ++c_.implausible;
      return {};
    }
    // Believed: a gap from the known end to here (the packets that confirmed it are in it).
    have_cand_ = false;
    ++c_.jumps_confirmed;
  } else {
    have_cand_ = false;  // an ordinary packet between: the jump was not continued
  }
  if (!have_session_) begin_session(h);
  if (h.sequence > known_end_) {  // a new hole [known_end_, sequence)
    ++c_.gaps;
    c_.gap_msgs += h.sequence - known_end_;
    if (!o_.hold_gaps) {
      c_.lost_msgs += h.sequence - expected_;
      expected_ = h.sequence;
      known_end_ = h.sequence;
      lose();
    }
  }
  known_end_ = std::max(known_end_, end);
  if (heartbeat || eos) {
    if (heartbeat) ++c_.heartbeats;
    else {
      ++c_.end_of_session;
      eos_seen_ = true;
    }
    if (fresh_pending_ && !behind()) {
      fresh_pending_ = false;
      mark_all_fresh();
    }
    sync_levels();
    return {};
  }
  if (end <= expected_) {
    ++c_.dup_packets;
    c_.dup_msgs += h.count;
    sync_levels();
    return {};
  }
  if (h.sequence > expected_) {  // beyond a hole that recovery may still fill
    sync_levels();
    return {false, 0, 0, true};
  }
  return deliver_from(h);
}

MoldDecision MoldTracker::on_release(const MoldHeader& h) noexcept {
  if (end_of(h) <= expected_) {
    ++c_.dup_packets;
    c_.dup_msgs += h.count;
    return {};
  }
  if (h.sequence > expected_) return {false, 0, 0, true};  // not its turn yet
  return deliver_from(h);
}

// sequence <= expected_ < end: deliver from expected_ on.
MoldDecision MoldTracker::deliver_from(const MoldHeader& h) noexcept {
  const std::uint64_t end = end_of(h);
  std::uint16_t skip = 0;
  if (h.sequence < expected_) {
    ++c_.overlaps;
    skip = static_cast<std::uint16_t>(expected_ - h.sequence);  // < count, so fits
    c_.dup_msgs += skip;
  }
  expected_ = end;
  if (fresh_pending_ && !behind()) {  // the session is complete from its start: state is known
    fresh_pending_ = false;
    mark_all_fresh();
  }
  sync_levels();
  return {true, skip, static_cast<std::uint16_t>(h.count - skip), false};
}

// ---- hold buffer ----

MoldHoldBuffer::MoldHoldBuffer(std::size_t packets)
    : arena_(packets * kSlotBytes), idx_(2 * packets) {
  free_.reserve(packets);
  for (std::size_t i = packets; i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
}

MoldHoldBuffer::Put MoldHoldBuffer::put(std::uint64_t seq, std::span<const std::uint8_t> payload, Nanos ts) noexcept {
  if (payload.size() > kSlotBytes) return Put::TooLarge;
  // Where it goes: live packets arrive in order, so almost always at the end.
  std::size_t at = tail_;
  while (at > head_ && idx_[at - 1].seq > seq) --at;
  if (at > head_ && idx_[at - 1].seq == seq) return Put::Duplicate;
  if (free_.empty()) return Put::Full;
  if (tail_ == idx_.size()) {  // compact: [head_, tail_) to the front
    std::copy(idx_.begin() + static_cast<std::ptrdiff_t>(head_), idx_.begin() + static_cast<std::ptrdiff_t>(tail_),
              idx_.begin());
    at -= head_;
    tail_ -= head_;
    head_ = 0;
  }
  std::copy_backward(idx_.begin() + static_cast<std::ptrdiff_t>(at), idx_.begin() + static_cast<std::ptrdiff_t>(tail_),
                     idx_.begin() + static_cast<std::ptrdiff_t>(tail_ + 1));
  ++tail_;
  const std::uint32_t slot = free_.back();
  free_.pop_back();
  std::memcpy(arena_.data() + static_cast<std::size_t>(slot) * kSlotBytes, payload.data(), payload.size());
  idx_[at] = Entry{seq, ts, static_cast<std::uint32_t>(payload.size()), slot};
  return Put::Held;
}

void MoldHoldBuffer::pop_front() noexcept {
  free_.push_back(idx_[head_].slot);
  ++head_;
  if (head_ == tail_) head_ = tail_ = 0;
}

// ---- request schedule ----

MoldRecovery::Step MoldRecovery::poll(const std::array<char, 10>& session, std::uint64_t expected,
                                      std::uint64_t hole_end, Nanos now, MoldRequest& out) noexcept {
  if (expected >= hole_end) {
    active_ = false;
    return Step::Idle;
  }
  if (active_ && expected > req_seq_) {  // the answer is coming in
    if (expected >= req_end_) {
      active_ = false;  // answered in full: the next request is a new one
    } else {
      req_seq_ = expected;
      last_progress_ = now;
    }
  }
  bool retry = false;
  if (active_) {
    if (now - last_progress_ < o_.timeout) return Step::Wait;
    if (tries_ > o_.retries) {
      active_ = false;
      ++c_.give_ups;
      return Step::GiveUp;
    }
    retry = true;
  }
  if (sent_ && now - last_sent_ < o_.min_interval) return Step::Wait;
  const std::uint64_t want = hole_end - expected;
  out.session = session;
  out.sequence = expected;
  out.count = static_cast<std::uint16_t>(std::min<std::uint64_t>(want, o_.max_count == 0 ? 1 : o_.max_count));
  req_seq_ = expected;
  req_end_ = expected + out.count;
  last_progress_ = last_sent_ = now;
  active_ = sent_ = true;
  tries_ = retry ? tries_ + 1 : 1;
  ++c_.requests;
  if (retry) ++c_.retries;
  return Step::Send;
}

}  // namespace hft::feed
