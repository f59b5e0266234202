#include "hft/regime/vol_regime.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hft::regime {

RollingRealizedVol::RollingRealizedVol(std::size_t window, std::pmr::memory_resource* mr) : ring_(window, mr) {}

void RollingRealizedVol::add(double r) noexcept {
  if (ring_.full()) {
    const double old = ring_.back(ring_.size() - 1);
    ss_ -= old * old;
  }
  ring_.push(r);
  ss_ += r * r;
  if (++since_resum_ >= ring_.capacity()) {
    since_resum_ = 0;
    double s = 0;
    for (std::size_t i = 0; i < ring_.size(); ++i) s += ring_.back(i) * ring_.back(i);
    ss_ = s;
  }
}

double RollingRealizedVol::value() const noexcept {
  if (!ready()) return std::numeric_limits<double>::quiet_NaN();
  return std::sqrt(std::max(ss_, 0.0) / static_cast<double>(ring_.size()));
}

double sorted_quantile(std::span<const double> s, double p) noexcept {
  if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double h = static_cast<double>(s.size() - 1) * std::clamp(p, 0.0, 1.0);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= s.size()) return s.back();
  return s[lo] + (h - static_cast<double>(lo)) * (s[lo + 1] - s[lo]);
}

QuantileRegimes::QuantileRegimes(std::size_t warmup, std::vector<double> probs, std::pmr::memory_resource* mr)
    : warmup_(std::max<std::size_t>(warmup, 1)), probs_(probs.begin(), probs.end(), mr), sample_(mr), cuts_(mr) {
  std::sort(probs_.begin(), probs_.end());
  cuts_.resize(probs_.size());  // before the sample's room: the small arrays written now share a page
  sample_.reserve(warmup_);
}

bool QuantileRegimes::add_warmup(double v) {
  if (ready_) return true;
  if (!std::isfinite(v)) {
    ++rejected_;
    return false;
  }
  sample_.push_back(v);  // within the reserved capacity
  if (sample_.size() < warmup_) return false;
  std::sort(sample_.begin(), sample_.end());
  for (std::size_t i = 0; i < probs_.size(); ++i) cuts_[i] = sorted_quantile(sample_, probs_[i]);
  ready_ = true;
  return true;
}

int QuantileRegimes::classify(double v) const noexcept {
  if (!ready_ || !std::isfinite(v)) return -1;
  return static_cast<int>(std::upper_bound(cuts_.begin(), cuts_.end(), v) - cuts_.begin());
}

double QuantileRegimes::rank(double v) const noexcept {
  if (!ready_ || std::isnan(v)) return std::numeric_limits<double>::quiet_NaN();
  const auto k = std::upper_bound(sample_.begin(), sample_.end(), v) - sample_.begin();
  return static_cast<double>(k) / static_cast<double>(sample_.size());
}

}  // namespace hft::regime
