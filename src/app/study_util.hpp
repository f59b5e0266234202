// What the study commands share: the books option, JSON numbers, clock times and the
// --start / --end session.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "hft/book/order_book.hpp"
#include "hft/core/types.hpp"

namespace hft::app {

// The books a command builds from a source: --max-orders (default 2^22) live orders.
inline book::BookConfig book_config(const Options& o) {
  book::BookConfig c;
  c.max_orders = static_cast<std::size_t>(o.integer("--max-orders", 1 << 22, 1, 1LL << 32));
  c.max_levels = std::min<std::size_t>(c.max_orders, 1 << 20);
  return c;
}

// A JSON number; NaN and infinities become null.
inline std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char b[32];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

// hh:mm:ss of a time of day (ns since midnight on the source's clock); with_ms: .mmm too.
inline std::string clock_time(Nanos t, bool with_ms = false) {
  const long long ms = t / 1'000'000;
  char b[40];
  if (with_ms)
    std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld.%03lld", ms / 3'600'000, (ms / 60'000) % 60, (ms / 1000) % 60, ms % 1000);
  else
    std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld", ms / 3'600'000, (ms / 60'000) % 60, (ms / 1000) % 60);
  return b;
}

// An option's HH:MM as ns since midnight; UsageError naming the option otherwise.
inline Nanos parse_hhmm(const char* opt, const std::string& s) {
  int h = 0, m = 0;
  char extra = 0;
  if (std::sscanf(s.c_str(), "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 || m > 59)
    throw UsageError(std::string(opt) + ": '" + s + "' is not HH:MM");
  return (h * 3600LL + m * 60LL) * 1'000'000'000LL;
}

// --start / --end HH:MM (default 09:30-16:00) into from / to.
inline void session_options(const Options& o, Nanos& from, Nanos& to) {
  from = parse_hhmm("--start", o.str("--start", "09:30"));
  to = parse_hhmm("--end", o.str("--end", "16:00"));
  if (to <= from) throw UsageError("--end must be after --start");
}

}  // namespace hft::app
