// TEMPORARY (replaced by the drift helper's detectors at merge): Page-Hinkley only.
#pragma once
#include <cstdint>
namespace hft::model {
struct PageHinkley {
  double delta = 0.005, lambda = 50;
  double mean = 0, cum = 0, min_cum = 0;
  std::uint64_t n = 0;
  PageHinkley() = default;
  PageHinkley(double d, double l) : delta(d), lambda(l) {}
  bool update(double x) noexcept {
    ++n;
    mean += (x - mean) / static_cast<double>(n);
    cum += x - mean - delta;
    if (cum < min_cum) min_cum = cum;
    return cum - min_cum > lambda;
  }
  void reset() noexcept { mean = cum = min_cum = 0; n = 0; }
};
struct Adwin {  // TEMPORARY-MERGE
  Adwin() = default;
  explicit Adwin(double) {}
  bool update(double) noexcept { return false; }
  void reset() noexcept {}
};
}  // namespace hft::model
