// Test helpers for the write side: hex literals and a minimal, independent pcap / Ethernet /
// IPv4 / UDP / MoldUDP64 reader written from the formats' descriptions (not from the code
// under test).
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "../common/read_bytes.hpp"

namespace gen_test {

// A path in the tests' scratch directory (made if missing).
inline std::string tmp(const std::string& name) {
  std::filesystem::create_directories(HFT_TEST_TMP);
  return (std::filesystem::path(HFT_TEST_TMP) / name).string();
}

using Bytes = std::vector<std::uint8_t>;

inline Bytes hex(const std::string& s) {
  Bytes out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;  // spaces and separators
    if (hi < 0) hi = v;
    else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd hex digits");
  return out;
}

inline std::uint64_t be(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}
inline std::uint64_t le(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct Packet {
  std::int64_t ts_ns = 0;           // pcap record time (ns since epoch)
  std::uint32_t caplen = 0, origlen = 0;
  const std::uint8_t* ip = nullptr;  // IPv4 header
  std::uint32_t src_ip = 0, dst_ip = 0;
  std::uint16_t src_port = 0, dst_port = 0, udp_len = 0, udp_csum = 0;
  const std::uint8_t* payload = nullptr;
  std::size_t payload_len = 0;
};

struct Pcap {
  std::uint32_t magic = 0, snaplen = 0, linktype = 0;
  std::uint16_t vmaj = 0, vmin = 0;
  std::vector<Packet> packets;
  std::string error;  // first structural problem, empty if none
};

// Parses a whole pcap held in memory (bytes must outlive the result).
inline Pcap parse_pcap(const Bytes& b) {
  Pcap p;
  if (b.size() < 24) {
    p.error = "short global header";
    return p;
  }
  p.magic = static_cast<std::uint32_t>(le(b.data(), 4));
  p.vmaj = static_cast<std::uint16_t>(le(b.data() + 4, 2));
  p.vmin = static_cast<std::uint16_t>(le(b.data() + 6, 2));
  p.snaplen = static_cast<std::uint32_t>(le(b.data() + 16, 4));
  p.linktype = static_cast<std::uint32_t>(le(b.data() + 20, 4));
  std::size_t off = 24;
  while (off < b.size()) {
    if (off + 16 > b.size()) {
      p.error = "truncated record header";
      return p;
    }
    Packet k;
    const std::uint8_t* r = b.data() + off;
    k.ts_ns = static_cast<std::int64_t>(le(r, 4)) * 1000000000 + static_cast<std::int64_t>(le(r + 4, 4));
    k.caplen = static_cast<std::uint32_t>(le(r + 8, 4));
    k.origlen = static_cast<std::uint32_t>(le(r + 12, 4));
    if (off + 16 + k.caplen > b.size()) {
      p.error = "truncated record";
      return p;
    }
    const std::uint8_t* e = r + 16;
    std::size_t eth = 14;
    std::uint16_t type = static_cast<std::uint16_t>(be(e + 12, 2));
    if (type == 0x8100) {
      eth = 18;
      type = static_cast<std::uint16_t>(be(e + 16, 2));
    }
    if (type != 0x0800) {
      p.error = "not IPv4";
      return p;
    }
    k.ip = e + eth;
    const std::size_t ihl = (k.ip[0] & 15u) * 4u;
    k.src_ip = static_cast<std::uint32_t>(be(k.ip + 12, 4));
    k.dst_ip = static_cast<std::uint32_t>(be(k.ip + 16, 4));
    const std::uint8_t* u = k.ip + ihl;
    k.src_port = static_cast<std::uint16_t>(be(u, 2));
    k.dst_port = static_cast<std::uint16_t>(be(u + 2, 2));
    k.udp_len = static_cast<std::uint16_t>(be(u + 4, 2));
    k.udp_csum = static_cast<std::uint16_t>(be(u + 6, 2));
    k.payload = u + 8;
    k.payload_len = k.udp_len - 8u;
    p.packets.push_back(k);
    off += 16 + k.caplen;
  }
  return p;
}

// One's-complement sum over the header, computed here word by word: a valid IPv4 header sums
// to 0xFFFF with its checksum field included (RFC 1071).
inline std::uint16_t ones_complement_sum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t s = 0;
  for (std::size_t i = 0; i < n; i += 2) s += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  while (s > 0xFFFF) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

struct MoldMsg {
  const std::uint8_t* p;
  std::size_t len;
};

// ITCH 5.0 message lengths by type, from the specification's tables.
inline std::size_t spec_len(std::uint8_t t) {
  switch (t) {
    case 'S': return 12; case 'R': return 39; case 'H': return 25; case 'Y': return 20;
    case 'L': return 26; case 'V': return 35; case 'W': return 12; case 'K': return 28;
    case 'J': return 35; case 'h': return 21; case 'A': return 36; case 'F': return 40;
    case 'E': return 31; case 'C': return 36; case 'X': return 23; case 'D': return 19;
    case 'U': return 35; case 'P': return 44; case 'Q': return 40; case 'B': return 19;
    case 'I': return 50; case 'N': return 20; case 'O': return 48;
    default: return 0;
  }
}

}  // namespace gen_test
