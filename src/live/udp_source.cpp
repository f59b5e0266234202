// UDP receive path: Asio opens, configures, binds and joins; the per-datagram loop is a plain
// non-blocking recvmsg on the native descriptor so that MSG_TRUNC, the sender's address, the
// kernel's receive stamp (SO_TIMESTAMPNS) and drop count (SO_RXQ_OVFL) are visible, which Asio's
// receive_from does not expose.
#if defined(HFT_SANITIZE_THREAD)
// GCC 12 warns (-Wtsan) that the atomic_thread_fence in Asio's fenced blocks is not
// instrumented. Handlers never run across threads here, so the warning is silenced; it must
// come before the first include to cover the inlined standard headers.
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "hft/live/udp_source.hpp"
#include "ipv4.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>

namespace hft::live {

namespace asio = boost::asio;

struct UdpSource::Socket {
  asio::io_context io;
  asio::ip::udp::socket sock{io};
};

namespace {

asio::ip::address_v4 source_v4(const std::string& text, const char* what) { return detail::parse_v4(text, "udp source", what); }

[[noreturn]] void fail(const std::string& step, const std::string& where, const boost::system::error_code& ec) {
  throw std::runtime_error("udp source: " + step + " " + where + ": " + ec.message());
}

Nanos realtime_now() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
Nanos monotonic_now() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// "ADDR" or "ADDR:PORT" (port 1..65535).
bool parse_allowed(const std::string& text, std::uint32_t& ip, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  const std::string addr = colon == std::string::npos ? text : text.substr(0, colon);
  port = 0;
  if (colon != std::string::npos) {
    const std::string p = text.substr(colon + 1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
    const unsigned long v = std::stoul(p);
    if (v == 0 || v > 65535) return false;
    port = static_cast<std::uint16_t>(v);
  }
  boost::system::error_code ec;
  const auto a = asio::ip::make_address_v4(addr, ec);
  if (ec) return false;
  ip = a.to_uint();
  return true;
}

}  // namespace

UdpSource::UdpSource(const UdpOptions& o)
    : sock_(std::make_unique<Socket>()),
      rec_(o.recovery),
      per_call_(o.max_datagrams_per_call == 0 ? 1 : o.max_datagrams_per_call),
      buf_(o.max_datagram == 0 ? 1 : o.max_datagram),
      dec_([&] {
        feed::MoldOptions m = o.mold;
        m.hold_gaps = !o.rerequest_addr.empty();
        return m;
      }(), o.hold_packets) {
  const auto bind_ip = source_v4(o.bind_addr, "bind address");
  const bool mcast = !o.multicast_group.empty();
  const auto group = mcast ? source_v4(o.multicast_group, "multicast group") : asio::ip::address_v4();
  const auto iface = source_v4(o.interface_addr.empty() ? std::string("0.0.0.0") : o.interface_addr, "interface address");
  if (mcast && !group.is_multicast())
    throw std::runtime_error("udp source: " + o.multicast_group + " is not a multicast address (224.0.0.0/4)");
  if (mcast && bind_ip != group && !bind_ip.is_unspecified())
    throw std::runtime_error("udp source: a multicast feed binds its group " + o.multicast_group + ", not " + o.bind_addr);
  for (const std::string& a : o.sources) {
    Allowed al{};
    if (!parse_allowed(a, al.ip, al.port))
      throw std::runtime_error("udp source: allowed source '" + a + "' is not ADDR or ADDR:PORT (dotted IPv4, port 1..65535)");
    allowed_.push_back(al);
  }
  const std::string where = o.bind_addr + ":" + std::to_string(o.port);

  auto& s = sock_->sock;
  boost::system::error_code ec;
  s.open(asio::ip::udp::v4(), ec);
  if (ec) fail("open socket for", where, ec);
  // Unicast: exclusive. With SO_REUSEADDR a second process could bind the same port and the
  // kernel would hand it our stream. Multicast: each listener of the group gets its own copy, so
  // sharing the port takes nothing from us (and lets a capture tool listen beside us).
  if (mcast) {
    s.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) fail("SO_REUSEADDR on", where, ec);
  }
  s.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(o.recv_buffer)), ec);
  if (ec) fail("SO_RCVBUF on", where, ec);
  asio::socket_base::receive_buffer_size granted;
  s.get_option(granted, ec);
  rcvbuf_granted_ = ec ? 0 : static_cast<std::size_t>(granted.value());
  fd_ = s.native_handle();
  const int one = 1;
  // Kernel receive stamps; without them (never seen on Linux) next() stamps on arrival.
  (void)::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
