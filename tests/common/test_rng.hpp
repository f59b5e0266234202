// The tests' own generator (splitmix64): the same data on every platform and standard library
// (std:: distributions differ between them).
#pragma once
#include <cmath>
#include <cstdint>
#include <numbers>

namespace hft::testing {

struct TestRng {
  std::uint64_t s;
  explicit TestRng(std::uint64_t seed) : s(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double sym() { return 2 * uniform() - 1; }
  double normal() {  // Box-Muller
    double u = uniform() + 1e-300, v = uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
  }
};

}  // namespace hft::testing
