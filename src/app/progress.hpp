// A progress line for long commands (replay, convert, features, gen, book, studies): the share of
// the input done, events a second and the time left, redrawn in place on stderr at most four
// times a second. Only on a terminal: when stderr is a file or a pipe nothing extra is written,
// so logs and scripted runs stay as they were. HFT_NO_PROGRESS=1 turns it off on a terminal too;
// HFT_PROGRESS_INTERVAL_MS sets the least time between redraws (default 250; 0 redraws at every
// chance, which the end-to-end test uses so that what it sees does not depend on speed).
#pragma once
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace hft::app {

class ProgressLine {
 public:
  explicit ProgressLine(const char* what)
      : what_(what), on_(::isatty(STDERR_FILENO) == 1 && !quiet_env()), every_(interval_env()),
        t0_(Clock::now()), last_(t0_) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { finish(); }

  bool enabled() const noexcept { return on_; }

  // share() -> 0..1 of the input done (< 0: unknown, then no time left is shown); done: events
  // or messages so far. Cheap enough per batch: share() (a source's file position, which may
  // cost a system call) and the clock are read every 64th call only.
  template <class Share>
  void update(Share&& share, std::uint64_t done) noexcept {
    if (!on_ || (++calls_ & 63) != 0) return;  // (the first draw is at the 64th call)
    draw(share(), done, false);
  }
  // The same without the call-count filter (a printer thread that already sleeps between calls).
  void draw(double share, std::uint64_t done, bool force) noexcept {
    if (!on_) return;
    const auto now = Clock::now();
    if (!force && now - last_ < every_) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - t0_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
    char left[32] = "";
    if (share > 0.001 && share <= 1.0) {
      const double rest = secs * (1.0 - share) / share;
      std::snprintf(left, sizeof left, ", %.0f s left", rest);
    }
    if (share >= 0 && share <= 1.0)
      std::fprintf(stderr, "\r%s: %5.1f%%, %llu events, %.2f M/s%s   ", what_, 100.0 * share,
                   static_cast<unsigned long long>(done), rate / 1e6, left);
    else
      std::fprintf(stderr, "\r%s: %llu events, %.2f M/s   ", what_, static_cast<unsigned long long>(done), rate / 1e6);
    std::fflush(stderr);
    drawn_ = true;
  }
  // Clears the line (the command's own report follows on a clean line).
  void finish() noexcept {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static bool quiet_env() noexcept {
    const char* v = std::getenv("HFT_NO_PROGRESS");
    return v && *v && *v != '0';
  }
  static std::chrono::milliseconds interval_env() noexcept {
    const char* v = std::getenv("HFT_PROGRESS_INTERVAL_MS");
    const long ms = v && *v ? std::strtol(v, nullptr, 10) : 250;
    return std::chrono::milliseconds(ms >= 0 && ms <= 60'000 ? ms : 250);
  }
  const char* what_;
  bool on_;
  std::chrono::milliseconds every_;
  bool drawn_ = false;
  std::uint64_t calls_ = 0;
  Clock::time_point t0_, last_;
};

// Runs body() (which returns when the work is done) while a printer thread redraws the line from
// poll(share&, done&) four times a second; for work on other threads (the engine's replays).
template <class Body, class Poll>
void with_progress(const char* what, Body&& body, Poll&& poll) {
  ProgressLine line(what);
  if (!line.enabled()) {
    body();
    return;
  }
  std::atomic<bool> stop{false};
  std::thread printer([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      double share = -1;
      std::uint64_t done = 0;
      poll(share, done);
      line.draw(share, done, false);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
  body();
  stop.store(true, std::memory_order_relaxed);
  printer.join();
  line.finish();
}

}  // namespace hft::app
