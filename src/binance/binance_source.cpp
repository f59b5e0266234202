#include "hft/binance/binance_source.hpp"

#include <stdexcept>

#include "hft/binance/decoder.hpp"
#include "hft/binance/gz_lines.hpp"

namespace hft::binance {

std::vector<std::string> split_paths(const std::string& list) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (;;) {
    const auto c = list.find(',', b);
    std::string p = list.substr(b, c == std::string::npos ? std::string::npos : c - b);
    if (p.empty()) throw std::invalid_argument("binance: empty file name in '" + list + "'");
    out.push_back(std::move(p));
    if (c == std::string::npos) break;
    b = c + 1;
  }
  return out;
}

namespace {

class BinanceSource final : public feed::EventSource {
 public:
  BinanceSource(const std::string& paths, const feed::FeedOptions& opts)
      : lines_(split_paths(paths)), dec_(DecoderOptions{opts.instruments, 1u << 16}) {
    pending_.reserve(1 << 14);
  }

  std::size_t next(std::span<MarketEvent> out) override {
    const std::size_t n = feed::hand_out(pending_, head_, out, [&] {
      if (done_) return false;
      // Whole lines until there is a batch's worth (a snapshot line alone may be thousands).
      while (pending_.size() < out.size()) {
        std::string_view line;
        if (!lines_.next(line)) {
          dec_.finish();
          done_ = true;
          break;
        }
        dec_.decode(line, pending_);
      }
      sync_instruments();
      return true;
    });
    refresh_stats();
    stats_.events += n;
    return n;
  }

  feed::TimeBasis time_basis() const noexcept override { return feed::TimeBasis::SinceEpoch; }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return instruments_; }
  const feed::SourceStats& stats() const noexcept override { return stats_; }
  double progress() const noexcept override { return lines_.progress(); }
  bool by_price() const noexcept override { return true; }

 private:
  void sync_instruments() {
    const auto& v = dec_.instruments();
    while (instruments_.size() < v.size()) {
      const auto& d = v[instruments_.size()];
      feed::Instrument in;
      in.id = d.id;
      in.symbol = d.symbol;
      in.round_lot = 1;
      in.price_scale = d.scale.price_scale;
      in.qty_scale = d.scale.qty_scale;
      instruments_.push_back(std::move(in));
    }
  }
  void refresh_stats() {
    const std::uint64_t ev = stats_.events;
    stats_.counts.clear();
    stats_.errors.clear();
    dec_.export_stats(stats_);
    if (lines_.truncated_files()) stats_.errors["gzip.truncated"] = lines_.truncated_files();
    stats_.events = ev;
  }

  GzLines lines_;
  Decoder dec_;
  std::vector<MarketEvent> pending_;
  std::size_t head_ = 0;
  bool done_ = false;
  std::vector<feed::Instrument> instruments_;
  feed::SourceStats stats_;
};

}  // namespace

std::unique_ptr<feed::EventSource> open_binance_source(const std::string& paths, const feed::FeedOptions& opts) {
  return std::make_unique<BinanceSource>(paths, opts);
}

}  // namespace hft::binance
