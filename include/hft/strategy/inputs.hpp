// Small pieces the built-in strategies share: the volatility they size quotes and schedules by
// (from the feature stage's realized volatility, with the strategy's own estimate as a fallback)
// and a per-instrument slot table (a strategy trades a few instruments out of many ids).
// May touch: features/ (read only), core/.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "hft/core/types.hpp"
#include "hft/features/features.hpp"

namespace hft::strategy {

// Volatility of the mid in currency per sqrt(second). The feature stage's rv_{h} at the mid
// horizon is sqrt(S_h of r^2) with S_h a decayed sum of time constant tau, so E[rv^2] = sigma^2
// tau for log-returns of variance sigma^2 a second: sigma = rv / sqrt(tau), times the mid. When
// the features are not there (or not warm), an exponentially weighted estimate of the same
// quantity from the mids the strategy saw.
struct VolEstimate {
  int index = -2;      // feature index of rv at the mid horizon; -1 none; -2 not looked up yet
  double tau = 10;     // its time constant (s)
  double ew_var = 0;   // fallback: decayed sum of squared log-returns
  double last_mid = 0;
  Nanos last_t = 0;
  double ew_tau = 10;

  void bind(const features::FeatureEngine& fe) noexcept {
    const auto& names = fe.schema().names;
    const auto& hs = fe.config().horizons_s;
    const std::size_t mid_h = hs.size() > 1 ? 1 : 0;
    index = -1;
    int seen = 0;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (std::string_view(names[i]).substr(0, 3) == "rv_" && seen++ == static_cast<int>(mid_h)) {
        index = static_cast<int>(i);
        tau = hs[mid_h];
      }
  }
  // The fallback estimate follows every mid (call on each two-sided event).
  void on_mid(double mid, Nanos t) noexcept {
    if (last_mid > 0 && mid != last_mid) {
      const double dt = static_cast<double>(t - last_t) * 1e-9;
      const double r = std::log(mid / last_mid);
      ew_var = ew_var * std::exp(-(dt > 0 ? dt : 0) / ew_tau) + r * r;
    }
    if (mid != last_mid) {
      last_mid = mid;
      last_t = t;
    }
  }
  // sigma in currency per sqrt(second) at mid (currency); 0 when nothing is known yet.
  double sigma(const features::FeatureEngine* fe, InstrumentId id, double mid) noexcept {
    if (fe && index == -2) bind(*fe);
    double rv = 0;
    double t = tau;
    if (fe && index >= 0) rv = fe->values(id)[static_cast<std::size_t>(index)];
    if (!(rv > 0)) {
      rv = std::sqrt(ew_var);
      t = ew_tau;
    }
    return mid * rv / std::sqrt(t);
  }
};

// Slot of an instrument id among the few a strategy trades (kNone when it has none yet).
class Slots {
 public:
  static constexpr std::uint8_t kNone = 0xFF;
  explicit Slots(std::size_t max_slots = 64)
      : slot_(std::size_t{1} << 16, kNone), max_(max_slots < kNone ? max_slots : kNone - 1) {}
  // The slot of id, made on first use; kNone when the table is full (counted by the caller).
  std::uint8_t get(InstrumentId id) noexcept {
    if (id >= slot_.size()) return kNone;
    if (slot_[id] == kNone && used_ < max_) slot_[id] = static_cast<std::uint8_t>(used_++);
    return slot_[id];
  }
  std::size_t used() const noexcept { return used_; }

 private:
  std::vector<std::uint8_t> slot_;
  std::size_t used_ = 0;
  std::size_t max_;
};

}  // namespace hft::strategy
