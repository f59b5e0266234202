// Pacing: every datagram has a due time on steady_clock, anchored to the first datagram
// (t0 + (ts - ts0) / speed, and no earlier than t0 + i / rate), so waiting errors never add up.
// Far-off due times are slept towards; the last stretch (PublishOptions::spin_us) is spun for
// accuracy.
#if defined(HFT_SANITIZE_THREAD)
// GCC 12 warns (-Wtsan) that the atomic_thread_fence in Asio's fenced blocks is not
// instrumented. Handlers never run across threads here, so the warning is silenced; it must
// come before the first include to cover the inlined standard headers.
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "hft/live/publisher.hpp"
#include "ipv4.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "hft/feed/moldudp64.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>

namespace hft::live {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// False when stopped first: a long wait (recorded pace over a quiet stretch) is slept in slices
// so that a stop request (SIGTERM) is seen within 50 ms. The last `spin` before the due time is
// spun (sleep_for overshoots by tens of microseconds); a sleep aims that much early.
bool wait_until(Clock::time_point due, std::chrono::microseconds spin, const std::atomic<bool>* stop) {
  const auto aim_early = spin * 2 / 3;
  for (;;) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return false;
    const auto now = Clock::now();
    if (now >= due) return true;
    const auto left = due - now;
    if (left > spin) std::this_thread::sleep_for(std::min<Clock::duration>(left - aim_early, std::chrono::milliseconds(50)));
  }
}

asio::ip::address_v4 publish_v4(const std::string& text, const char* what) { return detail::parse_v4(text, "publish", what); }

// The pcap's MoldUDP64 packets, held for re-requests: by (session, first sequence).
struct Held {
  std::array<char, 10> session;
  std::uint64_t seq;
  std::uint16_t count;
  std::vector<std::uint8_t> bytes;
};

// Answers re-requests on its own socket until `done`; counts into the atomics.
class RequestServer {
 public:
  RequestServer(const std::vector<Held>& packets, const std::string& addr, std::uint16_t port) : packets_(packets) {
    const auto ip = publish_v4(addr, "re-request server address");
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("publish: re-request socket: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(ip.to_uint());
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      throw std::runtime_error("publish: bind re-request server " + addr + ":" + std::to_string(port) + ": " + why);
    }
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RequestServer() {
    done_.store(true);
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  std::atomic<std::uint64_t> requests{0}, bad{0}, resent{0};

 private:
  void serve() {
    std::uint8_t buf[64];
    while (!done_.load(std::memory_order_relaxed)) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 0) continue;
      feed::MoldRequest rq;
      if (!feed::parse_mold_request({buf, static_cast<std::size_t>(n)}, rq) || rq.count == 0) {
        bad.fetch_add(1);
        continue;
      }
      // Packets of the session whose messages meet [sequence, sequence + count).
      const std::uint64_t end = rq.sequence + rq.count;
      auto it = std::lower_bound(packets_.begin(), packets_.end(), rq, [](const Held& h, const feed::MoldRequest& r) {
        return h.session != r.session ? h.session < r.session : h.seq + h.count <= r.sequence;
      });
      std::uint64_t sent = 0;
      for (; it != packets_.end() && it->session == rq.session && it->seq < end; ++it) {
        ::sendto(fd_, it->bytes.data(), it->bytes.size(), 0, reinterpret_cast<const sockaddr*>(&from), flen);
        ++sent;
      }
      if (sent == 0) bad.fetch_add(1);
      else requests.fetch_add(1);
      resent.fetch_add(sent);
    }
  }
  const std::vector<Held>& packets_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

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

