// Avellaneda-Stoikov and GLFT closed forms, tick snapping, the fill-intensity estimator.
#include "hft/exec/avellaneda_stoikov.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace hft::exec {

bool mm_params_valid(const MmParams& p) noexcept {
  return std::isfinite(p.gamma) && std::isfinite(p.sigma) && std::isfinite(p.k) && std::isfinite(p.A) &&
         p.gamma > 0 && p.k > 0 && p.A > 0 && p.sigma >= 0;
}

namespace {
// (1/gamma) ln(1 + gamma/k): the risk-neutral half spread 1/k corrected for risk aversion.
inline double half_spread_base(const MmParams& p) noexcept { return std::log1p(p.gamma / p.k) / p.gamma; }
}  // namespace

double as_reservation_price(double mid, double q, double drift, const MmParams& p, double tau) noexcept {
  tau = std::max(tau, 0.0);
  return mid + drift * tau - q * p.gamma * p.sigma * p.sigma * tau;
}

double as_spread(const MmParams& p, double tau) noexcept {
  tau = std::max(tau, 0.0);
  return p.gamma * p.sigma * p.sigma * tau + 2.0 * half_spread_base(p);
}

Quotes as_quotes(double mid, double q, double drift, const MmParams& p, double tau) noexcept {
  const double r = as_reservation_price(mid, q, drift, p, tau);
  const double h = 0.5 * as_spread(p, tau);
  return {r - h, r + h};
}

Quotes glft_quotes(double mid, double q, double drift, const MmParams& p) noexcept {
  const double g = p.gamma, k = p.k;
  const double c = half_spread_base(p);
  // (1 + g/k)^(1 + k/g) through log1p: exact for small g/k where the power is ~ e (1 + g/k).
  const double pw = std::exp((1.0 + k / g) * std::log1p(g / k));
  const double w = std::sqrt(p.sigma * p.sigma * g / (2.0 * k * p.A) * pw);
  const double skew = drift / (g * p.sigma * p.sigma);  // sigma = 0: +-inf unless drift = 0
  const double db = c + (-skew + (2.0 * q + 1.0) / 2.0) * w;
  const double da = c + (skew - (2.0 * q - 1.0) / 2.0) * w;
  return {mid - db, mid + da};
}

TickQuotes snap_quotes(Quotes q, std::int64_t tick, std::int64_t min_spread_ticks, std::int64_t best_bid,
                       std::int64_t best_ask) noexcept {
  if (tick <= 0) return {0, 0};
  const double t = static_cast<double>(tick);
  // Grid indices within +-2^62 / tick so that every product below fits an int64.
  const double lim = 4.0e18 / t;
  const double fb = std::floor(q.bid / t), fa = std::ceil(q.ask / t);
  const bool has_bid = std::isfinite(fb) && std::fabs(fb) < lim;
  const bool has_ask = std::isfinite(fa) && std::fabs(fa) < lim;
  std::int64_t bid = has_bid ? static_cast<std::int64_t>(fb) * tick : 0;
  std::int64_t ask = has_ask ? static_cast<std::int64_t>(fa) * tick : 0;
  if (has_bid && has_ask) {
    const std::int64_t min_ticks = std::max<std::int64_t>(min_spread_ticks, 1);
    const std::int64_t have = (ask - bid) / tick;  // may be negative (quotes given crossed)
    if (have < min_ticks) {
      const std::int64_t d = min_ticks - have;
      // Widen by d ticks: j on the bid side, d - j on the ask side, the j that keeps the pair's
      // centre nearest the continuous centre (ties: the bid side gets the extra tick).
      const double centre = 0.5 * (q.bid + q.ask);
      std::int64_t best_j = d / 2;
      double best_err = std::numeric_limits<double>::infinity();
      for (std::int64_t j : {d / 2, d - d / 2}) {
        const double c = 0.5 * (static_cast<double>(bid - j * tick) + static_cast<double>(ask + (d - j) * tick));
        const double err = std::fabs(c - centre);
        if (err < best_err) best_err = err, best_j = j;
      }
      bid -= best_j * tick;
      ask += (d - best_j) * tick;
    }
  }
  // Never cross the opposite best (these moves only widen the pair).
  if (has_bid && best_ask > 0 && bid >= best_ask) bid = best_ask - tick;
  if (has_ask && best_bid > 0 && ask <= best_bid) ask = best_bid + tick;
  if (bid <= 0) bid = 0;  // no bid: a price must be positive
  if (ask <= 0) ask = 0;
  return {bid, ask};
}

