// DBN format fixtures (databento/dbn tests/data, ESH1 2020-12-28): values from PROVENANCE.md
// and from the bytes read by hand with the specification; identical across v1/v2/v3 and
// compressed/uncompressed.
#include <gtest/gtest.h>

#include <zstd.h>

#include <cstring>

#include "dbn_test_util.hpp"

namespace hft::dbn {
namespace {
using namespace test;

const std::vector<std::string> kMboFiles = {"test_data.mbo.v1.dbn.zst", "test_data.mbo.v2.dbn.zst",
                                            "test_data.mbo.dbn", "test_data.mbo.v3.dbn",
                                            "test_data.mbo.v3.dbn.zst"};

TEST(DbnFixtures, MetadataAllVersions) {
  const std::pair<std::string, int> files[] = {{"test_data.mbo.v1.dbn.zst", 1},
                                               {"test_data.mbo.v2.dbn.zst", 2},
                                               {"test_data.mbo.dbn", 2},
                                               {"test_data.mbo.v3.dbn", 3},
                                               {"test_data.mbo.v3.dbn.zst", 3}};
  for (const auto& [name, version] : files) {
    SCOPED_TRACE(name);
    DbnReader r(fixture(name));
    const Metadata& m = r.metadata();
    EXPECT_EQ(m.version, version);
    EXPECT_EQ(r.compressed(), name.ends_with(".zst"));
    EXPECT_EQ(m.dataset, "GLBX.MDP3");
    EXPECT_EQ(m.schema, 0);  // mbo
    EXPECT_EQ(m.start, 1609160400000000000ULL);  // 2020-12-28 13:00 UTC
    EXPECT_EQ(m.end, 1609200000000000000ULL);    // 2020-12-29 00:00 UTC
    EXPECT_EQ(m.limit, 2u);
    EXPECT_EQ(m.stype_in, 1);   // raw_symbol
    EXPECT_EQ(m.stype_out, 0);  // instrument_id
    EXPECT_FALSE(m.ts_out);
    EXPECT_EQ(m.symbol_cstr_len, version == 1 ? 22 : 71);
    if (version == 1) {
      EXPECT_EQ(m.record_count, UINT64_MAX);
    }
    ASSERT_EQ(m.symbols.size(), 1u);
    EXPECT_EQ(m.symbols[0], "ESH1");
    ASSERT_EQ(m.mappings.size(), 1u);
    EXPECT_EQ(m.mappings[0].raw_symbol, "ESH1");
    ASSERT_EQ(m.mappings[0].intervals.size(), 1u);
    EXPECT_EQ(m.mappings[0].intervals[0].start_date, 20201228u);
    EXPECT_EQ(m.mappings[0].intervals[0].end_date, 20201229u);
    EXPECT_EQ(m.mappings[0].intervals[0].symbol, "5482");
    ASSERT_EQ(m.instrument_symbols.count(5482), 1u);
    EXPECT_EQ(m.instrument_symbols.at(5482), "ESH1");
  }
}

TEST(DbnFixtures, MboValuesAndVersionsAgree) {
  std::vector<MboRecord> first;
  for (const auto& name : kMboFiles) {
    SCOPED_TRACE(name);
    feed::SourceStats st;
    const auto raw = raw_records(fixture(name), &st);
    EXPECT_EQ(total(st.errors), 0u);
    ASSERT_EQ(raw.size(), 2u);
    std::vector<MboRecord> recs;
    for (const auto& b : raw) {
      MboRecord r;
      ASSERT_TRUE(decode_mbo(b, r));
      recs.push_back(r);
    }
    const MboRecord& a = recs[0];
    EXPECT_EQ(a.hd.length(), 56u);
    EXPECT_EQ(a.hd.rtype, 0xA0);
    EXPECT_EQ(a.hd.publisher_id, 1);
    EXPECT_EQ(a.hd.instrument_id, 5482u);
    EXPECT_EQ(a.hd.ts_event, 1609160400000429831ULL);
    EXPECT_EQ(a.action, 'C');
    EXPECT_EQ(a.side, 'A');
    EXPECT_EQ(a.price, 3722750000000LL);
    EXPECT_EQ(a.size, 1u);
    EXPECT_EQ(a.order_id, 647784973705ULL);
    EXPECT_EQ(a.flags, 128);
    EXPECT_EQ(a.sequence, 1170352u);
    EXPECT_EQ(a.ts_in_delta, 0x59d1);             // bytes d1 59 00 00
    EXPECT_EQ(a.ts_recv, 0x1654e2dbacaade3cULL);  // bytes 3c de aa ac db e2 54 16
    const MboRecord& b = recs[1];
    EXPECT_EQ(b.hd.ts_event, 1609160400000431665ULL);
    EXPECT_EQ(b.action, 'C');
    EXPECT_EQ(b.side, 'A');
    EXPECT_EQ(b.price, 3723000000000LL);
    EXPECT_EQ(b.size, 1u);
    EXPECT_EQ(b.order_id, 647784973631ULL);
    EXPECT_EQ(b.flags, 128);
    EXPECT_EQ(b.sequence, 1170353u);
    if (first.empty()) {
      first = recs;
    } else {
      EXPECT_EQ(recs, first);
    }
  }
}

TEST(DbnFixtures, MboEvents) {
  for (const auto& name : kMboFiles) {
    SCOPED_TRACE(name);
    auto src = open_dbn_event_source(fixture(name));
    const auto ev = drain(*src);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(src->time_basis(), feed::TimeBasis::SinceEpoch);
    ASSERT_EQ(src->instruments().size(), 1u);
    EXPECT_EQ(src->instruments()[0].symbol, "ESH1");
    EXPECT_EQ(src->instruments()[0].id, 0u);
    ASSERT_EQ(src->dbn_instrument_ids().size(), 1u);
    EXPECT_EQ(src->dbn_instrument_ids()[0], 5482u);
    EXPECT_EQ(ev[0].kind, EventKind::Cancel);
    EXPECT_EQ(ev[0].side, Side::Sell);
    EXPECT_EQ(ev[0].price, 37227500);  // 3722.75 in 1e-4
    EXPECT_EQ(ev[0].qty, 1u);
    EXPECT_EQ(ev[0].order_id, 647784973705ULL);
    EXPECT_EQ(ev[0].flags, evflag::kLast);
    EXPECT_EQ(ev[0].ts_exch, 1609160400000429831LL);
    EXPECT_EQ(ev[0].ts_recv, 0x1654e2dbacaade3cLL);
    EXPECT_EQ(ev[0].instrument, 0u);
    EXPECT_EQ(ev[1].price, 37230000);
    EXPECT_EQ(ev[1].order_id, 647784973631ULL);
    EXPECT_EQ(src->stats().events, 2u);
    EXPECT_EQ(get(src->stats().counts, "dbn.mbo.C"), 2u);
    EXPECT_EQ(get(src->stats().counts, "dbn.rtype.mbo"), 2u);
    EXPECT_EQ(total(src->stats().errors), 0u);
  }
}

TEST(DbnFixtures, TradesValuesAndEvents) {
  std::vector<TradeRecord> first;
  for (int v = 1; v <= 3; ++v) {
    const std::string name = "test_data.trades.v" + std::to_string(v) + ".dbn.zst";
    SCOPED_TRACE(name);
    const auto recs = typed_records<TradeRecord>(fixture(name), decode_trade);
    ASSERT_EQ(recs.size(), 2u);
    for (const auto& t : recs) {
      EXPECT_EQ(t.hd.length(), 48u);
      EXPECT_EQ(t.hd.instrument_id, 5482u);
      EXPECT_EQ(t.action, 'T');
      EXPECT_EQ(t.price, 3720250000000LL);
      EXPECT_EQ(t.side, 'A');
      EXPECT_EQ(t.flags, 129);
    }
    EXPECT_EQ(recs[0].size, 5u);
    EXPECT_EQ(recs[1].size, 21u);
    if (first.empty()) {
      first = recs;
    } else {
      EXPECT_EQ(recs, first);
    }

    auto src = open_dbn_source(fixture(name), {});
    const auto ev = drain(*src);
    ASSERT_EQ(ev.size(), 2u);
    for (const auto& e : ev) {
      EXPECT_EQ(e.kind, EventKind::Trade);
      EXPECT_EQ(e.price, 37202500);
      EXPECT_EQ(e.side, Side::Buy);  // aggressor sold: the resting order was a bid
      EXPECT_EQ(e.flags, evflag::kLast | evflag::kPrintable);
    }
    EXPECT_EQ(ev[0].qty, 5u);
    EXPECT_EQ(ev[1].qty, 21u);
    EXPECT_EQ(get(src->stats().counts, "dbn.trades.T"), 2u);
  }
}

TEST(DbnFixtures, Mbp10ValuesAgree) {
  std::vector<Mbp10Record> first;
  for (int v = 1; v <= 3; ++v) {
    const std::string name = "test_data.mbp-10.v" + std::to_string(v) + ".dbn.zst";
    SCOPED_TRACE(name);
    const auto recs = typed_records<Mbp10Record>(fixture(name), decode_mbp10);
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].t.hd.length(), 368u);
    const BidAskPair& top = recs[0].levels[0];
    EXPECT_EQ(top.bid_px, 3720250000000LL);
    EXPECT_EQ(top.bid_sz, 24u);
    EXPECT_EQ(top.bid_ct, 15u);
    EXPECT_EQ(top.ask_px, 3720500000000LL);
    EXPECT_EQ(top.ask_sz, 10u);
    EXPECT_EQ(top.ask_ct, 8u);
    for (const auto& r : recs)
      for (std::size_t i = 1; i < 10; ++i) {  // levels move away from the top
        EXPECT_LT(r.levels[i].bid_px, r.levels[i - 1].bid_px);
        EXPECT_GT(r.levels[i].ask_px, r.levels[i - 1].ask_px);
      }
    if (first.empty()) {
      first = recs;
    } else {
      EXPECT_EQ(recs, first);
    }
    auto src = open_dbn_source(fixture(name), {});
    const auto ev = drain(*src);
    std::uint64_t trades = 0;
    for (const auto& r : recs) trades += r.t.action == 'T';
    EXPECT_EQ(ev.size(), trades);
    EXPECT_EQ(src->stats().events, trades);
  }
}

