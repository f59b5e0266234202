#include "hft/model/queue_reactive.hpp"

#include <array>
#include <cmath>
#include <algorithm>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace hft::model {
namespace {

constexpr int kQrGauss = 16;  // Gauss-Legendre points per panel
// QueueTable's quadrature agreement: a table is read as a feature, 1e-10 is far below any use of
// it (the header's 1e-9) and several times cheaper than the 1e-13 of queue_p_up.
constexpr double kTableTol = 1e-10;

struct QrRule {
  std::array<double, kQrGauss> x{}, w{};  // on [-1, 1]
};

// Gauss-Legendre nodes and weights by Newton's method on P_n (Golub-Welsch not needed for n=16).
QrRule qr_make_rule() {
  QrRule r;
  const int n = kQrGauss;
  for (int i = 0; i < n; ++i) {
    double z = std::cos(std::numbers::pi * (i + 0.75) / (n + 0.5));
    double dp = 0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1, p1 = z;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (z * p1 - p0) / (z * z - 1);
      const double dz = p1 / dp;
      z -= dz;
      if (std::fabs(dz) < 1e-16) break;
    }
    r.x[static_cast<std::size_t>(i)] = z;
    r.w[static_cast<std::size_t>(i)] = 2 / ((1 - z * z) * dp * dp);
  }
  return r;
}

const QrRule& qr_rule() {
  static const QrRule r = qr_make_rule();
  return r;
}

// Composite Gauss-Legendre of f on [0, pi], panels doubled until two estimates agree. *abs_out
// (if given) receives the integral of |f|: the size of the terms that cancel in the result.
template <class F>
double qr_integrate(F&& f, int min_panels, double* abs_out = nullptr, double tol = 1e-13) {
  const QrRule& g = qr_rule();
  double abs_sum = 0;
  auto run = [&](int panels) {
    const double h = std::numbers::pi / panels;
    double s = 0, sa = 0;
    for (int p = 0; p < panels; ++p) {
      const double c = (p + 0.5) * h;
      double ps = 0, pa = 0;
      for (int i = 0; i < kQrGauss; ++i) {
        const auto u = static_cast<std::size_t>(i);
        const double v = f(c + 0.5 * h * g.x[u]);
        ps += g.w[u] * v;
        pa += g.w[u] * std::fabs(v);
      }
      s += ps * 0.5 * h;
      sa += pa * 0.5 * h;
    }
    abs_sum = sa;
    return s;
  };
  int panels = min_panels;
  double prev = run(panels);
  while (panels < (1 << 16)) {
    panels *= 2;
    const double cur = run(panels);
    // agreement to 1e-13, or to the rounding of the cancelling terms (no better is possible)
    if (std::fabs(cur - prev) <= tol * std::max(1.0, std::fabs(cur)) + 1e-14 * abs_sum) {
      prev = cur;
      break;
    }
    prev = cur;
  }
  if (abs_out) *abs_out = abs_sum;
  return prev;
}

// log of the first-passage probability P(T_x = n) of the embedded walk (up p, down q) from x to
// 0 in n steps (ballot theorem): (x/n) C(n, (n+x)/2) p^((n-x)/2) q^((n+x)/2), n >= x, n - x even.
double qr_log_passage(int x, long n, double log_p, double log_q) {
  const double k = 0.5 * static_cast<double>(n - x), j = 0.5 * static_cast<double>(n + x);
  return std::log(static_cast<double>(x) / static_cast<double>(n)) + std::lgamma(static_cast<double>(n) + 1) -
         std::lgamma(j + 1) - std::lgamma(k + 1) + k * log_p + j * log_q;
}

