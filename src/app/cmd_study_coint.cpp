// hftd study coint: Engle-Granger cointegration of two instruments' log mids on an exchange-time
// grid (model/cointegration): the full sample, then rolling windows (beta, ADF, half-life) and
// the spread's z-score. Dispatched from `hftd study` (cmd_study.cpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli.hpp"
#include "study_util.hpp"
#include "hft/book/order_book.hpp"
#include "hft/model/cointegration.hpp"
#include "hft/sources/open.hpp"
#include "hft/study/grid_mids.hpp"
#include "pump.hpp"

namespace hft::app {
namespace cmd_study_coint {  // named: the subcommands are compiled as one unit (kUsage, run)


double quantile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}



struct RollRow {
  Nanos time;
  model::EngleGranger eg;
};

int run(int argc, char** argv) {
  const Options o(argc, argv,
                  {"--input", "--pair", "--grid-ms", "--window-min", "--refit-s", "--json", "--start", "--end", "--max-orders", "--dst"});
  const std::string input = o.required("--input");
  const std::string pair = o.required("--pair");
  const auto comma = pair.find(',');
  if (comma == std::string::npos || comma == 0 || comma + 1 == pair.size())
    throw UsageError("--pair: expected A,B (instrument ids or symbols), got '" + pair + "'");
  const std::string names[2] = {pair.substr(0, comma), pair.substr(comma + 1)};
  const Nanos grid = o.integer("--grid-ms", 1000, 1, 3'600'000) * 1'000'000LL;
  const std::int64_t window_min = o.integer("--window-min", 30, 1, 1440);
  const std::int64_t refit_s = o.integer("--refit-s", 60, 1, 86400);
  const auto window = static_cast<std::size_t>(window_min * 60'000'000'000LL / grid);
  const auto refit_every = static_cast<std::size_t>(std::max<Nanos>(1, refit_s * 1'000'000'000LL / grid));
  if (window < 20) throw UsageError("--window-min: the window must hold at least 20 grid points");

  auto src = sources::open_source(sources::parse_source_spec(input), feed_options(o));
  // An id is a number; anything else a symbol, looked up in the source's instrument list
  // (known at open for LOBSTER and DBN, learned from Directory messages for ITCH).
  InstrumentId ids[2];
  bool resolved[2];
  for (int i = 0; i < 2; ++i) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(names[i].c_str(), &end, 10);
    resolved[i] = *end == '\0';
    ids[i] = resolved[i] ? static_cast<InstrumentId>(v) : study::GridMidFeed::kAny - 1;
  }
  auto resolve = [&](study::GridMidFeed* f) {
    for (int i = 0; i < 2; ++i)
      if (!resolved[i])
        for (const auto& in : src->instruments())
          if (in.symbol == names[i]) {
            ids[i] = in.id;
            resolved[i] = true;
            if (f) f->set_instrument(static_cast<std::size_t>(i), in.id);
          }
  };
  resolve(nullptr);
  const book::BookConfig bcfg = book_config(o);
  book::Books books(bcfg);
  study::GridMidConfig gcfg;
  gcfg.grid = grid;
  session_options(o, gcfg.start, gcfg.end);
  study::GridMidFeed feed(books, {ids[0], ids[1]}, gcfg, src->time_basis() == feed::TimeBasis::SinceEpoch);
  pump(*src, [&](const MarketEvent& ev) {
    if (ev.kind == EventKind::Directory && !(resolved[0] && resolved[1])) resolve(&feed);
    feed.on_event(ev);
  });
  for (int i = 0; i < 2; ++i)
    if (!resolved[i]) throw std::runtime_error("--pair: no instrument '" + names[i] + "' in " + input);
  const study::GridMids& g = feed.result();
  const std::size_t n = g.times.size();
  std::vector<double> y(n), x(n);
  for (std::size_t k = 0; k < n; ++k) {
    y[k] = std::log(g.mids[0][k]);
    x[k] = std::log(g.mids[1][k]);
  }
  const double step_s = static_cast<double>(grid) / 1e9;
  std::printf("Engle-Granger cointegration on %s: y = %s (id %u), x = %s (id %u), log mids\n", input.c_str(),
              names[0].c_str(), static_cast<unsigned>(ids[0]), names[1].c_str(), static_cast<unsigned>(ids[1]));
  std::printf("grid %.3f s: %zu common points (%s to %s); %llu event groups, %llu invalid tops\n", step_s, n,
              n ? clock_time(g.times.front()).c_str() : "-", n ? clock_time(g.times.back()).c_str() : "-",
              static_cast<unsigned long long>(g.groups), static_cast<unsigned long long>(g.invalid_tops));
  std::printf("ADF on the OLS residual, no constant, lags by AIC (Schwert maximum); MacKinnon (2010) N=2\n\n");

  const model::EngleGranger full = model::engle_granger(y, x);
  if (!full.ok) {
    std::printf("full sample: no test (too few points, or a constant or non-finite series)\n");
  } else {
    std::printf("full sample: y = %.6g + %.6g x  (se %.3g, %.3g; R^2 %.4f; spread sd %.4g)\n", full.line.a, full.line.b,
                full.line.se_a, full.line.se_b, full.line.r2, full.line.resid_sd);
    std::printf("  ADF t = %.3f (lags %d, nobs %zu); critical 1%% %.3f 5%% %.3f 10%% %.3f -> %s at 5%%\n",
                full.adf.stat, full.adf.lags, full.adf.nobs, full.cv1, full.cv5, full.cv10,
                full.reject5 ? "cointegrated" : "not cointegrated");
    std::printf("  spread half-life %.1f steps = %.1f s (phi %.5f)\n", full.half_life, full.half_life * step_s,
                full.phi);
  }

  model::RollingCointegration roll(window, refit_every);
  std::vector<RollRow> rows;
  std::vector<double> z;
  z.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    roll.update(y[k], x[k]);
    if (roll.full()) z.push_back(roll.zscore());
    if (roll.refit_due()) rows.push_back({g.times[k], roll.refit()});
  }
  std::printf("\nrolling: window %lld min = %zu points, refit every %zu points: %zu refits\n",
              static_cast<long long>(window_min), window, refit_every, rows.size());
  std::size_t rej = 0;
  std::vector<double> betas, stats, hls;
  std::size_t tested = 0;
  for (const auto& rr : rows) {
    if (!rr.eg.ok) continue;  // a window with a constant mid or too few points: no test
    ++tested;
    rej += rr.eg.reject5;
    betas.push_back(rr.eg.line.b);
    stats.push_back(rr.eg.adf.stat);
    hls.push_back(rr.eg.half_life * step_s);
  }
  if (!rows.empty()) {
    std::printf("  %-18s %10s %10s %10s\n", "", "p10", "median", "p90");
    std::printf("  %-18s %10.4f %10.4f %10.4f\n", "beta", quantile(betas, 0.1), quantile(betas, 0.5), quantile(betas, 0.9));
    std::printf("  %-18s %10.3f %10.3f %10.3f\n", "ADF t", quantile(stats, 0.1), quantile(stats, 0.5), quantile(stats, 0.9));
    std::printf("  %-18s %10.1f %10.1f %10.1f\n", "half-life (s)", quantile(hls, 0.1), quantile(hls, 0.5), quantile(hls, 0.9));
    std::printf("  cointegrated at 5%% in %zu of %zu tested windows (%.1f%%); %zu windows untestable\n", rej, tested,
                tested ? 100.0 * static_cast<double>(rej) / static_cast<double>(tested) : 0.0, rows.size() - tested);
    std::printf("\n  %8s %10s %9s %5s %8s %12s\n", "end", "beta", "ADF t", "lags", "5% cv", "half-life s");
    const std::size_t stride = std::max<std::size_t>(1, window / refit_every);  // one row per window length
    for (std::size_t i = 0; i < rows.size(); i += stride) {
      const auto& e = rows[i].eg;
      if (!e.ok) {
        std::printf("  %8s %10s\n", clock_time(rows[i].time).c_str(), "no test");
        continue;
      }
      std::printf("  %8s %10.4f %9.3f %5d %8.3f %12.1f\n", clock_time(rows[i].time).c_str(), e.line.b, e.adf.stat,
                  e.adf.lags, e.cv5, e.half_life * step_s);
    }
  }
  double zm = 0, zs = 0, zmax = 0;
  std::size_t z2 = 0, zn = 0;
  for (double v : z) {
    if (!std::isfinite(v)) continue;
    ++zn;
    zm += v;
    zs += v * v;
    zmax = std::max(zmax, std::abs(v));
    z2 += std::abs(v) > 2;
  }
  if (zn) {
    zm /= static_cast<double>(zn);
    std::printf("\nz-score of the spread (rolling a, b, sd; each point against its own window): %zu points,\n"
                "  mean %.3f sd %.3f, |z| > 2 in %.2f%%, max |z| %.2f\n",
                zn, zm, std::sqrt(std::max(zs / static_cast<double>(zn) - zm * zm, 0.0)),
                100.0 * static_cast<double>(z2) / static_cast<double>(zn), zmax);
  }
  if (o.has("--json")) {
    std::FILE* jf = std::fopen(o.str("--json").c_str(), "w");
    if (!jf) throw std::runtime_error("cannot write " + o.str("--json"));
    std::fprintf(jf,
                 "{\"study\": \"coint\", \"input\": \"%s\", \"y\": %u, \"x\": %u, \"grid_ms\": %lld, \"points\": %zu,\n"
                 " \"full\": {\"ok\": %s, \"a\": %s, \"b\": %s, \"se_b\": %s, \"adf\": %s, \"lags\": %d, \"nobs\": %zu, "
                 "\"cv1\": %s, \"cv5\": %s, \"cv10\": %s, \"reject5\": %s, \"half_life_steps\": %s, \"phi\": %s},\n"
                 " \"window_points\": %zu, \"refit_points\": %zu, \"rolling\": [\n",
                 input.c_str(), static_cast<unsigned>(ids[0]), static_cast<unsigned>(ids[1]),
                 static_cast<long long>(grid / 1'000'000), n, full.ok ? "true" : "false", json_number(full.line.a).c_str(),
                 json_number(full.line.b).c_str(), json_number(full.line.se_b).c_str(), json_number(full.adf.stat).c_str(), full.adf.lags,
                 full.adf.nobs, json_number(full.cv1).c_str(), json_number(full.cv5).c_str(), json_number(full.cv10).c_str(),
                 full.reject5 ? "true" : "false", json_number(full.half_life).c_str(), json_number(full.phi).c_str(), window, refit_every);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& e = rows[i].eg;
      std::fprintf(jf, "  {\"t_ns\": %lld, \"ok\": %s, \"beta\": %s, \"adf\": %s, \"lags\": %d, \"cv5\": %s, \"reject5\": %s, "
                       "\"half_life_steps\": %s}%s\n",
                   static_cast<long long>(rows[i].time), e.ok ? "true" : "false", json_number(e.line.b).c_str(), json_number(e.adf.stat).c_str(), e.adf.lags,
                   json_number(e.cv5).c_str(), e.reject5 ? "true" : "false", json_number(e.half_life).c_str(),
                   i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(jf, "],\n \"z\": {\"points\": %zu, \"mean\": %s, \"frac_abs_gt_2\": %s, \"max_abs\": %s}}\n", zn,
                 json_number(zm).c_str(), json_number(zn ? static_cast<double>(z2) / static_cast<double>(zn) : 0.0).c_str(),
                 json_number(zmax).c_str());
    std::fclose(jf);
  }
  return full.ok ? 0 : 1;
}

}  // namespace

// argv[0] is the study name; -1 if it is not "coint".
int run_study_coint(int argc, char** argv) {
  using namespace cmd_study_coint;
  if (std::strcmp(argv[0], "coint") != 0) return -1;
  return run(argc, argv);
}

}  // namespace hft::app
