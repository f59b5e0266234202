// Turns a SOURCE string ("pcap:FILE.pcap", "itch:FILE[.gz]", "lobster:MESSAGE.csv", "dbn:FILE.dbn.zst",
// "binance:A.gz,B.gz") into the
// reader for it. The one place that knows every reader; everything else sees EventSource.
#pragma once
#include <memory>
#include <string>

#include "hft/feed/source.hpp"

namespace hft::sources {

struct SourceSpec {
  std::string kind;  // pcap | itch | lobster | dbn | binance
  std::string path;
};

// Parses "kind:path". Throws std::invalid_argument with a clear message on a bad spec.
SourceSpec parse_source_spec(const std::string& spec);

// Opens a source. Throws std::runtime_error with the path and reason when it cannot.
std::unique_ptr<feed::EventSource> open_source(const SourceSpec& spec,
                                               const feed::FeedOptions& opts = {});

}  // namespace hft::sources
