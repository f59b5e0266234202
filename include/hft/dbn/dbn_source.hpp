// Opens a Databento DBN file (versions 1-3, plain or zstd) as an EventSource (see
// feed/source.hpp); dbn_event_source.hpp has the concrete type and the mapping rules.
#pragma once
#include <memory>
#include <string>

#include "hft/feed/source.hpp"

namespace hft::dbn {

// Throws std::runtime_error naming the path and the reason when the file cannot be read.
std::unique_ptr<feed::EventSource> open_dbn_source(const std::string& path,
                                                   const feed::FeedOptions& opts);

}  // namespace hft::dbn
