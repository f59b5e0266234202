// Avellaneda-Stoikov (2008) section 3.3 Monte Carlo.
#include "hft/exec/as_simulation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "hft/exec/avellaneda_stoikov.hpp"

namespace hft::exec {
namespace {

std::uint64_t mix64(std::uint64_t z) noexcept {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

struct SplitMix64 {
  std::uint64_t s;
  std::uint64_t next() noexcept { return mix64(s += 0x9E3779B97F4A7C15ULL); }
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

struct Book {
  double cash = 0;
  int q = 0;
  void step(double bid, double ask, double s, double u_bid, double u_ask, const As2008Config& c) noexcept {
    const double p_ask = std::min(1.0, c.A * std::exp(-c.k * (ask - s)) * c.dt);
    const double p_bid = std::min(1.0, c.A * std::exp(-c.k * (s - bid)) * c.dt);
    if (u_ask < p_ask) --q, cash += ask;  // a buyer lifts our ask
    if (u_bid < p_bid) ++q, cash -= bid;  // a seller hits our bid
  }
};

struct Moments {
  double n = 0, m = 0, m2 = 0;  // Welford
  void add(double x) noexcept {
    n += 1;
    const double d = x - m;
    m += d / n;
    m2 += d * (x - m);
  }
  double sd() const noexcept { return n > 1 ? std::sqrt(m2 / (n - 1)) : 0.0; }
};

}  // namespace

As2008Result as2008_simulate(const As2008Config& c) {
  if (!(c.T > 0) || !(c.dt > 0) || !(c.k > 0) || !(c.A > 0) || !(c.gamma > 0) || !(c.sigma >= 0) || c.paths < 2)
    throw std::invalid_argument("as2008_simulate: need T, dt, k, A, gamma > 0, sigma >= 0, paths >= 2");
  const MmParams p{c.gamma, c.sigma, c.k, c.A};
  const int steps = static_cast<int>(std::lround(c.T / c.dt));
  const double jump = c.sigma * std::sqrt(c.dt);
  Moments inv_pnl, inv_q, sym_pnl, sym_q;
  double spread_sum = 0;
  for (int i = 0; i < steps; ++i) spread_sum += as_spread(p, c.T - i * c.dt);
  for (int path = 0; path < c.paths; ++path) {
    // A hashed start per path: starts one increment apart would make path p + 1 the stream of
    // path p shifted by one draw (paths three apart: one step apart in time), not independent.
    SplitMix64 rng{mix64(mix64(c.seed) + static_cast<std::uint64_t>(path))};
    double s = c.s0;
    Book inv{0, c.q0}, sym{0, c.q0};
    for (int i = 0; i < steps; ++i) {
      const double tau = c.T - i * c.dt;
      const double u_bid = rng.uniform(), u_ask = rng.uniform(), u_move = rng.uniform();
      const Quotes qi = as_quotes(s, inv.q, 0.0, p, tau);
      const double h = 0.5 * as_spread(p, tau);
      inv.step(qi.bid, qi.ask, s, u_bid, u_ask, c);
      sym.step(s - h, s + h, s, u_bid, u_ask, c);
      s += u_move < 0.5 ? jump : -jump;
    }
    inv_pnl.add(inv.cash + inv.q * s);
    inv_q.add(inv.q);
    sym_pnl.add(sym.cash + sym.q * s);
    sym_q.add(sym.q);
  }
  const double spread = spread_sum / steps;
  return {{spread, inv_pnl.m, inv_pnl.sd(), inv_q.m, inv_q.sd()},
          {spread, sym_pnl.m, sym_pnl.sd(), sym_q.m, sym_q.sd()}};
}

}  // namespace hft::exec
