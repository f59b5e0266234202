// Binance recorder lines -> market-by-price MarketEvents (see decoder.hpp for the rules).
#include "hft/binance/decoder.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <deque>
#include <unordered_map>

namespace hft::binance {

const char* market_name(Market m) noexcept { return m == Market::UsdM ? "usdm" : "spot"; }

const char* error_name(Error e) noexcept {
  static constexpr const char* k[] = {
      "binance.bad_line",        "binance.bad_json",      "binance.missing_field",
      "binance.bad_price",       "binance.bad_qty",       "binance.no_instrument_definition",
      "binance.gap",             "binance.diff_without_snapshot", "binance.snapshot_unknown_instrument",
      "binance.unknown_message", "binance.bad_time"};
  static_assert(sizeof k / sizeof k[0] == kErrorCount);
  return e < kErrorCount ? k[e] : "?";
}
const char* count_name(Count c) noexcept {
  static constexpr const char* k[] = {
      "binance.lines",          "binance.depth",          "binance.diffs_applied",
      "binance.diffs_dropped_old", "binance.diffs_buffered", "binance.snapshots",
      "binance.recovered",      "binance.book_tickers",   "binance.trades",
      "binance.trades_not_market", "binance.delete_absent_level", "binance.level_unchanged"};
  static_assert(sizeof k / sizeof k[0] == kCountCount);
  return c < kCountCount ? k[c] : "?";
}

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::int64_t kNsPerMs = 1'000'000;

bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

namespace detail {
struct Level {
  Price price;
  Qty qty;
};

// One instrument's sync state and its level sizes (what Add / Modify / Delete is needed).
struct Instr {
  std::unordered_map<Price, Qty> lv[2];  // [0] bids, [1] asks
  std::deque<std::string> pending;       // diff lines held while unsynced
  Nanos last_exch = 0;
};
}  // namespace detail

struct Decoder::Impl {
  using Instr = detail::Instr;
  using Level = detail::Level;
  DecoderOptions opts;
  simdjson::dom::parser parser;
  std::vector<char> pad;
  std::vector<Instr> ins;  // parallel to Decoder::view_
  std::vector<Level> scratch[2];
  std::string symbol_buf;
  InstrumentId last_depth_instr = 0;  // 1-based index of the last depth message's instrument; 0 none
};

Decoder::Decoder(DecoderOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(opts);
  impl_->pad.resize(1 << 16);
  impl_->scratch[0].reserve(4096);
  impl_->scratch[1].reserve(4096);
}
Decoder::~Decoder() = default;

void Decoder::export_stats(feed::SourceStats& s) const {
  for (int i = 0; i < kCountCount; ++i)
    if (counts_[static_cast<std::size_t>(i)]) s.counts[count_name(static_cast<Count>(i))] = counts_[static_cast<std::size_t>(i)];
  for (int i = 0; i < kErrorCount; ++i)
    if (errors_[static_cast<std::size_t>(i)]) s.errors[error_name(static_cast<Error>(i))] = errors_[static_cast<std::size_t>(i)];
}

void Decoder::finish() {
  for (auto& in : impl_->ins) {
    errors_[kUnsyncedDiff] += in.pending.size();
    if (!in.pending.empty() && first_[kUnsyncedDiff].empty())
      first_[kUnsyncedDiff] = "end of input: " + std::to_string(in.pending.size()) + " diffs never applied (no snapshot after them)";
    in.pending.clear();
  }
}

// The decoding work, in a class of its own so that the helpers share the line's context.
namespace {
struct Run {
  using Instr = detail::Instr;
  using Level = detail::Level;
  Decoder::Impl& im;
  std::vector<InstrumentView>& view;
  Ticker& ticker;
  std::array<std::uint64_t, kErrorCount>& errors;
  std::array<std::uint64_t, kCountCount>& counts;
  std::array<std::string, kErrorCount>& first;
  std::vector<MarketEvent>& out;
  Nanos local = 0;
  bool replay = false;  // re-reading a buffered diff after its snapshot

  LineKind fail(Error e, std::string_view why) {
    ++errors[e];
    if (first[e].empty()) first[e] = "line " + std::to_string(counts[kLines]) + ": " + std::string(why);
    return LineKind::Bad;
  }

