// The control thread of `hftd run`: one io_context with a signal set, the HTTP server and one
// 20 ms tick that drains logs, watches the config file, pings the watchdog, writes the summary
// and notices the end of the engine. It owns the risk::Control the engine's order thread polls:
// SIGUSR1 / POST /risk/kill set the kill, SIGUSR2 / POST /risk/rearm re-arm.
#include "hft/engine/service.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "hft/config/config.hpp"
#include "hft/engine/engine.hpp"
#include "hft/engine/metrics.hpp"
#include "hft/engine/report.hpp"
#include "hft/engine/sd_notify.hpp"
#include "hft/engine/startup_guard.hpp"
#include "hft/live/udp_source.hpp"
#include "hft/risk/breakers.hpp"
#include "hft/sources/open.hpp"
#include "hft/telemetry/http_server.hpp"
#include "hft/telemetry/log.hpp"
#include "hft/telemetry/metrics.hpp"
#include "hft/telemetry/tsc_clock.hpp"

namespace hft::engine {
namespace {

using Clock = std::chrono::steady_clock;
using telemetry::log_error;
using telemetry::log_info;
using telemetry::log_warn;

std::unique_ptr<feed::EventSource> open_feed(const config::Config& c) {
  if (c.feed.mode == "replay") {
    feed::FeedOptions fo;
    fo.dst_addr = c.feed.dst_addr;
    fo.dst_port = c.feed.dst_port;
    for (const auto& in : c.instruments) fo.instruments.push_back({in.symbol, in.market, config::scale_of(in)});
    return sources::open_source(sources::parse_source_spec(c.feed.input), fo);
  }
  live::UdpOptions u;
  u.port = c.feed.dst_port;
  u.multicast_group = c.feed.multicast_group;
  u.bind_addr = !c.feed.multicast_group.empty() ? c.feed.multicast_group
                : !c.feed.dst_addr.empty()     ? c.feed.dst_addr
                                               : "0.0.0.0";
  u.interface_addr = c.feed.interface_addr;
  u.recv_buffer = c.feed.recv_buffer;
  u.sources = c.feed.sources;
  const auto& m = c.feed.mold;
  u.mold.max_jump = static_cast<std::uint64_t>(m.max_jump);
  u.mold.jump_confirm = static_cast<std::uint32_t>(m.jump_confirm);
  if (!m.rerequest.empty()) {  // validated ADDR:PORT
    const auto colon = m.rerequest.rfind(':');
    u.rerequest_addr = m.rerequest.substr(0, colon);
    u.rerequest_port = static_cast<std::uint16_t>(std::stoul(m.rerequest.substr(colon + 1)));
  }
  u.recovery.timeout = static_cast<Nanos>(m.request_timeout_ms * 1e6);
  u.recovery.retries = static_cast<std::uint32_t>(m.request_retries);
  u.recovery.min_interval = static_cast<Nanos>(1e9 / m.max_requests_per_s);
  u.recovery.max_count = static_cast<std::uint16_t>(m.request_max_msgs);
  u.hold_packets = static_cast<std::size_t>(m.hold_packets);
  auto src = std::make_unique<live::UdpSource>(u);
  log_info("feed: UDP {}:{}{}{}, receive buffer granted {} bytes", u.bind_addr, src->local_port(),
           u.multicast_group.empty() ? "" : " joined on interface ", u.multicast_group.empty() ? "" : u.interface_addr,
           src->recv_buffer_granted());
  if (u.sources.empty()) log_warn("feed: no feed.sources allow-list: any sender can drive the books");
  if (m.rerequest.empty()) log_warn("feed: no feed.mold.rerequest server: a sequence gap leaves instruments stale");
  else log_info("feed: gaps recovered from re-request server {}", m.rerequest);
  return src;
}

// Seconds and nanoseconds apart: a modification time far in the future (touch -d 2300-01-01)
// would overflow int64 nanoseconds.
struct FileStamp {
  std::int64_t mtime_s = -1, mtime_ns = -1;
  std::int64_t size = -1;
  bool operator==(const FileStamp&) const = default;
};
FileStamp stamp_of(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return {};
  return {static_cast<std::int64_t>(st.st_mtim.tv_sec), static_cast<std::int64_t>(st.st_mtim.tv_nsec),
          static_cast<std::int64_t>(st.st_size)};
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += c; }
    else if (c == '\n') o += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) o += ' ';
    else o += c;
  }
  return o;
}

// The operator token for POST /risk/...: the whole file, surrounding whitespace trimmed. The file
// must be a regular file of this process's user that nobody else may read or write (a token
// others can read is no secret). Returns "" and sets err otherwise.
std::string read_token(const std::string& path, std::string& err) {
  // O_NONBLOCK: a FIFO must not block the open (it is refused as not a regular file).
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    err = std::strerror(errno);
    return {};
  }
  struct stat st{};
  std::string tok;
  if (fstat(fd, &st) != 0) err = std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) err = "not a regular file";
  else if (st.st_uid != geteuid())
    err = "owned by uid " + std::to_string(st.st_uid) + ", not by the service's user (uid " + std::to_string(geteuid()) + ")";
  else if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    err = std::string("mode ") + mode + " lets group or others read or write it (chmod 600)";
  } else if (st.st_size > 4096) {
    err = "larger than 4096 bytes";
  } else {
    char buf[4097];
    ssize_t n = 0, got = 0;
    while ((n = read(fd, buf + got, sizeof buf - 1 - static_cast<std::size_t>(got))) > 0) got += n;
    if (n < 0) err = std::strerror(errno);
    else tok.assign(buf, static_cast<std::size_t>(got));
  }
  close(fd);
  if (!err.empty()) return {};
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!tok.empty() && ws(tok.back())) tok.pop_back();
  std::size_t b = 0;
  while (b < tok.size() && ws(tok[b])) ++b;
  tok.erase(0, b);
  if (tok.empty()) err = "empty";
  for (char c : tok)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) err = "contains a control character (it must fit in an HTTP header)";
  return err.empty() ? tok : std::string();
}

