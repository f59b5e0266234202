// The live feed under a misbehaving network, over loopback: a publisher that drops a seeded 5% of
// the datagrams and serves MoldUDP64 re-requests -> every gap recovered, the same events as the
// pcap source; the same with nobody answering -> the holes given up, stale, counted; hostile
// datagrams mixed into the stream (a heartbeat at 2^63 with the session's id, another session's
// packets, unsequenced packets) -> the same events, each counted; senders outside the allow-list
// dropped; a second receiver on the port refused. Loops poll with a give-up time that only
// keeps a bug from hanging the suite; nothing asserts a duration.
#if defined(HFT_SANITIZE_THREAD)
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "../feed/wire_util.hpp"
#include "hft/feed/pcap_source.hpp"
#include "hft/gen/generator.hpp"
#include "hft/live/publisher.hpp"
#include "hft/live/udp_source.hpp"

namespace recovery_test {  // named: the module's test files are built as one unit

using hft::MarketEvent;
using hft::live::UdpOptions;
using hft::live::UdpSource;
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;

constexpr auto kHangGuard = std::chrono::seconds(60);

std::uint64_t stat(const hft::feed::SourceStats& s, const std::string& name) {
  auto it = s.counts.find(name);
  if (it != s.counts.end()) return it->second;
  it = s.errors.find(name);
  return it == s.errors.end() ? 0 : it->second;
}

std::string small_day(const std::string& name) {
  std::filesystem::create_directories(HFT_TEST_TMP);
  hft::gen::GenConfig c;
  c.seed = 11;
  c.instruments = 3;
  c.messages = 3000;
  c.heartbeat_ns = 0;
  c.out_path = std::string(HFT_TEST_TMP) + "/recovery_" + name + ".pcap";
  hft::gen::generate_pcap(c);
  return c.out_path;
}

std::vector<MarketEvent> file_events(const std::string& path) {
  auto src = hft::feed::open_pcap_source(path, {});
  std::vector<MarketEvent> all, buf(hft::feed::kMaxBatch);
  while (const std::size_t n = src->next(buf)) all.insert(all.end(), buf.begin(), buf.begin() + static_cast<long>(n));
  return all;
}

std::uint16_t unused_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Every field but the stale flag (a lost first packet makes the catch-up stale; checked apart).
void expect_same(const std::vector<MarketEvent>& want, const std::vector<MarketEvent>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    ASSERT_EQ(want[i].ts_exch, got[i].ts_exch);
    ASSERT_EQ(want[i].order_id, got[i].order_id);
    ASSERT_EQ(want[i].price, got[i].price);
    ASSERT_EQ(want[i].qty, got[i].qty);
    ASSERT_EQ(want[i].instrument, got[i].instrument);
    ASSERT_EQ(want[i].kind, got[i].kind);
    ASSERT_EQ(want[i].flags & ~hft::evflag::kStale, got[i].flags & ~hft::evflag::kStale);
  }
}

// Publishes from a thread (until stopped, when serving), receives until done(rx).
struct Outcome {
  hft::live::PublishStats st;
  std::vector<MarketEvent> got;
  bool done = false;
};
template <class Done>
Outcome publish_receive(UdpSource& rx, hft::live::PublishOptions p, Done done) {
  Outcome r;
  std::atomic<bool> stop{false}, finished{false};
  p.stop = &stop;
  std::thread pub([&] {
    r.st = hft::live::publish_pcap(p);
    finished.store(true);
  });
  std::vector<MarketEvent> buf(hft::feed::kMaxBatch);
  const auto guard = Clock::now() + kHangGuard;
  while (Clock::now() < guard) {
    const std::size_t n = rx.next(buf);
    r.got.insert(r.got.end(), buf.begin(), buf.begin() + static_cast<long>(n));
    if (n == 0) {
      if (done(rx, finished.load())) {
        r.done = true;
        break;
      }
      rx.wait_readable(5);
    }
  }
  stop.store(true);
  pub.join();
  return r;
}

UdpOptions loopback_rx() {
  UdpOptions uo;
  uo.bind_addr = "127.0.0.1";
  uo.recv_buffer = 8u << 20;
  return uo;
}

