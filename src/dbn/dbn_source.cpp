// DBN -> MarketEvent (see dbn_event_source.hpp for the mapping decisions).
#include "hft/dbn/dbn_source.hpp"

#include "hft/dbn/dbn_event_source.hpp"

namespace hft::dbn {

namespace {
Side map_side(char c, bool& ok) noexcept {
  ok = true;
  switch (c) {
    case 'B': return Side::Buy;
    case 'A': return Side::Sell;
    case 'N': return Side::None;
    default: ok = false; return Side::None;
  }
}
// Counter name for an action byte: the character when printable, else its decimal value.
std::string action_key(const char* prefix, char action) {
  const auto u = static_cast<std::uint8_t>(action);
  return std::string(prefix) + (u >= 0x20 && u < 0x7f ? std::string(1, action) : std::to_string(u));
}
std::uint8_t map_flags(std::uint8_t f) noexcept {
  std::uint8_t out = 0;
  if (f & dbnflag::kLast) out |= evflag::kLast;
  if (f & dbnflag::kSnapshot) out |= evflag::kSnapshot;
  return out;
}
// A snapshot record's ts_event is when its order was entered (days before the session, or the
// snapshot's own time): the book is set at the snapshot's receive time instead.
Nanos exch_time(std::uint64_t ts_event, std::uint64_t ts_recv, std::uint8_t flags) noexcept {
  return static_cast<Nanos>((flags & dbnflag::kSnapshot) ? ts_recv : ts_event);
}
}  // namespace

DbnEventSource::DbnEventSource(const std::string& path, const feed::FeedOptions&)
    : reader_(std::make_unique<DbnReader>(path, &stats_)) {
  dense_.reserve(64);
}

std::uint64_t* DbnEventSource::counter(const std::string& name) { return &stats_.counts[name]; }
std::uint64_t* DbnEventSource::error(const std::string& name) { return &stats_.errors[name]; }

// Error counters are created on first use so that a clean file shows no error keys at all.
void DbnEventSource::bump_error(std::uint64_t*& slot, const char* name) {
  if (!slot) slot = error(name);
  ++*slot;
}

bool DbnEventSource::find_instrument(std::uint32_t dbn_id, InstrumentId& out) const noexcept {
  const auto it = dense_.find(dbn_id);
  if (it == dense_.end()) return false;
  out = it->second;
  return true;
}

InstrumentId DbnEventSource::dense_id(std::uint32_t dbn_id) {
  if (have_last_ && dbn_id == last_dbn_id_) return last_dense_;
  auto it = dense_.find(dbn_id);
  InstrumentId id;
  if (it != dense_.end()) {
    id = it->second;
  } else {  // first appearance: the only allocation, once per instrument
    id = static_cast<InstrumentId>(instruments_.size());
    dense_.emplace(dbn_id, id);
    feed::Instrument ins;
    ins.id = id;
    ins.round_lot = 1;
    const auto& ms = reader_->metadata().instrument_symbols;
    if (auto s = ms.find(dbn_id); s != ms.end()) ins.symbol = s->second;
    else if (auto m = mapped_symbols_.find(dbn_id); m != mapped_symbols_.end()) ins.symbol = m->second;
    else ins.symbol = std::to_string(dbn_id);
    instruments_.push_back(std::move(ins));
    dbn_ids_.push_back(dbn_id);
  }
  last_dbn_id_ = dbn_id;
  last_dense_ = id;
  have_last_ = true;
  return id;
}

Price DbnEventSource::convert_price(std::int64_t px, bool needed) noexcept {
  if (px == kUndefPrice) {
    if (needed) {
      if (!cnt_undef_price_) cnt_undef_price_ = counter("dbn.undef_price");
      ++*cnt_undef_price_;
    }
    return 0;
  }
  bool exact = true;
  const Price p = dbn_price_to_ticks(px, exact);
  if (!exact) bump_error(err_price_inexact_, "dbn.price_inexact");
  return p;
}

bool DbnEventSource::on_mbo(std::span<const std::uint8_t> rec, MarketEvent& ev) {
  MboRecord r;
  if (!decode_mbo(rec, r)) {
    bump_error(err_short_record_, "dbn.short_record");
    return false;
  }
  auto& ctr = mbo_action_ctr_[static_cast<std::uint8_t>(r.action)];
  if (!ctr) ctr = counter(action_key("dbn.mbo.", r.action));
  ++*ctr;
  bool side_ok = true;
  const Side side = map_side(r.side, side_ok);
  if (!side_ok) bump_error(err_bad_side_, "dbn.bad_side");
  ev = MarketEvent{};
  ev.ts_exch = exch_time(r.hd.ts_event, r.ts_recv, r.flags);
  ev.ts_recv = static_cast<Nanos>(r.ts_recv);
  ev.order_id = r.order_id;
  ev.qty = r.size;
  ev.side = side;
  ev.flags = map_flags(r.flags);
  switch (r.action) {
    case 'A': ev.kind = EventKind::Add; ev.price = convert_price(r.price, true); break;
    case 'C': ev.kind = EventKind::Cancel; ev.price = convert_price(r.price, false); break;
    case 'M': ev.kind = EventKind::Modify; ev.price = convert_price(r.price, true); break;
    case 'R': ev.kind = EventKind::Clear; ev.price = 0; ev.order_id = 0; break;
    case 'T':
      ev.kind = EventKind::Trade;
      ev.price = convert_price(r.price, true);
      ev.side = opposite(side);  // DBN: aggressor; ours: resting side
      ev.flags |= evflag::kPrintable;
      break;
    case 'F':
      ev.kind = EventKind::Trade;  // the resting order's fill; its C/M changes the book
      ev.price = convert_price(r.price, true);
      break;
    case 'N': return false;
    default: bump_error(err_unknown_action_, "dbn.unknown_action"); return false;
  }
  ev.instrument = dense_id(r.hd.instrument_id);
  return true;
}

bool DbnEventSource::on_trade_like(std::span<const std::uint8_t> rec, std::uint8_t rt,
                                   MarketEvent& ev) {
  TradeRecord t;
  bool ok = false;
  int kind = 0;
  if (rt == rtype::kMbp0) {
    ok = decode_trade(rec, t);
  } else if (rt == rtype::kMbp1) {
    Mbp1Record r;
    ok = decode_mbp1(rec, r);
    t = r.t;
    kind = 1;
  } else {
    // Only the common prefix is needed for events; check the full length all the same.
    ok = rec.size() >= kMbp10Len && decode_header(rec, t.hd);
    if (ok) detail::decode_trade_fields(rec.data(), t);
    kind = 2;
  }
  if (!ok) {
    bump_error(err_short_record_, "dbn.short_record");
    return false;
  }
  auto& ctr = mbp_action_ctr_[kind][static_cast<std::uint8_t>(t.action)];
  if (!ctr) {
    static const char* const kPrefix[3] = {"dbn.trades.", "dbn.mbp1.", "dbn.mbp10."};
    ctr = counter(action_key(kPrefix[kind], t.action));
  }
  ++*ctr;
  if (t.action != 'T') {
    if (t.action != 'A' && t.action != 'C' && t.action != 'M' && t.action != 'R' &&
        t.action != 'F' && t.action != 'N')
      bump_error(err_unknown_action_, "dbn.unknown_action");
    return false;  // book updates of an L1/L2 feed: counted, not L3 events
  }
  bool side_ok = true;
  const Side side = map_side(t.side, side_ok);
  if (!side_ok) bump_error(err_bad_side_, "dbn.bad_side");
  ev = MarketEvent{};
  ev.ts_exch = exch_time(t.hd.ts_event, t.ts_recv, t.flags);
  ev.ts_recv = static_cast<Nanos>(t.ts_recv);
  ev.kind = EventKind::Trade;
  ev.price = convert_price(t.price, true);
  ev.qty = t.size;
  ev.side = opposite(side);
  ev.flags = static_cast<std::uint8_t>(map_flags(t.flags) | evflag::kPrintable);
  ev.instrument = dense_id(t.hd.instrument_id);
  return true;
}

bool DbnEventSource::on_record(std::span<const std::uint8_t> rec, MarketEvent& ev) {
  const std::uint8_t rt = rec[1];
  auto& ctr = rtype_ctr_[rt];
  if (!ctr) {
    const char* name = rtype_name(rt);
    char buf[32];
    if (!name) {
      std::snprintf(buf, sizeof buf, "rtype_0x%02x", rt);
      name = buf;
    }
    ctr = counter(std::string("dbn.rtype.") + name);
  }
  ++*ctr;
  switch (rt) {
    case rtype::kMbo: return on_mbo(rec, ev);
    case rtype::kMbp0:
    case rtype::kMbp1:
    case rtype::kMbp10: return on_trade_like(rec, rt, ev);
    case rtype::kSymbolMapping: {
      std::uint32_t id = 0;
      std::string sym;
      if (decode_symbol_mapping(rec, reader_->metadata().version, id, sym)) {
        mapped_symbols_[id] = sym;
        InstrumentId dense = 0;
        if (find_instrument(id, dense) && instruments_[dense].symbol == std::to_string(id))
          instruments_[dense].symbol = sym;
      } else {
        bump_error(err_short_record_, "dbn.short_record");
      }
      return false;
    }
    default:
      // Known but not needed here (definitions, statistics, status, ...): counted above.
      if (!rtype_name(rt)) bump_error(err_unknown_rtype_, "dbn.unknown_rtype");
      return false;
  }
}

std::size_t DbnEventSource::next(std::span<MarketEvent> out) {
  std::size_t n = 0;
  std::span<const std::uint8_t> rec;
  while (n < out.size() && reader_->next_record(rec)) {
    if (on_record(rec, out[n])) ++n;
  }
  stats_.events += n;
  return n;
}

std::unique_ptr<DbnEventSource> open_dbn_event_source(const std::string& path,
                                                      const feed::FeedOptions& opts) {
  return std::make_unique<DbnEventSource>(path, opts);
}

std::unique_ptr<feed::EventSource> open_dbn_source(const std::string& path,
                                                   const feed::FeedOptions& opts) {
  return open_dbn_event_source(path, opts);
}

}  // namespace hft::dbn
