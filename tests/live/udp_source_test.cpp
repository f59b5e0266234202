// Live feed over loopback: a generated pcap published through a real UDP socket must decode to
// exactly the events the pcap source gives for the same file; gaps, truncated datagrams and
// small spans are counted and handled like the file path; multicast where the host allows it.
#if defined(HFT_SANITIZE_THREAD)
// GCC 12 warns (-Wtsan) that the atomic_thread_fence in Asio's fenced blocks is not
// instrumented. Handlers never run across threads here, so the warning is silenced; it must
// come before the first include to cover the inlined standard headers.
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "../feed/wire_util.hpp"
#include "hft/feed/packet_decoder.hpp"
#include "hft/feed/pcap_source.hpp"
#include "hft/gen/generator.hpp"
#include "hft/live/publisher.hpp"
#include "hft/live/udp_source.hpp"

namespace {

using hft::MarketEvent;
using hft::feed::SourceStats;
using hft::live::UdpOptions;
using hft::live::UdpSource;
using wire_test::Bytes;
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;

constexpr auto kGiveUp = std::chrono::seconds(30);  // only to avoid a hang; never a timing check

std::uint64_t count_of(const SourceStats& s, const std::string& name) {
  auto it = s.counts.find(name);
  if (it != s.counts.end()) return it->second;
  it = s.errors.find(name);
  return it == s.errors.end() ? 0 : it->second;
}

std::string gen_pcap(const std::string& name, std::uint64_t messages) {
  std::filesystem::create_directories(HFT_TEST_TMP);
  hft::gen::GenConfig c;
  c.seed = 7;
  c.instruments = 4;
  c.messages = messages;
  c.out_path = std::string(HFT_TEST_TMP) + "/live_" + name + ".pcap";
  hft::gen::generate_pcap(c);
  return c.out_path;
}

std::vector<MarketEvent> read_all(hft::feed::EventSource& src) {
  std::vector<MarketEvent> all;
  std::vector<MarketEvent> buf(hft::feed::kMaxBatch);
  while (const std::size_t n = src.next(buf)) all.insert(all.end(), buf.begin(), buf.begin() + static_cast<long>(n));
  return all;
}

// Polls the live source into `into` until done() or the give-up time; false on give-up.
template <class Done>
bool receive_until(UdpSource& src, std::vector<MarketEvent>& into, std::size_t span, Done done) {
  std::vector<MarketEvent> buf(span);
  const auto give_up = Clock::now() + kGiveUp;
  while (!done()) {
    if (Clock::now() > give_up) return false;
    const std::size_t n = src.next(buf);
    into.insert(into.end(), buf.begin(), buf.begin() + static_cast<long>(n));
    if (n == 0) src.wait_readable(10);
  }
  return true;
}

void expect_same_events(const std::vector<MarketEvent>& want, const std::vector<MarketEvent>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const MarketEvent& a = want[i];
    const MarketEvent& b = got[i];
    SCOPED_TRACE("event " + std::to_string(i));
    ASSERT_EQ(a.ts_exch, b.ts_exch);
    ASSERT_EQ(a.order_id, b.order_id);
    ASSERT_EQ(a.new_order_id, b.new_order_id);
    ASSERT_EQ(a.price, b.price);
    ASSERT_EQ(a.qty, b.qty);
    ASSERT_EQ(a.instrument, b.instrument);
    ASSERT_EQ(a.kind, b.kind);
    ASSERT_EQ(a.side, b.side);
    ASSERT_EQ(a.flags, b.flags);
    ASSERT_EQ(a.aux, b.aux);
  }
}

std::int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Publishes `path` to addr:port from a thread, at most `window` datagrams ahead of what the
// receiver has taken (so a descheduled receiver cannot lose datagrams to a full socket buffer),
// and receives into `got`. Returns the publisher's stats.
hft::live::PublishStats publish_and_receive(UdpSource& rx, hft::live::PublishOptions p,
                                            std::vector<MarketEvent>& got, std::size_t span,
                                            bool& receive_ok) {
  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> give_up{false};
  std::atomic<bool> done{false};
  hft::live::PublishStats st;
  std::string err;
  p.on_sent = [&](std::uint64_t sent) {
    if (sent % 64 != 0) return;
    while (received.load() < sent && !give_up.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  };
  std::thread pub([&] {
    try {
      st = hft::live::publish_pcap(p);
    } catch (const std::exception& e) {
      err = e.what();
    }
    done.store(true);
  });
  std::vector<MarketEvent> buf(span);
  const auto deadline = Clock::now() + kGiveUp;
  receive_ok = false;
  for (;;) {
    const std::size_t n = rx.next(buf);
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(n));
    received.store(rx.counters().datagrams + rx.counters().truncated);
    if (done.load() && received.load() >= st.datagrams && n == 0) {
      receive_ok = true;
      break;
    }
    if (Clock::now() > deadline) break;
    if (n == 0) rx.wait_readable(10);
  }
  give_up.store(true);
  pub.join();
  EXPECT_EQ(err, "");
  return st;
}

