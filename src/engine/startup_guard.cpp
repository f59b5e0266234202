#include "hft/engine/startup_guard.hpp"

#include <signal.h>

#include <cerrno>
#include <ctime>

namespace hft::engine {

StartupGuard::StartupGuard(std::initializer_list<int> signals, std::function<void(int)> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  thread_ = std::thread([this, set, cb = std::move(on_signal)] {
    // sigtimedwait takes a pending signal of the set, not only one sent to this thread. The
    // timeout only bounds how long the destructor waits for this thread.
    const timespec poll{0, 20'000'000};
    while (!done_.load()) {
      const int sig = sigtimedwait(&set, nullptr, &poll);
      if (sig > 0) {
        taken_.store(sig);
        if (cb) cb(sig);
        return;
      }
    }
  });
}

StartupGuard::~StartupGuard() {
  done_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace hft::engine
