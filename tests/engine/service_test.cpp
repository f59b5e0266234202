// The daemon's control thread in-process (so that the thread sanitizer sees the control thread,
// the hot thread, the HTTP server and the log thread together): a live UDP feed keeps the hot
// thread busy while the config file changes (picked up by the file watch), changes again with a
// SIGHUP, and is then made invalid; every reload is checked through /status; SIGTERM ends it
// with exit code 0 after every published event has reached the books.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../common/service_util.hpp"
#include "hft/config/config.hpp"
#include "hft/engine/service.hpp"
#include "hft/feed/pcap_source.hpp"
#include "hft/gen/generator.hpp"
#include "hft/live/publisher.hpp"
#include "hft/telemetry/http_server.hpp"

namespace {

using namespace hft::testing;

TEST(Service, ReloadsByFileWatchAndSighupRejectsInvalidAndStopsOnSigterm) {
  namespace fs = std::filesystem;
  const std::string work = std::string(HFT_TEST_TMP) + "/engine-service";
  fs::remove_all(work);
  fs::create_directories(work);

  hft::gen::GenConfig g;
  g.messages = 20000;
  g.instruments = 4;
  g.heartbeat_ns = 0;
  // Ten minutes of trading: published in a few seconds, the regime stage's one-second grid then
  // runs ~150 samples a second per instrument (a full day squeezed into seconds would be ~6,000).
  g.close_ns = g.open_ns + 600'000'000'000;
  g.out_path = work + "/day.pcap";
  hft::gen::generate_pcap(g);
  std::uint64_t expect_events = 0;
  {
    auto src = hft::feed::open_pcap_source(g.out_path, {});
    std::vector<hft::MarketEvent> buf(hft::feed::kMaxBatch);
    while (const auto n = src->next(buf)) expect_events += n;
  }

  const std::string base = slurp(std::string(HFT_SOURCE_DIR) + "/config/config.yml");
  const std::uint16_t udp_port = free_udp_port();
  auto settings = test_settings(work + "/state", udp_port);
  settings.push_back({"  summary_interval_s", "0"});
  settings.push_back({"  config_watch_interval_ms", "50"});
  const std::string cfg = work + "/config.yml";
  write_file(cfg, config_with(base, settings));

  std::atomic<std::uint16_t> http_port{0};
  std::atomic<int> exit_code{-1};
  std::thread service([&] {
    exit_code = hft::engine::run_service(cfg, [&](std::uint16_t p) { http_port = p; });
  });
  struct Stopper {  // whatever fails below, do not leave the service thread running
    std::thread& t;
    ~Stopper() {
      if (t.joinable()) {
        kill(getpid(), SIGTERM);
        t.join();
      }
    }
  } stopper{service};
  ASSERT_TRUE(wait_for([&] { return http_port.load() != 0 || exit_code.load() >= 0; }, std::chrono::seconds(60)));
  ASSERT_NE(http_port.load(), 0) << "service failed to start, exit code " << exit_code.load();
  auto status = [&] {
    auto r = hft::telemetry::http_get("127.0.0.1", http_port.load(), "/status");
    return r ? r->body : std::string();
  };

  std::thread publisher([&] {
    hft::live::PublishOptions po;
    po.input = g.out_path;
    po.to_addr = "127.0.0.1";
    po.to_port = udp_port;
    po.speed = 0;
    po.rate_limit_pps = 5000;
    po.spin_us = 0;  // sleep between datagrams: no core held beside the service's threads
    hft::live::publish_pcap(po);
  });

  // 1. the file changes: the watch picks it up
  auto s2 = settings;
  s2.push_back({"  batch", "16"});
  const std::string text2 = config_with(base, s2);
  write_file(cfg, text2);
  const std::string v2 = hft::config::version_string(hft::config::fnv1a64(text2));
  EXPECT_TRUE(wait_for([&] { return json_field(status(), "config_version") == v2; }, std::chrono::seconds(60)))
      << status();

  // 2. SIGHUP after a change that also touches a restart-only setting
  auto s3 = s2;
  s3.push_back({"  batch", "8"});
  s3.push_back({"  ring_capacity", "4096"});
  s3.push_back({"  config_watch_interval_ms", "0"});  // from here on, SIGHUP only
  const std::string text3 = config_with(base, s3);
  write_file(cfg, text3);
  kill(getpid(), SIGHUP);
  const std::string v3 = hft::config::version_string(hft::config::fnv1a64(text3));
  EXPECT_TRUE(wait_for([&] { return json_field(status(), "config_version") == v3; }, std::chrono::seconds(60)))
      << status();
  EXPECT_NE(status().find("\"restart_required\": [\"system.ring_capacity\"]"), std::string::npos) << status();
  // Whether the file watch saw text3 before the SIGHUP or not, it is one reload; another SIGHUP
  // on the same file is not one either (it still differs from the running values in
  // ring_capacity, which needs a restart).
  const std::string asked = json_field(status(), "reload_requests");
  kill(getpid(), SIGHUP);
  EXPECT_TRUE(wait_for([&] { return json_field(status(), "reload_requests") != asked; }, std::chrono::seconds(60)))
      << status();
  EXPECT_EQ(json_field(status(), "reloads"), "2") << status();
  EXPECT_EQ(json_field(status(), "config_version"), v3);

  // 3. an invalid file: rejected, v3 stays in force
  write_file(cfg, config_with(text3, {{"  batch", "lots"}}));
  kill(getpid(), SIGHUP);
  EXPECT_TRUE(wait_for([&] { return json_field(status(), "reload_errors") == "1"; }, std::chrono::seconds(60)))
      << status();
  EXPECT_NE(json_field(status(), "last_reload_error").find("feed.batch: expected an integer"), std::string::npos)
      << status();
  EXPECT_EQ(json_field(status(), "config_version"), v3);
  EXPECT_EQ(json_field(status(), "reloads"), "2");

  publisher.join();
  EXPECT_TRUE(wait_for([&] { return json_field(status(), "events") == std::to_string(expect_events); },
                       std::chrono::seconds(60)))
      << status();
  const auto metrics = hft::telemetry::http_get("127.0.0.1", http_port.load(), "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("hftd_config_reloads_total 2"), std::string::npos);
  EXPECT_NE(metrics->body.find("hftd_config_reload_errors_total 1"), std::string::npos);

  kill(getpid(), SIGTERM);
  service.join();
  EXPECT_EQ(exit_code.load(), 0);
  const std::string books = slurp(work + "/state/books.json");
  EXPECT_EQ(json_field(books, "events"), std::to_string(expect_events));
}

}  // namespace