// path sent to port on loopback as fast as it takes them (20,000 a second), a share `drop` of
// the datagrams lost on the way (seed 7).
hft::live::PublishOptions publish_to(const std::string& path, std::uint16_t port, double drop) {
  hft::live::PublishOptions p;
  p.input = path;
  p.to_addr = "127.0.0.1";
  p.to_port = port;
  p.speed = 0;
  p.rate_limit_pps = 20'000;
  p.spin_us = 0;  // sleep between datagrams: no core held beside the receiver
  p.drop = drop;
  p.seed = 7;
  return p;
}

TEST(Recovery, DroppedDatagramsAreRecoveredInOrder) {
  const std::string path = small_day("drop");
  const std::vector<MarketEvent> want = file_events(path);
  ASSERT_GT(want.size(), 2000u);
  UdpOptions uo = loopback_rx();
  uo.rerequest_addr = "127.0.0.1";
  uo.rerequest_port = unused_udp_port();
  uo.recovery.timeout = 200'000'000;  // loopback answers in microseconds; a slow CI box may not
  uo.recovery.retries = 50;
  UdpSource rx(uo);
  hft::live::PublishOptions p = publish_to(path, rx.local_port(), 0.05);
  p.serve_addr = "127.0.0.1";
  p.serve_port = uo.rerequest_port;
  const std::size_t n_want = want.size();
  const Outcome r = publish_receive(rx, p, [&](const UdpSource& s, bool) {
    return s.stats().events == n_want && !s.mold().behind();
  });
  ASSERT_TRUE(r.done) << "events " << rx.stats().events << " of " << n_want << ", behind "
                      << rx.mold().counters().behind_msgs;
  EXPECT_GT(r.st.dropped, 50u);
  expect_same(want, r.got);
  const auto& c = rx.mold().counters();
  EXPECT_GT(c.gaps, 50u);
  EXPECT_EQ(c.lost_msgs, 0u);
  EXPECT_EQ(c.unrecovered_gaps, 0u);
  EXPECT_EQ(c.stale, 0u);
  EXPECT_GE(rx.recovery().requests, c.gaps);
  EXPECT_GT(stat(rx.stats(), "udp.replies"), 0u);
  EXPECT_EQ(stat(rx.stats(), "mold.stale"), 0u);
}

TEST(Recovery, WithoutAnswersHolesAreGivenUpAndStayStale) {
  const std::string path = small_day("noserver");
  const std::vector<MarketEvent> want = file_events(path);
  UdpOptions uo = loopback_rx();
  uo.rerequest_addr = "127.0.0.1";
  uo.rerequest_port = unused_udp_port();  // nobody there
  uo.recovery.timeout = 5'000'000;
  uo.recovery.retries = 1;
  UdpSource rx(uo);
  hft::live::PublishOptions p = publish_to(path, rx.local_port(), 0.05);
  const Outcome r = publish_receive(rx, p, [&](const UdpSource& s, bool finished) {
    return finished && s.stats().events + s.mold().counters().lost_msgs >= want.size() && !s.mold().behind();
  });
  ASSERT_TRUE(r.done);
  const auto& c = rx.mold().counters();
  EXPECT_GT(c.unrecovered_gaps, 0u);
  EXPECT_GT(c.lost_msgs, 0u);
  EXPECT_EQ(c.stale, 1u);
  EXPECT_TRUE(rx.mold().stale(1));
  EXPECT_GT(rx.recovery().give_ups, 0u);
  EXPECT_LT(r.got.size(), want.size());
  // Events after the first hole given up carry the stale flag.
  EXPECT_TRUE(r.got.back().flags & hft::evflag::kStale);
}

