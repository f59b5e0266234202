#include "hft/telemetry/log.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include <fmt/args.h>
#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace hft::telemetry {

namespace detail {
std::atomic<std::uint8_t> g_min_level{static_cast<std::uint8_t>(Level::info)};
std::atomic<std::uint8_t> g_msg_level[kMaxMessages];
}  // namespace detail

namespace {

// Format strings: written once under the mutex, then published by the release store of the
// count, so readers (the drain) need no lock.
struct MessageTable {
  std::mutex mu;
  std::array<std::unique_ptr<char[]>, kMaxMessages> fmt;
  std::atomic<std::size_t> count{0};
};
MessageTable& table() {
  static MessageTable t;
  return t;
}

}  // namespace

std::optional<Level> parse_level(std::string_view s) noexcept {
  if (s == "trace") return Level::trace;
  if (s == "debug") return Level::debug;
  if (s == "info") return Level::info;
  if (s == "warn" || s == "warning") return Level::warn;
  if (s == "error" || s == "err") return Level::error;
  if (s == "critical") return Level::critical;
  if (s == "off") return Level::off;
  return std::nullopt;
}

const char* level_name(Level l) noexcept {
  switch (l) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::critical: return "critical";
    case Level::off: return "off";
  }
  return "?";
}

std::uint16_t register_message(Level level, const char* fmt) {
  MessageTable& t = table();
  std::lock_guard lock(t.mu);
  const std::size_t id = t.count.load(std::memory_order_relaxed);
  if (id >= kMaxMessages)
    throw std::length_error("log: more than " + std::to_string(kMaxMessages) + " messages registered");
  const std::size_t n = fmt ? std::strlen(fmt) : 0;
  auto copy = std::make_unique<char[]>(n + 1);
  if (n) std::memcpy(copy.get(), fmt, n);
  copy[n] = '\0';
  t.fmt[id] = std::move(copy);
  detail::g_msg_level[id].store(static_cast<std::uint8_t>(static_cast<std::uint8_t>(level) + 1),
                                std::memory_order_relaxed);
  t.count.store(id + 1, std::memory_order_release);
  return static_cast<std::uint16_t>(id);
}

const char* message_format(std::uint16_t id) noexcept {
  MessageTable& t = table();
  if (id >= t.count.load(std::memory_order_acquire)) return nullptr;
  return t.fmt[id].get();
}

void set_level(Level l) {
  detail::g_min_level.store(static_cast<std::uint8_t>(l), std::memory_order_relaxed);
  spdlog::set_level(static_cast<spdlog::level::level_enum>(l));
}

Level level() noexcept {
  return static_cast<Level>(detail::g_min_level.load(std::memory_order_relaxed));
}

LogSink::LogSink(std::shared_ptr<spdlog::logger> logger, TscCalibration cal)
    : logger_(std::move(logger)), cal_(cal) {
  // One simultaneous-enough reading of both clocks maps CLOCK_MONOTONIC to wall time.
  const std::int64_t m0 = monotonic_ns();
  const std::int64_t w = realtime_ns();
  const std::int64_t m1 = monotonic_ns();
  wall_minus_mono_ns_ = w - (m0 + (m1 - m0) / 2);
}

// Drops that happened before the ring was added are reported at the first drain too.
void LogSink::add_ring(LogRing& ring) { rings_.push_back(RingState{&ring, 0}); }

std::uint64_t LogSink::dropped() const noexcept {
  std::uint64_t n = 0;
  for (const auto& r : rings_) n += r.ring->dropped();
  return n;
}

namespace {

// Returns false (with a readable fallback text in out) when the format string does not fit
// the arguments.
bool format_into(const LogRecord& r, fmt::memory_buffer& out,
                 fmt::dynamic_format_arg_store<fmt::format_context>& store) {
  const char* f = message_format(r.id);
  const unsigned nargs = r.nargs <= 5 ? r.nargs : 5;
  store.clear();
  for (unsigned i = 0; i < nargs; ++i) {
    switch (static_cast<ArgType>((r.types >> (2 * i)) & 3u)) {
      case ArgType::U64: store.push_back(std::bit_cast<std::uint64_t>(r.args[i])); break;
      case ArgType::F64: store.push_back(std::bit_cast<double>(r.args[i])); break;
      default: store.push_back(r.args[i]); break;
    }
  }
  if (f) {
    try {
      fmt::vformat_to(std::back_inserter(out), fmt::string_view(f), store);
      return true;
    } catch (const fmt::format_error&) {
      out.clear();
    }
  }
  // Unknown id or a format string that does not fit its arguments: say so, keep the data.
  fmt::format_to(std::back_inserter(out), "[log id {}{}{}]", r.id, f ? ": bad format: " : ": unknown id",
                 f ? f : "");
  for (unsigned i = 0; i < nargs; ++i) fmt::format_to(std::back_inserter(out), " {}", r.args[i]);
  return false;
}

}  // namespace

std::string LogSink::format(const LogRecord& r) {
  fmt::memory_buffer buf;
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  format_into(r, buf, store);
  return fmt::to_string(buf);
}

