// Test helpers: build ITCH messages, MoldUDP64 packets, IPv4/UDP datagrams and link-layer
// frames in memory (byte by byte from the specifications), and write them to pcap files with
// libpcap's own pcap_dump; a parsed MoldUDP64 header.
#pragma once
#include <pcap/pcap.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "hft/feed/moldudp64.hpp"

namespace wire_test {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
inline void put48(Bytes& b, std::uint64_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 32));
  put32(b, static_cast<std::uint32_t>(v));
}
inline void put64(Bytes& b, std::uint64_t v) {
  put32(b, static_cast<std::uint32_t>(v >> 32));
  put32(b, static_cast<std::uint32_t>(v));
}
inline void put_alpha(Bytes& b, const std::string& s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(i < s.size() ? s[i] : ' '));
}
inline Bytes header(char type, std::uint16_t locate, std::uint64_t ts) {
  Bytes b;
  b.push_back(static_cast<std::uint8_t>(type));
  put16(b, locate);
  put16(b, 0);
  put48(b, ts);
  return b;
}

// ITCH messages (layouts from the ITCH 5.0 specification).
inline Bytes itch_add(std::uint16_t locate, std::uint64_t ts, std::uint64_t ref, char side, std::uint32_t qty,
                      std::uint32_t px, const std::string& stock = "TEST") {
  Bytes b = header('A', locate, ts);
  put64(b, ref);
  b.push_back(static_cast<std::uint8_t>(side));
  put32(b, qty);
  put_alpha(b, stock, 8);
  put32(b, px);
  return b;  // 36
}
inline Bytes itch_delete(std::uint16_t locate, std::uint64_t ts, std::uint64_t ref) {
  Bytes b = header('D', locate, ts);
  put64(b, ref);
  return b;  // 19
}
inline Bytes itch_system(std::uint64_t ts, char code) {
  Bytes b = header('S', 0, ts);
  b.push_back(static_cast<std::uint8_t>(code));
  return b;  // 12
}
inline Bytes itch_directory(std::uint16_t locate, const std::string& stock, std::uint32_t round_lot, char category,
                            char fin, char cls, char auth, char etp) {
  Bytes b = header('R', locate, 1);
  put_alpha(b, stock, 8);
  b.push_back(static_cast<std::uint8_t>(category));
  b.push_back(static_cast<std::uint8_t>(fin));
  put32(b, round_lot);
  b.push_back('N');  // round lots only
  b.push_back(static_cast<std::uint8_t>(cls));
  put_alpha(b, "Z", 2);  // sub type
  b.push_back(static_cast<std::uint8_t>(auth));
  b.push_back('N');  // short sale threshold
  b.push_back(' ');  // IPO flag
  b.push_back('1');  // LULD tier
  b.push_back(static_cast<std::uint8_t>(etp));
  put32(b, 0);       // leverage
  b.push_back('N');  // inverse
  return b;  // 39
}

// MoldUDP64 packet: session (10), sequence, count, then length-prefixed blocks. count_override
// < 0 means "the number of messages".
inline Bytes mold(const std::string& session, std::uint64_t seq, const std::vector<Bytes>& msgs,
                  int count_override = -1) {
  Bytes b;
  put_alpha(b, session, 10);
  put64(b, seq);
  put16(b, static_cast<std::uint16_t>(count_override < 0 ? static_cast<int>(msgs.size()) : count_override));
  for (const Bytes& m : msgs) {
    put16(b, static_cast<std::uint16_t>(m.size()));
    b.insert(b.end(), m.begin(), m.end());
  }
  return b;
}

struct IpOpts {
  std::uint32_t src = 0x0a000001;     // 10.0.0.1
  std::uint32_t dst = 0xe9360c6f;     // 233.54.12.111
  std::uint16_t sport = 40000;
  std::uint16_t dport = 26477;
  std::uint8_t proto = 17;
  std::uint16_t frag = 0x4000;        // DF, offset 0
  std::size_t options = 0;            // bytes of IP options (multiple of 4)
};

