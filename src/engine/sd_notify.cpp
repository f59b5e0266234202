#include "hft/engine/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace hft::engine {

Notifier::Notifier() {
  if (const char* w = std::getenv("WATCHDOG_USEC")) {
    const char* pid = std::getenv("WATCHDOG_PID");
    const long long us = std::atoll(w);
    if (us > 0 && (!pid || std::atoll(pid) == static_cast<long long>(getpid())))
      watchdog_ = std::chrono::microseconds(us);
  }
  const char* s = std::getenv("NOTIFY_SOCKET");
  if (!s || (s[0] != '/' && s[0] != '@') || std::strlen(s) >= sizeof(sockaddr_un::sun_path)) return;
  addr_ = s;
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

Notifier::~Notifier() {
  if (fd_ >= 0) close(fd_);
}

bool Notifier::send(std::string_view state) const noexcept {
  if (fd_ < 0) return false;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, addr_.data(), addr_.size());
  if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + addr_.size());
  // Never block the control thread on a slow reader: a full queue drops the message.
  return sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&sa), len) ==
         static_cast<ssize_t>(state.size());
}

long long monotonic_usec() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace hft::engine