  if (!(o.drop >= 0 && o.drop < 1)) throw std::invalid_argument("publish: drop must be in [0, 1)");
  PublishStats st;
  feed::UdpDatagram dg;
  // Serving re-requests: the whole pcap in memory first, sorted by (session, sequence).
  std::vector<Held> held;
  std::vector<std::pair<Nanos, std::size_t>> order;  // (capture time, index in held), send order
  std::unique_ptr<RequestServer> server;
  if (!o.serve_addr.empty()) {
    while ((o.max_datagrams == 0 || held.size() < o.max_datagrams) && reader.next(dg)) {
      feed::MoldHeader h;
      if (!feed::parse_mold_header(dg.payload, h)) h = {};
      order.emplace_back(dg.ts, held.size());
      held.push_back(Held{h.session, h.sequence, h.count == feed::kMoldEndOfSession ? std::uint16_t{0} : h.count,
                          std::vector<std::uint8_t>(dg.payload.begin(), dg.payload.end())});
    }
    std::vector<std::size_t> by_seq(held.size());
    for (std::size_t k = 0; k < by_seq.size(); ++k) by_seq[k] = k;
    std::stable_sort(by_seq.begin(), by_seq.end(), [&](std::size_t a, std::size_t b) {
      return held[a].session != held[b].session ? held[a].session < held[b].session : held[a].seq < held[b].seq;
    });
    std::vector<Held> sorted;
    std::vector<std::size_t> slot_of(held.size());
    sorted.reserve(held.size());
    for (std::size_t k = 0; k < by_seq.size(); ++k) {
      slot_of[by_seq[k]] = k;
      sorted.push_back(held[by_seq[k]]);
    }
    for (auto& [ts, idx] : order) idx = slot_of[idx];
    held.swap(sorted);
    // Heartbeats and empty packets answer nothing.
    server = std::make_unique<RequestServer>(held, o.serve_addr, o.serve_port);
    if (o.on_serving) o.on_serving(server->port());
  }
  std::size_t next_held = 0;
  const auto next_datagram = [&]() -> bool {
    if (!server) return reader.next(dg);
    if (next_held == order.size()) return false;
    const auto [ts, idx] = order[next_held++];
    dg.ts = ts;
    dg.payload = {held[idx].bytes.data(), held[idx].bytes.size()};
    return true;
  };
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  Clock::time_point t0{};
  Nanos ts0 = 0;
  const double ns_per_pkt = o.rate_limit_pps ? 1e9 / static_cast<double>(o.rate_limit_pps) : 0.0;
  std::uint64_t i = 0;
  std::vector<std::uint8_t> last_header;  // of the last packet: the heartbeat after the end
  for (; (o.max_datagrams == 0 || i < o.max_datagrams) && next_datagram(); ++i) {
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
      if (!wait_until(due, std::chrono::microseconds(o.spin_us), o.stop)) break;
    }
    if (dg.payload.size() >= feed::kMoldHeaderSize) last_header.assign(dg.payload.begin(), dg.payload.begin() + feed::kMoldHeaderSize);
    if (o.drop > 0 && uni(rng) < o.drop) {  // lost on the way
      ++st.dropped;
      if (o.on_sent) o.on_sent(i + 1);
      continue;
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
  if (server) {
    // Go on serving until stopped, with the session's heartbeat (the next sequence, count 0;
    // after an end of session the end of session again) so that a receiver sees a lost tail.
    if (last_header.size() == feed::kMoldHeaderSize) {
      feed::MoldHeader h;
      feed::parse_mold_header(last_header, h);
      if (h.count != feed::kMoldEndOfSession) {
        h.sequence += h.count;
        h.count = 0;
      }
      std::memcpy(last_header.data(), h.session.data(), 10);
      store_be<std::uint64_t>(last_header.data() + 10, h.sequence);
      store_be<std::uint16_t>(last_header.data() + 18, h.count);
    }
    auto next_beat = Clock::now();
    while (o.stop == nullptr || !o.stop->load(std::memory_order_relaxed)) {
      if (!last_header.empty() && Clock::now() >= next_beat) {
        s.send_to(asio::buffer(last_header.data(), last_header.size()), dst, 0, ec);
        next_beat = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.heartbeat_s));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    st.requests = server->requests.load();
    st.bad_requests = server->bad.load();
    st.resent = server->resent.load();
    server.reset();
  }
  st.pcap = reader.counters();
  return st;
}

}  // namespace hft::live
