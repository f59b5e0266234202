// Frame parsing on frames built in memory byte by byte (Ethernet/VLAN/QinQ/SLL/SLL2/raw, IPv4
// options, fragments, non-UDP, truncation at every length) and the file reader on pcaps written
// with libpcap (micro- and nanosecond stamps); the mapped reader against libpcap on files
// written byte by byte (both stamp units, both byte orders, damaged records).
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <vector>

#include "hft/feed/pcap_reader.hpp"
#include "wire_util.hpp"

namespace hft::feed {
namespace {
using namespace wire_test;

const Bytes kPayload = {'h', 'e', 'l', 'l', 'o', ' ', 'm', 'o', 'l', 'd'};

FrameStatus parse(int dlt, const Bytes& f, UdpDatagram& out, UdpFilter filt = {}) {
  return parse_frame(dlt, f.data(), f.size(), filt, out);
}

void expect_payload(const UdpDatagram& d) {
  ASSERT_EQ(d.payload.size(), kPayload.size());
  EXPECT_TRUE(std::equal(kPayload.begin(), kPayload.end(), d.payload.begin()));
  EXPECT_EQ(d.dst_addr, 0xe9360c6fu);
  EXPECT_EQ(d.dst_port, 26477);
  EXPECT_EQ(d.src_port, 40000);
}

TEST(Frame, EthernetWithZeroOneTwoVlans) {
  const Bytes ip = ipv4_udp(kPayload);
  for (const auto& tags : std::vector<std::vector<std::uint16_t>>{{}, {0x8100}, {0x88a8, 0x8100}, {0x9100, 0x8100}}) {
    UdpDatagram d;
    const Bytes f = ethernet(ip, tags);  // the payload span points into f
    ASSERT_EQ(parse(1, f, d), FrameStatus::Ok) << tags.size();
    expect_payload(d);
  }
  UdpDatagram d;
  EXPECT_EQ(parse(1, ethernet(ip, {0x8100, 0x8100, 0x8100}), d), FrameStatus::TooManyVlans);
}

TEST(Frame, EthernetPaddingIsTrimmed) {
  // A short UDP datagram padded to the 60-byte Ethernet minimum: the payload ends where UDP says.
  UdpDatagram d;
  const Bytes f = ethernet(ipv4_udp(kPayload), {}, 0x0800, 60);
  ASSERT_EQ(f.size(), 60u);
  ASSERT_EQ(parse(1, f, d), FrameStatus::Ok);
  expect_payload(d);
}

TEST(Frame, LinuxCookedAndRaw) {
  const Bytes ip = ipv4_udp(kPayload);
  UdpDatagram d;
  const Bytes f1 = sll(ip), f2 = sll2(ip);
  ASSERT_EQ(parse(113, f1, d), FrameStatus::Ok);
  expect_payload(d);
  ASSERT_EQ(parse(276, f2, d), FrameStatus::Ok);
  expect_payload(d);
  ASSERT_EQ(parse(12, ip, d), FrameStatus::Ok);
  expect_payload(d);
  ASSERT_EQ(parse(228, ip, d), FrameStatus::Ok);
  expect_payload(d);
  EXPECT_EQ(parse(113, sll(ip, 0x86dd), d), FrameStatus::NonIpv4);
  EXPECT_EQ(parse(276, sll2(ip, 0x0806), d), FrameStatus::NonIpv4);
}

TEST(Frame, IpOptions) {
  IpOpts o;
  o.options = 8;  // IHL 7
  UdpDatagram d;
  const Bytes f = ethernet(ipv4_udp(kPayload, o), {0x8100});
  ASSERT_EQ(parse(1, f, d), FrameStatus::Ok);
  expect_payload(d);
}

TEST(Frame, RejectsWithReason) {
  UdpDatagram d;
  IpOpts frag_mf;
  frag_mf.frag = 0x2000;  // more fragments
  EXPECT_EQ(parse(1, ethernet(ipv4_udp(kPayload, frag_mf)), d), FrameStatus::IpFragment);
  IpOpts frag_off;
  frag_off.frag = 0x0010;  // offset 16*8
  EXPECT_EQ(parse(1, ethernet(ipv4_udp(kPayload, frag_off)), d), FrameStatus::IpFragment);
  IpOpts tcp;
  tcp.proto = 6;
  EXPECT_EQ(parse(1, ethernet(ipv4_udp(kPayload, tcp)), d), FrameStatus::NonUdp);
  EXPECT_EQ(parse(1, ethernet(ipv4_udp(kPayload), {}, 0x0806), d), FrameStatus::NonIpv4);  // ARP
  EXPECT_EQ(parse(1, ethernet(ipv4_udp(kPayload), {0x8100}, 0x86dd), d), FrameStatus::NonIpv4);
  Bytes bad_version = ipv4_udp(kPayload);
  bad_version[0] = 0x65;
  EXPECT_EQ(parse(1, ethernet(bad_version), d), FrameStatus::BadIpHeader);
  Bytes bad_ihl = ipv4_udp(kPayload);
  bad_ihl[0] = 0x44;
  EXPECT_EQ(parse(1, ethernet(bad_ihl), d), FrameStatus::BadIpHeader);
  Bytes bad_udp = ipv4_udp(kPayload);
  bad_udp[20 + 4] = 0xff;  // UDP length far beyond the IP payload
  EXPECT_EQ(parse(1, ethernet(bad_udp), d), FrameStatus::BadUdpLength);
  Bytes tiny_udp = ipv4_udp(kPayload);
  tiny_udp[20 + 4] = 0;
  tiny_udp[20 + 5] = 7;
  EXPECT_EQ(parse(1, ethernet(tiny_udp), d), FrameStatus::BadUdpLength);
}

TEST(Frame, Filter) {
  UdpDatagram d;
  const Bytes f = ethernet(ipv4_udp(kPayload), {0x8100});
  EXPECT_EQ(parse(1, f, d, UdpFilter{0xe9360c6f, 26477}), FrameStatus::Ok);
  EXPECT_EQ(parse(1, f, d, UdpFilter{0xe9360c6f, 0}), FrameStatus::Ok);
  EXPECT_EQ(parse(1, f, d, UdpFilter{0, 26477}), FrameStatus::Ok);
  EXPECT_EQ(parse(1, f, d, UdpFilter{0xe9360c70, 0}), FrameStatus::FilteredOut);
  EXPECT_EQ(parse(1, f, d, UdpFilter{0, 26478}), FrameStatus::FilteredOut);
  FeedOptions o;
  o.dst_addr = "233.54.12.111";
  o.dst_port = 26477;
  const UdpFilter uf = make_filter(o);
  EXPECT_EQ(uf.dst_addr, 0xe9360c6fu);
  EXPECT_EQ(uf.dst_port, 26477);
  o.dst_addr = "not-an-ip";
  EXPECT_THROW(make_filter(o), std::invalid_argument);
}

// Every prefix of a valid frame is a truncated frame, for every link type (and the exact-size
// heap copy lets ASan catch any read past the captured bytes).
TEST(Frame, TruncatedAtEveryLength) {
  const Bytes ip = ipv4_udp(kPayload);
  const std::pair<int, Bytes> frames[] = {{1, ethernet(ip)},
                                          {1, ethernet(ip, {0x8100})},
                                          {1, ethernet(ip, {0x88a8, 0x8100})},
                                          {113, sll(ip)},
                                          {276, sll2(ip)},
                                          {12, ip}};
  for (const auto& [dlt, f] : frames) {
    for (std::size_t n = 0; n < f.size(); ++n) {
      Bytes cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
      UdpDatagram d;
      EXPECT_EQ(parse_frame(dlt, cut.data(), cut.size(), {}, d), FrameStatus::Truncated) << dlt << " " << n;
    }
  }
}

TEST(PcapReader, MicroAndNanoStamps) {
  const Bytes f = ethernet(ipv4_udp(kPayload), {0x8100});
  for (bool nano : {true, false}) {
    const std::string path = tmp_path(nano ? "ns.pcap" : "us.pcap");
    write_pcap(path, 1, {{f, 1'700'000'000'123'456'789, 0}}, nano);
    PcapReader r(path, FeedOptions{});
    UdpDatagram d;
    ASSERT_TRUE(r.next(d));
    EXPECT_EQ(d.ts, nano ? 1'700'000'000'123'456'789 : 1'700'000'000'123'456'000);
    expect_payload(d);
    EXPECT_FALSE(r.next(d));
    EXPECT_EQ(r.counters().frames, 1u);
  }
}

// pcapng written by hand (libpcap reads but cannot write it): Section Header Block, Interface
// Description Block (link type 1, if_tsresol = tsresol), Enhanced Packet Blocks with the given
// 64-bit stamps (in the interface's unit).
std::string write_pcapng(const std::string& name, const Bytes& frame, const std::vector<std::uint64_t>& stamps,
                         std::uint8_t tsresol = 9) {
  Bytes f;
  auto le32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) f.push_back(static_cast<std::uint8_t>(v >> (8 * i))); };
  auto le16 = [&](std::uint16_t v) { f.push_back(static_cast<std::uint8_t>(v)); f.push_back(static_cast<std::uint8_t>(v >> 8)); };
  // SHB: type, length 28, byte-order magic, version 1.0, section length -1, length.
  le32(0x0A0D0D0A); le32(28); le32(0x1A2B3C4D); le16(1); le16(0); le32(0xFFFFFFFF); le32(0xFFFFFFFF); le32(28);
  // IDB: type 1, length 20 + 8 (if_tsresol option, padded) + 4 (end of options) = 32.
  le32(1); le32(32); le16(1); le16(0); le32(65535);
  le16(9); le16(1); f.push_back(tsresol); f.push_back(0); f.push_back(0); f.push_back(0);
  le16(0); le16(0);
  le32(32);
  for (const std::uint64_t ts : stamps) {
    // EPB: type 6, length 32 + padded data, interface 0, 64-bit timestamp, caplen, len.
    const std::size_t padded = (frame.size() + 3) / 4 * 4;
    const auto blen = static_cast<std::uint32_t>(32 + padded);
    le32(6); le32(blen); le32(0); le32(static_cast<std::uint32_t>(ts >> 32)); le32(static_cast<std::uint32_t>(ts));
    le32(static_cast<std::uint32_t>(frame.size())); le32(static_cast<std::uint32_t>(frame.size()));
    f.insert(f.end(), frame.begin(), frame.end());
    while (f.size() % 4) f.push_back(0);
    le32(blen);
  }
  const std::string path = tmp_path(name);
  { std::FILE* out = std::fopen(path.c_str(), "wb"); std::fwrite(f.data(), 1, f.size(), out); std::fclose(out); }
  return path;
}

