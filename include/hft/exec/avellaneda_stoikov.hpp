// Market-making quotes: Avellaneda & Stoikov (2008) finite horizon, the Gueant-Lehalle-Fernandez-
// Tapia (2013) closed-form approximation (with the drift term of Gueant 2017) and the GLFT exact
// bounded-inventory solution, snapping to the tick grid, and an online estimate of the fill
// intensity lambda(delta) = A exp(-k delta).
// May touch: core. (Eigen inside glft_exact only.)
//
// Units: prices in any one unit (the caller's; the hot path uses ITCH price units, 1e-4 $);
// sigma in price units per sqrt(second), k per price unit, A per second, gamma per price unit,
// times in seconds, q in lots (one fill moves q by 1).
// Everything but glft_exact is allocation-free, branch-light and noexcept. Parameters are not
// validated per call: a gamma, k or A <= 0 gives NaN or infinite quotes; check mm_params_valid()
// once when the parameters change, and snap_quotes maps a non-finite quote to "no quote" (0).
//
// Formulas (delta_b = mid - bid, delta_a = ask - mid):
//   AS 2008:  r = s + drift tau - q gamma sigma^2 tau,
//             spread = gamma sigma^2 tau + (2/gamma) ln(1 + gamma/k), bid/ask = r -/+ spread/2.
//   GLFT:     delta_b = c + (-drift/(gamma sigma^2) + (2q+1)/2) w,
//             delta_a = c + ( drift/(gamma sigma^2) - (2q-1)/2) w,
//             c = (1/gamma) ln(1 + gamma/k),  w = sqrt(sigma^2 gamma/(2 k A) (1+gamma/k)^(1+k/gamma)).
//   Exact:    v(t) = exp(-M (T-t)) 1, M tridiagonal on q = -Q..Q: alpha q^2 on the diagonal,
//             -eta beside it, alpha = k gamma sigma^2 / 2, eta = A (1+gamma/k)^-(1+k/gamma);
//             delta_b(q) = (1/k) ln(v_q / v_{q+1}) + c,  delta_a(q) = (1/k) ln(v_q / v_{q-1}) + c.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace hft::exec {

struct MmParams {
  double gamma;  // risk aversion, per price unit
  double sigma;  // price units per sqrt(second)
  double k;      // fill intensity decay, per price unit
  double A;      // fill intensity at depth 0, per second
};

struct Quotes {
  double bid;
  double ask;
};

// gamma, sigma, k, A finite, gamma, k, A > 0, sigma >= 0.
bool mm_params_valid(const MmParams& p) noexcept;

// Avellaneda-Stoikov 2008, finite horizon; tau = T - t in seconds (negative taken as 0); drift:
// expected mid drift in price units per second (moves the reservation price by drift * tau).
double as_reservation_price(double mid, double q, double drift, const MmParams& p, double tau) noexcept;
// gamma sigma^2 tau + (2/gamma) ln(1 + gamma/k): the total bid-ask spread.
double as_spread(const MmParams& p, double tau) noexcept;
Quotes as_quotes(double mid, double q, double drift, const MmParams& p, double tau) noexcept;

// GLFT 2013 infinite-horizon closed-form approximation, with Gueant's (2017) drift term.
Quotes glft_quotes(double mid, double q, double drift, const MmParams& p) noexcept;

// Exact solution for an inventory bounded by |q| <= qmax (no drift). T: horizon in seconds (the
// quotes at t = 0); T = +infinity gives the asymptotic regime (the Perron eigenvector of the
// smallest eigenvalue of M). Depths are in price units, index q + qmax; bid_depth is NaN at
// q = qmax (no bid), ask_depth NaN at q = -qmax. Computed by scaling and squaring on the
// nonnegative matrix c I - M (no cancellation: every component keeps its relative accuracy,
// even where v_q is tiny). Throws std::invalid_argument on bad parameters, qmax outside 1..1000
// or T < 0. Not for the hot path (allocates, O(qmax^3 log T): qmax 200 takes about 1 s).
struct GlftExact {
  int qmax;
  std::vector<double> bid_depth, ask_depth;
};
GlftExact glft_exact(const MmParams& p, int qmax, double T);

// Snap continuous quotes (same price units as tick) to the tick grid: bid rounded down, ask up;
// then at least max(min_spread_ticks, 1) ticks apart (widened on the side that keeps the pair
// closest to the continuous quotes' centre); then never crossing the opposite best (best_bid /
// best_ask 0 = unknown): a bid >= best_ask moves to best_ask - tick, an ask <= best_bid to
// best_bid + tick. A side that is not finite, out of range, or (bid) not positive comes back as
// 0 = no quote; tick <= 0 gives {0, 0}.
struct TickQuotes {
  std::int64_t bid;
  std::int64_t ask;
};
TickQuotes snap_quotes(Quotes q, std::int64_t tick, std::int64_t min_spread_ticks,
                       std::int64_t best_bid, std::int64_t best_ask) noexcept;

// Online estimate of the fill intensity lambda(delta) = A exp(-k delta) of a resting order at
// depth delta from the trades: a trade that reaches depth d = |price - mid| fills every resting
// order at depth <= d, so lambda(delta) = rate of trades with depth >= delta. Trades are counted
// in fixed buckets of width bucket_width (the last bucket holds every deeper trade); fit()
// regresses ln(N(>= delta_i) / exposure) on delta_i = i * bucket_width by least squares
// weighted by the counts (var ln N ~ 1/N), over the buckets holding at least min_count trades.
// Exponential forgetting: counts and exposure decay with half-life half_life_s (<= 0 or
// infinite: none). Per call O(buckets) (<= kMaxBuckets), no allocation.
struct ArrivalEstimator {
  static constexpr int kMaxBuckets = 64;

  // Throws std::invalid_argument on bucket_width <= 0, buckets outside 2..kMaxBuckets,
  // min_count <= 0.
  ArrivalEstimator(double bucket_width, int buckets, double half_life_s, double min_count = 10);

  // One trade of the given weight (1 = one trade; a size to weigh by volume). Depth negative,
  // NaN or weight <= 0: counted in rejected, ignored.
  void on_trade(double depth, double weight = 1.0) noexcept;
  // Time observed (quoting) since the last call; negative or non-finite: rejected.
  void on_time(double dt_s) noexcept;
  // A (per second) and k (per price unit); false (A, k untouched) if fewer than two buckets hold
  // min_count, no exposure, or the fit gives k <= 0.
  bool fit(double& A, double& k) const noexcept;
  void reset() noexcept;

  double bucket_width;
  int buckets;
  double decay_per_s;  // ln 2 / half_life (0: no forgetting)
  double min_count;
  std::array<double, kMaxBuckets> count{};  // decayed trade weight per bucket
  double exposure_s = 0;                    // decayed observed time
  std::uint64_t trades = 0;
  std::uint64_t rejected = 0;
};

}  // namespace hft::exec
