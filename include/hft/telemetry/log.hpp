// Binary logging for the hot path, text logging for everything else.
// Hot path: a message is registered once at start-up (register_message: a level and an fmt-style
// format string such as "sequence gap: expected {} got {}", giving a uint16 id); at run time
// LogRing::log(id, args...) stores a 64-byte LogRecord (rdtsc, id, up to five integer/double
// arguments) into an SPSC ring: no formatting, no allocation, no lock, no syscall. A full ring
// drops the record and counts it; it never blocks.
// Control thread: LogSink::drain() pops every ring, formats the records (their tsc converted to
// wall time) and hands them to an spdlog async logger, whose worker thread writes the lines.
// log_info/log_warn/log_error go straight to spdlog (control and start-up code only: ~150 ns+).
// May touch: spdlog (the default logger, its thread pool, the log file or stderr), tsc_clock.
#pragma once
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "hft/core/spsc_ring.hpp"
#include "hft/telemetry/tsc_clock.hpp"

namespace hft::telemetry {

// Same order and values as spdlog::level::level_enum.
enum class Level : std::uint8_t { trace = 0, debug, info, warn, error, critical, off };
// "trace", "debug", "info", "warn"/"warning", "error"/"err", "critical", "off".
std::optional<Level> parse_level(std::string_view s) noexcept;
const char* level_name(Level l) noexcept;

enum class ArgType : std::uint8_t { I64 = 0, U64 = 1, F64 = 2 };

struct alignas(64) LogRecord {
  std::uint64_t tsc;
  std::uint16_t id;
  std::uint8_t level;
  std::uint8_t nargs;
  std::uint32_t types;  // ArgType of argument i in bits [2i, 2i+2)
  std::int64_t args[5];
};
static_assert(sizeof(LogRecord) == 64, "one cache line");
static_assert(std::is_trivially_copyable_v<LogRecord>);

inline constexpr std::size_t kMaxMessages = 4096;

// Start-up: registers a message (the format string is copied) and returns its id. Thread-safe.
// Throws std::length_error after kMaxMessages registrations.
std::uint16_t register_message(Level level, const char* fmt);
// The format string of an id, or nullptr if none was registered under it.
const char* message_format(std::uint16_t id) noexcept;

// The threshold for both paths: ring records below it are not even stored, and the spdlog
// default logger is set to it. Any thread, any time (SIGHUP reload).
void set_level(Level l);
Level level() noexcept;

namespace detail {
extern std::atomic<std::uint8_t> g_min_level;
// level + 1 per id; 0 = not registered (logged as error so that a bad id is seen).
extern std::atomic<std::uint8_t> g_msg_level[kMaxMessages];

inline std::uint8_t msg_level(std::uint16_t id) noexcept {
  if (id >= kMaxMessages) return static_cast<std::uint8_t>(Level::error);
  const std::uint8_t v = g_msg_level[id].load(std::memory_order_relaxed);
  return v ? static_cast<std::uint8_t>(v - 1) : static_cast<std::uint8_t>(Level::error);
}

template <class T>
inline void put_arg(LogRecord& r, unsigned i, T v) noexcept {
  if constexpr (std::is_enum_v<T>) {
    put_arg(r, i, static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    r.args[i] = std::bit_cast<std::int64_t>(static_cast<double>(v));
    r.types |= static_cast<std::uint32_t>(ArgType::F64) << (2 * i);
  } else if constexpr (std::is_same_v<T, bool>) {
    r.args[i] = v ? 1 : 0;
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    r.args[i] = std::bit_cast<std::int64_t>(static_cast<std::uint64_t>(v));
    r.types |= static_cast<std::uint32_t>(ArgType::U64) << (2 * i);
  } else {
    static_assert(std::is_integral_v<T>, "LogRing::log takes integers, enums and floating point only");
    r.args[i] = static_cast<std::int64_t>(v);
  }
}
}  // namespace detail

// One producer thread (the hot thread that owns it), one consumer (the LogSink).
class LogRing {
 public:
  explicit LogRing(std::size_t capacity = 4096, std::string name = "hot")
      : ring_(capacity), name_(std::move(name)) {}
  LogRing(const LogRing&) = delete;
  LogRing& operator=(const LogRing&) = delete;

