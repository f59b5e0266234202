// Small unconstrained optimiser and numerical-derivative helpers shared by the maximum-likelihood
// fits (regime/garch, model/arma_garch, model/hawkes): BFGS with an Armijo backtracking line
// search (analytic or central-difference gradients), and a central-difference Hessian for
// asymptotic standard errors.
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
  double grad_max = 0;  // the largest |gradient| at x
};

// f(x, g): the objective and, when g is not null, its gradient into g.
using ObjectiveGrad = std::function<double(const Eigen::VectorXd&, Eigen::VectorXd*)>;

struct BfgsOptions {
  int max_iter = 400;
  double grad_tol = 1e-7;        // converged when the largest |gradient| is below it
  double max_step = 5;           // a step's cap in the infinity norm (transformed coordinates saturate)
  int line_search = 50;          // halvings of the step before the search fails
  double curvature_eps = 1e-14;  // s.y below this: no curvature update
  int stall_limit = 3;           // steps in a row that change f by less than stall_rel (1 + |f|) end it
  double stall_rel = 1e-15;
  double stall_accept = 1e3;     // after a stall or a failed search from steepest descent:
                                 // converged if the gradient is below stall_accept * grad_tol
};

// BFGS on the inverse Hessian from x0 (H reset to I when the direction stops being a descent
// direction or the line search fails).
BfgsResult minimize_bfgs(const ObjectiveGrad& f, Eigen::VectorXd x0, const BfgsOptions& opt);
// The same with central-difference gradients and the default options.
BfgsResult minimize_bfgs(const Objective& f, Eigen::VectorXd x0, int max_iter, double grad_tol);

// Central-difference gradient with step 1e-5 (1 + |x_i|); one-sided next to a non-finite side.
Eigen::VectorXd numerical_gradient(const Objective& f, const Eigen::VectorXd& x, double fx);

// Central-difference Hessian of f at x with steps h (one per coordinate).
Eigen::MatrixXd numerical_hessian(const Objective& f, const Eigen::VectorXd& x, const Eigen::VectorXd& h);

// sqrt(diag(H^-1)) when H is finite and positive definite (the asymptotic standard errors when
// H is the Hessian of -loglik); false otherwise (se untouched).
bool inverse_diagonal_sqrt(const Eigen::MatrixXd& H, Eigen::VectorXd& se);

}  // namespace hft::regime
