// hftd convert: turns LOBSTER or DBN market-by-order files into NASDAQ ITCH 5.0 inside
// MoldUDP64 inside UDP in a pcap, so that real order flow replays through the wire path, or
// any source into a NASDAQ binary ITCH file (--out FILE.itch[.gz]). One source event group (a
// LOBSTER row, a DBN event) becomes one MoldUDP64 packet, which is what lets `hftd book` on the
// pcap reproduce the source's rows exactly. A pcap turned into an ITCH file is copied message
// by message (every message, also those that make no event), not re-encoded.
#include <cstdio>
#include <ctime>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "cli.hpp"
#include "hft/book/order_book.hpp"
#include "hft/feed/itch_file.hpp"
#include "hft/feed/pcap_to_itch.hpp"
#include "hft/feed/pcap_writer.hpp"
#include "hft/itch/encoder.hpp"
#include "hft/sources/open.hpp"
#include "pump.hpp"

namespace hft::app {
namespace cmd_convert {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --input SOURCE      lobster:MESSAGE.csv, dbn:FILE.dbn[.zst], binance:F.gz[,F.gz] (or pcap:, itch: to re-frame)\n"
    "  --out FILE.pcap     output pcap (nanosecond timestamps, Ethernet/IPv4/UDP)\n"
    "  --out FILE.itch     or a NASDAQ binary ITCH 5.0 file (2-byte length before each\n"
    "                      message), gzip-compressed when it ends in .gz (FILE.itch.gz); a pcap\n"
    "                      input is copied message for message\n"
    "  --dest ADDR:PORT    UDP destination written in the frames (default 239.1.1.1:26477)\n"
    "  --session NAME      MoldUDP64 session, 10 characters (default HFTDCONV01)\n"
    "  --date YYYY-MM-DD   trading date for sources timed from midnight (LOBSTER), used for\n"
    "                      the pcap timestamps (default 1970-01-01)\n"
    "Mapping: add -> A, execute -> E (C with a price), cancel -> X, delete -> D, replace -> U,\n"
    "modify (DBN) -> X when only the size shrinks, else U to a new order reference, clear ->\n"
    "D for every live order, hidden trade -> P, cross -> Q, halt/resume -> H. Instruments get\n"
    "R (stock directory) messages at the start.\n";

Nanos midnight_epoch_ns(const std::string& date) {
  int y = 1970, m = 1, d = 1;
  if (!date.empty() && std::sscanf(date.c_str(), "%d-%d-%d", &y, &m, &d) != 3)
    throw UsageError("--date needs YYYY-MM-DD, got '" + date + "'");
  std::tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = m - 1;
  t.tm_mday = d;
  return static_cast<Nanos>(timegm(&t)) * 1'000'000'000LL;
}

char state_char(std::uint8_t aux) {
  switch (static_cast<TradingState>(aux)) {
    case TradingState::Halted: return 'H';
    case TradingState::Paused: return 'P';
    case TradingState::Quotation: return 'Q';
    default: return 'T';
  }
}

// The ITCH file as the Converter's message sink: MoldPacketizer's calls, without packets.
class ItchFileSink {
 public:
  struct Stats {
    std::uint64_t messages = 0, packets = 0, oversize_dropped = 0;
  };
  explicit ItchFileSink(feed::ItchFileWriter& w) : w_(w) {}
  std::uint8_t* begin_message(std::size_t len, Nanos) { return w_.begin_message(len); }
  bool append(const std::uint8_t* msg, std::size_t len, Nanos) { return w_.append(msg, len); }
  void flush() {}
  void end_session(Nanos) {}
  std::uint64_t next_seq() const noexcept { return w_.stats().messages + 1; }
  Stats stats() const noexcept { return {w_.stats().messages, 0, w_.stats().oversize_dropped}; }

 private:
  feed::ItchFileWriter& w_;
};

template <class Sink>
class Converter {
 public:
  template <class... SinkArgs>
  explicit Converter(Nanos date_base, SinkArgs&&... sink)
      : mold_(std::forward<SinkArgs>(sink)...), date_base_(date_base) {
    book::BookConfig cfg;
    cfg.max_orders = 1 << 22;
    cfg.max_levels = 1 << 20;
    books_ = std::make_unique<book::Books>(cfg);
  }

  void start(const feed::EventSource& src) { basis_ = src.time_basis(); }

  static std::int64_t price_scale(const feed::EventSource& src, InstrumentId id) {
    for (const auto& i : src.instruments())
      if (i.id == id) return i.price_scale;
    return kPriceScale;
  }

