// hftd study hawkes: a bivariate exponential Hawkes process (buy and sell market orders) fitted
// by maximum likelihood to one instrument of a SOURCE, beside a Poisson fit, with standard
// errors and time-rescaling goodness of fit. Dispatched from `hftd study` (cmd_study.cpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.hpp"
#include "study_util.hpp"
#include "hft/book/order_book.hpp"
#include "hft/sources/open.hpp"
#include "hft/study/hawkes.hpp"
#include "pump.hpp"

namespace hft::app {
namespace cmd_study_hawkes {  // named: the subcommands are compiled as one unit (kUsage, run)

constexpr Nanos kHkNsPerSec = 1'000'000'000LL;




// "value (se)" in a fixed width.
std::string hk_est(double v, double se) {
  char b[64];
  if (std::isfinite(se)) std::snprintf(b, sizeof b, "%.4g (%.2g)", v, se);
  else std::snprintf(b, sizeof b, "%.4g (-)", v);
  return b;
}

std::string hk_params_json(const model::HawkesParams& p) {
  std::string s = "{\"mu\": [";
  for (int i = 0; i < p.dim; ++i) s += (i ? ", " : "") + json_number(p.mu[static_cast<std::size_t>(i)]);
  s += "], \"alpha\": [";
  for (int i = 0; i < p.dim; ++i) {
    s += i ? ", [" : "[";
    for (int j = 0; j < p.dim; ++j)
      s += (j ? ", " : "") + json_number(p.alpha[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)]);
    s += "]";
  }
  return s + "], \"beta\": " + json_number(p.beta) + "}";
}

std::string hk_fit_json(const model::HawkesFit& f, const model::HawkesResiduals& r) {
  std::string s = "{\"status\": \"" + std::string(model::hawkes_fit_status_name(f.status)) + "\", \"input\": \"" +
                  model::hawkes_input_name(f.input) + "\", \"params\": " + hk_params_json(f.params) +
                  ", \"se\": " + hk_params_json(f.se) + ", \"decay_ms\": " + json_number(1e3 / f.params.beta) +
                  ", \"branching_ratio\": " + json_number(f.branching_ratio) + ", \"loglik\": " + json_number(f.loglik) +
                  ", \"loglik_poisson\": " + json_number(f.loglik_poisson) + ", \"lr_stat\": " + json_number(f.lr_stat) +
                  ", \"grad_max\": " + json_number(f.grad_max) + ", \"iterations\": " + std::to_string(f.iterations) +
                  ", \"starts_converged\": " + std::to_string(f.starts_converged) + ", \"residuals\": ";
  if (!r.ok) return s + "null}";
  s += "{\"mean\": [";
  for (int i = 0; i < f.params.dim; ++i) s += (i ? ", " : "") + json_number(r.mean[static_cast<std::size_t>(i)]);
  s += "], \"ks\": [";
  for (int i = 0; i < f.params.dim; ++i) s += (i ? ", " : "") + json_number(r.ks[static_cast<std::size_t>(i)]);
  s += "], \"ks_p\": [";
  for (int i = 0; i < f.params.dim; ++i) s += (i ? ", " : "") + json_number(r.ks_p[static_cast<std::size_t>(i)]);
  return s + "]}}";
}

void hk_print(const std::string& input, InstrumentId instr, const study::HawkesStudyResult& r) {
  const auto& c = r.counts;
  const auto& f = r.bivariate;
  const auto& p = f.params;
  const auto& se = f.se;
  std::printf("Hawkes study of market orders (bivariate, exponential kernel, one decay beta): %s, instrument %u\n",
              input.c_str(), instr);
  std::printf("window %s + %.1f s; lambda_i(t) = mu_i + sum_j sum_{t_k^j < t} alpha_ij exp(-beta (t - t_k^j))\n\n",
              clock_time(r.data.t0, true).c_str(), r.data.T);
  std::printf("executions %llu -> market orders %llu: buy %llu, sell %llu (%llu executions merged: same time and\n"
              "side as the previous market order of that side; %llu unsigned, %llu cross, %llu fills beside their\n"
              "print, %llu outside the session, %llu out of order: not used)\n\n",
              static_cast<unsigned long long>(c.executions), static_cast<unsigned long long>(c.market_orders),
              static_cast<unsigned long long>(c.per_side[0]), static_cast<unsigned long long>(c.per_side[1]),
              static_cast<unsigned long long>(c.merged), static_cast<unsigned long long>(c.unsigned_side),
              static_cast<unsigned long long>(c.cross), static_cast<unsigned long long>(c.fills),
              static_cast<unsigned long long>(c.outside), static_cast<unsigned long long>(c.out_of_order));
  std::printf("fit: %s", model::hawkes_fit_status_name(f.status));
  if (f.status == model::HawkesFitStatus::BadInput) {
    std::printf(" (%s)\n", model::hawkes_input_name(f.input));
    return;
  }
  std::printf(" (%d of the starts converged; best: %d iterations, max |grad| %.1e)\n", f.starts_converged,
              f.iterations, f.grad_max);
  std::printf("estimates (standard error), rates per second\n");
  std::printf("  %-10s %-22s %-22s %-22s\n", "", "mu", "alpha from buy", "alpha from sell");
  const char* names[2] = {"buy", "sell"};
  for (std::size_t i = 0; i < 2; ++i)
    std::printf("  %-10s %-22s %-22s %-22s\n", names[i], hk_est(p.mu[i], se.mu[i]).c_str(),
                hk_est(p.alpha[i][0], se.alpha[i][0]).c_str(), hk_est(p.alpha[i][1], se.alpha[i][1]).c_str());
  std::printf("  beta %s /s; decay time 1/beta %.3g ms\n", hk_est(p.beta, se.beta).c_str(), 1e3 / p.beta);
  std::printf("  branching matrix alpha/beta [[%.3f %.3f] [%.3f %.3f]], branching ratio (spectral radius) %.3f\n",
              p.alpha[0][0] / p.beta, p.alpha[0][1] / p.beta, p.alpha[1][0] / p.beta, p.alpha[1][1] / p.beta,
              f.branching_ratio);
  const auto L = model::hawkes_stationary_rates(p);
  std::printf("  stationary rates (I - K)^-1 mu: buy %.4f, sell %.4f /s; observed %.4f, %.4f /s\n", L[0], L[1],
              static_cast<double>(c.per_side[0]) / r.data.T, static_cast<double>(c.per_side[1]) / r.data.T);
  std::printf("log-likelihood %.2f vs Poisson (constant rates) %.2f: LR = %.1f (5 parameters more)\n",
              f.loglik, f.loglik_poisson, f.lr_stat);
  if (r.residuals.ok)
    std::printf("time-rescaling residuals (Exp(1) under the model): mean buy %.3f, sell %.3f; KS %.4f (p %.2g), "
                "%.4f (p %.2g)\n",
                r.residuals.mean[0], r.residuals.mean[1], r.residuals.ks[0], r.residuals.ks_p[0], r.residuals.ks[1],
                r.residuals.ks_p[1]);
  std::printf("Poisson fit's residuals: KS buy %.4f, sell %.4f\n", r.poisson_ks[0], r.poisson_ks[1]);
  const auto& q = r.pooled;
  if (q.status != model::HawkesFitStatus::BadInput)
    std::printf("pooled (all market orders, univariate): %s, mu %.4g, alpha %.4g, beta %.4g /s (%.3g ms), "
                "branching %.3f, KS %.4f\n",
                model::hawkes_fit_status_name(q.status), q.params.mu[0], q.params.alpha[0][0], q.params.beta,
                1e3 / q.params.beta, q.branching_ratio, r.pooled_residuals.ks[0]);
  // The features' Hawkes (one mu, alpha, beta for both sides, self-excitation only): the
  // bivariate fit's own-side terms, averaged over the sides.
  if (f.status == model::HawkesFitStatus::Ok && p.dim == 2)
    std::printf("for the features (config.yml; the two sides' own terms averaged, cross terms left out):\n"
                "  features: {hawkes_mu: %.6g, hawkes_alpha: %.6g, hawkes_beta: %.6g}\n",
                0.5 * (p.mu[0] + p.mu[1]), 0.5 * (p.alpha[0][0] + p.alpha[1][1]), p.beta);
  std::printf("(one exponential kernel and constant baselines: a KS far from 0 says the clustering has more\n"
              " time scales, or intraday seasonality, than this model holds)\n");
}

void hk_write_json(std::FILE* out, const std::string& input, InstrumentId instr, const study::HawkesStudyResult& r) {
  const auto& c = r.counts;
  std::string in;
  for (char ch : input) {  // a path in a JSON string
    if (ch == '"' || ch == '\\') in += '\\';
    in += ch;
  }
  std::fprintf(out,
               "{\n  \"study\": \"hawkes\",\n  \"input\": \"%s\",\n  \"instrument\": %u,\n  \"window_start\": \"%s\",\n"
               "  \"T_s\": %s,\n",
               in.c_str(), instr, clock_time(r.data.t0, true).c_str(), json_number(r.data.T).c_str());
  std::fprintf(out,
               "  \"counts\": {\"executions\": %llu, \"market_orders\": %llu, \"buy\": %llu, \"sell\": %llu, "
               "\"merged\": %llu, \"unsigned\": %llu, \"cross\": %llu, \"fills\": %llu, \"outside\": %llu, "
               "\"out_of_order\": %llu},\n",
               static_cast<unsigned long long>(c.executions), static_cast<unsigned long long>(c.market_orders),
               static_cast<unsigned long long>(c.per_side[0]), static_cast<unsigned long long>(c.per_side[1]),
               static_cast<unsigned long long>(c.merged), static_cast<unsigned long long>(c.unsigned_side),
               static_cast<unsigned long long>(c.cross), static_cast<unsigned long long>(c.fills),
               static_cast<unsigned long long>(c.outside), static_cast<unsigned long long>(c.out_of_order));
  std::fprintf(out, "  \"bivariate\": %s,\n", hk_fit_json(r.bivariate, r.residuals).c_str());
  std::fprintf(out, "  \"pooled\": %s,\n", hk_fit_json(r.pooled, r.pooled_residuals).c_str());
  std::fprintf(out, "  \"poisson_ks\": [%s, %s]\n}\n", json_number(r.poisson_ks[0]).c_str(), json_number(r.poisson_ks[1]).c_str());
}

int run_hawkes(int argc, char** argv) {
  const Options o(argc, argv, {"--input", "--instrument", "--json", "--start", "--end", "--starts", "--max-orders", "--dst"});
  const std::string input = o.required("--input");
  const auto spec = sources::parse_source_spec(input);
  study::HawkesStudyConfig cfg;
  if (o.has("--start") != o.has("--end")) throw UsageError("--start and --end go together");
  if (o.has("--start")) {
    cfg.session = true;
    cfg.start = parse_hhmm("--start", o.str("--start"));
    cfg.end = parse_hhmm("--end", o.str("--end"));
    if (cfg.end <= cfg.start) throw UsageError("--end must be after --start");
  }
  cfg.fit.starts = static_cast<int>(o.integer("--starts", 4, 1, 8));
  const auto instr = static_cast<InstrumentId>(
      o.integer("--instrument", study::HawkesFeed::kAny, 0, study::HawkesFeed::kAny));

  auto src = sources::open_source(spec, feed_options(o));
  const book::BookConfig bcfg = book_config(o);
  book::Books books(bcfg);
  study::MarketOrderTimes times(cfg);
  study::HawkesFeed feed(times, books, instr, src->time_basis() == feed::TimeBasis::SinceEpoch);
  pump(*src, [&](const MarketEvent& ev) { feed.on_event(ev); });
  const auto res = study::hawkes_study(times, cfg.fit);

  hk_print(input, feed.instrument(), res);
  std::uint64_t src_errors = 0;
  for (const auto& [k, v] : src->stats().errors) src_errors += v;
  std::printf("source: %llu events, %llu errors\n", static_cast<unsigned long long>(src->stats().events),
              static_cast<unsigned long long>(src_errors));
  if (o.has("--json")) {
    std::FILE* f = std::fopen(o.str("--json").c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + o.str("--json"));
    hk_write_json(f, input, feed.instrument(), res);
    std::fclose(f);
  }
  return res.bivariate.status == model::HawkesFitStatus::Ok ? 0 : 1;
}

}  // namespace

// hawkes (-1: not this study).
int run_study_hawkes(int argc, char** argv) {
  using namespace cmd_study_hawkes;
  if (!std::strcmp(argv[0], "hawkes")) return run_hawkes(argc, argv);
  return -1;
}

}  // namespace hft::app
