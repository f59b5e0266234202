// hftd publish: sends the UDP payloads of a recorded pcap to an address (unicast or multicast),
// one datagram each, at the recorded pace or faster: a stand-in exchange feed for the live
// receiver (live/udp_source.hpp) and for tests.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "hft/feed/pcap_reader.hpp"
#include "hft/feed/pcap_writer.hpp"
#include "hft/live/publisher.hpp"

namespace hft::app {
namespace cmd_publish {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --input FILE.pcap   recorded feed (pcap or pcapng; a 'pcap:' prefix is accepted)\n"
    "  --to ADDR:PORT      destination, unicast or multicast (required)\n"
    "  --speed N|max       1 = recorded pace (default), N = N times faster, max = no pacing\n"
    "  --rate-limit PPS    at most this many datagrams per second (default: no cap)\n"
    "  --spin-us N         spin the last N microseconds before a datagram is due, sleep before\n"
    "                      (default 300: on time to a microsecond, a core busy at fast paces;\n"
    "                      0: sleep only, up to ~70-90 us late, no core held)\n"
    "  --dst ADDR:PORT     keep only the pcap's UDP datagrams to this destination\n"
    "  --config FILE       take that filter from a config file (feed.dst_addr, feed.dst_port)\n"
    "  --count N           stop after N datagrams\n"
    "  --ttl N             multicast TTL (default 1)\n"
    "  --interface ADDR    multicast: send through the interface with this IPv4 address\n"
    "  --loop-back         multicast: deliver to receivers on this host too\n"
    "  --drop P            leave out a random fraction P of the datagrams, 0 <= P < 1 (a lossy network)\n"
    "  --seed N            seed of those drops (default 1)\n"
    "  --serve ADDR:PORT   answer MoldUDP64 re-requests there (the pcap is held in memory); after the\n"
    "                      last datagram go on serving, with heartbeats, until SIGTERM / SIGINT\n"
    "  --heartbeat S       serving: heartbeat interval after the last datagram (default 0.5 s)\n";

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

int run(int argc, char** argv) {
  const Options o(argc, argv,
                  {"--input", "--to", "--speed", "--rate-limit", "--spin-us", "--dst", "--config", "--count", "--ttl",
                   "--interface", "--drop", "--seed", "--serve", "--heartbeat"},
                  {"--loop-back"});
  live::PublishOptions p;
  p.input = o.required("--input");
  if (p.input.rfind("pcap:", 0) == 0) p.input = p.input.substr(5);
  const std::string to = o.required("--to");
  std::uint32_t ip = 0;
  if (!feed::parse_endpoint(to, ip, p.to_port) || p.to_port == 0)
    throw UsageError("--to needs ADDR:PORT with a dotted IPv4 address and a port > 0, got '" + to + "'");
  p.to_addr = to.substr(0, to.rfind(':'));
  const std::string speed = o.str("--speed", "1");
  if (speed == "max") {
    p.speed = 0;
  } else {
    p.speed = o.real("--speed", 1.0);
    if (!(p.speed > 0)) throw UsageError("--speed must be a number > 0 or 'max', got '" + speed + "'");
  }
  p.rate_limit_pps = static_cast<std::uint64_t>(o.integer("--rate-limit", 0, 0, 100'000'000));
  p.spin_us = static_cast<std::uint32_t>(o.integer("--spin-us", 300, 0, 1'000'000));
  p.max_datagrams = static_cast<std::uint64_t>(o.integer("--count", 0, 0, INT64_MAX));
  p.ttl = static_cast<int>(o.integer("--ttl", 1, 0, 255));
  p.interface_addr = o.str("--interface");
  if (!p.interface_addr.empty() && !feed::parse_ipv4(p.interface_addr, ip))
    throw UsageError("--interface needs a dotted IPv4 address, got '" + p.interface_addr + "'");
  p.loopback = o.has("--loop-back");
  p.drop = o.real("--drop", 0.0);
  if (!(p.drop >= 0 && p.drop < 1)) throw UsageError("--drop must be a fraction in [0, 1), got '" + o.str("--drop") + "'");
  p.seed = static_cast<std::uint64_t>(o.integer("--seed", 1, 0, INT64_MAX));
  if (o.has("--serve")) {
    const std::string sv = o.str("--serve");
    if (!feed::parse_endpoint(sv, ip, p.serve_port))
      throw UsageError("--serve needs ADDR:PORT with a dotted IPv4 address, got '" + sv + "'");
    p.serve_addr = sv.substr(0, sv.rfind(':'));
    p.on_serving = [a = p.serve_addr](std::uint16_t port) {
      std::printf("serving re-requests on %s:%u\n", a.c_str(), static_cast<unsigned>(port));
      std::fflush(stdout);
    };
  }
  p.heartbeat_s = o.real("--heartbeat", 0.5);
  if (!(p.heartbeat_s > 0 && p.heartbeat_s <= 3600)) throw UsageError("--heartbeat must be in (0, 3600] seconds");
  p.filter = feed_options(o);
  p.stop = &g_stop;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  const live::PublishStats st = live::publish_pcap(p);
  std::printf("hftd publish %s -> %s\n", p.input.c_str(), to.c_str());
  std::printf("  datagrams sent  %12llu\n", static_cast<unsigned long long>(st.datagrams));
  std::printf("  bytes sent      %12llu\n", static_cast<unsigned long long>(st.bytes));
  std::printf("  elapsed         %12.3f s (%.0f datagrams/s)\n", st.elapsed_s,
              st.elapsed_s > 0 ? static_cast<double>(st.datagrams) / st.elapsed_s : 0.0);
  if (p.drop > 0) std::printf("  dropped         %12llu (--drop %g, seed %llu)\n", static_cast<unsigned long long>(st.dropped), p.drop,
                              static_cast<unsigned long long>(p.seed));
  if (!p.serve_addr.empty())
    std::printf("  re-requests     %12llu answered with %llu packets, %llu bad\n", static_cast<unsigned long long>(st.requests),
                static_cast<unsigned long long>(st.resent), static_cast<unsigned long long>(st.bad_requests));
  std::printf("  send errors     %12llu%s%s\n", static_cast<unsigned long long>(st.send_errors),
              st.send_errors ? "  last: " : "", st.last_error.c_str());
  std::printf("  pcap frames     %12llu, UDP datagrams %llu\n", static_cast<unsigned long long>(st.pcap.frames),
              static_cast<unsigned long long>(st.pcap.datagrams));
  for (int s = 1; s < feed::kFrameStatusCount; ++s)
    if (st.pcap.skipped[static_cast<std::size_t>(s)])
      std::printf("  frames skipped  %12llu  %s\n",
                  static_cast<unsigned long long>(st.pcap.skipped[static_cast<std::size_t>(s)]),
                  feed::frame_status_name(static_cast<feed::FrameStatus>(s)));
  if (st.pcap.read_errors) std::printf("  pcap read errors %llu\n", static_cast<unsigned long long>(st.pcap.read_errors));
  if (g_stop.load()) std::printf("  stopped by signal\n");
  return st.send_errors != 0 || st.pcap.read_errors != 0 ? 1 : 0;
}

}  // namespace

const Command kPublishCommand{"publish", "send a pcap's UDP payloads to an address, paced (stand-in live feed)",
                              cmd_publish::kUsage, cmd_publish::run};

}  // namespace hft::app
