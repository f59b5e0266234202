// Real CME Globex data through the DBN reader: ESH4 MBO 2023-12-24/25 and ESU4 MBP-1 + trades
// 2024-07-01/02. Expected figures are from cme-mbo-databento/PROVENANCE.md.
#include <gtest/gtest.h>

#include <map>
#include <unordered_map>

#include "dbn_test_util.hpp"

namespace hft::dbn {
namespace {
using namespace test;

const std::string kEsh4Day = "esh4-glbx-mdp3-20231225.mbo.dbn.zst";
const std::string kEsh4Snap = "esh4-glbx-mdp3-20231224.mbo.dbn.zst";
const std::string kEsu4Mbp1 = "futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst";
const std::string kEsu4Trades = "futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst";

TEST(DbnCme, Esh4DayRecordCounts) {
  feed::SourceStats st;
  const auto raw = raw_records(cme(kEsh4Day), &st);
  EXPECT_EQ(total(st.errors), 0u);
  ASSERT_EQ(raw.size(), 68792u);
  std::map<char, std::uint64_t> live;
  std::uint64_t snapshot = 0, trades = 0, contracts = 0, side_n_fills = 0, side_n_trades = 0;
  std::int64_t min_px = INT64_MAX, max_px = 0;
  bool in_snapshot = true;
  for (const auto& b : raw) {
    MboRecord r;
    ASSERT_TRUE(decode_mbo(b, r));
    EXPECT_EQ(r.hd.instrument_id, 17077u);
    if (in_snapshot && (r.flags & dbnflag::kSnapshot)) {
      ++snapshot;
      EXPECT_EQ(r.action, 'A');
      continue;
    }
    in_snapshot = false;
    EXPECT_EQ(r.flags & dbnflag::kSnapshot, 0);
    ++live[r.action];
    if (r.action == 'T') {
      ++trades;
      contracts += r.size;
      min_px = std::min(min_px, r.price);
      max_px = std::max(max_px, r.price);
      side_n_trades += r.side == 'N';
    }
    if (r.action == 'F') side_n_fills += r.side == 'N';
  }
  EXPECT_EQ(snapshot, 8725u);
  EXPECT_EQ(live['A'], 20491u);
  EXPECT_EQ(live['C'], 17999u);
  EXPECT_EQ(live['M'], 12233u);
  EXPECT_EQ(live['T'], 2973u);
  EXPECT_EQ(live['F'], 6371u);
  EXPECT_EQ(trades, 2973u);
  EXPECT_EQ(contracts, 9892u);
  EXPECT_EQ(min_px, 4800250000000LL);
  EXPECT_EQ(max_px, 4811750000000LL);
  EXPECT_EQ(side_n_fills, 35u);
  EXPECT_EQ(side_n_trades, 1u);
}

TEST(DbnCme, Esh4SnapshotOnlyDay) {
  const auto recs = typed_records<MboRecord>(cme(kEsh4Snap), decode_mbo);
  ASSERT_EQ(recs.size(), 8725u);
  for (std::size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].action, 'A');
    const std::uint8_t want = dbnflag::kSnapshot | dbnflag::kBadTsRecv |
                              (i + 1 == recs.size() ? dbnflag::kLast : 0);
    EXPECT_EQ(recs[i].flags, want) << i;
  }
}

// The mapping decision for F records: DBN's side on a fill is the side of the resting order
// it names (so it is passed through), while a T record's side is the aggressor's (so it is
// flipped). Checked against the sides the orders were added with.
TEST(DbnCme, Esh4FillSideIsRestingOrderSide) {
  const auto recs = typed_records<MboRecord>(cme(kEsh4Day), decode_mbo);
  std::unordered_map<std::uint64_t, char> side_of;
  std::uint64_t fills_checked = 0, fill_mismatch = 0, trades_checked = 0, trade_same_side = 0;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const MboRecord& r = recs[i];
    if (r.action == 'A') side_of[r.order_id] = r.side;
    if (r.action == 'F' && r.side != 'N') {
      const auto it = side_of.find(r.order_id);
      ASSERT_NE(it, side_of.end()) << "fill of unknown order " << r.order_id;
      ++fills_checked;
      fill_mismatch += it->second != r.side;
    }
    // The fills that follow a trade in the same event are on the other side of it, except the
    // aggressor's own fill when the aggressor was itself a resting order (same order id).
    if (r.action == 'T' && r.side != 'N') {
      for (std::size_t k = i + 1; k < recs.size() && recs[k].hd.ts_event == r.hd.ts_event; ++k) {
        if (recs[k].action != 'F' || recs[k].side == 'N' || recs[k].order_id == r.order_id) continue;
        ++trades_checked;
        trade_same_side += recs[k].side == r.side;
        break;
      }
    }
  }
  EXPECT_GT(fills_checked, 6000u);
  EXPECT_EQ(fill_mismatch, 0u);
  EXPECT_GT(trades_checked, 2000u);
  EXPECT_EQ(trade_same_side, 0u);
}