// "2026-12-06T15:04:05.123Z"
std::string utc_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  char b[40];
  const std::size_t n = std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &t);
  std::snprintf(b + n, sizeof b - n, ".%03ldZ", ts.tv_nsec / 1000000);
  return b;
}

// 16 hex digits from the kernel's random source (time and pid mixed in should it fail).
std::string new_run_id() {
  std::uint64_t v = 0;
  std::FILE* f = std::fopen("/dev/urandom", "rbe");
  if (!f || std::fread(&v, sizeof v, 1, f) != 1)
    v = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) ^
        (static_cast<std::uint64_t>(getpid()) << 40);
  if (f) std::fclose(f);
  char b[20];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

// Equal secrets, in time that depends on the expected secret's length only (not on where the
// offered one differs).
bool same_secret(std::string_view got, std::string_view want) noexcept {
  volatile unsigned char diff = got.size() != want.size() ? 1 : 0;
  for (std::size_t i = 0; i < want.size(); ++i)
    diff = diff | static_cast<unsigned char>(want[i] ^ (i < got.size() ? got[i] : 0));
  return diff == 0;
}

// The nearest existing ancestor of p (p itself if it exists); "" if none.
std::filesystem::path existing_ancestor(std::filesystem::path p) {
  std::error_code ec;
  if (p.is_relative()) p = std::filesystem::current_path(ec) / p;
  for (;;) {
    if (std::filesystem::exists(p, ec)) return p;
    if (!p.has_parent_path() || p.parent_path() == p) return {};
    p = p.parent_path();
  }
}

// "" when `path` exists as a directory we may write, or can be created; otherwise why not.
std::string dir_problem(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path at = existing_ancestor(path);
  if (at.empty()) return "no existing parent directory";
  const bool self = fs::equivalent(at, fs::path(path), ec) && !ec;
  if (!fs::is_directory(at, ec))
    return self ? "exists and is not a directory" : "cannot be created: " + at.string() + " is not a directory";
  if (access(at.c_str(), W_OK | X_OK) != 0)
    return (self ? "is not writable: " : "cannot be created in " + at.string() + ": ") + std::string(std::strerror(errno));
  return {};
}

// "" when the log file can be opened for appending (or created); otherwise why not.
std::string log_file_problem(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::exists(st)) {
    if (fs::is_directory(st)) return "is a directory";
    if (!fs::is_regular_file(st) && !fs::is_character_file(st)) return "is not a regular file";
    if (access(path.c_str(), W_OK) != 0) return std::string("is not writable: ") + std::strerror(errno);
    return {};
  }
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return access(".", W_OK | X_OK) == 0 ? "" : std::string("cannot be created: ") + std::strerror(errno);
  const std::string p = dir_problem(parent.string());
  return p.empty() ? p : "cannot be created (directory " + parent.string() + ": " + p + ")";
}

}  // namespace

std::vector<config::ConfigError> preflight(const config::Config& c) {
  std::vector<config::ConfigError> out = config::validate_for_run(c);
  if (std::string p = dir_problem(c.system.state_dir); !p.empty())
    out.push_back({"system.state_dir", c.system.state_dir + " " + p});
  if (!c.system.log_file.empty())
    if (std::string p = log_file_problem(c.system.log_file); !p.empty())
      out.push_back({"system.log_file", c.system.log_file + " " + p});
  if (const std::string& tf = c.risk_management.token_file; !tf.empty()) {
    std::string err;
    if (read_token(tf, err).empty()) out.push_back({"risk_management.token_file", tf + ": " + err});
  }
  const std::pair<const char*, const std::string*> latency_files[] = {
      {"simulator.feed_latency_file", &c.simulator.feed_latency_file},
      {"simulator.order_latency_file", &c.simulator.order_latency_file},
      {"simulator.ack_latency_file", &c.simulator.ack_latency_file}};
  for (const auto& [name, file] : latency_files)
    if (!file->empty() && access(file->c_str(), R_OK) != 0)
      out.push_back({name, *file + ": " + std::strerror(errno)});
  if (c.feed.mode == "replay") {
    try {
      feed::FeedOptions fo;
      fo.dst_addr = c.feed.dst_addr;
      fo.dst_port = c.feed.dst_port;
      for (const auto& in : c.instruments) fo.instruments.push_back({in.symbol, in.market, config::scale_of(in)});
      sources::open_source(sources::parse_source_spec(c.feed.input), fo);  // opened and closed
    } catch (const std::exception& e) {
      out.push_back({"feed.input", e.what()});
    }
  }
  return out;
}

namespace {

class Service {
 public:
  Service(std::string path, std::function<void(std::uint16_t)> on_ready, LearningFactory learning)
      : path_(std::move(path)), on_ready_(std::move(on_ready)), learning_(std::move(learning)) {}

