// UDP receive path: Asio opens, configures, binds and joins; the per-datagram loop is a plain
// non-blocking recvmsg on the native descriptor so that MSG_TRUNC and the kernel's receive
// stamp (SO_TIMESTAMPNS) are visible, which Asio's receive_from does not expose.
#if defined(__SANITIZE_THREAD__)
// GCC 12 warns (-Wtsan) that the atomic_thread_fence in Asio's fenced blocks is not
// instrumented. Handlers never run across threads here, so the warning is silenced; it must
// come before the first include to cover the inlined standard headers.
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "hft/live/udp_source.hpp"
#include "ipv4.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>

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

}  // namespace

UdpSource::UdpSource(const UdpOptions& o)
    : sock_(std::make_unique<Socket>()),
      per_call_(o.max_datagrams_per_call == 0 ? 1 : o.max_datagrams_per_call),
      buf_(o.max_datagram == 0 ? 1 : o.max_datagram) {
  const auto bind_ip = source_v4(o.bind_addr, "bind address");
  const bool mcast = !o.multicast_group.empty();
  const auto group = mcast ? source_v4(o.multicast_group, "multicast group") : asio::ip::address_v4();
  const auto iface = source_v4(o.interface_addr.empty() ? std::string("0.0.0.0") : o.interface_addr, "interface address");
  if (mcast && !group.is_multicast())
    throw std::runtime_error("udp source: " + o.multicast_group + " is not a multicast address (224.0.0.0/4)");
  const std::string where = o.bind_addr + ":" + std::to_string(o.port);

  auto& s = sock_->sock;
  boost::system::error_code ec;
  s.open(asio::ip::udp::v4(), ec);
  if (ec) fail("open socket for", where, ec);
  s.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) fail("SO_REUSEADDR on", where, ec);
  s.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(o.recv_buffer)), ec);
  if (ec) fail("SO_RCVBUF on", where, ec);
  asio::socket_base::receive_buffer_size granted;
  s.get_option(granted, ec);
  rcvbuf_granted_ = ec ? 0 : static_cast<std::size_t>(granted.value());
  fd_ = s.native_handle();
  const int one = 1;
  // Kernel receive stamps; without them (never seen on Linux) next() stamps on arrival.
  (void)::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  s.bind(asio::ip::udp::endpoint(bind_ip, o.port), ec);
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

  stat_list_.add("udp.datagrams", &c_.datagrams, false);
  stat_list_.add("udp.bytes", &c_.bytes, false);
  stat_list_.add("udp.truncated", &c_.truncated, true);
  stat_list_.add("udp.errors", &c_.errors, true);
  dec_.add_stats(stat_list_);
}

UdpSource::~UdpSource() = default;

std::size_t UdpSource::next(std::span<MarketEvent> out) {
  std::size_t n = dec_.drain(out.data(), out.size());
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(timespec))];
  for (std::size_t reads = 0; n < out.size() && reads < per_call_; ++reads) {
    iovec iov{buf_.data(), buf_.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctrl;
    mh.msg_controllen = sizeof ctrl;
    const ssize_t r = ::recvmsg(fd_, &mh, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      ++c_.errors;  // e.g. ENOMEM; tried again on the next call
      last_error_ = std::strerror(errno);
      break;
    }
    if (mh.msg_flags & MSG_TRUNC) [[unlikely]] {
      ++c_.truncated;
      continue;
    }
    Nanos ts = 0;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm != nullptr; cm = CMSG_NXTHDR(&mh, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
        timespec t{};
        std::memcpy(&t, CMSG_DATA(cm), sizeof t);
        ts = static_cast<Nanos>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
      }
    }
    if (ts == 0) [[unlikely]] ts = realtime_now();
    ++c_.datagrams;
    c_.bytes += static_cast<std::uint64_t>(r);
    n += dec_.decode({buf_.data(), static_cast<std::size_t>(r)}, ts, out.data() + n, out.size() - n);
  }
  events_ += n;
  stat_list_.sync(stats_, events_);
  return n;
}

bool UdpSource::wait_readable(int timeout_ms) const noexcept {
  if (dec_.pending() != 0) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

std::unique_ptr<feed::EventSource> open_udp_source(const UdpOptions& opts) {
  return std::make_unique<UdpSource>(opts);
}

}  // namespace hft::live
