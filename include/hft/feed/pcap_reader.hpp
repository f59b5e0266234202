// Offline capture reading (classic pcap with micro- or nanosecond stamps, either byte order:
// memory-mapped; pcapng and older formats: through libpcap), and frame parsing down to the UDP payload: Ethernet with 0-2 VLAN tags (802.1Q,
// 802.1ad), Linux cooked capture (SLL, SLL2), raw IPv4; IPv4 with options; UDP filtered by
// destination address and port. Frames that are not IPv4/UDP, fragmented, filtered out or cut
// short are counted per reason and skipped. May touch: core/, feed/source.hpp (FeedOptions).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "hft/core/types.hpp"
#include "hft/feed/source.hpp"

namespace hft::feed {

// Why a frame yielded no UDP payload (Ok = it did).
enum class FrameStatus : std::uint8_t {
  Ok = 0,
  Truncated,      // captured bytes end inside a header or before the lengths the headers claim
  NonIpv4,        // link layer carries something else (ARP, IPv6, ...)
  TooManyVlans,   // more than two VLAN tags
  BadIpHeader,    // version not 4, IHL < 5, total length < IHL
  IpFragment,     // MF set or fragment offset != 0 (we do not reassemble)
  NonUdp,         // IPv4 protocol other than UDP
  BadUdpLength,   // UDP length < 8 or larger than the IP payload
  FilteredOut,    // destination address or port does not match the FeedOptions filter
  BadTimestamp,   // capture time outside what int64 nanoseconds since the epoch hold (pcapng's
                  // 64-bit stamps can be far beyond), or before the epoch
  Count_
};
inline constexpr int kFrameStatusCount = static_cast<int>(FrameStatus::Count_);
const char* frame_status_name(FrameStatus s) noexcept;

// libpcap link types we understand (the LINKTYPE_/DLT_ values pcap_datalink() returns).
enum class LinkType : int {
  Ethernet = 1,
  Raw = 12,        // DLT_RAW on Linux (LINKTYPE_RAW 101 is mapped to it by libpcap)
  RawLinktype = 101,
  LinuxSll = 113,
  Ipv4 = 228,
  LinuxSll2 = 276,
};
bool link_type_supported(int dlt) noexcept;

struct UdpFilter {
  std::uint32_t dst_addr = 0;  // host order; 0 = any
  std::uint16_t dst_port = 0;  // 0 = any
};
// Throws std::invalid_argument when dst_addr is not a dotted IPv4 address.
UdpFilter make_filter(const FeedOptions& opts);

struct UdpDatagram {
  Nanos ts = 0;  // capture time, ns since the Unix epoch
  std::span<const std::uint8_t> payload;
  std::uint32_t src_addr = 0, dst_addr = 0;  // host order
  std::uint16_t src_port = 0, dst_port = 0;
};

// Parses one captured frame (caplen bytes at data) of link type dlt. On Ok, out.payload points
// into data (zero-copy) and is trimmed to the UDP length (Ethernet padding dropped).
FrameStatus parse_frame(int dlt, const std::uint8_t* data, std::size_t caplen, const UdpFilter& filter,
                        UdpDatagram& out) noexcept;

// sec * 1e9 + frac_ns into out; false (out unspecified) when negative or beyond int64 ns.
bool capture_ns(std::int64_t sec, std::int64_t frac_ns, Nanos& out) noexcept;

struct PcapCounters {
  std::uint64_t frames = 0;    // frames read from the file
  std::uint64_t datagrams = 0; // frames handed out as UDP payloads
  std::array<std::uint64_t, kFrameStatusCount> skipped{};  // by FrameStatus (Ok unused)
  std::uint64_t read_errors = 0;  // a damaged record mid-file (reading stops), as libpcap says
};


class PcapReader {
 public:
  // Throws std::runtime_error naming the path and libpcap's reason when the file cannot be
  // opened or its link type is not supported.
  // Classic pcap 2.4 files are mapped and their records parsed in place (no copy, no library
  // call per record) unless opts.pcap_libpcap, with libpcap's verdicts on damaged records (a
  // truncated header or body, a capture length beyond libpcap's maximum: counted in
  // read_errors, reading stops; one beyond the file's snapshot length: cut to it). pcapng and
  // older formats go through libpcap.
  PcapReader(const std::string& path, const FeedOptions& opts);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // Next UDP datagram that passes the filter; false at end of file. The payload stays valid
  // until the next call.
  bool next(UdpDatagram& out);
  int link_type() const noexcept { return dlt_; }
  bool mapped() const noexcept { return map_ != nullptr; }  // reading through the mapping
  const PcapCounters& counters() const noexcept { return c_; }
  // Share of the file read so far, for progress lines (< 0 when the size is not known).
  double progress() const noexcept;

 private:
  bool next_mapped(UdpDatagram& out) noexcept;
  void* pcap_ = nullptr;  // pcap_t*, kept opaque so users need not include pcap.h
  std::uint64_t file_size_ = 0;  // 0 when not a regular file
  int dlt_ = 0;
  // The mapped file (null: libpcap reads it) and where the next record header starts.
  const std::uint8_t* map_ = nullptr;
  std::size_t map_len_ = 0, off_ = 0;
  std::size_t released_ = 0;  // pages before this were read and given back (resident memory)
  std::size_t populated_ = 0;  // pages before this were mapped in ahead of the reading (populate_ahead)
  void populate_ahead() noexcept;
  std::uint32_t snaplen_ = 0, max_caplen_ = 0;
  bool swapped_ = false, nano_ = false;
  UdpFilter filter_;
  PcapCounters c_;
};

}  // namespace hft::feed
