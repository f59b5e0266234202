// The recorded day a benchmark runs on: the pcap named by HFT_BENCH_PCAP (bench/run passes a
// converted LOBSTER day and a generated day), decoded once and held in memory; empty when unset.
#pragma once
#include <cstdlib>
#include <vector>

#include "hft/core/event.hpp"
#include "hft/feed/pcap_source.hpp"

namespace hft::bench {

inline const std::vector<MarketEvent>& day_events() {
  static const std::vector<MarketEvent> evs = [] {
    std::vector<MarketEvent> v;
    const char* path = std::getenv("HFT_BENCH_PCAP");
    if (!path || !*path) return v;
    auto src = feed::open_pcap_source(path, {});
    std::vector<MarketEvent> buf(feed::kMaxBatch);
    while (const auto n = src->next(buf)) v.insert(v.end(), buf.begin(), buf.begin() + static_cast<long>(n));
    return v;
  }();
  return evs;
}

}  // namespace hft::bench
