// The live MoldUDP64 rules (MoldOptions::live()): one bad datagram cannot poison the session (a
// heartbeat at 2^63, another session's packets, unsequenced packets: each counted, books
// unaffected), implausible jumps believed only when continued, a start mid-session is a gap from
// sequence 1 and stale until complete; the hold buffer, the re-request packet and schedule, and
// the packet decoder holding packets beyond a hole and applying them in order once it is filled.
// No clocks: the schedule is driven with explicit times.
#include <gtest/gtest.h>

#include <random>

#include "hft/feed/moldudp64.hpp"
#include "hft/feed/packet_decoder.hpp"
#include "wire_util.hpp"

namespace hft::feed {
namespace live_rules_test {  // named: the module's test files are built as one unit
using namespace wire_test;

MoldOptions live_holding() {
  MoldOptions o = MoldOptions::live();
  o.hold_gaps = true;
  return o;
}

TEST(MoldLive, PoisonHeartbeatIsCountedAndIgnored) {
  MoldTracker t(MoldOptions::live());
  EXPECT_TRUE(t.stale(7));  // nothing known yet
  EXPECT_TRUE(t.on_packet(hdr("S1", 1, 3)).deliver);
  EXPECT_FALSE(t.stale(7));  // complete from sequence 1
  // The session's id and sequence 2^63: once moved the expectation there for good.
  EXPECT_FALSE(t.on_packet(hdr("S1", std::uint64_t{1} << 63, 0)).deliver);
  EXPECT_FALSE(t.on_packet(hdr("S1", std::uint64_t{1} << 63, 0xFFFF)).deliver);  // nor an end of session there
  EXPECT_EQ(t.expected(), 4u);
  const MoldDecision d = t.on_packet(hdr("S1", 4, 2));  // the real stream goes on
  EXPECT_TRUE(d.deliver);
  EXPECT_EQ(d.count, 2);
  EXPECT_EQ(t.expected(), 6u);
  EXPECT_FALSE(t.stale(7));
  const MoldCounters& c = t.counters();
  EXPECT_EQ(c.implausible, 2u);
  EXPECT_EQ(c.gaps, 0u);
  EXPECT_EQ(c.gap_msgs, 0u);
  EXPECT_EQ(c.dup_packets, 0u);
  EXPECT_EQ(c.end_of_session, 0u);
  EXPECT_EQ(c.stale, 0u);
}

TEST(MoldLive, ForeignSessionCountedNeverAppliedUntilEndOfSession) {
  MoldTracker t(MoldOptions::live());
  EXPECT_TRUE(t.on_packet(hdr("S1", 1, 2)).deliver);
  // One message of another session (would have made every instrument stale), an empty packet
  // of a new session from 1 (would have cleared stale flags), another at sequence 1000.
  EXPECT_FALSE(t.on_packet(hdr("EVIL", 5, 1)).deliver);
  EXPECT_FALSE(t.on_packet(hdr("EVIL", 1, 0)).deliver);
  EXPECT_FALSE(t.on_packet(hdr("EVIL", 1000, 3)).deliver);
  EXPECT_FALSE(t.stale(7));
  EXPECT_EQ(t.expected(), 3u);
  EXPECT_TRUE(t.on_packet(hdr("S1", 3, 1)).deliver);
  EXPECT_EQ(t.counters().foreign_packets, 3u);
  EXPECT_EQ(t.counters().session_changes, 0u);
  EXPECT_EQ(t.counters().gaps, 0u);
  // The locked session ends: the next session is taken (from its start).
  EXPECT_FALSE(t.on_packet(hdr("S1", 4, 0xFFFF)).deliver);
  EXPECT_TRUE(t.on_packet(hdr("S2", 1, 1)).deliver);
  EXPECT_EQ(t.counters().session_changes, 1u);
  EXPECT_FALSE(t.stale(7));
  EXPECT_FALSE(t.on_packet(hdr("S1", 5, 1)).deliver);  // now S1 is the foreign one
  EXPECT_EQ(t.counters().foreign_packets, 4u);
  // A next session joined mid-way is stale until complete from its sequence 1.
  MoldTracker u(live_holding());
  EXPECT_TRUE(u.on_packet(hdr("S1", 1, 1)).deliver);
  EXPECT_FALSE(u.on_packet(hdr("S1", 2, 0xFFFF)).deliver);
  EXPECT_FALSE(u.stale(7));
  EXPECT_TRUE(u.on_packet(hdr("S2", 50, 1)).hold);
  EXPECT_TRUE(u.stale(7));
  EXPECT_TRUE(u.on_packet(hdr("S2", 1, 49)).deliver);
  EXPECT_TRUE(u.stale(7));  // the held packet not applied yet
  EXPECT_TRUE(u.on_release(hdr("S2", 50, 1)).deliver);
  EXPECT_FALSE(u.stale(7));
}

TEST(MoldLive, UnsequencedNeverApplied) {
  MoldTracker t(MoldOptions::live());
  EXPECT_TRUE(t.on_packet(hdr("S1", 1, 1)).deliver);
  EXPECT_FALSE(t.on_packet(hdr("S1", 0, 5)).deliver);
  EXPECT_FALSE(t.on_packet(hdr("OTHER", 0, 5)).deliver);
  EXPECT_EQ(t.counters().unsequenced, 2u);
  EXPECT_EQ(t.expected(), 2u);
  EXPECT_FALSE(t.stale(1));
  // Files keep delivering them (anonymised captures).
  MoldTracker f;
  EXPECT_TRUE(f.on_packet(hdr("S1", 0, 5)).deliver);
}

TEST(MoldLive, JumpBelievedOnlyWhenContinued) {
  MoldOptions o = MoldOptions::live();
  o.max_jump = 100;
  o.jump_confirm = 2;
  MoldTracker t(o);
  EXPECT_TRUE(t.on_packet(hdr("S1", 1, 1)).deliver);
  // A lone far packet, then the stream goes on: the jump is forgotten.
  EXPECT_FALSE(t.on_packet(hdr("S1", 5000, 2)).deliver);
  EXPECT_TRUE(t.on_packet(hdr("S1", 2, 1)).deliver);
  EXPECT_FALSE(t.on_packet(hdr("S1", 5002, 2)).deliver);  // would have continued it, too late
  EXPECT_EQ(t.counters().implausible, 2u);
  EXPECT_FALSE(t.stale(1));
  // A real jump: 9000 (2 msgs), 9002, 9004 in order: the third is believed, a gap from 3.
  EXPECT_FALSE(t.on_packet(hdr("S1", 9000, 2)).deliver);
  EXPECT_FALSE(t.on_packet(hdr("S1", 9002, 2)).deliver);
  const MoldDecision d = t.on_packet(hdr("S1", 9004, 2));
  EXPECT_TRUE(d.deliver);  // no recovery: the hole is lost at once
  EXPECT_EQ(t.counters().jumps_confirmed, 1u);
  EXPECT_EQ(t.counters().gap_msgs, 9004u - 3u);
  EXPECT_EQ(t.counters().lost_msgs, 9004u - 3u);
  EXPECT_TRUE(t.stale(1));
  EXPECT_EQ(t.expected(), 9006u);
}

TEST(MoldLive, StartMidSessionIsAGapFromOne) {
  // Without recovery: lost, stale for the rest of the session, counted.
  MoldTracker t(MoldOptions::live());
  EXPECT_TRUE(t.on_packet(hdr("S1", 500, 2)).deliver);
  EXPECT_TRUE(t.stale(3));
  EXPECT_EQ(t.counters().gap_msgs, 499u);
  EXPECT_EQ(t.counters().lost_msgs, 499u);
  EXPECT_EQ(t.counters().stale, 1u);
  EXPECT_TRUE(t.on_packet(hdr("S1", 502, 2)).deliver);
  EXPECT_TRUE(t.stale(3));
  // With recovery: held; the hole [1, 500) filled in order makes everything fresh.
  MoldTracker r(live_holding());
  MoldDecision d = r.on_packet(hdr("S1", 500, 2));
  EXPECT_TRUE(d.hold);
  EXPECT_TRUE(r.behind());
  EXPECT_EQ(r.expected(), 1u);
  EXPECT_EQ(r.known_end(), 502u);
  d = r.on_packet(hdr("S1", 1, 400));  // an answer
  EXPECT_TRUE(d.deliver);
  EXPECT_TRUE(r.stale(3));  // still behind
  d = r.on_packet(hdr("S1", 401, 99));
  EXPECT_TRUE(d.deliver);
  EXPECT_EQ(r.expected(), 500u);
  EXPECT_TRUE(r.stale(3));
  d = r.on_release(hdr("S1", 500, 2));
  EXPECT_TRUE(d.deliver);
  EXPECT_FALSE(r.behind());
  EXPECT_FALSE(r.stale(3));
  EXPECT_EQ(r.counters().lost_msgs, 0u);
  EXPECT_EQ(r.counters().stale, 0u);
}

TEST(MoldLive, AbandonedHoleStaysStale) {
  MoldTracker t(live_holding());
  EXPECT_TRUE(t.on_packet(hdr("S1", 1, 2)).deliver);
  EXPECT_TRUE(t.on_packet(hdr("S1", 5, 1)).hold);
  EXPECT_FALSE(t.stale(1));  // being recovered: nothing applied out of order
  t.abandon(5);
  EXPECT_TRUE(t.stale(1));
  EXPECT_EQ(t.counters().unrecovered_gaps, 1u);
  EXPECT_EQ(t.counters().lost_msgs, 2u);
  EXPECT_TRUE(t.on_release(hdr("S1", 5, 1)).deliver);
  EXPECT_TRUE(t.stale(1));  // for the rest of the session
}

TEST(MoldHoldBuffer, SortedBoundedNoDuplicates) {
  MoldHoldBuffer b(4);
  const std::uint8_t x[3] = {1, 2, 3};
  EXPECT_EQ(b.put(30, x, 1), MoldHoldBuffer::Put::Held);
  EXPECT_EQ(b.put(10, x, 2), MoldHoldBuffer::Put::Held);
  EXPECT_EQ(b.put(20, x, 3), MoldHoldBuffer::Put::Held);
  EXPECT_EQ(b.put(20, x, 4), MoldHoldBuffer::Put::Duplicate);
  EXPECT_EQ(b.put(40, x, 5), MoldHoldBuffer::Put::Held);
  EXPECT_EQ(b.put(50, x, 6), MoldHoldBuffer::Put::Full);
  std::vector<std::uint8_t> big(MoldHoldBuffer::kSlotBytes + 1);
  EXPECT_EQ(b.put(5, big, 7), MoldHoldBuffer::Put::TooLarge);
  std::vector<std::uint64_t> order;
  while (!b.empty()) {
    order.push_back(b.front().seq);
    EXPECT_EQ(b.bytes(b.front()).size(), 3u);
    b.pop_front();
  }
  EXPECT_EQ(order, (std::vector<std::uint64_t>{10, 20, 30, 40}));
  // Many rounds through the compaction.
  std::mt19937_64 rng(5);
  std::uint64_t next = 0, popped = 0;
  for (int i = 0; i < 10000; ++i) {
    if (b.size() < 4 && rng() % 2) {
      ASSERT_EQ(b.put(next++, x, 0), MoldHoldBuffer::Put::Held);
    } else if (!b.empty()) {
      ASSERT_EQ(b.front().seq, popped++);
      b.pop_front();
    }
  }
}

TEST(MoldRequest, WireFormat) {
  MoldRequest r{{'H', 'F', 'T', 'G', 'E', 'N', '0', '0', '0', '1'}, 0x0102030405060708ull, 0x0A0B};
  std::uint8_t b[kMoldRequestSize];
  encode_mold_request(r, b);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b), 10), "HFTGEN0001");
  const std::uint8_t tail[10] = {1, 2, 3, 4, 5, 6, 7, 8, 0x0A, 0x0B};
  EXPECT_EQ(0, std::memcmp(b + 10, tail, 10));
  MoldRequest back;
  ASSERT_TRUE(parse_mold_request(b, back));
  EXPECT_EQ(back.sequence, r.sequence);
  EXPECT_EQ(back.count, r.count);
  EXPECT_FALSE(parse_mold_request(std::span<const std::uint8_t>(b, 19), back));
}

