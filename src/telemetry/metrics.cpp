#include "hft/telemetry/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace hft::telemetry {
namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

bool valid_name(std::string_view n, bool allow_colon) {
  if (n.empty() || !name_start(n[0]) || (!allow_colon && n[0] == ':')) return false;
  for (char c : n)
    if (!name_char(c) || (!allow_colon && c == ':')) return false;
  return true;
}

// name="value",name=value,... -> canonical name="escaped",... (see the header for the rules).
std::string canonical_labels(std::string_view in, std::string_view family) {
  std::string out;
  std::size_t i = 0;
  auto fail = [&](const char* why) {
    throw std::invalid_argument("metrics: bad labels '" + std::string(in) + "' for " +
                                std::string(family) + ": " + why);
  };
  while (i < in.size()) {
    while (i < in.size() && in[i] == ' ') ++i;
    const std::size_t eq = in.find('=', i);
    if (eq == std::string_view::npos) fail("expected name=value");
    std::string_view name = in.substr(i, eq - i);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!valid_name(name, false) || name.substr(0, 2) == "__") fail("bad label name");
    std::string_view value;
    i = eq + 1;
    if (i < in.size() && in[i] == '"') {
      // The closing quote is the last quote before the next ',' that follows a quote, or the end.
      std::size_t end = std::string_view::npos;
      for (std::size_t j = i + 1; j < in.size(); ++j)
        if (in[j] == '"' && (j + 1 == in.size() || in[j + 1] == ',')) { end = j; break; }
      if (end == std::string_view::npos) fail("unterminated quoted value");
      value = in.substr(i + 1, end - i - 1);
      i = end + 1;
    } else {
      const std::size_t comma = in.find(',', i);
      value = in.substr(i, comma == std::string_view::npos ? in.size() - i : comma - i);
      i = comma == std::string_view::npos ? in.size() : comma;
    }
    if (i < in.size()) {
      if (in[i] != ',') fail("expected ',' between labels");
      ++i;
    }
    if (!out.empty()) out += ',';
    out.append(name);
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void append_sample(std::string& out, const std::string& name, std::string_view labels,
                   std::string_view extra_label, const char* value) {
  out += name;
  if (!labels.empty() || !extra_label.empty()) {
    out += '{';
    out.append(labels);
    if (!labels.empty() && !extra_label.empty()) out += ',';
    out.append(extra_label);
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

std::string fmt_double(double v) {
  if (std::isnan(v)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

Registry::Registry(std::size_t capacity) : capacity_(capacity) {}

Registry::Series& Registry::add(std::string_view family, std::string_view labels,
                                std::string_view help, Type type, const LatencyHistogram* hist,
                                std::function<std::int64_t()>* fn) {
  if (!valid_name(family, true))
    throw std::invalid_argument("metrics: bad metric name '" + std::string(family) + "'");
  std::string name(family);
  if (type == Type::Counter && !(name.size() >= 6 && name.compare(name.size() - 6, 6, "_total") == 0))
    name += "_total";
  std::string canon = canonical_labels(labels, family);
  if (type == Type::Summary && canon.find("quantile=\"") != std::string::npos)
    throw std::invalid_argument("metrics: label 'quantile' is reserved in summary " + name);

  std::lock_guard lock(mu_);
  Family* fam = nullptr;
  for (auto& f : families_)
    if (f.name == name) fam = &f;
  if (fam && fam->type != type)
    throw std::invalid_argument("metrics: family " + name + " already registered with another type");
  if (fam)
    for (Series* s : fam->series)
      if (s->labels == canon) {
        // Re-registration points the series at the new source (under the lock: renders see
        // either the old or the new one).
        if (hist) s->hist = hist;
        if (fn) s->fn = std::move(*fn);
        return *s;
      }
  if (series_.size() >= capacity_)
    throw std::length_error("metrics: registry full (" + std::to_string(capacity_) +
                            " series) registering " + name + "{" + canon + "}");
  if (!fam) {
    std::string h(help);
    if (type == Type::Summary && h.find("nanosecond") == std::string::npos) h += " (nanoseconds)";
    families_.push_back(Family{name, escape_help(h), type, {}});
    fam = &families_.back();
  }
  Series& s = series_.emplace_back();
  s.labels = std::move(canon);
  s.hist = hist;
  if (fn) s.fn = std::move(*fn);
  fam->series.push_back(&s);
  return s;
}

Counter& Registry::counter(std::string_view family, std::string_view labels, std::string_view help) {
  return add(family, labels, help, Type::Counter, nullptr, nullptr).counter;
}

Gauge& Registry::gauge(std::string_view family, std::string_view labels, std::string_view help) {
  return add(family, labels, help, Type::Gauge, nullptr, nullptr).gauge;
}

void Registry::histogram(std::string_view family, std::string_view labels,
                         const LatencyHistogram* h, std::string_view help) {
  if (!h) throw std::invalid_argument("metrics: null histogram for " + std::string(family));
  add(family, labels, help, Type::Summary, h, nullptr);
}

void Registry::gauge_fn_real(std::string_view family, std::string_view labels, std::string_view help,
                             std::function<double()> fn) {
  if (!fn) throw std::invalid_argument("metrics: empty gauge function for " + std::string(family));
  // A placeholder integer function marks the series as computed; the real one is set under the
  // lock before any render can see it.
  std::function<std::int64_t()> unused = [] { return std::int64_t{0}; };
  Series& s = add(family, labels, help, Type::Gauge, nullptr, &unused);
  std::lock_guard lock(mu_);
  s.real_fn = std::move(fn);
}

void Registry::gauge_fn(std::string_view family, std::string_view labels, std::string_view help,
                        std::function<std::int64_t()> fn) {
  if (!fn) throw std::invalid_argument("metrics: empty gauge function for " + std::string(family));
  add(family, labels, help, Type::Gauge, nullptr, &fn);
}

std::size_t Registry::size() const {
  std::lock_guard lock(mu_);
  return series_.size();
}

std::string Registry::render_prometheus() const {
  static constexpr std::pair<double, const char*> kQuantiles[] = {
      {0.5, "quantile=\"0.5\""}, {0.9, "quantile=\"0.9\""}, {0.99, "quantile=\"0.99\""},
      {0.999, "quantile=\"0.999\""}};
  std::string out;
  std::lock_guard lock(mu_);
  out.reserve(128 * series_.size() + 256 * families_.size());
  for (const Family& f : families_) {
    out += "# HELP " + f.name + ' ' + f.help + '\n';
    out += "# TYPE " + f.name + ' ';
    out += f.type == Type::Counter ? "counter\n" : f.type == Type::Gauge ? "gauge\n" : "summary\n";
    for (const Series* s : f.series) {
      switch (f.type) {
        case Type::Counter:
          append_sample(out, f.name, s->labels, "", std::to_string(s->counter.value()).c_str());
          break;
        case Type::Gauge: {
          if (s->real_fn) {
            append_sample(out, f.name, s->labels, "", fmt_double(s->real_fn()).c_str());
            break;
          }
          const std::int64_t v = s->fn ? s->fn() : s->gauge.value();
          append_sample(out, f.name, s->labels, "", std::to_string(v).c_str());
          break;
        }
        case Type::Summary: {
          const LatencyHistogram::Snapshot snap = s->hist->snapshot();
          for (const auto& [q, label] : kQuantiles)
            append_sample(out, f.name, s->labels, label,
                          snap.count ? fmt_double(snap.quantile(q)).c_str() : "NaN");
          append_sample(out, f.name + "_sum", s->labels, "", std::to_string(snap.sum).c_str());
          append_sample(out, f.name + "_count", s->labels, "", std::to_string(snap.count).c_str());
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace hft::telemetry
