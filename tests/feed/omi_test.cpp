// The OMI ITCH 5.0 captures (HFT_SHARED_DATA/omi-itch50-pcap, see its PROVENANCE.md) through
// the whole wire path. Expected values were read from the bytes by hand (xxd + the ITCH 5.0
// and MoldUDP64 layouts); PROVENANCE.md gives the file-level facts.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "drain_util.hpp"
#include "hft/feed/pcap_source.hpp"

namespace hft::feed {
namespace {

const std::string kDir = std::string(HFT_SHARED_DATA) + "/omi-itch50-pcap/";

using drain_util::count;
using drain_util::Drained;
using drain_util::error;

Drained drain(const std::string& file, std::size_t span = kMaxBatch) {
  auto src = open_pcap_source(kDir + file, FeedOptions{});
  return drain_util::drain(*src, span);
}

struct FileFact {
  const char* file;
  char type;
  int messages;
  int events;
};
// Message types and counts per file, from the xxd dumps (PROVENANCE.md: the 20230822 files
// hold 5 packets of one type each, 1 for 'S'; the older single-message files one each).
const FileFact kFacts[] = {
    {"20230822_AddOrderNoMPID.pcap", 'A', 5, 5},
    {"20230822_AddOrderWithMPID.pcap", 'F', 5, 5},
    {"20230822_CrossTrade.pcap", 'Q', 5, 5},
    {"20230822_LULDAuctionCollar.pcap", 'J', 5, 0},
    {"20230822_MarketParticipantPosition.pcap", 'L', 5, 0},
    {"20230822_NetOrderImbalanceIndicator.pcap", 'I', 5, 0},
    {"20230822_NonCrossTrade.pcap", 'P', 5, 5},
    {"20230822_OrderCancel.pcap", 'X', 5, 5},
    {"20230822_OrderDelete.pcap", 'D', 5, 5},
    {"20230822_OrderExecuted.pcap", 'E', 5, 5},
    {"20230822_OrderExecutedWithPrice.pcap", 'C', 5, 5},
    {"20230822_OrderReplace.pcap", 'U', 5, 5},
    {"20230822_RegSHORestriction.pcap", 'Y', 5, 0},
    {"20230822_StockTradingAction.pcap", 'H', 5, 5},
    {"20230822_SystemEvent.pcap", 'S', 1, 1},
    {"AddOrderNoMpidAttributionMessage.pcap", 'A', 1, 1},
    {"MarketParticipantPositionMessage.pcap", 'L', 1, 0},
    {"NetOrderImbalanceIndicatorMessage.pcap", 'I', 1, 0},
    {"OrderDeleteMessage.pcap", 'D', 1, 1},
    {"OrderExecutedMessage.pcap", 'E', 1, 1},
    {"OrderReplaceMessage.pcap", 'U', 1, 1},
    {"StockTradingActionMessage.pcap", 'H', 1, 1},
};

TEST(Omi, EveryMessageDecodesWithoutErrors) {
  for (const FileFact& f : kFacts) {
    SCOPED_TRACE(f.file);
    const Drained d = drain(f.file);
    EXPECT_TRUE(d.stats.errors.empty()) << d.stats.errors.begin()->first;
    EXPECT_EQ(count(d.stats, std::string("itch.") + f.type), static_cast<std::uint64_t>(f.messages));
    EXPECT_EQ(count(d.stats, "itch.messages"), static_cast<std::uint64_t>(f.messages));
    EXPECT_EQ(count(d.stats, "pcap.frames"), static_cast<std::uint64_t>(f.messages));
    EXPECT_EQ(d.events.size(), static_cast<std::size_t>(f.events));
    EXPECT_EQ(d.stats.events, static_cast<std::uint64_t>(f.events));
    for (const MarketEvent& e : d.events) {
      EXPECT_TRUE(e.flags & evflag::kLast);  // one message per packet
      EXPECT_FALSE(e.flags & evflag::kStale);
    }
  }
}

TEST(Omi, AllFilesCovered) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(kDir)) n += e.path().extension() == ".pcap";
  EXPECT_EQ(n, static_cast<int>(std::size(kFacts)) + 1);  // + Multiple.Packets.pcap
}

