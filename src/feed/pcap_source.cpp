// The wire source: pcap (libpcap) -> UDP payload -> MoldUDP64 -> ITCH 5.0 -> MarketEvent.
// A packet's events go straight into the caller's span when it has room for the packet's
// declared message count; otherwise into a buffer drained over the next calls. The last event
// of each MoldUDP64 packet carries evflag::kLast. Counters live in plain integers on the hot
// path and are copied into SourceStats at the end of each next() call.
#include "hft/feed/pcap_source.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "hft/feed/moldudp64.hpp"
#include "hft/feed/pcap_reader.hpp"
#include "hft/itch/decoder.hpp"
#include "hft/itch/messages.hpp"

namespace hft::feed {
namespace {

// A UDP payload holds at most 65535 bytes and an event needs a 2-byte length plus at least 12
// bytes of message, so no packet yields more than this many events.
constexpr std::size_t kMaxPacketEvents = 65536 / 14 + 1;

class PcapSource final : public EventSource {
 public:
  PcapSource(const std::string& path, const FeedOptions& opts)
      : reader_(path, opts), locate_index_(65536, -1), pending_(kMaxPacketEvents) {
    instruments_.reserve(16384);
    build_stat_list();
  }

  std::size_t next(std::span<MarketEvent> out) override {
    std::size_t n = 0;
    while (pend_pos_ < pend_n_ && n < out.size()) out[n++] = pending_[pend_pos_++];
    while (n < out.size() && !eof_) {
      UdpDatagram dg;
      if (!reader_.next(dg)) {
        eof_ = true;
        break;
      }
      MoldHeader h;
      if (!parse_mold_header(dg.payload, h)) [[unlikely]] {
        mold_.on_short_packet();
        continue;
      }
      const MoldDecision d = mold_.on_packet(h);
      if (!d.deliver) continue;
      const std::size_t room = out.size() - n;
      if (room >= d.count) {
        n += process_packet(dg, h, d, out.data() + n, room);
      } else {
        pend_n_ = process_packet(dg, h, d, pending_.data(), pending_.size());
        pend_pos_ = 0;
        while (pend_pos_ < pend_n_ && n < out.size()) out[n++] = pending_[pend_pos_++];
      }
    }
    events_ += n;
    sync_stats();
    return n;
  }

  TimeBasis time_basis() const noexcept override { return TimeBasis::SinceMidnight; }
  const std::vector<Instrument>& instruments() const noexcept override { return instruments_; }
  const SourceStats& stats() const noexcept override { return stats_; }

 private:
  // Decodes the delivered messages of one packet into dst (capacity cap); returns the count.
  std::size_t process_packet(const UdpDatagram& dg, const MoldHeader& h, const MoldDecision& d,
                             MarketEvent* dst, std::size_t cap) {
    MoldBlockCursor cur(dg.payload);
    const std::uint8_t* msg = nullptr;
    std::size_t len = 0;
    std::size_t k = 0;
    const std::size_t total = static_cast<std::size_t>(d.skip) + d.count;
    for (std::size_t i = 0; i < total; ++i) {
      if (cur.next(msg, len) != MoldBlockCursor::Step::Message) [[unlikely]] {
        mold_.on_truncated(total - i);  // the declared messages from i on are lost
        mold_.on_messages(i > d.skip ? i - d.skip : 0);
        return finish(dst, k);
      }
      if (i < d.skip) continue;  // already delivered by an earlier packet
      MarketEvent& ev = dst[k];
      const itch::DecodeResult r = dec_.decode(msg, len, ev);
      if (!r.event) continue;
      ev.ts_recv = dg.ts;
      if (mold_.stale(ev.instrument)) ev.flags |= evflag::kStale;
      if (ev.kind == EventKind::Directory) [[unlikely]] on_directory(msg);
      else if (locate_index_[ev.instrument] < 0 && ev.instrument != 0) [[unlikely]] on_new_locate(msg, ev.instrument);
      if (++k == cap && i + 1 < total) [[unlikely]] {  // cannot happen: callers give room for d.count
        mold_.on_truncated(total - i - 1);
        mold_.on_messages(i + 1 - d.skip);
        return finish(dst, k);
      }
    }
    mold_.on_messages(d.count);
    if (cur.remaining() != 0 && h.count != kMoldEndOfSession) mold_.on_trailing_bytes();
    return finish(dst, k);
  }

  static std::size_t finish(MarketEvent* dst, std::size_t k) noexcept {
    if (k != 0) dst[k - 1].flags |= evflag::kLast;
    return k;
  }

