// ITCH 5.0 decoder tests. The byte strings are real messages cut out of the OMI captures in
// HFT_SHARED_DATA/omi-itch50-pcap (dumped with xxd); the expected field values were worked out
// by hand from those bytes with the ITCH 5.0 specification's layouts, never from this code.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hft/itch/decoder.hpp"
#include "hft/itch/messages.hpp"

namespace hft::itch {
namespace {

std::vector<std::uint8_t> hex(const std::string& s) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : s)
    if (c != ' ') digits.push_back(c);
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return out;
}

MarketEvent decode_ok(const std::vector<std::uint8_t>& m, bool want_event = true) {
  MarketEvent ev{};
  const DecodeResult r = decode_message(m.data(), m.size(), ev);
  EXPECT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_EQ(r.event, want_event);
  return ev;
}

TEST(ItchLengths, MatchSpecification) {
  // ITCH 5.0 section 1 message lengths.
  const std::pair<char, int> spec[] = {{'S', 12}, {'R', 39}, {'H', 25}, {'Y', 20}, {'L', 26}, {'V', 35},
                                       {'W', 12}, {'K', 28}, {'J', 35}, {'h', 21}, {'A', 36}, {'F', 40},
                                       {'E', 31}, {'C', 36}, {'X', 23}, {'D', 19}, {'U', 35}, {'P', 44},
                                       {'Q', 40}, {'B', 19}, {'I', 50}, {'N', 20}, {'O', 48}};
  int known = 0;
  for (auto [t, n] : spec) EXPECT_EQ(message_length(static_cast<std::uint8_t>(t)), static_cast<std::size_t>(n)) << t;
  for (int b = 0; b < 256; ++b) known += message_length(static_cast<std::uint8_t>(b)) != 0;
  EXPECT_EQ(known, 23);
}

// 20230822_AddOrderNoMPID.pcap packet 0 (also AddOrderNoMpidAttributionMessage.pcap):
// 41 | 1598 | 0000 | 1f1aced85306 | 000000000166b53e | 42 | 00000640 | "IVOO    " | 000d55ac
TEST(ItchDecode, AddOrder) {
  auto m = hex("41 15 98 00 00 1f 1a ce d8 53 06 00 00 00 00 01 66 b5 3e 42 00 00 06 40 49 56 4f 4f 20 20 20 20 00 0d 55 ac");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Add);
  EXPECT_EQ(ev.instrument, 5528u);               // 0x1598
  EXPECT_EQ(ev.ts_exch, 34199999894278);         // 0x1f1aced85306 = 09:29:59.999894278
  EXPECT_EQ(ev.order_id, 23508286u);             // 0x0166b53e
  EXPECT_EQ(ev.side, Side::Buy);                 // 'B'
  EXPECT_EQ(ev.qty, 1600u);                      // 0x640
  EXPECT_EQ(ev.price, 873900);                   // 0x0d55ac = $87.3900
  EXPECT_EQ(ev.flags, 0);
  const auto v = view_of<AddOrderView>(m.data());
  EXPECT_EQ(trim_alpha(v.stock()), "IVOO");
  EXPECT_EQ(v.tracking_number(), 0);
}

// 20230822_AddOrderWithMPID.pcap packet 0:
// 46 | 06ca | 0000 | 1f1aced99936 | 000000000120be75 | 53 | 00000064 | "CASY    " | 0026fd40 | "FLTU"
TEST(ItchDecode, AddOrderMpid) {
  auto m = hex("46 06 ca 00 00 1f 1a ce d9 99 36 00 00 00 00 01 20 be 75 53 00 00 00 64 43 41 53 59 20 20 20 20 00 26 fd 40 46 4c 54 55");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Add);
  EXPECT_EQ(ev.instrument, 1738u);
  EXPECT_EQ(ev.ts_exch, 34199999977782);
  EXPECT_EQ(ev.order_id, 18923125u);
  EXPECT_EQ(ev.side, Side::Sell);
  EXPECT_EQ(ev.qty, 100u);
  EXPECT_EQ(ev.price, 2555200);  // $255.52
  const auto v = view_of<AddOrderMpidView>(m.data());
  EXPECT_EQ(v.attribution(), "FLTU");
  EXPECT_EQ(trim_alpha(v.stock()), "CASY");
}