// First-passage step distribution of a queue of x units: out[n] = P(T_x = n), until the terms,
// past their peak, fall below 1e-17 of the mass (lambda < mu: geometric tail) or max_steps.
void qr_passage(int x, double log_p, double log_q, long max_steps, std::vector<double>& out) {
  out.assign(static_cast<std::size_t>(x), 0.0);
  double mass = 0, last = 0;
  for (long n = x; n <= max_steps; n += 2) {
    const double v = std::exp(qr_log_passage(x, n, log_p, log_q));
    out.push_back(v);
    out.push_back(0.0);  // n + 1: wrong parity
    mass += v;
    if (v < last && v < 1e-17 * mass) break;
    last = v;
  }
}

// The same race by convolving the two first-passage distributions (exact up to the 1e-15 tail):
// the queues move at the same total rate, so in the merged event sequence each event belongs to
// either queue with probability 1/2, and P(the m-th ask event precedes the n-th bid event) =
// B(m, n) with B(m, n) = (B(m-1, n) + B(m, n-1)) / 2, B(0, n) = 1, B(m, 0) = 0.
// P(up) = sum_m sum_n P(T_y = m) P(T_x = n) B(m, n). O(M N): used where the quadrature cancels
// (lambda well below mu, so the distributions are short).
double qr_first_ask_series(int x, int y, double a) {
  const double log_p = std::log(a * a / (1 + a * a)), log_q = std::log(1 / (1 + a * a));
  std::vector<double> fx, fy;
  qr_passage(x, log_p, log_q, 200000, fx);
  qr_passage(y, log_p, log_q, 200000, fy);
  const std::size_t N = fx.size();
  std::vector<double> row(N, 1.0);  // B(0, n) = 1 (n >= 1)
  row[0] = 0;
  double up = 0;
  for (std::size_t m = 1; m < fy.size(); ++m) {
    double left = 0;  // B(m, 0)
    double inner = 0;
    for (std::size_t n = 1; n < N; ++n) {
      left = 0.5 * (row[n] + left);
      row[n] = left;
      inner += fx[n] * left;
    }
    up += fy[m] * inner;
  }
  return up;
}

// P(ask of y units empties before bid of x units), a = sqrt(lambda / (mu+theta)) in (0, 1].
double qr_first_ask(int x, int y, double a, double tol) {
  const double inv_a = 1 / a, log_a = std::log(a);
  auto f = [&](double t) {
    const double sh = std::sin(0.5 * t);
    const double cm1 = (1 - a) * (1 - a) * inv_a + 2 * sh * sh;  // c - 1, exact near t = 0
    const double r = 1 / (1 + cm1 + std::sqrt(cm1 * (cm1 + 2)));  // the root below 1
    const double den = (1 - a) * (1 - a) + 4 * a * sh * sh;  // 1 - 2a cos t + a^2, exact near t = 0
    // a^(1-x) (r/a)^y in logs: the two factors may be large and small
    const double lg = (1 - x) * log_a + y * (std::log(r) - log_a);
    return std::sin(t) * std::sin(x * t) * std::exp(lg) / den;
  };
  double mag = 0;
  const double v = 2 / std::numbers::pi * qr_integrate(f, 8 + 2 * x, &mag, tol);
  // Terms of size mag cancel to v: rounding leaves about mag * 1e-15. Past 1e-11, convolve the
  // first-passage distributions instead (short there: a well below 1).
  if (mag * 2 / std::numbers::pi > 1e4) return qr_first_ask_series(x, y, a);
  return v;
}

// lambda <= mu: the race ends surely; the sine variable is the smaller queue.
double qr_up_sure(int x, int y, double a, double tol) {
  if (x <= y) return qr_first_ask(x, y, a, tol);
  return 1 - qr_first_ask(y, x, a, tol);
}

void qr_check(int x, int y, double lambda, double mu, double theta) {
  if (x < 1 || y < 1) throw std::invalid_argument("queue_race: queue sizes must be >= 1 unit");
  if (!(lambda > 0) || !(mu >= 0) || !(theta >= 0) || !(mu + theta > 0) || !std::isfinite(lambda) ||
      !std::isfinite(mu + theta))
    throw std::invalid_argument("queue_race: need lambda > 0, mu, theta >= 0, mu + theta > 0");
}