ArrivalEstimator::ArrivalEstimator(double bucket_width_, int buckets_, double half_life_s, double min_count_)
    : bucket_width(bucket_width_), buckets(buckets_), decay_per_s(0), min_count(min_count_) {
  if (!(bucket_width > 0) || !std::isfinite(bucket_width))
    throw std::invalid_argument("ArrivalEstimator: bucket width must be positive");
  if (buckets < 2 || buckets > kMaxBuckets)
    throw std::invalid_argument("ArrivalEstimator: buckets must be 2..64");
  if (!(min_count > 0)) throw std::invalid_argument("ArrivalEstimator: min_count must be positive");
  if (half_life_s > 0 && std::isfinite(half_life_s)) decay_per_s = std::log(2.0) / half_life_s;
}

void ArrivalEstimator::on_trade(double depth, double weight) noexcept {
  if (!(depth >= 0) || !(weight > 0) || !std::isfinite(weight)) {
    ++rejected;
    return;
  }
  const double b = depth / bucket_width;  // +inf for an infinite depth: the last bucket
  const int i = b >= static_cast<double>(buckets - 1) ? buckets - 1 : static_cast<int>(b);
  count[static_cast<std::size_t>(i)] += weight;
  ++trades;
}

void ArrivalEstimator::on_time(double dt_s) noexcept {
  if (!(dt_s >= 0) || !std::isfinite(dt_s)) {
    ++rejected;
    return;
  }
  if (decay_per_s == 0) {
    exposure_s += dt_s;
    return;
  }
  // Counts decay by f; the exposure is the decayed integral of observed time.
  const double x = decay_per_s * dt_s;
  const double f = std::exp(-x);
  for (int i = 0; i < buckets; ++i) count[static_cast<std::size_t>(i)] *= f;
  exposure_s = exposure_s * f - std::expm1(-x) / decay_per_s;
}

bool ArrivalEstimator::fit(double& A_out, double& k_out) const noexcept {
  if (!(exposure_s > 0)) return false;
  // Weighted least squares of y = ln(N_i / exposure) on x = i * width, N_i = trades at depth
  // >= i * width (cumulative from the deep end), weights N_i; two passes (centred sums).
  std::array<double, kMaxBuckets> cum{};
  double c = 0, sw = 0, sx = 0, sy = 0;
  int used = 0;
  for (int i = buckets - 1; i >= 0; --i) {
    c += count[static_cast<std::size_t>(i)];
    cum[static_cast<std::size_t>(i)] = c;
    if (c < min_count) continue;
    sw += c, sx += c * i * bucket_width, sy += c * std::log(c / exposure_s);
    ++used;
  }
  if (used < 2) return false;
  const double mx = sx / sw, my = sy / sw;
  double sxx = 0, sxy = 0;
  for (int i = 0; i < buckets; ++i) {
    const double w = cum[static_cast<std::size_t>(i)];
    if (w < min_count) continue;
    const double dx = i * bucket_width - mx, dy = std::log(w / exposure_s) - my;
    sxx += w * dx * dx, sxy += w * dx * dy;
  }
  if (!(sxx > 0)) return false;
  const double slope = sxy / sxx;
  const double k = -slope, A = std::exp(my - slope * mx);
  if (!(k > 0) || !std::isfinite(k) || !std::isfinite(A)) return false;
  A_out = A;
  k_out = k;
  return true;
}

void ArrivalEstimator::reset() noexcept {
  count.fill(0);
  exposure_s = 0;
  trades = 0;
  rejected = 0;
}

}  // namespace hft::exec
