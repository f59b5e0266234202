#include "cli.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hft/config/config.hpp"

namespace hft::app {

Options::Options(int argc, char** argv, const std::vector<std::string>& value_opts,
                 const std::vector<std::string>& flag_opts) {
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    std::string val;
    bool inline_val = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      val = a.substr(eq + 1);
      a = a.substr(0, eq);
      inline_val = true;
    }
    if (contains(value_opts, a)) {
      if (!inline_val) {
        if (i + 1 >= argc) throw UsageError("option " + a + " needs a value");
        val = argv[++i];
      }
      values_[a] = val;
      multi_[a].push_back(val);
    } else if (contains(flag_opts, a) && !inline_val) {
      values_[a] = "1";
    } else {
      throw UsageError("unknown option '" + a + "'");
    }
  }
}

std::string Options::str(const std::string& name, const std::string& def) const {
  auto it = values_.find(name);
  return it == values_.end() ? def : it->second;
}

std::string Options::required(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw UsageError("missing required option " + name);
  return it->second;
}

std::int64_t Options::integer(const std::string& name, std::int64_t def, std::int64_t lo,
                              std::int64_t hi) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def;
  std::int64_t v = 0;
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    throw UsageError(name + ": '" + s + "' is not an integer");
  if (v < lo || v > hi)
    throw UsageError(name + ": " + s + " is outside [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
  return v;
}

double Options::real(const std::string& name, double def) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end != '\0')
    throw UsageError(name + ": '" + it->second + "' is not a number");
  return v;
}

config::Config config_option(const Options& o) {
  if (!o.has("--config")) return config::default_config();
  // The whole file is validated (a typo anywhere is an error).
  const std::string file = o.str("--config");
  auto r = config::load_config_file(file);
  if (!r.config) {
    std::string msg = config::format_errors(r.errors, file);
    if (!msg.empty() && msg.back() == '\n') msg.pop_back();
    throw std::runtime_error(msg);
  }
  return std::move(*r.config);
}

feed::FeedOptions feed_options(const Options& o) {
  feed::FeedOptions f;
  // Instrument scales for decimal-text sources: the config's, else the defaults.
  const config::Config c = o.has("--config") ? config_option(o) : config::default_config();
  if (o.has("--config")) {
    f.dst_addr = c.feed.dst_addr;
    f.dst_port = c.feed.dst_port;
  }
  for (const auto& in : c.instruments) f.instruments.push_back({in.symbol, in.market, config::scale_of(in)});
  if (o.has("--dst")) {
    const std::string d = o.str("--dst");
    const auto colon = d.rfind(':');
    if (colon == std::string::npos || colon + 1 == d.size())
      throw UsageError("--dst needs ADDR:PORT, got '" + d + "'");
    f.dst_addr = d.substr(0, colon);
    std::uint32_t port = 0;
    const char* b = d.data() + colon + 1;
    auto [p, ec] = std::from_chars(b, d.data() + d.size(), port);
    if (ec != std::errc() || p != d.data() + d.size() || port > 65535)
      throw UsageError("--dst: bad port in '" + d + "'");
    f.dst_port = static_cast<std::uint16_t>(port);
  }
  return f;
}

void warn_over_capacity(std::uint64_t no_features, std::uint64_t no_regime, std::size_t max_instruments,
                        std::size_t instruments) {
  if (no_features == 0 && no_regime == 0) return;
  const std::string regime =
      no_regime == 0 ? "" : ", " + std::to_string(no_regime) + " without a regime label";
  std::fprintf(stderr,
               "warning: instruments past the first %zu (system.max_instruments) got no state: %llu events without "
               "features%s; the input named %zu instruments: raise system.max_instruments to at least that\n",
               max_instruments, static_cast<unsigned long long>(no_features), regime.c_str(), instruments);
}

void warn_all_filtered(const feed::SourceStats& st, const feed::FeedOptions& fo) {
  const auto it = st.counts.find("pcap.filtered_out");
  if (st.events != 0 || it == st.counts.end() || it->second == 0) return;
  std::fprintf(stderr,
               "warning: no event read: all %llu UDP frames went elsewhere than the destination filter %s:%u "
               "(feed.dst_addr/dst_port or --dst); \"\" and 0 there read any destination\n",
               static_cast<unsigned long long>(it->second), fo.dst_addr.empty() ? "any" : fo.dst_addr.c_str(),
               static_cast<unsigned>(fo.dst_port));
}

}  // namespace hft::app
