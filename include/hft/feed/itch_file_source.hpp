// Opens a NASDAQ binary ITCH 5.0 file (plain or .gz, see itch_file.hpp) as an EventSource:
// the same ITCH decoder, instrument table and "itch.*" counters as the pcap path, plus
// "itchfile.*" counters for the framing and the gzip stream.
//
// Times: ts_exch is the ITCH timestamp, ns since midnight (time_basis() SinceMidnight). A file
// has no receive time and no date: ts_recv = ts_exch, as for LOBSTER; commands that need the
// date take --date. Event groups (evflag::kLast): the file has no packets, so a group is the
// run of messages sharing one timestamp (what one matching-engine action stamps); a group
// therefore ends one event late, when the next timestamp is seen. Never stale (no sequence
// numbers to find a gap in). May touch: core/, itch/, feed/.
#pragma once
#include <memory>
#include <string>

#include "hft/feed/source.hpp"

namespace hft::feed {

// Throws std::runtime_error naming the path and the reason when the file cannot be opened.
std::unique_ptr<EventSource> open_itch_file_source(const std::string& path, const FeedOptions& opts);

}  // namespace hft::feed
