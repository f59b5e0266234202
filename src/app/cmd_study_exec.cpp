// hftd study as2008 | ac2000 | glft: the optimal-execution formulas of exec/ against the
// published examples (Avellaneda & Stoikov 2008 section 3.3; Almgren & Chriss 2000 Table 1;
// Gueant, Lehalle & Fernandez-Tapia 2013 closed form against the exact bounded-inventory
// solution). Dispatched from `hftd study` (cmd_study.cpp).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cli.hpp"
#include "hft/exec/almgren_chriss.hpp"
#include "hft/exec/as_simulation.hpp"
#include "hft/exec/avellaneda_stoikov.hpp"

namespace hft::app {
namespace cmd_study_exec {  // named: the subcommands are compiled as one unit (kUsage, run)

// JSON numbers: NaN and infinities become null.
std::string jnum(double v) {
  if (!std::isfinite(v)) return "null";
  char b[32];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

std::FILE* open_json(const Options& o) {
  if (!o.has("--json")) return nullptr;
  std::FILE* f = std::fopen(o.str("--json").c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + o.str("--json"));
  return f;
}

// ---------------------------------------------------------------- as2008

// Avellaneda & Stoikov (2008) section 3.3, the figures as given in the brief of this study
// (spread, profit mean and sd, final q mean and sd; inventory then symmetric strategy).
struct As2008Paper {
  double gamma;
  exec::As2008Stats inventory, symmetric;
};
const As2008Paper kAsPaper[] = {
    {0.1, {1.49, 65.0, 6.6, 0.08, 2.9}, {1.49, 68.4, 12.7, 0.26, 8.4}},
    {0.01, {1.35, 68.6, 8.7, 0.12, 5.1}, {1.35, 68.8, 12.8, 0.09, 8.7}},
    {1.0, {3.02, 31.4, 5.0, 0.02, 1.7}, {3.02, 44.0, 11.0, 0.00, 5.1}},
};

std::string stats_json(const exec::As2008Stats& s) {
  return "{\"spread\": " + jnum(s.spread) + ", \"profit\": " + jnum(s.profit) + ", \"profit_sd\": " +
         jnum(s.profit_sd) + ", \"q_mean\": " + jnum(s.q_mean) + ", \"q_sd\": " + jnum(s.q_sd) + "}";
}

void print_stats(const char* label, const exec::As2008Stats& s, int digits) {
  std::printf("  %-18s %7.2f %8.*f %8.*f %8.2f %8.*f\n", label, s.spread, digits, s.profit, digits,
              s.profit_sd, s.q_mean, digits, s.q_sd);
}

int run_as2008(int argc, char** argv) {
  const Options o(argc, argv, {"--json", "--paths", "--seed"});
  exec::As2008Config cfg;
  cfg.paths = static_cast<int>(o.integer("--paths", 1000, 2, 10000000));
  cfg.seed = static_cast<std::uint64_t>(o.integer("--seed", 1, 0, std::numeric_limits<std::int64_t>::max()));
  std::printf("Avellaneda & Stoikov (2008) section 3.3: s=%g T=%g sigma=%g dt=%g q0=%d k=%g A=%g; %d paths, seed %llu\n",
              cfg.s0, cfg.T, cfg.sigma, cfg.dt, cfg.q0, cfg.k, cfg.A, cfg.paths,
              static_cast<unsigned long long>(cfg.seed));
  std::printf("inventory: quotes around the reservation price; symmetric: the same spread around the mid\n");
  std::printf("spread: the quoted spread averaged over the run (the paper's figure; at t=0 it is\n"
              "gamma sigma^2 T + (2/gamma) ln(1+gamma/k), larger by gamma sigma^2 T / 2)\n\n");
  std::printf("  %-18s %7s %8s %8s %8s %8s\n", "", "spread", "profit", "sd", "final q", "sd q");
  std::FILE* f = open_json(o);
  if (f) std::fprintf(f, "{\"study\": \"as2008\", \"paths\": %d, \"seed\": %llu, \"rows\": [\n", cfg.paths,
                      static_cast<unsigned long long>(cfg.seed));
  bool first = true;
  for (const auto& row : kAsPaper) {
    cfg.gamma = row.gamma;
    const auto r = exec::as2008_simulate(cfg);
    std::printf("gamma = %g\n", row.gamma);
    print_stats("inventory", r.inventory, 2);
    print_stats("  paper", row.inventory, 1);
    print_stats("symmetric", r.symmetric, 2);
    print_stats("  paper", row.symmetric, 1);
    if (f) {
      std::fprintf(f, "%s  {\"gamma\": %s, \"inventory\": %s,\n   \"symmetric\": %s,\n   \"paper\": {\"inventory\": %s, \"symmetric\": %s}}",
                   first ? "" : ",\n", jnum(row.gamma).c_str(), stats_json(r.inventory).c_str(),
                   stats_json(r.symmetric).c_str(), stats_json(row.inventory).c_str(),
                   stats_json(row.symmetric).c_str());
    }
    first = false;
  }
  std::printf("\nMonte Carlo standard error of a mean profit: sd / sqrt(%d) (about %.1f for sd 12)\n", cfg.paths,
              12.0 / std::sqrt(cfg.paths));
  if (f) {
    std::fprintf(f, "\n]}\n");
    std::fclose(f);
  }
  return 0;
}

// ---------------------------------------------------------------- ac2000

struct AcLine {
  const char* name;
  exec::AcResult r;
};

int run_ac2000(int argc, char** argv) {
  const Options o(argc, argv, {"--json", "--lambda"});
  // Table 1 of the paper: X = 1e6 shares at S0 = $50, T = 5 days in N = 5 periods, sigma =
  // 0.95 $/share/day^1/2 (30% a year), epsilon = 1/16 $, eta = 2.5e-6, gamma = 2.5e-7.
  exec::AcParams p{1e6, 5, 5, 0.95, 2.5e-6, 0.0625, 2.5e-7, o.real("--lambda", 1e-6)};
  if (!exec::ac_valid(p)) throw UsageError("--lambda must be >= 0");
  const double S0 = 50;
  const auto cf = exec::ac_closed_form(p);
  const auto ds = exec::ac_direct_sum(p, cf.holdings);
  exec::AcParams p0 = p;
  p0.lambda = 0;
  const auto naive = exec::ac_closed_form(p0);
  std::vector<double> dump(static_cast<std::size_t>(p.N) + 1, 0.0);
  dump[0] = p.X;
  const auto minvar = exec::ac_direct_sum(p, dump);  // lambda -> infinity: all in the first period

  std::printf("Almgren & Chriss (2000), Table 1: X=%g shares, S0=$%g, T=%g days, N=%d, sigma=%g, eta=%g, "
              "epsilon=%g, gamma=%g; lambda=%g\n\n",
              p.X, S0, p.T, p.N, p.sigma, p.eta, p.epsilon, p.gamma, p.lambda);
  const double tau = p.T / p.N;
  std::printf("tau = %g day, eta_tilde = %.6g, kappa_tilde = %.6f /day, kappa = %.6f /day, half-life 1/kappa = %.4f days\n",
              tau, p.eta - 0.5 * p.gamma * tau, cf.kappa_tilde, cf.kappa, 1.0 / cf.kappa);
  std::printf("reference: kappa = 0.6071 /day (hftd REFERENCES.md; the article's own text for this example was\n"
              "not found by the search tools, so no published E, V are printed beside ours)\n\n");
  std::printf("%3s %6s %16s %16s %16s\n", "j", "t_j", "x_j optimal", "n_j optimal", "x_j naive");
  for (int j = 0; j <= p.N; ++j) {
    const auto u = static_cast<std::size_t>(j);
    if (j == 0)
      std::printf("%3d %6.1f %16.2f %16s %16.2f\n", j, 0.0, cf.holdings[u], "", naive.holdings[u]);
    else
      std::printf("%3d %6.1f %16.2f %16.2f %16.2f\n", j, j * tau, cf.holdings[u], cf.trades[u - 1], naive.holdings[u]);
  }
  std::printf("\n%-28s %16s %16s %14s %16s\n", "", "E [$]", "V [$^2]", "sqrt(V) [$]", "E + lambda V");
  const AcLine lines[] = {{"optimal, closed form", cf},
                          {"optimal, direct sum", ds},
                          {"naive (lambda -> 0, linear)", naive},
                          {"minimum variance (all at t1)", minvar}};
  for (const auto& l : lines)
    std::printf("%-28s %16.2f %16.6g %14.2f %16.2f\n", l.name, l.r.expected_cost, l.r.variance, std::sqrt(l.r.variance),
                l.r.expected_cost + p.lambda * l.r.variance);
  std::printf("closed form vs direct sum: E rel. diff %.2e, V rel. diff %.2e\n",
              std::fabs(cf.expected_cost - ds.expected_cost) / ds.expected_cost,
              std::fabs(cf.variance - ds.variance) / ds.variance);
  std::printf("(E includes the permanent-impact cost gamma X^2/2 = $%.0f and epsilon X = $%.0f; as %% of the\n"
              " position's value $%.0f: optimal %.3f%%, naive %.3f%%)\n",
              0.5 * p.gamma * p.X * p.X, p.epsilon * p.X, S0 * p.X, 100 * cf.expected_cost / (S0 * p.X),
              100 * naive.expected_cost / (S0 * p.X));

  if (std::FILE* f = open_json(o)) {
    auto vec = [](const std::vector<double>& v) {
      std::string s = "[";
      for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + jnum(v[i]);
      return s + "]";
    };
    auto res = [&](const exec::AcResult& r) {
      return "{\"kappa\": " + jnum(r.kappa) + ", \"kappa_tilde\": " + jnum(r.kappa_tilde) +
             ", \"expected_cost\": " + jnum(r.expected_cost) + ", \"variance\": " + jnum(r.variance) +
             ", \"holdings\": " + vec(r.holdings) + ", \"trades\": " + vec(r.trades) + "}";
    };
    std::fprintf(f,
                 "{\"study\": \"ac2000\",\n \"params\": {\"X\": %s, \"S0\": %s, \"T\": %s, \"N\": %d, \"sigma\": %s, "
                 "\"eta\": %s, \"epsilon\": %s, \"gamma\": %s, \"lambda\": %s},\n"
                 " \"closed_form\": %s,\n \"direct_sum\": %s,\n \"naive\": %s,\n \"min_variance\": %s,\n"
                 " \"reference\": {\"kappa\": 0.6071, \"source\": \"REFERENCES.md\"}}\n",
                 jnum(p.X).c_str(), jnum(S0).c_str(), jnum(p.T).c_str(), p.N, jnum(p.sigma).c_str(),
                 jnum(p.eta).c_str(), jnum(p.epsilon).c_str(), jnum(p.gamma).c_str(), jnum(p.lambda).c_str(),
                 res(cf).c_str(), res(ds).c_str(), res(naive).c_str(), res(minvar).c_str());
    std::fclose(f);
  }
  return 0;
}

// ---------------------------------------------------------------- glft

int run_glft(int argc, char** argv) {
  const Options o(argc, argv, {"--json", "--gamma", "--sigma", "--k", "--A", "--qmax", "--T", "--show"});
  // Default: the numerical example of Gueant, Lehalle & Fernandez-Tapia (2013) as recalled (the
  // search tools did not return the paper's text to confirm it), prices in ticks and time in
  // seconds: sigma = 0.3 tick/s^1/2, A = 0.9 /s, k = 0.3 /tick, gamma = 0.01 /tick, Q = 30.
  const exec::MmParams p{o.real("--gamma", 0.01), o.real("--sigma", 0.3), o.real("--k", 0.3), o.real("--A", 0.9)};
  if (!exec::mm_params_valid(p)) throw UsageError("need gamma, k, A > 0 and sigma >= 0");
  const int qmax = static_cast<int>(o.integer("--qmax", 30, 1, 500));
  const int show = static_cast<int>(o.integer("--show", 10, 0, 500));
  const double T = o.has("--T") ? o.real("--T", 0) : std::numeric_limits<double>::infinity();
  if (!(T >= 0)) throw UsageError("--T must be >= 0");
  const auto ex = exec::glft_exact(p, qmax, T);
  std::printf("GLFT (2013): closed-form approximation vs exact solution, inventory bounded by |q| <= %d\n", qmax);
  std::printf("gamma=%g sigma=%g k=%g A=%g (prices in ticks, time in seconds), exact at %s\n", p.gamma, p.sigma, p.k,
              p.A, std::isinf(T) ? "T - t = infinity (asymptotic regime)" : ("T - t = " + jnum(T) + " s").c_str());
  std::printf("(defaults: the GLFT paper's example as recalled, not confirmed against its text)\n");
  std::printf("depths delta_b = mid - bid, delta_a = ask - mid\n\n");
  std::printf("%5s %10s %10s %10s  %10s %10s %10s\n", "q", "bid exact", "closed", "error", "ask exact", "closed",
              "error");
  std::string rows;
  for (int q = -qmax; q <= qmax; ++q) {
    const auto u = static_cast<std::size_t>(q + qmax);
    const auto cq = exec::glft_quotes(0.0, q, 0.0, p);
    const double cb = -cq.bid, ca = cq.ask;
    const double eb = ex.bid_depth[u], ea = ex.ask_depth[u];
    if (std::abs(q) <= show || std::abs(q) == qmax)
      std::printf("%5d %10.4f %10.4f %10.4f  %10.4f %10.4f %10.4f\n", q, eb, cb, cb - eb, ea, ca, ca - ea);
    rows += std::string(rows.empty() ? "" : ",\n") + "  {\"q\": " + std::to_string(q) + ", \"bid_exact\": " + jnum(eb) +
            ", \"bid_closed\": " + jnum(cb) + ", \"ask_exact\": " + jnum(ea) + ", \"ask_closed\": " + jnum(ca) + "}";
  }
  std::printf("\n(rows with |q| <= %d and the bounds shown; --show N for more; NaN: no quote on that side)\n", show);
  if (std::FILE* f = open_json(o)) {
    std::fprintf(f,
                 "{\"study\": \"glft\", \"params\": {\"gamma\": %s, \"sigma\": %s, \"k\": %s, \"A\": %s, \"qmax\": %d, "
                 "\"T\": %s},\n \"rows\": [\n%s\n]}\n",
                 jnum(p.gamma).c_str(), jnum(p.sigma).c_str(), jnum(p.k).c_str(), jnum(p.A).c_str(), qmax,
                 std::isinf(T) ? "\"infinity\"" : jnum(T).c_str(), rows.c_str());
    std::fclose(f);
  }
  return 0;
}

}  // namespace

// argv[0] is the study name; -1 if it is not one of these studies.
int run_study_exec(int argc, char** argv) {
  using namespace cmd_study_exec;
  if (!std::strcmp(argv[0], "as2008")) return run_as2008(argc, argv);
  if (!std::strcmp(argv[0], "ac2000")) return run_ac2000(argc, argv);
  if (!std::strcmp(argv[0], "glft")) return run_glft(argc, argv);
  return -1;
}

}  // namespace hft::app
