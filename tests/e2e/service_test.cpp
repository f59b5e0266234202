// `hftd run` started the way systemd starts a Type=notify service: the test owns NOTIFY_SOCKET
// (and asks for watchdog pings), publishes a converted real LOBSTER day over loopback UDP, and
// then checks what an operator would: READY and WATCHDOG arrive; the live book at the end equals
// the book `hftd replay` builds from the same pcap (every level, via a depth hash, and the
// event-by-event digest); a changed config.yml + SIGHUP shows up as the new version in /status;
// an invalid config.yml is rejected with the old version still in force; /metrics serves the
// Prometheus text; SIGTERM ends the process with exit code 0 after STOPPING.
// Timeouts below only keep a broken build from hanging the suite; nothing asserts a duration.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/telemetry/http_server.hpp"
#include "../common/process.hpp"
#include "../common/service_util.hpp"
#include "run_util.hpp"

extern char** environ;

namespace {

using namespace hft::e2e;
using namespace hft::testing;
using Clock = std::chrono::steady_clock;

std::string config_text(const std::string& base, const std::string& state_dir, std::uint16_t udp_port,
                        std::size_t batch) {
  auto set = test_settings(state_dir, udp_port);
  set.push_back({"  batch", std::to_string(batch)});
  set.push_back({"  summary_interval_s", "1"});
  set.push_back({"  config_watch_interval_ms", "0"});  // this test drives reloads by SIGHUP only
  return config_with(base, set);
}

TEST(Service, RunsAsNotifyServiceLiveBookEqualsReplayReloadsAndStopsCleanly) {
  namespace fs = std::filesystem;
  const std::string dir = unzip_sample("lobster-2012-06-21/LOBSTER_SampleFile_AMZN_2012-06-21_5.zip");
  ASSERT_FALSE(dir.empty());
  const std::string msg = dir + "/AMZN_2012-06-21_34200000_57600000_message_5.csv";
  const std::string work = tmp("service");
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string pcap = work + "/amzn5.pcap";
  auto r = run("convert --input lobster:" + msg + " --out " + pcap);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string replay_json = work + "/replay.json";
  r = run("replay --input pcap:" + pcap + " --json " + replay_json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string replay = slurp(replay_json);
  const std::string expect_events = json_field(replay, "events");
  ASSERT_FALSE(expect_events.empty());

  const std::string base = slurp(std::string(HFT_SOURCE_DIR) + "/config/config.yml");
  const std::uint16_t udp_port = free_udp_port();
  const std::string cfg = work + "/config.yml";
  const std::string state = work + "/state";
  const std::string first_text = config_text(base, state, udp_port, 64);
  write_file(cfg, first_text);

  NotifySocket notify(work + "/notify.sock");
  const std::string log = work + "/hftd.log";
  // WATCHDOG_USEC: pings expected every 200 ms.
  Process daemon(run_daemon_args(cfg), log, {"NOTIFY_SOCKET=" + notify.path, "WATCHDOG_USEC=400000"});
  ASSERT_GT(daemon.pid, 0);
  const pid_t pid = daemon.pid;

  // READY, with the HTTP port in STATUS.
  ASSERT_TRUE(wait_for([&] { notify.poll(); return notify.find("READY=1") >= 0; }, std::chrono::seconds(60)))
      << slurp(log);
  const std::string ready = notify.messages[static_cast<std::size_t>(notify.find("READY=1"))];
  const auto hp = ready.find("http 127.0.0.1:");
  ASSERT_NE(hp, std::string::npos) << ready;
  const auto http_port = static_cast<std::uint16_t>(std::stoi(ready.substr(hp + 15)));
  auto get = [&](const std::string& target) { return hft::telemetry::http_get("127.0.0.1", http_port, target); };
  auto status = [&] {
    notify.poll();  // read the notify socket as systemd does, so that its queue never fills
    auto s = get("/status");
    return s ? s->body : std::string();
  };
  ASSERT_EQ(json_field(status(), "config_version"), hft::config::version_string(hft::config::fnv1a64(first_text)));

  // Publish the day over loopback at a pace the receiver keeps up with.
  r = run("publish --input " + pcap + " --to 127.0.0.1:" + std::to_string(udp_port) + " --speed max --rate-limit 20000 --spin-us 0");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(wait_for([&] { return json_field(status(), "events") == expect_events; }, std::chrono::seconds(60)))
      << status() << slurp(log);
  notify.poll();
  EXPECT_GE(notify.find("WATCHDOG=1"), 0) << "no watchdog ping";

  // /metrics: Prometheus text with the event counts and no sequence gaps.
  const auto metrics = get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200u);
  EXPECT_NE(metrics->body.find("# TYPE hftd_events_total counter"), std::string::npos);
  EXPECT_NE(metrics->body.find("hftd_events_total{kind=\"add\"} " + json_field(replay, "add")), std::string::npos)
      << metrics->body.substr(0, 2000);
  EXPECT_EQ(metrics->body.find("reason=\"mold.gaps\"}"), std::string::npos) << "a datagram was lost on loopback";
  EXPECT_NE(metrics->body.find("hftd_end_to_end_latency_count"), std::string::npos);
  const auto health = get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200u);

  // A valid change + SIGHUP: the new version is in force on every thread.
  const std::string second_text = config_text(base, state, udp_port, 32);
  write_file(cfg, second_text);
  const std::size_t before_reload = notify.messages.size();
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  const std::string v2 = hft::config::version_string(hft::config::fnv1a64(second_text));
  ASSERT_TRUE(wait_for([&] { return json_field(status(), "config_version") == v2; }, std::chrono::seconds(30)))
      << status();
  notify.poll();
  EXPECT_GE(notify.find("RELOADING=1", before_reload), 0);
  EXPECT_EQ(json_field(status(), "reloads"), "1");

  // An invalid file + SIGHUP: rejected, the error names the setting, version 2 stays.
  write_file(cfg, second_text + "telemetry:\n  http_port: 99999\n");
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  ASSERT_TRUE(wait_for([&] { return json_field(status(), "reload_errors") == "1"; }, std::chrono::seconds(30)))
      << status();
  const std::string st = status();
  EXPECT_EQ(json_field(st, "config_version"), v2);
  EXPECT_NE(json_field(st, "last_reload_error").find("telemetry"), std::string::npos) << st;

  // SIGTERM: STOPPING, exit 0, and the final books equal the replay's.
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  ASSERT_TRUE(wait_for([&] { notify.poll(); return daemon.exited(); }, std::chrono::seconds(60))) << slurp(log);
  const int wst = daemon.status;
  ASSERT_TRUE(WIFEXITED(wst)) << slurp(log);
  EXPECT_EQ(WEXITSTATUS(wst), 0) << slurp(log);
  notify.poll();
  EXPECT_GE(notify.find("STOPPING=1"), 0);

  const std::string live = slurp(state + "/books.json");
  EXPECT_EQ(json_field(live, "events"), expect_events);
  EXPECT_EQ(json_field(live, "digest"), json_field(replay, "digest")) << "event stream or top of book differs";
  const auto books_of = [](const std::string& j) { return j.substr(j.find("\"books\": [")); };
  ASSERT_NE(live.find("\"books\": ["), std::string::npos);
  EXPECT_EQ(books_of(live).substr(0, books_of(live).find(']')), books_of(replay).substr(0, books_of(replay).find(']')));
}

}  // namespace