// 20230822 captures have session and sequence zeroed: delivered as unsequenced packets.
// Packet 0 of 20230822_AddOrderNoMPID.pcap: pcap header ts 58b8e464 d6e60000 (LE) =
// 1692711000 s + 59094 ns; message 41 1598 0000 1f1aced85306 000000000166b53e 42 00000640
// "IVOO    " 000d55ac.
TEST(Omi, AddOrderFieldsThroughThePipeline) {
  const Drained d = drain("20230822_AddOrderNoMPID.pcap");
  ASSERT_EQ(d.events.size(), 5u);
  const MarketEvent& e = d.events[0];
  EXPECT_EQ(e.kind, EventKind::Add);
  EXPECT_EQ(e.ts_recv, 1692711000000059094);
  EXPECT_EQ(e.ts_exch, 34199999894278);
  EXPECT_EQ(e.instrument, 5528u);
  EXPECT_EQ(e.order_id, 23508286u);
  EXPECT_EQ(e.side, Side::Buy);
  EXPECT_EQ(e.qty, 1600u);
  EXPECT_EQ(e.price, 873900);
  EXPECT_EQ(count(d.stats, "mold.unsequenced_packets"), 5u);
  // Packet 4: 41 2617 0000 1f1acedb3bdf 0000000002086214 53 000000c8 "T       " 000227f4
  const MarketEvent& e4 = d.events[4];
  EXPECT_EQ(e4.instrument, 0x2617u);
  EXPECT_EQ(e4.order_id, 0x02086214u);
  EXPECT_EQ(e4.side, Side::Sell);
  EXPECT_EQ(e4.qty, 200u);
  EXPECT_EQ(e4.price, 0x0227f4);
}

// Multiple.Packets.pcap (bytes checked with xxd):
// packet 0: session "000010059B", sequence 00e149d0 = 14764496, count 1:
//   44 0ab1 0000 1f1acf4c4eb7 0000000001665d6a (Delete 23485802, locate 2737)
// packet 1: sequence 01220e5d = 19009117, count 0x26 = 38: 36 'A' and 2 'F' (message 8 and 13).
//   message 0: 41 1972 0000 1f23e0981ae1 0000000000792f9f 42 00000001 "META    " 000c4950
//   message 8: 46 ... 000000000094d0a7 42 00000005 "META    " 000c394c "UBSS"
//   message 37: 41 ... 0000000000514207 53 00000001 "META    " 0036a060
// PROVENANCE.md says "39 messages: 1 D, then 37 A and 2 F"; the bytes hold 39 messages of
// which 36 are 'A' (1 + 36 + 2 = 39), so 36 is what we check.
TEST(Omi, MultiplePackets) {
  const Drained d = drain("Multiple.Packets.pcap");
  ASSERT_EQ(d.events.size(), 39u);
  EXPECT_EQ(count(d.stats, "itch.messages"), 39u);
  EXPECT_EQ(count(d.stats, "itch.D"), 1u);
  EXPECT_EQ(count(d.stats, "itch.A"), 36u);
  EXPECT_EQ(count(d.stats, "itch.F"), 2u);
  EXPECT_EQ(count(d.stats, "mold.packets"), 2u);
  // Between the packets 19009117 - (14764496 + 1) messages are missing: a gap.
  EXPECT_EQ(error(d.stats, "mold.gaps"), 1u);
  EXPECT_EQ(error(d.stats, "mold.gap_msgs"), 19009117u - 14764497u);
  EXPECT_EQ(error(d.stats, "itch.truncated") + error(d.stats, "itch.unknown_type") + error(d.stats, "itch.bad_length"),
            0u);

  const MarketEvent& del = d.events[0];
  EXPECT_EQ(del.kind, EventKind::Delete);
  EXPECT_EQ(del.order_id, 23485802u);
  EXPECT_EQ(del.instrument, 2737u);
  EXPECT_EQ(del.ts_exch, 34200007495351);
  EXPECT_EQ(del.ts_recv, 1692711000007661955);  // pcap header 1692711000 s, 0x0074e983 ns
  EXPECT_EQ(del.flags, evflag::kLast);

  const MarketEvent& a0 = d.events[1];
  EXPECT_EQ(a0.kind, EventKind::Add);
  EXPECT_EQ(a0.instrument, 6514u);
  EXPECT_EQ(a0.ts_exch, 34238952381153);
  EXPECT_EQ(a0.ts_recv, 1692711038952561782);
  EXPECT_EQ(a0.order_id, 7942047u);
  EXPECT_EQ(a0.side, Side::Buy);
  EXPECT_EQ(a0.qty, 1u);
  EXPECT_EQ(a0.price, 805200);
  EXPECT_EQ(a0.flags, evflag::kStale);  // after the gap, not last

  const MarketEvent& f8 = d.events[9];
  EXPECT_EQ(f8.kind, EventKind::Add);
  EXPECT_EQ(f8.order_id, 9752743u);
  EXPECT_EQ(f8.qty, 5u);
  EXPECT_EQ(f8.price, 801100);

  const MarketEvent& last = d.events[38];
  EXPECT_EQ(last.order_id, 5325319u);
  EXPECT_EQ(last.side, Side::Sell);
  EXPECT_EQ(last.price, 3580000);
  EXPECT_EQ(last.flags, evflag::kLast | evflag::kStale);
  for (std::size_t i = 2; i < 38; ++i) EXPECT_FALSE(d.events[i].flags & evflag::kLast) << i;

  // Same events whatever the caller's span size (the cursor carries over between calls).
  for (std::size_t span : {1u, 2u, 7u, 38u}) {
    const Drained s = drain("Multiple.Packets.pcap", span);
    ASSERT_EQ(s.events.size(), 39u) << span;
    for (std::size_t i = 0; i < 39; ++i) {
      EXPECT_EQ(s.events[i].order_id, d.events[i].order_id) << span << " " << i;
      EXPECT_EQ(s.events[i].flags, d.events[i].flags) << span << " " << i;
    }
  }
}