  int run() {
    // The process's signals are blocked from the start, so that every thread made from here on
    // (spdlog's, the learner's, the engine's hot threads) inherits the mask: a SIGTERM during
    // start-up is taken by the StartupGuard, later by the control loop (asio's signal_set, then
    // unblocked on this thread), and never by the default action in some other thread.
    sigset_t sigs, old_mask;
    sigemptyset(&sigs);
    for (int s : {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&sigs, s);
    pthread_sigmask(SIG_BLOCK, &sigs, &old_mask);
    struct RestoreMask {
      sigset_t mask;
      ~RestoreMask() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
    } restore{old_mask};
    // Start-up (building pools of up to 2^25 orders takes seconds) ends at once on SIGTERM or
    // SIGINT: nothing has been written yet. Ended before anything that writes state starts.
    std::optional<StartupGuard> guard;
    guard.emplace(std::initializer_list<int>{SIGTERM, SIGINT}, [](int sig) {
      std::fprintf(stderr, "hftd: %s during start-up: exiting before the engine runs\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      std::fflush(stderr);
      _exit(0);
    });
    auto loaded = config::load_config_file(path_);
    if (!loaded.config) {
      std::fprintf(stderr, "%s", config::format_errors(loaded.errors, path_).c_str());
      return 1;
    }
    if (const auto problems = preflight(*loaded.config); !problems.empty()) {  // what check-config also says
      for (const auto& p : problems) std::fprintf(stderr, "hftd: %s %s; refusing to start\n", p.path.c_str(), p.reason.c_str());
      return 1;
    }
    running_ = std::make_shared<const config::Config>(*loaded.config);
    in_force_ = running_->version;
    last_seen_version_ = running_->version;
    file_stamp_ = stamp_of(path_);
    const auto lvl = telemetry::parse_level(running_->system.log_level);
    telemetry::init_logging(lvl.value_or(telemetry::Level::info), running_->system.log_file, running_->system.log_queue);
    log_info("hftd starting: run {}, config {} version {}", run_id_, path_, config::version_string(running_->version));
    for (const auto& w : config::warnings(*running_)) log_warn("config: {}", w);

    std::error_code ec;
    std::filesystem::create_directories(running_->system.state_dir, ec);
    if (ec) {
      log_error("state directory {}: {}", running_->system.state_dir, ec.message());
      telemetry::shutdown_logging();
      return 1;
    }

    if (const std::string& tf = running_->risk_management.token_file; !tf.empty()) {
      std::string err;
      token_ = read_token(tf, err);
      if (token_.empty()) {
        log_error("risk_management.token_file {}: {}; refusing to start", tf, err);
        telemetry::shutdown_logging();
        return 1;
      }
      log_info("risk: POST /risk/kill and /risk/rearm enabled (token from {})", tf);
    } else {
      log_info("risk: HTTP kill and re-arm endpoints off (no risk_management.token_file); SIGUSR1 / SIGUSR2 work");
    }

    try {
      log_info("start-up: building the engine (feed.max_orders {}, rings of {})", running_->feed.max_orders,
               running_->system.ring_capacity);
      EngineOptions eo;
      eo.control = &control_;
      if (learning_) learner_ = learning_(*running_, running_->feed.mode == "udp");
      if (learner_) eo.learner = &learner_->link();
      engine_ = std::make_unique<Engine>(*running_, open_feed(*running_), eo);
      guard.reset();  // a signal from here on stays pending for the control loop
      if (learner_) learner_->start(running_->system.control_core);
      telemetry::HttpLimits hl;
      hl.max_connections = running_->telemetry.http_max_connections;
      hl.max_request_bytes = running_->telemetry.http_max_request_bytes;
      hl.idle_timeout = std::chrono::milliseconds(
          std::max<std::int64_t>(1, std::llround(running_->telemetry.http_idle_timeout_s * 1000)));
      http_ = std::make_unique<telemetry::HttpServer>(
          io_, running_->telemetry.http_bind, running_->telemetry.http_port,
          [this](const telemetry::Request& req) { return handle(req); }, hl);
    } catch (const std::exception& e) {
      log_error("start-up failed: {}", e.what());
      telemetry::shutdown_logging();
      return 1;
    }
    metrics_ = std::make_unique<EngineMetrics>(*engine_, registry_);
    if (const model::ServingModel* m = engine_->stage<PredictStage>().model()) {
      try {
        importance_ = model::feature_importance(*m);
      } catch (const std::exception& e) {
        log_warn("models: no feature importance for {}: {}", m->version, e.what());
      }
    }
    reloads_ = &registry_.counter("hftd_config_reloads", "", "configuration reloads applied");
    reload_requests_ = &registry_.counter("hftd_config_reload_requests", "",
                                          "configuration reloads asked for (SIGHUP or a changed file), whatever came of them");
    reload_errors_ = &registry_.counter("hftd_config_reload_errors", "", "configuration reloads rejected (invalid file)");
    registry_.gauge_fn("hftd_uptime_seconds", "", "seconds since start",
                       [t0 = Clock::now()] { return std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - t0).count(); });
    register_risk_metrics();
    register_http_metrics();
    if (learner_) register_learner_metrics(learner_->link());
    for (const auto& t : engine_->threads()) sink_.add_ring(*t->log);

    engine_->start();
    boost::asio::signal_set signals(io_, SIGHUP, SIGTERM, SIGINT);
    signals.add(SIGUSR1);
    signals.add(SIGUSR2);
    wait_signal(signals);
    pthread_sigmask(SIG_UNBLOCK, &sigs, nullptr);
    if (const std::string err = pin_current_thread(running_->system.control_core, 0); !err.empty())
      log_warn("control thread: could not pin ({}); running unpinned", err);

    started_ = Clock::now();
    status_ = "running";
    log_info("hftd running: {} hot thread(s), HTTP on {}:{}", engine_->threads().size(), running_->telemetry.http_bind, http_->port());
    publish_status("READY=1\n");
    log_info("cycle counter: {:.3f} GHz{}", 1.0 / engine_->ns_per_tick(),
             telemetry::tsc_invariant() ? ", invariant" : ", NOT invariant (latency figures may be off)");
    if (notify_.watchdog()) log_info("watchdog: ping every {} ms", notify_.watchdog()->count() / 2000);

    if (on_ready_) on_ready_(http_->port());
    boost::asio::steady_timer tick(io_);
    schedule_tick(tick);
    io_.run();

    engine_->join();
    if (learner_) learner_->stop();  // spills the samples once more
    sink_.drain();
    write_final_state();
    log_info("hftd stopped: {} events, exit code {}", engine_->source().stats().events, exit_code_);
    telemetry::shutdown_logging();
    return exit_code_;
  }

 private:
  void wait_signal(boost::asio::signal_set& s) {
    s.async_wait([this, &s](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) reload("SIGHUP");
      else if (sig == SIGUSR1) risk_command(true, "SIGUSR1");
      else if (sig == SIGUSR2) risk_command(false, "SIGUSR2");
      else begin_stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
      wait_signal(s);
    });
  }

