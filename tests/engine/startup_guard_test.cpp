// StartupGuard: a SIGTERM sent to the process while the guard lives (the daemon building its
// engine with the signals blocked) is taken by the guard's thread at once; after the guard is
// gone a signal stays pending for whoever takes it next (the control loop).
#include "hft/engine/startup_guard.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>

namespace hft::engine {
namespace {

// Blocks SIGUSR1/SIGUSR2 in this thread (threads started here inherit it), restores at the end.
struct Blocked {
  sigset_t set{}, old{};
  Blocked() {
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, &old);
  }
  ~Blocked() {
    // Take anything still pending so that unblocking does not run the default action.
    const timespec zero{0, 0};
    while (sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
};

TEST(StartupGuard, SignalWhileStartingIsTakenAtOnce) {
  Blocked b;
  std::promise<int> got;
  {
    StartupGuard g({SIGUSR1}, [&](int sig) { got.set_value(sig); });
    ASSERT_EQ(kill(getpid(), SIGUSR1), 0);  // as `systemctl stop` would during a long start-up
    auto f = got.get_future();
    // The deadline only keeps a broken guard from hanging the suite.
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(f.get(), SIGUSR1);
    EXPECT_EQ(g.taken(), SIGUSR1);
  }
}

TEST(StartupGuard, AfterTheGuardTheSignalStaysPending) {
  Blocked b;
  std::atomic<int> calls{0};
  { StartupGuard g({SIGUSR2}, [&](int) { ++calls; }); }  // start-up done without a signal
  ASSERT_EQ(kill(getpid(), SIGUSR2), 0);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGUSR2), 1);  // left for the control loop
  EXPECT_EQ(calls.load(), 0);
  // A signal outside the guard's set is not taken by it either.
  {
    StartupGuard g({SIGUSR1}, [&](int) { ++calls; });
    EXPECT_EQ(g.taken(), 0);
  }
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGUSR2), 1);
  EXPECT_EQ(calls.load(), 0);
}

}  // namespace
}  // namespace hft::engine
