// The live feed as an operator runs it: `hftd run` on a unicast UDP port and `hftd publish` of a
// small generated day as separate processes.
// - publish drops 1% of the datagrams (seeded) and serves MoldUDP64 re-requests: run recovers
//   every gap; its final books and event digest equal `hftd replay` of the same pcap.
// - no re-request server answering: the holes are given up, instruments stay stale, /health 503.
// - kill -9 mid-session and restart: the new daemon starts stale, recovers from sequence 1 by
//   re-request and ends with the replay's books.
// - hostile datagrams (a heartbeat at 2^63, another session, unsequenced) change nothing, counted.
// - a second daemon on the same feed port refuses to start, saying why.
// - a feed silent beyond feed.silence_s: /health 503, /status says "feed silent".
// Polls use a give-up time that only keeps a broken build from hanging the suite.
#include <cstdio>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "hft/telemetry/http_server.hpp"
#include "../common/process.hpp"
#include "../common/service_util.hpp"
#include "run_util.hpp"

extern char** environ;

namespace feed_e2e {  // named: the e2e test files are built as one unit

using namespace hft::testing;
constexpr auto kGuard = std::chrono::seconds(90);

using Proc = Process;

// A small generated day and its clean replay, in the test's own directory (ctest runs the tests
// of this file as separate processes, perhaps at once).
struct Day {
  std::string pcap, replay;  // the replay's JSON text
};
Day make_day(const std::string& dir) {
  Day out;
  out.pcap = dir + "/day.pcap";
  auto r = hft::e2e::run("gen --out " + out.pcap + " --messages 6000 --instruments 3 --seed 5 --heartbeat-ms 0");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = hft::e2e::run("replay --input pcap:" + out.pcap + " --json " + dir + "/replay.json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  out.replay = slurp(dir + "/replay.json");
  return out;
}

struct Rig {
  std::string work, cfg, state;
  Day day;
  std::uint16_t udp = 0, http = 0, rerequest = 0;
};
Rig make_rig(const std::string& name, const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  Rig s;
  s.work = hft::e2e::tmp(name);
  std::filesystem::remove_all(s.work);
  std::filesystem::create_directories(s.work);
  s.cfg = s.work + "/config.yml";
  s.state = s.work + "/state";
  s.udp = free_udp_port();
  s.http = free_tcp_port();
  s.rerequest = free_udp_port();
  s.day = make_day(s.work);
  auto set = test_settings(s.state, s.udp);
  set.push_back({"  http_port", std::to_string(s.http)});
  set.push_back({"  summary_interval_s", "0"});
  set.push_back({"  config_watch_interval_ms", "0"});
  set.push_back({"  sources", "[127.0.0.1]"});
  set.push_back({"  silence_s", "600"});
  set.push_back({"    rerequest", "\"127.0.0.1:" + std::to_string(s.rerequest) + "\""});
  set.push_back({"    request_timeout_ms", "200"});
  set.push_back({"    request_retries", "50"});
  for (const auto& e : extra) set.push_back(e);
  write_file(s.cfg, config_with(slurp(std::string(HFT_SOURCE_DIR) + "/config/config.yml"), set));
  return s;
}

std::vector<std::string> run_args(const Rig& s) { return run_daemon_args(s.cfg); }
std::vector<std::string> publish_args(const Rig& s, const std::string& pps, bool serve, const std::string& drop) {
  std::vector<std::string> a = {HFTD_BINARY, "publish", "--input", s.day.pcap, "--to", "127.0.0.1:" + std::to_string(s.udp),
                                "--speed", "max", "--rate-limit", pps, "--spin-us", "0", "--drop", drop, "--seed", "7"};
  if (serve) {
    a.push_back("--serve");
    a.push_back("127.0.0.1:" + std::to_string(s.rerequest));
  }
  return a;
}

std::optional<hft::telemetry::Response> get(const Rig& s, const std::string& target) {
  return hft::telemetry::http_get("127.0.0.1", s.http, target);
}
std::string body(const Rig& s, const std::string& target) {
  const auto r = get(s, target);
  return r ? r->body : std::string();
}
unsigned health(const Rig& s) {
  const auto r = get(s, "/health");
  return r ? r->status : 0u;
}
// A source counter from /metrics ("" when absent).
std::string source_metric(const Rig& s, const std::string& name, bool error) {
  const std::string text = body(s, "/metrics");
  const std::string series = error ? "hftd_source_errors_total{reason=\"" + name + "\"} "
                                   : "hftd_source_counts_total{counter=\"" + name + "\"} ";
  const auto at = text.find(series);
  if (at == std::string::npos) return {};
  const auto b = at + series.size();
  return text.substr(b, text.find('\n', b) - b);
}
std::string books_of(const std::string& j) {
  const auto at = j.find("\"books\": [");
  return at == std::string::npos ? std::string() : j.substr(at, j.find(']', at) - at);
}

TEST(FeedRecovery, DroppedDatagramsRecoveredBooksAndDigestEqualReplay) {
  const Rig s = make_rig("feed-recovery-drop");
  const std::string want_events = json_field(s.day.replay, "events");
  ASSERT_FALSE(want_events.empty());
  Proc run(run_args(s), s.work + "/run.log");
  ASSERT_TRUE(wait_for([&] { return get(s, "/status").has_value() || run.exited(); }, kGuard)) << slurp(run.log);
  ASSERT_FALSE(run.exited()) << slurp(run.log);
  EXPECT_EQ(health(s), 503u);  // no datagram yet: nothing is known
  // Seed 7 keeps the first datagram (a lost first one would be a late start, whose catch-up
  // events are flagged stale: the digest would differ, the books not; the restart test covers it).
  Proc pub(publish_args(s, "20000", true, "0.01"), s.work + "/publish.log");
  ASSERT_TRUE(wait_for([&] { return json_field(body(s, "/status"), "events") == want_events && health(s) == 200u; }, kGuard))
      << body(s, "/status") << slurp(run.log) << slurp(pub.log);
  EXPECT_NE(source_metric(s, "mold.gaps", true), "");  // there were gaps...
  EXPECT_EQ(source_metric(s, "mold.lost_msgs", true), "");  // ...and none was lost
  EXPECT_EQ(source_metric(s, "mold.unrecovered_gaps", true), "");
  EXPECT_NE(source_metric(s, "recovery.requests", false), "");
  EXPECT_EQ(json_field(body(s, "/status"), "feed_problem"), "");
  std::printf("[ info ] %s events; gaps %s, re-requests %s, replies %s\n", want_events.c_str(),
              source_metric(s, "mold.gaps", true).c_str(), source_metric(s, "recovery.requests", false).c_str(),
              source_metric(s, "udp.replies", false).c_str());
  EXPECT_EQ(pub.stop(), 0) << slurp(pub.log);
  EXPECT_NE(slurp(pub.log).find("dropped"), std::string::npos) << slurp(pub.log);
  std::printf("[ info ] publish: %s\n", slurp(pub.log).c_str());
  EXPECT_EQ(run.stop(), 0) << slurp(run.log);
  const std::string live = slurp(s.state + "/books.json");
  EXPECT_EQ(json_field(live, "events"), want_events);
  EXPECT_EQ(json_field(live, "digest"), json_field(s.day.replay, "digest")) << "event stream or top of book differs";
  ASSERT_FALSE(books_of(live).empty());
  EXPECT_EQ(books_of(live), books_of(s.day.replay));
}

// One MoldUDP64 packet (header + message blocks) as bytes.
std::vector<std::uint8_t> mold_packet(const std::string& session, std::uint64_t seq, const std::vector<std::vector<std::uint8_t>>& msgs) {
  std::vector<std::uint8_t> p(20, 0);
  for (std::size_t i = 0; i < 10; ++i) p[i] = static_cast<std::uint8_t>(i < session.size() ? session[i] : ' ');
  for (int i = 0; i < 8; ++i) p[10 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
  p[18] = static_cast<std::uint8_t>(msgs.size() >> 8);
  p[19] = static_cast<std::uint8_t>(msgs.size());
  for (const auto& m : msgs) {
    p.push_back(static_cast<std::uint8_t>(m.size() >> 8));
    p.push_back(static_cast<std::uint8_t>(m.size()));
    p.insert(p.end(), m.begin(), m.end());
  }
  return p;
}
// An ITCH Add Order (36 bytes) for locate 1 that would change its book if applied.
std::vector<std::uint8_t> add_order() {
  std::vector<std::uint8_t> m(36, 0);
  m[0] = 'A';
  m[2] = 1;                                // locate 1
  m[18] = 0x7F;                            // order reference, far from the day's
  m[19] = 'B';
  m[23] = 100;                             // 100 shares
  for (int i = 0; i < 8; ++i) m[24 + static_cast<std::size_t>(i)] = 'Z';
  m[34] = 0x27;                            // price 0x2710 = $1.0000
  m[35] = 0x10;
  return m;
}

// Hostile datagrams from the feed's own sender address into a live `hftd run`: a heartbeat at
// 2^63 with the session's id, another session's packets, unsequenced packets. The feed keeps
// going, the books and digest equal the replay's, each attempt is counted.
TEST(FeedRecovery, PoisonForeignAndUnsequencedDatagramsCountedBooksEqualReplay) {
  const Rig s = make_rig("feed-recovery-poison");
  const std::string want_events = json_field(s.day.replay, "events");
  Proc run(run_args(s), s.work + "/run.log");
  ASSERT_TRUE(wait_for([&] { return get(s, "/status").has_value() || run.exited(); }, kGuard)) << slurp(run.log);
  Proc pub(publish_args(s, "5000", true, "0"), s.work + "/publish.log");
  ASSERT_TRUE(wait_for([&] { return json_field(body(s, "/status"), "events") != "0" || run.exited(); }, kGuard));
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(s.udp);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::vector<std::vector<std::uint8_t>> bad = {
      mold_packet("HFTGEN0001", std::uint64_t{1} << 63, {}),           // poison heartbeat
      mold_packet("EVIL000001", 3, {add_order()}),                     // another session
      mold_packet("EVIL000002", 1, {}),                                // a new session from 1, empty
      mold_packet("HFTGEN0001", 0, {add_order()}),                     // unsequenced
  };
  // Only while the session runs: after its end of session a next session may begin (that is
  // the rule), and these would be it.
  int rounds = 0;
  const auto early = [&] {
    const std::string e = json_field(body(s, "/status"), "events");
    return !e.empty() && std::stoull(e) < std::stoull(want_events) / 2;
  };
  while (!pub.exited() && early() && rounds < 200) {
    for (const auto& b : bad) sendto(fd, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    ++rounds;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  close(fd);
  ASSERT_GT(rounds, 0);
  std::printf("[ info ] %d rounds of 4 hostile datagrams\n", rounds);
  ASSERT_TRUE(wait_for([&] { return json_field(body(s, "/status"), "events") == want_events && health(s) == 200u; }, kGuard))
      << body(s, "/status") << slurp(run.log);
  EXPECT_EQ(source_metric(s, "mold.implausible_packets", true), std::to_string(rounds));
  EXPECT_EQ(source_metric(s, "mold.foreign_packets", true), std::to_string(2 * rounds));
  EXPECT_EQ(source_metric(s, "mold.unsequenced_packets", false), std::to_string(rounds));
  EXPECT_EQ(source_metric(s, "mold.gaps", true), "");
  EXPECT_EQ(pub.stop(), 0) << slurp(pub.log);
  EXPECT_EQ(run.stop(), 0) << slurp(run.log);
  const std::string live = slurp(s.state + "/books.json");
  EXPECT_EQ(json_field(live, "events"), want_events);
  EXPECT_EQ(json_field(live, "digest"), json_field(s.day.replay, "digest"));
  EXPECT_EQ(books_of(live), books_of(s.day.replay));
}

TEST(FeedRecovery, WithoutReRequestServerInstrumentsStayStaleAndHealthSaysSo) {
  const Rig s = make_rig("feed-recovery-noserver", {{"    request_timeout_ms", "10"}, {"    request_retries", "1"}});
  Proc run(run_args(s), s.work + "/run.log");
  ASSERT_TRUE(wait_for([&] { return get(s, "/status").has_value() || run.exited(); }, kGuard)) << slurp(run.log);
  Proc pub(publish_args(s, "20000", false, "0.01"), s.work + "/publish.log");
  ASSERT_TRUE(wait_for([&] { return pub.exited(); }, kGuard));
  ASSERT_TRUE(wait_for([&] { return source_metric(s, "mold.unrecovered_gaps", true) != "" &&
                                    source_metric(s, "mold.behind_msgs", false) == "0"; }, kGuard))
      << body(s, "/metrics").substr(0, 3000) << slurp(run.log);
  const auto h = get(s, "/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 503u);
  EXPECT_NE(h->body.find("not recovered"), std::string::npos) << h->body;
  EXPECT_EQ(source_metric(s, "mold.stale", false), "1");
  EXPECT_NE(json_field(body(s, "/status"), "feed_problem").find("not recovered"), std::string::npos) << body(s, "/status");
  EXPECT_EQ(run.stop(), 0) << slurp(run.log);
}

// A feed that goes quiet: once the publisher is done and nothing arrives for feed.silence_s,
// /health is not ok and /status says why (the books are complete; only the silence is wrong).
TEST(FeedRecovery, SilentFeedBeyondSilenceSecondsIsNotHealthy) {
  const Rig s = make_rig("feed-recovery-silence", {{"  silence_s", "1"}});
  const std::string want_events = json_field(s.day.replay, "events");
  Proc run(run_args(s), s.work + "/run.log");
  ASSERT_TRUE(wait_for([&] { return get(s, "/status").has_value() || run.exited(); }, kGuard)) << slurp(run.log);
  Proc pub(publish_args(s, "5000", false, "0"), s.work + "/publish.log");  // no --serve: it ends, then silence
  ASSERT_TRUE(wait_for([&] { return pub.exited(); }, kGuard)) << slurp(pub.log);
  ASSERT_TRUE(wait_for([&] { return json_field(body(s, "/status"), "events") == want_events; }, kGuard))
      << body(s, "/status") << slurp(run.log);
  ASSERT_TRUE(wait_for([&] { return health(s) == 503u; }, kGuard)) << body(s, "/status");
  const auto h = get(s, "/health");
  ASSERT_TRUE(h);
  EXPECT_NE(h->body.find("feed silent"), std::string::npos) << h->body;
  EXPECT_NE(json_field(body(s, "/status"), "feed_problem").find("feed silent"), std::string::npos) << body(s, "/status");
  EXPECT_EQ(source_metric(s, "mold.stale", false), "0");
  EXPECT_EQ(run.stop(), 0) << slurp(run.log);
}

TEST(FeedRecovery, KillNineAndRestartRecoversFromSequenceOne) {
  const Rig s = make_rig("feed-recovery-restart");
  const std::string want_events = json_field(s.day.replay, "events");
  // Slow enough that the daemon is killed mid-session.
  Proc pub(publish_args(s, "1500", true, "0"), s.work + "/publish.log");
  {
    Proc first(run_args(s), s.work + "/run1.log");
    ASSERT_TRUE(wait_for([&] {
      const std::string e = json_field(body(s, "/status"), "events");
      return (!e.empty() && std::stoull(e) > 500) || first.exited();
    }, kGuard)) << slurp(first.log);
    ASSERT_FALSE(pub.exited()) << "the publisher finished before the kill";
    first.stop(SIGKILL);
  }
  Proc second(run_args(s), s.work + "/run2.log");
  ASSERT_TRUE(wait_for([&] { return get(s, "/status").has_value() || second.exited(); }, kGuard)) << slurp(second.log);
  // Starts stale (the session is not known from sequence 1), then recovers all of it.
  ASSERT_TRUE(wait_for([&] { return json_field(body(s, "/status"), "events") == want_events && health(s) == 200u; }, kGuard))
      << body(s, "/status") << slurp(second.log) << slurp(pub.log);
  EXPECT_NE(source_metric(s, "mold.gaps", true), "");  // the start was a gap from sequence 1
  EXPECT_EQ(source_metric(s, "mold.lost_msgs", true), "");
  EXPECT_EQ(pub.stop(), 0) << slurp(pub.log);
  EXPECT_EQ(second.stop(), 0) << slurp(second.log);
  const std::string live = slurp(s.state + "/books.json");
  EXPECT_EQ(json_field(live, "events"), want_events);
  ASSERT_FALSE(books_of(live).empty());
  EXPECT_EQ(books_of(live), books_of(s.day.replay));
}

TEST(FeedRecovery, SecondDaemonOnTheFeedPortRefusesToStart) {
  const Rig s = make_rig("feed-recovery-twice");
  Proc first(run_args(s), s.work + "/run1.log");
  ASSERT_TRUE(wait_for([&] { return get(s, "/status").has_value() || first.exited(); }, kGuard)) << slurp(first.log);
  ASSERT_FALSE(first.exited()) << slurp(first.log);
  // Same feed port; its own HTTP port and state.
  const std::string cfg2 = s.work + "/config2.yml";
  write_file(cfg2, config_with(slurp(s.cfg), {{"  http_port", std::to_string(free_tcp_port())},
                                              {"  state_dir", s.work + "/state2"}}));
  const auto r = hft::e2e::run("run --config " + cfg2);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("already receives this feed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("127.0.0.1:" + std::to_string(s.udp)), std::string::npos) << r.output;
  EXPECT_FALSE(first.exited());
  EXPECT_EQ(first.stop(), 0) << slurp(first.log);
}

TEST(FeedRecovery, CheckConfigRefusesAUdpFeedWithoutAddressOrPort) {
  const std::string dir = hft::e2e::tmp("feed-recovery-check");
  std::filesystem::create_directories(dir);
  const std::string base = slurp(std::string(HFT_SOURCE_DIR) + "/config/config.yml");
  auto r = hft::e2e::run("check-config --cpus 2 " + std::string(HFT_SOURCE_DIR) + "/config/config.yml");
  EXPECT_EQ(r.exit_code, 0) << r.output;  // the shipped file names a real feed
  write_file(dir + "/port0.yml", config_with(base, {{"  dst_port", "0"}}));
  r = hft::e2e::run("check-config --cpus 2 " + dir + "/port0.yml");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("feed.dst_port: a udp feed needs the port"), std::string::npos) << r.output;
  write_file(dir + "/noaddr.yml", config_with(base, {{"  dst_addr", "\"\""}, {"  multicast_group", "\"\""}}));
  r = hft::e2e::run("check-config --cpus 2 " + dir + "/noaddr.yml");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("feed.dst_addr: a udp feed needs the address"), std::string::npos) << r.output;
  write_file(dir + "/badsrc.yml", config_with(base, {{"  sources", "[1.2.3]"}, {"    rerequest", "nowhere"}}));
  r = hft::e2e::run("check-config --cpus 2 " + dir + "/badsrc.yml");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("feed.sources[0]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("feed.mold.rerequest"), std::string::npos) << r.output;
}

}  // namespace feed_e2e