  void schedule_tick(boost::asio::steady_timer& t) {
    t.expires_after(std::chrono::milliseconds(20));
    t.async_wait([this, &t](const boost::system::error_code& ec) {
      if (ec) return;
      on_tick();
      if (!done_) schedule_tick(t);
    });
  }

  void on_tick() {
    sink_.drain();
    const auto now = Clock::now();
    if (engine_->finished()) {  // end of a replay input, or the drain after a stop request
      if (!stopping_) log_info("feed ended: all hot threads finished");
      finish();
      return;
    }
    if (pending_ && engine_->runs_version(pending_version_)) {
      pending_ = false;
      in_force_ = pending_version_;
      status_ = "running";
      log_info("config version {} in force on every hot thread", config::version_string(in_force_));
      publish_status("READY=1\n");
    }
    const double watch_ms = running_->telemetry.config_watch_interval_ms;
    if (watch_ms > 0 && now - last_watch_ >= std::chrono::duration<double, std::milli>(watch_ms)) {
      last_watch_ = now;
      const FileStamp s = stamp_of(path_);
      if (!(s == file_stamp_)) {
        file_stamp_ = s;
        std::string bytes;
        config::read_config_bytes(path_, bytes);  // bounded, never blocks
        const std::uint64_t v = config::fnv1a64(bytes);
        if (v != last_seen_version_) reload("file changed");
      }
    }
    log_risk_changes();
    watch_feed(now);
    if (now - last_kill_check_ >= std::chrono::milliseconds(100)) {
      last_kill_check_ = now;
      watch_kill_file();
    }
    if (auto wd = notify_.watchdog(); wd && now - last_ping_ >= *wd / 2) {
      last_ping_ = now;
      if (hot_threads_alive()) notify_.send("WATCHDOG=1");
    }
    const double sum_s = running_->telemetry.summary_interval_s;
    if (sum_s > 0 && now - last_summary_ >= std::chrono::duration<double>(sum_s)) {
      last_summary_ = now;
      summary();
    }
  }

  // A source counter as the feed thread last published it (0 until it is non-zero).
  std::uint64_t source_count(std::string_view name) const {
    const SourceMirror& m = engine_->source_counters();
    const std::size_t n = m.n.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
      if (*m.name[i].load(std::memory_order_relaxed) == name) return m.value[i].get();
    return 0;
  }
  // Live feed: when a datagram last arrived (feed or re-request answers), as the counters show.
  void watch_feed(Clock::time_point now) {
    if (running_->feed.mode != "udp") return;
    const std::uint64_t d = source_count("udp.datagrams");
    if (d != feed_datagrams_) {
      feed_datagrams_ = d;
      feed_last_datagram_ = now;
    }
  }
  // Why the live feed cannot be trusted now, or "": silent beyond feed.silence_s, instruments
  // stale (messages lost, or a session not yet complete from its start), a gap given up.
  std::string feed_problem() const {
    if (running_->feed.mode != "udp") return {};
    const double silence = running_->feed.silence_s;
    const double quiet = std::chrono::duration<double>(Clock::now() - feed_last_datagram_).count();
    if (silence > 0 && quiet > silence)
      return "feed silent for " + std::to_string(static_cast<long long>(quiet)) + " s (feed.silence_s " +
             std::to_string(silence) + ")";
    if (const auto g = source_count("mold.unrecovered_gaps"))
      return "feed: " + std::to_string(g) + " sequence gap(s) not recovered, instruments stale";
    if (source_count("udp.datagrams") == 0) return "feed: no datagram yet";
    if (source_count("mold.stale") != 0)
      return "feed: instruments stale (messages lost, or the session not yet complete from sequence 1; " +
             std::to_string(source_count("mold.behind_msgs")) + " messages behind)";
    return {};
  }

  // Every hot thread has moved since the last check (or finished). A thread stuck in a stage stops
  // the watchdog pings, and systemd restarts the service.
  bool hot_threads_alive() {
    const auto& ts = engine_->threads();
    beats_.resize(ts.size(), ~std::uint64_t{0});
    bool alive = true;
    for (std::size_t i = 0; i < ts.size(); ++i) {
      const std::uint64_t b = ts[i]->heartbeat.get();
      if (b == beats_[i] && !ts[i]->done.load()) {
        alive = false;
        log_error("hot thread {} made no progress since the last watchdog check", ts[i]->layout.name);
      }
      beats_[i] = b;
    }
    return alive;
  }

  // risk_management.kill_switch_file: while it exists trading stays killed (a re-arm does not
  // hold against it); removing it does not re-arm (an operator does, by signal or HTTP).
  void watch_kill_file() {
    const std::string& f = running_->risk_management.kill_switch_file;
    if (f.empty()) return;
    std::error_code ec;
    if (!std::filesystem::exists(f, ec) || control_.kill.load(std::memory_order_acquire)) return;
    control_.request_kill();
    log_warn("risk: KILL requested by the kill switch file {}", f);
  }

  // Breaker trips and kills as the order thread published them, logged with their reasons here
  // (the hot thread does no logging I/O): once per change.
  void log_risk_changes() {
    const OrderMirror& m = engine_->order_counters();
    const std::uint64_t trips = m.breaker_trips.get();
    if (trips != logged_trips_) {
      logged_trips_ = trips;
      if (const auto r = m.global_reason.load(std::memory_order_relaxed))
        log_warn("risk: circuit breaker tripped for every strategy: {} (trips so far {})",
                 risk::breaker_reason_name(static_cast<risk::BreakerReason>(r)), trips);
      for (std::size_t s = 0; s < OrderMirror::kMaxReasons; ++s)
        if (const auto r = m.reason[s].load(std::memory_order_relaxed); r != logged_reason_[s]) {
          logged_reason_[s] = r;
          if (r) log_warn("risk: circuit breaker tripped for strategy {}: {}; its orders are cancelled, it stays halted until re-armed",
                          s, risk::breaker_reason_name(static_cast<risk::BreakerReason>(r)));
        }
    }
  }