  void on_event(const feed::EventSource& src, const MarketEvent& raw) {
    // ITCH prices have 4 decimals: a source with its own price scale (binance:) is rescaled to
    // them exactly; a price that cannot be written so is counted and dropped. Sizes are written
    // in the source's units (ITCH has whole shares only).
    MarketEvent in = raw;
    if (in.price != 0) {
      const std::int64_t ps = price_scale(src, in.instrument);
      if (ps != kPriceScale) {
        if (kPriceScale % ps != 0) {
          ++unencodable_["price scale " + std::to_string(ps)];
          return;
        }
        in.price *= kPriceScale / ps;
      }
    }
    MarketEvent ev = in;
    if (!started_) {
      // Times since the epoch (DBN) become ITCH's time since midnight of the first day.
      if (basis_ == feed::TimeBasis::SinceEpoch)
        day_ = in.ts_exch - in.ts_exch % 86'400'000'000'000LL;
      for (const auto& i : src.instruments())
        if (i.id == 0) locate_offset_ = 1;  // ITCH locates start at 1
      if (in.instrument == 0) locate_offset_ = 1;
      start_messages(src, ev);
      started_ = true;
    }
    if (ev.kind == EventKind::Directory) return;  // written from instruments() below
    ensure_directory(src, ev.instrument);
    ev.ts_exch -= day_;
    ev.instrument += locate_offset_;
    recv_ = basis_ == feed::TimeBasis::SinceEpoch ? in.ts_recv : date_base_ + in.ts_recv;

    switch (ev.kind) {
      case EventKind::Modify: modify(ev, in); break;
      case EventKind::Clear: clear(ev, in); break;
      case EventKind::Status: {
        std::uint8_t* p = mold_.begin_message(itch::enc::kLenTradingAction, recv_);
        if (p) itch::encode_trading_action(p, header(ev), symbol(in.instrument), state_char(ev.aux));
        break;
      }
      case EventKind::Trade:
        if (ev.flags & evflag::kCross) {
          std::uint8_t* p = mold_.begin_message(itch::enc::kLenCrossTrade, recv_);
          if (p)
            itch::encode_cross_trade(p, header(ev), ev.qty, symbol(in.instrument),
                                     static_cast<std::uint32_t>(ev.price), ++match_, 'I');
          break;
        }
        [[fallthrough]];
      default: {
        ev.order_id = mapped(ev.order_id);
        if (ev.kind == EventKind::Replace) {
          remap_.erase(in.order_id);
        }
        std::uint8_t buf[itch::enc::kMaxLen];
        const std::size_t n = itch::encode_event(buf, ev, symbol(in.instrument), ++match_);
        if (n == 0)
          ++unencodable_[event_kind_name(ev.kind)];
        else
          mold_.append(buf, n, recv_);
      }
    }
    books_->apply(in);
    if (in.flags & evflag::kLast) {
      mold_.flush();
      // A group larger than one packet reaches a reader as several groups: count the extra.
      const std::uint64_t packets = mold_.stats().packets;
      if (packets > group_start_ + 1) split_packets_ += packets - group_start_ - 1;
      group_start_ = packets;
    }
  }

  void finish() {
    MarketEvent ev{};
    ev.kind = EventKind::System;
    ev.aux = 'C';
    std::uint8_t buf[itch::enc::kMaxLen];
    mold_.append(buf, itch::encode_event(buf, ev, itch::enc::symbol8("")), recv_);
    mold_.end_session(recv_);
  }

  void report() const {
    const auto& s = mold_.stats();
    if constexpr (std::is_same_v<Sink, ItchFileSink>)
      std::fprintf(stderr, "hftd convert: %llu ITCH messages; ", static_cast<unsigned long long>(s.messages));
    else
      std::fprintf(stderr, "hftd convert: %llu messages in %llu MoldUDP64 packets, next sequence %llu; ",
                   static_cast<unsigned long long>(s.messages), static_cast<unsigned long long>(s.packets),
                   static_cast<unsigned long long>(mold_.next_seq()));
    std::fprintf(stderr,
                 "%llu instruments; %llu modifies as cancel, %llu as replace; %llu clears\n",
                 static_cast<unsigned long long>(directory_.size()),
                 static_cast<unsigned long long>(modify_cancel_),
                 static_cast<unsigned long long>(modify_replace_),
                 static_cast<unsigned long long>(clears_));
    for (const auto& [k, v] : unencodable_)
      std::fprintf(stderr, "  not encodable (%s): %llu\n", k.c_str(),
                   static_cast<unsigned long long>(v));
    if constexpr (!std::is_same_v<Sink, ItchFileSink>)
      std::fprintf(stderr, "  extra packets from event groups larger than one packet: %llu\n",
                   static_cast<unsigned long long>(split_packets_));
    if (s.oversize_dropped)
      std::fprintf(stderr, "  oversize messages dropped: %llu\n",
                   static_cast<unsigned long long>(s.oversize_dropped));
  }

