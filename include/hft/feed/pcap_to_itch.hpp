// Copies the ITCH 5.0 messages of a MoldUDP64 pcap into an ITCH file byte for byte, in
// sequence order: each message the pcap source would deliver (duplicates and overlaps dropped
// by the same MoldUDP64 rules), including the types that make no event (Y L V W I N ...), so
// that the file decodes to the same events and counters as the pcap. May touch: feed/.
#pragma once
#include <cstdint>
#include <string>

#include "hft/feed/itch_file.hpp"
#include "hft/feed/moldudp64.hpp"
#include "hft/feed/source.hpp"

namespace hft::feed {

struct PcapCopyStats {
  std::uint64_t datagrams = 0;
  std::uint64_t messages = 0;
  MoldCounters mold;  // gaps, duplicates, truncated packets, as the pcap source counts them
};

// Throws std::runtime_error when the pcap cannot be opened or the output written.
PcapCopyStats copy_pcap_to_itch(const std::string& pcap_path, const FeedOptions& opts, ItchFileWriter& out);

}  // namespace hft::feed
