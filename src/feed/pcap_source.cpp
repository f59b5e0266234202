// The wire source from a file: pcap (libpcap) -> UDP payload -> PacketDecoder (MoldUDP64 ->
// ITCH 5.0 -> MarketEvent). Counters live in plain integers on the hot path and are copied into
// SourceStats when stats() is called.
#include "hft/feed/pcap_source.hpp"

#include <string>

#include "hft/feed/packet_decoder.hpp"
#include "hft/feed/pcap_reader.hpp"

namespace hft::feed {
namespace {

class PcapSource final : public EventSource {
 public:
  PcapSource(const std::string& path, const FeedOptions& opts) : reader_(path, opts) {
    const PcapCounters& pc = reader_.counters();
    stat_list_.add("pcap.frames", &pc.frames, false);
    stat_list_.add("pcap.datagrams", &pc.datagrams, false);
    for (int s = 1; s < kFrameStatusCount; ++s) {
      const auto fs = static_cast<FrameStatus>(s);
      stat_list_.add(std::string("pcap.") + frame_status_name(fs),
                     &pc.skipped[static_cast<std::size_t>(s)], fs != FrameStatus::FilteredOut);
    }
    stat_list_.add("pcap.read_errors", &pc.read_errors, true);
    dec_.add_stats(stat_list_);
  }

  std::size_t next(std::span<MarketEvent> out) override {
    std::size_t n = dec_.drain(out.data(), out.size());
    while (n < out.size() && !eof_) {
      UdpDatagram dg;
      if (!reader_.next(dg)) {
        eof_ = true;
        break;
      }
      n += dec_.decode(dg.payload, dg.ts, out.data() + n, out.size() - n);
    }
    events_ += n;
    return n;
  }

  TimeBasis time_basis() const noexcept override { return TimeBasis::SinceMidnight; }
  const std::vector<Instrument>& instruments() const noexcept override { return dec_.instruments(); }
  const SourceStats& stats() const noexcept override {  // the reading thread's (or after it)
    stat_list_.sync(stats_, events_);
    return stats_;
  }
  double progress() const noexcept override { return eof_ ? 1.0 : reader_.progress(); }

 private:
  PcapReader reader_;
  PacketDecoder dec_;
  bool eof_ = false;
  std::uint64_t events_ = 0;
  mutable SourceStats stats_;
  mutable StatList stat_list_;
};

}  // namespace

std::unique_ptr<feed::EventSource> open_pcap_source(const std::string& path, const feed::FeedOptions& opts) {
  return std::make_unique<PcapSource>(path, opts);
}

}  // namespace hft::feed
