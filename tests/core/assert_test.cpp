// HFT_ASSERT: on in the sanitizer builds (the configuration CI runs the unit tests under), where a
// broken invariant aborts with its reason; compiled out of release builds.
#include <gtest/gtest.h>

#include "hft/core/assert.hpp"

namespace {

#if defined(HFT_SANITIZE_ADDRESS) || defined(HFT_SANITIZE_THREAD)
static_assert(hft::kAssertsOn, "the sanitizer builds must run with HFT_ASSERT on");
#endif

TEST(Assert, ABrokenInvariantAbortsWithItsReasonWhenOn) {
  if (!hft::kAssertsOn) {
    int evaluated = 0;
    HFT_ASSERT(++evaluated == 0, "never evaluated in release");
    EXPECT_EQ(evaluated, 0);
    GTEST_SKIP() << "release build: HFT_ASSERT is compiled out";
  }
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(HFT_ASSERT(1 + 1 == 3, "arithmetic broke"), "invariant broken: arithmetic broke");
}

}  // namespace
