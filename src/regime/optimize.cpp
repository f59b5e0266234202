#include "hft/regime/optimize.hpp"

#include <cmath>
#include <limits>

namespace hft::regime {

Eigen::VectorXd numerical_gradient(const Objective& f, const Eigen::VectorXd& x, double fx) {
  Eigen::VectorXd g(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double h = 1e-5 * (1.0 + std::abs(x[i]));
    Eigen::VectorXd xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    const double fp = f(xp), fm = f(xm);
    if (std::isfinite(fp) && std::isfinite(fm)) g[i] = (fp - fm) / (2 * h);
    else if (std::isfinite(fp)) g[i] = (fp - fx) / h;   // one-sided near a wall
    else if (std::isfinite(fm)) g[i] = (fx - fm) / h;
    else g[i] = 0;
  }
  return g;
}

// BFGS on the inverse Hessian with an Armijo backtracking line search; restarts the curvature
// (H = I) when the search direction stops being a descent direction.
BfgsResult minimize_bfgs(const Objective& f, Eigen::VectorXd x, int max_iter, double grad_tol) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const auto k = x.size();
  double fx = f(x);
  if (!std::isfinite(fx)) return {x, fx, 0, false};
  Eigen::VectorXd g = numerical_gradient(f, x, fx);
  Eigen::MatrixXd H = Eigen::MatrixXd::Identity(k, k);
  int small_steps = 0;
  for (int it = 1; it <= max_iter; ++it) {
    if (g.lpNorm<Eigen::Infinity>() < grad_tol) return {x, fx, it - 1, true};
    Eigen::VectorXd d = -H * g;
    double slope = g.dot(d);
    if (!(slope < 0)) {
      H.setIdentity();
      d = -g;
      slope = -g.squaredNorm();
    }
    // Keep a step from jumping across the whole parameter space (the transforms saturate).
    const double dn = d.lpNorm<Eigen::Infinity>();
    if (dn > 5.0) {
      d *= 5.0 / dn;
      slope *= 5.0 / dn;
    }
    double t = 1.0, fn = inf;
    Eigen::VectorXd xn;
    bool found = false;
    for (int ls = 0; ls < 50; ++ls) {
      xn = x + t * d;
      fn = f(xn);
      if (std::isfinite(fn) && fn <= fx + 1e-4 * t * slope) {
        found = true;
        break;
      }
      t *= 0.5;
    }
    if (!found) {
      if (H.isIdentity()) return {x, fx, it, g.lpNorm<Eigen::Infinity>() < 1e3 * grad_tol};
      H.setIdentity();  // bad curvature estimate: retry as steepest descent
      continue;
    }
    const Eigen::VectorXd gn = numerical_gradient(f, xn, fn);
    const Eigen::VectorXd s = xn - x, yv = gn - g;
    const double sy = s.dot(yv);
    if (sy > 1e-14) {
      const double rho = 1.0 / sy;
      const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(k, k);
      H = (I - rho * s * yv.transpose()) * H * (I - rho * yv * s.transpose()) + rho * s * s.transpose();
    }
    const double df = fx - fn;
    x = xn;
    fx = fn;
    g = gn;
    // Stalled: several steps in a row that change the objective by nothing measurable.
    small_steps = (df < 1e-15 * (1.0 + std::abs(fx))) ? small_steps + 1 : 0;
    if (small_steps >= 3) return {x, fx, it, g.lpNorm<Eigen::Infinity>() < 1e3 * grad_tol};
  }
  return {x, fx, max_iter, g.lpNorm<Eigen::Infinity>() < grad_tol};
}

Eigen::MatrixXd numerical_hessian(const Objective& f, const Eigen::VectorXd& th, const Eigen::VectorXd& h) {
  const auto k = th.size();
  Eigen::MatrixXd Hs(k, k);
  const double f0 = f(th);
  for (Eigen::Index i = 0; i < k; ++i) {
    for (Eigen::Index j = i; j < k; ++j) {
      double v;
      if (i == j) {
        Eigen::VectorXd a = th, b = th;
        a[i] += h[i];
        b[i] -= h[i];
        v = (f(a) - 2 * f0 + f(b)) / (h[i] * h[i]);
      } else {
        Eigen::VectorXd pp = th, pm = th, mp = th, mm = th;
        pp[i] += h[i]; pp[j] += h[j];
        pm[i] += h[i]; pm[j] -= h[j];
        mp[i] -= h[i]; mp[j] += h[j];
        mm[i] -= h[i]; mm[j] -= h[j];
        v = (f(pp) - f(pm) - f(mp) + f(mm)) / (4 * h[i] * h[j]);
      }
      Hs(i, j) = Hs(j, i) = v;
    }
  }
  return Hs;
}

bool inverse_diagonal_sqrt(const Eigen::MatrixXd& H, Eigen::VectorXd& se) {
  if (!H.allFinite()) return false;
  Eigen::LLT<Eigen::MatrixXd> llt(H);
  if (llt.info() != Eigen::Success) return false;
  const Eigen::MatrixXd cov = llt.solve(Eigen::MatrixXd::Identity(H.rows(), H.cols()));
  se = cov.diagonal().cwiseSqrt();
  return true;
}

}  // namespace hft::regime