TEST(DbnFixtures, Mbp1VersionsAgree) {
  std::vector<Mbp1Record> first;
  for (int v = 1; v <= 3; ++v) {
    const std::string name = "test_data.mbp-1.v" + std::to_string(v) + ".dbn.zst";
    SCOPED_TRACE(name);
    const auto recs = typed_records<Mbp1Record>(fixture(name), decode_mbp1);
    ASSERT_EQ(recs.size(), 2u);
    for (const auto& r : recs) {
      EXPECT_EQ(r.t.hd.instrument_id, 5482u);
      EXPECT_LT(r.level.bid_px, r.level.ask_px);
      EXPECT_EQ(r.level.ask_px - r.level.bid_px, 250000000);  // one ES tick
    }
    if (first.empty()) {
      first = recs;
    } else {
      EXPECT_EQ(recs, first);
    }
  }
}

TEST(DbnFixtures, PriceConversion) {
  bool exact = false;
  EXPECT_EQ(dbn_price_to_ticks(3722750000000LL, exact), 37227500);
  EXPECT_TRUE(exact);
  EXPECT_EQ(dbn_price_to_ticks(123456789, exact), 1235);  // 0.123456789 -> 0.1235
  EXPECT_FALSE(exact);
  EXPECT_EQ(dbn_price_to_ticks(-123456789, exact), -1235);
  EXPECT_FALSE(exact);
  EXPECT_EQ(dbn_price_to_ticks(-100000, exact), -1);
  EXPECT_TRUE(exact);
}

}  // namespace
}  // namespace hft::dbn