TEST(MoldRecovery, RequestsRetriesRateAndGiveUp) {
  RecoveryOptions o;
  o.timeout = 100;
  o.retries = 2;
  o.min_interval = 10;
  o.max_count = 50;
  MoldRecovery r(o);
  const std::array<char, 10> s{'S'};
  MoldRequest q;
  EXPECT_EQ(r.poll(s, 10, 10, 0, q), MoldRecovery::Step::Idle);
  ASSERT_EQ(r.poll(s, 10, 200, 0, q), MoldRecovery::Step::Send);  // hole [10, 200): first 50
  EXPECT_EQ(q.sequence, 10u);
  EXPECT_EQ(q.count, 50);
  EXPECT_EQ(r.poll(s, 10, 200, 50, q), MoldRecovery::Step::Wait);
  EXPECT_EQ(r.poll(s, 30, 200, 120, q), MoldRecovery::Step::Wait);  // progress resets the timeout
  EXPECT_EQ(r.poll(s, 30, 200, 219, q), MoldRecovery::Step::Wait);
  ASSERT_EQ(r.poll(s, 30, 200, 220, q), MoldRecovery::Step::Send);  // timed out: ask again from 30
  EXPECT_EQ(q.sequence, 30u);
  ASSERT_EQ(r.poll(s, 80, 200, 225, q), MoldRecovery::Step::Wait);  // answered in full, but rate
  ASSERT_EQ(r.poll(s, 80, 200, 230, q), MoldRecovery::Step::Send);  // a new request
  EXPECT_EQ(q.sequence, 80u);
  EXPECT_EQ(r.poll(s, 80, 200, 330, q), MoldRecovery::Step::Send);  // retry 1
  EXPECT_EQ(r.poll(s, 80, 200, 430, q), MoldRecovery::Step::Send);  // retry 2
  EXPECT_EQ(r.poll(s, 80, 200, 530, q), MoldRecovery::Step::GiveUp);
  EXPECT_EQ(r.counters().requests, 5u);
  EXPECT_EQ(r.counters().retries, 3u);
  EXPECT_EQ(r.counters().give_ups, 1u);
}