inline Bytes ipv4_udp(const Bytes& payload, const IpOpts& o = {}) {
  Bytes b;
  const std::size_t ihl = 20 + o.options;
  b.push_back(static_cast<std::uint8_t>(0x40 | (ihl / 4)));
  b.push_back(0);
  put16(b, static_cast<std::uint16_t>(ihl + 8 + payload.size()));
  put16(b, 0x1234);  // id
  put16(b, o.frag);
  b.push_back(64);
  b.push_back(o.proto);
  put16(b, 0);  // checksum (not checked)
  put32(b, o.src);
  put32(b, o.dst);
  for (std::size_t i = 0; i < o.options; ++i) b.push_back(1);  // NOP options
  put16(b, o.sport);
  put16(b, o.dport);
  put16(b, static_cast<std::uint16_t>(8 + payload.size()));
  put16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// Ethernet with the given VLAN tag types (e.g. {0x8100} or {0x88a8, 0x8100}).
inline Bytes ethernet(const Bytes& ip, const std::vector<std::uint16_t>& vlans = {}, std::uint16_t etype = 0x0800,
                      std::size_t pad_to = 0) {
  Bytes b = {0x01, 0x00, 0x5e, 0x36, 0x0c, 0x6f, 0xd4, 0xaf, 0xf7, 0xcb, 0x20, 0xd5};
  for (std::uint16_t v : vlans) {
    put16(b, v);
    put16(b, 0x008d);  // TCI: VLAN 141
  }
  put16(b, etype);
  b.insert(b.end(), ip.begin(), ip.end());
  while (b.size() < pad_to) b.push_back(0);  // Ethernet minimum-frame padding
  return b;
}
inline Bytes sll(const Bytes& ip, std::uint16_t proto = 0x0800) {
  Bytes b;
  put16(b, 0);      // packet type: to us
  put16(b, 1);      // ARPHRD_ETHER
  put16(b, 6);      // address length
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(i));
  put16(b, proto);
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}
inline Bytes sll2(const Bytes& ip, std::uint16_t proto = 0x0800) {
  Bytes b;
  put16(b, proto);
  put16(b, 0);      // reserved
  put32(b, 2);      // interface index
  put16(b, 1);      // ARPHRD_ETHER
  b.push_back(0);   // packet type
  b.push_back(6);   // address length
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(i));
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

struct Frame {
  Bytes data;
  std::int64_t ts_ns = 0;
  std::size_t caplen = 0;  // 0 = whole frame
};

// Writes frames with libpcap (nanosecond precision unless nano == false).
inline void write_pcap(const std::string& path, int dlt, const std::vector<Frame>& frames, bool nano = true) {
  pcap_t* p = pcap_open_dead_with_tstamp_precision(dlt, 65535, nano ? PCAP_TSTAMP_PRECISION_NANO
                                                                     : PCAP_TSTAMP_PRECISION_MICRO);
  pcap_dumper_t* d = pcap_dump_open(p, path.c_str());
  if (d == nullptr) throw std::runtime_error("pcap_dump_open " + path + ": " + pcap_geterr(p));
  for (const Frame& f : frames) {
    pcap_pkthdr h{};
    const std::int64_t sub = nano ? f.ts_ns % 1'000'000'000 : (f.ts_ns % 1'000'000'000) / 1000;
    h.ts.tv_sec = static_cast<time_t>(f.ts_ns / 1'000'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>(sub);
    h.caplen = static_cast<bpf_u_int32>(f.caplen ? f.caplen : f.data.size());
    h.len = static_cast<bpf_u_int32>(f.data.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, f.data.data());
  }
  pcap_dump_close(d);
  pcap_close(p);
}

inline std::string tmp_path(const std::string& name) {
  std::filesystem::create_directories(HFT_TEST_TMP);
  return std::string(HFT_TEST_TMP) + "/wire_" + name;
}

// A parsed MoldUDP64 header (session padded with spaces, as on the wire).
inline hft::feed::MoldHeader hdr(const std::string& s, std::uint64_t seq, std::uint16_t count) {
  hft::feed::MoldHeader h;
  for (std::size_t i = 0; i < 10; ++i) h.session[i] = i < s.size() ? s[i] : ' ';
  h.sequence = seq;
  h.count = count;
  return h;
}

}  // namespace wire_test