TEST(UdpSource, LoopbackStreamEqualsPcapSource) {
  const std::string path = gen_pcap("stream", 6000);
  auto file = hft::feed::open_pcap_source(path, {});
  const std::vector<MarketEvent> want = read_all(*file);
  ASSERT_GT(want.size(), 5000u);

  UdpOptions uo;
  uo.bind_addr = "127.0.0.1";
  UdpSource rx(uo);
  ASSERT_NE(rx.local_port(), 0);
  EXPECT_GT(rx.recv_buffer_granted(), 0u);
  EXPECT_TRUE(rx.live());

  hft::live::PublishOptions p;
  p.input = path;
  p.to_addr = "127.0.0.1";
  p.to_port = rx.local_port();
  p.speed = 0;
  p.rate_limit_pps = 50'000;
  p.spin_us = 0;  // sleep between datagrams: no core held beside the receiver
  std::vector<MarketEvent> got;
  bool ok = false;
  const auto st = publish_and_receive(rx, p, got, hft::feed::kMaxBatch, ok);
  ASSERT_TRUE(ok) << "gave up after 30 s: " << rx.counters().datagrams << " of " << st.datagrams << " datagrams";

  const SourceStats& fs = file->stats();
  EXPECT_EQ(st.send_errors, 0u) << st.last_error;
  EXPECT_EQ(st.datagrams, count_of(fs, "pcap.datagrams"));
  expect_same_events(want, got);
  const SourceStats& ls = rx.stats();
  EXPECT_EQ(ls.events, want.size());
  EXPECT_EQ(count_of(ls, "udp.datagrams"), st.datagrams);
  EXPECT_EQ(count_of(ls, "udp.bytes"), st.bytes);
  EXPECT_EQ(count_of(ls, "mold.gaps"), 0u);
  EXPECT_EQ(count_of(ls, "udp.truncated"), 0u);
  EXPECT_EQ(count_of(ls, "udp.errors"), 0u);
  EXPECT_TRUE(rx.end_of_session());
  // Every counter of the decode path matches the file's.
  for (const auto* m : {&fs.counts, &fs.errors}) {
    for (const auto& [k, v] : *m) {
      if (k.rfind("pcap.", 0) != 0) {
        EXPECT_EQ(count_of(ls, k), v) << k;
      }
    }
  }
  EXPECT_TRUE(ls.errors.empty());
  ASSERT_EQ(rx.instruments().size(), file->instruments().size());
  for (std::size_t i = 0; i < rx.instruments().size(); ++i) {
    EXPECT_EQ(rx.instruments()[i].id, file->instruments()[i].id);
    EXPECT_EQ(rx.instruments()[i].symbol, file->instruments()[i].symbol);
    EXPECT_EQ(rx.instruments()[i].round_lot, file->instruments()[i].round_lot);
  }
  // ts_recv is this host's receive time (ns since the epoch), not the pcap's capture time.
  const std::int64_t now = realtime_ns();
  for (const MarketEvent& e : got) {
    ASSERT_GT(e.ts_recv, now - 3'600'000'000'000);
    ASSERT_LT(e.ts_recv, now + 3'600'000'000'000);
  }
}

// A sender of hand-made datagrams to the receiver's port.
struct Sender {
  asio::io_context io;
  asio::ip::udp::socket s{io, asio::ip::udp::v4()};
  asio::ip::udp::endpoint to;
  explicit Sender(std::uint16_t port) : to(asio::ip::make_address_v4("127.0.0.1"), port) {}
  void send(const Bytes& b) { s.send_to(asio::buffer(b.data(), b.size()), to); }
};

