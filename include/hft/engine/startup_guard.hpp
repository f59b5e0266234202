// Start-up that a SIGTERM or SIGINT can interrupt. The daemon blocks its signals as it starts
// (every thread it makes inherits the mask) and takes them in its control loop once that runs;
// building the engine can take seconds (pools of up to 2^25 orders are touched page by page),
// during which a stop request would otherwise wait. A StartupGuard waits for those signals on a
// thread of its own while it lives and calls on_signal(sig) there (the daemon's exits at once:
// nothing has been written yet). Destroying it ends the wait; a signal that arrives later stays
// pending for the control loop. The signals must be blocked in every thread while it lives.
// May touch: POSIX signals, one thread.
#pragma once
#include <atomic>
#include <functional>
#include <initializer_list>
#include <thread>

namespace hft::engine {

class StartupGuard {
 public:
  StartupGuard(std::initializer_list<int> signals, std::function<void(int sig)> on_signal);
  ~StartupGuard();  // joins the thread (within one poll interval, 20 ms)
  StartupGuard(const StartupGuard&) = delete;
  StartupGuard& operator=(const StartupGuard&) = delete;
  int taken() const noexcept { return taken_.load(); }  // the signal handled, 0 = none

 private:
  std::atomic<bool> done_{false};
  std::atomic<int> taken_{0};
  std::thread thread_;
};

}  // namespace hft::engine
