#include "hft/core/decimal.hpp"
#include "hft/core/scales.hpp"
#include "hft/report/writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

namespace hft::report {

namespace {

// ---------- formatting shared by the JSON, CSV and HTML ----------

// Fixed formats, so equal input gives equal bytes: doubles %.10g (NaN / inf -> null in JSON).
std::string wnum(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0) return "0";  // no "-0"
  char b[40];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}
std::string wint(std::uint64_t v) { return std::to_string(v); }
// hh:mm:ss.mmm of an exchange time (of the day: since midnight, or UTC for epoch times).
std::string time_of_day(Nanos t) {
  const Nanos day = 86'400'000'000'000LL;
  const Nanos d = ((t % day) + day) % day;
  char b[32];
  std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(d / 3'600'000'000'000LL),
                static_cast<long long>(d / 60'000'000'000LL % 60), static_cast<long long>(d / 1'000'000'000LL % 60),
                static_cast<long long>(d / 1'000'000 % 1000));
  return b;
}
std::string wsint(std::int64_t v) { return std::to_string(v); }
std::string wprice(Price p, InstrumentId id) { return format_decimal(p, price_scale_of(id)); }
std::string wstr(const std::string& s) {
  std::string o = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"') o += "\\\"";
    else if (c == '\\') o += "\\\\";
    else if (u < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", u);
      o += b;
    } else o += c;
  }
  return o + "\"";
}
std::string html_esc(const std::string& s) {
  std::string o;
  for (const char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (const char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}
const char* side_name(Side s) { return s == Side::Buy ? "buy" : s == Side::Sell ? "sell" : "none"; }
const char* tif_name(TimeInForce t) { return t == TimeInForce::IOC ? "ioc" : "day"; }

std::string strategy_name(const ReportInput& in, std::size_t s) {
  return s < in.strategy_names.size() ? in.strategy_names[s] : "s" + std::to_string(s);
}
std::string instrument_name(const ReportInput& in, std::size_t i) {
  return i < in.instrument_names.size() ? in.instrument_names[i] : "#" + std::to_string(i);
}

// Breaker trips counted by reason, sorted by reason (std::map).
std::map<std::string, std::uint64_t> trips_by_reason(const Recording& r) {
  std::map<std::string, std::uint64_t> m;
  for (const auto& t : r.trips) ++m[std::string(t.reason.data())];
  return m;
}

// ---------- JSON ----------

void metrics_json(std::string& o, const Metrics& m, const std::string& ind) {
  const std::string i2 = ind + "  ";
  o += "{\n";
  o += i2 + "\"pnl\": {\"realized\": " + wnum(m.realized) + ", \"unrealized\": " + wnum(m.unrealized) +
       ", \"gross\": " + wnum(m.gross) + ", \"fees\": " + wnum(m.fees) + ", \"net\": " + wnum(m.net) + "},\n";
  const auto& r = m.rr;
  o += i2 + "\"risk_return\": {\"return_interval_s\": " + wnum(r.return_interval_s) + ", \"trading_day_s\": " +
       wnum(r.trading_day_s) + ", \"days_per_year\": " + wint(static_cast<std::uint64_t>(r.days_per_year)) +
       ", \"intervals_per_year\": " + wnum(r.intervals_per_year) + ", \"annualisation\": " + wnum(r.annualisation) +
       ", \"intervals\": " + wint(r.intervals) + ", \"mean\": " + wnum(r.mean) + ", \"sd\": " + wnum(r.sd) +
       ", \"downside_sd\": " + wnum(r.downside_sd) + ", \"sharpe\": " + wnum(r.sharpe) + ", \"sortino\": " +
       wnum(r.sortino) + "},\n";
  o += i2 + "\"drawdown\": {\"max\": " + wnum(m.dd.max) + ", \"peak_t_ns\": " + wsint(m.dd.peak_t) +
       ", \"trough_t_ns\": " + wsint(m.dd.trough_t) + "},\n";
  o += i2 + "\"var\": {\"var95\": " + wnum(m.var95.var) + ", \"cvar95\": " + wnum(m.var95.cvar) + ", \"var99\": " +
       wnum(m.var99.var) + ", \"cvar99\": " + wnum(m.var99.cvar) + "},\n";
  o += i2 + "\"round_trips\": {\"method\": \"average_cost\", \"count\": " + wint(m.trips) + ", \"wins\": " +
       wint(m.wins) + ", \"losses\": " + wint(m.losses) + ", \"win_rate\": " + wnum(m.win_rate) +
       ", \"profit_factor\": " + wnum(m.profit_factor) + ", \"win_sum\": " + wnum(m.win_sum) + ", \"loss_sum\": " +
       wnum(m.loss_sum) + "},\n";
  o += i2 + "\"orders\": {\"sent\": " + wint(m.orders_sent) + ", \"filled\": " + wint(m.orders_filled) +
       ", \"qty_sent\": " + wint(m.qty_sent) + ", \"qty_filled\": " + wint(m.qty_filled) + ", \"fill_ratio_qty\": " +
       wnum(m.fill_ratio_qty) + ", \"fill_ratio_orders\": " + wnum(m.fill_ratio_orders) + ", \"fills\": " +
       wint(m.fills) + ", \"maker_fills\": " + wint(m.maker_fills) + ", \"taker_fills\": " + wint(m.taker_fills) + "},\n";
  o += i2 + "\"queue\": {\"maker_fills\": " + wint(m.queue_fills) + ", \"mean_ahead\": " + wnum(m.queue_mean) +
       ", \"median_ahead\": " + wnum(m.queue_median) + "},\n";
  o += i2 + "\"markouts\": [";
  for (std::size_t k = 0; k < m.markouts.size(); ++k) {
    const auto& mk = m.markouts[k];
    o += std::string(k ? ", " : "") + "{\"horizon_s\": " + wnum(mk.horizon_s) + ", \"fills\": " + wint(mk.fills) +
         ", \"qty\": " + wint(mk.qty) + ", \"unresolved\": " + wint(mk.unresolved) + ", \"per_share\": " +
         wnum(mk.per_share) + ", \"total\": " + wnum(mk.total) + "}";
  }
  o += "],\n";
  o += i2 + "\"turnover\": {\"notional\": " + wnum(m.notional) + ", \"max_gross_position\": " + wnum(m.max_gross) +
       ", \"multiple\": " + wnum(m.turnover) + "},\n";
  o += i2 + "\"rejects\": {";
  for (int k = 1; k < kRejectReasonCount; ++k)
    o += std::string(k > 1 ? ", " : "") + "\"" + reject_reason_name(static_cast<RejectReason>(k)) +
         "\": " + wint(m.rejects[static_cast<std::size_t>(k)]);
  o += "}\n" + ind + "}";
}

// ---------- SVG charts ----------

struct Series {
  std::string name, color;
  std::vector<std::pair<double, double>> xy;  // NaN y: a gap
  bool dots = false;                          // markers instead of a line
};

// At most n points, evenly strided (the last point kept): charts stay small for long runs.
std::vector<std::pair<double, double>> decimate(const std::vector<std::pair<double, double>>& v, std::size_t n) {
  if (v.size() <= n) return v;
  std::vector<std::pair<double, double>> o;
  const double step = static_cast<double>(v.size() - 1) / static_cast<double>(n - 1);
  for (std::size_t k = 0; k < n; ++k) o.push_back(v[static_cast<std::size_t>(std::lround(static_cast<double>(k) * step))]);
  return o;
}

std::string fmt_tick(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", std::fabs(v) < 1e-12 ? 0.0 : v);
  return b;
}

struct Frame {
  double x0, x1, y0, y1;
  int w, h, l = 70, r = 20, t = 30, b = 40;
  double px(double x) const { return l + (x - x0) / (x1 - x0) * (w - l - r); }
  double py(double y) const { return h - b - (y - y0) / (y1 - y0) * (h - t - b); }
};

std::string f1(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// A round tick step (1, 2 or 5 times a power of ten) giving about five ticks over a range.
double nice_step(double range) {
  const double raw = range / 5, mag = std::pow(10.0, std::floor(std::log10(raw))), n = raw / mag;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

// Axes, grid lines, tick labels at round values, and a title.
std::string axes(const Frame& f, const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  std::string o;
  o += "<text x=\"" + f1(f.l) + "\" y=\"18\" class=\"ct\">" + html_esc(title) + "</text>\n";
  const double ys = nice_step(f.y1 - f.y0), xs = nice_step(f.x1 - f.x0);
  for (double yv = std::ceil(f.y0 / ys) * ys; yv <= f.y1 + ys * 1e-9; yv += ys) {
    const double y = f.py(yv);
    o += "<line x1=\"" + f1(f.l) + "\" y1=\"" + f1(y) + "\" x2=\"" + f1(f.w - f.r) + "\" y2=\"" + f1(y) + "\" class=\"gl\"/>";
    o += "<text x=\"" + f1(f.l - 5) + "\" y=\"" + f1(y + 4) + "\" class=\"yl\">" + fmt_tick(yv) + "</text>\n";
  }
  for (double xv = std::ceil(f.x0 / xs) * xs; xv <= f.x1 + xs * 1e-9; xv += xs)
    o += "<text x=\"" + f1(f.px(xv)) + "\" y=\"" + f1(f.h - f.b + 16) + "\" class=\"xl\">" + fmt_tick(xv) + "</text>\n";
  o += "<rect x=\"" + f1(f.l) + "\" y=\"" + f1(f.t) + "\" width=\"" + f1(f.w - f.l - f.r) + "\" height=\"" +
       f1(f.h - f.t - f.b) + "\" class=\"fr\"/>\n";
  o += "<text x=\"" + f1((f.l + f.w - f.r) / 2.0) + "\" y=\"" + f1(f.h - 6) + "\" class=\"xl\">" + html_esc(xlabel) + "</text>\n";
  o += "<text x=\"14\" y=\"" + f1((f.t + f.h - f.b) / 2.0) + "\" class=\"yt\" transform=\"rotate(-90 14 " +
       f1((f.t + f.h - f.b) / 2.0) + ")\">" + html_esc(ylabel) + "</text>\n";
  return o;
}

std::string svg_open(int w, int h) {
  return "<svg width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
         "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) + "\">\n";
}

std::string empty_chart(const std::string& title, const std::string& why, int w = 1300, int h = 80) {
  return svg_open(w, h) + "<text x=\"70\" y=\"18\" class=\"ct\">" + html_esc(title) + "</text><text x=\"70\" y=\"50\" class=\"note\">" +
         html_esc(why) + "</text>\n</svg>\n";
}

std::string line_chart(const std::string& title, std::vector<Series> series, const std::string& xlabel,
                       const std::string& ylabel, int w = 1300, int h = 280, bool zero_line = false) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (auto& s : series) {
    s.xy = decimate(s.xy, 1500);
    for (const auto& [x, y] : s.xy) {
      if (!std::isfinite(y)) continue;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  if (!std::isfinite(x0)) return empty_chart(title, "no data recorded");
  if (zero_line) {
    y0 = std::min(y0, 0.0);
    y1 = std::max(y1, 0.0);
  }
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) {
    y0 -= 1;
    y1 += 1;
  }
  const double pad = (y1 - y0) * 0.05;
  Frame f{x0, x1, y0 - pad, y1 + pad, w, h};
  std::string o = svg_open(w, h) + axes(f, title, xlabel, ylabel);
  if (zero_line && f.y0 < 0 && f.y1 > 0)
    o += "<line x1=\"" + f1(f.l) + "\" y1=\"" + f1(f.py(0)) + "\" x2=\"" + f1(w - f.r) + "\" y2=\"" + f1(f.py(0)) + "\" class=\"zl\"/>\n";
  double lx = f.l + 10;
  for (const auto& s : series) {
    if (s.dots) {
      for (const auto& [x, y] : s.xy)
        if (std::isfinite(y))
          o += "<circle cx=\"" + f1(f.px(x)) + "\" cy=\"" + f1(f.py(y)) + "\" r=\"3.5\" fill=\"" + s.color + "\"/>";
      o += "\n";
    } else {
      std::string pts;
      auto flush = [&] {
        if (!pts.empty()) o += "<polyline fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"1.5\" points=\"" + pts + "\"/>\n";
        pts.clear();
      };
      for (const auto& [x, y] : s.xy) {
        if (!std::isfinite(y)) {
          flush();
          continue;
        }
        pts += f1(f.px(x)) + "," + f1(f.py(y)) + " ";
      }
      flush();
    }
    if (series.size() == 1) continue;  // the title names a lone series
    // Legend along the top, inside the frame.
    o += "<rect x=\"" + f1(lx) + "\" y=\"" + f1(f.t + 6) + "\" width=\"10\" height=\"10\" fill=\"" + s.color + "\"/>";
    o += "<text x=\"" + f1(lx + 14) + "\" y=\"" + f1(f.t + 15) + "\" class=\"lg\">" + html_esc(s.name) + "</text>\n";
    lx += 24 + 7.0 * static_cast<double>(s.name.size());
  }
  return o + "</svg>\n";
}

const char* palette(std::size_t k) {
  static const char* c[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  return c[k % 8];
}

// Horizontal bars (label, value), largest first.
std::string bar_chart(const std::string& title, std::vector<std::pair<std::string, double>> bars, const std::string& unit,
                      std::size_t max_bars = 25) {
  std::stable_sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (bars.size() > max_bars) bars.resize(max_bars);
  if (bars.empty()) return empty_chart(title, "none given");
  double mx = 0;
  for (const auto& b : bars) mx = std::max(mx, b.second);
  if (mx <= 0) mx = 1;
  const int w = 1300, row = 20, l = 260, h = 40 + row * static_cast<int>(bars.size()) + 10;
  std::string o = svg_open(w, h) + "<text x=\"10\" y=\"18\" class=\"ct\">" + html_esc(title) + "</text>\n";
  for (std::size_t k = 0; k < bars.size(); ++k) {
    const double y = 32 + row * static_cast<double>(k);
    const double bw = std::max(0.0, bars[k].second) / mx * (w - l - 140);
    o += "<text x=\"" + f1(l - 6) + "\" y=\"" + f1(y + 13) + "\" class=\"yl\">" + html_esc(bars[k].first) + "</text>";
    o += "<rect x=\"" + f1(l) + "\" y=\"" + f1(y + 2) + "\" width=\"" + f1(bw) + "\" height=\"" + f1(row - 5) + "\" fill=\"#1f77b4\"/>";
    o += "<text x=\"" + f1(l + bw + 6) + "\" y=\"" + f1(y + 13) + "\" class=\"lg\">" + fmt_tick(bars[k].second) + " " +
         html_esc(unit) + "</text>\n";
  }
  return o + "</svg>\n";
}

// A latency histogram on a log10 ns axis: one bar per bucket, percentile markers.
std::string latency_chart(const StageLatency& s) {
  const std::string title = s.name + " (" + std::to_string(s.count) + " samples; p50 " + fmt_tick(s.p50) + " ns, p99 " +
                            fmt_tick(s.p99) + " ns, p99.9 " + fmt_tick(s.p999) + " ns)";
  if (s.buckets.empty()) return empty_chart(title, "no samples", 640);
  double x0 = INFINITY, x1 = -INFINITY, y1 = 0;
  for (const auto& b : s.buckets) {
    x0 = std::min(x0, std::log10(static_cast<double>(b.lower) + 1));
    x1 = std::max(x1, std::log10(static_cast<double>(b.upper) + 2));
    y1 = std::max(y1, static_cast<double>(b.count));
  }
  x0 = std::floor(x0);
  x1 = std::max(std::ceil(x1), x0 + 1);
  Frame f{x0, x1, 0, y1 * 1.05, 640, 240};
  std::string o = svg_open(f.w, f.h) + axes(f, title, "log10(ns)", "count");
  for (const auto& b : s.buckets) {
    const double a = f.px(std::log10(static_cast<double>(b.lower) + 1)), e = f.px(std::log10(static_cast<double>(b.upper) + 2));
    const double y = f.py(static_cast<double>(b.count));
    o += "<rect x=\"" + f1(a) + "\" y=\"" + f1(y) + "\" width=\"" + f1(std::max(1.0, e - a)) + "\" height=\"" + f1(f.py(0) - y) +
         "\" fill=\"#1f77b4\"/>";
  }
  const std::pair<double, const char*> marks[] = {{s.p50, "p50"}, {s.p99, "p99"}, {s.p999, "p99.9"}};
  for (const auto& [v, name] : marks) {
    if (!(v > 0)) continue;
    const double x = f.px(std::log10(v + 1));
    o += "\n<line x1=\"" + f1(x) + "\" y1=\"" + f1(f.t) + "\" x2=\"" + f1(x) + "\" y2=\"" + f1(f.py(0)) + "\" class=\"pm\"/>";
    o += "<text x=\"" + f1(x + 3) + "\" y=\"" + f1(f.t + 12) + "\" class=\"lg\">" + name + "</text>";
  }
  return o + "\n</svg>\n";
}

std::string reliability_chart(const PredictionMetrics& p) {
  if (p.labels == 0) return empty_chart("Prediction calibration", "no labelled predictions", 420);
  Frame f{0, 1, 0, 1, 420, 420};
  std::string o = svg_open(f.w, f.h) + axes(f, "Calibration (reliability diagram)", "mean predicted probability (top class)",
                                            "fraction correct");
  o += "<line x1=\"" + f1(f.px(0)) + "\" y1=\"" + f1(f.py(0)) + "\" x2=\"" + f1(f.px(1)) + "\" y2=\"" + f1(f.py(1)) + "\" class=\"pm\"/>\n";
  std::string pts;
  std::uint64_t mx = 1;
  for (const auto& c : p.calibration) mx = std::max(mx, c.count);
  for (const auto& c : p.calibration) {
    if (!c.count) continue;
    const double x = f.px(c.mean_predicted), y = f.py(c.fraction_correct);
    pts += f1(x) + "," + f1(y) + " ";
    o += "<circle cx=\"" + f1(x) + "\" cy=\"" + f1(y) + "\" r=\"" +
         f1(3 + 7 * std::sqrt(static_cast<double>(c.count) / static_cast<double>(mx))) + "\" fill=\"#d62728\" fill-opacity=\"0.6\"/>";
  }
  o += "\n<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" points=\"" + pts + "\"/>\n";
  return o + "</svg>\n";
}

std::string confidence_chart(const PredictionMetrics& p) {
  if (p.predictions == 0) return empty_chart("Prediction confidence", "no predictions", 620);
  double mx = 1;
  for (auto c : p.confidence) mx = std::max(mx, static_cast<double>(c));
  Frame f{0, 1, 0, mx * 1.05, 620, 420};
  std::string o = svg_open(f.w, f.h) + axes(f, "Confidence distribution (" + std::to_string(p.predictions) + " predictions)",
                                            "confidence", "predictions");
  const double bw = 1.0 / static_cast<double>(p.confidence.size());
  for (std::size_t k = 0; k < p.confidence.size(); ++k) {
    const double a = f.px(bw * static_cast<double>(k)), e = f.px(bw * static_cast<double>(k + 1));
    const double y = f.py(static_cast<double>(p.confidence[k]));
    o += "<rect x=\"" + f1(a + 1) + "\" y=\"" + f1(y) + "\" width=\"" + f1(e - a - 2) + "\" height=\"" + f1(f.py(0) - y) +
         "\" fill=\"#2ca02c\"/>";
  }
  return o + "\n</svg>\n";
}

std::string td(const std::string& s, bool num = true) { return std::string(num ? "<td class=\"n\">" : "<td>") + s + "</td>"; }
std::string hnum(double v) {
  if (!std::isfinite(v)) return "&ndash;";
  char b[40];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

}  // namespace

// ---------- report.json ----------

std::string report_json(const ReportInput& in) {
  const Recording& r = in.rec;
  const auto& st = r.settings;
  std::string o = "{\n  \"schema_version\": " + std::to_string(kSchemaVersion) + ",\n";
  o += "  \"run\": {\"config\": " + wstr(in.run.config_path) + ", \"input\": " + wstr(in.run.input) + ", \"version\": " +
       wstr(in.run.version) + ", \"seed\": " + wint(in.run.seed) + ", \"events\": " + wint(in.events) +
       ", \"t_first_ns\": " + wsint(r.t_first) + ", \"t_last_ns\": " + wsint(r.t_last) + "},\n";
  o += "  \"settings\": {\"grid_interval_s\": " + wnum(static_cast<double>(st.grid_ns) * 1e-9) + ", \"mid_interval_s\": " +
       wnum(static_cast<double>(st.mid_grid_ns) * 1e-9) + ", \"trading_day_s\": " + wnum(st.trading_day_s) +
       ", \"days_per_year\": " + wint(static_cast<std::uint64_t>(st.days_per_year)) + ", \"max_orders\": " +
       wint(st.max_orders) + ", \"max_fills\": " + wint(st.max_fills) + ", \"max_grid\": " + wint(st.max_grid) +
       ", \"max_mids\": " + wint(st.max_mids) + ", \"max_trips\": " + wint(st.max_trips) + "},\n";
  const bool complete = r.dropped_orders + r.dropped_fills + r.dropped_grid + r.dropped_mids + r.dropped_trips == 0;
  o += "  \"recording\": {\"complete\": " + std::string(complete ? "true" : "false") + ", \"orders\": " + wint(r.orders.size()) +
       ", \"fills\": " + wint(r.fills.size()) + ", \"grid_samples\": " + wint(r.grid.size()) + ", \"mid_samples\": " +
       wint(r.mids.size()) + ", \"breaker_trips\": " + wint(r.trips.size()) + ", \"dropped_orders\": " +
       wint(r.dropped_orders) + ", \"dropped_fills\": " + wint(r.dropped_fills) + ", \"dropped_grid\": " +
       wint(r.dropped_grid) + ", \"dropped_mids\": " + wint(r.dropped_mids) + ", \"dropped_trips\": " +
       wint(r.dropped_trips) + ", \"bad_input\": " + wint(r.bad_input) + ", \"unknown_reports\": " +
       wint(r.unknown_reports) + ", \"skipped_intervals\": " + wint(r.skipped_intervals) + "},\n";
  o += "  \"total\": ";
  metrics_json(o, compute_metrics(r, -1), "  ");
  o += ",\n  \"strategies\": [";
  for (std::size_t s = 0; s < st.strategies; ++s) {
    o += std::string(s ? "," : "") + "\n    {\"index\": " + wint(s) + ", \"name\": " + wstr(strategy_name(in, s)) + ", \"metrics\": ";
    metrics_json(o, compute_metrics(r, static_cast<int>(s)), "    ");
    o += "}";
  }
  o += "\n  ],\n  \"instruments\": [";
  // Final position per traded (strategy, instrument) pair.
  bool first = true;
  for (std::size_t k = 0; k < r.pairs.size(); ++k) {
    const auto& p = r.pairs[k];
    if (p.position == 0 && p.realized == 0 && p.fees == 0) continue;
    o += std::string(first ? "" : ",") + "\n    {\"strategy\": " + wstr(strategy_name(in, k / st.instruments)) +
         ", \"instrument\": " + wstr(instrument_name(in, k % st.instruments)) + ", \"position\": " + wsint(p.position) +
         ", \"avg_cost\": " + wnum(p.avg_cost) + ", \"mark\": " + wnum(p.mark) + ", \"realized\": " + wnum(p.realized) +
         ", \"unrealized\": " + wnum(p.unrealized) + ", \"fees\": " + wnum(p.fees) + "}";
    first = false;
  }
  o += first ? "],\n" : "\n  ],\n";
  o += "  \"breakers\": {\"trips\": " + wint(r.breaker_trips) + ", \"by_reason\": {";
  first = true;
  for (const auto& [reason, n] : trips_by_reason(r)) {
    o += std::string(first ? "" : ", ") + wstr(reason) + ": " + wint(n);
    first = false;
  }
  o += "}},\n";
  const auto pm = prediction_metrics(r.pred);
  o += "  \"predictions\": {\"predictions\": " + wint(pm.predictions) + ", \"labels\": " + wint(pm.labels) +
       ", \"accuracy\": " + wnum(pm.accuracy) + ", \"macro_f1\": " + wnum(pm.macro_f1) + ", \"log_loss\": " +
       wnum(pm.log_loss) + ", \"ece\": " + wnum(pm.ece) + ",\n    \"confusion\": [";
  for (std::size_t k = 0; k < 9; ++k) o += std::string(k ? ", " : "") + wint(pm.confusion[k]);
  o += "],\n    \"calibration\": [";
  for (std::size_t b = 0; b < 10; ++b) {
    const auto& c = pm.calibration[b];
    o += std::string(b ? "," : "") + "\n      {\"bin_lo\": " + wnum(static_cast<double>(b) / 10) + ", \"count\": " +
         wint(c.count) + ", \"mean_predicted\": " + wnum(c.mean_predicted) + ", \"fraction_correct\": " +
         wnum(c.fraction_correct) + "}";
  }
  o += "\n    ],\n    \"confidence_hist\": [";
  for (std::size_t k = 0; k < pm.confidence.size(); ++k) o += std::string(k ? ", " : "") + wint(pm.confidence[k]);
  o += "]},\n  \"features\": [";
  auto feats = in.features;
  std::stable_sort(feats.begin(), feats.end(), [](const auto& a, const auto& b) { return a.gain > b.gain; });
  for (std::size_t k = 0; k < feats.size(); ++k)
    o += std::string(k ? ", " : "") + "{\"name\": " + wstr(feats[k].name) + ", \"gain\": " + wnum(feats[k].gain) + "}";
  o += "],\n  \"models\": [";
  for (std::size_t k = 0; k < in.models.size(); ++k) o += std::string(k ? ", " : "") + wstr(in.models[k]);
  o += "],\n  \"learning\": [";
  for (std::size_t k = 0; k < in.learning.size(); ++k) {
    const auto& l = in.learning[k];
    o += std::string(k ? "," : "") + "\n    {\"t_request\": " + wstr(time_of_day(l.t_request)) + ", \"t_request_ns\": " +
         wint(static_cast<std::uint64_t>(l.t_request)) + ", \"reason\": " + wstr(l.reason) + ", \"outcome\": " + wstr(l.outcome) +
         ", \"why\": " + wstr(l.why) + ", \"version\": " + wstr(l.version) + ", \"train_rows\": " + wint(l.train_rows) +
         ", \"test_rows\": " + wint(l.test_rows) + ", \"champion_log_loss\": " + wnum(l.champion_log_loss) +
         ", \"challenger_log_loss\": " + wnum(l.challenger_log_loss) + "}";
  }
  o += "],\n  \"quality\": [";
  for (std::size_t k = 0; k < in.quality.size(); ++k) {
    const auto& q = in.quality[k];
    o += std::string(k ? "," : "") + "\n    {\"from\": " + wstr(time_of_day(q.t_from)) + ", \"labels\": " + wint(q.labels) +
         ", \"accuracy\": " + wnum(q.accuracy) + ", \"log_loss\": " + wnum(q.log_loss) + "}";
  }
  o += "],\n  \"risk_counters\": {";
  for (std::size_t k = 0; k < in.risk_counters.size(); ++k)
    o += std::string(k ? ", " : "") + wstr(in.risk_counters[k].name) + ": " + wint(in.risk_counters[k].value);
  o += "},\n  \"wall\": {\"seconds\": " + wnum(in.wall_seconds) + ", \"events_per_s\": " +
       wnum(in.wall_seconds > 0 ? static_cast<double>(in.events) / in.wall_seconds : NAN) + ", \"latency\": [";
  for (std::size_t k = 0; k < in.latency.size(); ++k) {
    const auto& l = in.latency[k];
    o += std::string(k ? "," : "") + "\n    {\"stage\": " + wstr(l.name) + ", \"count\": " + wint(l.count) + ", \"p50_ns\": " +
         wnum(l.p50) + ", \"p99_ns\": " + wnum(l.p99) + ", \"p999_ns\": " + wnum(l.p999) + ", \"buckets\": [";
    for (std::size_t b = 0; b < l.buckets.size(); ++b)
      o += std::string(b ? ", " : "") + "[" + wint(l.buckets[b].lower) + ", " + wint(l.buckets[b].upper) + ", " +
           wint(l.buckets[b].count) + "]";
    o += "]}";
  }
  o += in.latency.empty() ? "]}\n}\n" : "\n  ]}\n}\n";
  return o;
}

// ---------- CSV ----------

std::string orders_csv(const ReportInput& in) {
  std::string o = "ts_sent_ns,id,strategy,instrument,side,price,qty,tif,state,reject_reason,filled,replaces,ts_final_ns\n";
  for (const auto& r : in.rec.orders) {
    o += wsint(r.ts_sent) + "," + wint(r.id) + "," + csv_field(strategy_name(in, r.strategy)) + "," +
         csv_field(instrument_name(in, r.instrument)) + "," + side_name(r.side) + "," + wprice(r.price, r.instrument) + "," +
         wint(r.qty) + "," + tif_name(r.tif) + "," + order_state_name(r.state) + "," + reject_reason_name(r.reason) + "," +
         wint(r.filled) + "," + wint(r.replaces) + "," + wsint(r.ts_final) + "\n";
  }
  return o;
}

std::string fills_csv(const ReportInput& in) {
  std::string o = "ts_ns,ts_venue_ns,id,strategy,instrument,side,price,qty,liquidity,fee,queue_ahead,mid,position\n";
  for (const auto& f : in.rec.fills) {
    o += wsint(f.ts) + "," + wsint(f.ts_venue) + "," + wint(f.id) + "," + csv_field(strategy_name(in, f.strategy)) + "," +
         csv_field(instrument_name(in, f.instrument)) + "," + side_name(f.side) + "," + wprice(f.price, f.instrument) + "," +
         wint(f.qty) + "," + liquidity_name(f.liquidity) + "," + wnum(f.fee) + "," + wint(f.queue_ahead) + "," +
         (f.mid > 0 ? wnum(f.mid) : std::string()) + "," + wsint(f.position) + "\n";
  }
  return o;
}

// ---------- report.html ----------

std::string report_html(const ReportInput& in) {
  const Recording& r = in.rec;
  const auto& st = r.settings;
  const double t0 = static_cast<double>(r.t_first);
  auto secs = [t0](Nanos t) { return (static_cast<double>(t) - t0) * 1e-9; };
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hftd backtest report</title>\n<style>\n"
      "body{font-family:sans-serif;margin:20px;color:#222;max-width:1340px}h1{font-size:22px}h2{font-size:17px;margin-top:28px;"
      "border-bottom:1px solid #ccc}table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{border:1px solid #ccc;"
      "padding:3px 8px}th{background:#f0f0f0;text-align:left}td.n{text-align:right;font-family:monospace}"
      "svg{display:block;margin:6px 0}.ct{font-size:14px;font-weight:bold}.xl{font-size:11px;text-anchor:middle}"
      ".yl{font-size:11px;text-anchor:end}.yt{font-size:11px;text-anchor:middle}.lg{font-size:11px}.note{font-size:13px;fill:#777}"
      ".gl{stroke:#e4e4e4}.fr{fill:none;stroke:#999}.zl{stroke:#555;stroke-dasharray:4 3}.pm{stroke:#d62728;stroke-dasharray:3 3}"
      ".row{display:flex;flex-wrap:wrap;gap:8px}.warn{color:#b00}\n</style></head><body>\n";
  o += "<h1>hftd backtest report</h1>\n<table>";
  o += "<tr><th>input</th><td>" + html_esc(in.run.input) + "</td></tr><tr><th>config</th><td>" + html_esc(in.run.config_path) +
       "</td></tr><tr><th>hftd</th><td>" + html_esc(in.run.version) + "</td></tr><tr><th>seed</th><td>" + wint(in.run.seed) +
       "</td></tr><tr><th>events</th><td>" + wint(in.events) + "</td></tr><tr><th>event time</th><td>" +
       hnum(secs(r.t_last)) + " s (grid " + hnum(static_cast<double>(st.grid_ns) * 1e-9) + " s, mids " +
       hnum(static_cast<double>(st.mid_grid_ns) * 1e-9) + " s)</td></tr><tr><th>wall time</th><td>" + hnum(in.wall_seconds) +
       " s</td></tr></table>\n";
  const std::uint64_t dropped = r.dropped_orders + r.dropped_fills + r.dropped_grid + r.dropped_mids + r.dropped_trips;
  if (dropped)
    o += "<p class=\"warn\">Recording incomplete: buffers full, dropped " + wint(r.dropped_orders) + " orders, " +
         wint(r.dropped_fills) + " fills, " + wint(r.dropped_grid) + " grid samples, " + wint(r.dropped_mids) +
         " mid samples, " + wint(r.dropped_trips) + " breaker trips (aggregates stay exact).</p>\n";

  // Metrics table: total then one column per strategy.
  std::vector<Metrics> ms{compute_metrics(r, -1)};
  for (std::size_t s = 0; s < st.strategies; ++s) ms.push_back(compute_metrics(r, static_cast<int>(s)));
  o += "<h2>Metrics</h2>\n<table><tr><th>metric</th><th>unit</th><th>total</th>";
  for (std::size_t s = 0; s < st.strategies; ++s) o += "<th>" + html_esc(strategy_name(in, s)) + "</th>";
  o += "</tr>\n";
  auto row = [&](const std::string& name, const std::string& unit, auto get) {
    o += "<tr><td>" + name + "</td><td>" + unit + "</td>";
    for (const auto& m : ms) o += td(hnum(get(m)));
    o += "</tr>\n";
  };
  const std::string ann = "annualised &times;" + hnum(ms[0].rr.annualisation) + " (" + hnum(st.trading_day_s) + " s day, " +
                          std::to_string(st.days_per_year) + " days)";
  row("net P&amp;L", "currency", [](const Metrics& m) { return m.net; });
  row("gross P&amp;L", "currency", [](const Metrics& m) { return m.gross; });
  row("fees", "currency", [](const Metrics& m) { return m.fees; });
  row("realized", "currency", [](const Metrics& m) { return m.realized; });
  row("unrealized", "currency", [](const Metrics& m) { return m.unrealized; });
  row("Sharpe", ann, [](const Metrics& m) { return m.rr.sharpe; });
  row("Sortino", ann, [](const Metrics& m) { return m.rr.sortino; });
  row("intervals", hnum(ms[0].rr.return_interval_s) + " s each", [](const Metrics& m) { return static_cast<double>(m.rr.intervals); });
  row("max drawdown", "currency", [](const Metrics& m) { return m.dd.max; });
  row("max drawdown trough", "s since start", [&](const Metrics& m) { return m.dd.max > 0 ? secs(m.dd.trough_t) : NAN; });
  row("VaR 95%", "currency / interval", [](const Metrics& m) { return m.var95.var; });
  row("CVaR 95%", "currency / interval", [](const Metrics& m) { return m.var95.cvar; });
  row("VaR 99%", "currency / interval", [](const Metrics& m) { return m.var99.var; });
  row("CVaR 99%", "currency / interval", [](const Metrics& m) { return m.var99.cvar; });
  row("round trips", "average cost", [](const Metrics& m) { return static_cast<double>(m.trips); });
  row("win rate", "fraction", [](const Metrics& m) { return m.win_rate; });
  row("profit factor", "ratio", [](const Metrics& m) { return m.profit_factor; });
  row("orders sent", "", [](const Metrics& m) { return static_cast<double>(m.orders_sent); });
  row("fill ratio (qty)", "fraction", [](const Metrics& m) { return m.fill_ratio_qty; });
  row("fill ratio (orders)", "fraction", [](const Metrics& m) { return m.fill_ratio_orders; });
  row("maker fills", "", [](const Metrics& m) { return static_cast<double>(m.maker_fills); });
  row("fills", "", [](const Metrics& m) { return static_cast<double>(m.fills); });
  row("queue ahead at maker fill, mean", "shares", [](const Metrics& m) { return m.queue_mean; });
  row("queue ahead at maker fill, median", "shares", [](const Metrics& m) { return m.queue_median; });
  row("markout 1 s", "currency / share", [](const Metrics& m) { return m.markouts[0].per_share; });
  row("markout 1 s, total", "currency", [](const Metrics& m) { return m.markouts[0].total; });
  row("markout 10 s", "currency / share", [](const Metrics& m) { return m.markouts[1].per_share; });
  row("markout 10 s, total", "currency", [](const Metrics& m) { return m.markouts[1].total; });
  row("traded notional", "currency", [](const Metrics& m) { return m.notional; });
  row("max gross position", "currency", [](const Metrics& m) { return m.max_gross; });
  row("turnover", "&times; max gross", [](const Metrics& m) { return m.turnover; });
  o += "</table>\n";

  // Equity and drawdown.
  o += "<h2>Equity</h2>\n";
  std::vector<Series> eq_series, dd_series;
  for (int s = -1; s < static_cast<int>(st.strategies); ++s) {
    if (s >= 0 && st.strategies == 1) break;  // one strategy: the total is its curve
    Series e{s < 0 ? "total" : strategy_name(in, static_cast<std::size_t>(s)), palette(static_cast<std::size_t>(s + 1)), {}};
    double peak = 0;
    Series d = e;
    for (const auto& p : equity_curve(r, s)) {
      e.xy.push_back({secs(p.t), p.net});
      peak = std::max(peak, p.net);
      d.xy.push_back({secs(p.t), p.net - peak});
    }
    eq_series.push_back(std::move(e));
    if (s < 0) dd_series.push_back(std::move(d));
  }
  o += line_chart("Net P&L (after fees)", eq_series, "s since start", "currency", 1300, 280, true);
  o += line_chart("Drawdown from the running peak", dd_series, "s since start", "currency", 1300, 200, true);

  // Inventory per pair (the most traded first, at most 8).
  std::vector<std::pair<std::uint64_t, std::size_t>> by_fills;
  {
    std::vector<std::uint64_t> n(r.pairs.size(), 0);
    for (const auto& f : r.fills) ++n[f.strategy * st.instruments + f.instrument];
    std::vector<std::uint8_t> has(r.pairs.size(), 0);
    for (const auto& g : r.grid) has[g.strategy * st.instruments + g.instrument] = 1;
    for (std::size_t k = 0; k < n.size(); ++k)
      if (has[k]) by_fills.push_back({n[k], k});
    std::stable_sort(by_fills.begin(), by_fills.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  }
  auto pair_name = [&](std::size_t k) { return strategy_name(in, k / st.instruments) + " " + instrument_name(in, k % st.instruments); };
  std::vector<Series> inv;
  for (std::size_t j = 0; j < by_fills.size() && j < 8; ++j) {
    const std::size_t k = by_fills[j].second;
    Series s{pair_name(k), palette(j), {}};
    for (const auto& g : r.grid)
      if (g.strategy * st.instruments + g.instrument == k) s.xy.push_back({secs(g.t), static_cast<double>(g.inventory)});
    inv.push_back(std::move(s));
  }
  o += "<h2>Inventory</h2>\n" + line_chart("Inventory (shares) per strategy and instrument", inv, "s since start", "shares", 1300, 240, true);

  // Quotes around the mid: the most traded pair, 300 grid samples from a minute before its first fill.
  o += "<h2>Quotes</h2>\n";
  if (by_fills.empty()) {
    o += empty_chart("Own quotes around the mid", "no quotes recorded");
  } else {
    const std::size_t k = by_fills[0].second;
    std::vector<const GridSample*> g;
    for (const auto& s : r.grid)
      if (s.strategy * st.instruments + s.instrument == k) g.push_back(&s);
    Nanos first_fill = 0;
    for (const auto& f : r.fills)
      if (f.strategy * st.instruments + f.instrument == k) {
        first_fill = f.ts;
        break;
      }
    std::size_t a = 0;
    while (a < g.size() && g[a]->t < first_fill - 60'000'000'000LL) ++a;
    const std::size_t e = std::min(g.size(), a + 300);
    Series mid{"mid", "#555", {}}, bid{"own bid", "#2ca02c", {}}, ask{"own ask", "#d62728", {}};
    Series buys{"buy fills", "#2ca02c", {}, true}, sells{"sell fills", "#d62728", {}, true};
    for (std::size_t j = a; j < e; ++j) {
      const double x = secs(g[j]->t);
      mid.xy.push_back({x, g[j]->mid > 0 ? g[j]->mid : NAN});
      bid.xy.push_back({x, g[j]->bid > 0 ? price_to_double(g[j]->bid, g[j]->instrument) : NAN});
      ask.xy.push_back({x, g[j]->ask > 0 ? price_to_double(g[j]->ask, g[j]->instrument) : NAN});
    }
    if (a < e) {
      const Nanos lo = g[a]->t - st.grid_ns, hi = g[e - 1]->t;
      for (const auto& f : r.fills)
        if (f.strategy * st.instruments + f.instrument == k && f.ts >= lo && f.ts < hi)
          (f.side == Side::Buy ? buys : sells).xy.push_back({secs(f.ts), price_to_double(f.price, f.instrument)});
    }
    o += line_chart("Own best quotes around the mid: " + pair_name(k) + " (grid samples " + std::to_string(a) + "-" +
                        std::to_string(e) + ")",
                    {mid, bid, ask, buys, sells}, "s since start", "price", 1300, 300);
  }

  // Latency per stage.
  o += "<h2>Latency per stage (wall clock)</h2>\n";
  if (in.latency.empty()) o += empty_chart("Latency", "no stage latencies given");
  o += "<div class=\"row\">\n";
  for (const auto& l : in.latency) o += latency_chart(l);
  o += "</div>\n<table><tr><th>stage</th><th>count</th><th>p50 ns</th><th>p99 ns</th><th>p99.9 ns</th></tr>\n";
  for (const auto& l : in.latency)
    o += "<tr><td>" + html_esc(l.name) + "</td>" + td(wint(l.count)) + td(hnum(l.p50)) + td(hnum(l.p99)) + td(hnum(l.p999)) + "</tr>\n";
  o += "</table>\n";

  // Model.
  o += "<h2>Predictions</h2>\n";
  const auto pm = prediction_metrics(r.pred);
  o += "<table><tr><th>predictions</th><th>labelled</th><th>accuracy</th><th>macro F1</th><th>log-loss</th><th>ECE</th></tr><tr>" +
       td(wint(pm.predictions)) + td(wint(pm.labels)) + td(hnum(pm.accuracy)) + td(hnum(pm.macro_f1)) + td(hnum(pm.log_loss)) +
       td(hnum(pm.ece)) + "</tr></table>\n";
  o += "<div class=\"row\">\n" + reliability_chart(pm) + confidence_chart(pm) + "</div>\n";
  std::vector<std::pair<std::string, double>> bars;
  for (const auto& f : in.features) bars.push_back({f.name, f.gain});
  o += bar_chart("Feature importance (gain)", bars, "");
  o += "<table><tr><th>model versions</th></tr>\n";
  for (const auto& m : in.models) o += "<tr><td>" + html_esc(m) + "</td></tr>\n";
  if (in.models.empty()) o += "<tr><td>none</td></tr>\n";
  o += "</table>\n";
  if (!in.learning.empty() || !in.quality.empty()) {
    o += "<h3>Continuous learning</h3>\n<table><tr><th>requested</th><th>reason</th><th>outcome</th><th>version</th>"
         "<th>train rows</th><th>test rows</th><th>champion log-loss</th><th>challenger log-loss</th><th>why</th></tr>\n";
    for (const auto& l : in.learning)
      o += "<tr>" + td(html_esc(time_of_day(l.t_request))) + td(html_esc(l.reason)) + td(html_esc(l.outcome)) +
           td(html_esc(l.version)) + td(wint(l.train_rows)) + td(wint(l.test_rows)) + td(hnum(l.champion_log_loss)) +
           td(hnum(l.challenger_log_loss)) + td(html_esc(l.why)) + "</tr>\n";
    o += "</table>\n<table><tr><th>from</th><th>labels</th><th>accuracy</th><th>log-loss</th></tr>\n";
    for (const auto& q : in.quality)
      o += "<tr>" + td(html_esc(time_of_day(q.t_from))) + td(wint(q.labels)) + td(hnum(q.accuracy)) + td(hnum(q.log_loss)) + "</tr>\n";
    o += "</table>\n";
  }

  // Risk.
  o += "<h2>Risk</h2>\n<div class=\"row\"><table><tr><th>reject reason</th><th>count</th></tr>\n";
  for (int k = 1; k < kRejectReasonCount; ++k)
    if (r.total.rejects[static_cast<std::size_t>(k)])
      o += "<tr><td>" + std::string(reject_reason_name(static_cast<RejectReason>(k))) + "</td>" +
           td(wint(r.total.rejects[static_cast<std::size_t>(k)])) + "</tr>\n";
  o += "</table>\n<table><tr><th>breaker trip reason</th><th>count</th></tr>\n";
  for (const auto& [reason, n] : trips_by_reason(r)) o += "<tr><td>" + html_esc(reason) + "</td>" + td(wint(n)) + "</tr>\n";
  o += "<tr><td>total (incl. unrecorded)</td>" + td(wint(r.breaker_trips)) + "</tr></table>\n";
  o += "<table><tr><th>risk counter</th><th>value</th></tr>\n";
  for (const auto& c : in.risk_counters) o += "<tr><td>" + html_esc(c.name) + "</td>" + td(wint(c.value)) + "</tr>\n";
  o += "</table></div>\n</body></html>\n";
  return o;
}

void write_report(const std::string& dir, const ReportInput& in) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("report: cannot create " + dir + ": " + ec.message());
  const std::pair<const char*, std::string> files[] = {
      {"report.json", report_json(in)}, {"report.html", report_html(in)}, {"orders.csv", orders_csv(in)}, {"fills.csv", fills_csv(in)}};
  for (const auto& [name, text] : files) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("report: cannot write " + path);
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok) throw std::runtime_error("report: write failed: " + path);
  }
}

}  // namespace hft::report
