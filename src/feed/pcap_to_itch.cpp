// pcap -> ITCH file, message bytes copied (see pcap_to_itch.hpp). Mirrors the delivery rules of
// PacketDecoder::process_packet without decoding.
#include "hft/feed/pcap_to_itch.hpp"

#include "hft/feed/pcap_reader.hpp"

namespace hft::feed {

PcapCopyStats copy_pcap_to_itch(const std::string& pcap_path, const FeedOptions& opts, ItchFileWriter& out) {
  PcapReader reader(pcap_path, opts);
  MoldTracker mold;  // the file rules, as the pcap source uses
  PcapCopyStats st;
  UdpDatagram dg;
  while (reader.next(dg)) {
    ++st.datagrams;
    MoldHeader h;
    if (!parse_mold_header(dg.payload, h)) {
      mold.on_short_packet();
      continue;
    }
    const MoldDecision d = mold.on_packet(h);
    if (!d.deliver) continue;  // no hold buffer with the file rules
    MoldBlockCursor cur(dg.payload);
    const std::uint8_t* msg = nullptr;
    std::size_t len = 0;
    const std::size_t total = static_cast<std::size_t>(d.skip) + d.count;
    std::size_t i = 0;
    for (; i < total; ++i) {
      if (cur.next(msg, len) != MoldBlockCursor::Step::Message) {
        mold.on_truncated(total - i);
        break;
      }
      if (i < d.skip) continue;
      out.append(msg, len);
      ++st.messages;
    }
    mold.on_messages(i > d.skip ? i - d.skip : 0);
  }
  st.mold = mold.counters();
  return st;
}

}  // namespace hft::feed
