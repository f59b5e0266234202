// `hftd publish` at the recorded pace: a stop request (what its SIGTERM handler sets) ends a
// wait for a far-off datagram (here an hour later in the recording) instead of sleeping it out.
// And its rate cap holds whether the last microseconds before a due time are spun or slept
// (the tests' publishers sleep: PublishOptions::spin_us = 0).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "../feed/wire_util.hpp"
#include "hft/live/publisher.hpp"

namespace {

using namespace wire_test;

TEST(PublisherStop, StopDuringALongRecordedPauseReturnsPromptly) {
  const Bytes payload(20, 0x42);
  const Bytes frame = ethernet(ipv4_udp(payload));
  const std::int64_t t = 1'700'000'000'000'000'000;
  const std::string path = tmp_path("publish_pause.pcap");
  write_pcap(path, 1, {{frame, t, 0}, {frame, t + 3600'000'000'000LL, 0}, {frame, t + 7200'000'000'000LL, 0}});

  std::atomic<bool> stop{false};
  std::promise<void> first_sent;
  hft::live::PublishOptions p;
  p.input = path;
  p.to_addr = "127.0.0.1";
  p.to_port = 9;  // discard: nobody needs to listen
  p.speed = 1;    // recorded pace: the second datagram is due in an hour
  p.stop = &stop;
  p.on_sent = [&](std::uint64_t n) {
    if (n == 1) first_sent.set_value();
  };
  auto done = std::async(std::launch::async, [&] { return hft::live::publish_pcap(p); });
  first_sent.get_future().wait();  // the publisher is now in (or about to enter) its wait
  stop.store(true);
  // The guard only keeps a regression from hanging the suite for an hour.
  ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "the stop was not seen while waiting";
  const auto st = done.get();
  EXPECT_EQ(st.datagrams + st.send_errors, 1u);
}

// n datagrams at `pps` cannot leave faster than (n - 1) / pps: a lower bound only (a slow or
// busy machine takes longer and passes), which a publisher that skipped its waits breaks.
TEST(PublisherPace, RateCapHoldsWhetherTheWaitIsSpunOrSlept) {
  const Bytes payload(20, 0x42);
  const Bytes frame = ethernet(ipv4_udp(payload));
  const std::int64_t t = 1'700'000'000'000'000'000;
  std::vector<Frame> frames;
  for (int i = 0; i < 200; ++i) frames.push_back({frame, t + i, 0});  // all at once in the recording
  const std::string path = tmp_path("publish_rate.pcap");
  write_pcap(path, 1, frames);
  for (const std::uint32_t spin_us : {300u, 0u}) {
    hft::live::PublishOptions p;
    p.input = path;
    p.to_addr = "127.0.0.1";
    p.to_port = 9;  // discard: nobody needs to listen
    p.speed = 0;
    p.rate_limit_pps = 20'000;
    p.spin_us = spin_us;
    const auto st = hft::live::publish_pcap(p);
    EXPECT_EQ(st.datagrams + st.send_errors, 200u) << "spin_us " << spin_us;
    EXPECT_GE(st.elapsed_s, 199.0 / 20'000) << "spin_us " << spin_us;
  }
}

}  // namespace