  // Index into view / im.ins for a symbol, created on first sight with the market the message shows.
  std::size_t instrument(std::string_view sym, Market m) {
    for (std::size_t i = 0; i < view.size(); ++i)
      if (view[i].symbol == sym && view[i].market == m) return i;
    InstrumentView v;
    v.id = static_cast<InstrumentId>(view.size() + 1);
    v.symbol = std::string(sym);
    v.market = m;
    for (const auto& d : im.opts.instruments)
      if (d.symbol == v.symbol && d.market == market_name(m)) {
        v.defined = true;
        v.scale = d.scale;
      }
    view.push_back(std::move(v));
    im.ins.emplace_back();
    im.ins.back().lv[0].reserve(8192);
    im.ins.back().lv[1].reserve(8192);
    return view.size() - 1;
  }

  void emit(const InstrumentView& v, EventKind k, Side s, Price p, Qty q, Nanos exch, std::uint8_t flags) {
    MarketEvent e;
    e.ts_exch = exch;
    e.ts_recv = local;
    e.order_id = (k == EventKind::Clear) ? 0 : level_id(v.id, s, p);
    e.price = p;
    e.qty = q;
    e.instrument = v.id;
    e.kind = k;
    e.side = s;
    e.flags = flags;
    out.push_back(e);
  }

  // [[price, qty], ...] -> scratch; false (counted) on the first bad entry.
  bool levels(const element& arr_el, const InstrumentView& v, std::vector<Level>& dst) {
    dst.clear();
    array arr;
    if (arr_el.get_array().get(arr)) return fail(kMissingField, "price levels are not an array"), false;
    for (element lv : arr) {
      array pq;
      std::string_view ps, qs;
      if (lv.get_array().get(pq) || pq.size() < 2 || pq.at(0).get_string().get(ps) || pq.at(1).get_string().get(qs))
        return fail(kMissingField, "a level is not [\"price\", \"qty\"]"), false;
      PriceFx p;
      if (const auto e = parse_price(ps, v.scale, p); e != DecimalError::None)
        return fail(kBadPrice, "price '" + std::string(ps) + "': " + decimal_error_name(e)), false;
      if (p.units <= 0 || p.units > kMaxLevelPrice)
        return fail(kBadPrice, "price '" + std::string(ps) + "' out of range"), false;
      QtyFx q;
      if (const auto e = parse_qty(qs, v.scale, q); e != DecimalError::None)
        return fail(kBadQty, "size '" + std::string(qs) + "': " + decimal_error_name(e)), false;
      if (q.units > static_cast<std::int64_t>(UINT32_MAX))
        return fail(kBadQty, "size '" + std::string(qs) + "' too large for the quantity type"), false;
      dst.push_back({p.units, static_cast<Qty>(q.units)});
    }
    return true;
  }

  // Absolute level sizes -> Add / Modify / Delete of the level's order. Removals of both sides
  // first, then the rest: a diff that moves the touch would otherwise cross the book halfway.
  void apply_levels(InstrumentView& v, Instr& in, Nanos exch, std::uint8_t flags) {
    for (int pass = 0; pass < 2; ++pass) {
      for (int s = 0; s < 2; ++s) {
        const Side side = s == 0 ? Side::Buy : Side::Sell;
        auto& m = in.lv[s];
        for (const Level& l : im.scratch[s]) {
          if ((l.qty == 0) != (pass == 0)) continue;
          auto it = m.find(l.price);
          if (l.qty == 0) {
            if (it == m.end()) {
              ++counts[kDeleteAbsent];
              continue;
            }
            m.erase(it);
            emit(v, EventKind::Delete, side, l.price, 0, exch, flags);
          } else if (it == m.end()) {
            m.emplace(l.price, l.qty);
            emit(v, EventKind::Add, side, l.price, l.qty, exch, flags);
          } else if (it->second != l.qty) {
            it->second = l.qty;
            emit(v, EventKind::Modify, side, l.price, l.qty, exch, flags);
          } else {
            ++counts[kUnchanged];
          }
        }
      }
    }
  }

