// Cheap timestamps for the hot path: the CPU time-stamp counter (rdtsc, a few ns) converted to
// nanoseconds off the hot path with a calibration against CLOCK_MONOTONIC taken at start-up.
// May touch: /proc/cpuinfo (tsc_invariant), clock_gettime, a short sleep in calibrate_tsc.
//
// Fallback: on non-x86 builds rdtsc() returns steady_clock nanoseconds and calibrate_tsc() returns
// ns_per_tick = 1 exactly. On x86 without an invariant TSC (tsc_invariant() false: the counter may
// change rate with frequency scaling or stop in deep sleep states) rdtsc() still reads the TSC, so
// converted durations may be wrong; the engine should then report it at start-up and time with
// monotonic_ns() (a vDSO clock_gettime, ~20-100 ns) instead.
#pragma once
#include <chrono>
#include <cstdint>
#include <ctime>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HFT_HAVE_RDTSC 1
#else
#define HFT_HAVE_RDTSC 0
#endif

namespace hft::telemetry {

// CLOCK_MONOTONIC in nanoseconds.
inline std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CLOCK_REALTIME in nanoseconds since the Unix epoch.
inline std::int64_t realtime_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The raw counter. Not serialising (no fence): it may be reordered with nearby loads, which is
// fine for stage latencies of tens of ns and up.
inline std::uint64_t rdtsc() noexcept {
#if HFT_HAVE_RDTSC
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
#endif
}

// ticks -> ns. (tsc0, ns0) is one simultaneous reading of both clocks, so a tsc value maps to
// CLOCK_MONOTONIC time as ns0 + (tsc - tsc0) * ns_per_tick.
struct TscCalibration {
  double ns_per_tick = 1.0;
  std::uint64_t tsc0 = 0;
  std::int64_t ns0 = 0;

  // A duration in ticks -> ns.
  double to_ns(std::uint64_t ticks) const noexcept { return static_cast<double>(ticks) * ns_per_tick; }
  // A timestamp (a reading of rdtsc()) -> CLOCK_MONOTONIC ns. Works for readings before tsc0 too.
  std::int64_t to_monotonic_ns(std::uint64_t tsc) const noexcept {
    const auto d = static_cast<std::int64_t>(tsc - tsc0);  // two's complement: negative if earlier
    return ns0 + static_cast<std::int64_t>(static_cast<double>(d) * ns_per_tick);
  }
};

// Reads both clocks at the start and at the end of `window` (sleeping in between), keeping at
// each end the reading whose bracketing rdtsc pair was tightest (least disturbed by interrupts
// or a vDSO miss). Longer windows give a more precise rate; 50 ms gives ~1e-6 typically.
// If the counter did not advance (broken virtual TSC) it returns ns_per_tick = 1.
TscCalibration calibrate_tsc(std::chrono::milliseconds window = std::chrono::milliseconds(50));

// True when /proc/cpuinfo lists both constant_tsc and nonstop_tsc (read once, then cached).
// Always false on non-x86 builds (where rdtsc() is steady_clock anyway).
bool tsc_invariant();

}  // namespace hft::telemetry
