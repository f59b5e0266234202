// A child process for the tests that run `hftd` as an operator would: spawned with its stdout
// and stderr in a log file, killed at the end whatever fails; and the systemd side of sd_notify. The parent's NOTIFY_SOCKET and
// WATCHDOG_* are never passed on (a child must not talk to the runner's own systemd); `env`
// adds "NAME=VALUE" entries (a test's notify socket, a watchdog period).
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "service_util.hpp"

extern char** environ;

namespace hft::testing {

struct Process {
  pid_t pid = -1;    // -1: the spawn failed
  std::string log;
  int status = -1;   // the waitpid status once it ended

  Process(std::vector<std::string> args, std::string log_path, const std::vector<std::string>& env = {})
      : log(std::move(log_path)) {
    std::vector<std::string> env_store;
    for (char** e = environ; *e; ++e)
      if (std::strncmp(*e, "NOTIFY_SOCKET=", 14) != 0 && std::strncmp(*e, "WATCHDOG_", 9) != 0) env_store.emplace_back(*e);
    env_store.insert(env_store.end(), env.begin(), env.end());
    std::vector<char*> envp, argv;
    for (auto& s : env_store) envp.push_back(s.data());
    envp.push_back(nullptr);
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    if (pid > 0 && status < 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  // True once the process ended (status then holds its waitpid status).
  bool exited() {
    if (status >= 0) return true;
    int st = 0;
    if (pid <= 0 || waitpid(pid, &st, WNOHANG) != pid) return pid <= 0;
    status = st;
    return true;
  }
  // Sends sig and waits for the end: its exit code, -1 when killed by a signal or still running
  // after guard (which only keeps a broken build from hanging the suite).
  int stop(int sig = SIGTERM, std::chrono::seconds guard = std::chrono::seconds(90)) {
    if (pid > 0 && status < 0) kill(pid, sig);
    if (!wait_for([&] { return exited(); }, guard)) return -1;
    return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

// The systemd side of sd_notify: a datagram socket the service writes "KEY=VALUE" lines to.
struct NotifySocket {
  int fd = -1;
  std::string path;
  std::vector<std::string> messages;
  explicit NotifySocket(std::string p) : path(std::move(p)) {
    std::filesystem::remove(path);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  ~NotifySocket() {
    close(fd);
    std::filesystem::remove(path);
  }
  void poll() {
    char buf[4096];
    for (;;) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      messages.emplace_back(buf, static_cast<std::size_t>(n));
    }
  }
  // Index of the first message from `from` on that contains `what`, or -1.
  int find(const std::string& what, std::size_t from = 0) const {
    for (std::size_t i = from; i < messages.size(); ++i)
      if (messages[i].find(what) != std::string::npos) return static_cast<int>(i);
    return -1;
  }
  // The last STATUS= line sent so far ("" if none).
  std::string last_status() {
    poll();
    for (auto it = messages.rbegin(); it != messages.rend(); ++it)
      if (const auto at = it->find("STATUS="); at != std::string::npos) return it->substr(at, it->find('\n', at) - at);
    return {};
  }
};

// `hftd run --config cfg` as a Process.
inline std::vector<std::string> run_daemon_args(const std::string& cfg) { return {HFTD_BINARY, "run", "--config", cfg}; }

}  // namespace hft::testing