TEST(PcapReader, Pcapng) {
  const Bytes frame = ethernet(ipv4_udp(kPayload), {0x8100});
  const std::string path = write_pcapng("ng.pcapng", frame, {1'700'000'000'123'456'789ULL});
  PcapReader r(path, FeedOptions{});
  UdpDatagram d;
  ASSERT_TRUE(r.next(d));
  EXPECT_EQ(d.ts, 1'700'000'000'123'456'789);
  expect_payload(d);
  EXPECT_FALSE(r.next(d));
}

// 64-bit pcapng stamps whose nanoseconds do not fit int64 (seconds resolution, microsecond
// resolution near 2^64): each counted as bad_timestamp and skipped, never wrapped (UBSan runs
// this under the asan preset). The good frames around them still come through.
TEST(PcapReader, PcapngTimestampsBeyondInt64AreCounted) {
  const Bytes frame = ethernet(ipv4_udp(kPayload), {0x8100});
  struct Case { std::uint8_t tsresol; std::vector<std::uint64_t> stamps; int bad; };
  const std::vector<Case> cases = {
      // tsresol 0 = seconds: 1.7e9 s is fine, 2^63 s and 2^64-1 s and 9223372037 s are not.
      {0, {1'700'000'000ULL, 1ULL << 63, ~0ULL, 9'223'372'037ULL, 1'700'000'001ULL}, 3},
      // tsresol 6 = microseconds: 2^64-1 us = 1.8e13 s overflows; 9223372036854775 us fits.
      {6, {~0ULL, 9'223'372'036'854'775ULL, (1ULL << 63) + 5}, 2},
      // nanoseconds: every 64-bit value above INT64_MAX is out of range.
      {9, {~0ULL, (1ULL << 63), 9'223'372'036'854'775'807ULL}, 2},
  };
  int tried = 0;
  for (const Case& c : cases) {
    const std::string path = write_pcapng("ts" + std::to_string(c.tsresol) + ".pcapng", frame, c.stamps, c.tsresol);
    PcapReader r(path, FeedOptions{});
    UdpDatagram d;
    int ok = 0;
    while (r.next(d)) {
      ++ok;
      EXPECT_GE(d.ts, 0);
    }
    EXPECT_EQ(ok, static_cast<int>(c.stamps.size()) - c.bad) << int(c.tsresol);
    EXPECT_EQ(r.counters().skipped[static_cast<int>(FrameStatus::BadTimestamp)], static_cast<std::uint64_t>(c.bad));
    EXPECT_EQ(r.counters().read_errors, 0u);
    tried += c.bad;
  }
  EXPECT_EQ(tried, 7);
}

TEST(PcapReader, CaptureNsChecksEveryOverflow) {
  Nanos ns = 0;
  EXPECT_TRUE(capture_ns(1'700'000'000, 123'456'789, ns));
  EXPECT_EQ(ns, 1'700'000'000'123'456'789);
  EXPECT_TRUE(capture_ns(9'223'372'036, 854'775'807, ns));
  EXPECT_EQ(ns, std::numeric_limits<Nanos>::max());
  EXPECT_FALSE(capture_ns(9'223'372'036, 854'775'808, ns));  // one past the max
  EXPECT_FALSE(capture_ns(9'223'372'037, 0, ns));
  EXPECT_FALSE(capture_ns(std::numeric_limits<std::int64_t>::max(), 0, ns));
  EXPECT_FALSE(capture_ns(-1, 0, ns));
  EXPECT_FALSE(capture_ns(0, -1, ns));
  EXPECT_FALSE(capture_ns(std::numeric_limits<std::int64_t>::min(), 0, ns));
  EXPECT_FALSE(capture_ns(9'223'372'036, std::numeric_limits<std::int64_t>::max(), ns));
}

TEST(PcapReader, CountsEveryReason) {
  const Bytes ip = ipv4_udp(kPayload);
  IpOpts frag;
  frag.frag = 0x2000;
  IpOpts tcp;
  tcp.proto = 6;
  IpOpts other_port;
  other_port.dport = 9;
  const Bytes good = ethernet(ip, {0x8100});
  std::vector<Frame> frames = {
      {good, 1, 0},
      {ethernet(ipv4_udp(kPayload, frag)), 2, 0},
      {ethernet(ipv4_udp(kPayload, tcp)), 3, 0},
      {ethernet(ip, {}, 0x0806), 4, 0},
      {ethernet(ipv4_udp(kPayload, other_port)), 5, 0},
      {good, 6, good.size() - 3},  // snaplen cut
      {ethernet(ip), 7, 0},
  };
  const std::string path = tmp_path("reasons.pcap");
  write_pcap(path, 1, frames);
  FeedOptions o;
  o.dst_port = 26477;
  PcapReader r(path, o);
  UdpDatagram d;
  int ok = 0;
  while (r.next(d)) ++ok;
  EXPECT_EQ(ok, 2);
  const PcapCounters& c = r.counters();
  EXPECT_EQ(c.frames, 7u);
  EXPECT_EQ(c.datagrams, 2u);
  EXPECT_EQ(c.skipped[static_cast<int>(FrameStatus::IpFragment)], 1u);
  EXPECT_EQ(c.skipped[static_cast<int>(FrameStatus::NonUdp)], 1u);
  EXPECT_EQ(c.skipped[static_cast<int>(FrameStatus::NonIpv4)], 1u);
  EXPECT_EQ(c.skipped[static_cast<int>(FrameStatus::FilteredOut)], 1u);
  EXPECT_EQ(c.skipped[static_cast<int>(FrameStatus::Truncated)], 1u);
}

// A classic pcap 2.4 written byte by byte: stamp unit and byte order chosen, records given as
// (seconds, fraction, caplen field, bytes actually written), so damaged files can be made.
struct RawRecord {
  std::uint32_t sec = 0, frac = 0;
  Bytes data;
  std::int64_t caplen = -1;  // the header's caplen; -1 = data.size()
};
Bytes classic_pcap(bool nano, bool big_endian, std::uint32_t snaplen, const std::vector<RawRecord>& recs) {
  Bytes f;
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<std::uint8_t>(v >> (big_endian ? 24 - 8 * i : 8 * i)));
  };
  auto u16 = [&](std::uint16_t v) {
    f.push_back(static_cast<std::uint8_t>(big_endian ? v >> 8 : v));
    f.push_back(static_cast<std::uint8_t>(big_endian ? v : v >> 8));
  };
  u32(nano ? 0xa1b23c4du : 0xa1b2c3d4u);
  u16(2); u16(4); u32(0); u32(0); u32(snaplen); u32(1);
  for (const RawRecord& r : recs) {
    u32(r.sec); u32(r.frac);
    u32(static_cast<std::uint32_t>(r.caplen < 0 ? static_cast<std::int64_t>(r.data.size()) : r.caplen));
    u32(static_cast<std::uint32_t>(r.data.size()));
    f.insert(f.end(), r.data.begin(), r.data.end());
  }
  return f;
}
std::string write_bytes(const std::string& name, const Bytes& b) {
  const std::string path = tmp_path(name);
  std::FILE* out = std::fopen(path.c_str(), "wb");
  std::fwrite(b.data(), 1, b.size(), out);
  std::fclose(out);
  return path;
}
struct ReadAll {
  PcapCounters c;
  std::vector<Nanos> ts;
  std::vector<std::size_t> sizes;
  bool mapped = false;
};
ReadAll read_all(const std::string& path, bool libpcap) {
  FeedOptions o;
  o.pcap_libpcap = libpcap;
  PcapReader r(path, o);
  ReadAll a;
  a.mapped = r.mapped();
  UdpDatagram d;
  while (r.next(d)) {
    a.ts.push_back(d.ts);
    a.sizes.push_back(d.payload.size());
  }
  a.c = r.counters();
  // The mapped reader's end (or damage) stays the end; libpcap would read on after damage.
  if (a.mapped) {
    EXPECT_FALSE(r.next(d));
    EXPECT_EQ(r.counters().read_errors, a.c.read_errors);
  }
  return a;
}
// Reads the file through both readers and checks they agree exactly; returns the mapped one's.
ReadAll both_agree(const std::string& path) {
  const ReadAll m = read_all(path, false), l = read_all(path, true);
  EXPECT_TRUE(m.mapped) << path;
  EXPECT_FALSE(l.mapped);
  EXPECT_EQ(m.ts, l.ts) << path;
  EXPECT_EQ(m.sizes, l.sizes) << path;
  EXPECT_EQ(m.c.frames, l.c.frames) << path;
  EXPECT_EQ(m.c.datagrams, l.c.datagrams) << path;
  EXPECT_EQ(m.c.read_errors, l.c.read_errors) << path;
  for (int s = 0; s < kFrameStatusCount; ++s) EXPECT_EQ(m.c.skipped[s], l.c.skipped[s]) << path << " reason " << s;
  return m;
}

TEST(PcapMapped, StampUnitsAndByteOrders) {
  const Bytes good = ethernet(ipv4_udp(kPayload));
  IpOpts tcp;
  tcp.proto = 6;
  for (bool nano : {false, true})
    for (bool be : {false, true}) {
      const std::string name = std::string(nano ? "ns" : "us") + (be ? "_be" : "_le") + ".pcap";
      const std::string path = write_bytes(name, classic_pcap(nano, be, 65535, {
          {1'700'000'000, 123'456, good},
          {1'700'000'001, 999'999, ethernet(ipv4_udp(kPayload, tcp))},
          // 2^31 s: libpcap reads the field as signed (negative: a bad timestamp) in the host's
          // byte order and as unsigned when it swaps it; the mapped reader does the same.
          {0x80000000u, 1, good},
          {1'700'000'002, 7, good},
      }));
      const ReadAll m = both_agree(path);
      const Nanos unit = nano ? 1 : 1000;
      ASSERT_EQ(m.ts.size(), be ? 3u : 2u) << name;
      EXPECT_EQ(m.ts.front(), 1'700'000'000'000'000'000 + 123'456 * unit) << name;
      EXPECT_EQ(m.ts.back(), 1'700'000'002'000'000'000 + 7 * unit) << name;
      if (be) {
        EXPECT_EQ(m.ts[1], 2'147'483'648'000'000'000 + unit) << name;
      }
      EXPECT_EQ(m.c.frames, 4u);
      EXPECT_EQ(m.c.skipped[static_cast<int>(FrameStatus::NonUdp)], 1u);
      EXPECT_EQ(m.c.skipped[static_cast<int>(FrameStatus::BadTimestamp)], be ? 0u : 1u);
      EXPECT_EQ(m.c.read_errors, 0u);
    }
}

// The last record cut anywhere in its header or body is a read error after the whole records
// (libpcap's verdict); an empty remainder is a clean end.
TEST(PcapMapped, TruncatedLastRecordAtEveryLength) {
  const Bytes good = ethernet(ipv4_udp(kPayload));
  const Bytes whole = classic_pcap(true, false, 65535, {{1, 0, good}, {2, 0, good}});
  const std::size_t rec = 16 + good.size();
  for (std::size_t cut = 0; cut <= rec; ++cut) {
    const Bytes b(whole.begin(), whole.end() - static_cast<std::ptrdiff_t>(cut));
    const ReadAll m = both_agree(write_bytes("cut.pcap", b));
    const bool clean = cut == 0 || cut == rec;
    EXPECT_EQ(m.c.read_errors, clean ? 0u : 1u) << cut;
    EXPECT_EQ(m.c.datagrams, cut == 0 ? 2u : 1u) << cut;
  }
}

// A capture length beyond the snapshot length is cut to it (the frame is then truncated for the
// parser); beyond libpcap's maximum (262144) or the end of the file, the file is damaged.
TEST(PcapMapped, CaptureLengthBeyondSnaplenMaximumOrFile) {
  const Bytes good = ethernet(ipv4_udp(kPayload));
  {
    const ReadAll m = both_agree(write_bytes("snap.pcap", classic_pcap(true, false, 40, {{1, 0, good}, {2, 0, good}})));
    EXPECT_EQ(m.c.frames, 2u);
    EXPECT_EQ(m.c.skipped[static_cast<int>(FrameStatus::Truncated)], 2u);
    EXPECT_EQ(m.c.read_errors, 0u);
  }
  {
    RawRecord huge{3, 0, good, 300'000};
    const ReadAll m = both_agree(write_bytes("huge.pcap", classic_pcap(true, false, 65535, {{1, 0, good}, huge, {4, 0, good}})));
    EXPECT_EQ(m.c.datagrams, 1u);
    EXPECT_EQ(m.c.read_errors, 1u);
  }
  {
    RawRecord past{3, 0, good, static_cast<std::int64_t>(good.size()) + 100};
    const ReadAll m = both_agree(write_bytes("past.pcap", classic_pcap(true, true, 65535, {{1, 0, good}, past})));
    EXPECT_EQ(m.c.datagrams, 1u);
    EXPECT_EQ(m.c.read_errors, 1u);
  }
}

// A file larger than the reader's release step (32 MiB: pages already read are given back
// from the mapping) reads the same as through libpcap, across every release.
TEST(PcapMapped, LargeFileAcrossPageReleases) {
  const Bytes good = ethernet(ipv4_udp(kPayload));
  std::vector<RawRecord> recs;
  const std::size_t n = (std::size_t{40} << 20) / (16 + good.size()) + 1;
  recs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) recs.push_back({static_cast<std::uint32_t>(i / 1000), static_cast<std::uint32_t>(i % 1000), good});
  const std::string path = write_bytes("large.pcap", classic_pcap(false, false, 65535, recs));
  const ReadAll m = both_agree(path);
  EXPECT_EQ(m.c.datagrams, n);
  EXPECT_EQ(m.c.read_errors, 0u);
  std::remove(path.c_str());
}

// A bad magic is refused as before (libpcap's message); pcapng goes through libpcap.
TEST(PcapMapped, BadMagicAndPcapng) {
  Bytes b = classic_pcap(true, false, 65535, {{1, 0, ethernet(ipv4_udp(kPayload))}});
  b[0] ^= 0x5a;
  const std::string bad = write_bytes("badmagic.pcap", b);
  for (bool libpcap : {false, true}) {
    FeedOptions o;
    o.pcap_libpcap = libpcap;
    EXPECT_THROW(PcapReader(bad, o), std::runtime_error);
  }
  const std::string ng = write_pcapng("mapped.pcapng", ethernet(ipv4_udp(kPayload)), {1'000'000'000});
  PcapReader r(ng, FeedOptions{});
  EXPECT_FALSE(r.mapped());
  UdpDatagram d;
  EXPECT_TRUE(r.next(d));
}

TEST(PcapReader, UnsupportedLinkTypeAndGarbageFile) {
  const std::string path = tmp_path("ppp.pcap");
  write_pcap(path, 9 /* PPP */, {});
  EXPECT_THROW(PcapReader(path, FeedOptions{}), std::runtime_error);
  const std::string junk = tmp_path("junk.pcap");
  { std::FILE* f = std::fopen(junk.c_str(), "wb"); std::fputs("this is not a capture file at all", f); std::fclose(f); }
  EXPECT_THROW(PcapReader(junk, FeedOptions{}), std::runtime_error);
}

}  // namespace
}  // namespace hft::feed
