#include "hft/feed/pcap_reader.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older headers lack it (older kernels refuse it: faults)
#endif
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "hft/core/byteorder.hpp"

namespace hft::feed {

const char* frame_status_name(FrameStatus s) noexcept {
  switch (s) {
    case FrameStatus::Ok: return "ok";
    case FrameStatus::Truncated: return "truncated";
    case FrameStatus::NonIpv4: return "non_ipv4";
    case FrameStatus::TooManyVlans: return "too_many_vlans";
    case FrameStatus::BadIpHeader: return "bad_ip_header";
    case FrameStatus::IpFragment: return "ip_fragment";
    case FrameStatus::NonUdp: return "non_udp";
    case FrameStatus::BadUdpLength: return "bad_udp_length";
    case FrameStatus::FilteredOut: return "filtered_out";
    case FrameStatus::BadTimestamp: return "bad_timestamp";
    case FrameStatus::Count_: break;
  }
  return "?";
}

bool link_type_supported(int dlt) noexcept {
  switch (static_cast<LinkType>(dlt)) {
    case LinkType::Ethernet:
    case LinkType::Raw:
    case LinkType::RawLinktype:
    case LinkType::LinuxSll:
    case LinkType::Ipv4:
    case LinkType::LinuxSll2: return true;
  }
  return false;
}

UdpFilter make_filter(const FeedOptions& opts) {
  UdpFilter f;
  f.dst_port = opts.dst_port;
  if (!opts.dst_addr.empty()) {
    in_addr a{};
    if (inet_pton(AF_INET, opts.dst_addr.c_str(), &a) != 1)
      throw std::invalid_argument("not a dotted IPv4 address: " + opts.dst_addr);
    f.dst_addr = ntohl(a.s_addr);
  }
  return f;
}

namespace {
constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherVlan = 0x8100;   // 802.1Q
constexpr std::uint16_t kEtherQinQ = 0x88a8;   // 802.1ad
constexpr std::uint16_t kEtherQinQOld = 0x9100;
constexpr int kMaxVlans = 2;

bool is_vlan(std::uint16_t t) noexcept { return t == kEtherVlan || t == kEtherQinQ || t == kEtherQinQOld; }

// Skips VLAN tags starting at `pos` where `etype` was just read; leaves pos at the network
// header. Returns Ok, Truncated or TooManyVlans.
FrameStatus skip_vlans(const std::uint8_t* d, std::size_t caplen, std::size_t& pos, std::uint16_t& etype) noexcept {
  int tags = 0;
  while (is_vlan(etype)) {
    if (++tags > kMaxVlans) return FrameStatus::TooManyVlans;
    if (caplen < pos + 4) return FrameStatus::Truncated;
    etype = load_be<std::uint16_t>(d + pos + 2);  // TCI (2) then the inner type
    pos += 4;
  }
  return FrameStatus::Ok;
}

[[gnu::always_inline]] inline FrameStatus parse_ipv4(const std::uint8_t* d, std::size_t caplen, std::size_t pos,
                                                  const UdpFilter& f, UdpDatagram& out) noexcept {
  if (caplen < pos + 20) return FrameStatus::Truncated;
  const std::uint8_t* ip = d + pos;
  if ((ip[0] >> 4) != 4) return FrameStatus::BadIpHeader;
  const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0F) * 4;
  const std::size_t total = load_be<std::uint16_t>(ip + 2);
  if (ihl < 20 || total < ihl) return FrameStatus::BadIpHeader;
  if (caplen < pos + ihl) return FrameStatus::Truncated;
  const std::uint16_t frag = load_be<std::uint16_t>(ip + 6);
  if ((frag & 0x2000) != 0 || (frag & 0x1FFF) != 0) return FrameStatus::IpFragment;
  if (ip[9] != 17) return FrameStatus::NonUdp;
  if (caplen < pos + total) return FrameStatus::Truncated;  // snaplen cut or lying header
  const std::size_t udp_pos = pos + ihl;
  const std::size_t ip_payload = total - ihl;
  if (ip_payload < 8) return FrameStatus::Truncated;
  const std::uint8_t* udp = d + udp_pos;
  const std::size_t udp_len = load_be<std::uint16_t>(udp + 4);
  if (udp_len < 8 || udp_len > ip_payload) return FrameStatus::BadUdpLength;
  out.src_addr = load_be<std::uint32_t>(ip + 12);
  out.dst_addr = load_be<std::uint32_t>(ip + 16);
  out.src_port = load_be<std::uint16_t>(udp);
  out.dst_port = load_be<std::uint16_t>(udp + 2);
  if ((f.dst_addr != 0 && out.dst_addr != f.dst_addr) || (f.dst_port != 0 && out.dst_port != f.dst_port))
    return FrameStatus::FilteredOut;
  out.payload = {udp + 8, udp_len - 8};
  return FrameStatus::Ok;
}
}  // namespace

