// hftd replay: runs a recorded source through the engine's pipeline (the same stages, threads
// and rings as `hftd run`, with the layout from the config or --layout) and prints a report:
// counts per message type, per error reason, the final books, the throughput and the latency
// percentiles per stage and end to end.
#include <algorithm>
#include <array>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "hft/core/decimal.hpp"
#include "hft/core/scales.hpp"
#include "hft/config/config.hpp"
#include "hft/engine/engine.hpp"
#include "hft/engine/metrics.hpp"
#include "hft/engine/report.hpp"
#include "hft/sources/open.hpp"
#include "hft/telemetry/tsc_clock.hpp"
#include "pump.hpp"
#include "hft/learn/learner.hpp"
#include "learning_report.hpp"
#include "trading_report.hpp"

namespace hft::app {
namespace cmd_replay {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --input SOURCE      market data (pcap:F, itch:F[.gz], lobster:F, dbn:F, binance:F[,F])\n"
    "  --config FILE       settings (layout, ring, batch, feed filter); default: built-in defaults\n"
    "  --layout L          fused (every stage on one thread) or split (feed | book, clean, features,\n"
    "                      regime, predict, strategy, sim, monitor: a ring between them); overrides\n"
    "                      system.layout\n"
    "  --report DIR        with strategies: the desk's report (report.json, report.html, orders.csv,\n"
    "                      fills.csv; docs/report.md) written to DIR\n"
    "  --speed N           replay at N x the recorded pace (by exchange time), 0 < N <= 1000000;\n"
    "                      default (no --speed): as fast as possible\n"
    "  --max-gap S         paced replays: a gap in exchange time longer than S seconds is waited as S\n"
    "                      (a weekend or a snapshot's old times cost nothing); default 1\n"
    "  --json FILE         also write the report as JSON\n"
    "  --top N             instruments listed in the final books (default 10)\n"
    "  --max-orders N      order pool size, 1024..33554432 (default feed.max_orders, 4194304)\n"
    "  --dst ADDR:PORT     pcap only: keep UDP datagrams to this destination\n"
    "  --libpcap           pcap only: read a classic pcap through libpcap instead of mapping it\n"
    "                      (to compare the two readers; the output is the same)\n"
    "  --persist           with learner.enabled: promoted models go into the model store and the\n"
    "                      samples are spilled (as `hftd run` does); default: the learner works in memory\n"
    "  --allow-damaged     exit 0 even when the input is damaged (the report is printed either way)\n"
    "\nExit: 0 done; 3 the input is damaged (source errors: decoder errors, truncation; the report and\n"
    "--json are still written); 1 an error; 2 a usage error.\n";

std::vector<config::ThreadLayout> preset_layout(const std::string& name) {
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  const int hot = cpus > 1 ? 1 : -1;
  const std::vector<std::string> rest = {"book", "clean", "features", "regime", "predict", "strategy", "sim", "monitor"};
  if (name == "fused") {
    std::vector<std::string> all = {"feed"};
    all.insert(all.end(), rest.begin(), rest.end());
    return {{"hot", all, hot, config::Idle::Spin, 0}};
  }
  // Two spinning threads on a 2-core machine leave nothing to the learner and refit threads,
  // which a replay waits for at its swap points: there the feed thread backs off when idle.
  if (name == "split")
    return {{"feed", {"feed"}, cpus > 1 ? 0 : -1, cpus > 2 ? config::Idle::Spin : config::Idle::Backoff, 0},
            {"book", rest, hot, config::Idle::Spin, 0}};
  throw UsageError("--layout must be fused or split, not '" + name + "'");
}

std::string layout_str(const std::vector<config::ThreadLayout>& l) {
  std::string s;
  for (const auto& t : l) {
    if (!s.empty()) s += " | ";
    s += t.name + "[";
    for (std::size_t i = 0; i < t.stages.size(); ++i) s += (i ? "," : "") + t.stages[i];
    s += "]@" + (t.core < 0 ? std::string("any") : "cpu" + std::to_string(t.core));
  }
  return s;
}

void print_map(const char* title, const std::map<std::string, std::uint64_t>& m) {
  std::printf("%s%s\n", title, m.empty() ? " none" : "");
  for (const auto& [k, v] : m) std::printf("  %-22s %12llu\n", k.c_str(), static_cast<unsigned long long>(v));
}

std::string json_map(const std::map<std::string, std::uint64_t>& m) {
  std::string s = "{";
  for (const auto& [k, v] : m) s += (s.size() > 1 ? ", \"" : "\"") + k + "\": " + std::to_string(v);
  return s + "}";
}

int run(int argc, char** argv) {
  const Options o(argc, argv,
                  {"--input", "--json", "--top", "--max-orders", "--dst", "--config", "--layout", "--speed", "--max-gap", "--report"},
                  {"--persist", "--allow-damaged", "--libpcap"});
  const std::string input = o.required("--input");
  const auto top = static_cast<std::size_t>(o.integer("--top", 10, 0, 1 << 20));

  config::Config cfg = config_option(o);
  cfg.feed.mode = "replay";
  cfg.feed.input = input;
  feed::FeedOptions fo = feed_options(o);  // --dst, else the config file's feed filter
  fo.pcap_libpcap = o.has("--libpcap");
  cfg.feed.dst_addr = fo.dst_addr;
  cfg.feed.dst_port = fo.dst_port;
  if (o.has("--max-orders")) cfg.feed.max_orders = static_cast<std::size_t>(o.integer("--max-orders", 0, 1024, 1LL << 25));
  if (o.has("--layout")) cfg.system.layout = preset_layout(o.str("--layout"));
  for (const auto& w : config::warnings(cfg)) std::fprintf(stderr, "hftd replay: warning: %s\n", w.c_str());
  engine::EngineOptions eo;
  eo.replay_speed = 0;  // as fast as possible
  if (o.has("--speed")) {
    eo.replay_speed = o.real("--speed", 0);
    // 0, NaN, infinities and negatives are refused rather than read as "unpaced" or "never".
    if (!(std::isfinite(eo.replay_speed) && eo.replay_speed > 0 && eo.replay_speed <= 1e6))
      throw UsageError("--speed must be a number in (0, 1000000], got '" + o.str("--speed") +
                       "' (leave --speed out to replay as fast as possible)");
  }
  const double max_gap_s = o.real("--max-gap", 1.0);
  if (!(max_gap_s >= 0 && max_gap_s <= 86400.0 * 365)) throw UsageError("--max-gap must be in 0..31536000 seconds");
  eo.max_gap = static_cast<Nanos>(max_gap_s * 1e9);

  // Continuous learning (learner.enabled): in memory unless --persist (a replay must not change
  // the model store or the spill the next run starts from).
  std::unique_ptr<learn::Learner> learner;
  if (cfg.learner.enabled) {
    learner = std::make_unique<learn::Learner>(cfg, o.has("--persist") && cfg.learner.persist);
    eo.learner = &learner->link();
  }
  engine::Engine eng(cfg, sources::open_source(sources::parse_source_spec(input), fo), eo);
  if (learner) learner->start(cfg.system.control_core);
  const auto t0 = std::chrono::steady_clock::now();
  run_to_end(eng, "replay");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (learner) learner->stop();

  const auto& st = eng.source().stats();
  warn_all_filtered(st, fo);
  warn_over_capacity(eng.stage<engine::FeatureStage>().engine.counters().over_capacity,
                     eng.stage<engine::RegimeStage>().over_capacity.get(), cfg.system.max_instruments,
                     eng.source().instruments().size());
  const auto& bc = eng.books().counters();
  const std::uint64_t events = st.events;
  const auto sums = engine::summarize_books(eng.books(), eng.source().instruments(), eng.stage<engine::MonitorStage>().seen);
  std::map<std::string, std::uint64_t> kinds, book_errors, threads;
  for (int k = 0; k < kEventKindCount; ++k)
    if (const auto v = eng.stage<engine::MonitorStage>().kinds[static_cast<std::size_t>(k)].get())
      kinds[event_kind_name(static_cast<EventKind>(k))] = v;
  for (int e = 1; e < book::kBookErrorCount; ++e)
    if (bc.errors[static_cast<std::size_t>(e)])
      book_errors[book::book_error_name(static_cast<book::BookError>(e))] = bc.errors[static_cast<std::size_t>(e)];
  std::uint64_t drops = 0, fulls = 0;
  for (const auto& t : eng.threads()) {
    drops += t->ring_drops.get();
    fulls += t->ring_full_waits.get();
  }

  std::printf("hftd replay %s\n\n", input.c_str());
  std::printf("layout      %s\n", layout_str(cfg.system.layout).c_str());
  std::printf("throughput  %llu events in %.3f s: %.2f M events/s, %.1f ns/event (read, decode and every stage of the layout)%s\n",
              static_cast<unsigned long long>(events), secs, static_cast<double>(events) / secs / 1e6,
              events ? secs * 1e9 / static_cast<double>(events) : 0.0,
              eo.replay_speed > 0 ? ", paced" : "");
  std::printf("peak RSS    %.1f MiB\n", static_cast<double>(peak_rss_kib()) / 1024.0);
  std::printf("digest      %016llx (events, top of book and quality after each, in order); regime labels %016llx\n",
              static_cast<unsigned long long>(eng.stage<engine::MonitorStage>().digest), static_cast<unsigned long long>(eng.stage<engine::MonitorStage>().label_digest));
  if (eng.ring_count())
    std::printf("rings       %llu times full (policy %s), %llu events dropped\n", static_cast<unsigned long long>(fulls),
                cfg.system.ring_full == config::RingFull::Block ? "block" : "drop", static_cast<unsigned long long>(drops));
  std::printf("\nlatency, ns (cycle counter at %.2f GHz%s; sampled every %u events)\n", 1.0 / eng.ns_per_tick(),
              telemetry::tsc_invariant() ? ", invariant" : ", NOT invariant: figures may be off",
              cfg.telemetry.latency_sample_every);
  std::printf("  %-52s %10s %10s %10s %10s %10s\n", "", "count", "p50", "p99", "p99.9", "max");
  auto lat_line = [](const char* name, const engine::LatencySummary& s) {
    std::printf("  %-52s %10llu %10.0f %10.0f %10.0f %10.0f\n", name, static_cast<unsigned long long>(s.count), s.p50,
                s.p99, s.p999, s.max);
  };
  const char* stage_desc[] = {"feed (read + decode, per event over its batch)", "book (apply + top of book)",
                              "clean (rules, quality flags)", "features (feature vector)", "regime (label, scores)",
                              "predict (per event; a prediction's own cost below)", "strategy (strategies + risk gate)",
                              "sim (simulated exchange: queues, fills)", "monitor (count + digest)"};
  static_assert(std::size(stage_desc) == engine::Engine::kStages + 1);
  std::array<engine::LatencySummary, engine::Engine::kStages + 1> stage_lat;
  for (std::size_t s = 0; s <= engine::Engine::kStages; ++s) {
    stage_lat[s] = engine::summarize(eng.stage_latency(s));
    if (stage_lat[s].count) lat_line(stage_desc[s], stage_lat[s]);
  }
  const auto e2e = engine::summarize(eng.end_to_end_latency());
  lat_line("end to end (feed release -> end of hot path)", e2e);
  const auto& ps = eng.stage<engine::PredictStage>();
  const auto pred_lat = engine::summarize(ps.latency);
  if (pred_lat.count) lat_line("prediction (model inputs + ensemble, each one)", pred_lat);
  const auto t2o = engine::summarize(eng.stage<engine::StrategyStage>().tick_to_order);
  if (t2o.count) lat_line("tick-to-order (feed release -> order past the risk gate)", t2o);
  {  // steps 1-3, when their stages ran
    const auto& cl = eng.stage<engine::CleanStage>().cleaner;
    std::printf("\ncleaning rules fired:");
    bool any = false;
    for (std::size_t r = 0; r < clean::kRuleCount; ++r)
      if (const auto n = cl.count(static_cast<clean::Rule>(r))) {
        std::printf("%s %s %llu", any ? "," : "", clean::Cleaner::rule_name(static_cast<clean::Rule>(r)),
                    static_cast<unsigned long long>(n));
        any = true;
      }
    std::printf("%s\n", any ? "" : " none");
    const auto& fe = eng.stage<engine::FeatureStage>().engine;
    std::printf("features: %zu per vector (schema %016llx), %llu instruments, %llu events on an invalid book, "
                "%llu non-finite values replaced in the values read, %llu events of instruments over system.max_instruments\n",
                fe.schema().names.size(), static_cast<unsigned long long>(fe.schema().hash),
                static_cast<unsigned long long>(fe.counters().instruments_created),
                static_cast<unsigned long long>(fe.counters().invalid_book),
                static_cast<unsigned long long>(fe.counters().nonfinite_replaced),
                static_cast<unsigned long long>(fe.counters().over_capacity));
    if (const features::StatModels* sm = fe.stat_models()) {
      const auto& c = sm->counters();
      const auto& f = c;
      std::printf("statistical-model features: %llu refits requested, %llu swapped in (%llu fitted at their swap time, "
                  "%llu deferred: %zu pending at most); fits swapped in, usable: Hawkes %llu (+%llu failed), ARMA-GARCH %llu "
                  "(+%llu failed), queue tables %llu built, %llu kept (+%llu failed); %llu return chains restarted\n",
                  static_cast<unsigned long long>(c.requests), static_cast<unsigned long long>(c.swaps),
                  static_cast<unsigned long long>(c.waited), static_cast<unsigned long long>(c.busy),
                  features::StatModels::kPending, static_cast<unsigned long long>(f.hawkes_ok),
                  static_cast<unsigned long long>(f.hawkes_failed), static_cast<unsigned long long>(f.ag_ok),
                  static_cast<unsigned long long>(f.ag_failed), static_cast<unsigned long long>(f.qr_ok),
                  static_cast<unsigned long long>(f.qr_kept), static_cast<unsigned long long>(f.qr_failed),
                  static_cast<unsigned long long>(c.chain_restarts));
    }
    const auto& rs = eng.stage<engine::RegimeStage>();
    std::size_t ready = 0, stressed = 0, trending = 0, reverting = 0;
    for (InstrumentId id : rs.live) {
      const auto& rst = rs.detectors[id]->state();
      ready += rst.ready;
      stressed += rst.ready && rst.vol == regime::VolRegime::Stressed;
      trending += rst.ready && rst.trend == regime::TrendRegime::Trending;
      reverting += rst.ready && rst.trend == regime::TrendRegime::MeanReverting;
    }
    std::printf("regimes: %zu instruments (%zu past warm-up; at the end %zu stressed, %zu trending, %zu mean-reverting), "
                "GARCH fits %llu (+%llu failed), swapped in %llu (in event time; %llu of them made on the hot thread at their swap time, a count that depends on the threads' timing)%s\n",
                rs.live.size(), ready, stressed, trending, reverting,
                static_cast<unsigned long long>(rs.refits->fitted()),
                static_cast<unsigned long long>(rs.refits->failed()),
                static_cast<unsigned long long>(rs.garch_swaps.get()),
                static_cast<unsigned long long>(rs.refits->waited.get()),
                rs.over_capacity.get() ? (", " + std::to_string(rs.over_capacity.get()) + " events of instruments over system.max_instruments (no label)").c_str() : "");
  }
  {
    const auto& rs = eng.stage<engine::RegimeStage>();
    std::printf("GARCH refit outcomes:");
    for (std::size_t k = 0; k < regime::kFitStatusCount; ++k)
      if (const auto n = rs.refits->by_status(static_cast<regime::FitStatus>(k)))
        std::printf(" %s %llu", regime::fit_status_name(static_cast<regime::FitStatus>(k)), static_cast<unsigned long long>(n));
    const regime::SamplerCounters sc = rs.sampler_totals();
    std::uint64_t labels[3] = {0, 0, 0};
    for (InstrumentId id : rs.live)
      if (rs.detectors[id]->state().ready) ++labels[static_cast<int>(rs.detectors[id]->state().vol)];
    std::printf("\nregime sampling: %llu mids, %llu flat grid points skipped, %llu intervals filled, %llu gaps restarted; "
                "volatility at the end: %llu calm, %llu normal, %llu stressed\n",
                static_cast<unsigned long long>(sc.mids), static_cast<unsigned long long>(sc.flat),
                static_cast<unsigned long long>(sc.filled), static_cast<unsigned long long>(sc.gaps),
                static_cast<unsigned long long>(labels[0]), static_cast<unsigned long long>(labels[1]),
                static_cast<unsigned long long>(labels[2]));
    const auto& pc = eng.pace_counters();
    if (eo.replay_speed > 0)
      std::printf("pacing: %llu gaps clamped to --max-gap, %llu events older than the last\n",
                  static_cast<unsigned long long>(pc.clamped.get()), static_cast<unsigned long long>(pc.backwards.get()));
  }
  if (const model::ServingModel* m = ps.model()) {
    const double n = static_cast<double>(std::max<std::uint64_t>(ps.made, 1));
    std::printf("\npredictions: model %s, horizon %s, %zu inputs read of %zu; %llu made (down %.1f%%, flat %.1f%%, up %.1f%%), "
                "digest %016llx\n",
                m->version.c_str(), m->horizon.name().c_str(), m->used.size(), ps.inputs.size(),
                static_cast<unsigned long long>(ps.made), 100.0 * static_cast<double>(ps.mix[0]) / n,
                100.0 * static_cast<double>(ps.mix[1]) / n, 100.0 * static_cast<double>(ps.mix[2]) / n,
                static_cast<unsigned long long>(ps.digest));
    std::printf("  online, as labels arrived: %llu labelled, accuracy %.4f, macro F1 %.4f, log-loss %.4f "
                "(%llu not followed: pending ring full or lost)\n",
                static_cast<unsigned long long>(ps.labelled), ps.score.accuracy(), ps.score.macro_f1(), ps.score.log_loss(),
                static_cast<unsigned long long>(ps.not_sampled + ps.lost));
  } else if (cfg.models.predict) {
    std::printf("\npredictions: none (%s)\n", ps.load.reason.empty() ? "no model" : ps.load.reason.c_str());
  }
  for (const auto& r : ps.load.refusals)
    std::printf("  model version %s refused: %s: %s\n", r.version.c_str(), r.file.empty() ? "model" : r.file.c_str(), r.reason.c_str());
  if (learner) print_learning(*learner, ps);
  std::optional<report::ReportInput> trading;
  if (eng.recorder()) {
    trading = trading_report_input(eng, cfg, input, secs);
    if (learner) add_learning(*trading, *learner, ps);
    print_trading(*trading, eng);
    if (o.has("--report")) {
      report::write_report(o.str("--report"), *trading);
      std::printf("  report: %s/report.html (report.json, orders.csv, fills.csv)\n", o.str("--report").c_str());
    }
  }
  std::printf("\nevents by kind (end of the hot path):\n");
  for (const auto& [k, v] : kinds) std::printf("  %-22s %12llu\n", k.c_str(), static_cast<unsigned long long>(v));
  print_map("source counts:", st.counts);
  print_map("errors by reason (source):", st.errors);
  if (const auto it = st.counts.find("lobster.no_orderbook_file"); it != st.counts.end() && it->second != 0) {
    const auto refs = st.counts.find("lobster.prestart_refs");
    std::printf("note: LOBSTER message file without its orderbook file: the book started empty; %llu references "
                "to orders placed before the file starts (lobster.prestart_*)\n",
                static_cast<unsigned long long>(refs == st.counts.end() ? 0 : refs->second));
  }
  print_map("errors by reason (book):", book_errors);
  std::printf("book conditions: crossed after add %llu, locked after add %llu, level arrays grown %llu\n",
              static_cast<unsigned long long>(bc.crossed), static_cast<unsigned long long>(bc.locked),
              static_cast<unsigned long long>(bc.level_array_grew));
  std::printf("\nfinal books: %zu instruments, %zu live orders (top %zu by orders)\n", sums.size(),
              eng.books().live_orders(), std::min(top, sums.size()));
  std::printf("  %-10s %14s %10s %14s %10s %7s %7s %8s\n", "symbol", "bid", "bid qty", "ask", "ask qty", "bid lv",
              "ask lv", "orders");
  for (std::size_t i = 0; i < sums.size() && i < top; ++i) {
    const auto& b = sums[i];
    // sizes in the instrument's units of the base asset (whole shares for ITCH)
    const std::int64_t qs = qty_scale_of(b.id);
    std::printf("  %-10s %14s %10s %14s %10s %7zu %7zu %8zu\n", b.symbol.c_str(),
                b.bid.qty ? engine::price_str(b.bid.price, b.id).c_str() : "-", format_decimal(b.bid.qty, qs).c_str(),
                b.ask.qty ? engine::price_str(b.ask.price, b.id).c_str() : "-", format_decimal(b.ask.qty, qs).c_str(),
                b.bid_levels, b.ask_levels, b.orders);
  }

  if (o.has("--json")) {
    std::FILE* f = std::fopen(o.str("--json").c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + o.str("--json"));
    book_errors["crossed"] = bc.crossed;
    book_errors["locked"] = bc.locked;
    std::fprintf(f, "{\n  \"input\": \"%s\",\n  \"layout\": \"%s\",\n  \"events\": %llu,\n  \"seconds\": %.6f,\n",
                 input.c_str(), layout_str(cfg.system.layout).c_str(), static_cast<unsigned long long>(events), secs);
    std::fprintf(f, "  \"ns_per_event\": %.2f,\n  \"peak_rss_kib\": %ld,\n  \"digest\": \"%016llx\",\n",
                 events ? secs * 1e9 / static_cast<double>(events) : 0.0, static_cast<long>(peak_rss_kib()),
                 static_cast<unsigned long long>(eng.stage<engine::MonitorStage>().digest));
    std::fprintf(f, "  \"label_digest\": \"%016llx\",\n", static_cast<unsigned long long>(eng.stage<engine::MonitorStage>().label_digest));
    if (const model::ServingModel* m = ps.model())
      std::fprintf(f, "  \"predictions\": {\"model\": \"%s\", \"horizon\": \"%s\", \"made\": %llu, \"labelled\": %llu, "
                   "\"accuracy\": %.6f, \"macro_f1\": %.6f, \"log_loss\": %.6f, \"digest\": \"%016llx\", "
                   "\"latency_ns\": {\"p50\": %.0f, \"p99\": %.0f, \"p99.9\": %.0f}},\n",
                   m->version.c_str(), m->horizon.name().c_str(), static_cast<unsigned long long>(ps.made),
                   static_cast<unsigned long long>(ps.labelled), ps.score.accuracy(), ps.score.macro_f1(),
                   ps.score.log_loss(), static_cast<unsigned long long>(ps.digest), pred_lat.p50, pred_lat.p99, pred_lat.p999);
    if (learner) std::fprintf(f, "  \"learner\": %s,\n", learner->status_json().c_str());
    std::fprintf(f, "  \"ring_full\": %llu,\n  \"ring_dropped\": %llu,\n  \"latency_ns\": {",
                 static_cast<unsigned long long>(fulls), static_cast<unsigned long long>(drops));
    constexpr std::size_t kN = engine::Engine::kStages + 1;
    for (std::size_t s = 0; s <= kN; ++s) {
      const auto& l = s < kN ? stage_lat[s] : e2e;
      std::fprintf(f, "%s\n    \"%s\": {\"count\": %llu, \"p50\": %.0f, \"p99\": %.0f, \"p99.9\": %.0f, \"max\": %.0f}",
                   s ? "," : "", s < kN ? std::string(engine::Engine::stage_name(s)).c_str() : "end_to_end",
                   static_cast<unsigned long long>(l.count), l.p50, l.p99, l.p999, l.max);
    }
    std::fprintf(f, "\n  },\n  \"source_counts\": %s,\n  \"source_errors\": %s,\n", json_map(st.counts).c_str(),
                 json_map(st.errors).c_str());
    std::fprintf(f, "  \"event_kinds\": %s,\n  \"book_errors\": %s,\n  \"books\": %s\n}\n", json_map(kinds).c_str(),
                 json_map(book_errors).c_str(), engine::books_json(sums).c_str());
    std::fclose(f);
  }
  // A damaged input (decoder errors, truncation: every source error) fails the command once the
  // report is out, so that scripts notice; --allow-damaged keeps exit 0.
  std::uint64_t damage = 0;
  for (const auto& [reason, n] : st.errors) damage += n;
  if (damage > 0) {
    std::fprintf(stderr, "hftd replay: the input is damaged: %llu source error(s) (see \"errors by reason (source)\" above)%s\n",
                 static_cast<unsigned long long>(damage), o.has("--allow-damaged") ? "; --allow-damaged: exit 0" : "; exit 3 (--allow-damaged: 0)");
    if (!o.has("--allow-damaged")) return 3;
  }
  return 0;
}

}  // namespace

const Command kReplayCommand{"replay", "replay a recorded source through the pipeline; print a report", cmd_replay::kUsage, cmd_replay::run};

}  // namespace hft::app