// 20230822_OrderExecuted.pcap packet 0:
// 45 | 0929 | 0002 | 1f1aced8f061 | 000000000166929a | 00000019 | 000000000003e63b
TEST(ItchDecode, OrderExecuted) {
  auto m = hex("45 09 29 00 02 1f 1a ce d8 f0 61 00 00 00 00 01 66 92 9a 00 00 00 19 00 00 00 00 00 03 e6 3b");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Execute);
  EXPECT_EQ(ev.instrument, 2345u);
  EXPECT_EQ(ev.ts_exch, 34199999934561);
  EXPECT_EQ(ev.order_id, 23499418u);
  EXPECT_EQ(ev.qty, 25u);
  EXPECT_EQ(ev.price, 0);
  EXPECT_EQ(ev.flags, evflag::kPrintable);
  const auto v = view_of<OrderExecutedView>(m.data());
  EXPECT_EQ(v.match_number(), 255547u);
  EXPECT_EQ(v.tracking_number(), 2);
}

// 20230822_OrderExecutedWithPrice.pcap packet 0 (printable 'N') and packet 2 (printable 'Y'):
// 43 | 13e4 | 0001 | 1f1aceebb03b | 00000000013113de | 0000133e | 000000000003e65d | 4e | 00036e20
// 43 | 2525 | 0002 | 1f1acf4e2511 | 00000000020868e8 | 00000064 | 000000000003e838 | 59 | 00435134
TEST(ItchDecode, OrderExecutedWithPrice) {
  auto m = hex("43 13 e4 00 01 1f 1a ce eb b0 3b 00 00 00 00 01 31 13 de 00 00 13 3e 00 00 00 00 00 03 e6 5d 4e 00 03 6e 20");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Execute);
  EXPECT_EQ(ev.instrument, 5092u);
  EXPECT_EQ(ev.ts_exch, 34200001163323);
  EXPECT_EQ(ev.order_id, 19993566u);
  EXPECT_EQ(ev.qty, 4926u);
  EXPECT_EQ(ev.price, 224800);
  EXPECT_EQ(ev.flags & evflag::kPrintable, 0);
  auto m2 = hex("43 25 25 00 02 1f 1a cf 4e 25 11 00 00 00 00 02 08 68 e8 00 00 00 64 00 00 00 00 00 03 e8 38 59 00 43 51 34");
  MarketEvent ev2 = decode_ok(m2);
  EXPECT_EQ(ev2.instrument, 9509u);
  EXPECT_EQ(ev2.ts_exch, 34200007615761);
  EXPECT_EQ(ev2.order_id, 34105576u);
  EXPECT_EQ(ev2.qty, 100u);
  EXPECT_EQ(ev2.price, 4411700);
  EXPECT_EQ(ev2.flags & evflag::kPrintable, evflag::kPrintable);
}

// 20230822_OrderCancel.pcap packet 0: 58 | 24c5 | 0000 | 1f1acefe785d | 00000000 02041a00 | 00000064
TEST(ItchDecode, OrderCancel) {
  auto m = hex("58 24 c5 00 00 1f 1a ce fe 78 5d 00 00 00 00 02 04 1a 00 00 00 00 64");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Cancel);
  EXPECT_EQ(ev.instrument, 9413u);
  EXPECT_EQ(ev.ts_exch, 34200002394205);
  EXPECT_EQ(ev.order_id, 33823232u);
  EXPECT_EQ(ev.qty, 100u);
}

// 20230822_OrderDelete.pcap packet 0: 44 | 0d19 | 0000 | 1f1aced840ed | 0000000001 65b51a
TEST(ItchDecode, OrderDelete) {
  auto m = hex("44 0d 19 00 00 1f 1a ce d8 40 ed 00 00 00 00 01 65 b5 1a");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Delete);
  EXPECT_EQ(ev.instrument, 3353u);
  EXPECT_EQ(ev.ts_exch, 34199999889645);
  EXPECT_EQ(ev.order_id, 23442714u);
}

// 20230822_OrderReplace.pcap packet 0 (also OrderReplaceMessage.pcap):
// 55 | 1db3 | 0000 | 1f1aced771e9 | 0000000000e6897f | 000000000145f2c7 | 00000064 | 001036c8
TEST(ItchDecode, OrderReplace) {
  auto m = hex("55 1d b3 00 00 1f 1a ce d7 71 e9 00 00 00 00 00 e6 89 7f 00 00 00 00 01 45 f2 c7 00 00 00 64 00 10 36 c8");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Replace);
  EXPECT_EQ(ev.instrument, 7603u);
  EXPECT_EQ(ev.ts_exch, 34199999836649);
  EXPECT_EQ(ev.order_id, 15108479u);
  EXPECT_EQ(ev.new_order_id, 21361351u);
  EXPECT_EQ(ev.qty, 100u);
  EXPECT_EQ(ev.price, 1062600);
  EXPECT_EQ(ev.side, Side::None);
}