std::size_t LogSink::drain() {
  spdlog::logger* lg = logger_ ? logger_.get() : spdlog::default_logger_raw();
  if (!lg) return 0;
  std::array<LogRecord, 64> batch;
  fmt::memory_buffer buf;
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  std::size_t total = 0;
  std::uint64_t bad = 0;
  for (RingState& rs : rings_) {
    for (;;) {
      const std::size_t n = rs.ring->pop_batch(batch.data(), batch.size());
      if (n == 0) break;
      for (std::size_t i = 0; i < n; ++i) {
        const LogRecord& r = batch[i];
        const auto lvl = static_cast<spdlog::level::level_enum>(
            r.level <= static_cast<std::uint8_t>(Level::critical) ? r.level : static_cast<std::uint8_t>(Level::error));
        if (!lg->should_log(lvl)) continue;
        buf.clear();
        if (!format_into(r, buf, store)) ++bad;
        const std::int64_t wall = cal_.to_monotonic_ns(r.tsc) + wall_minus_mono_ns_;
        const spdlog::log_clock::time_point tp(
            std::chrono::duration_cast<spdlog::log_clock::duration>(std::chrono::nanoseconds(wall)));
        lg->log(tp, spdlog::source_loc{}, lvl, spdlog::string_view_t(buf.data(), buf.size()));
        ++total;
      }
    }
    const std::uint64_t d = rs.ring->dropped();
    if (d != rs.reported_drops) {
      lg->warn("log ring '{}' dropped {} records (full ring), {} in total", rs.ring->name(),
               d - rs.reported_drops, d);
      rs.reported_drops = d;
    }
  }
  forwarded_.store(forwarded_.load(std::memory_order_relaxed) + total, std::memory_order_relaxed);
  format_errors_.store(format_errors_.load(std::memory_order_relaxed) + bad, std::memory_order_relaxed);
  return total;
}

namespace {

// An appending file sink that can be reopened by name (log rotation: the file was renamed, a new
// one is wanted). The new file is opened before the old one is closed, so a failed reopen leaves
// logging where it was. The async logger's worker writes under the sink's mutex; reopen takes it.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(std::string path) : path_(std::move(path)) {
    // Missing directories are created, as spdlog's own file sink does.
    std::error_code ec;
    if (const auto dir = std::filesystem::path(path_).parent_path(); !dir.empty()) std::filesystem::create_directories(dir, ec);
    file_ = open_append(path_);
    if (!file_) throw std::runtime_error("log: cannot open log file '" + path_ + "': " + std::strerror(errno));
  }
  ~ReopenableFileSink() override {
    if (file_) std::fclose(file_);
  }
  std::string reopen() {
    std::FILE* next = open_append(path_);
    if (!next) return "cannot reopen log file '" + path_ + "': " + std::strerror(errno) + "; still writing to the old one";
    std::lock_guard lock(mutex_);
    std::fflush(file_);
    std::fclose(file_);
    file_ = next;
    return {};
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::fwrite(formatted.data(), 1, formatted.size(), file_);
  }
  void flush_() override { std::fflush(file_); }

 private:
  static std::FILE* open_append(const std::string& p) {
    std::FILE* f = std::fopen(p.c_str(), "ae");  // e: O_CLOEXEC
    return f;
  }
  std::string path_;
  std::FILE* file_ = nullptr;
};

std::mutex g_file_sink_mu;
std::shared_ptr<ReopenableFileSink> g_file_sink;  // null when logging to stderr

}  // namespace

std::string reopen_log_file() {
  std::shared_ptr<ReopenableFileSink> s;
  {
    std::lock_guard lock(g_file_sink_mu);
    s = g_file_sink;
  }
  return s ? s->reopen() : std::string();
}

std::shared_ptr<spdlog::logger> init_logging(Level level, const std::string& file, std::size_t queue_size) {
  spdlog::sink_ptr sink;
  std::shared_ptr<ReopenableFileSink> file_sink;
  if (file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    file_sink = std::make_shared<ReopenableFileSink>(file);
    sink = file_sink;
  }
  {
    std::lock_guard lock(g_file_sink_mu);
    g_file_sink = file_sink;
  }
  spdlog::init_thread_pool(queue_size ? queue_size : 8192, 1);
  auto logger = std::make_shared<spdlog::async_logger>("hftd", std::move(sink), spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::block);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  set_level(level);
  spdlog::flush_every(std::chrono::seconds(1));
  return logger;
}

void shutdown_logging() {
  // spdlog::shutdown() destroys the thread pool (its destructor writes out the queue and joins
  // the worker) after dropping the loggers. Holding the default logger across it makes the
  // logger die here, after the join, rather than wherever the last queued message released it.
  std::shared_ptr<spdlog::logger> keep = spdlog::default_logger();
  spdlog::shutdown();
  keep.reset();
  {
    std::lock_guard lock(g_file_sink_mu);
    g_file_sink.reset();
  }
  // spdlog::shutdown() leaves no default logger, and log_info() etc. would then dereference null:
  // later records (a second daemon in the same process, as in the tests) go to stderr, unbuffered.
  auto fallback = std::make_shared<spdlog::logger>("hftd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  fallback->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(std::move(fallback));
}

}  // namespace hft::telemetry
