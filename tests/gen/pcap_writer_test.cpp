// pcap writer and MoldUDP64 packetizer: file structure read back by an independent parser
// (gen_test_util.hpp), IPv4 checksums verified by a separate one's-complement sum, and the
// MoldUDP64 rules (contiguous sequences, explicit flushes, payload limit, heartbeat, end).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "gen_test_util.hpp"
#include "hft/feed/pcap_writer.hpp"

using gen_test::be;
using gen_test::Bytes;
namespace feed = hft::feed;

namespace {

using gen_test::tmp;

struct MoldView {
  std::string session;
  std::uint64_t seq;
  std::uint16_t count;
  std::vector<Bytes> msgs;
};

MoldView mold(const gen_test::Packet& k) {
  MoldView m;
  EXPECT_GE(k.payload_len, 20u);
  m.session.assign(reinterpret_cast<const char*>(k.payload), 10);
  m.seq = be(k.payload + 10, 8);
  m.count = static_cast<std::uint16_t>(be(k.payload + 18, 2));
  std::size_t off = 20;
  if (m.count != 0xFFFF) {
    for (unsigned i = 0; i < m.count; ++i) {
      EXPECT_LE(off + 2, k.payload_len);
      const auto len = static_cast<std::size_t>(be(k.payload + off, 2));
      EXPECT_LE(off + 2 + len, k.payload_len);
      m.msgs.emplace_back(k.payload + off + 2, k.payload + off + 2 + len);
      off += 2 + len;
    }
  }
  EXPECT_EQ(off, k.payload_len) << "bytes after the last message";
  return m;
}

Bytes msg_of(std::size_t len, std::uint8_t fill) { return Bytes(len, fill); }

}  // namespace

TEST(PcapWriter, ParsesEndpoints) {
  std::uint32_t ip = 0;
  std::uint16_t port = 0;
  EXPECT_TRUE(feed::parse_endpoint("239.1.2.3:26477", ip, port));
  EXPECT_EQ(ip, 0xEF010203u);
  EXPECT_EQ(port, 26477);
  EXPECT_FALSE(feed::parse_endpoint("239.1.2:26477", ip, port));
  EXPECT_FALSE(feed::parse_endpoint("239.1.2.256:1", ip, port));
  EXPECT_FALSE(feed::parse_endpoint("239.1.2.3:70000", ip, port));
  EXPECT_FALSE(feed::parse_endpoint("239.1.2.3", ip, port));
  EXPECT_FALSE(feed::parse_endpoint("239.1.2.3:", ip, port));
  EXPECT_FALSE(feed::parse_endpoint("a.b.c.d:1", ip, port));
}

TEST(PcapWriter, ChecksumOfTheRfc1071Example) {
  // The well-known example header 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
  const Bytes h = gen_test::hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
  EXPECT_EQ(feed::ipv4_checksum(h.data(), h.size()), 0xb861);
}

TEST(PcapWriter, FileStructure) {
  const std::string path = tmp("writer_structure.pcap");
  feed::PcapWriterConfig cfg;
  cfg.path = path;
  ASSERT_TRUE(feed::parse_endpoint("239.5.6.7:30001", cfg.dst_ip, cfg.dst_port));
  cfg.buffer_bytes = 1;  // forces the minimum buffer, so drains happen mid-file
  {
    feed::PcapWriter w(cfg);
    Bytes big(60000, 0xAB);
    for (int i = 0; i < 5; ++i) {
      const Bytes pay = msg_of(static_cast<std::size_t>(10 + i), static_cast<std::uint8_t>(i));
      w.write_udp(1'735'829'400'123'456'789LL + i, pay.data(), pay.size());
      w.write_udp(1'735'829'400'500'000'000LL + i, big.data(), big.size());
    }
    Bytes huge(70000, 1);
    w.write_udp(1, huge.data(), huge.size());  // cannot be one UDP datagram
    EXPECT_EQ(w.oversize(), 1u);
    EXPECT_EQ(w.packets(), 10u);
    w.close();
    EXPECT_EQ(w.bytes(), std::filesystem::file_size(path));
  }
  const Bytes file = hft::testing::read_bytes(path);
  const auto pc = gen_test::parse_pcap(file);
  ASSERT_TRUE(pc.error.empty()) << pc.error;
  EXPECT_EQ(pc.magic, 0xa1b23c4du);  // nanosecond pcap
  EXPECT_EQ(pc.vmaj, 2);
  EXPECT_EQ(pc.vmin, 4);
  EXPECT_EQ(pc.linktype, 1u);  // Ethernet
  ASSERT_EQ(pc.packets.size(), 10u);
  for (std::size_t i = 0; i < pc.packets.size(); ++i) {
    const auto& k = pc.packets[i];
    const std::size_t want_pay = i % 2 ? 60000 : 10 + i / 2;
    EXPECT_EQ(k.payload_len, want_pay);
    EXPECT_EQ(k.caplen, 14 + 20 + 8 + want_pay);
    EXPECT_EQ(k.origlen, k.caplen);
    EXPECT_EQ(k.ts_ns, (i % 2 ? 1'735'829'400'500'000'000LL : 1'735'829'400'123'456'789LL) +
                           static_cast<std::int64_t>(i / 2));
    // IPv4: version 4, IHL 5, total length, protocol UDP, and a checksum that makes the
    // header's one's-complement sum 0xFFFF.
    EXPECT_EQ(k.ip[0], 0x45);
    EXPECT_EQ(be(k.ip + 2, 2), 20 + 8 + want_pay);
    EXPECT_EQ(k.ip[9], 17);
    EXPECT_EQ(gen_test::ones_complement_sum(k.ip, 20), 0xFFFF) << "packet " << i;
    EXPECT_EQ(k.dst_ip, 0xEF050607u);
    EXPECT_EQ(k.dst_port, 30001);
    EXPECT_EQ(k.udp_len, 8 + want_pay);
    // Ethernet destination: the multicast MAC 01:00:5e + low 23 bits of 239.5.6.7.
    const std::uint8_t* eth = k.ip - 14;
    EXPECT_EQ(Bytes(eth, eth + 6), gen_test::hex("01005e050607"));
    EXPECT_EQ(be(eth + 12, 2), 0x0800u);
    for (std::size_t j = 0; j < k.payload_len; ++j) {
      if (k.payload[j] != (i % 2 ? 0xAB : i / 2)) {
        ADD_FAILURE() << "payload byte " << j << " of packet " << i;
        break;
      }
    }
  }
}

