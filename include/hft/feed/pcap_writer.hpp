// pcap writer and MoldUDP64 packetizer: the write side of the wire (pcap -> Ethernet -> IPv4 ->
// UDP -> MoldUDP64 -> messages). PcapWriter frames UDP payloads into a nanosecond pcap file
// through one large buffer (one write per few MB, no per-packet syscall); MoldPacketizer packs
// messages into MoldUDP64 packets with contiguous sequence numbers. May touch: core/.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "hft/core/types.hpp"

namespace hft::feed {

struct PcapWriterConfig {
  std::string path;
  std::uint32_t dst_ip = 0xEF010101;  // 239.1.1.1 (host order)
  std::uint16_t dst_port = 26477;
  std::uint32_t src_ip = 0x0A000001;  // 10.0.0.1
  std::uint16_t src_port = 40000;
  std::array<std::uint8_t, 6> src_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  std::uint8_t ttl = 32;
  std::uint32_t snaplen = 65535;
  std::size_t buffer_bytes = std::size_t{8} << 20;
};

// Parses "A.B.C.D" (host-order result). False on malformed text.
bool parse_ipv4(std::string_view text, std::uint32_t& out) noexcept;
// Parses "A.B.C.D:PORT".
bool parse_endpoint(std::string_view text, std::uint32_t& ip, std::uint16_t& port) noexcept;

// RFC 791 header checksum of `len` bytes (len even), for the writer and independent checks.
std::uint16_t ipv4_checksum(const std::uint8_t* hdr, std::size_t len) noexcept;

class PcapWriter {
 public:
  static constexpr std::size_t kFrameHeader = 14 + 20 + 8;  // Ethernet + IPv4 + UDP
  static constexpr std::size_t kMaxPayload = 65535 - 20 - 8;

  // Opens (truncates) the file and writes the global header; throws std::runtime_error.
  explicit PcapWriter(const PcapWriterConfig& cfg);
  ~PcapWriter();  // closes; errors at this point are lost, so call close() to see them
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // One UDP datagram received at ts_epoch_ns (ns since the Unix epoch). A payload larger than
  // kMaxPayload is not written and counted in oversize(). Throws std::runtime_error on I/O error.
  void write_udp(Nanos ts_epoch_ns, const std::uint8_t* payload, std::size_t len);
  // Writes buffered bytes and closes the file; throws std::runtime_error on I/O error.
  void close();

  std::uint64_t packets() const noexcept { return packets_; }
  std::uint64_t bytes() const noexcept { return bytes_; }  // file bytes so far
  std::uint64_t oversize() const noexcept { return oversize_; }

 private:
  void drain();
  PcapWriterConfig cfg_;
  std::FILE* f_ = nullptr;
  std::vector<std::uint8_t> buf_;
  std::size_t used_ = 0;
  std::uint16_t ip_id_ = 0;
  std::array<std::uint8_t, 6> dst_mac_{};
  std::uint64_t packets_ = 0, bytes_ = 0, oversize_ = 0;
};

struct MoldWriterStats {
  std::uint64_t packets = 0;      // data packets (count >= 1)
  std::uint64_t messages = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t end_of_session = 0;
  std::uint64_t oversize_dropped = 0;  // messages longer than any packet can hold (not sent)
};

// MoldUDP64 downstream packets: session (10 ASCII), sequence of the first message (8), count
// (2), then per message a 2-byte length and the message. Messages accumulate in the current
// packet; it is sent when the next one would push the UDP payload past payload_limit, or on
// flush(). The packet's pcap time is the ts_recv given with its last message.
class MoldPacketizer {
 public:
  static constexpr std::size_t kHeader = 20;

  // session is padded with spaces or cut to 10 characters.
  MoldPacketizer(PcapWriter& out, std::string_view session, std::uint64_t first_seq = 1,
                 std::size_t payload_limit = 1400);

  // Space for one message of len bytes, to be written by the caller before the next call;
  // nullptr (counted in oversize_dropped) if len cannot fit in any packet.
  std::uint8_t* begin_message(std::size_t len, Nanos ts_recv) {
    if (used_ + 2 + len > limit_ || count_ == 0xFFFE) {
      if (kHeader + 2 + len > limit_ || len > 0xFFFF) {
        ++stats_.oversize_dropped;
        return nullptr;
      }
      flush();
    }
    std::uint8_t* p = pkt_.data() + used_;
    p[0] = static_cast<std::uint8_t>(len >> 8);
    p[1] = static_cast<std::uint8_t>(len);
    used_ += 2 + len;
    ++count_;
    ts_ = ts_recv;
    return p + 2;
  }
  bool append(const std::uint8_t* msg, std::size_t len, Nanos ts_recv);

  void flush();                   // sends the current packet if it holds any message
  void heartbeat(Nanos ts_recv);  // flushes, then a count-0 packet carrying the next sequence
  void end_session(Nanos ts_recv);  // flushes, then a count-0xFFFF packet

  std::uint64_t next_seq() const noexcept { return next_seq_ + count_; }
  std::size_t pending_messages() const noexcept { return count_; }
  std::size_t payload_limit() const noexcept { return limit_; }
  const MoldWriterStats& stats() const noexcept { return stats_; }

 private:
  void send_control(Nanos ts, std::uint16_t count);
  PcapWriter& out_;
  std::array<char, 10> session_{};
  std::uint64_t next_seq_;  // sequence of the first message of the current packet
  std::size_t limit_;
  std::vector<std::uint8_t> pkt_;
  std::size_t used_ = kHeader;
  std::size_t count_ = 0;
  Nanos ts_ = 0;
  MoldWriterStats stats_;
};

}  // namespace hft::feed