// 20230822_NonCrossTrade.pcap packet 0:
// 50 | 1193 | 0002 | 1f1acee462a9 | 0000000000000000 | 42 | 00000064 | "GOOGL   " | 001399f8 | 000000000003e642
TEST(ItchDecode, Trade) {
  auto m = hex("50 11 93 00 02 1f 1a ce e4 62 a9 00 00 00 00 00 00 00 00 42 00 00 00 64 47 4f 4f 47 4c 20 20 20 00 13 99 f8 00 00 00 00 00 03 e6 42");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Trade);
  EXPECT_EQ(ev.instrument, 4499u);
  EXPECT_EQ(ev.ts_exch, 34200000684713);
  EXPECT_EQ(ev.order_id, 0u);
  EXPECT_EQ(ev.side, Side::Buy);
  EXPECT_EQ(ev.qty, 100u);
  EXPECT_EQ(ev.price, 1284600);
  EXPECT_EQ(ev.flags & evflag::kCross, 0);
  const auto v = view_of<TradeView>(m.data());
  EXPECT_EQ(trim_alpha(v.stock()), "GOOGL");
  EXPECT_EQ(v.match_number(), 255554u);
}

// 20230822_CrossTrade.pcap packet 2:
// 51 | 2027 | 0002 | 1f1acee5dc87 | 00000000000015c9 | "PTGX    " | 0002fc10 | 000000000003e649 | 4f
TEST(ItchDecode, CrossTrade) {
  auto m = hex("51 20 27 00 02 1f 1a ce e5 dc 87 00 00 00 00 00 00 15 c9 50 54 47 58 20 20 20 20 00 02 fc 10 00 00 00 00 00 03 e6 49 4f");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Trade);
  EXPECT_EQ(ev.instrument, 8231u);
  EXPECT_EQ(ev.ts_exch, 34200000781447);
  EXPECT_EQ(ev.qty, 5577u);
  EXPECT_EQ(ev.price, 195600);
  EXPECT_EQ(ev.flags & evflag::kCross, evflag::kCross);
  EXPECT_EQ(ev.aux, 'O');  // opening cross
  const auto v = view_of<CrossTradeView>(m.data());
  EXPECT_EQ(v.match_number(), 255561u);
  EXPECT_EQ(trim_alpha(v.stock()), "PTGX");
}

// 20230822_StockTradingAction.pcap packets 0 and 2; StockTradingActionMessage.pcap:
// 48 | 2c3d | 0000 | 1f1e7036e465 | "ZXZZT   " | 50 | 20 | "LUDP"
// 48 | 06ab | 0000 | 1f1f9aa75bb6 | "CAML    " | 48 | 20 | "    "
// 48 | 01d0 | 0000 | 1f9df77c9e20 | "AMC     " | 54 | 20 | "    "
TEST(ItchDecode, StockTradingAction) {
  auto m = hex("48 2c 3d 00 00 1f 1e 70 36 e4 65 5a 58 5a 5a 54 20 20 20 50 20 4c 55 44 50");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Status);
  EXPECT_EQ(ev.instrument, 11325u);
  EXPECT_EQ(ev.ts_exch, 34215592125541);
  EXPECT_EQ(ev.aux, static_cast<std::uint8_t>(TradingState::Paused));
  EXPECT_EQ(view_of<StockTradingActionView>(m.data()).reason(), "LUDP");
  auto m2 = hex("48 06 ab 00 00 1f 1f 9a a7 5b b6 43 41 4d 4c 20 20 20 20 48 20 20 20 20 20");
  MarketEvent ev2 = decode_ok(m2);
  EXPECT_EQ(ev2.instrument, 1707u);
  EXPECT_EQ(ev2.ts_exch, 34220599106486);
  EXPECT_EQ(ev2.aux, static_cast<std::uint8_t>(TradingState::Halted));
  auto m3 = hex("48 01 d0 00 00 1f 9d f7 7c 9e 20 41 4d 43 20 20 20 20 20 54 20 20 20 20 20");
  MarketEvent ev3 = decode_ok(m3);
  EXPECT_EQ(ev3.instrument, 464u);
  EXPECT_EQ(ev3.ts_exch, 34763322465824);
  EXPECT_EQ(ev3.aux, static_cast<std::uint8_t>(TradingState::Trading));
}

