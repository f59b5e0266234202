// hftd study arma-garch: an ARMA(1,1)-GARCH(1,1) fit to one instrument's log mid returns on an
// exchange-time grid (model/arma_garch), beside the GARCH-only fit (likelihood ratio), with the
// 1..K step forecasts from the end of the sample. Dispatched from `hftd study` (cmd_study.cpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.hpp"
#include "study_util.hpp"
#include "hft/book/order_book.hpp"
#include "hft/model/arma_garch.hpp"
#include "hft/regime/garch.hpp"
#include "hft/sources/open.hpp"
#include "hft/study/grid_mids.hpp"
#include "pump.hpp"

namespace hft::app {
namespace cmd_study_arma_garch {  // named: the subcommands are compiled as one unit (kUsage, run)



int run(int argc, char** argv) {
  const Options o(argc, argv, {"--input", "--instrument", "--grid-ms", "--json", "--start", "--end", "--horizon", "--max-orders", "--dst"});
  const std::string input = o.required("--input");
  const auto spec = sources::parse_source_spec(input);
  const Nanos grid = o.integer("--grid-ms", 1000, 1, 3'600'000) * 1'000'000LL;
  const int horizon = static_cast<int>(o.integer("--horizon", 10, 1, 10000));
  const auto instr = static_cast<InstrumentId>(
      o.integer("--instrument", study::GridMidFeed::kAny, 0, study::GridMidFeed::kAny));

  auto src = sources::open_source(spec, feed_options(o));
  const book::BookConfig bcfg = book_config(o);
  book::Books books(bcfg);
  study::GridMidConfig gcfg;
  gcfg.grid = grid;
  session_options(o, gcfg.start, gcfg.end);
  study::GridMidFeed feed(books, {instr}, gcfg, src->time_basis() == feed::TimeBasis::SinceEpoch);
  pump(*src, [&](const MarketEvent& ev) { feed.on_event(ev); });
  const study::GridMids& g = feed.result();
  const std::vector<double> r = study::log_returns(g.mids[0]);
  std::size_t moves = 0;
  for (double v : r) moves += v != 0;
  const double step_s = static_cast<double>(grid) / 1e9;

  std::printf("ARMA(1,1)-GARCH(1,1) on %s, instrument %u\n", input.c_str(), static_cast<unsigned>(g.instruments[0]));
  std::printf("grid %.3f s: %zu points, %zu log mid returns (%zu non-zero); %llu event groups, %llu invalid tops\n",
              step_s, g.times.size(), r.size(), moves, static_cast<unsigned long long>(g.groups),
              static_cast<unsigned long long>(g.invalid_tops));
  std::printf("model: r_t = c + phi r_{t-1} + theta e_{t-1} + e_t, e_t = sigma_t z_t,\n"
              "       sigma_t^2 = omega + alpha e_{t-1}^2 + beta sigma_{t-1}^2 (Gaussian ML)\n\n");

  const model::ArmaGarchFit fit = model::fit_arma_garch(r);
  regime::FitOptions go;
  const regime::GarchFit gf = regime::fit_garch(r, go);
  std::printf("fit: %s%s%s\n", regime::fit_status_name(fit.status), fit.error.empty() ? "" : " - ",
              fit.error.c_str());
  if (!(fit.params.omega > 0)) return 1;  // nothing estimated (input rejected: the status says why)
  const auto& p = fit.params;
  const double est[6] = {p.c, p.phi, p.theta, p.omega, p.alpha, p.beta};
  const char* names[6] = {"c", "phi", "theta", "omega", "alpha", "beta"};
  std::printf("  %-6s %14s %14s %9s\n", "param", "estimate", "se", "t");
  for (int i = 0; i < 6; ++i) {
    const double se = fit.se[static_cast<std::size_t>(i)];
    std::printf("  %-6s %14.6g %14.6g %9.2f\n", names[i], est[i], se, est[i] / se);
  }
  const double pers = p.alpha + p.beta, hl = model::arma_garch_vol_half_life(p);
  const double V = model::arma_garch_unconditional_variance(p);
  std::printf("  persistence alpha+beta %.5f; vol-shock half-life %.1f steps = %.1f s\n", pers, hl, hl * step_s);
  std::printf("  long-run sd per step %.4g (%.3f bp); unconditional mean %.4g\n", std::sqrt(V), std::sqrt(V) * 1e4,
              model::arma_garch_mean(p));
  const double lr = 2 * (fit.loglik - gf.loglik);
  // chi^2 with 2 degrees of freedom: P(X > x) = exp(-x / 2) exactly.
  const double pval = lr > 0 ? std::exp(-lr / 2) : 1.0;
  std::printf("\n  %-22s %14s %12s %12s %12s\n", "model", "loglik", "AIC", "BIC", "status");
  std::printf("  %-22s %14.2f %12.2f %12.2f %12s\n", "ARMA(1,1)-GARCH(1,1)", fit.loglik, fit.aic, fit.bic,
              regime::fit_status_name(fit.status));
  const double gk = 4, gn = static_cast<double>(r.size());
  std::printf("  %-22s %14.2f %12.2f %12.2f %12s\n", "GARCH(1,1) + mean", gf.loglik, 2 * gk - 2 * gf.loglik,
              gk * std::log(gn) - 2 * gf.loglik, regime::fit_status_name(gf.status));
  std::printf("  likelihood ratio (phi = theta = 0): LR = %.2f on 2 df, p = %.3g\n", lr, pval);

  // Forecasts from the end of the sample: the filter run over every return with the fit.
  model::ArmaGarchFilter f(p, fit.sigma2_0);
  for (double v : r) f.update(v);
  std::printf("\nforecasts from the last grid point (h steps of %.3f s; returns in bp):\n", step_s);
  std::printf("  E r, sd r: the return of step h alone; E sigma: sqrt(E sigma^2_{t+h});\n"
              "  cum: the log return over steps 1..h (its mean and sd)\n");
  std::printf("  %4s %10s %10s %10s %12s %10s\n", "h", "E r", "sd r", "E sigma", "cum E r", "cum sd");
  std::string rows;
  for (int h = 1; h <= horizon; ++h) {
    const auto fc = f.forecast(h);
    std::printf("  %4d %10.4f %10.4f %10.4f %12.4f %10.4f\n", h, fc.mean * 1e4, std::sqrt(fc.variance) * 1e4,
                std::sqrt(fc.sigma2) * 1e4, fc.cum_mean * 1e4, std::sqrt(fc.cum_variance) * 1e4);
    rows += std::string(rows.empty() ? "" : ",\n") + "  {\"h\": " + std::to_string(h) + ", \"mean\": " +
            json_number(fc.mean) + ", \"variance\": " + json_number(fc.variance) + ", \"sigma2\": " + json_number(fc.sigma2) +
            ", \"cum_mean\": " + json_number(fc.cum_mean) + ", \"cum_variance\": " + json_number(fc.cum_variance) + "}";
  }
  if (o.has("--json")) {
    std::FILE* jf = std::fopen(o.str("--json").c_str(), "w");
    if (!jf) throw std::runtime_error("cannot write " + o.str("--json"));
    std::string params, ses;
    for (int i = 0; i < 6; ++i) {
      params += std::string(i ? ", " : "") + "\"" + names[i] + "\": " + json_number(est[i]);
      ses += std::string(i ? ", " : "") + "\"" + names[i] + "\": " + json_number(fit.se[static_cast<std::size_t>(i)]);
    }
    std::fprintf(jf,
                 "{\"study\": \"arma-garch\", \"input\": \"%s\", \"instrument\": %u, \"grid_ms\": %lld, "
                 "\"returns\": %zu, \"non_zero\": %zu,\n \"status\": \"%s\", \"params\": {%s},\n \"se\": {%s},\n"
                 " \"loglik\": %s, \"aic\": %s, \"bic\": %s, \"persistence\": %s, \"vol_half_life_steps\": %s,\n"
                 " \"garch\": {\"status\": \"%s\", \"loglik\": %s, \"omega\": %s, \"alpha\": %s, \"beta\": %s, "
                 "\"mu\": %s},\n \"lr\": %s, \"lr_p\": %s,\n \"forecasts\": [\n%s\n]}\n",
                 input.c_str(), static_cast<unsigned>(g.instruments[0]), static_cast<long long>(grid / 1'000'000),
                 r.size(), moves, regime::fit_status_name(fit.status), params.c_str(), ses.c_str(),
                 json_number(fit.loglik).c_str(), json_number(fit.aic).c_str(), json_number(fit.bic).c_str(), json_number(pers).c_str(), json_number(hl).c_str(),
                 regime::fit_status_name(gf.status), json_number(gf.loglik).c_str(), json_number(gf.params.omega).c_str(),
                 json_number(gf.params.alpha).c_str(), json_number(gf.params.beta).c_str(), json_number(gf.params.mu).c_str(), json_number(lr).c_str(),
                 json_number(pval).c_str(), rows.c_str());
    std::fclose(jf);
  }
  return fit.usable() ? 0 : 1;
}

}  // namespace

// argv[0] is the study name; -1 if it is not "arma-garch".
int run_study_arma_garch(int argc, char** argv) {
  using namespace cmd_study_arma_garch;
  if (std::strcmp(argv[0], "arma-garch") != 0) return -1;
  return run(argc, argv);
}

}  // namespace hft::app