TEST(DbnCme, Esh4EventsAndInstrument) {
  auto src = open_dbn_event_source(cme(kEsh4Day));
  ASSERT_EQ(src->metadata().instrument_symbols.count(17077), 1u);
  EXPECT_EQ(src->metadata().instrument_symbols.at(17077), "ESH4");
  const auto ev = drain(*src);
  ASSERT_EQ(src->instruments().size(), 1u);
  EXPECT_EQ(src->instruments()[0].symbol, "ESH4");
  EXPECT_EQ(src->dbn_instrument_ids(), std::vector<std::uint32_t>{17077});
  InstrumentId id = 99;
  EXPECT_TRUE(src->find_instrument(17077, id));
  EXPECT_EQ(id, 0u);
  // Every record gives one event (no N actions in this file).
  EXPECT_EQ(ev.size(), 68792u);
  EXPECT_EQ(src->stats().events, 68792u);
  EXPECT_EQ(total(src->stats().errors), 0u);
  const auto& c = src->stats().counts;
  EXPECT_EQ(get(c, "dbn.records"), 68792u);
  EXPECT_EQ(get(c, "dbn.rtype.mbo"), 68792u);
  EXPECT_EQ(get(c, "dbn.mbo.A"), 8725u + 20491u);
  EXPECT_EQ(get(c, "dbn.mbo.C"), 17999u);
  EXPECT_EQ(get(c, "dbn.mbo.M"), 12233u);
  EXPECT_EQ(get(c, "dbn.mbo.T"), 2973u);
  EXPECT_EQ(get(c, "dbn.mbo.F"), 6371u);
  std::map<EventKind, std::uint64_t> kinds;
  std::uint64_t printable = 0, printed_qty = 0, snap = 0;
  for (const auto& e : ev) {
    ++kinds[e.kind];
    if (e.flags & evflag::kPrintable) {
      ++printable;
      printed_qty += e.qty;
    }
    snap += (e.flags & evflag::kSnapshot) != 0;
    EXPECT_GE(e.ts_recv, e.ts_exch);  // PROVENANCE: ts_recv never earlier than ts_event
    EXPECT_EQ(e.price % 2500, 0);     // ES tick 0.25 = 2500 in 1e-4
  }
  EXPECT_EQ(kinds[EventKind::Add], 8725u + 20491u);
  EXPECT_EQ(kinds[EventKind::Cancel], 17999u);
  EXPECT_EQ(kinds[EventKind::Modify], 12233u);
  EXPECT_EQ(kinds[EventKind::Trade], 2973u + 6371u);
  EXPECT_EQ(printable, 2973u);
  EXPECT_EQ(printed_qty, 9892u);
  EXPECT_EQ(snap, 8725u);
  // ts_recv is non-decreasing over the whole file.
  for (std::size_t i = 1; i < ev.size(); ++i) ASSERT_LE(ev[i - 1].ts_recv, ev[i].ts_recv) << i;
}

// Snapshot records set the book at the snapshot's receive time: their ts_event is
// 2023-12-24 13:00:05.24 UTC (PROVENANCE), their ts_recv 2023-12-25 00:00 UTC; the live
// records keep ts_event. So exchange time never goes back from the snapshot into the live day.
TEST(DbnCme, Esh4SnapshotStampedWithReceiveTime) {
  const auto recs = typed_records<MboRecord>(cme(kEsh4Day), decode_mbo);
  auto src = open_dbn_event_source(cme(kEsh4Day));
  const auto ev = drain(*src);
  ASSERT_EQ(ev.size(), recs.size());
  constexpr Nanos kDec25 = 1703462400000000000LL;  // 2023-12-25 00:00:00 UTC
  std::uint64_t snap = 0, live = 0;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    const bool s = recs[i].flags & dbnflag::kSnapshot;
    ASSERT_EQ((ev[i].flags & evflag::kSnapshot) != 0, s) << i;
    if (s) {
      ++snap;
      ASSERT_LT(recs[i].hd.ts_event, static_cast<std::uint64_t>(kDec25)) << i;  // the old stamp
      ASSERT_EQ(ev[i].ts_exch, ev[i].ts_recv) << i;
      ASSERT_EQ(ev[i].ts_exch, kDec25) << i;
    } else {
      ++live;
      ASSERT_EQ(ev[i].ts_exch, static_cast<Nanos>(recs[i].hd.ts_event)) << i;
    }
    if (i > 0) {
      ASSERT_LE(ev[i - 1].ts_exch, ev[i].ts_exch) << i;
    }
  }
  EXPECT_EQ(snap, 8725u);
  EXPECT_EQ(live, 68792u - 8725u);
}

