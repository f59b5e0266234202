// hftd study queue: the queue-reactive model of Cont and de Larrard (2013) on one instrument of
// a SOURCE: order flow rates at the best queues, then the model's P(next mid move up | queue
// sizes) against the empirical frequency by queue-size bucket. Dispatched from `hftd study`.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.hpp"
#include "study_util.hpp"
#include "hft/book/order_book.hpp"
#include "hft/sources/open.hpp"
#include "hft/study/queue.hpp"
#include "pump.hpp"

namespace hft::app {
namespace cmd_study_queue {  // named: the subcommands are compiled as one unit (kUsage, run)


void print_result(const std::string& input, InstrumentId instr, const study::QueueResult& res) {
  const auto& r = res.rates;
  const auto& s = res.summary;
  std::printf("Queue-reactive study (Cont & de Larrard 2013): %s, instrument %u\n", input.c_str(), instr);
  std::printf("session %.0f s; unit (mean limit-order size at the best) %.1f shares\n\n", r.seconds, r.unit);
  std::printf("flow at the best   %10s %10s %10s %10s | %12s %12s %12s\n", "adds", "market", "cancels", "inside",
              "add shares", "exec shares", "cancel sh.");
  auto side = [](const char* name, const study::SideFlow& f) {
    std::printf("  %-16s %10llu %10llu %10llu %10llu | %12lld %12lld %12lld\n", name,
                static_cast<unsigned long long>(f.adds), static_cast<unsigned long long>(f.execs),
                static_cast<unsigned long long>(f.cancels), static_cast<unsigned long long>(f.inside),
                static_cast<long long>(f.add_qty), static_cast<long long>(f.exec_qty),
                static_cast<long long>(f.cancel_qty));
  };
  side("bid", r.bid);
  side("ask", r.ask);
  std::printf("rates per second (per side, sides pooled): by count lambda %.4f mu %.4f theta %.4f"
              " (lambda/(mu+theta) %.3f)\n",
              r.lambda_n, r.mu_n, r.theta_n, r.lambda_n / (r.mu_n + r.theta_n));
  std::printf("  by volume in units: lambda %.4f mu %.4f theta %.4f (lambda/(mu+theta) %.3f; the model's)\n",
              r.lambda, r.mu, r.theta, r.lambda / (r.mu + r.theta));
  std::printf("  per side in units: bid lambda %.4f mu+theta %.4f; ask lambda %.4f mu+theta %.4f\n", r.bid_lambda,
              r.bid_mu, r.ask_lambda, r.ask_mu);
  std::printf("mid moves %llu (%llu up); mean queue just after a move: bid %.2f, ask %.2f units\n\n",
              static_cast<unsigned long long>(s.moves), static_cast<unsigned long long>(s.up_moves), s.after_move_bid,
              s.after_move_ask);
  std::printf("%-9s %-9s %8s %8s %7s %8s %8s\n", "x (bid)", "y (ask)", "n", "freq up", "se", "model", "diff");
  for (const auto& c : res.cells) {
    if (!c.n) continue;
    char xs[24], ys[24];
    std::snprintf(xs, sizeof xs, "%d-%d", c.x_lo, c.x_hi);
    std::snprintf(ys, sizeof ys, "%d-%d", c.y_lo, c.y_hi);
    std::printf("%-9s %-9s %8llu %8.3f %7.3f %8.3f %+8.3f\n", xs, ys, static_cast<unsigned long long>(c.n), c.freq,
                c.se, c.model, c.freq - c.model);
  }
  std::printf("(x, y in units of %.1f shares, rounded, at least 1; sizes above %d read %d)\n\n", r.unit,
              res.cfg.max_units, res.cfg.max_units);
  std::printf("up-frequency by imbalance (qb - qa) / (qb + qa):");
  for (int i = 0; i < 5; ++i)
    std::printf(" [%+.1f,%+.1f) %.3f (n %llu)", -1 + 0.4 * i, -0.6 + 0.4 * i,
                s.imb_n[i] ? static_cast<double>(s.imb_up[i]) / static_cast<double>(s.imb_n[i]) : 0.0,
                static_cast<unsigned long long>(s.imb_n[i]));
  std::printf("\n");
  std::printf("samples %llu (states of the best queues with a known next move); %llu open at the end, %llu with a"
              " wider spread left out, %llu invalid tops, %llu tops outside the session\n",
              static_cast<unsigned long long>(s.samples), static_cast<unsigned long long>(s.open_at_end),
              static_cast<unsigned long long>(s.wide_spread), static_cast<unsigned long long>(s.invalid),
              static_cast<unsigned long long>(s.outside));
  std::printf("weighted mean |freq - model| %.4f; Brier: model %.4f, 0.5 %.4f, cell frequencies (in-sample) %.4f\n",
              s.mad, s.brier_model, s.brier_half, s.brier_cells);
}

void write_json(std::FILE* f, const std::string& input, InstrumentId instr, const study::QueueResult& res) {
  const auto& r = res.rates;
  const auto& s = res.summary;
  auto side = [](const study::SideFlow& x) {
    return "{\"adds\": " + std::to_string(x.adds) + ", \"market\": " + std::to_string(x.execs) +
           ", \"cancels\": " + std::to_string(x.cancels) + ", \"inside\": " + std::to_string(x.inside) +
           ", \"add_qty\": " + std::to_string(x.add_qty) + ", \"exec_qty\": " + std::to_string(x.exec_qty) +
           ", \"cancel_qty\": " + std::to_string(x.cancel_qty) + "}";
  };
  std::fprintf(f, "{\n  \"study\": \"queue\",\n  \"input\": \"%s\",\n  \"instrument\": %u,\n", input.c_str(), instr);
  std::fprintf(f, "  \"max_units\": %d,\n  \"max_spread_ticks\": %d,\n", res.cfg.max_units, res.cfg.max_spread);
  std::fprintf(f,
               "  \"rates\": {\"seconds\": %s, \"unit\": %s, \"bid\": %s, \"ask\": %s,\n"
               "    \"per_count\": {\"lambda\": %s, \"mu\": %s, \"theta\": %s},\n"
               "    \"per_unit_volume\": {\"lambda\": %s, \"mu\": %s, \"theta\": %s},\n"
               "    \"bid_lambda\": %s, \"bid_mu\": %s, \"ask_lambda\": %s, \"ask_mu\": %s},\n",
               json_number(r.seconds).c_str(), json_number(r.unit).c_str(), side(r.bid).c_str(), side(r.ask).c_str(),
               json_number(r.lambda_n).c_str(), json_number(r.mu_n).c_str(), json_number(r.theta_n).c_str(), json_number(r.lambda).c_str(),
               json_number(r.mu).c_str(), json_number(r.theta).c_str(), json_number(r.bid_lambda).c_str(), json_number(r.bid_mu).c_str(),
               json_number(r.ask_lambda).c_str(), json_number(r.ask_mu).c_str());
  std::fprintf(f, "  \"edges\": [");
  for (std::size_t i = 0; i < res.edges.size(); ++i) std::fprintf(f, "%s%d", i ? ", " : "", res.edges[i]);
  std::fprintf(f, "],\n  \"cells\": [\n");
  bool first = true;
  for (const auto& c : res.cells) {
    std::fprintf(f,
                 "%s    {\"x\": [%d, %d], \"y\": [%d, %d], \"n\": %llu, \"up\": %llu, \"freq\": %s, \"se\": %s, "
                 "\"model\": %s}",
                 first ? "" : ",\n", c.x_lo, c.x_hi, c.y_lo, c.y_hi, static_cast<unsigned long long>(c.n),
                 static_cast<unsigned long long>(c.up), c.n ? json_number(c.freq).c_str() : "null",
                 c.n ? json_number(c.se).c_str() : "null", c.n ? json_number(c.model).c_str() : "null");
    first = false;
  }
  std::fprintf(f, "\n  ],\n  \"imbalance\": [");
  for (int i = 0; i < 5; ++i)
    std::fprintf(f, "%s{\"lo\": %s, \"n\": %llu, \"up\": %llu}", i ? ", " : "", json_number(-1 + 0.4 * i).c_str(),
                 static_cast<unsigned long long>(s.imb_n[i]), static_cast<unsigned long long>(s.imb_up[i]));
  std::fprintf(f,
               "],\n  \"summary\": {\"samples\": %llu, \"open_at_end\": %llu, \"wide_spread\": %llu, \"invalid\": %llu, "
               "\"outside\": %llu, \"moves\": %llu, \"up_moves\": %llu, \"mad\": %s, \"brier_model\": %s, "
               "\"brier_half\": %s, \"brier_cells\": %s, \"after_move_bid\": %s, \"after_move_ask\": %s}\n}\n",
               static_cast<unsigned long long>(s.samples), static_cast<unsigned long long>(s.open_at_end),
               static_cast<unsigned long long>(s.wide_spread), static_cast<unsigned long long>(s.invalid),
               static_cast<unsigned long long>(s.outside), static_cast<unsigned long long>(s.moves),
               static_cast<unsigned long long>(s.up_moves), json_number(s.mad).c_str(), json_number(s.brier_model).c_str(),
               json_number(s.brier_half).c_str(), json_number(s.brier_cells).c_str(), json_number(s.after_move_bid).c_str(),
               json_number(s.after_move_ask).c_str());
}

int run_queue(int argc, char** argv) {
  const Options o(argc, argv,
                  {"--input", "--instrument", "--json", "--buckets", "--max-units", "--max-spread", "--tick",
                   "--max-orders", "--dst"});
  const std::string input = o.required("--input");
  const auto spec = sources::parse_source_spec(input);
  study::QueueConfig cfg;
  cfg.buckets = static_cast<int>(o.integer("--buckets", 5, 1, 50));
  cfg.max_units = static_cast<int>(o.integer("--max-units", 50, 1, 1024));
  cfg.max_spread = static_cast<int>(o.integer("--max-spread", 0, 0, 1 << 20));
  cfg.tick = o.integer("--tick", 100, 1, 1LL << 40);
  const auto instr = static_cast<InstrumentId>(o.integer("--instrument", study::QueueFeed::kAny, 0, study::QueueFeed::kAny));
  auto src = sources::open_source(spec, feed_options(o));
  const book::BookConfig bcfg = book_config(o);
  book::Books books(bcfg);
  study::QueueStudy st(cfg);
  study::QueueFeed feed(st, books, instr, src->time_basis() == feed::TimeBasis::SinceEpoch);
  pump(*src, [&](const MarketEvent& ev) { feed.on_event(ev); });
  const auto res = st.finish();
  print_result(input, feed.instrument(), res);
  if (o.has("--json")) {
    std::FILE* f = std::fopen(o.str("--json").c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + o.str("--json"));
    write_json(f, input, feed.instrument(), res);
    std::fclose(f);
  }
  return res.summary.samples > 0 ? 0 : 1;
}

}  // namespace

// argv[0] is the study name; -1 if it is not "queue".
int run_study_queue(int argc, char** argv) {
  using namespace cmd_study_queue;
  if (std::strcmp(argv[0], "queue") != 0) return -1;
  return run_queue(argc, argv);
}

}  // namespace hft::app
