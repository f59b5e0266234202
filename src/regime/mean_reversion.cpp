#include "hft/regime/mean_reversion.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hft::regime {

namespace {
constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();
}

RollingVarianceRatio::RollingVarianceRatio(std::size_t window, std::size_t q, std::pmr::memory_resource* mr)
    : q_(std::max<std::size_t>(q, 2)),
      r_(std::max(window, 2 * std::max<std::size_t>(q, 2)), mr),
      qs_(r_.capacity() - q_ + 1, mr) {}

void RollingVarianceRatio::add(double r) noexcept {
  if (r_.full()) {
    const double old = r_.back(r_.size() - 1);
    s1_ -= old;
    s2_ -= old * old;
  }
  r_.push(r);
  s1_ += r;
  s2_ += r * r;
  if (r_.size() >= q_) {
    double R = 0;
    for (std::size_t j = 0; j < q_; ++j) R += r_.back(j);
    if (qs_.full()) {
      const double old = qs_.back(qs_.size() - 1);
      q1_ -= old;
      q2_ -= old * old;
    }
    qs_.push(R);
    q1_ += R;
    q2_ += R * R;
  }
  if (++since_resum_ >= r_.capacity()) resum();
}

void RollingVarianceRatio::resum() noexcept {
  since_resum_ = 0;
  s1_ = s2_ = q1_ = q2_ = 0;
  for (std::size_t i = 0; i < r_.size(); ++i) {
    s1_ += r_.back(i);
    s2_ += r_.back(i) * r_.back(i);
  }
  for (std::size_t i = 0; i < qs_.size(); ++i) {
    q1_ += qs_.back(i);
    q2_ += qs_.back(i) * qs_.back(i);
  }
}

double RollingVarianceRatio::ratio() const noexcept {
  if (!ready()) return kNoValue;
  const double n = static_cast<double>(r_.size()), q = static_cast<double>(q_);
  const double M = n - q + 1;
  const double mu = s1_ / n;
  const double sa2 = (s2_ - n * mu * mu) / (n - 1);
  const double num_c = q2_ - 2 * q * mu * q1_ + M * q * q * mu * mu;
  const double m = q * M * (1 - q / n);
  if (!(sa2 > 0)) return kNoValue;
  return (num_c / m) / sa2;
}

double RollingVarianceRatio::z() const noexcept {
  const double vr = ratio();
  const double n = static_cast<double>(r_.size()), q = static_cast<double>(q_);
  return (vr - 1) / std::sqrt(2 * (2 * q - 1) * (q - 1) / (3 * q * n));
}

RollingAR1::RollingAR1(std::size_t window, std::pmr::memory_resource* mr) : r_(std::max<std::size_t>(window, 3) + 1, mr) {}

void RollingAR1::add(double r) noexcept {
  if (r_.full()) {  // drop the oldest pair (r_{old}, r_{old+1})
    const double x = r_.back(r_.size() - 1), y = r_.back(r_.size() - 2);
    sx_ -= x;
    sy_ -= y;
    sxx_ -= x * x;
    sxy_ -= x * y;
    syy_ -= y * y;
  }
  if (r_.size() > 0) {
    const double x = r_.back(0);
    sx_ += x;
    sy_ += r;
    sxx_ += x * x;
    sxy_ += x * r;
    syy_ += r * r;
  }
  r_.push(r);
  if (++since_resum_ >= r_.capacity()) resum();
}

void RollingAR1::resum() noexcept {
  since_resum_ = 0;
  sx_ = sy_ = sxx_ = sxy_ = syy_ = 0;
  for (std::size_t i = 0; i + 1 < r_.size(); ++i) {
    const double x = r_.back(i + 1), y = r_.back(i);
    sx_ += x;
    sy_ += y;
    sxx_ += x * x;
    sxy_ += x * y;
    syy_ += y * y;
  }
}

double RollingAR1::phi() const noexcept {
  if (!ready()) return kNoValue;
  const double n = static_cast<double>(r_.size() - 1);
  const double den = n * sxx_ - sx_ * sx_;
  if (!(den > 0)) return kNoValue;
  return (n * sxy_ - sx_ * sy_) / den;
}

double RollingAR1::intercept() const noexcept {
  const double n = static_cast<double>(r_.size() - 1);
  return (sy_ - phi() * sx_) / n;
}

double RollingAR1::t_stat() const noexcept {
  const double p = phi();
  if (std::isnan(p)) return kNoValue;
  const double n = static_cast<double>(r_.size() - 1);
  const double cxx = sxx_ - sx_ * sx_ / n, cxy = sxy_ - sx_ * sy_ / n, cyy = syy_ - sy_ * sy_ / n;
  const double ssr = std::max(cyy - cxy * cxy / cxx, 0.0);
  const double se = std::sqrt(ssr / (n - 2) / cxx);
  return se > 0 ? p / se : kNoValue;
}

}  // namespace hft::regime