bool capture_ns(std::int64_t sec, std::int64_t frac_ns, Nanos& out) noexcept {
  if (sec < 0 || frac_ns < 0) return false;
  Nanos ns = 0;
  if (__builtin_mul_overflow(static_cast<Nanos>(sec), Nanos{1'000'000'000}, &ns)) return false;
  return !__builtin_add_overflow(ns, static_cast<Nanos>(frac_ns), &out);
}

namespace {
// The frame parser, inlined into the mapped reader's loop (a call chain of three functions per
// packet before).
[[gnu::always_inline]] inline FrameStatus parse_frame_inline(int dlt, const std::uint8_t* d, std::size_t caplen,
                                                          const UdpFilter& f, UdpDatagram& out) noexcept {
  std::size_t pos = 0;
  std::uint16_t etype = 0;
  switch (static_cast<LinkType>(dlt)) {
    case LinkType::Ethernet:
      if (caplen < 14) return FrameStatus::Truncated;
      etype = load_be<std::uint16_t>(d + 12);
      pos = 14;
      break;
    case LinkType::LinuxSll:  // packet type 2, ARPHRD 2, address length 2, address 8, protocol 2
      if (caplen < 16) return FrameStatus::Truncated;
      etype = load_be<std::uint16_t>(d + 14);
      pos = 16;
      break;
    case LinkType::LinuxSll2:  // protocol 2, reserved 2, ifindex 4, ARPHRD 2, type 1, len 1, addr 8
      if (caplen < 20) return FrameStatus::Truncated;
      etype = load_be<std::uint16_t>(d);
      pos = 20;
      break;
    case LinkType::Raw:
    case LinkType::RawLinktype:
    case LinkType::Ipv4:
      if (caplen < 1) return FrameStatus::Truncated;
      if ((d[0] >> 4) != 4) return FrameStatus::NonIpv4;
      return parse_ipv4(d, caplen, 0, f, out);
    default: return FrameStatus::NonIpv4;
  }
  if (const FrameStatus s = skip_vlans(d, caplen, pos, etype); s != FrameStatus::Ok) return s;
  if (etype != kEtherIpv4) return FrameStatus::NonIpv4;
  return parse_ipv4(d, caplen, pos, f, out);
}
}  // namespace

FrameStatus parse_frame(int dlt, const std::uint8_t* d, std::size_t caplen, const UdpFilter& f,
                        UdpDatagram& out) noexcept {
  return parse_frame_inline(dlt, d, caplen, f, out);
}

namespace {
// libpcap's largest sane capture length (MAXIMUM_SNAPLEN; max_snaplen_for_dlt for every link
// type we support): a record claiming more is a damaged file.
constexpr std::uint32_t kMaxCaplen = 262144;
constexpr std::size_t kReleaseBytes = std::size_t{32} << 20;
constexpr std::size_t kPageBytes = 4096;  // mmap's offsets are page-aligned; 4 KiB divides any page size

// Maps a classic pcap 2.4 file through the descriptor libpcap opened (never a second open:
// a FIFO would wait for another writer); null (nothing mapped) for anything else, which libpcap
// reads: pcapng, older versions, FIFOs and other files that are not regular.
const std::uint8_t* map_classic(int fd, std::size_t& len, bool& swapped, bool& nano) {
  if (fd < 0) return nullptr;
  struct stat st{};
  void* m = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 24) {
    len = static_cast<std::size_t>(st.st_size);
    m = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd, 0);
  }
  if (m == MAP_FAILED) return nullptr;
  const auto* b = static_cast<const std::uint8_t*>(m);
  const std::uint32_t magic = load_le<std::uint32_t>(b);
  swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
  nano = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
  const bool classic = swapped || magic == 0xa1b2c3d4u || magic == 0xa1b23c4du;
  const auto u16 = [&](std::size_t o) { return swapped ? load_be<std::uint16_t>(b + o) : load_le<std::uint16_t>(b + o); };
  if (!classic || u16(4) != 2 || u16(6) != 4) {  // 2.4; older versions have quirks libpcap knows
    ::munmap(m, len);
    return nullptr;
  }
  ::madvise(m, len, MADV_SEQUENTIAL);
  return b;
}
}  // namespace

PcapReader::PcapReader(const std::string& path, const FeedOptions& opts) : filter_(make_filter(opts)) {
  char err[PCAP_ERRBUF_SIZE] = {};
  // libpcap opens every file, so that the header checks, link type mapping (LINKTYPE_ to DLT_)
  // and snapshot length are its own; a classic file is then read through a mapping.
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (p == nullptr) throw std::runtime_error("cannot open pcap " + path + ": " + err);
  dlt_ = pcap_datalink(p);
  if (!link_type_supported(dlt_)) {
    pcap_close(p);
    throw std::runtime_error("pcap " + path + ": unsupported link type " + std::to_string(dlt_));
  }
  if (!opts.pcap_libpcap) {
    std::FILE* f = pcap_file(p);  // the savefile libpcap read the header from
    map_ = map_classic(f != nullptr ? ::fileno(f) : -1, map_len_, swapped_, nano_);
  }
  if (map_ != nullptr) {
    snaplen_ = static_cast<std::uint32_t>(pcap_snapshot(p));
    max_caplen_ = kMaxCaplen;
    off_ = 24;
    populate_ahead();
    pcap_close(p);
    return;
  }
  pcap_ = p;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) file_size_ = static_cast<std::uint64_t>(st.st_size);
}

