// MoldUDP64 sequence tracking (gaps, duplicates, partial overlaps, heartbeats, end of session,
// session changes, stale flags) and the pcap source end to end on pcaps written with libpcap:
// link types, bad frames counted, truncated blocks, span sizes, the instrument table, and a
// seeded loop of random and mutated packets whose counters must add up.
#include <gtest/gtest.h>

#include <random>

#include "hft/feed/moldudp64.hpp"
#include "hft/feed/pcap_source.hpp"
#include "wire_util.hpp"

namespace hft::feed {
namespace {
using namespace wire_test;


TEST(MoldHeader, Parse) {
  const Bytes p = mold("000010059B", 14764496, {itch_system(5, 'O')});
  MoldHeader h;
  ASSERT_TRUE(parse_mold_header(p, h));
  EXPECT_EQ(std::string(h.session.begin(), h.session.end()), "000010059B");
  EXPECT_EQ(h.sequence, 14764496u);
  EXPECT_EQ(h.count, 1);
  EXPECT_FALSE(parse_mold_header(std::span<const std::uint8_t>(p.data(), 19), h));
  MoldBlockCursor c(p);
  const std::uint8_t* m = nullptr;
  std::size_t len = 0;
  ASSERT_EQ(c.next(m, len), MoldBlockCursor::Step::Message);
  EXPECT_EQ(len, 12u);
  EXPECT_EQ(m[0], 'S');
  EXPECT_EQ(c.next(m, len), MoldBlockCursor::Step::End);
  // Block length running past the end; a lone length byte.
  Bytes cut(p.begin(), p.end() - 1);
  MoldBlockCursor c2(cut);
  EXPECT_EQ(c2.next(m, len), MoldBlockCursor::Step::Overrun);
  Bytes one(p.begin(), p.begin() + 21);
  MoldBlockCursor c3(one);
  EXPECT_EQ(c3.next(m, len), MoldBlockCursor::Step::Overrun);
}

TEST(MoldTracker, SequenceRules) {
  MoldTracker t;
  MoldDecision d = t.on_packet(hdr("S1", 1, 3));  // 1..3
  EXPECT_TRUE(d.deliver);
  EXPECT_EQ(d.skip, 0);
  EXPECT_EQ(d.count, 3);
  EXPECT_FALSE(t.stale(7));
  d = t.on_packet(hdr("S1", 4, 2));  // 4..5
  EXPECT_TRUE(d.deliver);
  d = t.on_packet(hdr("S1", 1, 3));  // duplicate
  EXPECT_FALSE(d.deliver);
  d = t.on_packet(hdr("S1", 5, 3));  // 5..7: 5 seen, 6 and 7 new
  EXPECT_TRUE(d.deliver);
  EXPECT_EQ(d.skip, 1);
  EXPECT_EQ(d.count, 2);
  EXPECT_EQ(t.expected(), 8u);
  d = t.on_packet(hdr("S1", 10, 1));  // 8, 9 missing
  EXPECT_TRUE(d.deliver);
  EXPECT_TRUE(t.stale(7));
  EXPECT_TRUE(t.stale(65535));
  d = t.on_packet(hdr("S1", 11, 0));  // heartbeat at the expected sequence
  EXPECT_FALSE(d.deliver);
  d = t.on_packet(hdr("S1", 13, 0));  // heartbeat reveals 11, 12 missing
  EXPECT_FALSE(d.deliver);
  d = t.on_packet(hdr("S1", 13, 0xFFFF));  // end of session
  EXPECT_FALSE(d.deliver);
  t.mark_fresh(7);
  EXPECT_FALSE(t.stale(7));
  EXPECT_TRUE(t.stale(8));
  d = t.on_packet(hdr("S2", 1, 1));  // new session from its start: all fresh
  EXPECT_TRUE(d.deliver);
  EXPECT_FALSE(t.stale(8));
  const MoldCounters& c = t.counters();
  EXPECT_EQ(c.packets, 9u);
  EXPECT_EQ(c.gaps, 2u);
  EXPECT_EQ(c.gap_msgs, 4u);
  EXPECT_EQ(c.dup_packets, 1u);
  EXPECT_EQ(c.dup_msgs, 4u);  // 3 + 1 overlapping
  EXPECT_EQ(c.overlaps, 1u);
  EXPECT_EQ(c.heartbeats, 2u);
  EXPECT_EQ(c.end_of_session, 1u);
  EXPECT_EQ(c.session_changes, 1u);
}

TEST(MoldTracker, HugeSequenceDoesNotWrap) {
  MoldTracker t;
  MoldDecision d = t.on_packet(hdr("S", ~0ULL - 1, 5));
  EXPECT_TRUE(d.deliver);
  d = t.on_packet(hdr("S", ~0ULL - 1, 5));
  EXPECT_FALSE(d.deliver);
}

// ---- the source end to end ----

struct Drain {
  std::vector<MarketEvent> ev;
  SourceStats st;
  std::vector<Instrument> ins;
};
Drain run(const std::string& path, std::size_t span = kMaxBatch, FeedOptions o = {}) {
  auto src = open_pcap_source(path, o);
  Drain r;
  std::vector<MarketEvent> buf(span);
  while (std::size_t n = src->next(buf)) r.ev.insert(r.ev.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  EXPECT_EQ(src->next(buf), 0u);  // stays at end
  r.st = src->stats();
  r.ins = src->instruments();
  return r;
}
std::uint64_t get(const std::map<std::string, std::uint64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

Bytes add(std::uint64_t ref, std::uint16_t locate = 7) { return itch_add(locate, 1000 + ref, ref, 'B', 100, 1234500); }

TEST(PcapSource, SameEventsOverEveryLinkType) {
  const Bytes pkt = mold("S1", 1, {add(1), add(2), itch_delete(7, 3000, 1)});
  const Bytes ip = ipv4_udp(pkt);
  const std::pair<int, Bytes> kinds[] = {{1, ethernet(ip)},
                                         {1, ethernet(ip, {0x8100})},
                                         {1, ethernet(ip, {0x88a8, 0x8100})},
                                         {113, sll(ip)},
                                         {276, sll2(ip)},
                                         {12, ip}};  // DLT_RAW (written to the file as LINKTYPE_RAW 101)
  int i = 0;
  for (const auto& [dlt, frame] : kinds) {
    const std::string path = tmp_path("link" + std::to_string(i++) + ".pcap");
    write_pcap(path, dlt, {{frame, 5'000'000'000, 0}});
    Drain r = run(path);
    ASSERT_EQ(r.ev.size(), 3u) << dlt;
    EXPECT_EQ(r.ev[0].kind, EventKind::Add);
    EXPECT_EQ(r.ev[0].order_id, 1u);
    EXPECT_EQ(r.ev[0].price, 1234500);
    EXPECT_EQ(r.ev[0].ts_exch, 1001);
    EXPECT_EQ(r.ev[0].ts_recv, 5'000'000'000);
    EXPECT_EQ(r.ev[2].kind, EventKind::Delete);
    EXPECT_EQ(r.ev[2].flags, evflag::kLast);
    EXPECT_TRUE(r.st.errors.empty());
  }
}

TEST(PcapSource, BadFramesCountedPerReason) {
  const Bytes pkt = mold("S1", 1, {add(1)});
  IpOpts frag;
  frag.frag = 0x2001;
  IpOpts tcp;
  tcp.proto = 6;
  const Bytes good = ethernet(ipv4_udp(pkt), {0x8100});
  std::vector<Frame> frames = {{ethernet(ipv4_udp(pkt, frag)), 1, 0},
                               {ethernet(ipv4_udp(pkt, tcp)), 2, 0},
                               {ethernet(ipv4_udp(pkt), {}, 0x86dd), 3, 0},
                               {good, 4, 30},
                               {good, 5, 0}};
  const std::string path = tmp_path("badframes.pcap");
  write_pcap(path, 1, frames);
  Drain r = run(path);
  EXPECT_EQ(r.ev.size(), 1u);
  EXPECT_EQ(get(r.st.errors, "pcap.ip_fragment"), 1u);
  EXPECT_EQ(get(r.st.errors, "pcap.non_udp"), 1u);
  EXPECT_EQ(get(r.st.errors, "pcap.non_ipv4"), 1u);
  EXPECT_EQ(get(r.st.errors, "pcap.truncated"), 1u);
  EXPECT_EQ(get(r.st.counts, "pcap.frames"), 5u);
}

TEST(PcapSource, SequenceGapsDuplicatesOverlapsAndStale) {
  std::vector<Frame> f;
  auto push = [&](const Bytes& p) { f.push_back({ethernet(ipv4_udp(p), {0x8100}), static_cast<std::int64_t>(f.size()), 0}); };
  push(mold("S1", 1, {add(1), add(2), add(3)}));          // 1..3
  push(mold("S1", 1, {add(1), add(2), add(3)}));          // duplicate: dropped
  push(mold("S1", 3, {add(3), add(4), add(5)}));          // 3 dup, 4..5 new
  push(mold("S1", 6, {}));                                // heartbeat
  push(mold("S1", 8, {add(8, 9)}));                       // 6, 7 missing: stale from here
  push(mold("S1", 9, {add(9, 10), add(10, 11)}));
  push(mold("S1", 11, {}, 0xFFFF));                       // end of session
  push(mold("S2", 1, {add(100)}));                        // new session from 1: fresh again
  const std::string path = tmp_path("seq.pcap");
  write_pcap(path, 1, f);
  Drain r = run(path);
  std::vector<std::uint64_t> ids;
  for (const auto& e : r.ev) ids.push_back(e.order_id);
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 8, 9, 10, 100}));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(r.ev[i].flags & evflag::kStale) << i;
  for (int i = 5; i < 8; ++i) EXPECT_TRUE(r.ev[i].flags & evflag::kStale) << i;
  EXPECT_FALSE(r.ev[8].flags & evflag::kStale);
  // kLast: ends of packets 1..3, 4..5, 8, 9..10, 100.
  std::vector<int> last;
  for (std::size_t i = 0; i < r.ev.size(); ++i)
    if (r.ev[i].flags & evflag::kLast) last.push_back(static_cast<int>(i));
  EXPECT_EQ(last, (std::vector<int>{2, 4, 5, 7, 8}));
  EXPECT_EQ(get(r.st.errors, "mold.gaps"), 1u);
  EXPECT_EQ(get(r.st.errors, "mold.gap_msgs"), 2u);
  EXPECT_EQ(get(r.st.errors, "mold.dup_packets"), 1u);
  EXPECT_EQ(get(r.st.errors, "mold.dup_msgs"), 4u);
  EXPECT_EQ(get(r.st.counts, "mold.overlaps"), 1u);
  EXPECT_EQ(get(r.st.counts, "mold.heartbeats"), 1u);
  EXPECT_EQ(get(r.st.counts, "mold.end_of_session"), 1u);
  EXPECT_EQ(get(r.st.counts, "mold.session_changes"), 1u);
  EXPECT_EQ(get(r.st.counts, "itch.A"), 9u);
  EXPECT_EQ(r.st.events, 9u);
}

TEST(PcapSource, TruncatedBlocksDeliverIntactMessages) {
  Bytes p = mold("S1", 1, {add(1), add(2), add(3)});
  p.resize(p.size() - 5);  // the third message is cut short
  Bytes q = mold("S1", 4, {add(4)}, 3);  // declares 3, carries 1
  Bytes tail = mold("S1", 7, {add(7)});
  tail.push_back(0xAB);  // a stray byte after the declared message
  std::vector<Frame> f = {{ethernet(ipv4_udp(p)), 1, 0}, {ethernet(ipv4_udp(q)), 2, 0}, {ethernet(ipv4_udp(tail)), 3, 0}};
  const std::string path = tmp_path("trunc.pcap");
  write_pcap(path, 1, f);
  Drain r = run(path);
  ASSERT_EQ(r.ev.size(), 4u);
  EXPECT_EQ(r.ev[0].order_id, 1u);
  EXPECT_EQ(r.ev[1].order_id, 2u);
  EXPECT_TRUE(r.ev[1].flags & evflag::kLast);
  EXPECT_TRUE(r.ev[2].flags & evflag::kStale);  // messages were lost before it
  EXPECT_EQ(get(r.st.errors, "mold.truncated_packets"), 2u);
  EXPECT_EQ(get(r.st.errors, "mold.truncated_msgs"), 3u);
  EXPECT_EQ(get(r.st.errors, "mold.trailing_bytes"), 1u);
  EXPECT_EQ(get(r.st.errors, "mold.gap_msgs"), 0u);
}

TEST(PcapSource, ItchErrorsCountedAndDecodingGoesOn) {
  Bytes wrong_len = add(2);
  wrong_len.push_back(0);
  Bytes short_add = add(3);
  short_add.resize(20);
  Bytes unknown = add(4);
  unknown[0] = 'z';
  const Bytes p = mold("S1", 1, {add(1), wrong_len, short_add, unknown, Bytes{}, add(5)});
  const std::string path = tmp_path("itcherr.pcap");
  write_pcap(path, 1, {{ethernet(ipv4_udp(p)), 1, 0}});
  Drain r = run(path);
  ASSERT_EQ(r.ev.size(), 2u);
  EXPECT_EQ(r.ev[1].order_id, 5u);
  EXPECT_TRUE(r.ev[1].flags & evflag::kLast);
  EXPECT_EQ(get(r.st.errors, "itch.bad_length"), 1u);
  EXPECT_EQ(get(r.st.errors, "itch.truncated"), 2u);  // short and empty
  EXPECT_EQ(get(r.st.errors, "itch.unknown_type"), 1u);
  EXPECT_EQ(get(r.st.counts, "itch.messages"), 6u);
}

TEST(PcapSource, DirectoryFillsInstrumentTable) {
  const Bytes p = mold("S1", 1, {itch_system(1, 'O'), itch_directory(258, "AAPL", 100, 'Q', 'N', 'C', 'P', 'N'),
                                 itch_directory(300, "SPY", 1, 'P', ' ', 'E', 'P', 'Y'), add(1, 258)});
  const std::string path = tmp_path("dir.pcap");
  write_pcap(path, 1, {{ethernet(ipv4_udp(p)), 1, 0}});
  Drain r = run(path);
  ASSERT_EQ(r.ev.size(), 4u);
  EXPECT_EQ(r.ev[0].kind, EventKind::System);
  EXPECT_EQ(r.ev[0].aux, 'O');
  EXPECT_EQ(r.ev[1].kind, EventKind::Directory);
  EXPECT_EQ(r.ev[1].qty, 100u);
  ASSERT_EQ(r.ins.size(), 2u);
  EXPECT_EQ(r.ins[0].id, 258u);
  EXPECT_EQ(r.ins[0].symbol, "AAPL");
  EXPECT_EQ(r.ins[0].round_lot, 100u);
  EXPECT_EQ(r.ins[0].market_category, 'Q');
  EXPECT_EQ(r.ins[0].financial_status, 'N');
  EXPECT_EQ(r.ins[0].classification, 'C');
  EXPECT_EQ(r.ins[0].authenticity, 'P');
  EXPECT_FALSE(r.ins[0].etp);
  EXPECT_EQ(r.ins[1].symbol, "SPY");
  EXPECT_EQ(r.ins[1].round_lot, 1u);
  EXPECT_TRUE(r.ins[1].etp);
}

TEST(PcapSource, SpanSmallerThanPacket) {
  std::vector<Bytes> msgs;
  for (std::uint64_t i = 1; i <= 300; ++i) msgs.push_back(add(i));
  std::vector<Frame> f = {{ethernet(ipv4_udp(mold("S1", 1, msgs))), 1, 0},
                          {ethernet(ipv4_udp(mold("S1", 301, {add(301)}))), 2, 0}};
  const std::string path = tmp_path("span.pcap");
  write_pcap(path, 1, f);
  for (std::size_t span : {1u, 3u, 64u, 299u, 300u, 1024u}) {
    Drain r = run(path, span);
    ASSERT_EQ(r.ev.size(), 301u) << span;
    for (std::size_t i = 0; i < 301; ++i) {
      EXPECT_EQ(r.ev[i].order_id, i + 1) << span;
      EXPECT_EQ((r.ev[i].flags & evflag::kLast) != 0, i == 299 || i == 300) << span << " " << i;
    }
  }
}

// Thousands of random and mutated packets (seeded): no crash, and every counter adds up.
TEST(PcapSource, RandomAndMutatedPacketsCountersAddUp) {
  std::mt19937_64 rng(20260425);
  std::vector<Frame> frames;
  std::uint64_t seq = 1;
  for (int i = 0; i < 5000; ++i) {
    std::vector<Bytes> msgs;
    const int n = static_cast<int>(rng() % 8);
    for (int k = 0; k < n; ++k) msgs.push_back(add(rng() % 1000, static_cast<std::uint16_t>(rng())));
    Bytes p = mold("RAND", seq, msgs);
    seq += static_cast<std::uint64_t>(n);
    switch (rng() % 6) {
      case 0: break;  // intact
      case 1:         // flip random bytes anywhere (header, lengths, messages)
        for (int k = 0; k < 4; ++k) p[rng() % p.size()] = static_cast<std::uint8_t>(rng());
        break;
      case 2: p.resize(rng() % (p.size() + 1)); break;  // cut short
      case 3:  // random bytes entirely
        p.assign(rng() % 200, 0);
        for (auto& b : p) b = static_cast<std::uint8_t>(rng());
        break;
      case 4: seq -= rng() % 4; break;  // next packet overlaps or repeats
      case 5: seq += rng() % 4; break;  // next packet leaves a gap
    }
    Bytes frame = ethernet(ipv4_udp(p), {0x8100});
    if (rng() % 10 == 0) frame[rng() % frame.size()] ^= 0xFF;  // damage the frame headers too
    frames.push_back({frame, i, 0});
  }
  const std::string path = tmp_path("random.pcap");
  write_pcap(path, 1, frames);
  Drain r = run(path, 17);
  const auto& c = r.st.counts;
  const auto& e = r.st.errors;
  std::uint64_t by_type = 0;
  for (const auto& [k, v] : c)
    if (k.size() == 6 && k.rfind("itch.", 0) == 0) by_type += v;
  // Decoder: messages in = decoded + each error.
  EXPECT_EQ(get(c, "itch.messages"), by_type + get(e, "itch.truncated") + get(e, "itch.unknown_type") +
                                         get(e, "itch.bad_length"));
  // Mold hands every delivered block to the decoder.
  EXPECT_EQ(get(c, "mold.messages"), get(c, "itch.messages"));
  // Pcap: every frame is a datagram or skipped for one reason.
  std::uint64_t skipped = get(c, "pcap.filtered_out");
  for (const auto& [k, v] : e)
    if (k.rfind("pcap.", 0) == 0) skipped += v;
  EXPECT_EQ(get(c, "pcap.frames"), 5000u);
  EXPECT_EQ(get(c, "pcap.datagrams") + skipped, 5000u);
  // Every datagram is a mold packet or a short packet.
  EXPECT_EQ(get(c, "pcap.datagrams"), get(c, "mold.packets") + get(e, "mold.short_packets"));
  EXPECT_EQ(r.st.events, r.ev.size());
  EXPECT_GT(r.ev.size(), 1000u);
  EXPECT_GT(get(e, "mold.gap_msgs"), 0u);
  EXPECT_GT(get(e, "mold.dup_msgs"), 0u);
  EXPECT_GT(get(e, "mold.truncated_msgs"), 0u);
}

}  // namespace
}  // namespace hft::feed
