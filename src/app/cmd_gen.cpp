// hftd gen: writes a synthetic ITCH 5.0 trading day (MoldUDP64 in UDP in pcap).
#include <chrono>
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "hft/feed/pcap_writer.hpp"
#include "hft/gen/generator.hpp"
#include "progress.hpp"

namespace hft::app {
namespace cmd_gen {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --out FILE.pcap        output file (required)\n"
    "  --messages N           ITCH messages in total, system and directory included (default 1000000)\n"
    "  --instruments K        instruments, locates 1..K, symbols SYM0001.. (default 8)\n"
    "  --seed S               random seed; same options + seed -> same bytes (default 1)\n"
    "  --dest A.B.C.D:PORT    UDP destination (default 239.1.1.1:26477)\n"
    "  --session NAME         MoldUDP64 session, 10 characters (default HFTGEN0001)\n"
    "  --date YYYY-MM-DD      trading date for pcap times (default 2025-01-02)\n"
    "  --utc-offset MIN       exchange clock offset from UTC in minutes (default -300)\n"
    "  --open HH:MM           order flow starts (default 09:30)\n"
    "  --close HH:MM          order flow ends (default 16:00)\n"
    "  --branching N          Hawkes branching ratio, clustering strength, [0, 0.98] (default 0.7)\n"
    "  --decay-ms T           Hawkes kernel time constant in ms (default 20)\n"
    "  --u-shape A            intraday activity shape: open/close rate 1+2A/3, midday 1-A/3 (default 0.8)\n"
    "  --p-cancel P           action mix: cancels, before live-order feedback (default 0.40)\n"
    "  --p-market P           action mix: marketable orders (default 0.02)\n"
    "  --p-replace P          action mix: replaces U (default 0.05)\n"
    "  --p-hidden P           action mix: hidden trade prints P (default 0.01)\n"
    "  --live-target N        live orders per instrument the cancel rate aims at (default 1500)\n"
    "  --payload BYTES        MoldUDP64 payload limit per packet (default 1400)\n"
    "  --pack-us T            actions within T us of a packet's first share it (default 0: one\n"
    "                         action per packet)\n"
    "  --heartbeat-ms T       heartbeat after T ms without data, 0 = none (default 1000)\n"
    "  --latency-us T         pcap time = exchange time + T us + jitter (default 20)\n"
    "  --flow-switch-at F     order-flow regime switch at fraction F of the session, 0 = none\n"
    "                         (default 0): before it the heavier level-1 queue sits on the side\n"
    "                         the mid moves toward; after it marketable orders take the whole\n"
    "                         heavier best level, so the imbalance -> next move relation flips\n"
    "  --coint-pair A,B       cointegrated pair (locates): B's fair value = a + beta * A's + an\n"
    "                         Ornstein-Uhlenbeck spread, in price terms (default: none)\n"
    "  --coint-beta B         the pair's beta (default 1.0)\n"
    "  --coint-half-life-s H  the spread's half-life in seconds of exchange time (default 300)\n"
    "  --coint-spread-ticks S the spread's stationary sd in ticks (default 10)\n"
    "  --quiet                no summary\n";

Nanos parse_hhmm(const Options& o, const std::string& name, Nanos def) {
  if (!o.has(name)) return def;
  const std::string s = o.str(name);
  int h = 0, m = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
    throw UsageError(name + ": '" + s + "' is not HH:MM");
  return (static_cast<Nanos>(h) * 3600 + m * 60) * 1'000'000'000;
}

int run(int argc, char** argv) {
  const Options o(argc, argv,
                  {"--out", "--messages", "--instruments", "--seed", "--dest", "--session", "--date",
                   "--utc-offset", "--open", "--close", "--branching", "--decay-ms", "--u-shape",
                   "--p-cancel", "--p-market", "--p-replace", "--p-hidden", "--live-target",
                   "--payload", "--pack-us", "--heartbeat-ms", "--latency-us", "--flow-switch-at",
                   "--coint-pair", "--coint-beta", "--coint-half-life-s", "--coint-spread-ticks"},
                  {"--quiet"});
  gen::GenConfig c;
  c.out_path = o.required("--out");
  c.messages = static_cast<std::uint64_t>(o.integer("--messages", 1'000'000, 1, 4'000'000'000LL));
  c.instruments = static_cast<std::uint32_t>(o.integer("--instruments", 8, 1, 9999));
  c.seed = static_cast<std::uint64_t>(o.integer("--seed", 1, 0, INT64_MAX));
  if (o.has("--dest") && !feed::parse_endpoint(o.str("--dest"), c.dst_ip, c.dst_port))
    throw UsageError("--dest: '" + o.str("--dest") + "' is not A.B.C.D:PORT");
  c.session = o.str("--session", c.session);
  if (c.session.size() > 10) throw UsageError("--session: at most 10 characters");
  if (o.has("--date")) {
    const std::string d = o.str("--date");
    char tail = 0;
    if (std::sscanf(d.c_str(), "%d-%d-%d%c", &c.year, &c.month, &c.day, &tail) != 3)
      throw UsageError("--date: '" + d + "' is not YYYY-MM-DD");
  }
  c.utc_offset_min = static_cast<int>(o.integer("--utc-offset", -300, -900, 900));
  c.open_ns = parse_hhmm(o, "--open", c.open_ns);
  c.close_ns = parse_hhmm(o, "--close", c.close_ns);
  c.branching = o.real("--branching", c.branching);
  c.decay_ms = o.real("--decay-ms", c.decay_ms);
  c.u_shape = o.real("--u-shape", c.u_shape);
  c.p_cancel = o.real("--p-cancel", c.p_cancel);
  c.p_market = o.real("--p-market", c.p_market);
  c.p_replace = o.real("--p-replace", c.p_replace);
  c.p_hidden = o.real("--p-hidden", c.p_hidden);
  c.live_target = static_cast<std::uint32_t>(o.integer("--live-target", c.live_target, 20, 1'000'000));
  c.payload_limit = static_cast<std::size_t>(o.integer("--payload", 1400, 72, 65507));
  c.pack_ns = o.integer("--pack-us", 0, 0, 60'000'000) * 1000;
  c.heartbeat_ns = o.integer("--heartbeat-ms", 1000, 0, 3'600'000) * 1'000'000;
  c.latency_ns = o.integer("--latency-us", 20, 0, 1'000'000) * 1000;
  c.flow_switch_at = o.real("--flow-switch-at", c.flow_switch_at);
  if (o.has("--coint-pair")) {
    const std::string p = o.str("--coint-pair");
    unsigned a = 0, b = 0;
    char tail = 0;
    if (std::sscanf(p.c_str(), "%u,%u%c", &a, &b, &tail) != 2)
      throw UsageError("--coint-pair: '" + p + "' is not A,B (two locates)");
    c.coint_a = a;
    c.coint_b = b;
  }
  c.coint_beta = o.real("--coint-beta", c.coint_beta);
  c.coint_half_life_s = o.real("--coint-half-life-s", c.coint_half_life_s);
  c.coint_spread_sd = o.real("--coint-spread-ticks", c.coint_spread_sd);
  try {
    gen::validate(c);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  const auto t0 = std::chrono::steady_clock::now();
  ProgressLine line("gen");
  if (line.enabled())
    c.on_progress = [&line](std::uint64_t done, std::uint64_t total) {
      line.draw(static_cast<double>(done) / static_cast<double>(total), done, false);
    };
  const gen::GenStats s = gen::generate_pcap(c);
  line.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.has("--quiet")) return 0;
  std::printf("wrote %s: %llu messages, %llu packets (+%llu heartbeats), %.1f MB in %.2f s (%.2f M msg/s)\n",
              c.out_path.c_str(), static_cast<unsigned long long>(s.messages),
              static_cast<unsigned long long>(s.packets), static_cast<unsigned long long>(s.heartbeats),
              static_cast<double>(s.pcap_bytes) / 1e6, secs,
              secs > 0 ? static_cast<double>(s.messages) / secs / 1e6 : 0.0);
  std::printf("messages by type:");
  for (int t = 0; t < 128; ++t) {
    if (s.by_type[static_cast<std::size_t>(t)] == 0) continue;
    std::printf(" %c=%llu (%.2f%%)", static_cast<char>(t),
                static_cast<unsigned long long>(s.by_type[static_cast<std::size_t>(t)]),
                100.0 * static_cast<double>(s.by_type[static_cast<std::size_t>(t)]) /
                    static_cast<double>(s.messages));
  }
  auto hms = [](Nanos ns) {
    char b[32];
    const long long s_ = ns / 1'000'000'000;
    std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld.%03lld", s_ / 3600, s_ / 60 % 60, s_ % 60,
                  static_cast<long long>(ns / 1'000'000 % 1000));
    return std::string(b);
  };
  std::printf("\norder flow: %llu actions from %s to %s; live orders max %llu, at close %llu",
              static_cast<unsigned long long>(s.actions), hms(s.first_flow_ns).c_str(),
              hms(s.last_flow_ns).c_str(), static_cast<unsigned long long>(s.max_live_orders),
              static_cast<unsigned long long>(s.end_live_orders));
  if (s.skipped_actions) std::printf("; %llu actions skipped", static_cast<unsigned long long>(s.skipped_actions));
  std::printf("\n");
  return 0;
}

}  // namespace

const Command kGenCommand{"gen", "write a synthetic ITCH 5.0 trading day as a pcap (MoldUDP64/UDP)",
                          cmd_gen::kUsage, cmd_gen::run};

}  // namespace hft::app
