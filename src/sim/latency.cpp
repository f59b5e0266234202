// Latency models of the simulated exchange: constant, or a bootstrap from an empirical sample.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include "hft/sim/exchange.hpp"

namespace hft::sim {

namespace {
std::uint64_t splitmix_next(std::uint64_t& s) noexcept {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

LatencyModel LatencyModel::constant(Nanos ns) {
  if (ns < 0) throw std::invalid_argument("latency: a constant latency must be >= 0 ns, got " + std::to_string(ns));
  LatencyModel m;
  m.fixed = ns;
  return m;
}

LatencyModel LatencyModel::from_samples(std::vector<Nanos> samples, std::uint64_t seed) {
  if (samples.empty()) throw std::invalid_argument("latency: an empirical latency needs at least one sample");
  for (const Nanos v : samples)
    if (v < 0) throw std::invalid_argument("latency: negative sample " + std::to_string(v));
  LatencyModel m;
  m.samples = std::move(samples);
  m.state = seed;
  return m;
}

LatencyModel LatencyModel::from_file(const std::string& path, std::uint64_t seed) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("latency file " + path + ": cannot open (" + std::strerror(errno) + ")");
  std::vector<Nanos> v;
  std::string line;
  std::size_t ln = 0;
  while (std::getline(in, line)) {
    ++ln;
    if (const auto h = line.find('#'); h != std::string::npos) line.resize(h);
    std::size_t b = 0, e = line.size();
    while (b < e && std::isspace(static_cast<unsigned char>(line[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(line[e - 1]))) --e;
    if (b == e) continue;
    const std::string tok = line.substr(b, e - b);
    auto bad = [&](const char* why) {
      return std::runtime_error("latency file " + path + " line " + std::to_string(ln) + ": '" + tok + "' " + why);
    };
    if (tok[0] == '-') throw bad("is negative (latencies are >= 0 ns)");
    for (const char c : tok)
      if (c < '0' || c > '9') throw bad("is not an integer number of nanoseconds");
    errno = 0;
    char* end = nullptr;
    const unsigned long long x = std::strtoull(tok.c_str(), &end, 10);
    if (errno == ERANGE || x > static_cast<unsigned long long>(INT64_MAX)) throw bad("is out of range");
    v.push_back(static_cast<Nanos>(x));
  }
  if (in.bad()) throw std::runtime_error("latency file " + path + ": read error");
  if (v.empty()) throw std::runtime_error("latency file " + path + ": no latency values (one integer ns per line expected)");
  return from_samples(std::move(v), seed);
}

Nanos LatencyModel::draw() noexcept {
  if (samples.empty()) return fixed;
  // Uniform index by the multiply-shift map (bias below 2^-40 for any realistic sample size).
  __extension__ typedef unsigned __int128 U128;
  const U128 r = static_cast<U128>(splitmix_next(state)) * samples.size();
  return samples[static_cast<std::size_t>(r >> 64)];
}

const char* queue_model_name(QueueModel m) noexcept {
  switch (m) {
    case QueueModel::L3Exact: return "l3_exact";
    case QueueModel::ProbPower2: return "prob_power2";
    case QueueModel::ProbPower3: return "prob_power3";
    case QueueModel::ProbLog: return "prob_log";
    case QueueModel::RiskAverse: return "risk_averse";
  }
  return "?";
}

bool parse_queue_model(const std::string& s, QueueModel& out) noexcept {
  for (const QueueModel m : {QueueModel::L3Exact, QueueModel::ProbPower2, QueueModel::ProbPower3,
                             QueueModel::ProbLog, QueueModel::RiskAverse})
    if (s == queue_model_name(m)) {
      out = m;
      return true;
    }
  return false;
}

}  // namespace hft::sim
