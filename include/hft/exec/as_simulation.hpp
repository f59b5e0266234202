// The market-making simulation of Avellaneda & Stoikov (2008, Quantitative Finance 8(3),
// section 3.3): the inventory strategy (quotes around the reservation price) against the
// symmetric strategy (the same spread around the mid), Monte Carlo over independent paths.
// May touch: exec (avellaneda_stoikov.hpp).
//
// Per step of dt (t = i dt, i = 0..T/dt - 1): quote at t; each side is filled, one unit, with
// probability min(1, A exp(-k delta) dt) (delta: the quote's distance from the mid, may be
// negative when the reservation price is beyond the mid); then the mid moves +-sigma sqrt(dt)
// with probability 1/2 each. Profit at T: cash + q S_T. Both strategies see the same mid path and
// the same uniform draws (common random numbers). Deterministic for a seed: path p draws from
// its own splitmix64 stream, so results do not depend on evaluation order.
#pragma once
#include <cstdint>

namespace hft::exec {

struct As2008Config {
  double s0 = 100, T = 1, sigma = 2, dt = 0.005, k = 1.5, A = 140;
  double gamma = 0.1;
  int q0 = 0;
  int paths = 1000;
  std::uint64_t seed = 1;
};

struct As2008Stats {
  double spread;  // quoted spread, averaged over steps and paths
  double profit, profit_sd;
  double q_mean, q_sd;  // final inventory
};

struct As2008Result {
  As2008Stats inventory, symmetric;
};

// Throws std::invalid_argument on non-positive T, dt, k, A, gamma, negative sigma or paths < 2.
As2008Result as2008_simulate(const As2008Config& cfg);

}  // namespace hft::exec
