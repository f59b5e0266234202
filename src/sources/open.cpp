#include "hft/sources/open.hpp"

#include <stdexcept>

#include "hft/binance/binance_source.hpp"
#include "hft/dbn/dbn_source.hpp"
#include "hft/feed/itch_file_source.hpp"
#include "hft/feed/pcap_source.hpp"
#include "hft/lobster/lobster_source.hpp"

namespace hft::sources {

SourceSpec parse_source_spec(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    throw std::invalid_argument("bad SOURCE '" + spec +
                                "': expected KIND:PATH with KIND one of pcap, itch, lobster, dbn, binance");
  SourceSpec s{spec.substr(0, colon), spec.substr(colon + 1)};
  if (s.kind != "pcap" && s.kind != "itch" && s.kind != "lobster" && s.kind != "dbn" && s.kind != "binance")
    throw std::invalid_argument("bad SOURCE '" + spec + "': unknown kind '" + s.kind +
                                "' (pcap, itch, lobster, dbn, binance)");
  return s;
}

std::unique_ptr<feed::EventSource> open_source(const SourceSpec& spec,
                                               const feed::FeedOptions& opts) {
  if (spec.kind == "pcap") return feed::open_pcap_source(spec.path, opts);
  if (spec.kind == "itch") return feed::open_itch_file_source(spec.path, opts);
  if (spec.kind == "lobster") return lobster::open_lobster_source(spec.path, opts);
  if (spec.kind == "dbn") return dbn::open_dbn_source(spec.path, opts);
  if (spec.kind == "binance") return binance::open_binance_source(spec.path, opts);
  throw std::invalid_argument("unknown source kind '" + spec.kind + "'");
}

}  // namespace hft::sources
