// GLFT exact bounded-inventory quotes: v = exp(-M T) 1 by scaling and squaring on c I - M >= 0.
#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "hft/exec/avellaneda_stoikov.hpp"

namespace hft::exec {
namespace {

// exp(B h) for a nonnegative B with ||B h||_1 <= 1/2: Taylor terms are nonnegative, so the sum
// has no cancellation; stop when a term no longer changes any entry.
Eigen::MatrixXd exp_small_nonneg(const Eigen::MatrixXd& Bh) {
  const auto n = Bh.rows();
  Eigen::MatrixXd sum = Eigen::MatrixXd::Identity(n, n);
  Eigen::MatrixXd term = sum;
  for (int m = 1; m < 40; ++m) {
    term = term * Bh / m;
    sum += term;
    if (term.maxCoeff() <= 1e-18 * sum.minCoeff() || term.maxCoeff() == 0) break;
  }
  return sum;
}

// E <- E^2 / max(E^2): only ratios of v are needed, so the scale is dropped each time.
void square_normalised(Eigen::MatrixXd& E) {
  Eigen::MatrixXd S = E * E;
  E = S / S.maxCoeff();
}

}  // namespace

GlftExact glft_exact(const MmParams& p, int qmax, double T) {
  if (!mm_params_valid(p)) throw std::invalid_argument("glft_exact: gamma, k, A must be > 0, sigma >= 0");
  if (qmax < 1 || qmax > 500) throw std::invalid_argument("glft_exact: qmax must be 1..500");
  if (!(T >= 0)) throw std::invalid_argument("glft_exact: T must be >= 0 (or +infinity)");
  const int n = 2 * qmax + 1;
  const double alpha = 0.5 * p.k * p.gamma * p.sigma * p.sigma;
  const double eta = p.A * std::exp(-(1.0 + p.k / p.gamma) * std::log1p(p.gamma / p.k));
  const double c = std::log1p(p.gamma / p.k) / p.gamma;

  // B = alpha Q^2 I - M: alpha (Q^2 - q^2) on the diagonal, eta beside it; all entries >= 0 and
  // exp(-M t) = exp(-alpha Q^2 t) exp(B t).
  Eigen::MatrixXd B = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    const double q = i - qmax;
    B(i, i) = alpha * (static_cast<double>(qmax) * qmax - q * q);
    if (i > 0) B(i, i - 1) = eta;
    if (i + 1 < n) B(i, i + 1) = eta;
  }
  const double norm = B.colwise().sum().maxCoeff();  // ||B||_1

  Eigen::VectorXd v = Eigen::VectorXd::Ones(n);
  if (std::isinf(T)) {
    // Perron vector of B (= eigenvector of M's smallest eigenvalue): exp(B h)^(2^j) 1 converges
    // to it as j grows (B is irreducible, so the top eigenvalue is simple).
    const double h = norm > 0 ? 0.5 / norm : 1.0;
    Eigen::MatrixXd E = exp_small_nonneg(B * h);
    Eigen::VectorXd prev = E.rowwise().sum();
    prev /= prev.maxCoeff();
    bool converged = false;
    for (int j = 0; j < 2000 && !converged; ++j) {
      square_normalised(E);
      Eigen::VectorXd cur = E.rowwise().sum();
      cur /= cur.maxCoeff();
      // 1e-12: well above the rounding of one squaring (n eps per entry), far below any use.
      converged = ((cur - prev).array().abs() <= 1e-12 * cur.array()).all();
      prev = cur;
    }
    if (!converged) throw std::runtime_error("glft_exact: asymptotic regime did not converge");
    v = prev;
  } else if (T > 0) {
    // h = T / 2^s with ||B h||_1 <= 1/2, then s squarings.
    int s = 0;
    double h = T;
    while (norm * h > 0.5 && s < 4000) h *= 0.5, ++s;
    Eigen::MatrixXd E = exp_small_nonneg(B * h);
    E /= E.maxCoeff();
    for (int j = 0; j < s; ++j) square_normalised(E);
    v = E.rowwise().sum();
  }

  GlftExact r{qmax, std::vector<double>(static_cast<std::size_t>(n)), std::vector<double>(static_cast<std::size_t>(n))};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    r.bid_depth[u] = i + 1 < n ? std::log(v(i) / v(i + 1)) / p.k + c : nan;
    r.ask_depth[u] = i > 0 ? std::log(v(i) / v(i - 1)) / p.k + c : nan;
  }
  return r;
}

}  // namespace hft::exec