  void close_group(std::size_t before) {
    if (out.size() > before) out.back().flags |= evflag::kLast;
  }

  void go_stale(InstrumentView& v, Instr& in, Nanos exch) {
    ++v.gaps;
    v.sync = Sync::Stale;
    in.lv[0].clear();
    in.lv[1].clear();
    const std::size_t before = out.size();
    emit(v, EventKind::Clear, Side::None, 0, 0, exch, evflag::kStale | evflag::kLevel);
    close_group(before);
  }

  // Exchange ms -> ns; times past year 2255 (a corrupt number) do not fit and are refused.
  static constexpr std::uint64_t kMaxMs = 9'000'000'000'000ULL;
  static Nanos ms(std::uint64_t t) { return static_cast<Nanos>(t) * kNsPerMs; }

  LineKind depth(const object& d, std::string_view sym, std::string_view raw_line) {
    if (!replay) ++counts[kDepth];
    std::uint64_t U = 0, u = 0, pu = 0, E = 0, T = 0;
    if (d["U"].get_uint64().get(U) || d["u"].get_uint64().get(u) || d["E"].get_uint64().get(E))
      return fail(kMissingField, "depthUpdate without U, u or E");
    const bool fut = !d["pu"].get_uint64().get(pu);
    const bool has_t = !d["T"].get_uint64().get(T);
    const std::size_t i = instrument(sym, fut ? Market::UsdM : Market::Spot);
    im.last_depth_instr = static_cast<InstrumentId>(i + 1);
    InstrumentView& v = view[i];
    Instr& in = im.ins[i];
    if (!v.defined) return fail(kNoDefinition, "no instruments entry for " + v.symbol + " " + market_name(v.market));
    if (E > kMaxMs || (has_t && T > kMaxMs)) return fail(kBadTime, "depthUpdate time E / T out of range");
    const Nanos exch = ms(has_t ? T : E);
    if (v.sync != Sync::Synced) {
      if (in.pending.size() >= im.opts.max_buffered) {
        in.pending.pop_front();
        fail(kUnsyncedDiff, "diff buffer full while waiting for a snapshot (oldest discarded)");
      }
      in.pending.emplace_back(raw_line);
      ++counts[kBuffered];
      return LineKind::Depth;
    }
    if (u <= v.last_u) {
      ++counts[kDroppedOld];
      return LineKind::Depth;
    }
    // Continuity: the first diff after a snapshot must cover lastUpdateId + 1; then the chain.
    // (futures ids are not contiguous: the first diff straddles lastUpdateId, or follows it exactly)
    const bool ok = v.applied == 0 ? (fut ? U <= v.last_u || pu == v.last_u : U <= v.last_u + 1)
                                   : (fut ? pu == v.last_u : U == v.last_u + 1);
    if (!ok) {
      fail(kGap, v.symbol + " " + market_name(v.market) + ": update ids break (" +
                     (fut ? "pu " + std::to_string(pu) : "U " + std::to_string(U)) + " after u " +
                     std::to_string(v.last_u) + ")");
      go_stale(v, in, exch);
      in.pending.emplace_back(raw_line);  // may be the first diff after a later snapshot
      ++counts[kBuffered];
      return LineKind::Depth;
    }
    element b, a;
    if (d["b"].get(b) || d["a"].get(a)) return fail(kMissingField, "depthUpdate without b or a");
    if (!levels(b, v, im.scratch[0]) || !levels(a, v, im.scratch[1])) {
      // A diff that cannot be applied whole leaves the book unknown.
      go_stale(v, in, exch);
      return LineKind::Bad;
    }
    const std::size_t before = out.size();
    apply_levels(v, in, exch, evflag::kLevel);
    close_group(before);
    v.last_u = u;
    ++v.applied;
    ++counts[kApplied];
    in.last_exch = exch;
    return LineKind::Depth;
  }