// The packet decoder with a hold: packets after a lost one wait; the answer comes; the same
// events come out in the same order, with the same flags, as from the clean stream.
TEST(PacketDecoderHold, RecoveredStreamEqualsCleanStream) {
  std::vector<Bytes> packets;
  std::uint64_t seq = 1;
  std::mt19937_64 rng(11);
  std::uint64_t ref = 1;
  for (int p = 0; p < 200; ++p) {
    std::vector<Bytes> msgs;
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) msgs.push_back(itch_add(static_cast<std::uint16_t>(1 + rng() % 3), 1000 + ref, ref, 'B', 100, 1000000 + 100 * (rng() % 50))), ++ref;
    packets.push_back(mold("S1", seq, msgs));
    seq += static_cast<std::uint64_t>(n);
  }
  auto run = [&](const std::vector<std::size_t>& order) {
    PacketDecoder d(live_holding(), 256);  // room for the whole stream (packet 0 comes last)
    std::vector<MarketEvent> out(PacketDecoder::kMaxPacketEvents), all;
    for (std::size_t i : order) {
      std::size_t n = d.decode(packets[i], 0, out.data(), out.size());
      n += d.flush(out.data() + n, out.size() - n);
      all.insert(all.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    }
    EXPECT_FALSE(d.mold().behind());
    EXPECT_FALSE(d.holding());
    return std::make_pair(all, d.mold().counters());
  };
  std::vector<std::size_t> clean(packets.size());
  for (std::size_t i = 0; i < clean.size(); ++i) clean[i] = i;
  // Lossy: packets 1, 17 and 100..102 missing at first, sent again (as answers) later.
  std::vector<std::size_t> lossy;
  for (std::size_t i = 0; i < packets.size(); ++i)
    if (i != 1 && i != 17 && (i < 100 || i > 102)) lossy.push_back(i);
  for (std::size_t i : {std::size_t{1}, std::size_t{17}, std::size_t{100}, std::size_t{101}, std::size_t{102}}) lossy.push_back(i);
  const auto [a, ca] = run(clean);
  const auto [b, cb] = run(lossy);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].order_id, b[i].order_id) << i;
    EXPECT_EQ(a[i].flags, b[i].flags) << i;  // no stale flag: nothing applied out of order
  }
  EXPECT_EQ(cb.lost_msgs, 0u);
  EXPECT_GT(cb.held_packets, 100u);
  EXPECT_EQ(cb.gaps, 3u);  // packets 1, 17, 100..102
  EXPECT_EQ(cb.stale, 0u);
  // A late start (packet 0 never seen first): the same events, stale while the session is
  // caught up from sequence 1, fresh from the packet that completes it.
  std::vector<std::size_t> late(clean.begin() + 1, clean.end());
  late.push_back(0);
  const auto [c, cc] = run(late);
  ASSERT_EQ(c.size(), a.size());
  std::size_t last_packet_events = 0;
  for (std::size_t i = c.size(); i-- > 0 && (i + 1 == c.size() || !(c[i].flags & evflag::kLast));) ++last_packet_events;
  for (std::size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c[i].order_id, a[i].order_id) << i;
    EXPECT_EQ((c[i].flags & evflag::kStale) != 0, i + last_packet_events < c.size()) << i;
  }
  EXPECT_EQ(cc.stale, 0u);
  EXPECT_EQ(cc.lost_msgs, 0u);
}