  void summary() {
    const auto e2e = summarize(engine_->end_to_end_latency());
    const std::uint64_t events = engine_->source_counters().events.get();
    std::uint64_t errors = 0, drops = 0;
    const SourceMirror& m = engine_->source_counters();
    for (std::size_t i = 0; i < m.n.load(std::memory_order_acquire); ++i)
      if (m.is_error[i].load()) errors += m.value[i].get();
    for (const auto& t : engine_->threads()) drops += t->ring_drops.get();
    const double secs = std::chrono::duration<double>(Clock::now() - last_summary_events_t_).count();
    log_info("summary: events {} ({:.0f}/s), live orders {}, e2e p50 {:.0f} ns p99 {:.0f} ns, source errors {}, "
             "ring drops {}, rss {} MiB, orders sent {} rejected {}, config {}",
             events, secs > 0 ? static_cast<double>(events - last_summary_events_) / secs : 0.0,
             engine_->stage<BookStage>().live_orders.get(), e2e.p50, e2e.p99, errors, drops, resident_bytes() >> 20,
             engine_->order_counters().sent.get(), engine_->order_counters().rejected.get(), config::version_string(in_force_));
    last_summary_events_ = events;
    last_summary_events_t_ = Clock::now();
  }

  // sd_notify STATUS from the state /status shows, sent after every reload outcome (accepted,
  // unchanged, rejected, undone) and when a version comes into force: it never lags behind.
  void publish_status(const std::string& prefix = {}) {
    std::string s = prefix + "STATUS=" + status_ + ", config " + config::version_string(in_force_);
    if (http_) s += ", http " + running_->telemetry.http_bind + ":" + std::to_string(http_->port());
    if (!last_reload_error_.empty()) s += "; last reload rejected (see /status)";
    if (!restart_required_.empty()) s += "; " + std::to_string(restart_required_.size()) + " change(s) need a restart";
    notify_.send(s);
  }

