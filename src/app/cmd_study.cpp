// hftd study ofi: the order flow imbalance regressions of Cont, Kukanov & Stoikov (2014) on one
// instrument of a SOURCE: per window beta, t, R^2 of dP on OFI and on trade imbalance, depth.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.hpp"
#include "study_util.hpp"
#include "hft/book/order_book.hpp"
#include "hft/sources/open.hpp"
#include "hft/study/ofi.hpp"
#include "pump.hpp"

namespace hft::app {

// cmd_study_exec.cpp: as2008, ac2000, glft (-1: not one of them).
int run_study_exec(int argc, char** argv);
int run_study_hawkes(int argc, char** argv);      // cmd_study_hawkes.cpp
int run_study_arma_garch(int argc, char** argv);  // cmd_study_arma_garch.cpp
int run_study_coint(int argc, char** argv);       // cmd_study_coint.cpp
int run_study_queue(int argc, char** argv);       // cmd_study_queue.cpp

namespace cmd_study {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "hftd study ofi --input SOURCE [options]\n"
    "  --input SOURCE      market data (pcap:F, itch:F[.gz], lobster:F, dbn:F, binance:F[,F])\n"
    "  --interval-s N      aggregation interval in seconds (default 10)\n"
    "  --window-min N      regression window in minutes (default 30)\n"
    "  --start HH:MM       session start, time of day (default 09:30)\n"
    "  --end HH:MM         session end (default 16:00); times are the source's clock: local\n"
    "                      for LOBSTER and ITCH, UTC for epoch sources (DBN)\n"
    "  --tick N            tick in price units of 1e-4 (default 100 = $0.01)\n"
    "  --instrument ID     instrument id (default: the first with an order)\n"
    "  --json FILE         also write the result as JSON\n"
    "  --max-orders N      order pool size (default 4194304)\n"
    "  --dst ADDR:PORT     pcap only: keep UDP datagrams to this destination\n"
    "Per event group (LOBSTER row, packet) e_n from the best bid/ask before and after; OFI and\n"
    "trade imbalance (buyer- minus seller-initiated executions, hidden ones included) summed\n"
    "per interval; per window OLS dP = a + b OFI, dP = a + b TI, dP = a + b OFI + c TI, with\n"
    "dP the mid change over the interval in ticks.\n"
    "\n"
    "hftd study hawkes --input SOURCE [--instrument ID] [--start HH:MM --end HH:MM] [--starts N (4)] [--json FILE]\n"
    "  bivariate exponential Hawkes process of buy and sell market orders (executions signed by the\n"
    "  resting side; one sweep at one timestamp = one order): MLE, standard errors, branching ratio,\n"
    "  likelihood ratio against Poisson, time-rescaling residuals\n"
    "hftd study as2008 [--paths N (1000)] [--seed S (1)] [--json FILE]\n"
    "  Avellaneda & Stoikov (2008) section 3.3 simulation beside the article's figures\n"
    "hftd study ac2000 [--lambda L (1e-6)] [--json FILE]\n"
    "  Almgren & Chriss (2000) Table 1 example: trajectory, kappa, E and V, the extremes\n"
    "hftd study queue --input SOURCE [--instrument ID] [--buckets N (5)] [--max-units K (50)]\n"
    "                 [--max-spread TICKS (0: any)] [--tick N (100)] [--json FILE]\n"
    "  Cont & de Larrard (2013) queue-reactive model: flow rates at the best queues, model\n"
    "  P(next mid move up | queue sizes) vs the empirical frequency by queue-size bucket\n"
    "hftd study glft [--gamma G] [--sigma S] [--k K] [--A A] [--qmax Q] [--T S] [--show N] [--json FILE]\n"
    "  GLFT (2013) closed-form quotes vs the exact bounded-inventory solution (default: the\n"
    "  paper's example, gamma 0.01, sigma 0.3, k 0.3, A 0.9, Q 30, T infinite)\n"
    "hftd study arma-garch --input SOURCE [--instrument N] [--grid-ms MS (1000)] [--horizon K (10)]\n"
    "                 [--start HH:MM (09:30)] [--end HH:MM (16:00)] [--json FILE]\n"
    "  ARMA(1,1)-GARCH(1,1) on grid log mid returns: params, se, vol half-life, LR vs GARCH, 1..K forecasts\n"
    "hftd study coint --input SOURCE --pair A,B [--grid-ms MS (1000)] [--window-min M (30)] [--refit-s S (60)]\n"
    "                 [--start HH:MM (09:30)] [--end HH:MM (16:00)] [--json FILE]\n"
    "  Engle-Granger on grid log mids of A on B (ids or symbols): full sample, rolling beta/ADF/half-life, z-score\n";

Nanos parse_hhmm(const std::string& opt, const std::string& s) {
  int h = 0, m = 0;
  char extra = 0;
  if (std::sscanf(s.c_str(), "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 || m > 59)
    throw UsageError(opt + ": '" + s + "' is not HH:MM");
  return (h * 3600LL + m * 60LL) * study::kNsPerSec;
}

std::string hhmm(Nanos t) {
  const long long s = t / study::kNsPerSec;
  char b[16];
  std::snprintf(b, sizeof b, "%02lld:%02lld", s / 3600, (s / 60) % 60);
  return b;
}

// JSON numbers: NaN and infinities become null.
std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char b[32];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

std::string ols_json(const study::Ols& r) {
  return "{\"ok\": " + std::string(r.ok ? "true" : "false") + ", \"n\": " + std::to_string(r.n) +
         ", \"alpha\": " + num(r.alpha) + ", \"beta\": " + num(r.beta) + ", \"t\": " + num(r.t_beta) +
         ", \"beta2\": " + num(r.beta2) + ", \"t2\": " + num(r.t_beta2) + ", \"r2\": " + num(r.r2) + "}";
}

void write_json(std::FILE* f, const std::string& input, InstrumentId instr, const study::StudyResult& r) {
  const auto& c = r.counts;
  std::fprintf(f, "{\n  \"study\": \"ofi\",\n  \"input\": \"%s\",\n  \"instrument\": %u,\n", input.c_str(), instr);
  std::fprintf(f, "  \"interval_s\": %s,\n  \"window_min\": %s,\n  \"start\": \"%s\",\n  \"end\": \"%s\",\n",
               num(static_cast<double>(r.cfg.interval) / 1e9).c_str(),
               num(static_cast<double>(r.cfg.window) / 60e9).c_str(), hhmm(r.cfg.start).c_str(),
               hhmm(r.cfg.end).c_str());
  std::fprintf(f,
               "  \"counts\": {\"updates\": %llu, \"used\": %llu, \"invalid_book\": %llu, "
               "\"outside_session\": %llu, \"trades\": %llu, \"trades_unsigned\": %llu, "
               "\"trades_cross\": %llu, \"trades_fill\": %llu, \"trades_outside\": %llu, \"out_of_order\": %llu},\n",
               static_cast<unsigned long long>(c.updates), static_cast<unsigned long long>(c.used),
               static_cast<unsigned long long>(c.invalid), static_cast<unsigned long long>(c.outside),
               static_cast<unsigned long long>(c.trades), static_cast<unsigned long long>(c.trades_unsigned),
               static_cast<unsigned long long>(c.trades_cross),
               static_cast<unsigned long long>(c.trades_fill),
               static_cast<unsigned long long>(c.trades_outside),
               static_cast<unsigned long long>(c.out_of_order));
  std::fprintf(f, "  \"ofi_total\": %lld,\n  \"windows\": [\n", static_cast<long long>(r.ofi_total));
  for (std::size_t i = 0; i < r.windows.size(); ++i) {
    const auto& w = r.windows[i];
    std::fprintf(f,
                 "    {\"start\": \"%s\", \"intervals\": %zu, \"depth\": %s, \"beta_depth\": %s, "
                 "\"std_dp\": %s,\n     \"ofi\": %s,\n     \"ti\": %s,\n     \"both\": %s}%s\n",
                 hhmm(w.start).c_str(), w.intervals, num(w.depth).c_str(), num(w.beta_depth).c_str(),
                 num(w.std_dp).c_str(), ols_json(w.ofi).c_str(), ols_json(w.ti).c_str(),
                 ols_json(w.both).c_str(), i + 1 < r.windows.size() ? "," : "");
  }
  const auto& a = r.avg;
  std::fprintf(f,
               "  ],\n  \"average\": {\"windows\": %zu, \"beta\": %s, \"t\": %s, \"r2_ofi\": %s, "
               "\"r2_ti\": %s, \"r2_both\": %s, \"depth\": %s, \"beta_depth\": %s,\n"
               "    \"depth_fit\": %s},\n"
               "  \"paper\": {\"r2_ofi\": 0.65, \"r2_ti\": 0.32}\n}\n",
               a.windows, num(a.beta).c_str(), num(a.t).c_str(), num(a.r2_ofi).c_str(),
               num(a.r2_ti).c_str(), num(a.r2_both).c_str(), num(a.depth).c_str(),
               num(a.beta_depth).c_str(), ols_json(a.depth_fit).c_str());
}

void print_table(const std::string& input, InstrumentId instr, const study::StudyResult& r) {
  std::printf("OFI study (Cont, Kukanov & Stoikov 2014): %s, instrument %u\n", input.c_str(), instr);
  std::printf("interval %g s, window %g min, session %s-%s; dP in ticks, OFI/TI/depth in shares\n\n",
              static_cast<double>(r.cfg.interval) / 1e9, static_cast<double>(r.cfg.window) / 60e9,
              hhmm(r.cfg.start).c_str(), hhmm(r.cfg.end).c_str());
  std::printf("%-6s %5s %11s %8s %7s %7s %8s %9s %10s\n", "window", "n", "beta", "t", "R2 OFI",
              "R2 TI", "R2 both", "depth", "beta*depth");
  auto pct = [](const study::Ols& o) {
    char b[16];
    if (o.ok) std::snprintf(b, sizeof b, "%.1f%%", 100 * o.r2);
    else std::snprintf(b, sizeof b, "-");
    return std::string(b);
  };
  for (const auto& w : r.windows) {
    if (!w.ofi.ok) {  // too few priced intervals, or OFI or dP constant: no regression
      std::printf("%-6s %5zu %11s %8s %7s %7s %8s %9.1f %10s\n", hhmm(w.start).c_str(), w.intervals,
                  "-", "-", "-", pct(w.ti).c_str(), pct(w.both).c_str(), w.depth, "-");
      continue;
    }
    std::printf("%-6s %5zu %11.4e %8.2f %7s %7s %8s %9.1f %10.3f\n", hhmm(w.start).c_str(),
                w.intervals, w.ofi.beta, w.ofi.t_beta, pct(w.ofi).c_str(), pct(w.ti).c_str(),
                pct(w.both).c_str(), w.depth, w.beta_depth);
  }
  const auto& a = r.avg;
  std::printf("%-6s %5zu %11.4e %8.2f %6.1f%% %6.1f%% %7.1f%% %9.1f %10.3f\n", "avg", a.windows, a.beta,
              a.t, 100 * a.r2_ofi, 100 * a.r2_ti, 100 * a.r2_both, a.depth, a.beta_depth);
  std::printf("(avg over windows with a regression; the n column of avg counts them)\n");
  if (a.depth_fit.ok)
    std::printf("beta ~ c / depth^lambda across windows: lambda %.2f (t %.2f, R2 %.1f%%)\n",
                -a.depth_fit.beta, -a.depth_fit.t_beta, 100 * a.depth_fit.r2);
  std::printf("paper (50 US stocks, April 2010, TAQ): average R2 OFI 65%%, TI 32%%\n\n");
  const auto& c = r.counts;
  std::printf("book updates %llu: %llu e_n summed, %llu skipped (crossed/locked/empty before or after),"
              " %llu outside the session\n",
              static_cast<unsigned long long>(c.updates), static_cast<unsigned long long>(c.used),
              static_cast<unsigned long long>(c.invalid), static_cast<unsigned long long>(c.outside));
  std::printf("executions: %llu signed in TI, %llu unsigned, %llu cross, %llu fills beside their print,"
              " %llu outside the session; %llu out-of-order times\n",
              static_cast<unsigned long long>(c.trades), static_cast<unsigned long long>(c.trades_unsigned),
              static_cast<unsigned long long>(c.trades_cross), static_cast<unsigned long long>(c.trades_fill),
              static_cast<unsigned long long>(c.trades_outside),
              static_cast<unsigned long long>(c.out_of_order));
}

int run_ofi(int argc, char** argv) {
  const Options o(argc, argv,
                  {"--input", "--interval-s", "--window-min", "--start", "--end", "--tick",
                   "--instrument", "--json", "--max-orders", "--dst"});
  const std::string input = o.required("--input");
  const auto spec = sources::parse_source_spec(input);
  study::StudyConfig cfg;
  cfg.interval = o.integer("--interval-s", 10, 1, 86400) * study::kNsPerSec;
  cfg.window = o.integer("--window-min", 30, 1, 1440) * 60 * study::kNsPerSec;
  if (o.has("--start")) cfg.start = parse_hhmm("--start", o.str("--start"));
  if (o.has("--end")) cfg.end = parse_hhmm("--end", o.str("--end"));
  cfg.tick = o.integer("--tick", 100, 1, 1LL << 40);
  if (cfg.end <= cfg.start) throw UsageError("--end must be after --start");
  if (cfg.window % cfg.interval) throw UsageError("--window-min must be a multiple of --interval-s");
  if ((cfg.end - cfg.start) % cfg.window)
    throw UsageError("the session (--start to --end) must be a whole number of windows");
  const auto instr = static_cast<InstrumentId>(
      o.integer("--instrument", study::OfiFeed::kAny, 0, study::OfiFeed::kAny));

  auto src = sources::open_source(spec, feed_options(o));
  const book::BookConfig bcfg = book_config(o);
  book::Books books(bcfg);
  study::OfiStudy st(cfg);
  study::OfiFeed feed(st, books, instr, src->time_basis() == feed::TimeBasis::SinceEpoch);
  pump(*src, [&](const MarketEvent& ev) { feed.on_event(ev); });
  const auto res = st.finish();

  print_table(input, feed.instrument(), res);
  std::uint64_t book_errors = 0;
  for (auto e : books.counters().errors) book_errors += e;
  std::uint64_t src_errors = 0;
  for (const auto& [k, v] : src->stats().errors) src_errors += v;
  std::printf("source: %llu events, %llu errors; book errors %llu\n",
              static_cast<unsigned long long>(src->stats().events),
              static_cast<unsigned long long>(src_errors), static_cast<unsigned long long>(book_errors));
  if (o.has("--json")) {
    std::FILE* f = std::fopen(o.str("--json").c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + o.str("--json"));
    write_json(f, input, feed.instrument(), res);
    std::fclose(f);
  }
  return res.avg.windows > 0 ? 0 : 1;
}

int run(int argc, char** argv) {
  // Each study's own file answers for its names (-1: not one of them).
  if (argc >= 2)
    for (auto* study : {run_study_exec, run_study_hawkes, run_study_queue, run_study_arma_garch, run_study_coint})
      if (const int rc = study(argc - 1, argv + 1); rc >= 0) return rc;
  if (argc < 2 || std::strcmp(argv[1], "ofi") != 0)
    throw UsageError("expected a study name: ofi, hawkes, queue, arma-garch, coint, as2008, ac2000, glft");
  return run_ofi(argc - 1, argv + 1);
}

}  // namespace

const Command kStudyCommand{"study", "research studies: ofi (Cont-Kukanov-Stoikov on a source), hawkes (market-order clustering), queue (Cont-de Larrard), arma-garch, coint (pairs), as2008, ac2000, glft (published execution results)",
                            cmd_study::kUsage, cmd_study::run};

}  // namespace hft::app
