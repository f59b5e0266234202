// HFT_ASSERT(cond, why): a runtime check of an invariant. On in the sanitizer and debug builds
// (no NDEBUG), compiled out of release builds (the hot path pays nothing; the condition is not
// evaluated). A failure prints where and why to stderr and aborts: a broken invariant must stop
// the process where it broke, not go on to corrupt a book or an order.
// May touch: nothing.
#pragma once
#include <cstdio>
#include <cstdlib>

namespace hft {

#ifdef NDEBUG
inline constexpr bool kAssertsOn = false;
#else
inline constexpr bool kAssertsOn = true;
#endif

[[noreturn]] inline void assert_fail(const char* cond, const char* why, const char* file, int line) noexcept {
  std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", file, line, why, cond);
  std::abort();
}

}  // namespace hft

#ifdef NDEBUG
#define HFT_ASSERT(cond, why) ((void)sizeof(!(cond)))
#else
#define HFT_ASSERT(cond, why) ((cond) ? (void)0 : ::hft::assert_fail(#cond, why, __FILE__, __LINE__))
#endif
