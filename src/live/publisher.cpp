// Pacing: every datagram has a due time on steady_clock, anchored to the first datagram
// (t0 + (ts - ts0) / speed, and no earlier than t0 + i / rate), so waiting errors never add up.
// Far-off due times are slept towards; the last stretch is spun for accuracy.
#if defined(__SANITIZE_THREAD__)
// GCC 12 warns (-Wtsan) that the atomic_thread_fence in Asio's fenced blocks is not
// instrumented. Handlers never run across threads here, so the warning is silenced; it must
// come before the first include to cover the inlined standard headers.
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "hft/live/publisher.hpp"
#include "ipv4.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>

namespace hft::live {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// False when stop was set meanwhile. Long waits (a recorded pause of hours) are slept in slices
// of at most 50 ms so that a stop request (SIGTERM) is seen promptly.
bool wait_until(Clock::time_point due, const std::atomic<bool>* stop) {
  for (;;) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return false;
    const auto now = Clock::now();
    if (now >= due) return true;
    const auto left = due - now;
    if (left > std::chrono::microseconds(300))
      std::this_thread::sleep_for(std::min<Clock::duration>(left - std::chrono::microseconds(200), std::chrono::milliseconds(50)));
    // else spin: sleep_for overshoots by tens of microseconds
  }
}

asio::ip::address_v4 publish_v4(const std::string& text, const char* what) { return detail::parse_v4(text, "publish", what); }

}  // namespace

PublishStats publish_pcap(const PublishOptions& o) {
  if (o.speed < 0) throw std::invalid_argument("publish: speed must be >= 0");
  feed::PcapReader reader(o.input, o.filter);
  const auto dst_ip = publish_v4(o.to_addr, "destination");
  const asio::ip::udp::endpoint dst(dst_ip, o.to_port);
  const std::string where = o.to_addr + ":" + std::to_string(o.to_port);

  asio::io_context io;
  asio::ip::udp::socket s(io);
  boost::system::error_code ec;
  s.open(asio::ip::udp::v4(), ec);
  if (ec) throw std::runtime_error("publish: cannot open a socket: " + ec.message());
  s.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);  // best effort
  if (dst_ip.is_multicast()) {
    s.set_option(asio::ip::multicast::hops(o.ttl), ec);
    if (ec) throw std::runtime_error("publish: multicast TTL " + std::to_string(o.ttl) + ": " + ec.message());
    s.set_option(asio::ip::multicast::enable_loopback(o.loopback), ec);
    if (ec) throw std::runtime_error("publish: multicast loopback: " + ec.message());
    if (!o.interface_addr.empty()) {
      s.set_option(asio::ip::multicast::outbound_interface(publish_v4(o.interface_addr, "interface")), ec);
      if (ec) throw std::runtime_error("publish: outbound interface " + o.interface_addr + ": " + ec.message());
    }
  }

  PublishStats st;
  feed::UdpDatagram dg;
  Clock::time_point t0{};
  Nanos ts0 = 0;
  const double ns_per_pkt = o.rate_limit_pps ? 1e9 / static_cast<double>(o.rate_limit_pps) : 0.0;
  std::uint64_t i = 0;
  for (; (o.max_datagrams == 0 || i < o.max_datagrams) && reader.next(dg); ++i) {
    if (o.stop != nullptr && o.stop->load(std::memory_order_relaxed)) break;
    if (i == 0) {
      t0 = Clock::now();
      ts0 = dg.ts;
    } else {
      Clock::time_point due = t0;
      if (o.speed > 0 && dg.ts > ts0)
        due += std::chrono::nanoseconds(static_cast<Nanos>(static_cast<double>(dg.ts - ts0) / o.speed));
      if (ns_per_pkt > 0)
        due = std::max(due, t0 + std::chrono::nanoseconds(static_cast<Nanos>(ns_per_pkt * static_cast<double>(i))));
      if (!wait_until(due, o.stop)) break;
    }
    s.send_to(asio::buffer(dg.payload.data(), dg.payload.size()), dst, 0, ec);
    if (ec) {
      ++st.send_errors;
      st.last_error = where + ": " + ec.message();
    } else {
      ++st.datagrams;
      st.bytes += dg.payload.size();
    }
    if (o.on_sent) o.on_sent(i + 1);
  }
  if (i != 0) st.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
  st.pcap = reader.counters();
  return st;
}

}  // namespace hft::live
