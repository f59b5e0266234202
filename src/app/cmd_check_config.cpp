// hftd check-config: validates a config file and prints every error, or its version and thread
// layout. Exit 0 when the file is valid, 1 when it is not. Valid means what `hftd run` needs
// short of binding sockets: the settings, and the files and directories they name
// (engine::preflight: state_dir, log_file, token_file, latency files, the replay input).
#include <charconv>
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "hft/config/config.hpp"
#include "hft/engine/service.hpp"

namespace hft::app {
namespace cmd_check_config {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  FILE                config file to check (e.g. config/config.yml)\n"
    "  --cpus N            check cores against N CPUs instead of this machine's count\n";

std::string core_text(int core) { return core < 0 ? std::string("any core") : "core " + std::to_string(core); }

int run(int argc, char** argv) {
  std::string file;
  unsigned cpus = 0;
  bool cpus_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cpus") {
      if (i + 1 >= argc) throw UsageError("option --cpus needs a value");
      const std::string v = argv[++i];
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), cpus);
      if (ec != std::errc() || p != v.data() + v.size() || cpus == 0 || cpus > 4096)
        throw UsageError("--cpus: '" + v + "' is not a CPU count (1..4096)");
      cpus_given = true;
    } else if (a.rfind("--", 0) == 0) {
      throw UsageError("unknown option '" + a + "'");
    } else if (file.empty()) {
      file = a;
    } else {
      throw UsageError("one FILE only, got '" + file + "' and '" + a + "'");
    }
  }
  if (file.empty()) throw UsageError("missing FILE");

  const auto r = cpus_given ? config::load_config_file(file, cpus) : config::load_config_file(file);
  if (!r.config) {
    std::fputs(config::format_errors(r.errors, file).c_str(), stderr);
    return 1;
  }
  const config::Config& c = *r.config;
  if (const auto problems = engine::preflight(c); !problems.empty()) {
    std::fputs(config::format_errors(problems, file).c_str(), stderr);
    return 1;
  }
  std::printf("%s: ok (version %s)\n", file.c_str(), config::version_string(c.version).c_str());
  for (const auto& w : config::warnings(c, cpus)) std::printf("  warning: %s\n", w.c_str());
  const auto& s = c.system;
  std::printf("  layout: %zu thread%s, rings of %zu slots (%s when full), control work on %s\n",
              s.layout.size(), s.layout.size() == 1 ? "" : "s", s.ring_capacity,
              std::string(config::kRingFullNames[static_cast<std::size_t>(s.ring_full)]).c_str(),
              core_text(s.control_core).c_str());
  for (const auto& t : s.layout) {
    std::string stages;
    for (const auto& st : t.stages) stages += (stages.empty() ? "" : " -> ") + st;
    const std::string sched =
        t.fifo_priority > 0 ? "SCHED_FIFO " + std::to_string(t.fifo_priority) : std::string("SCHED_OTHER");
    std::printf("    %-15s %-9s %-8s %-14s %s\n", t.name.c_str(), core_text(t.core).c_str(),
                std::string(config::kIdleNames[static_cast<std::size_t>(t.idle)]).c_str(), sched.c_str(),
                stages.c_str());
  }
  std::printf("  feed: %s%s%s, symbols: %s, strategies: %zu\n", c.feed.mode.c_str(),
              c.feed.input.empty() ? "" : (" " + c.feed.input).c_str(),
              c.feed.multicast_group.empty() ? "" : (" group " + c.feed.multicast_group).c_str(),
              c.symbols.empty() ? "all" : std::to_string(c.symbols.size()).c_str(), c.strategies.size());
  return 0;
}

}  // namespace

const Command kCheckConfigCommand{
    "check-config", "validate a config file: every error with its setting path, or the thread layout",
    cmd_check_config::kUsage, cmd_check_config::run};

}  // namespace hft::app
