#include "hft/feed/pcap_writer.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "hft/core/byteorder.hpp"

namespace hft::feed {

bool parse_ipv4(std::string_view text, std::uint32_t& out) noexcept {
  std::uint32_t v = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    auto [q, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || q == p || octet > 255) return false;
    v = (v << 8) | octet;
    p = q;
    if (i < 3) {
      if (p == end || *p != '.') return false;
      ++p;
    }
  }
  if (p != end) return false;
  out = v;
  return true;
}

bool parse_endpoint(std::string_view text, std::uint32_t& ip, std::uint16_t& port) noexcept {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::uint32_t a = 0;
  if (!parse_ipv4(text.substr(0, colon), a)) return false;
  unsigned pt = 0;
  const auto ps = text.substr(colon + 1);
  auto [q, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), pt);
  if (ec != std::errc() || q != ps.data() + ps.size() || ps.empty() || pt > 65535) return false;
  ip = a;
  port = static_cast<std::uint16_t>(pt);
  return true;
}

std::uint16_t ipv4_checksum(const std::uint8_t* hdr, std::size_t len) noexcept {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += load_be<std::uint16_t>(hdr + i);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

PcapWriter::PcapWriter(const PcapWriterConfig& cfg) : cfg_(cfg) {
  if (cfg_.buffer_bytes < 2 * (16 + kFrameHeader + kMaxPayload))
    cfg_.buffer_bytes = 2 * (16 + kFrameHeader + kMaxPayload);
  f_ = std::fopen(cfg_.path.c_str(), "wb");
  if (!f_) throw std::runtime_error(cfg_.path + ": cannot create: " + std::strerror(errno));
  std::setvbuf(f_, nullptr, _IONBF, 0);  // we buffer ourselves
  buf_.resize(cfg_.buffer_bytes);
  // Multicast groups map to 01:00:5e + the low 23 bits of the group (RFC 1112); other
  // destinations get a fixed locally administered address.
  if ((cfg_.dst_ip >> 28) == 0xE) {
    dst_mac_ = {0x01, 0x00, 0x5e, static_cast<std::uint8_t>((cfg_.dst_ip >> 16) & 0x7F),
                static_cast<std::uint8_t>(cfg_.dst_ip >> 8), static_cast<std::uint8_t>(cfg_.dst_ip)};
  } else {
    dst_mac_ = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  }
  // Global header, written in our (little-endian) order as libpcap does; the nanosecond magic.
  std::uint8_t* p = buf_.data();
  store_le<std::uint32_t>(p, 0xa1b23c4d);
  store_le<std::uint16_t>(p + 4, 2);
  store_le<std::uint16_t>(p + 6, 4);
  store_le<std::uint32_t>(p + 8, 0);   // thiszone
  store_le<std::uint32_t>(p + 12, 0);  // sigfigs
  store_le<std::uint32_t>(p + 16, cfg_.snaplen);
  store_le<std::uint32_t>(p + 20, 1);  // LINKTYPE_ETHERNET
  used_ = 24;
  bytes_ = 24;
}

PcapWriter::~PcapWriter() {
  if (f_) {
    try {
      close();
    } catch (...) {
      // the destructor cannot report; close() is the checked path
    }
  }
}

void PcapWriter::drain() {
  if (used_ && f_) {
    if (std::fwrite(buf_.data(), 1, used_, f_) != used_)
      throw std::runtime_error(cfg_.path + ": write failed: " + std::strerror(errno));
  }
  used_ = 0;
}

void PcapWriter::close() {
  if (!f_) return;
  std::FILE* f = f_;
  try {
    drain();
  } catch (...) {
    f_ = nullptr;
    std::fclose(f);
    throw;
  }
  f_ = nullptr;
  if (std::fclose(f) != 0)
    throw std::runtime_error(cfg_.path + ": close failed: " + std::strerror(errno));
}

void PcapWriter::write_udp(Nanos ts_epoch_ns, const std::uint8_t* payload, std::size_t len) {
  if (len > kMaxPayload) {
    ++oversize_;
    return;
  }
  if (!f_) throw std::runtime_error(cfg_.path + ": write after close");
  const std::size_t frame = kFrameHeader + len;
  const std::size_t rec = 16 + frame;
  if (used_ + rec > buf_.size()) drain();
  std::uint8_t* p = buf_.data() + used_;
  const std::uint64_t t = ts_epoch_ns < 0 ? 0 : static_cast<std::uint64_t>(ts_epoch_ns);
  store_le<std::uint32_t>(p, static_cast<std::uint32_t>(t / 1000000000u));
  store_le<std::uint32_t>(p + 4, static_cast<std::uint32_t>(t % 1000000000u));
  const auto caplen = static_cast<std::uint32_t>(frame < cfg_.snaplen ? frame : cfg_.snaplen);
  store_le<std::uint32_t>(p + 8, caplen);
  store_le<std::uint32_t>(p + 12, static_cast<std::uint32_t>(frame));
  std::uint8_t* e = p + 16;
  std::memcpy(e, dst_mac_.data(), 6);
  std::memcpy(e + 6, cfg_.src_mac.data(), 6);
  store_be<std::uint16_t>(e + 12, 0x0800);
  std::uint8_t* ip = e + 14;
  ip[0] = 0x45;
  ip[1] = 0;
  store_be<std::uint16_t>(ip + 2, static_cast<std::uint16_t>(20 + 8 + len));
  store_be<std::uint16_t>(ip + 4, ip_id_++);
  store_be<std::uint16_t>(ip + 6, 0x4000);  // don't fragment
  ip[8] = cfg_.ttl;
  ip[9] = 17;  // UDP
  store_be<std::uint16_t>(ip + 10, 0);
  store_be<std::uint32_t>(ip + 12, cfg_.src_ip);
  store_be<std::uint32_t>(ip + 16, cfg_.dst_ip);
  store_be<std::uint16_t>(ip + 10, ipv4_checksum(ip, 20));
  std::uint8_t* udp = ip + 20;
  store_be<std::uint16_t>(udp, cfg_.src_port);
  store_be<std::uint16_t>(udp + 2, cfg_.dst_port);
  store_be<std::uint16_t>(udp + 4, static_cast<std::uint16_t>(8 + len));
  store_be<std::uint16_t>(udp + 6, 0);  // no checksum (allowed for IPv4)
  std::memcpy(udp + 8, payload, caplen - kFrameHeader);
  used_ += 16 + caplen;
  bytes_ += 16 + caplen;
  ++packets_;
}

MoldPacketizer::MoldPacketizer(PcapWriter& out, std::string_view session, std::uint64_t first_seq,
                               std::size_t payload_limit)
    : out_(out), next_seq_(first_seq), limit_(payload_limit) {
  if (limit_ < kHeader + 2 + 1 || limit_ > PcapWriter::kMaxPayload)
    throw std::invalid_argument("MoldUDP64 payload limit must be in [23, 65507]");
  session_.fill(' ');
  for (std::size_t i = 0; i < session_.size() && i < session.size(); ++i) session_[i] = session[i];
  pkt_.resize(limit_);
  std::memcpy(pkt_.data(), session_.data(), 10);
}

bool MoldPacketizer::append(const std::uint8_t* msg, std::size_t len, Nanos ts_recv) {
  std::uint8_t* p = begin_message(len, ts_recv);
  if (!p) return false;
  std::memcpy(p, msg, len);
  return true;
}

void MoldPacketizer::flush() {
  if (count_ == 0) return;
  store_be<std::uint64_t>(pkt_.data() + 10, next_seq_);
  store_be<std::uint16_t>(pkt_.data() + 18, static_cast<std::uint16_t>(count_));
  out_.write_udp(ts_, pkt_.data(), used_);
  ++stats_.packets;
  stats_.messages += count_;
  next_seq_ += count_;
  count_ = 0;
  used_ = kHeader;
}

void MoldPacketizer::send_control(Nanos ts, std::uint16_t count) {
  flush();
  std::uint8_t h[kHeader];
  std::memcpy(h, session_.data(), 10);
  store_be<std::uint64_t>(h + 10, next_seq_);
  store_be<std::uint16_t>(h + 18, count);
  out_.write_udp(ts, h, kHeader);
}

void MoldPacketizer::heartbeat(Nanos ts_recv) {
  send_control(ts_recv, 0);
  ++stats_.heartbeats;
}

void MoldPacketizer::end_session(Nanos ts_recv) {
  send_control(ts_recv, 0xFFFF);
  ++stats_.end_of_session;
}

}  // namespace hft::feed
