// ITCH file -> ITCH 5.0 decode -> MarketEvent (see itch_file_source.hpp). One event is held
// back until the next one's timestamp says whether its group has ended.
#include "hft/feed/itch_file_source.hpp"

#include <cstdio>
#include <string>

#include "hft/feed/instrument_table.hpp"
#include "hft/feed/itch_file.hpp"
#include "hft/feed/packet_decoder.hpp"
#include "hft/itch/decoder.hpp"

namespace hft::feed {
namespace {

class ItchFileSource final : public EventSource {
 public:
  explicit ItchFileSource(const std::string& path) : reader_(path) {
    const ItchFileCounters& c = reader_.counters();
    stats_list_.add("itchfile.frames", &c.frames, false);
    stats_list_.add("itchfile.bytes", &c.bytes, false);
    stats_list_.add("itchfile.length_past_end", &c.length_past_end, true);
    stats_list_.add("itchfile.gzip_truncated", &c.gzip_truncated, true);
    stats_list_.add("itchfile.gzip_corrupt", &c.gzip_corrupt, true);
    stats_list_.add("itchfile.not_gzip", &c.not_gzip, true);
    stats_list_.add("itchfile.read_errors", &c.read_errors, true);
    const itch::DecoderCounters& dc = dec_.counters();
    stats_list_.add("itch.messages", &dc.messages_in, false);
    for (char t : itch::kAllTypes)
      stats_list_.add(std::string("itch.") + t, &dc.by_type[static_cast<std::uint8_t>(t)], false);
    stats_list_.add("itch.truncated", &dc.truncated, true);
    stats_list_.add("itch.unknown_type", &dc.unknown_type, true);
    stats_list_.add("itch.bad_length", &dc.bad_length, true);
  }

  std::size_t next(std::span<MarketEvent> out) override {
    std::size_t n = 0;
    const std::uint8_t* msg = nullptr;
    std::size_t len = 0;
    while (n < out.size()) {
      if (!reader_.next(msg, len)) [[unlikely]] {
        if (have_held_) {
          held_.flags |= evflag::kLast;
          out[n++] = held_;
          have_held_ = false;
        }
        if (!reported_) report_error();
        break;
      }
      MarketEvent ev;
      if (!dec_.decode(msg, len, ev).event) continue;
      ev.ts_recv = ev.ts_exch;
      table_.on_event(msg, ev);
      if (have_held_) {
        if (held_.ts_exch != ev.ts_exch) held_.flags |= evflag::kLast;
        out[n++] = held_;
      }
      held_ = ev;
      have_held_ = true;
    }
    events_ += n;
    return n;
  }

  TimeBasis time_basis() const noexcept override { return TimeBasis::SinceMidnight; }
  const std::vector<Instrument>& instruments() const noexcept override { return table_.instruments(); }
  const SourceStats& stats() const noexcept override {  // the reading thread's (or after it)
    stats_list_.sync(stats_, events_);
    return stats_;
  }
  double progress() const noexcept override { return reader_.progress(); }

 private:
  // The input ended early: one line on stderr (the counters carry it into the report).
  void report_error() {
    reported_ = true;
    const std::string why = reader_.error_reason();
    if (!why.empty()) std::fprintf(stderr, "hftd: ITCH file %s\n", why.c_str());
  }

  ItchFileReader reader_;
  itch::Decoder dec_;
  ItchInstrumentTable table_;
  MarketEvent held_{};
  bool have_held_ = false, reported_ = false;
  std::uint64_t events_ = 0;
  mutable SourceStats stats_;
  mutable StatList stats_list_;
};

}  // namespace

std::unique_ptr<EventSource> open_itch_file_source(const std::string& path, const FeedOptions&) {
  return std::make_unique<ItchFileSource>(path);
}

}  // namespace hft::feed
