// Helpers for tests that run the daemon (in-process or as a process): files written atomically,
// a free UDP port, polling with a hang guard, a field of the /status JSON, and a test config
// derived from config/config.yml.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hft::testing {

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// One atomic change, as an editor or a deployment would make it.
inline void write_file(const std::string& path, const std::string& text) {
  const std::string tmp_path = path + ".tmp";
  std::ofstream(tmp_path, std::ios::binary) << text;
  std::filesystem::rename(tmp_path, path);
}

// A free UDP or TCP port on loopback (bound and released; the daemon binds it right after).
inline std::uint16_t free_port(int type) {
  const int fd = socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}
inline std::uint16_t free_udp_port() { return free_port(SOCK_DGRAM); }
inline std::uint16_t free_tcp_port() { return free_port(SOCK_STREAM); }

// Polls pred every 20 ms; the limit only keeps a bug from hanging the suite.
template <class Pred>
bool wait_for(Pred pred, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

// "key": value (number or string) from a flat part of a JSON text; "" when absent.
inline std::string json_field(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\": ");
  if (at == std::string::npos) return {};
  std::size_t b = at + key.size() + 4, e = b;
  if (json[b] == '"') {
    e = json.find('"', b + 1);
    return json.substr(b + 1, e - b - 1);
  }
  while (e < json.size() && json[e] != ',' && json[e] != '\n' && json[e] != '}') ++e;
  return json.substr(b, e - b);
}

// config/config.yml with settings replaced: each pair is (the key as it appears in the file,
// with its indentation, e.g. "      core"; the new value).
inline std::string config_with(const std::string& base, const std::vector<std::pair<std::string, std::string>>& set) {
  std::string t = base;
  for (const auto& [key, value] : set) {
    const auto at = t.find("\n" + key + ":");
    EXPECT_NE(at, std::string::npos) << key;
    if (at == std::string::npos) continue;
    const auto eol = t.find('\n', at + 1);
    t.replace(at + 1, eol - at - 1, key + ": " + value);
  }
  return t;
}

// The settings every daemon test needs: its own state dir and unicast UDP port on loopback, an
// ephemeral HTTP port, no pinning (CI machines differ), books sized for a test's day, and a hot
// thread that sleeps when idle (200 us: a spinning or backing-off hot thread polls its socket
// tens of thousands of times a second, which took a core from the tests running beside it).
inline std::vector<std::pair<std::string, std::string>> test_settings(const std::string& state_dir,
                                                                      std::uint16_t udp_port) {
  return {{"  state_dir", state_dir}, {"  dst_addr", "127.0.0.1"}, {"  dst_port", std::to_string(udp_port)},
          {"  multicast_group", "\"\""}, {"  http_port", "0"},         {"      core", "-1"},
          {"      idle", "sleep"},  {"  control_core", "-1"},
          // books for 2^18 live orders, not the default 2^22: a live daemon prefaults its pools
          // (~70 bytes an order), and clearing ~290 MB at every daemon start was most of the
          // daemon tests' system time; their days have a few thousand live orders
          {"  max_orders", "262144"}};
}

}  // namespace hft::testing