double PcapReader::progress() const noexcept {
  if (map_ != nullptr) return map_len_ == 0 ? 1.0 : static_cast<double>(off_) / static_cast<double>(map_len_);
  std::FILE* f = pcap_file(static_cast<pcap_t*>(pcap_));
  if (f == nullptr || file_size_ == 0) return -1.0;
  const long at = std::ftell(f);
  return at < 0 ? -1.0 : static_cast<double>(at) / static_cast<double>(file_size_);
}

PcapReader::~PcapReader() {
  if (pcap_ != nullptr) pcap_close(static_cast<pcap_t*>(pcap_));
  if (map_ != nullptr) ::munmap(const_cast<std::uint8_t*>(map_), map_len_);
}

// Maps the next pages in, one release window past the reading point, in one call: the
// file's pages are in the page cache, and taking them one fault at a time (16 pages a fault)
// cost the 500-instrument replay ~4% in the kernel (perf). A kernel without
// MADV_POPULATE_READ (before 5.14) refuses it and the pages come by faults as before.
void PcapReader::populate_ahead() noexcept {
  const std::size_t want = std::min(map_len_, (off_ & ~(kPageBytes - 1)) + kReleaseBytes);
  if (want <= populated_) return;
  const std::size_t from = std::max(populated_, off_ & ~(kPageBytes - 1));
  ::madvise(const_cast<std::uint8_t*>(map_) + from, want - from, MADV_POPULATE_READ);
  populated_ = want;
}