  LineKind snapshot(const object& o) {
    std::uint64_t L = 0;
    if (o["lastUpdateId"].get_uint64().get(L)) return fail(kMissingField, "snapshot without lastUpdateId");
    if (im.last_depth_instr == 0) return fail(kSnapshotNoStream, "snapshot before any depth message: no symbol to give it");
    const std::size_t i = im.last_depth_instr - 1;
    InstrumentView& v = view[i];
    Instr& in = im.ins[i];
    if (!v.defined) return fail(kNoDefinition, "no instruments entry for " + v.symbol + " " + market_name(v.market));
    element b, a;
    if (o["bids"].get(b) || o["asks"].get(a)) return fail(kMissingField, "snapshot without bids or asks");
    if (!levels(b, v, im.scratch[0]) || !levels(a, v, im.scratch[1])) return LineKind::Bad;
    std::uint64_t t = 0;
    Nanos exch = in.last_exch;
    if ((!o["T"].get_uint64().get(t) || !o["E"].get_uint64().get(t)) && t <= kMaxMs) exch = ms(t);
    if (exch == 0) exch = local;
    ++counts[kSnapshots];
    if (v.sync == Sync::Stale) ++counts[kRecovered];
    ++v.snapshots;
    const std::size_t before = out.size();
    emit(v, EventKind::Clear, Side::None, 0, 0, exch, evflag::kSnapshot | evflag::kLevel);
    in.lv[0].clear();
    in.lv[1].clear();
    apply_levels(v, in, exch, evflag::kSnapshot | evflag::kLevel);
    close_group(before);
    v.sync = Sync::Synced;
    v.last_u = L;
    v.applied = 0;
    in.last_exch = exch;
    // The diffs that waited for it: old ones dropped, the rest applied (or a gap again).
    std::deque<std::string> pend;
    pend.swap(in.pending);
    for (const auto& line : pend) {
      if (v.sync != Sync::Synced) {
        in.pending.push_back(line);
        continue;
      }
      Run r{im, view, ticker, errors, counts, first, out, local, true};
      r.parse_line(line);
    }
    return LineKind::Snapshot;
  }

  LineKind ticker_msg(const object& d, std::string_view sym) {
    ++counts[kTickers];
    std::uint64_t u = 0;
    std::string_view bs, bq, as, aq;
    if (d["u"].get_uint64().get(u) || d["b"].get_string().get(bs) || d["B"].get_string().get(bq) ||
        d["a"].get_string().get(as) || d["A"].get_string().get(aq))
      return fail(kMissingField, "bookTicker without u, b, B, a or A");
    std::uint64_t e = 0;
    const bool fut = !d["E"].get_uint64().get(e);
    const std::size_t i = instrument(sym, fut ? Market::UsdM : Market::Spot);
    const InstrumentView& v = view[i];
    if (!v.defined) return fail(kNoDefinition, "no instruments entry for " + v.symbol + " " + market_name(v.market));
    PriceFx bp, ap;
    QtyFx bz, az;
    if (parse_price(bs, v.scale, bp) != DecimalError::None || parse_price(as, v.scale, ap) != DecimalError::None)
      return fail(kBadPrice, "bookTicker price '" + std::string(bs) + "' / '" + std::string(as) + "'");
    if (parse_qty(bq, v.scale, bz) != DecimalError::None || parse_qty(aq, v.scale, az) != DecimalError::None ||
        bz.units > static_cast<std::int64_t>(UINT32_MAX) || az.units > static_cast<std::int64_t>(UINT32_MAX))
      return fail(kBadQty, "bookTicker size '" + std::string(bq) + "' / '" + std::string(aq) + "'");
    ticker = Ticker{v.id, u, bp.units, ap.units, static_cast<Qty>(bz.units), static_cast<Qty>(az.units)};
    return LineKind::Ticker;
  }

