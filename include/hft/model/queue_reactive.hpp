// Queue-reactive price dynamics (Cont and de Larrard 2013, "Price dynamics in a Markovian limit
// order market", SIAM J. Financial Math. 4): the best bid queue (x) and best ask queue (y) are
// independent birth-death processes in units of a typical order size; limit orders add one unit
// at rate lambda, market orders (rate mu) and cancels (rate theta) remove one. The next mid move
// is UP when the ask queue empties first. p_up(x, y) = P(ask empties before bid).
//
// Closed forms (both queues move at the same total rate, so the race is the exit problem of the
// embedded two-dimensional random walk from the quadrant; f(x, y) = P(ask first) is its harmonic
// function with f(x, 0) = 1, f(0, y) = 0):
//  - lambda = mu + theta (the paper's Proposition for the balanced case):
//      p_up(x, y) = (1/pi) int_0^pi sin(x t) cot(t/2) r(t)^y dt,   r = c - sqrt(c^2 - 1), c = 2 - cos t;
//  - lambda < mu + theta: the same separation of variables with the drift taken out,
//      a = sqrt(lambda / (mu + theta)),  c = a + 1/a - cos t,  r = c - sqrt(c^2 - 1),
//      p_up(x, y) = (2/pi) int_0^pi a^(1-x) sin t sin(x t) (r/a)^y / (1 - 2a cos t + a^2) dt
//    (reduces to the balanced form at a = 1). This is our derivation, not the paper's
//    first-passage-time form; tests check it against Monte Carlo and an exact grid solution.
//  - lambda > mu + theta: a queue may never empty (P = rho^x, rho = (mu+theta)/lambda).
//    Conditioned on emptying, a queue is the same chain with the rates swapped (Doob
//    h-transform), so P(up) = rho^(x+y) p~(x, y) + rho^y (1 - rho^x) with p~ the swapped-rate
//    value; queue_race gives P(up), P(down) (they sum to P(some queue empties) < 1), and
//    queue_p_up the probability conditional on a move, up / (up + down).
// Quadrature: composite Gauss-Legendre, panels doubled until two results agree to 1e-13. The
// sine variable is taken as min(x, y) (p_up(x, y) = 1 - p_up(y, x)) so that the factor a^(1-x)
// stays small; accurate to about 1e-9 for lambda/(mu+theta) >= 0.1 and queues up to 100 units.
//
// Hot path: QueueTable holds p_up for integer unit counts 1..K on both sides, filled at fit time
// (allocates, seconds at most); QueueTable::p_up(bid_qty, ask_qty) converts shares to units and
// reads one entry: O(1), no allocation, no branch on the data beyond two clamps.
//
// May touch: core/.
#pragma once
#include <cstdint>
#include <vector>

#include "hft/core/types.hpp"

namespace hft::model {

struct QueueRace {
  double up = 0;    // P(ask queue empties before the bid queue)
  double down = 0;  // P(bid queue empties first); up + down = 1 unless lambda > mu + theta
};

// x = bid queue, y = ask queue, in units (>= 1; a queue of 0 units has already emptied).
// lambda: limit-order rate, mu: market-order rate, theta: cancel rate, per queue; only the
// ratio lambda / (mu + theta) matters. Throws std::invalid_argument unless x, y >= 1,
// lambda > 0, mu, theta >= 0 and mu + theta > 0.
QueueRace queue_race(int x, int y, double lambda, double mu, double theta = 0);
// P(next mid move is up | a move happens) = up / (up + down).
double queue_p_up(int x, int y, double lambda, double mu, double theta = 0);
// The paper's balanced-case integral (lambda = mu + theta), evaluated as written.
double queue_p_up_balanced(int x, int y);

// Shares -> units of a typical order size: round(shares / unit), at least 1 for a non-empty
// queue (0 for shares <= 0). unit > 0.
int queue_units(double shares, double unit) noexcept;

// p_up for x, y = 1..K units, filled at construction. Read per event in O(1).
class QueueTable {
 public:
  QueueTable() = default;
  // unit: shares per unit (the mean limit-order size at the best). Throws std::invalid_argument
  // on bad rates (see queue_race), unit <= 0 or K outside 1..1024.
  QueueTable(double lambda, double mu, double theta, double unit, int K);

  // Queue sizes in shares; a size above K units reads the K row/column; 0 or less reads 1
  // (a queue about to empty). Returns 0.5 on a default-constructed table.
  double p_up(Volume bid_qty, Volume ask_qty) const noexcept {
    if (k_ == 0) return 0.5;
    return p_[static_cast<std::size_t>(idx(bid_qty)) * static_cast<std::size_t>(k_) +
              static_cast<std::size_t>(idx(ask_qty))];
  }
  // Units 1..K (clamped the same way).
  double p_up_units(int x, int y) const noexcept;
  int K() const noexcept { return k_; }
  double unit() const noexcept { return unit_; }
  double lambda() const noexcept { return lambda_; }
  double mu() const noexcept { return mu_; }      // mu + theta: the whole depletion rate
  int units(Volume qty) const noexcept { return idx(qty) + 1; }

 private:
  int idx(Volume q) const noexcept {
    const double u = static_cast<double>(q) * inv_unit_ + 0.5;  // round to nearest unit
    const int i = u < 1.0 ? 0 : (u >= k_ ? k_ - 1 : static_cast<int>(u) - 1);
    return i;
  }
  std::vector<double> p_;  // K x K, row = bid units - 1
  int k_ = 0;
  double unit_ = 1, inv_unit_ = 1, lambda_ = 0, mu_ = 0;
};

}  // namespace hft::model