TEST(DbnCme, Esu4Mbp1BidBelowAskAndTradesMatch) {
  const auto mbp = typed_records<Mbp1Record>(cme(kEsu4Mbp1), decode_mbp1);
  ASSERT_EQ(mbp.size(), 2288u);
  std::map<char, std::uint64_t> act;
  std::vector<TradeRecord> mbp_trades;
  for (const auto& r : mbp) {
    ++act[r.t.action];
    EXPECT_NE(r.level.bid_px, kUndefPrice);
    EXPECT_NE(r.level.ask_px, kUndefPrice);
    EXPECT_LT(r.level.bid_px, r.level.ask_px);
    if (r.t.action == 'T') mbp_trades.push_back(r.t);
  }
  EXPECT_EQ(act['A'], 1061u);
  EXPECT_EQ(act['C'], 989u);
  EXPECT_EQ(act['M'], 118u);
  EXPECT_EQ(act['T'], 120u);

  const auto trades = typed_records<TradeRecord>(cme(kEsu4Trades), decode_trade);
  ASSERT_EQ(trades.size(), 120u);
  ASSERT_EQ(mbp_trades.size(), 120u);
  std::uint64_t buy = 0, sell = 0;
  for (std::size_t i = 0; i < trades.size(); ++i) {
    const TradeRecord& a = trades[i];
    const TradeRecord& b = mbp_trades[i];
    EXPECT_EQ(a.hd.ts_event, b.hd.ts_event) << i;
    EXPECT_EQ(a.hd.instrument_id, b.hd.instrument_id) << i;
    EXPECT_EQ(a.ts_recv, b.ts_recv) << i;
    EXPECT_EQ(a.price, b.price) << i;
    EXPECT_EQ(a.size, b.size) << i;
    EXPECT_EQ(a.side, b.side) << i;
    EXPECT_EQ(a.sequence, b.sequence) << i;
    EXPECT_GE(a.price, 5528500000000LL);
    EXPECT_LE(a.price, 5529500000000LL);
    buy += a.side == 'B';
    sell += a.side == 'A';
  }
  EXPECT_EQ(buy, 66u);
  EXPECT_EQ(sell, 54u);

  // Through the event sources: the same 120 Trade events, the rest counted.
  auto s1 = open_dbn_event_source(cme(kEsu4Mbp1));
  auto s2 = open_dbn_event_source(cme(kEsu4Trades));
  const auto e1 = drain(*s1);
  const auto e2 = drain(*s2);
  ASSERT_EQ(e1.size(), 120u);
  ASSERT_EQ(e2.size(), 120u);
  for (std::size_t i = 0; i < e1.size(); ++i) {
    EXPECT_EQ(e1[i].kind, EventKind::Trade);
    EXPECT_EQ(e1[i].ts_exch, e2[i].ts_exch);
    EXPECT_EQ(e1[i].price, e2[i].price);
    EXPECT_EQ(e1[i].qty, e2[i].qty);
    EXPECT_EQ(e1[i].side, e2[i].side);
    EXPECT_EQ(e1[i].side, opposite(trades[i].side == 'B' ? Side::Buy : Side::Sell));
  }
  const auto& c = s1->stats().counts;
  EXPECT_EQ(get(c, "dbn.mbp1.A"), 1061u);
  EXPECT_EQ(get(c, "dbn.mbp1.C"), 989u);
  EXPECT_EQ(get(c, "dbn.mbp1.M"), 118u);
  EXPECT_EQ(get(c, "dbn.mbp1.T"), 120u);
  EXPECT_EQ(total(s1->stats().errors), 0u);
  EXPECT_EQ(s1->instruments().at(0).symbol, "ESU4");
  EXPECT_EQ(s1->dbn_instrument_ids().at(0), 118u);
}

TEST(DbnCme, DefinitionFileSkippedAndCounted) {
  auto src = open_dbn_event_source(cme("futures_definition.dbn.zst"));
  const auto ev = drain(*src);
  EXPECT_TRUE(ev.empty());
  const auto& c = src->stats().counts;
  EXPECT_GT(get(c, "dbn.rtype.definition"), 0u);
  EXPECT_EQ(get(c, "dbn.rtype.definition"), get(c, "dbn.records"));
  EXPECT_EQ(total(src->stats().errors), 0u);
}

}  // namespace
}  // namespace hft::dbn