  bool lossless() const { return unencodable_.empty() && mold_.stats().oversize_dropped == 0; }

 private:
  itch::enc::Header header(const MarketEvent& ev) const {
    return {static_cast<std::uint16_t>(ev.instrument), 0, static_cast<std::uint64_t>(ev.ts_exch)};
  }
  const itch::enc::Symbol8& symbol(InstrumentId id) {
    static const itch::enc::Symbol8 none = itch::enc::symbol8("");
    auto it = directory_.find(id);
    return it == directory_.end() ? none : it->second;
  }
  OrderId mapped(OrderId id) const {
    auto it = remap_.find(id);
    return it == remap_.end() ? id : it->second;
  }

  void start_messages(const feed::EventSource& src, const MarketEvent& first) {
    recv_ = basis_ == feed::TimeBasis::SinceEpoch ? first.ts_recv : date_base_ + first.ts_recv;
    MarketEvent s{};
    s.kind = EventKind::System;
    s.aux = 'O';
    s.ts_exch = first.ts_exch - day_;
    std::uint8_t buf[itch::enc::kMaxLen];
    mold_.append(buf, itch::encode_event(buf, s, itch::enc::symbol8("")), recv_);
    for (const auto& in : src.instruments()) ensure_directory(src, in.id);
    mold_.flush();
    group_start_ = mold_.stats().packets;
  }

  void ensure_directory(const feed::EventSource& src, InstrumentId id) {
    if (directory_.count(id)) return;
    itch::enc::DirectoryFields f;
    for (const auto& in : src.instruments()) {
      if (in.id != id) continue;
      f.stock = itch::enc::symbol8(in.symbol);
      f.round_lot = in.round_lot;
    }
    directory_[id] = f.stock;
    std::uint8_t* p = mold_.begin_message(itch::enc::kLenStockDirectory, recv_);
    if (p)
      itch::encode_stock_directory(
          p, {static_cast<std::uint16_t>(id + locate_offset_), 0, 0}, f);
  }

  // DBN modify: ITCH has no in-place modify. A size decrease at the same price keeps priority
  // (X); any other change loses it (U to a new order reference).
  void modify(const MarketEvent& ev, const MarketEvent& in) {
    book::Books::OrderView o{};
    if (!books_->find_order(in.order_id, o)) {
      ++unencodable_["modify of unknown order"];
      return;
    }
    if (ev.price == o.price && ev.qty < o.qty) {
      std::uint8_t* p = mold_.begin_message(itch::enc::kLenCancel, recv_);
      if (p) itch::encode_cancel(p, header(ev), mapped(in.order_id), o.qty - ev.qty);
      ++modify_cancel_;
      return;
    }
    if (ev.price == o.price && ev.qty == o.qty) return;  // nothing visible changed
    const OrderId fresh = next_ref_++;
    std::uint8_t* p = mold_.begin_message(itch::enc::kLenReplace, recv_);
    if (p)
      itch::encode_replace(p, header(ev), mapped(in.order_id), fresh, ev.qty,
                           static_cast<std::uint32_t>(ev.price));
    remap_[in.order_id] = fresh;
    ++modify_replace_;
  }

  void clear(const MarketEvent& ev, const MarketEvent& in) {
    ++clears_;
    for (Side side : {Side::Buy, Side::Sell}) {
      book::LevelView lv;
      for (std::size_t i = 0; books_->level(in.instrument, side, i, lv); ++i) {
        for (OrderId id : books_->queue(in.instrument, side, lv.price)) {
          std::uint8_t* p = mold_.begin_message(itch::enc::kLenDelete, recv_);
          if (p) itch::encode_delete(p, header(ev), mapped(id));
          remap_.erase(id);
        }
      }
    }
  }

