// hftd run: the daemon (systemd service, or in a terminal). See engine/service.hpp.
#include "cli.hpp"
#include "hft/engine/service.hpp"
#include "hft/learn/learner.hpp"

namespace hft::app {
namespace cmd_run {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --config FILE       configuration (see config/config.yml; reloaded on SIGHUP and on change)\n"
    "\nFeed: feed.mode udp (live: UDP unicast or multicast, MoldUDP64 + ITCH 5.0) or replay (feed.input).\n"
    "HTTP: /metrics (Prometheus), /health, /status on telemetry.http_bind:http_port.\n"
    "Signals: SIGHUP reloads the configuration; SIGTERM/SIGINT drain the pipeline and exit 0.\n"
    "At exit the final books are written to <system.state_dir>/books.json.\n";

int run(int argc, char** argv) {
  const Options o(argc, argv, {"--config"});
  return engine::run_service(o.required("--config"), {}, learn::learning_factory(true));
}

}  // namespace

const Command kRunCommand{"run", "run the engine as a daemon (live feed or replay) with HTTP telemetry", cmd_run::kUsage, cmd_run::run};

}  // namespace hft::app
