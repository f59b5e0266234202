// The operator's kill switch and re-arm on `hftd run`, as an operator uses them: the daemon runs
// against a quiet live UDP feed; POST /risk/kill and /risk/rearm (token in X-HFTD-Token, read
// from risk_management.token_file) and SIGUSR1 / SIGUSR2 are sent, and /status and /metrics are
// read back until the order thread shows the change. Also: without a token file the endpoints
// are 404; a token file others may read (or missing, or empty) stops the daemon at start with a
// message naming the file. Deadlines only keep a broken build from hanging the suite.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../common/process.hpp"
#include "../common/service_util.hpp"
#include "hft/telemetry/http_server.hpp"
#include "run_util.hpp"

extern char** environ;

namespace hft_risk_e2e {  // named: the e2e files are compiled as one unit

using hft::telemetry::http_request;
using hft::telemetry::Response;
using namespace hft::testing;

constexpr auto kLimit = std::chrono::seconds(60);
const std::string kToken = "4f0c1e2d-operator-secret";

// `hftd run` with its output in a log file, and its HTTP endpoints.
struct Daemon : Process {
  std::uint16_t http_port = 0;

  Daemon(const std::string& cfg, std::string log_path) : Process(run_daemon_args(cfg), std::move(log_path)) {}
  // Waits for "HTTP on 127.0.0.1:PORT" in the log (or the end of the process).
  bool wait_ready() {
    wait_for([&] { return slurp(log).find("HTTP on 127.0.0.1:") != std::string::npos || exited(); }, kLimit);
    const std::string text = slurp(log);
    const auto at = text.find("HTTP on 127.0.0.1:");
    if (at == std::string::npos) return false;
    http_port = static_cast<std::uint16_t>(std::stoi(text.substr(at + 18)));
    return true;
  }
  std::optional<Response> call(const std::string& method, const std::string& target,
                               const std::vector<std::pair<std::string, std::string>>& headers = {}) const {
    return http_request("127.0.0.1", http_port, method, target, headers);
  }
  std::string status() const {
    const auto r = call("GET", "/status");
    return r ? r->body : std::string();
  }
  std::string metrics() const {
    const auto r = call("GET", "/metrics");
    return r ? r->body : std::string();
  }
  // SIGTERM and a clean exit.
  int stop() { return Process::stop(SIGTERM, kLimit); }
};

// config/config.yml for a daemon on a live UDP port nobody sends to (the hot thread idles).
std::string daemon_config(const std::string& work, const std::string& token_file) {
  const std::string base = slurp(std::string(HFT_SOURCE_DIR) + "/config/config.yml");
  auto set = test_settings(work + "/state", free_udp_port());
  set.push_back({"  summary_interval_s", "0"});
  set.push_back({"  config_watch_interval_ms", "0"});
  set.push_back({"  token_file", "\"" + token_file + "\""});
  return config_with(base, set);
}

std::string fresh_dir(const std::string& name) {
  const std::string d = hft::e2e::tmp(name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

void write_token(const std::string& path, const std::string& text, mode_t mode) {
  std::filesystem::remove(path);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  ASSERT_EQ(chmod(path.c_str(), mode), 0);  // explicit: the umask plays no part
}

// A metric's value in Prometheus text ("" when absent).
std::string metric(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return {};
  const auto b = at + series.size() + 2;
  return text.substr(b, text.find('\n', b) - b);
}

TEST(RiskControl, WithoutTokenFileTheEndpointsAre404AndSignalsStillWork) {
  const std::string work = fresh_dir("risk-off");
  const std::string cfg = work + "/config.yml";
  write_file(cfg, daemon_config(work, ""));
  Daemon d(cfg, work + "/hftd.log");
  ASSERT_GT(d.pid, 0);
  ASSERT_TRUE(d.wait_ready()) << slurp(d.log);

  for (const char* path : {"/risk/kill", "/risk/rearm"}) {
    for (const char* method : {"POST", "GET"}) {
      const auto r = d.call(method, path, {{"X-HFTD-Token", kToken}});
      ASSERT_TRUE(r) << method << " " << path;
      EXPECT_EQ(r->status, 404u) << method << " " << path << ": " << r->body;
    }
  }
  EXPECT_EQ(json_field(d.status(), "killed"), "false");

  ASSERT_EQ(kill(d.pid, SIGUSR1), 0);
  EXPECT_TRUE(wait_for([&] { return json_field(d.status(), "killed") == "true"; }, kLimit)) << d.status();
  ASSERT_EQ(kill(d.pid, SIGUSR2), 0);
  EXPECT_TRUE(wait_for([&] { return json_field(d.status(), "killed") == "false" && json_field(d.status(), "rearms") == "1"; },
                       kLimit)) << d.status();
  EXPECT_EQ(metric(d.metrics(), "hftd_risk_requests_total{endpoint=\"kill\",result=\"disabled\"}"), "2");
  EXPECT_EQ(d.stop(), 0) << slurp(d.log);
}

TEST(RiskControl, RefusesToStartWithATokenFileOthersCanReadOrNoToken) {
  const std::string work = fresh_dir("risk-refuse");
  const std::string cfg = work + "/config.yml";
  const std::string token = work + "/token";
  write_file(cfg, daemon_config(work, token));
  struct Case {
    const char* what;
    std::string text;
    mode_t mode;
    const char* expect;  // in the message
  };
  const Case cases[] = {{"0644", kToken + "\n", 0644, "mode 0644"},
                        {"0640", kToken + "\n", 0640, "mode 0640"},
                        {"0602", kToken + "\n", 0602, "mode 0602"},
                        {"empty", " \n", 0600, "empty"},
                        {"missing", "", 0, "No such file"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    if (std::string(c.what) == "missing") std::filesystem::remove(token);
    else write_token(token, c.text, c.mode);
    const auto r = hft::e2e::run("run --config " + cfg);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("risk_management.token_file " + token + ":"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("refusing to start"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("hftd running"), std::string::npos) << r.output;
    if (!c.text.empty()) {
      EXPECT_EQ(r.output.find(kToken), std::string::npos) << "the token was logged";
    }
  }
}

TEST(RiskControl, KillAndRearmOverHttpWithTokenAndBySignals) {
  const std::string work = fresh_dir("risk-on");
  const std::string cfg = work + "/config.yml";
  const std::string token = work + "/token";
  write_token(token, kToken + "\n", 0600);  // a trailing newline, as editors write it
  write_file(cfg, daemon_config(work, token));
  Daemon d(cfg, work + "/hftd.log");
  ASSERT_GT(d.pid, 0);
  ASSERT_TRUE(d.wait_ready()) << slurp(d.log);
  const auto killed = [&] { return json_field(d.status(), "killed"); };
  const auto counter = [&](const std::string& k) { return json_field(d.status(), k); };
  ASSERT_EQ(killed(), "false") << d.status();

  // Refused: no token, a wrong one (also of the right length, and the right one's prefix), GET.
  const std::string same_length(kToken.size(), 'x');
  for (const char* path : {"/risk/kill", "/risk/rearm"}) {
    SCOPED_TRACE(path);
    auto r = d.call("POST", path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401u) << r->body;
    for (const std::string& wrong : {std::string("nope"), same_length, kToken.substr(0, kToken.size() - 1), kToken + "x"}) {
      r = d.call("POST", path, {{"X-HFTD-Token", wrong}});
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 403u) << wrong << ": " << r->body;
    }
    r = d.call("GET", path, {{"X-HFTD-Token", kToken}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405u) << r->body;
    EXPECT_EQ(r->allow, "POST");
  }
  EXPECT_EQ(killed(), "false") << "a refused request changed the state";
  EXPECT_EQ(counter("kills"), "0");

  // Kill over HTTP (the header name in another case: HTTP header names are case-insensitive).
  auto r = d.call("POST", "/risk/kill", {{"x-hftd-token", kToken}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200u) << r->body;
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_NE(r->body.find("\"kill\": true"), std::string::npos) << r->body;
  ASSERT_TRUE(wait_for([&] { return killed() == "true"; }, kLimit)) << d.status();
  EXPECT_EQ(counter("kills"), "1");
  EXPECT_EQ(counter("kill_requested"), "true");
  std::string m = d.metrics();
  EXPECT_EQ(metric(m, "hftd_risk_kill"), "1") << m;
  EXPECT_EQ(metric(m, "hftd_risk_kills_total"), "1") << m;
  EXPECT_EQ(metric(m, "hftd_risk_rearms_total"), "0") << m;
  EXPECT_EQ(metric(m, "hftd_breaker_trips_total"), "0") << m;

  // Re-arm over HTTP.
  r = d.call("POST", "/risk/rearm", {{"X-HFTD-Token", kToken}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200u) << r->body;
  EXPECT_NE(r->body.find("\"kill\": false"), std::string::npos) << r->body;
  ASSERT_TRUE(wait_for([&] { return killed() == "false" && counter("rearms") == "1"; }, kLimit)) << d.status();
  m = d.metrics();
  EXPECT_EQ(metric(m, "hftd_risk_kill"), "0") << m;
  EXPECT_EQ(metric(m, "hftd_risk_rearms_total"), "1") << m;

  // The same by signals.
  ASSERT_EQ(kill(d.pid, SIGUSR1), 0);
  ASSERT_TRUE(wait_for([&] { return killed() == "true" && counter("kills") == "2"; }, kLimit)) << d.status();
  ASSERT_EQ(kill(d.pid, SIGUSR2), 0);
  ASSERT_TRUE(wait_for([&] { return killed() == "false" && counter("rearms") == "2"; }, kLimit)) << d.status();

  // Every request counted by result.
  m = d.metrics();
  EXPECT_EQ(metric(m, "hftd_risk_requests_total{endpoint=\"kill\",result=\"unauthorized\"}"), "1") << m;
  EXPECT_EQ(metric(m, "hftd_risk_requests_total{endpoint=\"kill\",result=\"forbidden\"}"), "4") << m;
  EXPECT_EQ(metric(m, "hftd_risk_requests_total{endpoint=\"kill\",result=\"not_allowed\"}"), "1") << m;
  EXPECT_EQ(metric(m, "hftd_risk_requests_total{endpoint=\"kill\",result=\"ok\"}"), "1") << m;
  EXPECT_EQ(metric(m, "hftd_risk_requests_total{endpoint=\"rearm\",result=\"ok\"}"), "1") << m;
  EXPECT_EQ(metric(m, "hftd_risk_kills_total"), "2") << m;

  // A POST elsewhere is 405 (Allow: GET); the process stops cleanly.
  r = d.call("POST", "/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405u);
  EXPECT_EQ(r->allow, "GET");
  EXPECT_EQ(d.stop(), 0) << slurp(d.log);

  // Each action logged with its source; refusals logged; the token never.
  const std::string log = slurp(d.log);
  EXPECT_NE(log.find("KILL requested by HTTP POST /risk/kill from 127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("RE-ARM requested by HTTP POST /risk/rearm from 127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("KILL requested by SIGUSR1"), std::string::npos) << log;
  EXPECT_NE(log.find("RE-ARM requested by SIGUSR2"), std::string::npos) << log;
  EXPECT_NE(log.find("refused: wrong token (403)"), std::string::npos) << log;
  EXPECT_EQ(log.find(kToken), std::string::npos) << "the token was logged";
}

}  // namespace hft_risk_e2e