// 20230822_SystemEvent.pcap: 53 | 0000 | 0000 | 1f1acedb02f0 | 51 ('Q' start of market hours)
TEST(ItchDecode, SystemEvent) {
  auto m = hex("53 00 00 00 00 1f 1a ce db 02 f0 51");
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::System);
  EXPECT_EQ(ev.instrument, 0u);
  EXPECT_EQ(ev.ts_exch, 34200000070384);  // 09:30:00.000070384
  EXPECT_EQ(ev.aux, 'Q');
}

// Messages without events: fields read through the views.
// LULDAuctionCollar pkt0: 4a | 2c3d | 0000 | 1f1e703b4f95 | "ZXZZT   " | 00020918 | 00022344 | 0001aa90 | 00000000
// MarketParticipantPosition pkt0: 4c | 0e40 | 0000 | 1f208142f846 | "MAXM" | "FDLS    " | 59 | 4e | 41
// NOII pkt3: 49 | 193e | 0000 | 1f1acede0ab2 | paired 0000000000000001 | imbalance 0 | 'N' | "MDC     " | 00071610 x3 | 'O' | 'L'
// RegSHO pkt0: 59 | 24bd | 0000 | 1f1ad5cc18b7 | "SOPA    " | 31
TEST(ItchDecode, NoEventTypesViaViews) {
  auto j = hex("4a 2c 3d 00 00 1f 1e 70 3b 4f 95 5a 58 5a 5a 54 20 20 20 00 02 09 18 00 02 23 44 00 01 aa 90 00 00 00 00");
  decode_ok(j, false);
  const auto jv = view_of<LuldCollarView>(j.data());
  EXPECT_EQ(jv.stock_locate(), 11325);
  EXPECT_EQ(trim_alpha(jv.stock()), "ZXZZT");
  EXPECT_EQ(jv.reference_price(), 133400u);
  EXPECT_EQ(jv.upper_price(), 140100u);
  EXPECT_EQ(jv.lower_price(), 109200u);
  EXPECT_EQ(jv.extension(), 0u);

  auto l = hex("4c 0e 40 00 00 1f 20 81 42 f8 46 4d 41 58 4d 46 44 4c 53 20 20 20 20 59 4e 41");
  decode_ok(l, false);
  const auto lv = view_of<ParticipantPositionView>(l.data());
  EXPECT_EQ(lv.stock_locate(), 3648);
  EXPECT_EQ(lv.mpid(), "MAXM");
  EXPECT_EQ(trim_alpha(lv.stock()), "FDLS");
  EXPECT_EQ(lv.primary_market_maker(), 'Y');
  EXPECT_EQ(lv.market_maker_mode(), 'N');
  EXPECT_EQ(lv.participant_state(), 'A');

  auto i = hex("49 19 3e 00 00 1f 1a ce de 0a b2 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 4e 4d 44 43 20 20 20 20 20 00 07 16 10 00 07 16 10 00 07 16 10 4f 4c");
  decode_ok(i, false);
  const auto iv = view_of<NoiiView>(i.data());
  EXPECT_EQ(iv.stock_locate(), 6462);
  EXPECT_EQ(iv.paired_shares(), 1u);  // bytes 11..18: 00 00 00 00 00 00 00 01
  EXPECT_EQ(iv.imbalance_shares(), 0u);
  EXPECT_EQ(iv.imbalance_direction(), 'N');
  EXPECT_EQ(trim_alpha(iv.stock()), "MDC");
  EXPECT_EQ(iv.far_price(), 464400u);
  EXPECT_EQ(iv.near_price(), 464400u);
  EXPECT_EQ(iv.current_reference_price(), 464400u);
  EXPECT_EQ(iv.cross_type(), 'O');
  EXPECT_EQ(iv.price_variation_indicator(), 'L');

  auto y = hex("59 24 bd 00 00 1f 1a d5 cc 18 b7 53 4f 50 41 20 20 20 20 31");
  decode_ok(y, false);
  EXPECT_EQ(view_of<RegShoView>(y.data()).stock_locate(), 9405);
  EXPECT_EQ(view_of<RegShoView>(y.data()).reg_sho_action(), '1');
}