// sf-pcap.c's pcap_next_packet on the mapping: a partial record header or body, or a capture
// length above the sane maximum, is an error (counted; reading stops); a capture length above
// the snapshot length is cut to it (the rest skipped); nothing left is the end of the file.
bool PcapReader::next_mapped(UdpDatagram& out) noexcept {
  const auto u32 = [this](const std::uint8_t* q) {
    return swapped_ ? load_be<std::uint32_t>(q) : load_le<std::uint32_t>(q);
  };
  for (;;) {
    const std::size_t left = map_len_ - off_;
    if (left == 0) return false;
    if (left < 16) {
      ++c_.read_errors;
      off_ = map_len_;
      return false;
    }
    // Pages already read are dropped from the mapping every 32 MiB (the page cache keeps
    // them), so that a whole day read does not count as resident memory: one madvise per
    // about 300,000 packets. The records handed out before this call are no longer used.
    if (off_ - released_ >= kReleaseBytes) [[unlikely]] {
      const std::size_t upto = off_ & ~(kPageBytes - 1);
      ::madvise(const_cast<std::uint8_t*>(map_) + released_, upto - released_, MADV_DONTNEED);
      released_ = upto;
      populate_ahead();
    }
    const std::uint8_t* h = map_ + off_;
    const std::uint32_t caplen = u32(h + 8);
    if (caplen > max_caplen_ || caplen > left - 16) {
      ++c_.read_errors;
      off_ = map_len_;
      return false;
    }
    off_ += 16 + std::size_t{caplen};
    if (off_ + 64 < map_len_) __builtin_prefetch(map_ + off_ + 64);  // the next record's packet
    ++c_.frames;
    const std::uint32_t cut = caplen < snaplen_ ? caplen : snaplen_;
    const FrameStatus s = parse_frame_inline(dlt_, h + 16, cut, filter_, out);
    if (s != FrameStatus::Ok) {
      ++c_.skipped[static_cast<std::size_t>(s)];
      continue;
    }
    // The stamp fields as libpcap reads them: signed 32-bit (pcap_timeval) in the host's byte
    // order, unsigned when it swaps them (its SWAPLONG yields an unsigned int).
    const std::int64_t sec = swapped_ ? std::int64_t{u32(h)} : std::int64_t{static_cast<std::int32_t>(u32(h))};
    const std::int64_t frac = swapped_ ? std::int64_t{u32(h + 4)} : std::int64_t{static_cast<std::int32_t>(u32(h + 4))};
    if (!capture_ns(sec, nano_ ? frac : frac * 1000, out.ts)) {
      ++c_.skipped[static_cast<std::size_t>(FrameStatus::BadTimestamp)];
      continue;
    }
    ++c_.datagrams;
    return true;
  }
}

bool PcapReader::next(UdpDatagram& out) {
  if (map_ != nullptr) return next_mapped(out);
  auto* p = static_cast<pcap_t*>(pcap_);
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(p, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK) return false;  // end of file
    if (rc != 1) {  // a damaged file: count it and stop (libpcap cannot resynchronise)
      ++c_.read_errors;
      return false;
    }
    ++c_.frames;
    const FrameStatus s = parse_frame(dlt_, data, hdr->caplen, filter_, out);
    if (s != FrameStatus::Ok) {
      ++c_.skipped[static_cast<std::size_t>(s)];
      continue;
    }
    // With PCAP_TSTAMP_PRECISION_NANO the "usec" field holds nanoseconds. pcapng stamps are 64
    // bits in the interface's unit: seconds * 1e9 may not fit (checked, never wrapped).
    if (!capture_ns(hdr->ts.tv_sec, hdr->ts.tv_usec, out.ts)) {
      ++c_.skipped[static_cast<std::size_t>(FrameStatus::BadTimestamp)];
      continue;
    }
    ++c_.datagrams;
    return true;
  }
}

}  // namespace hft::feed