// Hostile datagrams between the real ones: the stream is untouched, each one counted.
TEST(Recovery, PoisonForeignAndUnsequencedDatagramsChangeNothing) {
  const std::string path = small_day("poison");
  const std::vector<MarketEvent> want = file_events(path);
  UdpOptions uo = loopback_rx();
  UdpSource rx(uo);
  asio::io_context io;
  asio::ip::udp::socket evil(io, asio::ip::udp::v4());
  const asio::ip::udp::endpoint to(asio::ip::make_address_v4("127.0.0.1"), rx.local_port());
  const auto add = wire_test::itch_add(1, 34'300'000'000'000, 999999, 'B', 100, 1'000'000, "SYM0000");
  const std::vector<wire_test::Bytes> bad = {
      wire_test::mold("HFTGEN0001", std::uint64_t{1} << 63, {}),      // poison heartbeat
      wire_test::mold("HFTGEN0001", std::uint64_t{1} << 62, {add}),   // a far jump, never continued
      wire_test::mold("EVIL000001", 5, {add}),                        // another session, one message
      wire_test::mold("EVIL000002", 1, {}),                           // another session from 1, empty
      wire_test::mold("HFTGEN0001", 0, {add}),                        // unsequenced
  };
  hft::live::PublishOptions p = publish_to(path, rx.local_port(), 0);
  std::size_t k = 0;
  p.on_sent = [&](std::uint64_t sent) {
    if (sent % 200 == 100 && sent > 100)  // after the session is locked
      for (const auto& b : bad) evil.send_to(asio::buffer(b.data(), b.size()), to), ++k;
  };
  const std::size_t n_want = want.size();
  const Outcome r = publish_receive(rx, p, [&](const UdpSource& s, bool finished) {
    return finished && s.stats().events == n_want;
  });
  ASSERT_TRUE(r.done) << rx.stats().events << " of " << n_want;
  ASSERT_GT(k, 0u);
  expect_same(want, r.got);
  for (const MarketEvent& e : r.got) ASSERT_FALSE(e.flags & hft::evflag::kStale);
  const auto& c = rx.mold().counters();
  const std::uint64_t rounds = k / bad.size();
  EXPECT_EQ(c.implausible, 2 * rounds);
  EXPECT_EQ(c.foreign_packets, 2 * rounds);
  EXPECT_EQ(c.unsequenced, rounds);
  EXPECT_EQ(c.gaps, 0u);
  EXPECT_EQ(c.session_changes, 0u);
  EXPECT_EQ(c.stale, 0u);
}

TEST(Recovery, OnlyAllowedSendersDriveTheFeed) {
  UdpOptions uo = loopback_rx();
  uo.sources = {"127.0.0.2"};
  UdpSource rx(uo);
  asio::io_context io;
  const asio::ip::udp::endpoint to(asio::ip::make_address_v4("127.0.0.1"), rx.local_port());
  const auto pkt = wire_test::mold("S1", 1, {wire_test::itch_add(1, 34'300'000'000'000, 1, 'B', 100, 1'000'000, "ABC")});
  asio::ip::udp::socket stranger(io, asio::ip::udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  stranger.send_to(asio::buffer(pkt.data(), pkt.size()), to);
  asio::ip::udp::socket allowed(io, asio::ip::udp::endpoint(asio::ip::make_address_v4("127.0.0.2"), 0));
  allowed.send_to(asio::buffer(pkt.data(), pkt.size()), to);
  std::vector<MarketEvent> buf(hft::feed::kMaxBatch), got;
  const auto guard = Clock::now() + kHangGuard;
  while (got.empty() || rx.counters().foreign_source == 0) {
    ASSERT_LT(Clock::now(), guard);
    const std::size_t n = rx.next(buf);
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(n));
    if (n == 0) rx.wait_readable(5);
  }
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(rx.counters().foreign_source, 1u);
  EXPECT_EQ(rx.counters().datagrams, 1u);
  UdpOptions bad = loopback_rx();
  bad.sources = {"127.0.0.1:0"};
  EXPECT_THROW(UdpSource s(bad), std::runtime_error);
}

TEST(Recovery, SecondReceiverOnThePortIsRefused) {
  UdpSource first(loopback_rx());
  UdpOptions again = loopback_rx();
  again.port = first.local_port();
  try {
    UdpSource second(again);
    FAIL() << "a second receiver bound the same unicast port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("already receives this feed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(first.local_port())), std::string::npos) << e.what();
  }
}

}  // namespace recovery_test
