#include "hft/telemetry/tsc_clock.hpp"

#include <fstream>
#include <string>
#include <thread>

namespace hft::telemetry {
namespace {

struct Sample {
  std::uint64_t tsc;
  std::int64_t ns;
};

// The clock_gettime reading taken between the tightest of a few rdtsc pairs, paired with the
// midpoint of that pair.
Sample best_sample() {
  Sample best{rdtsc(), monotonic_ns()};
  std::uint64_t best_gap = ~std::uint64_t{0};
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t a = rdtsc();
    const std::int64_t ns = monotonic_ns();
    const std::uint64_t b = rdtsc();
    if (b >= a && b - a < best_gap) {
      best_gap = b - a;
      best = {a + (b - a) / 2, ns};
    }
  }
  return best;
}

bool read_invariant() {
#if HFT_HAVE_RDTSC
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    // Flags are space-separated; pad so that whole words match.
    const std::string padded = " " + line + " ";
    return padded.find(" constant_tsc ") != std::string::npos &&
           padded.find(" nonstop_tsc ") != std::string::npos;
  }
#endif
  return false;
}

}  // namespace

TscCalibration calibrate_tsc(std::chrono::milliseconds window) {
#if !HFT_HAVE_RDTSC
  (void)window;
  const std::uint64_t t = rdtsc();
  return {1.0, t, static_cast<std::int64_t>(t)};
#else
  const Sample s0 = best_sample();
  if (window.count() > 0) std::this_thread::sleep_for(window);
  const Sample s1 = best_sample();
  TscCalibration c;
  c.tsc0 = s0.tsc;
  c.ns0 = s0.ns;
  if (s1.tsc > s0.tsc && s1.ns > s0.ns)
    c.ns_per_tick = static_cast<double>(s1.ns - s0.ns) / static_cast<double>(s1.tsc - s0.tsc);
  return c;
#endif
}

bool tsc_invariant() {
  static const bool v = read_invariant();
  return v;
}

}  // namespace hft::telemetry
