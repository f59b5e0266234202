// PLACEHOLDER until the pcap reader lands.
#include "hft/feed/pcap_source.hpp"

#include <stdexcept>

namespace hft::feed {
std::unique_ptr<feed::EventSource> open_pcap_source(const std::string& path, const feed::FeedOptions&) {
  throw std::runtime_error("pcap reader not built yet: " + path);
}
}  // namespace hft::feed