Bytes add_msg(std::uint64_t ref) {
  return wire_test::itch_add(1, 34'200'000'000'000 + ref, ref, 'B', 100, 1'000'000, "ABC");
}

TEST(UdpSource, SkippedDatagramIsAGapAndMarksStale) {
  UdpOptions uo;
  uo.bind_addr = "127.0.0.1";
  UdpSource rx(uo);
  Sender tx(rx.local_port());
  tx.send(wire_test::mold("S1", 1, {add_msg(1), add_msg(2)}));
  // sequence 3..4 never sent
  tx.send(wire_test::mold("S1", 5, {add_msg(5)}));
  std::vector<MarketEvent> got;
  ASSERT_TRUE(receive_until(rx, got, 64, [&] { return rx.counters().datagrams >= 2; }));
  const SourceStats& s = rx.stats();
  EXPECT_EQ(count_of(s, "mold.gaps"), 1u);
  EXPECT_EQ(count_of(s, "mold.gap_msgs"), 2u);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].order_id, 1u);
  EXPECT_EQ(got[0].flags & hft::evflag::kStale, 0);
  EXPECT_NE(got[1].flags & hft::evflag::kLast, 0);
  EXPECT_EQ(got[2].order_id, 5u);
  EXPECT_NE(got[2].flags & hft::evflag::kStale, 0);
}

TEST(UdpSource, OversizeDatagramCountedTruncatedAndDropped) {
  UdpOptions uo;
  uo.bind_addr = "127.0.0.1";
  uo.max_datagram = 256;
  UdpSource rx(uo);
  Sender tx(rx.local_port());
  tx.send(wire_test::mold("S1", 1, {add_msg(1)}));
  std::vector<Bytes> big;
  for (std::uint64_t r = 2; r <= 21; ++r) big.push_back(add_msg(r));  // 20 x 38 bytes > 256
  tx.send(wire_test::mold("S1", 2, big));
  tx.send(wire_test::mold("S1", 22, {add_msg(22)}));
  std::vector<MarketEvent> got;
  ASSERT_TRUE(receive_until(rx, got, 64, [&] { return rx.counters().datagrams + rx.counters().truncated >= 3; }));
  const SourceStats& s = rx.stats();
  EXPECT_EQ(count_of(s, "udp.truncated"), 1u);
  EXPECT_EQ(count_of(s, "udp.datagrams"), 2u);
  EXPECT_EQ(count_of(s, "mold.gaps"), 1u);
  EXPECT_EQ(count_of(s, "mold.gap_msgs"), 20u);  // the dropped datagram's messages
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].order_id, 1u);
  EXPECT_EQ(got[1].order_id, 22u);
  EXPECT_NE(got[1].flags & hft::evflag::kStale, 0);
}

TEST(UdpSource, SpanOfOneLosesNothing) {
  UdpOptions uo;
  uo.bind_addr = "127.0.0.1";
  UdpSource rx(uo);
  Sender tx(rx.local_port());
  tx.send(wire_test::mold("S1", 1, {add_msg(1), add_msg(2), add_msg(3)}));
  tx.send(wire_test::mold("S1", 4, {add_msg(4), add_msg(5)}));
  std::vector<MarketEvent> got;
  ASSERT_TRUE(receive_until(rx, got, 1, [&] { return got.size() >= 5; }));
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(got[i].order_id, i + 1);
  EXPECT_NE(got[2].flags & hft::evflag::kLast, 0);
  EXPECT_EQ(got[3].flags & hft::evflag::kLast, 0);
  EXPECT_NE(got[4].flags & hft::evflag::kLast, 0);
  EXPECT_EQ(count_of(rx.stats(), "mold.gaps"), 0u);
}

TEST(UdpSource, NothingQueuedReturnsZeroWithoutBlocking) {
  UdpOptions uo;
  uo.bind_addr = "127.0.0.1";
  UdpSource rx(uo);
  std::vector<MarketEvent> buf(16);
  EXPECT_EQ(rx.next(buf), 0u);
  EXPECT_FALSE(rx.wait_readable(0));
  EXPECT_EQ(rx.stats().events, 0u);
}

