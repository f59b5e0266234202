// `hftd run`: the daemon around an Engine. The calling thread becomes the control thread: it
// owns signals (SIGHUP reload, SIGTERM/SIGINT drain and exit, SIGUSR1 kill, SIGUSR2 re-arm),
// watches config.yml for changes, serves /metrics /health /status over HTTP (and, with
// risk_management.token_file, POST /risk/kill and /risk/rearm, which need X-HFTD-Token), drains
// the hot threads' log rings into spdlog, writes a one-line summary periodically, and speaks
// sd_notify (READY, STATUS, WATCHDOG, RELOADING, STOPPING). A reload is parsed and validated here, off the hot path, then offered to
// the engine, whose threads take it between batches; an invalid file is rejected with its errors
// logged and the running configuration kept. At exit the final books are written to
// <state_dir>/books.json. May touch: everything the engine touches, plus live/ and sources/.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/engine/learner_link.hpp"

namespace hft::engine {

// Every check `run` makes of a loaded configuration before it binds sockets or builds the
// engine, shared with `hftd check-config`: a udp feed's address and port (config::validate_for_run),
// system.state_dir a directory (or creatable),
// system.log_file a writable file (or creatable; not a directory), risk_management.token_file
// (as the daemon reads it), the simulator's latency files readable, and in replay mode the
// feed.input source opened (known kind, file present and of that format). Each problem is a
// ConfigError naming its setting; empty = none.
std::vector<config::ConfigError> preflight(const config::Config& c);

// Returns the process exit code: 0 after a clean stop (or the end of a replay input), 1 when
// start-up fails (bad config, socket, state directory, a token file that is missing, empty, not
// the service user's or open to group/others) or the final state cannot be written.
// A stalled hot thread stops the watchdog pings (systemd then restarts the service).
// on_ready (optional) is called on the control thread once serving, with the HTTP port (tests
// and embedding; systemd learns the same from READY/STATUS).
// learning: builds the continuous learner when the config enables it (learn::learning_factory;
// none: no learner).
int run_service(const std::string& config_path, const std::function<void(std::uint16_t http_port)>& on_ready = {},
                const LearningFactory& learning = {});

}  // namespace hft::engine