  LineKind trade(const object& d, std::string_view sym) {
    ++counts[kTrades];
    std::uint64_t T = 0;
    std::string_view ps, qs;
    bool maker = false;
    if (d["T"].get_uint64().get(T) || d["p"].get_string().get(ps) || d["q"].get_string().get(qs) ||
        d["m"].get_bool().get(maker))
      return fail(kMissingField, "trade without T, p, q or m");
    if (T > kMaxMs) return fail(kBadTime, "trade time T out of range");
    std::string_view x;
    const bool fut = !d["X"].get_string().get(x);
    if (fut && x != "MARKET") {  // insurance fund / ADL fills are not prints of the book
      ++counts[kNonMarketTrades];
      return LineKind::Trade;
    }
    const std::size_t i = instrument(sym, fut ? Market::UsdM : Market::Spot);
    const InstrumentView& v = view[i];
    if (!v.defined) return fail(kNoDefinition, "no instruments entry for " + v.symbol + " " + market_name(v.market));
    PriceFx p;
    QtyFx q;
    if (const auto e = parse_price(ps, v.scale, p); e != DecimalError::None || p.units <= 0)
      return fail(kBadPrice, "trade price '" + std::string(ps) + "': " + decimal_error_name(e));
    if (const auto e = parse_qty(qs, v.scale, q); e != DecimalError::None || q.units > static_cast<std::int64_t>(UINT32_MAX))
      return fail(kBadQty, "trade size '" + std::string(qs) + "': " + decimal_error_name(e));
    // m: the buyer was the maker, so the resting order was the buy.
    std::uint8_t flags = evflag::kPrintable | evflag::kLast;
    // After a break only: before the first snapshot there is no book to be wrong (and a stale
    // mark there would trip the feed-gap breaker for the whole run).
    if (v.sync == Sync::Stale) flags |= evflag::kStale;
    emit(v, EventKind::Trade, maker ? Side::Buy : Side::Sell, p.units, static_cast<Qty>(q.units), ms(T), flags);
    im.ins[i].last_exch = ms(T);
    return LineKind::Trade;
  }

  LineKind parse_line(std::string_view line) {
    // "<local_ns> <json>"
    const auto sp = line.find(' ');
    std::uint64_t t = 0;
    if (sp == std::string_view::npos || !parse_u64(line.substr(0, sp), t))
      return fail(kBadLine, "no '<local_ns> ' prefix");
    // Old captures stamp microseconds (~1.7e15 now); nanoseconds are ~1.7e18.
    if (t > static_cast<std::uint64_t>(INT64_MAX)) return fail(kBadTime, "local time out of range");
    local = static_cast<Nanos>(t < 9'000'000'000'000'000ULL ? t * 1000 : t);
    const std::string_view js = line.substr(sp + 1);
    auto& pad = im.pad;
    if (pad.size() < js.size() + simdjson::SIMDJSON_PADDING) pad.resize(js.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(pad.data(), js.data(), js.size());
    std::memset(pad.data() + js.size(), 0, simdjson::SIMDJSON_PADDING);
    element root;
    // (a replayed line was parsed once already; the parser's document is reused)
    if (im.parser.parse(pad.data(), js.size(), false).get(root)) return fail(kBadJson, "not valid JSON (cut or corrupt line)");
    object o;
    if (root.get_object().get(o)) return fail(kBadJson, "not a JSON object");
    std::string_view stream;
    if (o["stream"].get_string().get(stream)) {
      if (replay) return LineKind::Bad;
      element lu;
      if (!o["lastUpdateId"].get(lu)) return snapshot(o);
      return fail(kUnknownMessage, "JSON object with neither stream nor lastUpdateId");
    }
    object d;
    if (o["data"].get_object().get(d)) return fail(kMissingField, "stream message without data");
    const auto at = stream.find('@');
    if (at == std::string_view::npos) return fail(kUnknownMessage, "stream name without '@'");
    auto& sym = im.symbol_buf;
    sym.assign(stream.substr(0, at));
    for (auto& c : sym) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    const std::string_view kind = stream.substr(at + 1);
    if (kind.starts_with("depth")) return depth(d, sym, line);
    if (replay) return LineKind::Bad;
    if (kind == "bookTicker") return ticker_msg(d, sym);
    if (kind == "trade") return trade(d, sym);
    return fail(kUnknownMessage, "stream kind '" + std::string(kind) + "'");
  }
};
}  // namespace

LineKind Decoder::decode(std::string_view line, std::vector<MarketEvent>& out) {
  ++counts_[kLines];
  Run r{*impl_, view_, ticker_, errors_, counts_, first_, out};
  return r.parse_line(line);
}

}  // namespace hft::binance