TEST(PcapWriter, UnwritablePathThrows) {
  feed::PcapWriterConfig cfg;
  cfg.path = "/nonexistent-dir/x.pcap";
  EXPECT_THROW(feed::PcapWriter w(cfg), std::runtime_error);
}

TEST(MoldPacketizer, SequencesFlushesLimitsAndControlPackets) {
  const std::string path = tmp("mold.pcap");
  feed::PcapWriterConfig cfg;
  cfg.path = path;
  std::uint64_t expect_next = 0;
  {
    feed::PcapWriter w(cfg);
    feed::MoldPacketizer m(w, "SESS1", 1000, 200);  // payload limit 200 bytes
    // Group 1: three small messages, explicit flush -> exactly one packet.
    for (int i = 0; i < 3; ++i) {
      const Bytes b = msg_of(19, static_cast<std::uint8_t>('a' + i));
      ASSERT_TRUE(m.append(b.data(), b.size(), 100 + i));
    }
    EXPECT_EQ(m.pending_messages(), 3u);
    m.flush();
    m.flush();  // nothing pending: no empty packet
    // Group 2: 12 messages of 36 bytes: 20 + k*38 <= 200 -> at most 4 per packet.
    for (int i = 0; i < 12; ++i) {
      std::uint8_t* p = m.begin_message(36, 200 + i);
      ASSERT_NE(p, nullptr);
      std::memset(p, 'A' + i, 36);
    }
    m.flush();
    // An oversize message is refused and counted; nothing is sent for it.
    const Bytes huge = msg_of(200 - 20 - 2 + 1, 'Z');
    EXPECT_FALSE(m.append(huge.data(), huge.size(), 300));
    // The largest message that fits alone.
    const Bytes fit = msg_of(200 - 20 - 2, 'Y');
    EXPECT_TRUE(m.append(fit.data(), fit.size(), 301));
    m.heartbeat(400);  // flushes the pending one first
    m.end_session(500);
    expect_next = m.next_seq();
    EXPECT_EQ(m.stats().oversize_dropped, 1u);
    EXPECT_EQ(m.stats().messages, 16u);
    EXPECT_EQ(m.stats().heartbeats, 1u);
    EXPECT_EQ(m.stats().end_of_session, 1u);
    w.close();
  }
  EXPECT_EQ(expect_next, 1016u);
  const Bytes file = hft::testing::read_bytes(path);
  const auto pc = gen_test::parse_pcap(file);
  ASSERT_TRUE(pc.error.empty()) << pc.error;
  std::vector<MoldView> v;
  for (const auto& k : pc.packets) v.push_back(mold(k));
  // 1 (group 1) + 3 (group 2, 4 each) + 1 (the fitting one) + heartbeat + end.
  ASSERT_EQ(v.size(), 7u);
  for (const auto& x : v) EXPECT_EQ(x.session, "SESS1     ");
  EXPECT_EQ(v[0].count, 3);
  EXPECT_EQ(v[0].seq, 1000u);
  EXPECT_EQ(v[0].msgs[2], msg_of(19, 'c'));
  std::uint64_t seq = 1003;
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(v[static_cast<std::size_t>(i)].seq, seq);
    EXPECT_EQ(v[static_cast<std::size_t>(i)].count, 4);
    seq += 4;
  }
  EXPECT_EQ(v[2].msgs[0], msg_of(36, 'A' + 4));
  for (std::size_t i = 0; i < pc.packets.size(); ++i) EXPECT_LE(pc.packets[i].payload_len, 200u);
  // Packet time = time given with its last message.
  EXPECT_EQ(pc.packets[0].ts_ns, 102);
  EXPECT_EQ(pc.packets[1].ts_ns, 203);
  EXPECT_EQ(pc.packets[3].ts_ns, 211);
  EXPECT_EQ(v[4].seq, 1015u);
  EXPECT_EQ(v[4].count, 1);
  EXPECT_EQ(pc.packets[4].payload_len, 200u);
  EXPECT_EQ(v[5].count, 0);  // heartbeat: next expected sequence
  EXPECT_EQ(v[5].seq, 1016u);
  EXPECT_EQ(pc.packets[5].ts_ns, 400);
  EXPECT_EQ(v[6].count, 0xFFFF);  // end of session
  EXPECT_EQ(v[6].seq, 1016u);
  EXPECT_EQ(pc.packets[6].ts_ns, 500);
}

TEST(MoldPacketizer, RejectsImpossibleLimit) {
  feed::PcapWriterConfig cfg;
  cfg.path = tmp("mold_bad.pcap");
  feed::PcapWriter w(cfg);
  EXPECT_THROW(feed::MoldPacketizer(w, "S", 1, 10), std::invalid_argument);
  EXPECT_THROW(feed::MoldPacketizer(w, "S", 1, 70000), std::invalid_argument);
}
