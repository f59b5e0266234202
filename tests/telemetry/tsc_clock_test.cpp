#include "hft/telemetry/tsc_clock.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <thread>

namespace hft::telemetry {
namespace {

TEST(TscClock, CalibrationIsPositiveAndFinite) {
  const TscCalibration c = calibrate_tsc(std::chrono::milliseconds(10));
  EXPECT_GT(c.ns_per_tick, 0.0);
  EXPECT_TRUE(std::isfinite(c.ns_per_tick));
  EXPECT_GT(c.ns0, 0);
}

// A converted tsc interval must lie within the monotonic interval that brackets it (minus and
// plus a 2% rate tolerance): each tsc reading is taken between two clock_gettime readings.
TEST(TscClock, ConvertedIntervalIsBracketedByMonotonicClock) {
  const TscCalibration c = calibrate_tsc(std::chrono::milliseconds(30));
  const std::int64_t m0a = monotonic_ns();
  const std::uint64_t t0 = rdtsc();
  const std::int64_t m0b = monotonic_ns();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const std::int64_t m1a = monotonic_ns();
  const std::uint64_t t1 = rdtsc();
  const std::int64_t m1b = monotonic_ns();
  ASSERT_GT(t1, t0);
  const double ns = c.to_ns(t1 - t0);
  EXPECT_GE(ns, static_cast<double>(m1a - m0b) * 0.98);
  EXPECT_LE(ns, static_cast<double>(m1b - m0a) * 1.02);
  // The timestamp mapping lands between the bracketing readings too (same tolerance, over the
  // time since calibration).
  const std::int64_t mono = c.to_monotonic_ns(t1);
  const double slack = 0.02 * static_cast<double>(m1b - c.ns0) + 1e5;
  EXPECT_GE(static_cast<double>(mono), static_cast<double>(m1a) - slack);
  EXPECT_LE(static_cast<double>(mono), static_cast<double>(m1b) + slack);
}

TEST(TscClock, TimestampBeforeCalibrationMapsBackwards) {
  TscCalibration c{0.5, 1000, 1'000'000};
  EXPECT_EQ(c.to_monotonic_ns(600), 1'000'000 - 200);
  EXPECT_EQ(c.to_monotonic_ns(3000), 1'000'000 + 1000);
  EXPECT_DOUBLE_EQ(c.to_ns(10), 5.0);
}

TEST(TscClock, InvariantMatchesCpuinfo) {
#if HFT_HAVE_RDTSC
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  bool expect = false;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) {
      expect = line.find(" constant_tsc") != std::string::npos && line.find(" nonstop_tsc") != std::string::npos;
      break;
    }
  }
  EXPECT_EQ(tsc_invariant(), expect);
#else
  EXPECT_FALSE(tsc_invariant());
#endif
}

}  // namespace
}  // namespace hft::telemetry