// Stock Directory: no OMI capture has one, so this message is built by hand from the spec's
// layout: R | locate 0x0102 | tracking 0 | ts 0x000000000001 | "AAPL    " | 'Q' | 'N' |
// round lot 100 | 'N' | 'C' | "Z " | 'P' | 'N' | 'N' | '1' | 'N' | 0 | 'N'
TEST(ItchDecode, StockDirectory) {
  auto m = hex("52 01 02 00 00 00 00 00 00 00 01 41 41 50 4c 20 20 20 20 51 4e 00 00 00 64 4e 43 5a 20 50 4e 4e 31 4e 00 00 00 00 4e");
  ASSERT_EQ(m.size(), 39u);
  MarketEvent ev = decode_ok(m);
  EXPECT_EQ(ev.kind, EventKind::Directory);
  EXPECT_EQ(ev.instrument, 258u);
  EXPECT_EQ(ev.qty, 100u);
  EXPECT_EQ(ev.ts_exch, 1);
  const auto v = view_of<StockDirectoryView>(m.data());
  EXPECT_EQ(trim_alpha(v.stock()), "AAPL");
  EXPECT_EQ(v.market_category(), 'Q');
  EXPECT_EQ(v.financial_status(), 'N');
  EXPECT_EQ(v.issue_classification(), 'C');
  EXPECT_EQ(v.authenticity(), 'P');
  EXPECT_EQ(v.etp_flag(), 'N');
  EXPECT_EQ(v.inverse_indicator(), 'N');
}

TEST(ItchDecode, Errors) {
  MarketEvent ev{};
  auto a = hex("41 15 98 00 00 1f 1a ce d8 53 06 00 00 00 00 01 66 b5 3e 42 00 00 06 40 49 56 4f 4f 20 20 20 20 00 0d 55 ac");
  EXPECT_EQ(decode_message(a.data(), 0, ev).status, DecodeStatus::Truncated);
  for (std::size_t n = 1; n < a.size(); ++n)
    EXPECT_EQ(decode_message(a.data(), n, ev).status, DecodeStatus::Truncated) << n;
  a.push_back(0);
  EXPECT_EQ(decode_message(a.data(), a.size(), ev).status, DecodeStatus::BadLength);
  a[0] = 'Z';
  EXPECT_EQ(decode_message(a.data(), a.size(), ev).status, DecodeStatus::UnknownType);
  a[0] = 0;
  EXPECT_EQ(decode_message(a.data(), 1, ev).status, DecodeStatus::UnknownType);
}

// Thousands of random and mutated messages: no crash (ASan build checks reads), and the
// counters add up: messages in = valid per type + each error.
TEST(ItchDecode, RandomInputCountersAddUp) {
  std::mt19937_64 rng(12345);
  Decoder dec;
  std::vector<std::uint8_t> buf;
  std::uint64_t expect_ok = 0, expect_trunc = 0, expect_unknown = 0, expect_bad = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    const std::size_t len = rng() % 64;
    buf.assign(len, 0);
    for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
    if (len > 0 && (iter % 2) == 0) buf[0] = static_cast<std::uint8_t>(kAllTypes[rng() % kAllTypes.size()]);
    if (len > 0 && (iter % 4) == 0) {  // exact-length message of a known type
      const auto t = kAllTypes[rng() % kAllTypes.size()];
      buf.resize(message_length(static_cast<std::uint8_t>(t)));
      buf[0] = static_cast<std::uint8_t>(t);
    }
    // Independent classification from the length table in the spec test above.
    const std::size_t need = buf.empty() ? 0 : message_length(buf[0]);
    if (buf.empty()) ++expect_trunc;
    else if (need == 0) ++expect_unknown;
    else if (buf.size() < need) ++expect_trunc;
    else if (buf.size() > need) ++expect_bad;
    else ++expect_ok;
    // Copy to an exact-size heap block so ASan sees any read past the end.
    std::vector<std::uint8_t> exact(buf);
    MarketEvent ev{};
    dec.decode(exact.data(), exact.size(), ev);
  }
  const DecoderCounters& c = dec.counters();
  EXPECT_EQ(c.messages_in, 200000u);
  EXPECT_EQ(c.decoded() + c.truncated + c.unknown_type + c.bad_length, c.messages_in);
  EXPECT_EQ(c.decoded(), expect_ok);
  EXPECT_EQ(c.truncated, expect_trunc);
  EXPECT_EQ(c.unknown_type, expect_unknown);
  EXPECT_EQ(c.bad_length, expect_bad);
  EXPECT_GT(expect_ok, 10000u);
}

}  // namespace
}  // namespace hft::itch