  // A locate seen before (or without) its Stock Directory message gets a placeholder entry,
  // named from the message's stock field when it has one (A F P Q H); 'R' later fills it in.
  // Symbols fit std::string's small buffer, so no allocation while the table stays below its
  // reserved size.
  void on_new_locate(const std::uint8_t* msg, std::uint32_t locate) {
    locate_index_[locate] = static_cast<std::int32_t>(instruments_.size());
    Instrument& ins = instruments_.emplace_back();
    ins.id = locate;
    std::size_t at = 0;
    switch (static_cast<char>(msg[0])) {
      case itch::mt::kAddOrder:
      case itch::mt::kAddOrderMpid:
      case itch::mt::kTrade: at = 24; break;
      case itch::mt::kCrossTrade: at = 19; break;
      case itch::mt::kStockTradingAction: at = 11; break;
      default: break;
    }
    if (at != 0) ins.symbol = std::string(itch::trim_alpha({reinterpret_cast<const char*>(msg + at), 8}));
  }

  void on_directory(const std::uint8_t* msg) {
    const auto v = itch::view_of<itch::StockDirectoryView>(msg);
    const std::uint16_t locate = v.stock_locate();
    if (locate_index_[locate] < 0) {
      locate_index_[locate] = static_cast<std::int32_t>(instruments_.size());
      instruments_.emplace_back();
    }
    Instrument& ins = instruments_[static_cast<std::size_t>(locate_index_[locate])];
    ins.id = locate;
    ins.symbol = std::string(itch::trim_alpha(v.stock()));
    ins.round_lot = v.round_lot_size();
    ins.market_category = v.market_category();
    ins.financial_status = v.financial_status();
    ins.classification = v.issue_classification();
    ins.authenticity = v.authenticity();
    ins.etp = v.etp_flag() == 'Y';
  }

  struct Stat {
    std::string name;
    const std::uint64_t* src;
    bool error;
    std::uint64_t* dst = nullptr;
  };
  void add_stat(std::string name, const std::uint64_t* src, bool error) {
    stat_list_.push_back(Stat{std::move(name), src, error, nullptr});
  }
  void build_stat_list() {
    const PcapCounters& pc = reader_.counters();
    add_stat("pcap.frames", &pc.frames, false);
    add_stat("pcap.datagrams", &pc.datagrams, false);
    for (int s = 1; s < kFrameStatusCount; ++s) {
      const auto fs = static_cast<FrameStatus>(s);
      add_stat(std::string("pcap.") + frame_status_name(fs), &pc.skipped[static_cast<std::size_t>(s)],
               fs != FrameStatus::FilteredOut);
    }
    add_stat("pcap.read_errors", &pc.read_errors, true);
    const MoldCounters& mc = mold_.counters();
    add_stat("mold.packets", &mc.packets, false);
    add_stat("mold.messages", &mc.messages, false);
    add_stat("mold.heartbeats", &mc.heartbeats, false);
    add_stat("mold.end_of_session", &mc.end_of_session, false);
    add_stat("mold.session_changes", &mc.session_changes, false);
    add_stat("mold.unsequenced_packets", &mc.unsequenced, false);
    add_stat("mold.overlaps", &mc.overlaps, false);
    add_stat("mold.short_packets", &mc.short_packets, true);
    add_stat("mold.gaps", &mc.gaps, true);
    add_stat("mold.gap_msgs", &mc.gap_msgs, true);
    add_stat("mold.dup_packets", &mc.dup_packets, true);
    add_stat("mold.dup_msgs", &mc.dup_msgs, true);
    add_stat("mold.truncated_packets", &mc.truncated_packets, true);
    add_stat("mold.truncated_msgs", &mc.truncated_msgs, true);
    add_stat("mold.trailing_bytes", &mc.trailing_bytes, true);
    const itch::DecoderCounters& dc = dec_.counters();
    add_stat("itch.messages", &dc.messages_in, false);
    for (char t : itch::kAllTypes)
      add_stat(std::string("itch.") + t, &dc.by_type[static_cast<std::uint8_t>(t)], false);
    add_stat("itch.truncated", &dc.truncated, true);
    add_stat("itch.unknown_type", &dc.unknown_type, true);
    add_stat("itch.bad_length", &dc.bad_length, true);
  }
  // Only counters that have become non-zero appear in the maps.
  void sync_stats() {
    for (Stat& s : stat_list_) {
      if (s.dst != nullptr) {
        *s.dst = *s.src;
      } else if (*s.src != 0) {
        s.dst = &(s.error ? stats_.errors : stats_.counts)[s.name];
        *s.dst = *s.src;
      }
    }
    stats_.events = events_;
  }

  PcapReader reader_;
  MoldTracker mold_;
  itch::Decoder dec_;
  std::vector<Instrument> instruments_;
  std::vector<std::int32_t> locate_index_;
  std::vector<MarketEvent> pending_;
  std::size_t pend_pos_ = 0, pend_n_ = 0;
  bool eof_ = false;
  std::uint64_t events_ = 0;
  SourceStats stats_;
  std::vector<Stat> stat_list_;
};

}  // namespace

std::unique_ptr<feed::EventSource> open_pcap_source(const std::string& path, const feed::FeedOptions& opts) {
  return std::make_unique<PcapSource>(path, opts);
}

}  // namespace hft::feed