// tol: the quadrature's agreement between panel doublings (relative).
QueueRace qr_race(int x, int y, double lambda, double mu, double theta, double tol) {
  qr_check(x, y, lambda, mu, theta);
  const double m = mu + theta;
  if (lambda <= m) {
    const double up = qr_up_sure(x, y, std::sqrt(lambda / m), tol);
    return {up, 1 - up};
  }
  // lambda > m: h-transform (see the header); the swapped chain has a = sqrt(m / lambda).
  const double rho = m / lambda;
  const double rx = std::pow(rho, x), ry = std::pow(rho, y);
  const double swapped = qr_up_sure(x, y, std::sqrt(rho), tol);
  return {rx * ry * swapped + ry * (1 - rx), rx * ry * (1 - swapped) + rx * (1 - ry)};
}

double qr_p_up(int x, int y, double lambda, double mu, double theta, double tol) {
  const QueueRace r = qr_race(x, y, lambda, mu, theta, tol);
  return r.up / (r.up + r.down);
}

}  // namespace

QueueRace queue_race(int x, int y, double lambda, double mu, double theta) {
  return qr_race(x, y, lambda, mu, theta, 1e-13);
}

double queue_p_up(int x, int y, double lambda, double mu, double theta) {
  return qr_p_up(x, y, lambda, mu, theta, 1e-13);
}

double queue_p_up_balanced(int x, int y) {
  qr_check(x, y, 1, 1, 0);
  auto f = [&](double t) {
    const double sh = std::sin(0.5 * t);
    const double cm1 = 2 * sh * sh;  // c - 1 = 1 - cos t, exact near t = 0
    const double r = 1 / (1 + cm1 + std::sqrt(cm1 * (cm1 + 2)));
    return std::sin(x * t) / std::tan(0.5 * t) * std::pow(r, y);
  };
  return qr_integrate(f, 8 + 2 * x) / std::numbers::pi;
}

int queue_units(double shares, double unit) noexcept {
  if (!(shares > 0) || !(unit > 0)) return 0;
  const double u = std::floor(shares / unit + 0.5);
  if (u < 1) return 1;
  if (u > 1e9) return 1'000'000'000;
  return static_cast<int>(u);
}

QueueTable::QueueTable(double lambda, double mu, double theta, double unit, int K) {
  if (!(unit > 0) || !std::isfinite(unit)) throw std::invalid_argument("QueueTable: unit must be > 0");
  if (K < 1 || K > 1024) throw std::invalid_argument("QueueTable: K must be in 1..1024");
  qr_check(1, 1, lambda, mu, theta);
  p_.resize(static_cast<std::size_t>(K) * static_cast<std::size_t>(K));
  auto at = [&](int x, int y) -> double& {
    return p_[static_cast<std::size_t>(x - 1) * static_cast<std::size_t>(K) + static_cast<std::size_t>(y - 1)];
  };
  // p_up(y, x) = 1 - p_up(x, y) (swap the queues: up and down trade places, in both regimes of
  // queue_race), so half the integrals; p_up(x, x) = 1/2 exactly.
  for (int x = 1; x <= K; ++x) {
    at(x, x) = 0.5;
    for (int y = x + 1; y <= K; ++y) {
      at(x, y) = qr_p_up(x, y, lambda, mu, theta, kTableTol);
      at(y, x) = 1 - at(x, y);
    }
  }
  k_ = K;
  unit_ = unit;
  inv_unit_ = 1 / unit;
  lambda_ = lambda;
  mu_ = mu + theta;
}

double QueueTable::p_up_units(int x, int y) const noexcept {
  if (k_ == 0) return 0.5;
  x = x < 1 ? 1 : (x > k_ ? k_ : x);
  y = y < 1 ? 1 : (y > k_ ? k_ : y);
  return p_[static_cast<std::size_t>(x - 1) * static_cast<std::size_t>(k_) + static_cast<std::size_t>(y - 1)];
}

}  // namespace hft::model