#ifdef SO_RXQ_OVFL
  (void)::setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);  // drop count with each datagram
#endif
  s.bind(asio::ip::udp::endpoint(bind_ip, o.port), ec);
  if (ec == boost::system::errc::address_in_use)
    throw std::runtime_error("udp source: bind " + where + ": " + ec.message() +
                             " (another process, perhaps a second hftd, already receives this feed)");
  if (ec) fail("bind", where, ec);
  local_port_ = s.local_endpoint(ec).port();
  if (mcast) {
#ifdef IP_MULTICAST_ALL
    // Linux delivers every group joined by any socket to a socket bound to 0.0.0.0:port unless
    // this is off; we want only our own group.
    const int zero = 0;
    (void)::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
#endif
    s.set_option(asio::ip::multicast::join_group(group, iface), ec);
    if (ec) fail("join group " + o.multicast_group + " on interface " + o.interface_addr + " for", where, ec);
  }
  s.non_blocking(true, ec);
  if (ec) fail("non-blocking mode on", where, ec);

  if (!o.rerequest_addr.empty()) {
    const auto srv = source_v4(o.rerequest_addr, "re-request server");
    const std::string rwhere = o.rerequest_addr + ":" + std::to_string(o.rerequest_port);
    if (o.rerequest_port == 0) throw std::runtime_error("udp source: re-request server " + rwhere + " needs a port");
    req_fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (req_fd_ < 0) throw std::runtime_error(std::string("udp source: re-request socket: ") + std::strerror(errno));
    (void)::setsockopt(req_fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    const int rb = static_cast<int>(o.recv_buffer);
    (void)::setsockopt(req_fd_, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(o.rerequest_port);
    a.sin_addr.s_addr = htonl(srv.to_uint());
    // Connected: the kernel passes on only the server's datagrams, and send() needs no address.
    if (::connect(req_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
      const std::string why = std::strerror(errno);
      ::close(req_fd_);
      throw std::runtime_error("udp source: connect to re-request server " + rwhere + ": " + why);
    }
  }

  stat_list_.add("udp.datagrams", &c_.datagrams, false);
  stat_list_.add("udp.bytes", &c_.bytes, false);
  stat_list_.add("udp.replies", &c_.replies, false);
  stat_list_.add("udp.truncated", &c_.truncated, true);
  stat_list_.add("udp.errors", &c_.errors, true);
  stat_list_.add("udp.foreign_source", &c_.foreign_source, true);
  stat_list_.add("udp.kernel_drops", &c_.kernel_drops, true);
  stat_list_.add("recovery.requests", &rec_.counters().requests, false);
  stat_list_.add("recovery.retries", &rec_.counters().retries, false);
  stat_list_.add("recovery.give_ups", &rec_.counters().give_ups, true);
  stat_list_.add("recovery.send_errors", &c_.send_errors, true);
  dec_.add_stats(stat_list_);
}

UdpSource::~UdpSource() {
  if (req_fd_ >= 0) ::close(req_fd_);
}

bool UdpSource::read_one(int fd, bool check_source, std::span<MarketEvent> out, std::size_t& n) {
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(std::uint32_t))];
  for (;;) {
    iovec iov{buf_.data(), buf_.size()};
    sockaddr_in from{};
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctrl;
    mh.msg_controllen = sizeof ctrl;
    const ssize_t r = ::recvmsg(fd, &mh, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED) return false;  // refused: no server (yet)
      ++c_.errors;  // e.g. ENOMEM; tried again on the next call
      last_error_ = std::strerror(errno);
      return false;
    }
    Nanos ts = 0;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm != nullptr; cm = CMSG_NXTHDR(&mh, cm)) {
      if (cm->cmsg_level != SOL_SOCKET) continue;
      if (cm->cmsg_type == SCM_TIMESTAMPNS) {
        timespec t{};
        std::memcpy(&t, CMSG_DATA(cm), sizeof t);
        ts = static_cast<Nanos>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
      }
#ifdef SO_RXQ_OVFL
      else if (cm->cmsg_type == SO_RXQ_OVFL) {
        std::uint32_t drops = 0;
        std::memcpy(&drops, CMSG_DATA(cm), sizeof drops);
        c_.kernel_drops = drops;  // the socket's running total
      }
#endif
    }
    if (check_source && !allowed_.empty()) {
      const std::uint32_t ip = ntohl(from.sin_addr.s_addr);
      const std::uint16_t port = ntohs(from.sin_port);
      bool ok = false;
      for (const Allowed& a : allowed_) ok = ok || (a.ip == ip && (a.port == 0 || a.port == port));
      if (!ok) [[unlikely]] {
        ++c_.foreign_source;
        return true;
      }
    }
    if (mh.msg_flags & MSG_TRUNC) [[unlikely]] {
      ++c_.truncated;
      return true;
    }
    if (ts == 0) [[unlikely]] ts = realtime_now();
    ++c_.datagrams;
    c_.replies += !check_source;
    c_.bytes += static_cast<std::uint64_t>(r);
    n += dec_.decode({buf_.data(), static_cast<std::size_t>(r)}, ts, out.data() + n, out.size() - n);
    return true;
  }
}