TEST(UdpSource, BadOptionsThrowWithTheReason) {
  UdpOptions a;
  a.bind_addr = "not-an-ip";
  try {
    UdpSource s(a);
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not-an-ip"), std::string::npos) << e.what();
  }
  UdpOptions b;
  b.multicast_group = "10.1.2.3";
  EXPECT_THROW(UdpSource s(b), std::runtime_error);
}

TEST(UdpSource, MulticastOnLoopbackInterface) {
  const std::string path = gen_pcap("mcast", 1500);
  auto file = hft::feed::open_pcap_source(path, {});
  const std::vector<MarketEvent> want = read_all(*file);

  UdpOptions uo;
  uo.multicast_group = "239.255.77.71";
  uo.interface_addr = "127.0.0.1";
  std::unique_ptr<UdpSource> rx;
  try {
    rx = std::make_unique<UdpSource>(uo);
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << "cannot join a multicast group on 127.0.0.1 here: " << e.what();
  }
  hft::live::PublishOptions p;
  p.input = path;
  p.to_addr = uo.multicast_group;
  p.to_port = rx->local_port();
  p.speed = 0;
  p.rate_limit_pps = 50'000;
  p.spin_us = 0;  // sleep between datagrams: no core held beside the receiver
  p.interface_addr = "127.0.0.1";
  p.loopback = true;
  // Probe first: a host may accept the join but not route group traffic over lo.
  {
    hft::live::PublishOptions probe = p;
    probe.max_datagrams = 1;
    hft::live::publish_pcap(probe);
    if (!rx->wait_readable(2000)) GTEST_SKIP() << "joined, but multicast over lo is not delivered on this host";
    rx = std::make_unique<UdpSource>(uo);  // fresh receiver: the probe left a packet behind
    p.to_port = rx->local_port();
  }
  std::vector<MarketEvent> got;
  bool ok = false;
  const auto st = publish_and_receive(*rx, p, got, hft::feed::kMaxBatch, ok);
  ASSERT_TRUE(ok) << "gave up after 30 s: " << rx->counters().datagrams << " of " << st.datagrams;
  expect_same_events(want, got);
  EXPECT_EQ(count_of(rx->stats(), "mold.gaps"), 0u);
}

TEST(Publisher, FilterSendsOnlyMatchingDatagrams) {
  const std::string path = gen_pcap("filter", 500);
  UdpOptions uo;
  uo.bind_addr = "127.0.0.1";
  UdpSource rx(uo);  // a port that is surely ours
  hft::live::PublishOptions p;
  p.input = path;
  p.to_addr = "127.0.0.1";
  p.to_port = rx.local_port();
  p.speed = 0;
  p.filter.dst_addr = "239.1.1.1";
  p.filter.dst_port = 1;  // the generator writes to port 26477: nothing matches
  const auto st = hft::live::publish_pcap(p);
  EXPECT_EQ(st.datagrams, 0u);
  EXPECT_GT(st.pcap.skipped[static_cast<std::size_t>(hft::feed::FrameStatus::FilteredOut)], 0u);
  p.filter.dst_port = 26477;
  p.max_datagrams = 3;
  const auto st2 = hft::live::publish_pcap(p);
  EXPECT_EQ(st2.datagrams, 3u);
  p.input = path + ".missing";
  EXPECT_THROW(hft::live::publish_pcap(p), std::runtime_error);
}

// decode() called while events are still pending (a caller that ignores the span being full)
// queues the new packet behind them: order kept, nothing lost.
TEST(PacketDecoder, DecodeWithPendingEventsKeepsOrder) {
  hft::feed::PacketDecoder dec;
  const Bytes p1 = wire_test::mold("S1", 1, {add_msg(1), add_msg(2), add_msg(3)});
  const Bytes p2 = wire_test::mold("S1", 4, {add_msg(4), add_msg(5)});
  MarketEvent out[8];
  EXPECT_EQ(dec.decode(p1, 11, out, 1), 1u);
  EXPECT_EQ(dec.pending(), 2u);
  EXPECT_EQ(dec.decode(p2, 22, out + 1, 0), 0u);
  EXPECT_EQ(dec.pending(), 4u);
  EXPECT_EQ(dec.drain(out + 1, 7), 4u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(out[i].order_id, i + 1);
  EXPECT_EQ(out[4].ts_recv, 22);
  EXPECT_EQ(dec.counters().overflow_packets, 0u);
  EXPECT_EQ(dec.mold().counters().messages, 5u);
}

}  // namespace