// A full hold buffer gives the hole up: the rest is applied in order, stale, counted.
TEST(PacketDecoderHold, OverflowGivesTheHoleUp) {
  PacketDecoder d(live_holding(), 16);
  std::vector<MarketEvent> out(PacketDecoder::kMaxPacketEvents);
  std::size_t got = 0;
  got += d.decode(mold("S1", 1, {itch_add(1, 1, 1, 'B', 100, 1000000)}), 0, out.data(), out.size());
  for (std::uint64_t s = 3; s < 3 + 20; ++s) {  // 2 is lost; 16 held, then overflow
    got += d.decode(mold("S1", s, {itch_add(1, s, s, 'B', 100, 1000000)}), 0, out.data(), out.size());
    got += d.flush(out.data(), out.size());
  }
  EXPECT_EQ(d.counters().hold_overflows, 1u);
  EXPECT_EQ(d.mold().counters().unrecovered_gaps, 1u);
  EXPECT_TRUE(d.mold().stale(1));
  // The first, then the 16 held once the hole was given up; the packet that found the buffer
  // full is dropped and is a new hole, which the 3 after it wait on.
  EXPECT_EQ(got, 1u + 16u);
  EXPECT_TRUE(d.holding());
  EXPECT_EQ(d.hole_end(), 20u);
}

}  // namespace live_rules_test
}  // namespace hft::feed