  // Producer. Returns false only when the ring was full: the record is dropped and counted.
  // Records below the current level are skipped (returns true; not a drop).
  template <class... A>
  bool log(std::uint16_t id, A... args) noexcept {
    static_assert(sizeof...(A) <= 5, "at most five arguments");
    const std::uint8_t lvl = detail::msg_level(id);
    if (lvl < detail::g_min_level.load(std::memory_order_relaxed)) return true;
    LogRecord r;
    r.tsc = rdtsc();
    r.id = id;
    r.level = lvl;
    r.nargs = static_cast<std::uint8_t>(sizeof...(A));
    r.types = 0;
    unsigned i = 0;
    (detail::put_arg(r, i++, args), ...);
    for (unsigned j = sizeof...(A); j < 5; ++j) r.args[j] = 0;
    if (!ring_.try_push(r)) [[unlikely]] {
      dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }

  // Consumer (LogSink).
  std::size_t pop_batch(LogRecord* out, std::size_t max) noexcept { return ring_.pop_batch(out, max); }

  // Any thread.
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  std::size_t size_approx() const noexcept { return ring_.size_approx(); }
  std::size_t capacity() const noexcept { return ring_.capacity(); }
  const std::string& name() const noexcept { return name_; }

 private:
  SpscRing<LogRecord> ring_;
  std::atomic<std::uint64_t> dropped_{0};
  const std::string name_;
};

// Owned by the control thread: drains rings into an spdlog logger.
class LogSink {
 public:
  // logger: where records go; nullptr = spdlog's default logger (as set by init_logging), looked
  // up at each drain. cal converts record timestamps to wall time.
  explicit LogSink(std::shared_ptr<spdlog::logger> logger = nullptr,
                   TscCalibration cal = calibrate_tsc(std::chrono::milliseconds(20)));
  // The ring must outlive the sink. Control thread, before or between drains.
  void add_ring(LogRing& ring);
  // Pops every record available in every ring (ring by ring: order is kept within a ring) and
  // forwards it; reports new drops of each ring as a warning. Returns records forwarded.
  std::size_t drain();

  std::uint64_t forwarded() const noexcept { return forwarded_.load(std::memory_order_relaxed); }
  std::uint64_t format_errors() const noexcept { return format_errors_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const noexcept;  // sum over the rings

  // Formats one record's text (without time/level) as drain() does; for tests and tools.
  static std::string format(const LogRecord& r);

 private:
  struct RingState {
    LogRing* ring;
    std::uint64_t reported_drops = 0;
  };
  std::shared_ptr<spdlog::logger> logger_;
  TscCalibration cal_;
  std::int64_t wall_minus_mono_ns_;
  std::vector<RingState> rings_;
  std::atomic<std::uint64_t> forwarded_{0};
  std::atomic<std::uint64_t> format_errors_{0};
};

// Start-up: creates spdlog's thread pool (queue_size records, one worker thread) and an async
// logger named "hftd" writing to `file` (appended; "" = stderr), makes it spdlog's default
// logger and sets the level. When the queue is full the caller (control thread) waits; the hot
// path never calls spdlog. Lines are flushed at warn and above and every second.
// Call before other threads log; throws std::runtime_error if the file cannot be opened.
std::shared_ptr<spdlog::logger> init_logging(Level level, const std::string& file = "",
                                             std::size_t queue_size = 8192);
// Log rotation: opens the log file by its name again (after it was renamed) and writes there from
// now on; records already queued may land in either file, none is lost. "" when done or when
// logging to stderr; otherwise the reason, and logging goes on into the old file. Any thread.
std::string reopen_log_file();
// Writes out everything queued and stops the logging thread (spdlog::shutdown). Call at exit.
// Afterwards a synchronous stderr logger is the default (records logged later are not lost).
void shutdown_logging();

// Direct text logging (control thread, start-up): straight to spdlog's default logger.
template <class... A>
void log_debug(fmt::format_string<A...> f, A&&... a) {
  spdlog::default_logger_raw()->debug(f, std::forward<A>(a)...);
}
template <class... A>
void log_info(fmt::format_string<A...> f, A&&... a) {
  spdlog::default_logger_raw()->info(f, std::forward<A>(a)...);
}
template <class... A>
void log_warn(fmt::format_string<A...> f, A&&... a) {
  spdlog::default_logger_raw()->warn(f, std::forward<A>(a)...);
}
template <class... A>
void log_error(fmt::format_string<A...> f, A&&... a) {
  spdlog::default_logger_raw()->error(f, std::forward<A>(a)...);
}

}  // namespace hft::telemetry
