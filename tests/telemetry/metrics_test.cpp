#include "hft/telemetry/metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hft::telemetry {
namespace {

bool is_name(const std::string& n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
  return true;
}

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

// Checks the text exposition format 0.0.4 line by line; returns the samples, or fails.
std::vector<Sample> parse_exposition(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  std::map<std::string, std::string> types;  // family -> type
  std::set<std::string> helped, closed;
  std::string current;                        // family whose samples may follow
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const bool help = line[2] == 'H';
      const std::string rest = line.substr(7);
      const std::size_t sp = rest.find(' ');
      const std::string name = rest.substr(0, sp);
      EXPECT_TRUE(is_name(name)) << line;
      EXPECT_NE(sp, std::string::npos) << line;
      if (help) {
        EXPECT_TRUE(helped.insert(name).second) << "HELP twice: " << line;
      } else {
        const std::string type = rest.substr(sp + 1);
        EXPECT_TRUE(type == "counter" || type == "gauge" || type == "summary") << line;
        EXPECT_TRUE(types.emplace(name, type).second) << "TYPE twice: " << line;
        EXPECT_TRUE(helped.count(name)) << "TYPE before HELP: " << line;
        if (type == "counter") { EXPECT_TRUE(name.ends_with("_total")) << line; }
      }
      if (current != name) {
        EXPECT_FALSE(closed.count(name)) << "family split: " << line;
        if (!current.empty()) closed.insert(current);
        current = name;
      }
      continue;
    }
    EXPECT_NE(line[0], '#') << line;
    EXPECT_FALSE(line.empty());
    Sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    EXPECT_TRUE(is_name(s.name)) << line;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const std::size_t eq = line.find('=', i);
        EXPECT_NE(eq, std::string::npos) << line;
        if (eq == std::string::npos) return out;
        const std::string lname = line.substr(i, eq - i);
        EXPECT_TRUE(is_name(lname)) << line;
        EXPECT_EQ(line[eq + 1], '"') << line;
        std::string val;
        std::size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            ++j;
            EXPECT_TRUE(line[j] == '\\' || line[j] == '"' || line[j] == 'n') << line;
            val += line[j] == 'n' ? '\n' : line[j];
          } else {
            val += line[j];
          }
        }
        EXPECT_LT(j, line.size()) << "unterminated label value: " << line;
        s.labels[lname] = val;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      EXPECT_LT(i, line.size()) << line;
      ++i;
    }
    EXPECT_EQ(line[i], ' ') << line;
    const std::string v = line.substr(i + 1);
    char* end = nullptr;
    s.value = std::strtod(v.c_str(), &end);
    EXPECT_TRUE(!v.empty() && *end == '\0') << "value: " << line;
    // The sample belongs to the family announced just before it.
    const auto t = types.find(current);
    EXPECT_NE(t, types.end()) << "sample without TYPE: " << line;
    if (t != types.end() && t->second == "summary") {
      EXPECT_TRUE(s.name == current || s.name == current + "_sum" || s.name == current + "_count") << line;
    } else {
      EXPECT_EQ(s.name, current) << line;
    }
    out.push_back(s);
  }
  return out;
}

const Sample* find(const std::vector<Sample>& v, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  for (const auto& s : v)
    if (s.name == name && s.labels == labels) return &s;
  return nullptr;
}

