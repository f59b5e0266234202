// Inline exp and log for hot loops (BOCPD's run lengths, the features' decay factors):
// branch-free (so loops pipeline and can vectorise) and within a few ulp of std::exp / std::log
// on the ranges used there. glibc's exp/log are out-of-line calls with special-case branches.
// Touches nothing.
//   fast_exp(x): x clamped to [-708, 709] (below: about 3e-308 instead of a subnormal or 0).
//   fast_log(y): y must be a positive normal finite double (not checked).
// The bodies are templates on the value type D (double, or a GCC vector of doubles with U the
// matching vector of uint64) so that the same arithmetic runs per lane; they work in place and
// use __builtin_bit_cast so that no vector crosses a call (no ABI dependence, always inlined).
#pragma once
#include <cstdint>
#include <type_traits>

namespace hft {

template <class D, class U>
[[gnu::always_inline]] inline void exp_inplace(D& x) noexcept {
  constexpr double kLog2e = 1.4426950408889634074;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // fdlibm split: k * kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShift = 0x1.8p52;  // adding it rounds to an integer kept in the low bits
  const D lo = D{} + -708.0, hi = D{} + 709.0;
  if constexpr (std::is_same_v<D, double>) {
    x = x < lo ? lo : x;
    x = x > hi ? hi : x;
  } else {
    // Vectors: the clamp as masks and bit blends. GCC turned `x < lo ? lo : x` on a 4-double
    // vector without AVX into per-lane scalar max/min put back together through the stack, and
    // the 16-byte reload of two 8-byte stores stalled (store forwarding fails): a third of the
    // features' decay update in `perf annotate` on a 500-instrument day.
    const U below = x < lo, above = x > hi;  // all ones where true
    const U xb = __builtin_bit_cast(U, x);
    x = __builtin_bit_cast(D, (below & __builtin_bit_cast(U, lo)) | (above & __builtin_bit_cast(U, hi)) |
                                  (~(below | above) & xb));
  }
  const D t = x * kLog2e + kShift;
  const D k = t - kShift;                          // round(x / ln 2)
  const D r = (x - k * kLn2Hi) - k * kLn2Lo;       // |r| <= ln2 / 2
  // Taylor series to degree 13: truncation below 4e-18 relative for |r| <= 0.347. Evaluated by
  // Estrin's scheme (pairs, then powers r^2, r^4, r^8), not Horner's: a dependency chain of 5
  // multiply-adds instead of 14, the latency that bounded the features' per-event decay update.
  const D r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const D q0 = r + 1.0, q1 = r * (1.0 / 6.0) + 0.5, q2 = r * (1.0 / 120.0) + 1.0 / 24.0;
  const D q3 = r * (1.0 / 5040.0) + 1.0 / 720.0, q4 = r * (1.0 / 362880.0) + 1.0 / 40320.0;
  const D q5 = r * (1.0 / 39916800.0) + 1.0 / 3628800.0, q6 = r * (1.0 / 6227020800.0) + 1.0 / 479001600.0;
  const D s0 = q1 * r2 + q0, s1 = q3 * r2 + q2, s2 = q5 * r2 + q4;
  const D t0 = s1 * r4 + s0, t1 = q6 * r4 + s2;
  const D p = t1 * r8 + t0;
  // 2^k from the integer in t's low mantissa bits (k in [-1022, 1023]: a normal double).
  const U ki = __builtin_bit_cast(U, t) - __builtin_bit_cast(std::uint64_t, kShift);
  x = p * __builtin_bit_cast(D, (ki + 1023) << 52);
}

template <class D, class U>
[[gnu::always_inline]] inline void log_inplace(D& y) noexcept {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const D sqrt2 = D{} + 1.4142135623730950488;
  const U b = __builtin_bit_cast(U, y);
  // Mantissa m in [1, 2) and the biased exponent as a double without an int -> double convert.
  D m = __builtin_bit_cast(D, (b & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
  D e = __builtin_bit_cast(D, (b >> 52) | 0x4330000000000000ull) - (0x1p52 + 1023.0);
  const auto big = m > sqrt2;  // move m to [sqrt(1/2), sqrt(2))
  m = big ? m * 0.5 : m;
  e = big ? e + 1.0 : e;
  // log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716; m - 1 is exact (Sterbenz).
  const D s = (m - 1.0) / (m + 1.0);
  const D z = s * s;
  D p = D{} + 1.0 / 21.0;  // series to s^21: truncation below 3e-19
  p = p * z + 1.0 / 19.0;
  p = p * z + 1.0 / 17.0;
  p = p * z + 1.0 / 15.0;
  p = p * z + 1.0 / 13.0;
  p = p * z + 1.0 / 11.0;
  p = p * z + 1.0 / 9.0;
  p = p * z + 1.0 / 7.0;
  p = p * z + 1.0 / 5.0;
  p = p * z + 1.0 / 3.0;
  const D lm = 2.0 * s + 2.0 * s * z * p;
  y = e * kLn2Hi + (lm + e * kLn2Lo);
}

inline double fast_exp(double x) noexcept {
  exp_inplace<double, std::uint64_t>(x);
  return x;
}

inline double fast_log(double y) noexcept {
  log_inplace<double, std::uint64_t>(y);
  return y;
}

}  // namespace hft