  Sink mold_;
  std::unique_ptr<book::Books> books_;  // the source's book, to translate modify and clear
  std::map<InstrumentId, itch::enc::Symbol8> directory_;
  std::unordered_map<OrderId, OrderId> remap_;  // source id -> ITCH reference after a replace
  std::map<std::string, std::uint64_t> unencodable_;
  feed::TimeBasis basis_ = feed::TimeBasis::SinceMidnight;
  Nanos date_base_ = 0, day_ = 0, recv_ = 0;
  InstrumentId locate_offset_ = 0;
  OrderId next_ref_ = (OrderId{1} << 63) + 1;
  std::uint64_t match_ = 0, modify_cancel_ = 0, modify_replace_ = 0, clears_ = 0,
                split_packets_ = 0, group_start_ = 0;
  bool started_ = false;
};

bool is_itch_file(const std::string& path) {
  return feed::ends_with(path, ".itch") || feed::ends_with(path, ".itch.gz");
}

template <class Sink, class... SinkArgs>
int convert_events(feed::EventSource& src, Nanos date_base, SinkArgs&&... sink) {
  Converter<Sink> conv(date_base, std::forward<SinkArgs>(sink)...);
  conv.start(src);
  const std::uint64_t n = pump(src, [&](const MarketEvent& ev) { conv.on_event(src, ev); }, "convert");
  conv.finish();
  std::fprintf(stderr, "hftd convert: %llu source events\n", static_cast<unsigned long long>(n));
  conv.report();
  return conv.lossless() ? 0 : 3;
}

// pcap -> ITCH file: the messages themselves, so nothing is lost in a decode and re-encode.
int copy_pcap(const std::string& pcap, const feed::FeedOptions& fo, const std::string& out) {
  feed::ItchFileWriter w(out);
  const feed::PcapCopyStats st = feed::copy_pcap_to_itch(pcap, fo, w);
  w.close();
  const feed::MoldCounters& m = st.mold;
  std::fprintf(stderr,
               "hftd convert: %llu messages of %llu datagrams copied -> %s (%llu bytes before "
               "compression); MoldUDP64 gaps %llu (%llu messages), duplicate messages %llu, "
               "truncated packets %llu\n",
               static_cast<unsigned long long>(st.messages), static_cast<unsigned long long>(st.datagrams),
               out.c_str(), static_cast<unsigned long long>(w.stats().bytes),
               static_cast<unsigned long long>(m.gaps), static_cast<unsigned long long>(m.gap_msgs),
               static_cast<unsigned long long>(m.dup_msgs), static_cast<unsigned long long>(m.truncated_packets));
  return 0;
}

int run(int argc, char** argv) {
  const Options o(argc, argv, {"--input", "--out", "--dest", "--session", "--date", "--dst", "--config"});
  const auto spec = sources::parse_source_spec(o.required("--input"));
  const std::string out = o.required("--out");
  const Nanos date_base = midnight_epoch_ns(o.str("--date"));
  if (is_itch_file(out)) {
    if (spec.kind == "pcap") return copy_pcap(spec.path, feed_options(o), out);
    auto src = sources::open_source(spec, feed_options(o));
    feed::ItchFileWriter w(out);
    const int rc = convert_events<ItchFileSink>(*src, date_base, w);
    w.close();
    std::fprintf(stderr, "hftd convert: -> %s (%llu messages, %llu bytes before compression)\n",
                 out.c_str(), static_cast<unsigned long long>(w.stats().messages),
                 static_cast<unsigned long long>(w.stats().bytes));
    return rc;
  }
  feed::PcapWriterConfig pc;
  pc.path = out;
  if (o.has("--dest") && !feed::parse_endpoint(o.str("--dest"), pc.dst_ip, pc.dst_port))
    throw UsageError("--dest needs ADDR:PORT, got '" + o.str("--dest") + "'");
  auto src = sources::open_source(spec, feed_options(o));
  feed::PcapWriter pcap(pc);
  const int rc = convert_events<feed::MoldPacketizer>(*src, date_base, pcap, o.str("--session", "HFTDCONV01"));
  pcap.close();
  std::fprintf(stderr, "hftd convert: -> %s (%llu packets, %llu bytes)\n", pc.path.c_str(),
               static_cast<unsigned long long>(pcap.packets()), static_cast<unsigned long long>(pcap.bytes()));
  return rc;
}

}  // namespace

const Command kConvertCommand{"convert", "LOBSTER / DBN / pcap -> ITCH 5.0 pcap or ITCH file", cmd_convert::kUsage,
                              cmd_convert::run};

}  // namespace hft::app
