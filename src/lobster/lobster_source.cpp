// PLACEHOLDER until the lobster reader lands.
#include "hft/lobster/lobster_source.hpp"

#include <stdexcept>

namespace hft::lobster {
std::unique_ptr<feed::EventSource> open_lobster_source(const std::string& path, const feed::FeedOptions&) {
  throw std::runtime_error("lobster reader not built yet: " + path);
}
}  // namespace hft::lobster
