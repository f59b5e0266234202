// PLACEHOLDER until the dbn reader lands.
#include "hft/dbn/dbn_source.hpp"

#include <stdexcept>

namespace hft::dbn {
std::unique_ptr<feed::EventSource> open_dbn_source(const std::string& path, const feed::FeedOptions&) {
  throw std::runtime_error("dbn reader not built yet: " + path);
}
}  // namespace hft::dbn
