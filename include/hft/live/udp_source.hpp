// The live feed: an EventSource over a UDP socket (unicast or multicast, Boost.Asio for set-up),
// feeding each datagram's payload into the same MoldUDP64 -> ITCH 5.0 path as pcap replay
// (feed::PacketDecoder). next() never blocks: it reads what the kernel has queued (until the
// socket would block or the span is full) and returns 0 when nothing is there ("nothing now",
// see EventSource::live()). One receive buffer, reused: no allocation per datagram.
//
// Times: ts_exch is the ITCH timestamp, ns since midnight (time_basis() SinceMidnight, as for
// pcap); ts_recv is the kernel's receive time of the datagram (SO_TIMESTAMPNS, CLOCK_REALTIME),
// ns since the Unix epoch, the same basis as a pcap capture time. Datagrams without a kernel
// stamp get clock_gettime(CLOCK_REALTIME) on arrival in next().
//
// Counters (in stats(), besides the "mold.*" and "itch.*" ones): "udp.datagrams", "udp.bytes";
// errors "udp.truncated" (datagram larger than max_datagram: dropped whole, like a cut pcap
// frame; MoldUDP64 sees the missing sequence as a gap) and "udp.errors" (recvmsg failed).
// May touch: feed/ (PacketDecoder, EventSource), Boost.Asio, POSIX sockets.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hft/core/event.hpp"
#include "hft/feed/packet_decoder.hpp"
#include "hft/feed/source.hpp"

namespace hft::live {

struct UdpOptions {
  std::string bind_addr = "0.0.0.0";  // for multicast, binding the group address keeps
                                      //   datagrams for other groups on the same port out
  std::uint16_t port = 0;             // 0 = ephemeral (see UdpSource::local_port())
  std::string multicast_group;        // empty = unicast
  std::string interface_addr = "0.0.0.0";  // interface (its IPv4 address) to join the group on
  std::size_t recv_buffer = 4u << 20;      // SO_RCVBUF asked for (the kernel may grant less)
  std::size_t max_datagram = 65536;        // receive buffer; larger datagrams count as truncated
  std::size_t max_datagrams_per_call = 256;  // next() returns after this many (bounded latency)
};

struct UdpCounters {
  std::uint64_t datagrams = 0;  // datagrams decoded
  std::uint64_t bytes = 0;      // their payload bytes
  std::uint64_t truncated = 0;  // error: larger than max_datagram (dropped)
  std::uint64_t errors = 0;     // error: recvmsg failed (other than would-block / EINTR)
};

class UdpSource final : public feed::EventSource {
 public:
  // Opens, configures and binds the socket, joins the group. Throws std::runtime_error naming
  // the step, the address and the system's reason.
  explicit UdpSource(const UdpOptions& opts);
  ~UdpSource() override;
  UdpSource(const UdpSource&) = delete;
  UdpSource& operator=(const UdpSource&) = delete;

  std::size_t next(std::span<MarketEvent> out) override;
  bool live() const noexcept override { return true; }
  feed::TimeBasis time_basis() const noexcept override { return feed::TimeBasis::SinceMidnight; }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return dec_.instruments(); }
  const feed::SourceStats& stats() const noexcept override { return stats_; }

  std::uint16_t local_port() const noexcept { return local_port_; }
  // SO_RCVBUF as the kernel reports it after the request (Linux doubles the asked value for
  // its bookkeeping and caps it at net.core.rmem_max).
  std::size_t recv_buffer_granted() const noexcept { return rcvbuf_granted_; }
  const UdpCounters& counters() const noexcept { return c_; }
  // A MoldUDP64 end-of-session packet has arrived.
  bool end_of_session() const noexcept { return dec_.mold().counters().end_of_session != 0; }
  // Waits up to timeout_ms for a datagram to be queued (poll); for idle loops that would rather
  // sleep than spin. True when one is ready or events are pending.
  bool wait_readable(int timeout_ms) const noexcept;
  const std::string& last_error() const noexcept { return last_error_; }  // of udp.errors

 private:
  struct Socket;  // Asio objects, kept out of this header
  std::unique_ptr<Socket> sock_;
  int fd_ = -1;
  std::uint16_t local_port_ = 0;
  std::size_t rcvbuf_granted_ = 0;
  std::size_t per_call_;
  std::vector<std::uint8_t> buf_;
  feed::PacketDecoder dec_;
  UdpCounters c_;
  std::uint64_t events_ = 0;
  std::string last_error_;
  feed::SourceStats stats_;
  feed::StatList stat_list_;
};

std::unique_ptr<feed::EventSource> open_udp_source(const UdpOptions& opts);

}  // namespace hft::live
