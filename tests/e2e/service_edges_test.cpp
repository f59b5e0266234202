// The daemon's smaller edges, as an operator meets them (issue 15):
// - `hftd check-config` refuses what `hftd run` refuses (log_file a directory, state_dir a file,
//   an unknown input kind, a missing input file) and unusable files (/dev/zero, a FIFO, two YAML
//   documents, a pool size beyond its cap), fast and with the setting named;
// - /status and sd_notify STATUS are recomputed on every reload: a rejected reload that is undone,
//   and a restart-only change that is reverted, leave nothing stale behind;
// - SIGHUP reopens the log file (log rotation);
// - /metrics carries the HTTP server's own counters;
// - books.json is replaced atomically (a hard link to the old file keeps the old contents) and
//   names the run (the run id /status shows) and the time;
// - `hftd replay --speed` 0 / nan / inf / negative / huge is refused; a damaged input exits 3 with a
//   message after the report (--allow-damaged: 0).
// Deadlines only keep a broken build from hanging the suite; nothing asserts a duration.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../common/process.hpp"
#include "../common/service_util.hpp"
#include "hft/telemetry/http_server.hpp"
#include "run_util.hpp"

extern char** environ;

namespace hft_edges_e2e {  // named: the e2e files are compiled as one unit

using namespace hft::testing;
namespace fs = std::filesystem;
constexpr auto kLimit = std::chrono::seconds(60);

std::string fresh_dir(const std::string& name) {
  const std::string d = hft::e2e::tmp(name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string base_config() { return slurp(std::string(HFT_SOURCE_DIR) + "/config/config.yml"); }

// A config for a daemon on a live UDP port nobody sends to, with extra settings.
std::string daemon_config(const std::string& work, std::vector<std::pair<std::string, std::string>> extra = {}) {
  auto set = test_settings(work + "/state", free_udp_port());
  set.push_back({"  summary_interval_s", "0"});
  set.push_back({"  config_watch_interval_ms", "0"});
  for (auto& e : extra) set.push_back(std::move(e));
  return config_with(base_config(), set);
}

// ---- check-config ------------------------------------------------------------------------------

TEST(CheckConfig, RefusesWhatRunRefuses) {
  const std::string work = fresh_dir("edges-check");
  const std::string good = work + "/good.yml";
  write_file(good, daemon_config(work));
  auto r = hft::e2e::run("check-config " + good);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  fs::create_directories(work + "/a_dir");
  std::ofstream(work + "/a_file") << "x";
  struct Bad {
    std::string name;
    std::vector<std::pair<std::string, std::string>> set;
    std::string want;  // in the message
  };
  const std::vector<Bad> bad = {
      {"log_dir", {{"  log_file", work + "/a_dir"}}, "system.log_file: " + work + "/a_dir is a directory"},
      {"state_file", {{"  state_dir", work + "/a_file"}}, "system.state_dir: " + work + "/a_file exists and is not a directory"},
      {"state_below_file", {{"  state_dir", work + "/a_file/state"}}, "system.state_dir: " + work + "/a_file/state cannot be created"},
      {"kind", {{"  mode", "replay"}, {"  input", "foo:/x.bin"}}, "feed.input: bad SOURCE 'foo:/x.bin': unknown kind 'foo'"},
      {"missing", {{"  mode", "replay"}, {"  input", "pcap:" + work + "/none.pcap"}}, "feed.input: cannot open pcap " + work + "/none.pcap"},
      {"max_orders", {{"  max_orders", "1000000000"}}, "feed.max_orders: must be in 1024..33554432"},
  };
  for (const Bad& b : bad) {
    const std::string file = work + "/" + b.name + ".yml";
    std::vector<std::pair<std::string, std::string>> set = b.set;
    auto cfg = daemon_config(work, set);
    // daemon_config set state_dir first; a later pair for the same key wins only if applied last.
    for (const auto& [k, v] : set) cfg = config_with(cfg, {{k, v}});
    write_file(file, cfg);
    r = hft::e2e::run("check-config " + file);
    EXPECT_EQ(r.exit_code, 1) << b.name << ": " << r.output;
    EXPECT_NE(r.output.find(file + ": " + b.want), std::string::npos) << b.name << ": " << r.output;
    if (b.name != "max_orders") {  // `run` refuses the same file with the same words, before binding anything
      const auto rr = hft::e2e::run("run --config " + file);
      EXPECT_EQ(rr.exit_code, 1) << b.name << ": " << rr.output;
      const std::string setting = b.want.substr(0, b.want.find(':')), reason = b.want.substr(b.want.find(": ") + 2);
      EXPECT_NE(rr.output.find("hftd: " + setting + " " + reason), std::string::npos) << b.name << ": " << rr.output;
      EXPECT_NE(rr.output.find("refusing to start"), std::string::npos) << b.name << ": " << rr.output;
    }
  }
  // Files that are not a config: a device that never ends, a FIFO nobody writes, two documents.
  r = hft::e2e::run("check-config /dev/zero");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("/dev/zero: is not a regular file (a character device)"), std::string::npos) << r.output;
  const std::string fifo = work + "/fifo.yml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  r = hft::e2e::run("check-config " + fifo);  // a blocking open would hang here
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is not a regular file (a FIFO)"), std::string::npos) << r.output;
  const std::string two = work + "/two.yml";
  write_file(two, slurp(good) + "\n---\nfeed:\n  batch: 8\n");
  r = hft::e2e::run("check-config " + two);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("the file holds 2 YAML documents"), std::string::npos) << r.output;
}

// ---- replay ------------------------------------------------------------------------------------

TEST(ReplayEdges, BadSpeedRefused) {
  const std::vector<std::string> bad = {"0", "nan", "inf", "-inf", "-1", "1e9", "-0", "NaN"};
  for (const std::string& s : bad) {
    const auto r = hft::e2e::run("replay --input pcap:/nonexistent.pcap --speed " + s);
    EXPECT_EQ(r.exit_code, 2) << s << ": " << r.output;
    EXPECT_NE(r.output.find("--speed must be a number in (0, 1000000], got '" + s + "'"), std::string::npos) << r.output;
  }
}

TEST(ReplayEdges, DamagedInputExitsNonZeroAfterTheReport) {
  const std::string work = fresh_dir("edges-damaged");
  const std::string pcap = work + "/day.pcap", cut = work + "/cut.pcap", json = work + "/cut.json";
  auto r = hft::e2e::run("gen --out " + pcap + " --messages 20000 --instruments 2 --seed 3 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = hft::e2e::run("replay --input pcap:" + pcap);
  EXPECT_EQ(r.exit_code, 0) << r.output;  // the whole file: clean
  const std::string bytes = slurp(pcap);
  std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2 + 7));
  r = hft::e2e::run("replay --input pcap:" + cut + " --json " + json);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("throughput"), std::string::npos) << r.output;  // the report is there
  EXPECT_NE(r.output.find("pcap.read_errors"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("hftd replay: the input is damaged: 1 source error(s)"), std::string::npos) << r.output;
  EXPECT_NE(slurp(json).find("\"pcap.read_errors\": 1"), std::string::npos) << slurp(json);
  r = hft::e2e::run("replay --input pcap:" + cut + " --allow-damaged");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// ---- the daemon ----------------------------------------------------------------------------------

// `hftd run` with its output in a file and its own notify socket.
struct Daemon : Process {
  std::uint16_t http_port = 0;
  Daemon(const std::string& cfg, std::string out_path, const std::string& notify_path)
      : Process(run_daemon_args(cfg), std::move(out_path), {"NOTIFY_SOCKET=" + notify_path}) {}
  std::string get(const std::string& target) const {
    const auto r = hft::telemetry::http_get("127.0.0.1", http_port, target);
    return r ? r->body : std::string();
  }
  int stop() { return Process::stop(SIGTERM, kLimit); }
};

// The restart_required list of /status, as text ("[]" when empty).
std::string restart_required(const std::string& status) {
  const auto at = status.find("\"restart_required\": [");
  if (at == std::string::npos) return "?";
  const auto b = at + 20;
  return status.substr(b, status.find(']', b) - b + 1);
}

TEST(ServiceEdges, ReloadStatusLogRotationHttpCountersAndAtomicBooks) {
  const std::string work = fresh_dir("edges-daemon");
  const std::string cfg = work + "/config.yml", log = work + "/hftd.log", state = work + "/state";
  const std::string good = daemon_config(work, {{"  log_file", log}});
  write_file(cfg, good);
  // An old books.json with a second name: replaced by rename, the second name keeps the old bytes.
  fs::create_directories(state);
  std::ofstream(state + "/books.json") << "old books\n";
  ASSERT_EQ(link((state + "/books.json").c_str(), (state + "/books.json.previous").c_str()), 0);

  NotifySocket notify(work + "/notify.sock");
  Daemon d(cfg, work + "/out.txt", notify.path);
  ASSERT_GT(d.pid, 0);
  ASSERT_TRUE(wait_for([&] { notify.poll(); return notify.last_status().find("http 127.0.0.1:") != std::string::npos || d.exited(); }, kLimit))
      << slurp(work + "/out.txt") << slurp(log);
  const std::string ready = notify.last_status();
  ASSERT_NE(ready.find("http 127.0.0.1:"), std::string::npos) << ready << slurp(work + "/out.txt") << slurp(log);
  d.http_port = static_cast<std::uint16_t>(std::stoi(ready.substr(ready.find("http 127.0.0.1:") + 15)));
  const std::string run_id = json_field(d.get("/status"), "run_id");
  EXPECT_EQ(run_id.size(), 16u) << d.get("/status");

  // /metrics: the HTTP server's own counters.
  const std::string m = d.get("/metrics");
  for (const char* what : {"accepted", "rejected_overload", "timeouts", "bad_requests", "evicted_idle", "open"})
    EXPECT_NE(m.find(std::string("hftd_http{what=\"") + what + "\"} "), std::string::npos) << what << "\n" << m.substr(0, 500);

  // A bad edit, rejected; then undone: the rejection is no longer reported anywhere.
  const std::string v1 = json_field(d.get("/status"), "config_version");
  write_file(cfg, good + "telemetry:\n  http_port: 99999\n");
  ASSERT_EQ(kill(d.pid, SIGHUP), 0);
  ASSERT_TRUE(wait_for([&] { return json_field(d.get("/status"), "reload_errors") == "1"; }, kLimit)) << d.get("/status");
  EXPECT_NE(json_field(d.get("/status"), "last_reload_error"), "");
  EXPECT_NE(notify.last_status().find("last reload rejected"), std::string::npos) << notify.last_status();
  write_file(cfg, good);
  ASSERT_EQ(kill(d.pid, SIGHUP), 0);
  ASSERT_TRUE(wait_for([&] { return json_field(d.get("/status"), "last_reload_error").empty(); }, kLimit)) << d.get("/status");
  EXPECT_EQ(json_field(d.get("/status"), "config_version"), v1);
  EXPECT_EQ(json_field(d.get("/status"), "state"), "running");
  EXPECT_EQ(notify.last_status().find("rejected"), std::string::npos) << notify.last_status();
  EXPECT_NE(notify.last_status().find("STATUS=running, config " + v1), std::string::npos) << notify.last_status();

  // A restart-only change is listed; reverting it clears the list.
  write_file(cfg, config_with(good, {{"  max_orders", "2097152"}}));
  ASSERT_EQ(kill(d.pid, SIGHUP), 0);
  ASSERT_TRUE(wait_for([&] { return restart_required(d.get("/status")) == "[\"feed.max_orders\"]"; }, kLimit)) << d.get("/status");
  EXPECT_NE(notify.last_status().find("1 change(s) need a restart"), std::string::npos) << notify.last_status();
  write_file(cfg, good);
  ASSERT_EQ(kill(d.pid, SIGHUP), 0);
  ASSERT_TRUE(wait_for([&] { return restart_required(d.get("/status")) == "[]"; }, kLimit)) << d.get("/status");
  // The file is v1's again: so is the version in force (not the reverted file's).
  ASSERT_TRUE(wait_for([&] { return json_field(d.get("/status"), "config_version") == v1; }, kLimit)) << d.get("/status");
  EXPECT_EQ(notify.last_status().find("restart"), std::string::npos) << notify.last_status();

  // Log rotation: the file is renamed, SIGHUP, and the daemon writes to a new file of the old name.
  fs::rename(log, log + ".1");
  ASSERT_EQ(kill(d.pid, SIGHUP), 0);
  ASSERT_TRUE(wait_for([&] { return slurp(log).find("log file " + log + " reopened (SIGHUP)") != std::string::npos; }, kLimit))
      << slurp(log + ".1");
  // Records queued before the reopen land in either file; none is lost.
  EXPECT_NE((slurp(log + ".1") + slurp(log)).find("hftd starting: run " + run_id), std::string::npos) << slurp(log + ".1");

  // SIGTERM: books.json replaced atomically, naming this run.
  EXPECT_EQ(d.stop(), 0) << slurp(work + "/out.txt") << slurp(log);
  const std::string books = slurp(state + "/books.json");
  EXPECT_EQ(json_field(books, "run_id"), run_id) << books;
  EXPECT_EQ(json_field(books, "written_at").size(), 24u) << books;  // 2026-12-06T15:04:05.123Z
  EXPECT_EQ(json_field(books, "config_version"), v1) << books;
  EXPECT_NE(books.find("\"books\": ["), std::string::npos) << books;
  EXPECT_EQ(slurp(state + "/books.json.previous"), "old books\n");  // an in-place write would have changed it
  for (const auto& e : fs::directory_iterator(state))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

// SIGTERM while start-up is stuck: the replay input is a FIFO, so the daemon's start-up blocks
// reading the pcap header inside the engine's construction (after logging started its threads)
// until the test writes. Which step it is in is known, not timed: the first reader (check of
// the input, before logging) gets a header; the second (the engine's) is attached and starved.
// The daemon must exit 0 at once with a message, not die by the signal in another thread.
TEST(ServiceEdges, SigtermDuringStartUpExitsAtOnce) {
  const std::string work = fresh_dir("edges-startup");
  const std::string fifo = work + "/feed.pcap", cfg = work + "/config.yml", out = work + "/out.txt";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  write_file(cfg, daemon_config(work, {{"  mode", "replay"}, {"  input", "pcap:" + fifo}}));
  NotifySocket notify(work + "/notify.sock");
  Daemon d(cfg, out, notify.path);
  ASSERT_GT(d.pid, 0);
  // A write end opens (non-blocking) only while a reader has the FIFO open.
  const auto attach = [&] {
    int fd = -1;
    wait_for([&] { fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC); return fd >= 0 || d.exited(); }, kLimit);
    return fd;
  };
  int w = attach();  // the input check (preflight): give it a valid empty pcap
  ASSERT_GE(w, 0) << slurp(out);
  const unsigned char header[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0};
  ASSERT_EQ(write(w, header, sizeof header), static_cast<ssize_t>(sizeof header));
  close(w);
  // Past the check: the engine is being built (logging runs), and its own open of the input waits.
  ASSERT_TRUE(wait_for([&] { return slurp(out).find("start-up: building the engine") != std::string::npos || d.exited(); }, kLimit))
      << slurp(out);
  w = attach();  // the engine's reader: attached, given nothing, so start-up cannot finish
  ASSERT_GE(w, 0) << slurp(out);
  ASSERT_EQ(kill(d.pid, SIGTERM), 0);
  ASSERT_TRUE(wait_for([&] { return d.exited(); }, kLimit)) << slurp(out);
  close(w);
  ASSERT_TRUE(WIFEXITED(d.status)) << "killed by signal " << (WIFSIGNALED(d.status) ? WTERMSIG(d.status) : 0) << "\n" << slurp(out);
  EXPECT_EQ(WEXITSTATUS(d.status), 0) << slurp(out);
  EXPECT_NE(slurp(out).find("hftd: SIGTERM during start-up: exiting before the engine runs"), std::string::npos) << slurp(out);
  EXPECT_EQ(slurp(out).find("hftd running"), std::string::npos) << slurp(out);
}

}  // namespace hft_edges_e2e
