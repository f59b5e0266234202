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

BfgsResult minimize_bfgs(const ObjectiveGrad& f, Eigen::VectorXd x, const BfgsOptions& o) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const auto k = x.size();
  Eigen::VectorXd g(k), gn(k);
  double fx = f(x, &g);
  if (!std::isfinite(fx)) return {x, fx, 0, false, inf};
  auto done = [&](int it, double accept) {
    const double gm = g.lpNorm<Eigen::Infinity>();
    return BfgsResult{x, fx, it, gm < accept * o.grad_tol, gm};
  };
  Eigen::MatrixXd H = Eigen::MatrixXd::Identity(k, k);
  int small_steps = 0;
  for (int it = 1; it <= o.max_iter; ++it) {
    if (g.lpNorm<Eigen::Infinity>() < o.grad_tol) return done(it - 1, 1);
    Eigen::VectorXd d = -H * g;
    double slope = g.dot(d);
    if (!(slope < 0)) {
      H.setIdentity();
      d = -g;
      slope = -g.squaredNorm();
    }
    // Keep a step from jumping across the whole parameter space (the transforms saturate).
    const double dn = d.lpNorm<Eigen::Infinity>();
    if (dn > o.max_step) {
      d *= o.max_step / dn;
      slope *= o.max_step / dn;
    }
    double t = 1.0, fn = inf;
    Eigen::VectorXd xn;
    bool found = false;
    for (int ls = 0; ls < o.line_search; ++ls) {
      xn = x + t * d;
      fn = f(xn, nullptr);  // the gradient only at the accepted point
      if (std::isfinite(fn) && fn <= fx + 1e-4 * t * slope) {
        found = true;
        break;
      }
      t *= 0.5;
    }
    if (!found) {
      if (H.isIdentity()) return done(it, o.stall_accept);
      H.setIdentity();  // bad curvature estimate: retry as steepest descent
      continue;
    }
    fn = f(xn, &gn);
    const Eigen::VectorXd s = xn - x, yv = gn - g;
    const double sy = s.dot(yv);
    if (sy > o.curvature_eps) {
      const double rho = 1.0 / sy;
      const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(k, k);
      H = (I - rho * s * yv.transpose()) * H * (I - rho * yv * s.transpose()) + rho * s * s.transpose();
    }
    const double df = fx - fn;
    x = xn;
    fx = fn;
    g = gn;
    // Stalled: several steps in a row that change the objective by nothing measurable.
    small_steps = (df < o.stall_rel * (1.0 + std::abs(fx))) ? small_steps + 1 : 0;
    if (small_steps >= o.stall_limit) return done(it, o.stall_accept);
  }
  return done(o.max_iter, 1);
}

BfgsResult minimize_bfgs(const Objective& f, Eigen::VectorXd x, int max_iter, double grad_tol) {
  BfgsOptions o;
  o.max_iter = max_iter;
  o.grad_tol = grad_tol;
  return minimize_bfgs(
      [&f](const Eigen::VectorXd& v, Eigen::VectorXd* g) {
        const double fv = f(v);
        if (g && std::isfinite(fv)) *g = numerical_gradient(f, v, fv);
        return fv;
      },
      std::move(x), o);
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
