// config.yml loading. The schema is written once, in visit_config(): every setting with its key,
// range and whether changing it needs a restart. Three visitors walk it: the Parser (YAML ->
// Config, type and range errors, unknown keys), the Checker (range checks of a Config built in
// code, and required values the file left out) and the Flattener (path = value, for diff()).
// Cross-field rules are in cross_check(), after the walk.
#include "hft/config/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <thread>
#include <type_traits>

#include <yaml-cpp/yaml.h>

namespace hft::config {
namespace {

constexpr bool kRestart = true;
constexpr bool kReload = false;

struct IntRange {
  std::int64_t lo, hi;
};
struct RealRange {
  double lo, hi;
  bool lo_open = false;  // (lo, hi] instead of [lo, hi]
};
constexpr RealRange positive(double hi) { return {0, hi, true}; }

// Extra rule on a value: returns the reason it is wrong, or "" when it is fine.
using IntRule = std::string (*)(std::int64_t);
using StrRule = std::string (*)(std::string_view);

// ---------------------------------------------------------------------------------------------
// Errors, at most one per setting (a value the parser rejected is not reported again as missing
// or inconsistent).

class Errors {
 public:
  explicit Errors(std::vector<ConfigError>& out) : out_(out) {}
  // Skipped when the setting, or a setting that contains it, already has an error.
  // line: 0-based line in the file, for reporting in file order; cross-field errors come last.
  void add(std::string path, std::string reason, int line = std::numeric_limits<int>::max()) {
    if (!path.empty())
      for (const auto& e : out_)
        if (!e.path.empty() && within(path, e.path)) return;
    out_.push_back({std::move(path), std::move(reason)});
    lines_.push_back(line < 0 ? std::numeric_limits<int>::max() : line);
  }
  void sort_by_line() {
    std::vector<std::size_t> order(out_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lines_[a] < lines_[b]; });
    std::vector<ConfigError> sorted;
    for (std::size_t i : order) sorted.push_back(std::move(out_[i]));
    out_ = std::move(sorted);
  }
  bool has(std::string_view path) const {
    return std::any_of(out_.begin(), out_.end(), [&](const ConfigError& e) { return e.path == path; });
  }
  // No error at `path`, inside it or at a setting containing it (cross-field rules skip
  // settings already reported).
  bool clean(std::string_view path) const {
    for (const auto& e : out_)
      if (e.path.empty() || within(e.path, path) || within(path, e.path)) return false;
    return true;
  }
  bool any() const { return !out_.empty(); }

 private:
  // path is outer or a setting inside outer ("a.b[2].c" is within "a.b" and "a.b[2]").
  static bool within(std::string_view path, std::string_view outer) {
    return path.substr(0, outer.size()) == outer &&
           (path.size() == outer.size() || path[outer.size()] == '.' || path[outer.size()] == '[');
  }
  std::vector<ConfigError>& out_;
  std::vector<int> lines_;
};

// ---------------------------------------------------------------------------------------------
// Small helpers: numbers as text, edit distance, value rules.

std::string real_text(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

std::string exact_real_text(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean X?)" for the closest candidate within a few edits, else "".
template <class Range>
std::string suggestion(std::string_view word, const Range& candidates) {
  std::string_view best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (std::string_view c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  // A word that starts with a candidate ("spinning" for spin) or the other way round.
  for (std::string_view c : candidates)
    if (best_d > 2 && std::min(c.size(), word.size()) >= 3 &&
        (word.substr(0, c.size()) == c || c.substr(0, word.size()) == word))
      return " (did you mean " + std::string(c) + "?)";
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  if (best_d == 0 || best_d > limit || best_d >= word.size()) return {};
  return " (did you mean " + std::string(best) + "?)";
}

template <class Range>
std::string join(const Range& items, const char* sep = ", ") {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string power_of_two(std::int64_t v) {
  return v > 0 && (v & (v - 1)) == 0 ? "" : "must be a power of two, got " + std::to_string(v);
}

bool parse_ipv4(std::string_view s, std::uint32_t& out) {
  std::uint32_t addr = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    std::size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i || j - i > 3) return false;
    unsigned v = 0;
    std::from_chars(s.data() + i, s.data() + j, v);
    if (v > 255) return false;
    addr = addr << 8 | v;
    ++parts;
    if (parts < 4) {
      if (j >= s.size() || s[j] != '.') return false;
      i = j + 1;
    } else if (j != s.size()) {
      return false;
    }
  }
  out = addr;
  return true;
}

std::string ipv4(std::string_view s) {
  std::uint32_t a = 0;
  return parse_ipv4(s, a) ? "" : "expected a dotted IPv4 address, got '" + std::string(s) + "'";
}
std::string ipv4_or_empty(std::string_view s) { return s.empty() ? "" : ipv4(s); }
std::string multicast_or_empty(std::string_view s) {
  if (s.empty()) return "";
  std::uint32_t a = 0;
  if (!parse_ipv4(s, a)) return ipv4(s);
  if ((a >> 28) != 0xE)
    return "'" + std::string(s) + "' is not a multicast address (224.0.0.0/4)";
  return "";
}
std::string non_empty(std::string_view s) { return s.empty() ? "must not be empty" : ""; }
// "ADDR:PORT" (port_required) or "ADDR[:PORT]", dotted IPv4, port 1..65535.
std::string endpoint_text(std::string_view s, bool port_required) {
  const auto colon = s.rfind(':');
  const std::string want = port_required ? "ADDR:PORT" : "ADDR or ADDR:PORT";
  const std::string bad = "expected " + want + " (dotted IPv4, port 1..65535), got '" + std::string(s) + "'";
  if (colon == std::string_view::npos) {
    std::uint32_t a = 0;
    return port_required || !parse_ipv4(s, a) ? bad : "";
  }
  std::uint32_t a = 0;
  unsigned port = 0;
  const std::string_view p = s.substr(colon + 1);
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (!parse_ipv4(s.substr(0, colon), a) || p.empty() || ec != std::errc() || end != p.data() + p.size() || port == 0 ||
      port > 65535)
    return bad;
  return "";
}
std::string endpoint_or_empty(std::string_view s) { return s.empty() ? "" : endpoint_text(s, true); }
std::string source_entry(std::string_view s) { return endpoint_text(s, false); }

template <std::size_t N>
std::string one_of(std::string_view s, const std::array<std::string_view, N>& names) {
  if (std::find(names.begin(), names.end(), s) != names.end()) return "";
  return "expected one of " + join(names) + ", got '" + std::string(s) + "'" + suggestion(s, names);
}
std::string log_level(std::string_view s) { return one_of(s, kLogLevels); }
constexpr std::array<std::string_view, 2> kFeedModes = {"udp", "replay"};
std::string feed_mode(std::string_view s) { return one_of(s, kFeedModes); }
constexpr std::array<std::string_view, 4> kDriftMethods = {"page_hinkley", "adwin", "both", "off"};
std::string drift_method(std::string_view s) { return one_of(s, kDriftMethods); }
constexpr std::array<std::string_view, 2> kSampleOn = {"change", "grid"};
std::string sample_on(std::string_view s) { return one_of(s, kSampleOn); }

std::string thread_name(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 15) return "at most 15 characters (a Linux thread name), got '" + std::string(s) + "'";
  return "";
}
std::string symbol(std::string_view s) {
  if (s.empty() || s.size() > 8) return "a symbol has 1..8 characters, got '" + std::string(s) + "'";
  for (char ch : s)
    if (ch <= ' ' || ch > '~') return "a symbol has no spaces or control characters, got '" + std::string(s) + "'";
  return "";
}
std::string venue_symbol(std::string_view s) {
  if (s.empty() || s.size() > 16) return "a symbol has 1..16 characters, got '" + std::string(s) + "'";
  for (char ch : s)
    if (ch <= ' ' || ch > '~') return "a symbol has no spaces or control characters, got '" + std::string(s) + "'";
  return "";
}
constexpr std::array<std::string_view, 2> kMarkets = {"spot", "usdm"};
std::string instrument_market(std::string_view s) { return one_of(s, kMarkets); }
std::string decimal_text(std::string_view s) {
  std::int64_t u = 0;
  if (const auto e = parse_decimal(s, 1'000'000'000'000'000'000LL, u); e != DecimalError::None || u <= 0)
    return "expected a positive decimal number like 0.01, got '" + std::string(s) + "'";
  return "";
}
std::string symbol_pair(std::string_view s) {
  const auto k = s.find('/');
  if (k == std::string_view::npos) return "expected Y/X (two symbols), got '" + std::string(s) + "'";
  if (auto why = symbol(s.substr(0, k)); !why.empty()) return why;
  if (auto why = symbol(s.substr(k + 1)); !why.empty()) return why;
  if (s.substr(0, k) == s.substr(k + 1)) return "a pair of two different symbols, got '" + std::string(s) + "'";
  return "";
}
std::string source_or_empty(std::string_view s) {
  if (s.empty()) return "";
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size())
    return "expected KIND:PATH (e.g. pcap:day.pcap), got '" + std::string(s) + "'";
  return "";
}
constexpr std::array<std::string_view, 2> kTargets = {"direction", "return"};
std::string model_target(std::string_view s) { return one_of(s, kTargets); }
constexpr std::array<std::string_view, 3> kModelSampleOn = {"event", "top", "time"};
std::string model_sample_on(std::string_view s) { return one_of(s, kModelSampleOn); }
constexpr std::array<std::string_view, 2> kThresholdUnits = {"ticks", "bps"};
std::string threshold_unit(std::string_view s) { return one_of(s, kThresholdUnits); }
constexpr std::array<std::string_view, 6> kMembers = {"boosted", "forest", "mlp", "logistic", "bayes", "return"};
std::string member(std::string_view s) { return one_of(s, kMembers); }
// A horizon: a count of events ("50", "50ev") or an exchange time ("500ms", "2s", "100us").
std::string horizon(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  const std::string_view unit = s.substr(i);
  if (i == 0 || i > 12 || s[0] == '0' ||
      !(unit.empty() || unit == "ev" || unit == "ns" || unit == "us" || unit == "ms" || unit == "s"))
    return "a horizon is a count of events (50, 50ev) or a time (500ms, 2s, 100us), > 0, got '" + std::string(s) + "'";
  return "";
}
std::string horizon_or_empty(std::string_view s) { return s.empty() ? "" : horizon(s); }
std::string threshold(std::string_view s) {
  if (s == "balance") return "";
  char* end = nullptr;
  const std::string t(s);
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v) || v < 0 || v > 1e6)
    return "balance, or a number of ticks or bps in [0, 1e6], got '" + t + "'";
  return "";
}
std::string layer_width(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0 || i != s.size() || i > 3 || std::stoi(std::string(s)) < 1 || std::stoi(std::string(s)) > 256)
    return "a layer width is an integer in 1..256, got '" + std::string(s) + "'";
  return "";
}

