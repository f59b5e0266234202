// The live feed: an EventSource over a UDP socket (unicast or multicast, Boost.Asio for set-up),
// feeding each datagram's payload into the same MoldUDP64 -> ITCH 5.0 path as pcap replay
// (feed::PacketDecoder). next() never blocks: it reads what the kernel has queued (until the
// socket would block or the span is full) and returns 0 when nothing is there ("nothing now",
// see EventSource::live()). One receive buffer, reused: no allocation per datagram.
//
// Who may drive it: datagrams from senders outside the allow-list (UdpOptions::sources) are
// counted and dropped; a unicast socket is bound exclusively (no SO_REUSEADDR: a second process
// on the same port fails to start instead of silently taking the stream); a multicast socket
// shares its port (other listeners of the group get copies, nobody takes ours) and is bound to
// the group address, so datagrams to other destinations on the port never reach it.
// Sessions are tracked live (feed::MoldOptions::expect_from_start): a start mid-session is a gap
// from sequence 1, and instruments are stale until the session is complete.
//
// Gap recovery (UdpOptions::rerequest_addr set): packets beyond a hole are held
// (feed::MoldHoldBuffer) and the hole is asked for from the re-request server by the MoldUDP64
// request packet, from a second socket connected to it (so only the server can answer); the
// answers are ordinary downstream packets, applied in order. feed::MoldRecovery schedules the
// requests (one in flight, timeout, retries, rate); a hole given up is lost (stale), counted.
//
// Times: ts_exch is the ITCH timestamp, ns since midnight (time_basis() SinceMidnight, as for
// pcap); ts_recv is the kernel's receive time of the datagram (SO_TIMESTAMPNS, CLOCK_REALTIME),
// ns since the Unix epoch, the same basis as a pcap capture time. Datagrams without a kernel
// stamp get clock_gettime(CLOCK_REALTIME) on arrival in next().
//
// Counters (in stats(), besides the "mold.*" and "itch.*" ones): "udp.datagrams", "udp.bytes",
// "udp.replies" (datagrams from the re-request server), "recovery.requests", "recovery.retries";
// errors "udp.truncated" (datagram larger than max_datagram: dropped whole, like a cut pcap
// frame; MoldUDP64 sees the missing sequence as a gap), "udp.errors" (recvmsg failed),
// "udp.foreign_source" (sender not allowed), "udp.kernel_drops" (the kernel's count of datagrams
// dropped for a full receive queue, SO_RXQ_OVFL), "recovery.give_ups", "recovery.send_errors".
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
  // Senders allowed: "ADDR" (any port) or "ADDR:PORT", dotted IPv4. Empty = any sender.
  std::vector<std::string> sources;
  feed::MoldOptions mold = feed::MoldOptions::live();  // hold_gaps is set from rerequest_addr
  // Re-request server (MoldUDP64 request packets); "" = no recovery (a hole is lost at once).
  std::string rerequest_addr;
  std::uint16_t rerequest_port = 0;
  feed::RecoveryOptions recovery;
  std::size_t hold_packets = 8192;  // packets held beyond a hole (slots of 2 KiB, allocated at start)
};

struct UdpCounters {
  std::uint64_t datagrams = 0;  // datagrams decoded
  std::uint64_t bytes = 0;      // their payload bytes
  std::uint64_t truncated = 0;  // error: larger than max_datagram (dropped)
  std::uint64_t errors = 0;     // error: recvmsg failed (other than would-block / EINTR)
  std::uint64_t foreign_source = 0;  // error: sender not in the allow-list (dropped)
  std::uint64_t kernel_drops = 0;    // error: the kernel's drop count of the feed socket (SO_RXQ_OVFL)
  std::uint64_t replies = 0;         // datagrams from the re-request server
  std::uint64_t send_errors = 0;     // error: a re-request could not be sent
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
  const feed::MoldTracker& mold() const noexcept { return dec_.mold(); }
  const feed::RecoveryCounters& recovery() const noexcept { return rec_.counters(); }
  // Waits up to timeout_ms for a datagram to be queued (poll); for idle loops that would rather
  // sleep than spin. True when one is ready or events are pending.
  bool wait_readable(int timeout_ms) const noexcept;
  const std::string& last_error() const noexcept { return last_error_; }  // of udp.errors

 private:
  struct Socket;  // Asio objects, kept out of this header
  struct Allowed {
    std::uint32_t ip;    // host order
    std::uint16_t port;  // 0 = any
  };
  // Reads and decodes one datagram from fd into out; false when nothing more is queued.
  bool read_one(int fd, bool check_source, std::span<MarketEvent> out, std::size_t& n);
  void recover();  // asks for the current hole, or gives it up

  std::unique_ptr<Socket> sock_;
  int fd_ = -1;
  int req_fd_ = -1;  // connected to the re-request server (-1: no recovery)
  std::vector<Allowed> allowed_;
  feed::MoldRecovery rec_;
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