TEST(Omi, FilterByPort) {
  FeedOptions o;
  o.dst_port = 26477;
  o.dst_addr = "233.54.12.111";
  auto src = open_pcap_source(kDir + "Multiple.Packets.pcap", o);
  std::vector<MarketEvent> buf(kMaxBatch);
  std::size_t total = 0;
  while (std::size_t n = src->next(buf)) total += n;
  EXPECT_EQ(total, 39u);
  o.dst_port = 1;
  auto src2 = open_pcap_source(kDir + "Multiple.Packets.pcap", o);
  EXPECT_EQ(src2->next(buf), 0u);
  EXPECT_EQ(src2->stats().counts.at("pcap.filtered_out"), 2u);
}

// No directory messages in these captures: locates get placeholder entries named from the
// stock field of the add orders ("IVOO    " at locate 0x1598 in packet 0, "RETL    " at 0x216a
// in packet 1, "XLF     " at 0x2b68 in packets 2 and 3, "T       " at 0x2617 in packet 4).
TEST(Omi, PlaceholderInstruments) {
  auto src = open_pcap_source(kDir + "20230822_AddOrderNoMPID.pcap", FeedOptions{});
  std::vector<MarketEvent> buf(kMaxBatch);
  while (src->next(buf) != 0) {
  }
  const auto& ins = src->instruments();
  ASSERT_EQ(ins.size(), 4u);
  EXPECT_EQ(ins[0].id, 5528u);
  EXPECT_EQ(ins[0].symbol, "IVOO");
  EXPECT_EQ(ins[1].id, 0x216au);
  EXPECT_EQ(ins[1].symbol, "RETL");
  EXPECT_EQ(ins[2].id, 0x2b68u);
  EXPECT_EQ(ins[2].symbol, "XLF");
  EXPECT_EQ(ins[3].id, 0x2617u);
  EXPECT_EQ(ins[3].symbol, "T");
}

TEST(Omi, MissingFileThrows) {
  EXPECT_THROW(open_pcap_source(kDir + "no-such-file.pcap", FeedOptions{}), std::runtime_error);
}

}  // namespace
}  // namespace hft::feed
