// Small unconstrained optimiser and numerical-derivative helpers shared by the maximum-likelihood
// fits (regime/garch, model/arma_garch): BFGS with central-difference gradients and an Armijo
// backtracking line search, and a central-difference Hessian for asymptotic standard errors.
// Background work (allocates); objectives are evaluated a few thousand times per fit.
//
// May touch: Eigen only.
#pragma once
#include <Eigen/Dense>
#include <functional>

namespace hft::regime {

// f(x); +inf (or any non-finite value) where x is not admissible.
using Objective = std::function<double(const Eigen::VectorXd&)>;

struct BfgsResult {
  Eigen::VectorXd x;
  double f = 0;
  int iters = 0;
  bool converged = false;
};

// BFGS on the inverse Hessian from x0; converged when the largest |gradient| is below grad_tol
// (or, after a stall or a failed line search from steepest descent, below 1e3 * grad_tol).
// A step is capped at 5 in the infinity norm (transformed coordinates saturate).
BfgsResult minimize_bfgs(const Objective& f, Eigen::VectorXd x0, int max_iter, double grad_tol);

// Central-difference gradient with step 1e-5 (1 + |x_i|); one-sided next to a non-finite side.
Eigen::VectorXd numerical_gradient(const Objective& f, const Eigen::VectorXd& x, double fx);

// Central-difference Hessian of f at x with steps h (one per coordinate).
Eigen::MatrixXd numerical_hessian(const Objective& f, const Eigen::VectorXd& x, const Eigen::VectorXd& h);

// sqrt(diag(H^-1)) when H is finite and positive definite (the asymptotic standard errors when
// H is the Hessian of -loglik); false otherwise (se untouched).
bool inverse_diagonal_sqrt(const Eigen::MatrixXd& H, Eigen::VectorXd& se);

}  // namespace hft::regime