// One request in flight for the first hole; a hole given up releases what was held after it.
void UdpSource::recover() {
  if (!dec_.mold().behind()) return;
  feed::MoldRequest rq;
  switch (rec_.poll(dec_.mold().session(), dec_.mold().expected(), dec_.hole_end(), monotonic_now(), rq)) {
    case feed::MoldRecovery::Step::Send: {
      std::uint8_t pkt[feed::kMoldRequestSize];
      feed::encode_mold_request(rq, pkt);
      if (::send(req_fd_, pkt, sizeof pkt, MSG_DONTWAIT) != static_cast<ssize_t>(sizeof pkt)) ++c_.send_errors;
      break;
    }
    case feed::MoldRecovery::Step::GiveUp: dec_.abandon_hole(); break;
    case feed::MoldRecovery::Step::Idle:
    case feed::MoldRecovery::Step::Wait: break;
  }
}

std::size_t UdpSource::next(std::span<MarketEvent> out) {
  std::size_t n = dec_.flush(out.data(), out.size());
  for (std::size_t reads = 0; n < out.size() && reads < per_call_; ++reads) {
    if (!read_one(fd_, true, out, n)) break;
    if (dec_.holding()) n += dec_.flush(out.data() + n, out.size() - n);
  }
  if (req_fd_ >= 0) {
    // Answers first (they fill the hole the held packets wait on), then the next request.
    for (std::size_t reads = 0; n < out.size() && reads < per_call_; ++reads) {
      if (!read_one(req_fd_, false, out, n)) break;
      if (dec_.holding()) n += dec_.flush(out.data() + n, out.size() - n);
    }
    recover();
    if (dec_.holding()) n += dec_.flush(out.data() + n, out.size() - n);
  }
  events_ += n;
  stat_list_.sync(stats_, events_);  // after every batch: see StatList::sync
  return n;
}

bool UdpSource::wait_readable(int timeout_ms) const noexcept {
  if (dec_.pending() != 0) return true;
  if (dec_.holding() && dec_.hold_front_ready()) return true;
  pollfd p[2] = {{fd_, POLLIN, 0}, {req_fd_, POLLIN, 0}};
  // While a hole is open, wake up in time for the request schedule.
  if (req_fd_ >= 0 && dec_.mold().behind() && timeout_ms > 1) timeout_ms = 1;
  return ::poll(p, req_fd_ >= 0 ? 2 : 1, timeout_ms) > 0;
}

std::unique_ptr<feed::EventSource> open_udp_source(const UdpOptions& opts) {
  return std::make_unique<UdpSource>(opts);
}

}  // namespace hft::live