TEST(Metrics, RendersValidExposition) {
  Registry r(64);
  Counter& adds = r.counter("hft_events", "kind=\"Add\"", "events decoded");
  Counter& dels = r.counter("hft_events", "kind=\"Delete\"", "ignored second help");
  Gauge& depth = r.gauge("hft_ring_depth", "", "ring depth");
  Counter& weird = r.counter("hft_odd_total", "v=\"a\"b\\c\nd\",w=plain", "odd\nhelp \\ text");
  auto h = std::make_unique<LatencyHistogram>();
  for (std::uint64_t i = 1; i <= 1000; ++i) h->record(i * 1000);
  r.histogram("hft_stage_latency_ns", "stage=\"book\"", h.get(), "book stage latency");
  auto empty = std::make_unique<LatencyHistogram>();
  r.histogram("hft_stage_latency_ns", "stage=\"features\"", empty.get());
  r.gauge_fn("hft_fn", "", "callback gauge", [] { return std::int64_t{-7}; });
  adds.add(40);
  adds.inc();
  adds.inc();
  dels.set(5);
  depth.set(-3);
  depth.add(10);
  weird.inc();

  const std::string text = r.render_prometheus();
  const auto samples = parse_exposition(text);
  ASSERT_FALSE(HasFailure()) << text;

  auto val = [&](const std::string& n, const std::map<std::string, std::string>& l) {
    const Sample* s = find(samples, n, l);
    EXPECT_NE(s, nullptr) << n << "\n" << text;
    return s ? s->value : -1e300;
  };
  EXPECT_EQ(val("hft_events_total", {{"kind", "Add"}}), 42);
  EXPECT_EQ(val("hft_events_total", {{"kind", "Delete"}}), 5);
  EXPECT_EQ(val("hft_ring_depth", {}), 7);
  EXPECT_EQ(val("hft_fn", {}), -7);
  EXPECT_EQ(val("hft_odd_total", {{"v", "a\"b\\c\nd"}, {"w", "plain"}}), 1);
  EXPECT_EQ(val("hft_stage_latency_ns_count", {{"stage", "book"}}), 1000);
  EXPECT_EQ(val("hft_stage_latency_ns_sum", {{"stage", "book"}}), 500500000);
  const double p99 = val("hft_stage_latency_ns", {{"stage", "book"}, {"quantile", "0.99"}});
  EXPECT_NEAR(p99, 990000, 990000 * LatencyHistogram::kRelativeError);
  for (const char* q : {"0.5", "0.9", "0.99", "0.999"})
    EXPECT_NE(find(samples, "hft_stage_latency_ns", {{"stage", "features"}, {"quantile", q}}), nullptr) << q;
  EXPECT_EQ(val("hft_stage_latency_ns_count", {{"stage", "features"}}), 0);
  EXPECT_NE(text.find("# HELP hft_events_total events decoded\n"), std::string::npos);
  EXPECT_NE(text.find("# HELP hft_odd_total odd\\nhelp \\\\ text\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE hft_stage_latency_ns summary\n"), std::string::npos);
  EXPECT_NE(text.find("nanoseconds"), std::string::npos);
}

TEST(Metrics, SameSeriesTwiceIsTheSameObject) {
  Registry r(8);
  Counter& a = r.counter("c", "x=\"1\"", "h");
  Counter& b = r.counter("c", "x=1", "h");  // unquoted value: same canonical labels
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &r.counter("c", "x=\"2\"", "h"));
  EXPECT_EQ(r.size(), 2u);
}

TEST(Metrics, RejectsBadInputAndFullRegistry) {
  Registry r(2);
  EXPECT_THROW(r.counter("9bad", "", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("bad-name", "", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "novalue", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "a=\"unterminated", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "__reserved=\"1\"", "h"), std::invalid_argument);
  EXPECT_THROW(r.histogram("lat", "", nullptr), std::invalid_argument);
  r.gauge("g", "", "h");
  r.counter("g", "", "h");  // rendered as g_total: another family
  EXPECT_THROW(r.gauge("g_total", "", "h"), std::invalid_argument);  // type clash
  EXPECT_THROW(r.gauge("g3", "", "h"), std::length_error);
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(parse_exposition(r.render_prometheus()).size(), 2u);
}

// Registration while another thread renders and a third updates (TSAN checks the races).
TEST(Metrics, RegisterWhileRendering) {
  Registry r(512);
  Counter& hot = r.counter("hot", "", "h");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load(std::memory_order_relaxed)) hot.inc();
  });
  std::thread renderer([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const std::string t = r.render_prometheus();
      if (t.find("# TYPE hot_total counter") == std::string::npos) { ADD_FAILURE() << t; }
    }
  });
  auto hist = std::make_unique<LatencyHistogram>();
  hist->record(1000);
  for (int i = 0; i < 300; ++i) {
    r.gauge("series", "i=\"" + std::to_string(i) + "\"", "h").set(i);
    if (i % 10 == 0) r.histogram("lat", "i=\"" + std::to_string(i) + "\"", hist.get());
  }
  stop.store(true);
  writer.join();
  renderer.join();
  const auto samples = parse_exposition(r.render_prometheus());
  EXPECT_EQ(samples.size(), 1u + 300u + 30u * 6u);  // 4 quantiles, _sum, _count per summary
  const Sample* s = find(samples, "series", {{"i", "299"}});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->value, 299);
}

}  // namespace
}  // namespace hft::telemetry