std::string check_int(std::int64_t v, IntRange r, IntRule rule) {
  if (v < r.lo || v > r.hi)
    return "must be in " + std::to_string(r.lo) + ".." + std::to_string(r.hi) + ", got " + std::to_string(v);
  return rule ? rule(v) : "";
}

std::string check_real(double v, RealRange r) {
  if (!std::isfinite(v)) return "must be a finite number, got " + real_text(v);
  const bool ok = (r.lo_open ? v > r.lo : v >= r.lo) && v <= r.hi;
  if (ok) return "";
  if (r.lo_open && r.lo == 0) return "must be > 0 and <= " + real_text(r.hi) + ", got " + real_text(v);
  return std::string("must be in ") + (r.lo_open ? "(" : "[") + real_text(r.lo) + ", " + real_text(r.hi) +
         "], got " + real_text(v);
}

// ---------------------------------------------------------------------------------------------
// The schema. Keys in the order of config/config.yml; the order is also diff()'s order.

template <class V, class C>
void visit_config(V& v, C& c, std::int64_t max_core) {
  v.section("system", kReload, [&] {
    auto& s = c.system;
    v.text("state_dir", s.state_dir, kRestart, non_empty);
    v.text("model_dir", s.model_dir, kRestart, non_empty);
    v.integer("ring_capacity", s.ring_capacity, {1024, 1 << 22}, kRestart, power_of_two);  // 128 B a slot: 512 MB a ring
    v.enumeration("ring_full", s.ring_full, kRingFullNames, kRestart);
    v.list("layout", s.layout, kRestart, [&](auto& t) {
      v.text("name", t.name, kRestart, thread_name);
      v.texts("stages", t.stages, kRestart, nullptr);
      v.integer("core", t.core, {-1, max_core}, kRestart);
      v.enumeration("idle", t.idle, kIdleNames, kRestart);
      v.integer("fifo_priority", t.fifo_priority, {0, 99}, kRestart);
    });
    v.integer("control_core", s.control_core, {-1, max_core}, kRestart);
    v.enumeration("background_priority", s.background_priority, kBackgroundPriorityNames, kRestart);
    v.integer("max_instruments", s.max_instruments, {1, 1 << 16}, kRestart);
    v.integer("scheduler_capacity", s.scheduler_capacity, {16, 1 << 24}, kRestart);
    v.text("log_level", s.log_level, kReload, log_level);
    v.text("log_file", s.log_file, kRestart);
    v.integer("log_queue", s.log_queue, {64, 1 << 20}, kRestart, power_of_two);
  });
  v.section("feed", kReload, [&] {
    auto& f = c.feed;
    v.text("mode", f.mode, kRestart, feed_mode);
    v.text("input", f.input, kRestart, source_or_empty);
    v.text("dst_addr", f.dst_addr, kRestart, ipv4_or_empty);
    v.integer("dst_port", f.dst_port, {0, 65535}, kRestart);
    v.text("multicast_group", f.multicast_group, kRestart, multicast_or_empty);
    v.text("interface_addr", f.interface_addr, kRestart, ipv4);
    v.integer("recv_buffer", f.recv_buffer, {4096, 1 << 30}, kRestart);
    v.integer("batch", f.batch, {1, 1024}, kReload);
    v.integer("max_orders", f.max_orders, {1024, 1 << 25}, kRestart);  // ~70 B each: 2.3 GB at the cap
    v.texts("sources", f.sources, kRestart, source_entry);
    v.real("silence_s", f.silence_s, {0, 86400}, kReload);
    v.section("mold", kRestart, [&] {
      auto& m = f.mold;
      v.integer("max_jump", m.max_jump, {1, std::int64_t{1} << 48}, kRestart);
      v.integer("jump_confirm", m.jump_confirm, {1, 1000}, kRestart);
      v.text("rerequest", m.rerequest, kRestart, endpoint_or_empty);
      v.real("request_timeout_ms", m.request_timeout_ms, positive(600'000), kRestart);
      v.integer("request_retries", m.request_retries, {0, 1000}, kRestart);
      v.real("max_requests_per_s", m.max_requests_per_s, positive(1e6), kRestart);
      v.integer("request_max_msgs", m.request_max_msgs, {1, 65535}, kRestart);
      v.integer("hold_packets", m.hold_packets, {16, 1 << 20}, kRestart);
    });
  });
  v.texts("symbols", c.symbols, kReload, symbol);
  v.list("instruments", c.instruments, kRestart, [&](auto& in) {
    v.text("symbol", in.symbol, kRestart, venue_symbol);
    v.text("market", in.market, kRestart, instrument_market);
    v.integer("price_scale", in.price_scale, {1, 1'000'000'000'000}, kRestart);
    v.text("tick", in.tick, kRestart, decimal_text);
    v.integer("qty_scale", in.qty_scale, {1, 1'000'000'000'000}, kRestart);
    v.text("lot", in.lot, kRestart, decimal_text);
  });
  v.keyed_list("strategies", c.strategies, kRestart, [&](auto& s) {
    v.text("name", s.name, kRestart, non_empty);
    v.text("type", s.type, kRestart);
    v.texts("symbols", s.symbols, kRestart, symbol);
    v.integer("max_position", s.max_position, {1, 1'000'000'000}, kRestart);
    v.integer("max_order_qty", s.max_order_qty, {1, 1'000'000'000}, kRestart);
    v.real("retrain_hours", s.retrain_hours, positive(24 * 365), kRestart);
    v.real("min_confidence_threshold", s.min_confidence_threshold, {0, 1}, kRestart);
    v.boolean("enabled", s.enabled, kRestart);
    v.rest(s.params, kRestart);  // the strategy type's own settings (checked when it is built)
  });
  v.section("models", kReload, [&] {
    auto& m = c.models;
    v.text("path", m.path, kRestart);
    v.boolean("predict", m.predict, kRestart);
    v.text("target", m.target, kRestart, model_target);
    v.texts("horizons", m.horizons, kRestart, horizon);
    v.text("predict_horizon", m.predict_horizon, kRestart, horizon_or_empty);
    v.text("threshold", m.threshold, kReload, threshold);
    v.text("threshold_unit", m.threshold_unit, kReload, threshold_unit);
    v.text("sample_on", m.sample_on, kRestart, model_sample_on);
    v.real("sample_ms", m.sample_ms, positive(3.6e6), kRestart);
    v.integer("max_pending", m.max_pending, {16, 1 << 20}, kRestart);
    v.texts("members", m.members, kReload, member);
    v.section("boosted", kReload, [&] {
      auto& b = m.boosted;
      v.integer("rounds", b.rounds, {1, 100'000}, kReload);
      v.integer("max_depth", b.max_depth, {1, 16}, kReload);
      v.integer("early_stopping_rounds", b.early_stopping_rounds, {0, 100'000}, kReload);
      v.real("eta", b.eta, positive(1), kReload);
      v.real("subsample", b.subsample, positive(1), kReload);
      v.real("colsample", b.colsample, positive(1), kReload);
      v.real("min_child_weight", b.min_child_weight, {0, 1e9}, kReload);
      v.real("lambda", b.lambda, {0, 1e9}, kReload);
    });
    v.section("forest", kReload, [&] {
      auto& f = m.forest;
      v.integer("trees", f.trees, {1, 10'000}, kReload);
      v.integer("max_depth", f.max_depth, {1, 16}, kReload);
      v.real("subsample", f.subsample, positive(1), kReload);
      v.real("colsample", f.colsample, positive(1), kReload);
      v.real("min_child_weight", f.min_child_weight, {0, 1e9}, kReload);
    });
    v.section("mlp", kReload, [&] {
      auto& n = m.mlp;
      v.texts("hidden", n.hidden, kReload, layer_width);
      v.integer("epochs", n.epochs, {1, 100'000}, kReload);
      v.integer("batch", n.batch, {1, 1 << 20}, kReload);
      v.integer("patience", n.patience, {1, 10'000}, kReload);
      v.real("lr", n.lr, positive(1), kReload);
      v.real("l2", n.l2, {0, 1e3}, kReload);
    });
    v.section("walk_forward", kReload, [&] {
      auto& w = m.walk_forward;
      v.integer("folds", w.folds, {1, 100}, kReload);
      v.real("min_train_fraction", w.min_train_fraction, {0.05, 0.95}, kReload);
      v.real("valid_fraction", w.valid_fraction, {0.05, 0.5}, kReload);
      v.real("embargo_s", w.embargo_s, {0, 86400}, kReload);
    });
    v.integer("train_threads", m.train_threads, {1, 256}, kReload);
    v.integer("seed", m.seed, {0, 1LL << 62}, kReload);
    v.real("online_learning_rate", m.online_learning_rate, positive(1), kReload);
    v.real("forgetting_factor", m.forgetting_factor, positive(1), kRestart);
  });
  v.section("execution", kReload, [&] {
    auto& e = c.execution;
    v.enumeration("method", e.method, kExecMethodNames, kReload);
    v.real("gamma", e.gamma, positive(1e6), kReload);
    v.real("k", e.k, positive(1e9), kReload);
    v.real("A", e.A, positive(1e12), kReload);
    v.real("horizon_s", e.horizon_s, positive(1e7), kReload);
    v.integer("tick_size", e.tick_size, {1, 1'000'000'000}, kReload);
    v.integer("min_spread_ticks", e.min_spread_ticks, {1, 1'000'000}, kReload);
    v.integer("max_quote_levels", e.max_quote_levels, {1, 10}, kReload);
  });
  v.section("risk_management", kReload, [&] {
    auto& r = c.risk_management;
    v.integer("max_position", r.max_position, {1, 1'000'000'000'000}, kReload);
    v.section("position_limits", kReload, [&] { v.rest(r.position_limits, kReload); });
    v.real("max_notional", r.max_notional, positive(1e15), kReload);
    v.real("max_order_notional", r.max_order_notional, positive(1e15), kReload);
    v.integer("max_order_qty", r.max_order_qty, {1, 1'000'000'000'000}, kReload);
    v.real("max_orders_per_s", r.max_orders_per_s, positive(1e7), kReload);
    v.integer("max_open_orders", r.max_open_orders, {1, 1'000'000}, kReload);
    v.real("price_collar_bps", r.price_collar_bps, positive(1e5), kReload);
    v.section("circuit_breakers", kReload, [&] {
      auto& b = r.circuit_breakers;
      v.real("max_daily_loss", b.max_daily_loss, positive(1e15), kReload);
      v.real("max_drawdown", b.max_drawdown, positive(1e15), kReload);
      v.real("max_reject_rate", b.max_reject_rate, positive(1), kReload);
      v.real("max_latency_us", b.max_latency_us, positive(1e9), kReload);
      v.integer("latency_count", b.latency_count, {1, 1'000'000}, kReload);
      v.real("max_log_loss", b.max_log_loss, positive(100), kReload);
      v.integer("model_window", b.model_window, {1, 100'000'000}, kReload);
      v.real("min_hit_rate", b.min_hit_rate, {0, 1}, kReload);
      v.integer("min_labels", b.min_labels, {1, 1'000'000'000}, kReload);
      v.boolean("stale_feed", b.stale_feed, kReload);
      v.boolean("flatten_on_trip", b.flatten_on_trip, kReload);
    });
    v.text("kill_switch_file", r.kill_switch_file, kReload);
    v.text("token_file", r.token_file, kRestart);
  });
  v.section("simulator", kReload, [&] {
    auto& s = c.simulator;
    v.boolean("enabled", s.enabled, kRestart);
    v.integer("feed_latency_ns", s.feed_latency_ns, {0, 10'000'000'000}, kRestart);
    v.integer("order_latency_ns", s.order_latency_ns, {0, 10'000'000'000}, kRestart);
    v.integer("ack_latency_ns", s.ack_latency_ns, {0, 10'000'000'000}, kRestart);
    v.text("feed_latency_file", s.feed_latency_file, kRestart);
    v.text("order_latency_file", s.order_latency_file, kRestart);
    v.text("ack_latency_file", s.ack_latency_file, kRestart);
    v.enumeration("queue_model", s.queue_model, kQueueModelNames, kRestart);
    v.integer("max_orders", s.max_orders, {1, 1 << 22}, kRestart);
    v.integer("seed", s.seed, {0, 1LL << 62}, kRestart);
    v.section("fees", kReload, [&] {
      v.real("maker_per_share", s.fees.maker_per_share, {-1, 1}, kReload);
      v.real("taker_per_share", s.fees.taker_per_share, {-1, 1}, kReload);
    });
  });
  v.section("learner", kRestart, [&] {
    auto& l = c.learner;
    v.boolean("enabled", l.enabled, kRestart);
    v.real("retrain_hours", l.retrain_hours, {0, 24 * 365}, kRestart);
    v.integer("min_samples", l.min_samples, {100, 1 << 22}, kRestart);
    v.integer("max_samples", l.max_samples, {100, 1 << 22}, kRestart);  // ~0.5 KB each: 2 GB
    v.real("validation_fraction", l.validation_fraction, {0.05, 0.5}, kRestart);
    v.real("promote_margin", l.promote_margin, {0, 0.5}, kRestart);
    v.real("swap_lag_s", l.swap_lag_s, {0, 86400}, kRestart);
    v.real("min_gap_s", l.min_gap_s, {0, 86400}, kRestart);
    v.text("drift", l.drift, kRestart, drift_method);
    v.integer("drift_block", l.drift_block, {1, 1 << 24}, kRestart);
    v.integer("drift_reference", l.drift_reference, {2, 1 << 20}, kRestart);
    v.real("ph_delta", l.ph_delta, {0, 100}, kRestart);
    v.real("ph_lambda", l.ph_lambda, positive(1e9), kRestart);
    v.real("adwin_delta", l.adwin_delta, {1e-12, 0.5}, kRestart);
    v.integer("ring", l.ring, {1024, 1 << 20}, kRestart, power_of_two);
    v.boolean("persist", l.persist, kRestart);
    v.real("spill_every_s", l.spill_every_s, positive(86400), kRestart);
    v.text("dir", l.dir, kRestart);
  });
  v.section("report", kReload, [&] {
    auto& r = c.report;
    v.real("sample_ms", r.sample_ms, positive(3.6e6), kRestart);
    v.real("mid_sample_ms", r.mid_sample_ms, positive(3.6e6), kRestart);
    v.real("quality_s", r.quality_s, {1, 86400}, kRestart);
    v.integer("max_rows", r.max_rows, {1000, 1 << 22}, kRestart);  // ~280 B a row: 1.2 GB
  });
  v.section("clean", kReload, [&] {
    auto& k = c.clean;
    v.section("rules", kReload, [&] {
      auto rule = [&](std::string_view name, auto& r) {
        v.section(name, kReload, [&] {
          v.boolean("enabled", r.enabled, kReload);
          v.enumeration("action", r.action, kCleanActionNames, kReload);
        });
      };
      rule("stale", k.stale);
      rule("crossed", k.crossed);
      rule("locked", k.locked);
      rule("halted", k.halted);
      rule("luld", k.luld);
      rule("bad_size", k.bad_size);
      rule("bad_price", k.bad_price);
      rule("time_backwards", k.time_backwards);
      rule("price_jump", k.price_jump);
      rule("outside_band", k.outside_band);
    });
    v.boolean("book_check_group_end_only", k.book_check_group_end_only, kReload);
    v.integer("max_backwards_ns", k.max_backwards_ns, {0, 86'400'000'000'000}, kReload);
    v.integer("jump_window", k.jump_window, {3, 1024}, kRestart);  // sizes the price windows
    v.integer("jump_min_samples", k.jump_min_samples, {1, 1024}, kReload);
    v.real("jump_k", k.jump_k, positive(1e6), kReload);
    v.real("jump_min_bps", k.jump_min_bps, {0, 1e5}, kReload);
    v.real("band_bps", k.band_bps, positive(1e6), kReload);
  });
  v.section("features", kRestart, [&] {
    auto& f = c.features;
    v.boolean("book", f.book, kRestart);
    v.boolean("flow", f.flow, kRestart);
    v.boolean("stat", f.stat, kRestart);
    v.boolean("tech", f.tech, kRestart);
    v.boolean("time", f.time, kRestart);
    v.real("horizon_short_s", f.horizon_short_s, positive(86400), kRestart);
    v.real("horizon_mid_s", f.horizon_mid_s, positive(86400), kRestart);
    v.real("horizon_long_s", f.horizon_long_s, positive(86400), kRestart);
    v.integer("levels", f.levels, {1, 10}, kRestart);
    v.integer("tick", f.tick, {1, 1'000'000'000}, kRestart);
    v.real("max_gap_s", f.max_gap_s, positive(30 * 86400), kRestart);
    v.real("max_backwards_s", f.max_backwards_s, {0, 86400}, kRestart);
    v.integer("session_open_s", f.session_open_s, {0, 86400}, kRestart);
    v.integer("session_close_s", f.session_close_s, {0, 86400}, kRestart);
    v.integer("utc_offset_min", f.utc_offset_min, {-1440, 1440}, kRestart);
    v.real("hawkes_mu", f.hawkes_mu, {0, 1e9}, kRestart);
    v.real("hawkes_alpha", f.hawkes_alpha, {0, 1e9}, kRestart);
    v.real("hawkes_beta", f.hawkes_beta, positive(1e9), kRestart);
    v.boolean("models", f.models, kRestart);
    v.real("models_grid_s", f.models_grid_s, positive(3600), kRestart);
    v.real("models_refit_s", f.models_refit_s, positive(86400), kRestart);
    v.real("models_swap_lag_s", f.models_swap_lag_s, {0, 86400}, kRestart);
    v.integer("models_window", f.models_window, {200, 1 << 20}, kRestart);
    v.integer("models_orders", f.models_orders, {200, 1 << 20}, kRestart);
    v.integer("models_queue_units", f.models_queue_units, {1, 200}, kRestart);
    v.texts("coint_pairs", f.coint_pairs, kRestart, symbol_pair);
    v.integer("coint_window", f.coint_window, {30, 1 << 20}, kRestart);
  });
  v.section("regimes", kRestart, [&] {
    auto& r = c.regimes;
    v.real("interval_ms", r.interval_ms, positive(3.6e6), kRestart);
    v.text("sample_on", r.sample_on, kRestart, sample_on);
    v.integer("warmup", r.warmup, {10, 1'000'000}, kRestart);
    v.integer("min_moves", r.min_moves, {1, 1'000'000}, kRestart);
    v.integer("rv_window", r.rv_window, {2, 100'000}, kRestart);
    v.integer("vr_window", r.vr_window, {4, 100'000}, kRestart);
    v.integer("vr_q", r.vr_q, {2, 1000}, kRestart);
    v.integer("ar_window", r.ar_window, {3, 100'000}, kRestart);
    v.real("trend_z", r.trend_z, positive(100), kRestart);
    v.integer("cp_max_run", r.cp_max_run, {8, 100'000}, kRestart);
    v.real("cp_hazard", r.cp_hazard, positive(1), kRestart);
    v.integer("refit_window", r.refit_window, {50, 1'000'000}, kRestart);
    v.real("refit_interval_s", r.refit_interval_s, positive(1e7), kRestart);
  });
  v.section("telemetry", kReload, [&] {
    auto& t = c.telemetry;
    v.text("http_bind", t.http_bind, kRestart, ipv4);
    v.integer("http_port", t.http_port, {0, 65535}, kRestart);
    v.real("summary_interval_s", t.summary_interval_s, {0, 86400}, kReload);
    v.integer("latency_sample_every", t.latency_sample_every, {1, 1'000'000}, kReload);
    v.real("publish_interval_ms", t.publish_interval_ms, positive(3.6e6), kReload);
    v.real("config_watch_interval_ms", t.config_watch_interval_ms, {0, 3.6e6}, kReload);
    v.integer("http_max_connections", t.http_max_connections, {1, 4096}, kRestart);
    v.integer("http_max_request_bytes", t.http_max_request_bytes, {1024, 1 << 20}, kRestart);
    v.real("http_idle_timeout_s", t.http_idle_timeout_s, {0.01, 3600}, kRestart);
  });
}

// ---------------------------------------------------------------------------------------------
// Parser: YAML -> Config. A value with an error is not stored (the default stays).

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "'" + n.Scalar() + "'";
    default: return "an empty value";
  }
}

std::string line_of(const YAML::Node& n) { return std::to_string(n.Mark().line + 1); }

class Parser {
 public:
  explicit Parser(Errors& errors) : errors_(errors) {}

  template <class F>
  void root(const YAML::Node& n, F&& body) {
    frame_ = make_frame(n, "");
    body();
    report_unknown();
  }

  template <class F>
  void section(std::string_view key, bool, F&& body) {
    const YAML::Node* n = find(key);
    const std::string path = frame_.prefix + std::string(key);
    Frame saved = std::move(frame_);
    frame_ = Frame{path + ".", {}, {}};
    if (n && n->IsMap()) {
      frame_ = make_frame(*n, path + ".");
    } else if (n && !n->IsNull()) {
      add(path, "expected a mapping of settings, got " + describe(*n));
    }
    body();
    report_unknown();
    frame_ = std::move(saved);
  }

  template <class T, class F>
  void list(std::string_view key, std::vector<T>& out, bool, F&& body) {
    const YAML::Node* n = find(key);
    if (!n) return;
    const std::string path = frame_.prefix + std::string(key);
    if (n->IsNull()) {
      out.clear();
      return;
    }
    if (!n->IsSequence()) {
      add(path, "expected a list, got " + describe(*n));
      return;
    }
    out.clear();
    Frame saved = std::move(frame_);
    for (std::size_t i = 0; i < n->size(); ++i) {
      const std::string item = path + "[" + std::to_string(i) + "]";
      const YAML::Node e = (*n)[i];
      line_ = e.Mark().line;
      out.emplace_back();
      if (!e.IsMap()) {
        add(item, "expected a mapping of settings, got " + describe(e));
        continue;
      }
      frame_ = make_frame(e, item + ".");
      body(out.back());
      report_unknown();
    }
    frame_ = std::move(saved);
  }

  // A list of named entries, also written as a mapping name -> entry (the key is the name).
  template <class T, class F>
  void keyed_list(std::string_view key, std::vector<T>& out, bool restart, F&& body) {
    const YAML::Node* n = find(key);
    if (!n || !n->IsMap()) return list(key, out, restart, body);
    const std::string path = frame_.prefix + std::string(key);
    out.clear();
    Frame saved = std::move(frame_);
    for (auto it = n->begin(); it != n->end(); ++it) {
      const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string();
      const std::string item = path + "." + name;
      line_ = it->first.Mark().line;
      out.emplace_back();
      out.back().name = name;
      if (!it->second.IsMap()) {
        add(item, "expected a mapping of settings, got " + describe(it->second));
        continue;
      }
      frame_ = make_frame(it->second, item + ".");
      body(out.back());
      report_unknown();
    }
    frame_ = std::move(saved);
  }

  // Every setting of the current mapping not read so far, as (name, text): settings whose
  // meaning belongs to another module (a strategy type's own, a symbol's limit).
  void rest(std::vector<std::pair<std::string, std::string>>& out, bool) {
    out.clear();
    for (const auto& e : frame_.entries) {
      if (std::find(frame_.known.begin(), frame_.known.end(), e.key) != frame_.known.end()) continue;
      line_ = e.line;
      // A near miss of a common setting is a typo, not the type's own setting.
      if (std::string hint = suggestion(e.key, frame_.known); !hint.empty()) {
        frame_.known.push_back(e.key);
        add(frame_.prefix + e.key, "unknown setting" + hint);
        continue;
      }
      frame_.known.push_back(e.key);
      if (!e.value.IsScalar()) {
        add(frame_.prefix + e.key, "expected a number or a word, got " + describe(e.value));
        continue;
      }
      out.emplace_back(e.key, e.value.Scalar());
    }
  }

  template <class T>
  void integer(std::string_view key, T& out, IntRange r, bool, IntRule rule = nullptr) {
    const YAML::Node* n = find(key);
    if (!n) return;
    const std::string path = frame_.prefix + std::string(key);
    if (!n->IsScalar()) return add(path, "expected an integer, got " + describe(*n));
    const std::string& s = n->Scalar();
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (b != e && *b == '+') ++b;
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(b, e, v);
    if (ec == std::errc::result_out_of_range && p == e)
      return add(path, "must be in " + std::to_string(r.lo) + ".." + std::to_string(r.hi) +
                                   ", got " + s);
    if (ec != std::errc() || p != e || b == e)
      return add(path, "expected an integer, got '" + s + "'");
    if (auto why = check_int(v, r, rule); !why.empty()) return add(path, why);
    out = static_cast<T>(v);
  }

  void real(std::string_view key, double& out, RealRange r, bool) {
    const YAML::Node* n = find(key);
    if (!n) return;
    const std::string path = frame_.prefix + std::string(key);
    if (!n->IsScalar()) return add(path, "expected a number, got " + describe(*n));
    const std::string& s = n->Scalar();
    double v = 0;
    if (!parse_real(s, v)) return add(path, "expected a number, got '" + s + "'");
    if (!std::isfinite(v)) return add(path, "must be a finite number, got '" + s + "'");
    if (auto why = check_real(v, r); !why.empty()) return add(path, why);
    out = v;
  }

  void boolean(std::string_view key, bool& out, bool) {
    const YAML::Node* n = find(key);
    if (!n) return;
    const std::string path = frame_.prefix + std::string(key);
    std::string s = n->IsScalar() ? n->Scalar() : "";
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (s == "true" || s == "yes" || s == "on") {
      out = true;
    } else if (s == "false" || s == "no" || s == "off") {
      out = false;
    } else {
      add(path, "expected true or false, got " + describe(*n));
    }
  }

  void text(std::string_view key, std::string& out, bool, StrRule rule = nullptr) {
    const YAML::Node* n = find(key);
    if (!n) return;
    const std::string path = frame_.prefix + std::string(key);
    std::string s;
    if (!scalar_text(*n, path, s)) return;
    if (rule)
      if (auto why = rule(s); !why.empty()) return add(path, why);
    out = std::move(s);
  }

  void texts(std::string_view key, std::vector<std::string>& out, bool, StrRule rule) {
    const YAML::Node* n = find(key);
    if (!n) return;
    const std::string path = frame_.prefix + std::string(key);
    if (n->IsNull()) {
      out.clear();
      return;
    }
    if (!n->IsSequence()) return add(path, "expected a list of strings, got " + describe(*n));
    std::vector<std::string> items;
    bool ok = true;
    for (std::size_t i = 0; i < n->size(); ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      std::string s;
      line_ = (*n)[i].Mark().line;
      if (!scalar_text((*n)[i], item_path, s)) {
        ok = false;
        continue;
      }
      if (rule)
        if (auto why = rule(s); !why.empty()) {
          add(item_path, why);
          ok = false;
          continue;
        }
      items.push_back(std::move(s));
    }
    if (ok) out = std::move(items);
  }

  template <class E, std::size_t N>
  void enumeration(std::string_view key, E& out, const std::array<std::string_view, N>& names, bool) {
    const YAML::Node* n = find(key);
    if (!n) return;
    const std::string path = frame_.prefix + std::string(key);
    if (!n->IsScalar())
      return add(path, "expected one of " + join(names) + ", got " + describe(*n));
    const std::string& s = n->Scalar();
    const auto it = std::find(names.begin(), names.end(), s);
    if (it == names.end()) return add(path, one_of(s, names));
    out = static_cast<E>(it - names.begin());
  }

 private:
  struct Entry {
    std::string key;
    YAML::Node value;
    int line;  // of the key
  };
  struct Frame {
    std::string prefix;  // "" at the top, "system." in system, "system.layout[1]." in a thread
    std::vector<Entry> entries;
    std::vector<std::string_view> known;
  };

  Frame make_frame(const YAML::Node& n, std::string prefix) {
    Frame f{std::move(prefix), {}, {}};
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node k = it->first;
      line_ = k.Mark().line;
      if (!k.IsScalar()) {
        add(f.prefix + "?", "a setting name must be a plain word (line " + line_of(k) + ")");
        continue;
      }
      const std::string key = k.Scalar();
      const auto dup = std::find_if(f.entries.begin(), f.entries.end(),
                                    [&](const Entry& e) { return e.key == key; });
      if (dup != f.entries.end()) {
        add(f.prefix + key, "set twice (line " + line_of(dup->value) + " and line " +
                                        line_of(it->second) + ")");
        continue;
      }
      f.entries.push_back({key, it->second, k.Mark().line});
    }
    return f;
  }

  const YAML::Node* find(std::string_view key) {
    frame_.known.push_back(key);
    for (const auto& e : frame_.entries)
      if (e.key == key) {
        line_ = e.line;
        return &e.value;
      }
    return nullptr;
  }

  void report_unknown() {
    for (const auto& e : frame_.entries) {
      if (std::find(frame_.known.begin(), frame_.known.end(), e.key) != frame_.known.end()) continue;
      line_ = e.line;
      std::string hint = suggestion(e.key, frame_.known);
      if (hint.empty()) hint = " (settings here: " + join(frame_.known) + ")";
      add(frame_.prefix + e.key, "unknown setting" + hint);
    }
  }

  bool scalar_text(const YAML::Node& n, const std::string& path, std::string& out) {
    if (n.IsNull()) {
      out.clear();
      return true;
    }
    if (!n.IsScalar()) {
      add(path, "expected a string, got " + describe(n));
      return false;
    }
    out = n.Scalar();
    return true;
  }

  static bool parse_real(std::string s, double& v) {
    // YAML's spellings of the special values, which from_chars does not know.
    std::string lower = s;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (lower == ".nan") {
      v = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (lower == ".inf" || lower == "+.inf" || lower == "-.inf") {
      v = lower[0] == '-' ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
      return true;
    }
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (b != e && *b == '+') ++b;
    const auto [p, ec] = std::from_chars(b, e, v);
    if (ec == std::errc::result_out_of_range && p == e) {
      v = std::numeric_limits<double>::infinity();
      return true;
    }
    return ec == std::errc() && p == e && b != e;
  }

  void add(std::string path, std::string why) { errors_.add(std::move(path), std::move(why), line_); }

  Errors& errors_;
  Frame frame_;
  int line_ = -1;  // of the setting being read
};

// ---------------------------------------------------------------------------------------------
// Checker: the same ranges on a Config already in memory; also catches required values that a
// file left out (a thread without a name).

class Checker {
 public:
  explicit Checker(Errors& errors) : errors_(errors) {}

  template <class F>
  void section(std::string_view key, bool, F&& body) {
    const std::size_t n = prefix_.size();
    prefix_ += std::string(key) + ".";
    body();
    prefix_.resize(n);
  }
  template <class T, class F>
  void list(std::string_view key, const std::vector<T>& items, bool, F&& body) {
    const std::size_t n = prefix_.size();
    for (std::size_t i = 0; i < items.size(); ++i) {
      prefix_.resize(n);
      prefix_ += std::string(key) + "[" + std::to_string(i) + "].";
      body(items[i]);
    }
    prefix_.resize(n);
  }
  template <class T, class F>
  void keyed_list(std::string_view key, const std::vector<T>& items, bool restart, F&& body) {
    list(key, items, restart, body);
  }
  void rest(const std::vector<std::pair<std::string, std::string>>&, bool) {}  // checked by their owners
  template <class T>
  void integer(std::string_view key, const T& v, IntRange r, bool, IntRule rule = nullptr) {
    // Compare in the wider of the two types so that a huge unsigned value is not wrapped.
    if constexpr (std::is_unsigned_v<T>) {
      if (static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return add(key, "must be in " + std::to_string(r.lo) + ".." + std::to_string(r.hi) + ", got " +
                            std::to_string(v));
    }
    if (auto why = check_int(static_cast<std::int64_t>(v), r, rule); !why.empty()) add(key, why);
  }
  void real(std::string_view key, const double& v, RealRange r, bool) {
    if (auto why = check_real(v, r); !why.empty()) add(key, why);
  }
  void boolean(std::string_view, const bool&, bool) {}
  void text(std::string_view key, const std::string& v, bool, StrRule rule = nullptr) {
    if (rule)
      if (auto why = rule(v); !why.empty()) add(key, why);
  }
  void texts(std::string_view key, const std::vector<std::string>& v, bool, StrRule rule) {
    if (!rule) return;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (auto why = rule(v[i]); !why.empty())
        add(std::string(key) + "[" + std::to_string(i) + "]", why);
  }
  template <class E, std::size_t N>
  void enumeration(std::string_view key, const E& v, const std::array<std::string_view, N>&, bool) {
    if (static_cast<std::size_t>(v) >= N) add(key, "invalid value " + std::to_string(static_cast<int>(v)));
  }

 private:
  void add(std::string_view key, std::string why) { errors_.add(prefix_ + std::string(key), std::move(why)); }
  Errors& errors_;
  std::string prefix_;
};

// ---------------------------------------------------------------------------------------------
// Flattener: every setting as (path, value text, needs restart), for diff().

struct Flat {
  std::string path;
  std::string value;
  bool restart;
};

class Flattener {
 public:
  std::vector<Flat> out;

  template <class F>
  void section(std::string_view key, bool restart, F&& body) {
    nest(std::string(key) + ".", restart, body);
  }
  template <class T, class F>
  void list(std::string_view key, const std::vector<T>& items, bool restart, F&& body) {
    // The count is a setting too: a removed trailing item shows up even if nothing else differs.
    add(key, std::to_string(items.size()), restart);
    for (std::size_t i = 0; i < items.size(); ++i)
      nest(std::string(key) + "[" + std::to_string(i) + "].", restart, [&] { body(items[i]); });
  }
  template <class T, class F>
  void keyed_list(std::string_view key, const std::vector<T>& items, bool restart, F&& body) {
    list(key, items, restart, body);
  }
  void rest(const std::vector<std::pair<std::string, std::string>>& kv, bool restart) {
    for (const auto& [k, v] : kv) add(k, "'" + v + "'", restart);
  }
  template <class T>
  void integer(std::string_view key, const T& v, IntRange, bool restart, IntRule = nullptr) {
    add(key, std::to_string(v), restart);
  }
  void real(std::string_view key, const double& v, RealRange, bool restart) {
    add(key, exact_real_text(v), restart);
  }
  void boolean(std::string_view key, const bool& v, bool restart) { add(key, v ? "true" : "false", restart); }
  void text(std::string_view key, const std::string& v, bool restart, StrRule = nullptr) {
    add(key, "'" + v + "'", restart);
  }
  void texts(std::string_view key, const std::vector<std::string>& v, bool restart, StrRule) {
    std::string s = "[";
    for (const auto& x : v) s += "'" + x + "',";
    add(key, s + "]", restart);
  }
  template <class E, std::size_t N>
  void enumeration(std::string_view key, const E& v, const std::array<std::string_view, N>&, bool restart) {
    add(key, std::to_string(static_cast<int>(v)), restart);
  }

 private:
  template <class F>
  void nest(std::string prefix, bool restart, F&& body) {
    const std::size_t n = prefix_.size();
    const bool saved = restart_;
    prefix_ += prefix;
    restart_ = restart_ || restart;
    body();
    prefix_.resize(n);
    restart_ = saved;
  }
  void add(std::string_view key, std::string value, bool restart) {
    out.push_back({prefix_ + std::string(key), std::move(value), restart_ || restart});
  }
  std::string prefix_;
  bool restart_ = false;
};

// ---------------------------------------------------------------------------------------------
// Cross-field rules. Each skips settings that already have an error.

std::string at(const char* base, std::size_t i, const char* field = nullptr) {
  std::string p = std::string(base) + "[" + std::to_string(i) + "]";
  if (field) p += std::string(".") + field;
  return p;
}

void check_layout(const Config& c, unsigned cpus, Errors& errors) {
  const auto& layout = c.system.layout;
  if (errors.has("system.layout")) return;
  if (layout.empty()) return errors.add("system.layout", "needs at least one thread");

  for (std::size_t i = 0; i < layout.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      if (!layout[i].name.empty() && layout[i].name == layout[j].name &&
          errors.clean(at("system.layout", j, "name")))
        errors.add(at("system.layout", i, "name"),
                   "'" + layout[i].name + "' is also the name of system.layout[" + std::to_string(j) + "]");
  }

  // Two spinning threads on one core starve each other; the control thread must not share a
  // core with a spinning hot thread (it would only run when the spinner is preempted).
  auto core_ok = [&](std::size_t i) {
    return layout[i].core >= 0 && layout[i].idle == Idle::Spin && errors.clean(at("system.layout", i, "core")) &&
           errors.clean(at("system.layout", i, "idle"));
  };
  for (std::size_t i = 0; i < layout.size(); ++i) {
    if (!core_ok(i)) continue;
    for (std::size_t j = 0; j < i; ++j)
      if (core_ok(j) && layout[j].core == layout[i].core)
        errors.add(at("system.layout", i, "core"),
                   "core " + std::to_string(layout[i].core) + " is also used by spinning thread '" +
                       layout[j].name + "' (system.layout[" + std::to_string(j) +
                       "]); two spinning threads cannot share a core");
  }
  if (cpus > 1 && c.system.control_core >= 0 && errors.clean("system.control_core")) {
    for (std::size_t i = 0; i < layout.size(); ++i)
      if (core_ok(i) && layout[i].core == c.system.control_core) {
        errors.add("system.control_core", "core " + std::to_string(layout[i].core) + " runs spinning thread '" +
                                              layout[i].name + "'; the control thread needs another core");
        break;
      }
  }

  // Every stage exactly once, in pipeline order across the threads as listed. A thread whose
  // stages list was already rejected is skipped, and then order and completeness are not judged.
  constexpr std::size_t kN = kPipelineStages.size();
  std::array<std::string, kN> placed{};  // where each stage is, for messages
  std::size_t last = 0;                  // highest pipeline index seen so far
  bool any = false;
  bool all_clean = true;
  for (std::size_t i = 0; i < layout.size(); ++i) {
    if (!errors.clean(at("system.layout", i, "stages"))) {
      all_clean = false;
      continue;
    }
    const auto& stages = layout[i].stages;
    if (stages.empty()) errors.add(at("system.layout", i, "stages"), "needs at least one stage");
    for (std::size_t j = 0; j < stages.size(); ++j) {
      const std::string path = at("system.layout", i, "stages") + "[" + std::to_string(j) + "]";
      const auto it = std::find(kPipelineStages.begin(), kPipelineStages.end(), stages[j]);
      if (it == kPipelineStages.end()) {
        errors.add(path, "unknown stage '" + stages[j] + "' (stages: " + join(kPipelineStages) + ")" +
                             suggestion(stages[j], kPipelineStages));
        continue;
      }
      const auto idx = static_cast<std::size_t>(it - kPipelineStages.begin());
      if (!placed[idx].empty()) {
        errors.add(path, "stage '" + stages[j] + "' is already on " + placed[idx]);
        continue;
      }
      placed[idx] = path;
      if (any && idx < last) {
        if (all_clean)
          errors.add(path, "stage '" + stages[j] + "' is out of pipeline order (" +
                               join(kPipelineStages, " -> ") + "): it must come before '" +
                               std::string(kPipelineStages[last]) + "'");
        continue;
      }
      last = idx;
      any = true;
    }
  }
  std::vector<std::string_view> missing;
  for (std::size_t k = 0; k < kN; ++k)
    if (placed[k].empty() &&
        std::find(kRequiredStages.begin(), kRequiredStages.end(), kPipelineStages[k]) != kRequiredStages.end())
      missing.push_back(kPipelineStages[k]);
  if (all_clean && !missing.empty())
    errors.add("system.layout", "no thread runs stage " + join(missing) + " (each of " + join(kRequiredStages) +
                                    " must be on one thread)");
  // clean, features and regime read the book: they must run on the thread that applies it.
  if (all_clean) {
    const auto thread_of = [](const std::string& where) { return where.substr(0, where.find(".stages")); };
    const std::string& book_at = placed[1];
    for (std::size_t k = 0; k < kN; ++k) {
      const bool needs_book =
          std::find(kBookThreadStages.begin(), kBookThreadStages.end(), kPipelineStages[k]) != kBookThreadStages.end();
      if (needs_book && !placed[k].empty() && !book_at.empty() && thread_of(placed[k]) != thread_of(book_at))
        errors.add(placed[k], "stage '" + std::string(kPipelineStages[k]) +
                                  "' reads the book: it must run on the thread that runs 'book' (" + thread_of(book_at) + ")");
    }
  }
}

void cross_check(const Config& c, unsigned cpus, Errors& errors) {
  check_layout(c, cpus, errors);

  if (errors.clean("features.session_open_s") && errors.clean("features.session_close_s") &&
      c.features.session_open_s >= c.features.session_close_s)
    errors.add("features.session_close_s", "must be after features.session_open_s (" + std::to_string(c.features.session_open_s) + ")");
  if (errors.clean("clean.jump_min_samples") && errors.clean("clean.jump_window") &&
      c.clean.jump_min_samples > c.clean.jump_window)
    errors.add("clean.jump_min_samples", "must not exceed clean.jump_window (" + std::to_string(c.clean.jump_window) + ")");
  if (errors.clean("features.horizon_short_s") && errors.clean("features.horizon_mid_s") &&
      errors.clean("features.horizon_long_s") &&
      !(c.features.horizon_short_s < c.features.horizon_mid_s && c.features.horizon_mid_s < c.features.horizon_long_s))
    errors.add("features.horizon_mid_s", "horizons must increase: horizon_short_s < horizon_mid_s < horizon_long_s");
  if (c.models.horizons.empty() || c.models.horizons.size() > 8)
    errors.add("models.horizons", "need 1..8 horizons, got " + std::to_string(c.models.horizons.size()));
  if (errors.clean("models.predict_horizon") && !c.models.predict_horizon.empty() &&
      std::find(c.models.horizons.begin(), c.models.horizons.end(), c.models.predict_horizon) == c.models.horizons.end())
    errors.add("models.predict_horizon", "must be one of models.horizons, got '" + c.models.predict_horizon + "'");
  if (c.models.members.empty()) errors.add("models.members", "need at least one member");
  if (c.models.mlp.hidden.empty() || c.models.mlp.hidden.size() > 2)
    errors.add("models.mlp.hidden", "one or two hidden layers, got " + std::to_string(c.models.mlp.hidden.size()));
  if (errors.clean("regimes.vr_q") && errors.clean("regimes.vr_window") && c.regimes.vr_q * 2 > c.regimes.vr_window)
    errors.add("regimes.vr_q", "must be at most half of regimes.vr_window (" + std::to_string(c.regimes.vr_window) + ")");
  // More moves than the warm-up (or a refit's window) holds could never be met: no labels, no fits.
  if (errors.clean("regimes.min_moves") && errors.clean("regimes.warmup") && c.regimes.min_moves > c.regimes.warmup)
    errors.add("regimes.min_moves", "must not exceed regimes.warmup (" + std::to_string(c.regimes.warmup) + "), got " +
                                        std::to_string(c.regimes.min_moves));
  else if (errors.clean("regimes.min_moves") && errors.clean("regimes.refit_window") &&
           c.regimes.min_moves > c.regimes.refit_window)
    errors.add("regimes.min_moves", "must not exceed regimes.refit_window (" + std::to_string(c.regimes.refit_window) +
                                        "), got " + std::to_string(c.regimes.min_moves));

  if (c.feed.mode == "replay" && c.feed.input.empty() && errors.clean("feed.mode") && errors.clean("feed.input"))
    errors.add("feed.input", "required when feed.mode is replay (a SOURCE, e.g. pcap:day.pcap)");

  for (std::size_t i = 0; i < c.instruments.size(); ++i) {
    const auto& in = c.instruments[i];
    const std::string base = at("instruments", i);
    if (errors.has(base)) continue;
    std::int64_t u = 0;
    if (errors.clean(base + ".tick") && errors.clean(base + ".price_scale") &&
        (parse_decimal(in.tick, in.price_scale, u) != DecimalError::None || u <= 0))
      errors.add(base + ".tick", "tick " + in.tick + " is not a whole number of units at price_scale " +
                                     std::to_string(in.price_scale));
    if (errors.clean(base + ".lot") && errors.clean(base + ".qty_scale") &&
        (parse_decimal(in.lot, in.qty_scale, u) != DecimalError::None || u <= 0 || u > 0xFFFFFFFFLL))
      errors.add(base + ".lot", "lot " + in.lot + " is not a whole number of units at qty_scale " +
                                    std::to_string(in.qty_scale));
    for (std::size_t j = 0; j < i; ++j)
      if (in.symbol == c.instruments[j].symbol && in.market == c.instruments[j].market)
        errors.add(base + ".symbol", "'" + in.symbol + "' " + in.market + " is also instruments[" + std::to_string(j) + "]");
  }
  if (errors.clean("symbols")) {
    for (std::size_t i = 0; i < c.symbols.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (c.symbols[i] == c.symbols[j]) {
          errors.add(at("symbols", i), "'" + c.symbols[i] + "' is listed twice");
          break;
        }
  }

  for (std::size_t i = 0; i < c.strategies.size(); ++i) {
    const auto& s = c.strategies[i];
    const std::string base = at("strategies", i);
    if (errors.has(base)) continue;  // not a mapping at all
    for (std::size_t j = 0; j < i; ++j)
      if (!s.name.empty() && s.name == c.strategies[j].name)
        errors.add(base + ".name", "'" + s.name + "' is also the name of strategies[" + std::to_string(j) + "]");
    if (!c.symbols.empty() && errors.clean("symbols") && errors.clean(base + ".symbols")) {
      for (std::size_t k = 0; k < s.symbols.size(); ++k)
        if (std::find(c.symbols.begin(), c.symbols.end(), s.symbols[k]) == c.symbols.end())
          errors.add(base + ".symbols[" + std::to_string(k) + "]",
                     "'" + s.symbols[k] + "' is not in the top-level symbols list");
    }
    if (s.max_order_qty > s.max_position && errors.clean(base + ".max_order_qty") &&
        errors.clean(base + ".max_position"))
      errors.add(base + ".max_order_qty", "must be <= max_position (" + std::to_string(s.max_position) +
                                              "), got " + std::to_string(s.max_order_qty));
  }

  const auto& r = c.risk_management;
  if (r.max_order_qty > r.max_position && errors.clean("risk_management.max_order_qty") &&
      errors.clean("risk_management.max_position"))
    errors.add("risk_management.max_order_qty", "must be <= risk_management.max_position (" +
                                                    std::to_string(r.max_position) + "), got " +
                                                    std::to_string(r.max_order_qty));

  for (const auto& [sym, lim] : r.position_limits) {
    const std::string path = "risk_management.position_limits." + sym;
    if (sym != "default" && !symbol(sym).empty()) errors.add(path, "expected a symbol or 'default': " + symbol(sym));
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(lim.data(), lim.data() + lim.size(), v);
    if (ec != std::errc() || p != lim.data() + lim.size() || v < 1 || v > 1'000'000'000'000)
      errors.add(path, "expected shares, 1..1000000000000, got '" + lim + "'");
  }

  const auto& f = c.simulator.fees;
  if (errors.clean("simulator.fees") && f.maker_per_share + f.taker_per_share < 0)
    errors.add("simulator.fees", "maker_per_share + taker_per_share must be >= 0 (else a round trip "
                                 "earns fees), got " + real_text(f.maker_per_share + f.taker_per_share));
}

std::int64_t max_core_for(unsigned cpus) { return cpus == 0 ? 1023 : static_cast<std::int64_t>(cpus) - 1; }

unsigned this_machine_cpus() { return std::thread::hardware_concurrency(); }

}  // namespace

// ---------------------------------------------------------------------------------------------

Config default_config() {
  Config c;
  c.system.layout.push_back(ThreadLayout{"hot", {"feed", "book", "clean", "features", "regime", "predict", "strategy", "sim", "monitor"}, 1, Idle::Spin, 0});
  return c;
}

std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char ch : bytes) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

std::string version_string(std::uint64_t version) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(version));
  return b;
}

LoadResult parse_config(std::string_view yaml_text, const std::string& path_for_messages) {
  return parse_config(yaml_text, path_for_messages, this_machine_cpus());
}

LoadResult parse_config(std::string_view yaml_text, const std::string& path_for_messages, unsigned cpus) {
  LoadResult result;
  Errors errors(result.errors);
  YAML::Node root;
  try {
    // Every document is parsed: a second one (after ---) would otherwise be silently ignored.
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(yaml_text));
    if (docs.size() > 1) {
      errors.add("", "the file holds " + std::to_string(docs.size()) +
                         " YAML documents (separated by ---); a config is one document");
      return result;
    }
    if (!docs.empty()) root = docs.front();
  } catch (const YAML::ParserException& e) {
    errors.add("", "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                       std::to_string(e.mark.column + 1) + ": " + e.msg);
    return result;
  } catch (const YAML::Exception& e) {
    errors.add("", std::string("YAML error: ") + e.what());
    return result;
  }
  if (root.IsNull()) {
    errors.add("", "the file is empty (no settings); config/config.yml shows every setting");
    return result;
  }
  if (!root.IsMap()) {
    errors.add("", "expected a mapping of sections (system:, feed:, ...) at the top, got " + describe(root));
    return result;
  }

  Config c = default_config();
  try {
    Parser parser(errors);
    parser.root(root, [&] { visit_config(parser, c, max_core_for(cpus)); });
  } catch (const YAML::Exception& e) {  // not expected: every access above checks the node type
    errors.add("", std::string("YAML error: ") + e.what());
    return result;
  }
  Checker checker(errors);
  visit_config(checker, c, max_core_for(cpus));
  cross_check(c, cpus, errors);
  errors.sort_by_line();
  if (errors.any()) return result;
  c.version = fnv1a64(yaml_text);
  c.path = path_for_messages;
  result.config = std::move(c);
  return result;
}

LoadResult load_config_file(const std::string& file) { return load_config_file(file, this_machine_cpus()); }

std::string read_config_bytes(const std::string& file, std::string& out) {
  out.clear();
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below anyway).
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return std::string("cannot read: ") + std::strerror(errno);
  struct stat st{};
  std::string err;
  if (::fstat(fd, &st) != 0) err = std::string("cannot read: ") + std::strerror(errno);
  else if (S_ISDIR(st.st_mode)) err = "is a directory, not a config file";
  else if (!S_ISREG(st.st_mode))
    err = std::string("is not a regular file (") +
          (S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device" : S_ISBLK(st.st_mode) ? "a block device" : S_ISSOCK(st.st_mode) ? "a socket" : "special") +
          "); a config must be a regular file";
  else if (static_cast<std::uint64_t>(st.st_size) > kMaxConfigBytes)
    err = "is " + std::to_string(st.st_size) + " bytes, above the limit of " + std::to_string(kMaxConfigBytes) + " for a config file";
  if (err.empty()) {
    // Read at most one byte past the cap: a file that grows while read is still bounded.
    out.resize(kMaxConfigBytes + 1);
    std::size_t got = 0;
    while (got < out.size()) {
      const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        err = std::string("read error: ") + std::strerror(errno);
        break;
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    if (err.empty() && got > kMaxConfigBytes)
      err = "is larger than the limit of " + std::to_string(kMaxConfigBytes) + " bytes for a config file";
  }
  ::close(fd);
  if (!err.empty()) out.clear();
  return err;
}

LoadResult load_config_file(const std::string& file, unsigned cpus) {
  LoadResult result;
  std::string bytes;
  if (std::string err = read_config_bytes(file, bytes); !err.empty()) {
    result.errors.push_back({"", std::move(err)});
    return result;
  }
  return parse_config(bytes, file, cpus);
}

std::vector<ConfigError> validate(const Config& c) { return validate(c, this_machine_cpus()); }

std::vector<ConfigError> validate(const Config& c, unsigned cpus) {
  std::vector<ConfigError> out;
  Errors errors(out);
  Checker checker(errors);
  visit_config(checker, c, max_core_for(cpus));
  cross_check(c, cpus, errors);
  return out;
}

std::vector<std::string> warnings(const Config& c, unsigned cpus) {
  std::vector<std::string> out;
  if (cpus == 0) cpus = this_machine_cpus();
  std::size_t spinning = 0;
  for (const auto& t : c.system.layout) spinning += t.idle == Idle::Spin;
  if (cpus > 0 && spinning >= cpus && spinning >= 2)
    out.push_back("system.layout: " + std::to_string(spinning) + " threads spin when idle on a machine of " +
                  std::to_string(cpus) + " CPUs: they hold every core, and background work (the learner, model "
                  "and GARCH refits, the control thread) gets almost none; replays wait for it at their swap "
                  "points. Give one of them idle: backoff or sleep");
  return out;
}

std::vector<ConfigError> validate_for_run(const Config& c) {
  std::vector<ConfigError> errors;
  if (c.feed.mode != "udp") return errors;
  if (c.feed.dst_port == 0)
    errors.push_back({"feed.dst_port", "a udp feed needs the port it is sent to (1..65535), got 0"});
  if (c.feed.dst_addr.empty())
    errors.push_back({"feed.dst_addr", "a udp feed needs the address it is sent to (the multicast group, or this "
                                       "host's unicast address), got \"\""});
  else if (!c.feed.multicast_group.empty() && c.feed.dst_addr != c.feed.multicast_group)
    errors.push_back({"feed.dst_addr", "must be the multicast group " + c.feed.multicast_group + " (the socket binds "
                                       "the group), got " + c.feed.dst_addr});
  return errors;
}

std::string format_errors(const std::vector<ConfigError>& errors, const std::string& file) {
  std::string out;
  for (const auto& e : errors) {
    if (!file.empty()) out += file + ": ";
    if (!e.path.empty()) out += e.path + ": ";
    out += e.reason + "\n";
  }
  return out;
}

std::vector<Change> diff(const Config& running, const Config& next) {
  Flattener a, b;
  visit_config(a, running, 1023);
  visit_config(b, next, 1023);
  std::map<std::string, const Flat*> before;
  for (const auto& f : a.out) before.emplace(f.path, &f);
  std::vector<Change> changes;
  for (const auto& f : b.out) {
    const auto it = before.find(f.path);
    if (it == before.end()) {
      changes.push_back({f.path, f.restart});
      continue;
    }
    if (it->second->value != f.value) changes.push_back({f.path, f.restart});
    before.erase(it);
  }
  for (const auto& f : a.out)  // settings that exist only in running (a removed list item)
    if (before.count(f.path)) changes.push_back({f.path, f.restart});
  return changes;
}

Config apply_reloadable(const Config& running, const Config& next) {
  Config out = next;
  const auto& rs = running.system;
  out.system.state_dir = rs.state_dir;
  out.system.model_dir = rs.model_dir;
  out.system.ring_capacity = rs.ring_capacity;
  out.system.ring_full = rs.ring_full;
  out.system.layout = rs.layout;
  out.system.control_core = rs.control_core;
  out.system.log_file = rs.log_file;
  out.system.log_queue = rs.log_queue;
  const auto& rf = running.feed;
  out.feed.mode = rf.mode;
  out.feed.input = rf.input;
  out.feed.dst_addr = rf.dst_addr;
  out.feed.dst_port = rf.dst_port;
  out.feed.multicast_group = rf.multicast_group;
  out.feed.interface_addr = rf.interface_addr;
  out.feed.recv_buffer = rf.recv_buffer;
  out.feed.max_orders = rf.max_orders;
  out.feed.sources = rf.sources;
  out.feed.mold = rf.mold;
  out.features = running.features;
  out.regimes = running.regimes;
  const auto& rm = running.models;
  out.models.path = rm.path;
  out.models.predict = rm.predict;
  out.models.target = rm.target;
  out.models.horizons = rm.horizons;
  out.models.predict_horizon = rm.predict_horizon;
  out.models.sample_on = rm.sample_on;
  out.models.sample_ms = rm.sample_ms;
  out.models.max_pending = rm.max_pending;
  out.models.forgetting_factor = rm.forgetting_factor;  // the features' Bayesian discount: built at start
  out.strategies = running.strategies;  // built at start
  out.risk_management.token_file = running.risk_management.token_file;
  {
    const Config::Fees fees = next.simulator.fees;  // the only reloadable simulator settings
    out.simulator = running.simulator;
    out.simulator.fees = fees;
  }
  out.report = running.report;
  out.telemetry.http_bind = running.telemetry.http_bind;
  out.telemetry.http_port = running.telemetry.http_port;
  out.telemetry.http_max_connections = running.telemetry.http_max_connections;
  out.telemetry.http_max_request_bytes = running.telemetry.http_max_request_bytes;
  out.telemetry.http_idle_timeout_s = running.telemetry.http_idle_timeout_s;
  out.version = next.version;
  out.path = next.path;
  return out;
}

InstrumentScale scale_of(const Config::Instrument& in) noexcept {
  InstrumentScale sc;
  sc.price_scale = in.price_scale;
  sc.qty_scale = in.qty_scale;
  if (parse_decimal(in.tick, in.price_scale, sc.tick) != DecimalError::None || sc.tick <= 0) sc.tick = 1;
  if (parse_decimal(in.lot, in.qty_scale, sc.lot) != DecimalError::None || sc.lot <= 0) sc.lot = 1;
  return sc;
}

}  // namespace hft::config