namespace hft::dbn {
namespace {
using namespace test;

// Dense instrument ids in order of first appearance, symbols from the metadata, from symbol
// mapping records (rtype 0x16), or the DBN id in decimal when nothing names it.
TEST(DbnInstruments, DenseIdsAndSymbols) {
  auto f = hft::testing::read_bytes(fixture("test_data.mbo.v3.dbn"));
  ASSERT_EQ(f.size(), 472u);
  const std::vector<std::uint8_t> meta(f.begin(), f.begin() + 360);
  std::vector<std::uint8_t> r1(f.begin() + 360, f.begin() + 416);
  std::vector<std::uint8_t> r2(f.begin() + 416, f.end());
  std::vector<std::uint8_t> r3 = r2;
  store_le<std::uint32_t>(r2.data() + 4, 999);
  store_le<std::uint32_t>(r3.data() + 4, 777);
  // v2/v3 symbol mapping: header, stype_in u8, 71-byte symbol, stype_out u8, 71-byte symbol,
  // start_ts, end_ts = 176 bytes.
  std::vector<std::uint8_t> sm(176, 0);
  sm[0] = 176 / 4;
  sm[1] = rtype::kSymbolMapping;
  store_le<std::uint32_t>(sm.data() + 4, 777);
  sm[16] = 1;
  std::memcpy(sm.data() + 17, "NQH1", 4);
  std::vector<std::uint8_t> file = meta;
  for (const auto* part : {&r1, &r2, &sm, &r3, &r1}) file.insert(file.end(), part->begin(), part->end());
  spit(tmp("instruments.dbn"), file);
  auto src = open_dbn_event_source(tmp("instruments.dbn"));
  const auto ev = drain(*src);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].instrument, 0u);
  EXPECT_EQ(ev[1].instrument, 1u);
  EXPECT_EQ(ev[2].instrument, 2u);
  EXPECT_EQ(ev[3].instrument, 0u);
  ASSERT_EQ(src->instruments().size(), 3u);
  EXPECT_EQ(src->instruments()[0].symbol, "ESH1");
  EXPECT_EQ(src->instruments()[1].symbol, "999");
  EXPECT_EQ(src->instruments()[2].symbol, "NQH1");
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(src->instruments()[i].id, i);
  EXPECT_EQ(src->dbn_instrument_ids(), (std::vector<std::uint32_t>{5482, 999, 777}));
  EXPECT_EQ(get(src->stats().counts, "dbn.rtype.symbol_mapping"), 1u);
  EXPECT_EQ(total(src->stats().errors), 0u);
}

// Several concatenated zstd frames (as a streaming writer may produce) read as one stream.
TEST(DbnInstruments, ConcatenatedZstdFrames) {
  const auto f = hft::testing::read_bytes(fixture("test_data.mbo.v3.dbn"));
  std::vector<std::uint8_t> out;
  for (std::size_t start : {std::size_t{0}, std::size_t{100}, std::size_t{390}}) {
    const std::size_t end = start == 0 ? 100 : (start == 100 ? 390 : f.size());
    std::vector<std::uint8_t> z(ZSTD_compressBound(end - start));
    const std::size_t n = ZSTD_compress(z.data(), z.size(), f.data() + start, end - start, 1);
    ASSERT_FALSE(ZSTD_isError(n));
    out.insert(out.end(), z.begin(), z.begin() + static_cast<std::ptrdiff_t>(n));
  }
  spit(tmp("frames.dbn.zst"), out);
  feed::SourceStats st;
  const auto a = raw_records(tmp("frames.dbn.zst"), &st);
  const auto b = raw_records(fixture("test_data.mbo.v3.dbn"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(total(st.errors), 0u);
}

}  // namespace
}  // namespace hft::dbn
