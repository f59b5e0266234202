// The instrument table of an ITCH 5.0 stream: Stock Directory ('R') messages fill it, and a
// locate seen before (or without) its directory gets a placeholder named from the message's
// stock field. Shared by every ITCH reader (MoldUDP64 packets, ITCH files) so that they list
// the same instruments for the same messages. May touch: core/, itch/, feed/source.hpp.
#pragma once
#include <cstdint>
#include <vector>

#include "hft/core/event.hpp"
#include "hft/feed/source.hpp"

namespace hft::feed {

class ItchInstrumentTable {
 public:
  ItchInstrumentTable();
  // Called with each decoded event and the message it came from: one branch per event unless
  // the locate is new or the message is a directory.
  void on_event(const std::uint8_t* msg, const MarketEvent& ev) {
    if (ev.kind == EventKind::Directory) [[unlikely]] on_directory(msg);
    else if (locate_index_[ev.instrument] < 0 && ev.instrument != 0) [[unlikely]] on_new_locate(msg, ev.instrument);
  }
  const std::vector<Instrument>& instruments() const noexcept { return instruments_; }

 private:
  void on_new_locate(const std::uint8_t* msg, std::uint32_t locate);
  void on_directory(const std::uint8_t* msg);

  std::vector<Instrument> instruments_;
  std::vector<std::int32_t> locate_index_;  // by 16-bit locate; -1 = not seen
};

}  // namespace hft::feed
