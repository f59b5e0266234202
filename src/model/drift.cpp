// Page-Hinkley and ADWIN2 drift detectors (see the header for the definitions).
#include "hft/model/drift.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hft::model {

// ---------------------------------------------------------------- Page-Hinkley

PageHinkley::PageHinkley(const PageHinkleyConfig& c) : cfg(c) {
  if (!(std::isfinite(c.delta) && c.delta >= 0)) throw std::invalid_argument("page_hinkley.delta must be finite and >= 0");
  if (!(std::isfinite(c.lambda) && c.lambda > 0)) throw std::invalid_argument("page_hinkley.lambda must be finite and > 0");
}

bool PageHinkley::update(double x) noexcept {
  if (!std::isfinite(x)) {
    ++ignored;
    return false;
  }
  ++updates;
  ++n;
  mean += (x - mean) / static_cast<double>(n);
  if (cfg.direction == DriftDirection::Increase) {
    sum += x - mean - cfg.delta;
    extreme = std::min(extreme, sum);
  } else {
    sum += x - mean + cfg.delta;
    extreme = std::max(extreme, sum);
  }
  if (n >= cfg.min_instances && statistic() > cfg.lambda) {
    ++alarms;
    reset();
    return true;
  }
  return false;
}

double PageHinkley::statistic() const noexcept {
  return cfg.direction == DriftDirection::Increase ? sum - extreme : extreme - sum;
}

void PageHinkley::reset() noexcept {
  n = 0;
  mean = sum = extreme = 0;
}

// ---------------------------------------------------------------- ADWIN

Adwin::Adwin(const AdwinConfig& c) : cfg(c) {
  if (!(c.delta > 0 && c.delta < 1)) throw std::invalid_argument("adwin.delta must be in (0, 1)");
  if (c.max_buckets < 2) throw std::invalid_argument("adwin.max_buckets must be >= 2");
  if (c.max_rows < 1 || c.max_rows > 62) throw std::invalid_argument("adwin.max_rows must be in [1, 62]");
  if (c.clock < 1) throw std::invalid_argument("adwin.clock must be >= 1");
  if (c.min_sub_window < 1) throw std::invalid_argument("adwin.min_sub_window must be >= 1");
  slots.assign(static_cast<std::size_t>(c.max_rows) * (c.max_buckets + 1), AdwinBucket{});
  head.assign(c.max_rows, 0);
  count.assign(c.max_rows, 0);
}

std::uint64_t Adwin::capacity() const noexcept {
  return static_cast<std::uint64_t>(cfg.max_buckets) * ((std::uint64_t{1} << cfg.max_rows) - 1);
}

AdwinBucket& Adwin::at(std::uint32_t row, std::uint32_t k) noexcept {
  const std::uint32_t per = cfg.max_buckets + 1;
  return slots[static_cast<std::size_t>(row) * per + (head[row] + k) % per];
}
const AdwinBucket& Adwin::at(std::uint32_t row, std::uint32_t k) const noexcept {
  const std::uint32_t per = cfg.max_buckets + 1;
  return slots[static_cast<std::size_t>(row) * per + (head[row] + k) % per];
}

void Adwin::reset() noexcept {
  std::fill(count.begin(), count.end(), 0u);
  std::fill(head.begin(), head.end(), 0u);
  rows_used = 0;
  width = 0;
  total = m2 = 0;
}

// Removes the window's oldest bucket (the oldest of the highest used row) from the totals.
void Adwin::drop_oldest() noexcept {
  while (rows_used > 0 && count[rows_used - 1] == 0) --rows_used;
  if (rows_used == 0) return;
  const std::uint32_t r = rows_used - 1;
  const AdwinBucket b = at(r, 0);
  head[r] = (head[r] + 1) % (cfg.max_buckets + 1);
  --count[r];
  const auto nb = static_cast<double>(std::uint64_t{1} << r);
  const std::uint64_t rest_n = width - (std::uint64_t{1} << r);
  if (rest_n == 0) {
    width = 0;
    total = m2 = 0;
  } else {
    const auto nr = static_cast<double>(rest_n);
    const double mb = b.sum / nb, mr = (total - b.sum) / nr;
    m2 = std::max(0.0, m2 - b.m2 - nb * nr / (nb + nr) * (mb - mr) * (mb - mr));
    total -= b.sum;
    width = rest_n;
  }
  while (rows_used > 0 && count[rows_used - 1] == 0) --rows_used;
}

double Adwin::eps_cut(double n0, double n1, double var, double delta) noexcept {
  const double w = n0 + n1;
  const double dprime = delta / std::log(std::max(w, 3.0));
  const double l = std::log(2.0 / dprime);
  const double m = 1.0 / (1.0 / n0 + 1.0 / n1);
  return std::sqrt(2.0 / m * var * l) + 2.0 / (3.0 * m) * l;
}

// Is there a boundary, oldest bucket first, whose two sides differ by more than eps_cut?
bool Adwin::any_cut() const noexcept {
  const std::uint64_t min_n = cfg.min_sub_window;
  if (width < 2 * min_n) return false;
  const double var = variance();
  std::uint64_t n0 = 0;
  double s0 = 0;
  for (std::uint32_t r = rows_used; r-- > 0;) {
    const std::uint64_t size = std::uint64_t{1} << r;
    for (std::uint32_t k = 0; k < count[r]; ++k) {
      n0 += size;
      s0 += at(r, k).sum;
      const std::uint64_t n1 = width - n0;
      if (n1 < min_n) return false;  // later boundaries leave even less on the new side
      if (n0 < min_n) continue;
      const double a = static_cast<double>(n0), b = static_cast<double>(n1);
      if (std::fabs(s0 / a - (total - s0) / b) > eps_cut(a, b, var, cfg.delta)) return true;
    }
  }
  return false;
}

bool Adwin::update(double x) noexcept {
  if (!std::isfinite(x)) {
    ++ignored;
    return false;
  }
  ++updates;
  // Window totals (Welford).
  const double d = x - mean();
  ++width;
  total += x;
  m2 += d * (x - mean());
  if (m2 < 0) m2 = 0;
  // New bucket of one value in row 0, then merge upwards while a row holds M + 1 buckets.
  const std::uint32_t per = cfg.max_buckets + 1;
  at(0, count[0]) = AdwinBucket{x, 0.0};
  ++count[0];
  if (rows_used == 0) rows_used = 1;
  for (std::uint32_t r = 0; r < cfg.max_rows && count[r] == per; ++r) {
    if (r + 1 == cfg.max_rows) {  // the window is full: the oldest bucket goes
      drop_oldest();
      ++capacity_drops;
      break;
    }
    const AdwinBucket a = at(r, 0), b = at(r, 1);
    head[r] = (head[r] + 2) % per;
    count[r] -= 2;
    const double n = static_cast<double>(std::uint64_t{1} << r);
    const double da = a.sum / n - b.sum / n;
    at(r + 1, count[r + 1]) = AdwinBucket{a.sum + b.sum, a.m2 + b.m2 + 0.5 * n * da * da};
    ++count[r + 1];
    rows_used = std::max(rows_used, r + 2);
  }
  if (updates % cfg.clock != 0) return false;
  ++checks;
  bool cut = false;
  while (any_cut()) {
    drop_oldest();
    ++buckets_dropped;
    cut = true;
  }
  if (cut) ++alarms;
  return cut;
}

}  // namespace hft::model
