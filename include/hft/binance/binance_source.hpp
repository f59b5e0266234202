// Opens Binance recorder files (`binance:A.gz[,B.gz...]`, read as one stream in the order
// given) as an EventSource (feed/source.hpp): GzLines + Decoder. Exchange times are ns since
// the epoch. Prices and sizes use each instrument's scale from FeedOptions::instruments.
// May touch: core/, feed/source.hpp, binance/.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "hft/feed/source.hpp"

namespace hft::binance {

// "A.gz,B.gz" -> {"A.gz", "B.gz"} (empty names refused with std::invalid_argument).
std::vector<std::string> split_paths(const std::string& list);

// Throws std::runtime_error naming the path and the reason when a file cannot be opened.
std::unique_ptr<feed::EventSource> open_binance_source(const std::string& paths, const feed::FeedOptions& opts);

}  // namespace hft::binance
