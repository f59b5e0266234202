// The systemd notification protocol (sd_notify(3)), spoken directly: one datagram of
// "KEY=VALUE\n..." to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or '@' for the abstract
// namespace). No libsystemd needed. Also the watchdog interval from $WATCHDOG_USEC / $WATCHDOG_PID.
// May touch: nothing but the socket.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hft::engine {

class Notifier {
 public:
  Notifier();  // reads NOTIFY_SOCKET; without it every send is a no-op that returns false
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;
  bool enabled() const noexcept { return fd_ >= 0; }
  bool send(std::string_view state) const noexcept;  // e.g. "READY=1\nSTATUS=running"
  // Watchdog interval when systemd asked for pings (WATCHDOG_USEC set, WATCHDOG_PID absent or ours).
  std::optional<std::chrono::microseconds> watchdog() const noexcept { return watchdog_; }

 private:
  int fd_ = -1;
  std::string addr_;
  std::optional<std::chrono::microseconds> watchdog_;
};

// CLOCK_MONOTONIC in microseconds, for "RELOADING=1\nMONOTONIC_USEC=...".
long long monotonic_usec() noexcept;

}  // namespace hft::engine