  void reload(const char* why) {
    struct Done {  // counted when the outcome is settled (a reader of /status then sees both)
      telemetry::Counter* c;
      ~Done() { c->add(1); }
    } done{reload_requests_};
    if (std::strcmp(why, "SIGHUP") == 0) {  // log rotation: the file may have been renamed
      if (const std::string err = telemetry::reopen_log_file(); !err.empty()) log_error("log: {}", err);
      else if (!running_->system.log_file.empty()) log_info("log file {} reopened (SIGHUP)", running_->system.log_file);
    }
    auto loaded = config::load_config_file(path_);
    file_stamp_ = stamp_of(path_);
    {
      std::string bytes;
      config::read_config_bytes(path_, bytes);  // bounded; a file that cannot be read hashes as empty
      last_seen_version_ = config::fnv1a64(bytes);
    }
    if (!loaded.config) {
      reload_errors_->add(1);
      last_reload_error_ = config::format_errors(loaded.errors, path_);
      log_error("config reload ({}) rejected; keeping version {}:\n{}", why, config::version_string(in_force_),
                last_reload_error_);
      publish_status();
      return;
    }
    const auto changes = config::diff(*running_, *loaded.config);
    // A valid file clears the last rejection (an undone bad edit leaves nothing to report), and the
    // settings needing a restart are recomputed against it, whatever else changed.
    last_reload_error_.clear();
    restart_required_.clear();
    for (const auto& c : changes)
      if (c.needs_restart) restart_required_.push_back(c.path);
    // The version already offered: nothing new, even where it differs from the running values
    // in restart-only settings (those stay different until a restart, and were reported when the
    // version was first offered). Counting it again made a SIGHUP after a file-watch reload of the
    // same file a second reload.
    if (loaded.config->version == running_->version) {
      log_info("config reload ({}): no setting changed", why);
      publish_status();
      return;
    }
    // No setting changed but the file did (comments, or a change undone): its version is offered
    // all the same, so that config_version always names the file as it is now.
    if (changes.empty()) log_info("config reload ({}): no setting changed; version {} adopted", why,
                                  config::version_string(loaded.config->version));
    for (const auto& c : changes) {
      if (c.needs_restart) {
        log_warn("config reload: {} changed but needs a restart; the running value is kept", c.path);
      } else {
        log_info("config reload: {} changed", c.path);
      }
    }
    auto next = std::make_shared<const config::Config>(config::apply_reloadable(*running_, *loaded.config));
    try {
      engine_->offer_config(next);  // the stages' settings are built here, on the control thread
    } catch (const std::exception& e) {
      reload_errors_->add(1);
      last_reload_error_ = e.what();
      log_error("config reload ({}) rejected by a stage: {}; the running configuration is kept", why, e.what());
      publish_status();
      return;
    }
    notify_.send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()));
    if (auto l = telemetry::parse_level(next->system.log_level)) telemetry::set_level(*l);
    running_ = next;
    reloads_->add(1);
    pending_ = true;
    pending_version_ = next->version;
    status_ = "reloading";
    publish_status();
    log_info("config reload ({}): version {} offered to the hot threads", why, config::version_string(next->version));
  }

  void begin_stop(const char* why) {
    if (stopping_) return;
    stopping_ = true;
    status_ = "stopping";
    log_info("{}: stopping (draining the rings)", why);
    notify_.send("STOPPING=1\nSTATUS=draining");
    engine_->request_stop();
  }

  void finish() {
    done_ = true;
    http_->stop();
    io_.stop();
  }

  // books.json replaced atomically (a temporary file in the same directory, synced, renamed over
  // it): a reader or a crash never sees a half-written file. It names the run and the time.
  void write_final_state() {
    const auto books = summarize_books(engine_->books(), engine_->source().instruments(), engine_->stage<MonitorStage>().seen);
    const std::string file = running_->system.state_dir + "/books.json";
    const std::string tmp = file + ".tmp." + std::to_string(getpid());
    std::FILE* f = std::fopen(tmp.c_str(), "we");
    bool ok = f != nullptr;
    if (ok) {
      ok = std::fprintf(f,
                        "{\n  \"run_id\": \"%s\",\n  \"started_at\": \"%s\",\n  \"written_at\": \"%s\",\n"
                        "  \"config_version\": \"%s\",\n  \"events\": %llu,\n  \"digest\": \"%016llx\",\n  \"books\": %s\n}\n",
                        run_id_.c_str(), started_at_.c_str(), utc_now().c_str(), config::version_string(in_force_).c_str(),
                        static_cast<unsigned long long>(engine_->source().stats().events),
                        static_cast<unsigned long long>(engine_->stage<MonitorStage>().digest), books_json(books).c_str()) > 0;
      ok = std::fflush(f) == 0 && ok;
      ok = fsync(fileno(f)) == 0 && ok;
      ok = std::fclose(f) == 0 && ok;
    }
    const int err = errno;
    if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
      log_error("cannot write {}: {}", file, std::strerror(ok ? errno : err));
      std::remove(tmp.c_str());
      exit_code_ = 1;
      return;
    }
    if (const int dfd = open(running_->system.state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
      fsync(dfd);  // the rename itself durable
      close(dfd);
    }
    log_info("final books written to {} ({} instruments, run {})", file, books.size(), run_id_);
  }

  // Kill (true) or re-arm: the order thread takes it at its next event or idle step.
  void risk_command(bool kill, const std::string& source) {
    if (kill) {
      control_.request_kill();
      log_warn("risk: KILL requested by {}: new orders refused, every working order cancelled", source);
    } else {
      control_.request_rearm();
      log_warn("risk: RE-ARM requested by {}: kill cleared, every circuit breaker re-armed", source);
    }
  }

  // The learner's counters (engine/learner_link.hpp), read where they are kept (relaxed atomics).
  void register_learner_metrics(const LearnerLink& l) {
    const std::pair<const char*, const RelaxedCounter*> counters[] = {
        {"sent", &l.pushed},        {"dropped", &l.dropped},          {"stored", &l.stored},
        {"unmatched_labels", &l.unmatched}, {"requests", &l.requests}, {"promoted", &l.promoted},
        {"rejected", &l.rejected},  {"failed", &l.failed},            {"swaps", &l.swaps},
        {"drift_alarms", &l.drift_alarms}, {"spills", &l.spills},     {"spill_errors", &l.spill_errors},
        {"versions_freed", &l.freed}};
    for (const auto& [name, c] : counters)
      registry_.gauge_fn("hftd_learner", std::string("what=\"") + name + "\"",
                         "continuous learning: samples sent to the learner (dropped: ring full), labeled samples stored, "
                         "retrain requests and decisions, swaps, drift alarms, spills, replaced versions freed",
                         [c = c] { return static_cast<std::int64_t>(c->get()); });
  }

  // The control HTTP server's own counters (read from its atomics when /metrics renders).
  void register_http_metrics() {
    using F = std::uint64_t telemetry::HttpStats::*;
    const std::pair<const char*, F> fields[] = {
        {"accepted", &telemetry::HttpStats::connections},      {"requests", &telemetry::HttpStats::requests},
        {"rejected_overload", &telemetry::HttpStats::rejected_overload},
        {"evicted_idle", &telemetry::HttpStats::evicted_idle}, {"timeouts", &telemetry::HttpStats::timeouts},
        {"bad_requests", &telemetry::HttpStats::bad_requests}, {"not_allowed", &telemetry::HttpStats::not_allowed},
        {"handler_errors", &telemetry::HttpStats::handler_errors}, {"io_errors", &telemetry::HttpStats::io_errors},
        {"open", &telemetry::HttpStats::open}};
    for (const auto& [name, f] : fields)
      registry_.gauge_fn("hftd_http", std::string("what=\"") + name + "\"",
                         "the control HTTP server: connections accepted, requests answered, connections refused "
                         "at the cap (503), idle ones closed for new ones, timeouts, bad requests, open now",
                         [this, f = f] { return static_cast<std::int64_t>(http_->stats().*f); });
  }

  void register_risk_metrics() {
    risk_kill_ = &registry_.gauge("hftd_risk_kill", "", "1 while the kill switch is in force on the order thread");
    risk_kills_ = &registry_.counter("hftd_risk_kills", "", "kills taken by the order thread (SIGUSR1, POST /risk/kill)");
    risk_rearms_ = &registry_.counter("hftd_risk_rearms", "", "re-arms taken by the order thread (SIGUSR2, POST /risk/rearm)");
    breaker_trips_ = &registry_.counter("hftd_breaker_trips", "", "circuit breaker trips");
    breakers_tripped_ = &registry_.gauge("hftd_breakers_tripped", "", "strategies whose circuit breaker is tripped now (plus 1 for the global set)");
    for (std::size_t e = 0; e < 2; ++e)
      for (std::size_t r = 0; r < kRiskResults; ++r)
        risk_requests_[e][r] = &registry_.counter(
            "hftd_risk_requests",
            std::string("endpoint=\"") + (e ? "kill" : "rearm") + "\",result=\"" + kRiskResultNames[r] + "\"",
            "HTTP requests to /risk/kill and /risk/rearm by result");
  }
  void sync_risk_metrics() {
    const OrderMirror& m = engine_->order_counters();
    risk_kill_->set(static_cast<std::int64_t>(m.killed.get()));
    risk_kills_->set(m.kills.get());
    risk_rearms_->set(m.rearms.get());
    breaker_trips_->set(m.breaker_trips.get());
    breakers_tripped_->set(static_cast<std::int64_t>(m.tripped.get() + (m.global_reason.load(std::memory_order_relaxed) != 0)));
  }

  // POST /risk/kill, /risk/rearm. Every request is counted and logged; the token never is.
  telemetry::Response risk_request(const telemetry::Request& req, bool kill) {
    const char* path = kill ? "/risk/kill" : "/risk/rearm";
    const auto answer = [&](RiskResult r, unsigned status, std::string body, const char* why) {
      risk_requests_[kill][r]->inc();
      if (r == RiskResult::Ok) return telemetry::Response{status, "application/json", std::move(body), {}};
      log_warn("risk: {} {} from {} refused: {} ({})", req.method == telemetry::Method::Post ? "POST" : "GET", path,
               req.remote, why, status);
      return telemetry::Response{status, "text/plain; charset=utf-8", std::move(body), status == 405 ? "POST" : ""};
    };
    if (token_.empty())
      return answer(RiskResult::Disabled, 404, "not found: risk endpoints are off (set risk_management.token_file)\n",
                    "endpoints off");
    if (req.method != telemetry::Method::Post) return answer(RiskResult::NotAllowed, 405, "only POST\n", "not POST");
    const auto tok = req.header("X-HFTD-Token");
    if (!tok) return answer(RiskResult::Unauthorized, 401, "missing X-HFTD-Token header\n", "no token");
    if (!same_secret(*tok, token_)) return answer(RiskResult::Forbidden, 403, "wrong token\n", "wrong token");
    risk_command(kill, std::string("HTTP POST ") + path + " from " + std::string(req.remote));
    std::ostringstream o;
    o << "{\"kill\": " << (control_.kill.load() ? "true" : "false")
      << ", \"rearm_seq\": " << control_.rearm_seq.load() << ", \"note\": \"in force at the order thread's next event; see /status\"}\n";
    return answer(RiskResult::Ok, 200, o.str(), "");
  }

  telemetry::Response handle(const telemetry::Request& req) {
    const std::string_view target = req.target;
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/risk/kill" || path == "/risk/rearm") return risk_request(req, path == "/risk/kill");
    if (req.method != telemetry::Method::Get) return {405, "text/plain; charset=utf-8", "only GET\n", "GET"};
    if (path == "/metrics") {
      metrics_->sync();
      sync_risk_metrics();
      return {200, "text/plain; version=0.0.4; charset=utf-8", registry_.render_prometheus()};
    }
    if (path == "/health") {
      bool ok = !stopping_;
      for (const auto& t : engine_->threads()) ok = ok && !t->done.load();
      const std::string feed = ok ? feed_problem() : std::string();
      ok = ok && feed.empty();
      return {ok ? 200u : 503u, "text/plain; charset=utf-8",
              ok ? "ok\n" : "unavailable: " + (feed.empty() ? status_ : feed) + "\n"};
    }
    if (path == "/status") return {200, "application/json", status_json()};
    return {404, "text/plain; charset=utf-8", "not found: try /metrics, /health, /status\n"};
  }

  std::string status_json() {
    std::ostringstream o;
    o << "{\n  \"state\": \"" << status_ << "\",\n  \"run_id\": \"" << run_id_ << "\",\n"
      << "  \"started_at\": \"" << started_at_ << "\",\n"
      << "  \"config_path\": \"" << json_escape(path_) << "\",\n"
      << "  \"config_version\": \"" << config::version_string(in_force_) << "\",\n"
      << "  \"config_version_offered\": \"" << config::version_string(running_->version) << "\",\n"
      << "  \"reloads\": " << reloads_->value() << ",\n  \"reload_requests\": " << reload_requests_->value()
      << ",\n  \"reload_errors\": " << reload_errors_->value() << ",\n"
      << "  \"last_reload_error\": \"" << json_escape(last_reload_error_) << "\",\n  \"restart_required\": [";
    for (std::size_t i = 0; i < restart_required_.size(); ++i) o << (i ? ", " : "") << '"' << restart_required_[i] << '"';
    o << "],\n  \"uptime_s\": " << std::chrono::duration<double>(Clock::now() - started_).count() << ",\n"
      << "  \"events\": " << engine_->source_counters().events.get() << ",\n"
      << "  \"live_orders\": " << engine_->stage<BookStage>().live_orders.get() << ",\n"
      << "  \"feed_problem\": \"" << json_escape(feed_problem()) << "\",\n";  // "" = the feed can be trusted
    {  // the model served and every version the store refused at start
      const PredictStage& ps = engine_->stage<PredictStage>();
      // The store's version served at start (the learner's swaps are in "learner": the control
      // thread never reads a pointer the learner may free).
      const model::ServingModel* m = ps.owner.get();
      o << "  \"model\": {\"version\": \"" << (m ? json_escape(m->version) : std::string()) << "\", \"horizon\": \""
        << (m ? m->horizon.name() : std::string()) << "\", \"predictions\": " << ps.made_out.get()
        << ", \"labelled\": " << ps.labelled_out.get() << ", \"reason\": \"" << json_escape(m ? std::string() : ps.load.reason)
        << "\", \"refused\": [";
      for (std::size_t i = 0; i < ps.load.refusals.size(); ++i) {
        const auto& r = ps.load.refusals[i];
        o << (i ? ", " : "") << "{\"version\": \"" << json_escape(r.version) << "\", \"file\": \"" << json_escape(r.file)
          << "\", \"reason\": \"" << json_escape(r.reason) << "\"}";
      }
      o << "]},\n";
    }
    o << "  \"learner\": " << (learner_ ? learner_->status_json() : std::string("null")) << ",\n";
    {  // the kill switch and breakers as the order thread last published them
      const OrderMirror& m = engine_->order_counters();
      o << "  \"risk\": {\"kill_requested\": " << (control_.kill.load() ? "true" : "false")
        << ", \"killed\": " << (m.killed.get() ? "true" : "false") << ", \"kills\": " << m.kills.get()
        << ", \"rearms\": " << m.rearms.get() << ", \"breaker_trips\": " << m.breaker_trips.get()
        << ", \"strategies_tripped\": " << m.tripped.get() << ", \"tripped\": [";
      bool first = true;
      const auto tripped = [&](const std::string& who, std::uint8_t r) {
        if (r == 0) return;
        o << (first ? "" : ", ") << "{\"strategy\": " << who << ", \"reason\": \""
          << risk::breaker_reason_name(static_cast<risk::BreakerReason>(r)) << "\"}";
        first = false;
      };
      tripped("\"global\"", m.global_reason.load(std::memory_order_relaxed));
      for (std::size_t s = 0; s < OrderMirror::kMaxReasons; ++s)
        tripped(std::to_string(s), m.reason[s].load(std::memory_order_relaxed));
      o << "]},\n";
    }
    if (const StrategyStage& st = engine_->stage<StrategyStage>(); st.manager) {  // paper trading so far
      o << "  \"strategies\": [";
      for (std::size_t i = 0; i < st.manager->size(); ++i) {
        const StrategyFigures& f = st.figures[i];
        auto v = [](const std::atomic<double>& x) { return x.load(std::memory_order_relaxed); };
        o << (i ? ", " : "") << "{\"name\": \"" << json_escape(st.manager->spec(i).name) << "\", \"type\": \""
          << json_escape(st.manager->spec(i).type) << "\", \"net\": " << v(f.net) << ", \"realized\": " << v(f.realized)
          << ", \"unrealized\": " << v(f.unrealized) << ", \"fees\": " << v(f.fees) << ", \"drawdown\": " << v(f.drawdown)
          << ", \"max_drawdown\": " << v(f.max_drawdown) << ", \"sharpe\": " << v(f.sharpe) << ", \"sortino\": "
          << v(f.sortino) << ", \"win_rate\": " << v(f.win_rate) << ", \"profit_factor\": " << v(f.profit_factor)
          << ", \"orders\": " << f.orders.get() << ", \"fills\": " << f.fills.get() << ", \"halted\": "
          << (f.halted.get() ? "true" : "false") << "}";
      }
      const PredictionFigures& p = st.prediction;
      o << "],\n  \"prediction\": {\"predictions\": " << p.predictions.get() << ", \"labels\": " << p.labels.get()
        << ", \"accuracy\": " << p.accuracy.load() << ", \"log_loss\": " << p.log_loss.load()
        << ", \"mean_confidence\": " << p.mean_confidence.load() << ", \"feature_importance\": [";
      for (std::size_t i = 0; i < importance_.size() && i < 10; ++i)
        o << (i ? ", " : "") << "[\"" << json_escape(importance_[i].first) << "\", " << importance_[i].second << "]";
      o << "]},\n  \"memory_bytes\": " << resident_bytes() << ",\n";
    }
    o << "  \"threads\": [";
    const auto& ts = engine_->threads();
    for (std::size_t i = 0; i < ts.size(); ++i) {
      const ThreadState& t = *ts[i];
      o << (i ? "," : "") << "\n    {\"name\": \"" << t.layout.name << "\", \"stages\": [";
      for (std::size_t k = 0; k < t.layout.stages.size(); ++k) o << (k ? ", " : "") << '"' << t.layout.stages[k] << '"';
      o << "], \"cpu\": " << t.pinned_cpu.load() << ", \"events\": " << t.events.get()
        << ", \"config_version\": \"" << config::version_string(t.applied_version.load()) << "\""
        << ", \"done\": " << (t.done.load() ? "true" : "false") << "}";
    }
    o << "\n  ]\n}\n";
    return o.str();
  }

  std::string path_;
  const std::string run_id_ = new_run_id();  // names this process's run in the log, /status, books.json
  const std::string started_at_ = utc_now();
  std::function<void(std::uint16_t)> on_ready_;
  boost::asio::io_context io_;
  Notifier notify_;
  telemetry::Registry registry_{4096};
  telemetry::LogSink sink_;
  std::shared_ptr<const config::Config> running_;  // last accepted config (offered to the engine)
  risk::Control control_;  // polled by the engine's order thread: declared before (outlives) engine_
  std::string token_;      // POST /risk/... token ("" = endpoints off)
  std::vector<std::pair<std::string, double>> importance_;
  std::uint64_t logged_trips_ = 0;
  Clock::time_point last_kill_check_{};
  std::array<std::uint8_t, OrderMirror::kMaxReasons> logged_reason_{};  // the served model's inputs by gain (at start)
  LearningFactory learning_;
  std::unique_ptr<Learning> learner_;  // before engine_: destroyed after it
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<telemetry::HttpServer> http_;
  std::unique_ptr<EngineMetrics> metrics_;
  telemetry::Counter* reloads_ = nullptr;
  telemetry::Counter* reload_requests_ = nullptr;
  telemetry::Counter* reload_errors_ = nullptr;
  enum RiskResult : std::size_t { Ok, Unauthorized, Forbidden, NotAllowed, Disabled, kRiskResults };
  static constexpr const char* kRiskResultNames[kRiskResults] = {"ok", "unauthorized", "forbidden", "not_allowed", "disabled"};
  telemetry::Counter* risk_requests_[2][kRiskResults] = {};  // [kill][result]
  telemetry::Counter *risk_kills_ = nullptr, *risk_rearms_ = nullptr, *breaker_trips_ = nullptr;
  telemetry::Gauge *risk_kill_ = nullptr, *breakers_tripped_ = nullptr;
  std::uint64_t in_force_ = 0, pending_version_ = 0, last_seen_version_ = 0;
  bool pending_ = false, stopping_ = false, done_ = false;
  int exit_code_ = 0;
  std::string status_ = "starting", last_reload_error_;
  std::vector<std::string> restart_required_;
  FileStamp file_stamp_;
  std::vector<std::uint64_t> beats_;
  Clock::time_point started_ = Clock::now(), last_watch_ = Clock::now(), last_ping_{}, last_summary_ = Clock::now(),
                    last_summary_events_t_ = Clock::now();
  std::uint64_t last_summary_events_ = 0;
  std::uint64_t feed_datagrams_ = 0;  // udp.datagrams at feed_last_datagram_
  Clock::time_point feed_last_datagram_ = Clock::now();
};

}  // namespace

int run_service(const std::string& config_path, const std::function<void(std::uint16_t)>& on_ready,
                const LearningFactory& learning) {
  return Service(config_path, on_ready, learning).run();
}

}  // namespace hft::engine
