// A fixed-capacity registry of counters, gauges and latency histograms, rendered in the
// Prometheus text exposition format 0.0.4 for GET /metrics.
// Registration (start-up, rare) allocates and takes the registry mutex; it returns references
// that stay valid for the registry's life (series live in a std::deque, never moved). Updating
// a Counter or Gauge afterwards is lock-free and allocation-free. render_prometheus() takes the
// mutex too, so registering while another thread renders is safe.
// Histograms are rendered as summaries (quantiles 0.5, 0.9, 0.99, 0.999 plus _sum and _count),
// in nanoseconds, and HELP says so.
// May touch: histogram.hpp (reads registered histograms through snapshot()).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hft/telemetry/histogram.hpp"

namespace hft::telemetry {

// A monotonically growing count. add() and inc() are for ONE writer thread (relaxed load+store,
// no locked instruction); value() may be read from any thread. set() mirrors a plain counter
// that a stage already keeps, at a publish point (still by one writer).
class Counter {
 public:
  void add(std::uint64_t n) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void inc() noexcept { add(1); }
  void set(std::uint64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// A value that goes up and down. Same single-writer rule as Counter.
class Gauge {
 public:
  void set(std::int64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t n) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

class Registry {
 public:
  explicit Registry(std::size_t capacity = 1024);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // family: a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). Counter families are rendered with a
  // "_total" suffix (added unless already there). labels: "" or name="value" pairs separated by
  // commas, e.g. kind="Add",side="B"; values are raw text (escaped when rendered; quotes inside
  // a value are fine unless followed by a comma). help: the family's HELP text (the first
  // registration's wins).
  // Registering the same family+labels again returns the same series. Throws
  // std::invalid_argument on a bad name/labels or a family registered with another type, and
  // std::length_error when the capacity is used up (start-up errors, reported clearly).
  Counter& counter(std::string_view family, std::string_view labels, std::string_view help);
  Gauge& gauge(std::string_view family, std::string_view labels, std::string_view help);
  // The histogram must outlive the registry (or at least every render). HELP gets
  // " (nanoseconds)" appended.
  void histogram(std::string_view family, std::string_view labels, const LatencyHistogram* h,
                 std::string_view help = "latency");
  // A gauge read at render time (e.g. a ring's size_approx()); fn runs on the rendering thread
  // under the registry mutex, so it must be cheap and must not call back into the registry.
  void gauge_fn(std::string_view family, std::string_view labels, std::string_view help,
                std::function<std::int64_t()> fn);

  // The same with a real value (P&L in currency, ratios), rendered with full precision.
  void gauge_fn_real(std::string_view family, std::string_view labels, std::string_view help,
                     std::function<double()> fn);

  std::string render_prometheus() const;

  std::size_t size() const;
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  enum class Type : std::uint8_t { Counter, Gauge, Summary };
  struct Series {
    std::string labels;  // rendered: name="escaped value",...
    Counter counter;
    Gauge gauge;
    const LatencyHistogram* hist = nullptr;
    std::function<std::int64_t()> fn;
    std::function<double()> real_fn;
  };
  struct Family {
    std::string name;  // as rendered (counters with _total)
    std::string help;
    Type type;
    std::vector<Series*> series;
  };
  // Finds or creates a series; hist/fn (if given) are set under the lock, before any render
  // can see the series.
  Series& add(std::string_view family, std::string_view labels, std::string_view help, Type type,
              const LatencyHistogram* hist, std::function<std::int64_t()>* fn);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Series> series_;
  std::vector<Family> families_;
};

// Prometheus label-value escaping: backslash, double quote and newline.
std::string escape_label_value(std::string_view v);

}  // namespace hft::telemetry
