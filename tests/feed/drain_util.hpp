// Reading a whole source into memory for the feed tests, and its counters by name.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hft/feed/source.hpp"

namespace hft::feed::drain_util {

struct Drained {
  std::vector<MarketEvent> events;
  SourceStats stats;
};

// Every event of the source, read `span` at a time, and its final counters.
inline Drained drain(EventSource& src, std::size_t span = kMaxBatch) {
  Drained d;
  std::vector<MarketEvent> buf(span);
  while (const std::size_t n = src.next(buf))
    d.events.insert(d.events.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  d.stats = src.stats();
  return d;
}

inline std::uint64_t count(const SourceStats& s, const std::string& k) {
  auto it = s.counts.find(k);
  return it == s.counts.end() ? 0 : it->second;
}
inline std::uint64_t error(const SourceStats& s, const std::string& k) {
  auto it = s.errors.find(k);
  return it == s.errors.end() ? 0 : it->second;
}

}  // namespace hft::feed::drain_util
