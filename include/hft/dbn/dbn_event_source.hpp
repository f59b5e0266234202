// DBN records -> normalized MarketEvents (the EventSource behind "dbn:FILE"). MBO gives the
// full L3 stream; MBP-1, MBP-10 and trades give Trade events for their trade records and count
// the rest. Instruments get dense ids in order of first appearance; the DBN instrument_id of
// each is kept in a side table here (feed::Instrument has no field for it).
// May touch: core/, feed/source.hpp, dbn/ records and reader.
//
// Mapping decisions:
//  - MBO A -> Add, C -> Cancel (qty = quantity removed), M -> Modify, R -> Clear.
//  - MBO T -> Trade, side = opposite of DBN's side (DBN gives the aggressor; MarketEvent
//    wants the resting order's side), order_id as given, flag kPrintable (the tape print).
//  - MBO F -> Trade, side = DBN's side unchanged: a fill record names an order of the book that
//    was filled, with that order's side (checked on the ESH4 day: every F side equals the side
//    the order was added with). Usually the resting order; when the aggressor itself had been
//    resting (a modify into a marketable price), its own fill comes as an F too. No kPrintable:
//    the T record already prints the volume, so volume = sum over kPrintable Trades.
//  - trades / MBP-1 / MBP-10 action T -> Trade with side = opposite(aggressor), kPrintable.
//  - N and unknown actions produce no event and are counted ("dbn.mbo.N", errors
//    "dbn.unknown_action").
//  - Prices 1e-9 -> 1e-4 (rounded and counted "dbn.price_inexact" when not exact; the no-price
//    sentinel gives price 0, counted "dbn.undef_price" for actions that need a price).
//  - F_LAST -> evflag::kLast, F_SNAPSHOT -> evflag::kSnapshot. ts_exch = ts_event,
//    ts_recv = ts_recv, both since the epoch; except on snapshot records (F_SNAPSHOT), where
//    ts_exch = ts_recv: their ts_event is an order's entry time or the snapshot's time, days
//    before the session on the CME files, so the snapshot sets the book at its receive time
//    (and, flagged kSnapshot, drives no time-based state downstream: features, cleaner).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "hft/dbn/dbn_reader.hpp"
#include "hft/feed/source.hpp"

namespace hft::dbn {

class DbnEventSource final : public feed::EventSource {
 public:
  DbnEventSource(const std::string& path, const feed::FeedOptions& opts);  // throws

  std::size_t next(std::span<MarketEvent> out) override;
  feed::TimeBasis time_basis() const noexcept override { return feed::TimeBasis::SinceEpoch; }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return instruments_; }
  const feed::SourceStats& stats() const noexcept override { return stats_; }
  double progress() const noexcept override { return reader_->progress(); }

  const Metadata& metadata() const noexcept { return reader_->metadata(); }
  // Side table: DBN instrument_id of each dense InstrumentId (index = InstrumentId).
  const std::vector<std::uint32_t>& dbn_instrument_ids() const noexcept { return dbn_ids_; }
  // Dense id for a DBN instrument_id; false if it has not appeared yet.
  bool find_instrument(std::uint32_t dbn_id, InstrumentId& out) const noexcept;

 private:
  InstrumentId dense_id(std::uint32_t dbn_id);
  std::uint64_t* counter(const std::string& name);
  std::uint64_t* error(const std::string& name);
  void bump_error(std::uint64_t*& slot, const char* name);
  Price convert_price(std::int64_t px, bool needed) noexcept;
  bool on_record(std::span<const std::uint8_t> rec, MarketEvent& ev);
  bool on_mbo(std::span<const std::uint8_t> rec, MarketEvent& ev);
  bool on_trade_like(std::span<const std::uint8_t> rec, std::uint8_t rt, MarketEvent& ev);

  feed::SourceStats stats_;
  std::unique_ptr<DbnReader> reader_;
  std::vector<feed::Instrument> instruments_;
  std::vector<std::uint32_t> dbn_ids_;
  std::unordered_map<std::uint32_t, InstrumentId> dense_;
  std::uint32_t last_dbn_id_ = 0;
  InstrumentId last_dense_ = 0;
  bool have_last_ = false;
  std::unordered_map<std::uint32_t, std::string> mapped_symbols_;  // from symbol mapping records
  // Counters are map entries created once on first use (node addresses are stable), so the
  // per-record cost is one array index and one increment.
  std::array<std::uint64_t*, 256> rtype_ctr_{};
  std::array<std::uint64_t*, 256> mbo_action_ctr_{};
  std::array<std::array<std::uint64_t*, 256>, 3> mbp_action_ctr_{};  // trades, mbp1, mbp10
  std::uint64_t* err_price_inexact_ = nullptr;
  std::uint64_t* cnt_undef_price_ = nullptr;
  std::uint64_t* err_unknown_action_ = nullptr;
  std::uint64_t* err_bad_side_ = nullptr;
  std::uint64_t* err_unknown_rtype_ = nullptr;
  std::uint64_t* err_short_record_ = nullptr;
};

// Same as open_dbn_source, with the concrete type (for the side table and metadata).
std::unique_ptr<DbnEventSource> open_dbn_event_source(const std::string& path,
                                                      const feed::FeedOptions& opts = {});

}  // namespace hft::dbn
