// NASDAQ binary ITCH files (itch:FILE, itch:FILE.gz): the OMI captures copied into ITCH files
// (what `hftd convert --out FILE.itch` does with a pcap) read back as the same events, counters
// and books as the pcap path; and bad input, fuzz-style: every cut point of a plain and of a
// gzip file, lengths past the end, zero lengths, garbage gzip. Never a crash, always a reason.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../common/read_bytes.hpp"
#include "hft/book/order_book.hpp"
#include "hft/feed/itch_file.hpp"
#include "hft/feed/itch_file_source.hpp"
#include "hft/feed/pcap_source.hpp"
#include "hft/feed/pcap_to_itch.hpp"
#include "drain_util.hpp"
#include "wire_util.hpp"

namespace hft::feed {
namespace itch_file_test {  // named: the module's tests are compiled as one unit

using wire_test::Bytes;
const std::string kOmi = std::string(HFT_SHARED_DATA) + "/omi-itch50-pcap/";

using drain_util::count;
using drain_util::drain;
using drain_util::Drained;
using drain_util::error;

// The source's one stderr line about a damaged file is expected here: kept out of the log.
Drained drain_itch(const std::string& path, std::size_t span = kMaxBatch) {
  ::testing::internal::CaptureStderr();
  auto src = open_itch_file_source(path, FeedOptions{});
  Drained d = drain(*src, span);
  const std::string err = ::testing::internal::GetCapturedStderr();
  bool file_error = false;  // the framing or gzip stream broke (not a bad ITCH message)
  for (const auto& [k, v] : d.stats.errors) file_error |= k.rfind("itchfile.", 0) == 0;
  EXPECT_EQ(!err.empty(), file_error) << err;
  EXPECT_LE(std::count(err.begin(), err.end(), '\n'), 1);
  return d;
}
// The OMI capture Multiple.Packets (39 messages) as a plain ITCH file: the cut-point tests' input.
void write_multiple_packets_itch(const std::string& path) {
  ItchFileWriter w(path);
  copy_pcap_to_itch(kOmi + "Multiple.Packets.pcap", FeedOptions{}, w);
  w.close();
}
std::uint64_t total_errors(const SourceStats& s) {
  std::uint64_t n = 0;
  for (const auto& [k, v] : s.errors) n += v;
  return n;
}

// Events equal but for what only a wire capture has: the receive time, packet boundaries
// (kLast) and sequence numbers (kStale: Multiple.Packets starts at sequence 14764496, a gap
// from 1 for the pcap path; an ITCH file has no sequence to find a gap in).
void expect_same_event(const MarketEvent& a, const MarketEvent& b) {
  EXPECT_EQ(a.ts_exch, b.ts_exch);
  EXPECT_EQ(a.order_id, b.order_id);
  EXPECT_EQ(a.new_order_id, b.new_order_id);
  EXPECT_EQ(a.price, b.price);
  EXPECT_EQ(a.qty, b.qty);
  EXPECT_EQ(a.instrument, b.instrument);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.side, b.side);
  EXPECT_EQ(a.aux, b.aux);
  constexpr int kWireOnly = evflag::kLast | evflag::kStale;
  EXPECT_EQ(a.flags & ~kWireOnly, b.flags & ~kWireOnly);
}

void write_bytes(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
Bytes gzip(const Bytes& in) {
  const std::string path = wire_test::tmp_path("gzip_tmp.gz");
  gzFile g = gzopen(path.c_str(), "wb6");
  gzwrite(g, in.data(), static_cast<unsigned>(in.size()));
  gzclose(g);
  return hft::testing::read_bytes(path);
}
Bytes framed(const std::vector<Bytes>& msgs) {
  Bytes b;
  for (const Bytes& m : msgs) {
    wire_test::put16(b, static_cast<std::uint16_t>(m.size()));
    b.insert(b.end(), m.begin(), m.end());
  }
  return b;
}

std::vector<std::string> omi_files() {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(kOmi))
    if (e.path().extension() == ".pcap") v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

void apply_all(book::Books& b, const std::vector<MarketEvent>& evs) {
  for (const MarketEvent& e : evs) b.apply(e);
}

TEST(ItchFile, OmiCapturesReadBackAsThePcapPath) {
  const auto files = omi_files();
  ASSERT_EQ(files.size(), 23u);  // PROVENANCE.md: 15 + 7 + Multiple.Packets
  std::uint64_t messages = 0;
  for (const std::string& f : files) {
    for (const char* ext : {".itch", ".itch.gz"}) {
      SCOPED_TRACE(f + ext);
      const std::string out = wire_test::tmp_path("omi_" + f + ext);
      {
        ItchFileWriter w(out);
        copy_pcap_to_itch(kOmi + f, FeedOptions{}, w);
        w.close();
      }
      auto pcap = open_pcap_source(kOmi + f, FeedOptions{});
      const Drained a = drain(*pcap);
      for (std::size_t span : {kMaxBatch, std::size_t{1}, std::size_t{3}}) {
        const Drained b = drain_itch(out, span);
        ASSERT_EQ(a.events.size(), b.events.size());
        for (std::size_t i = 0; i < a.events.size(); ++i) expect_same_event(a.events[i], b.events[i]);
        // The same decoder counters, message type by message type, and no errors on either.
        for (const auto& [k, v] : a.stats.counts)
          if (k.rfind("itch.", 0) == 0) {
            EXPECT_EQ(count(b.stats, k), v) << k;
          }
        for (const auto& [k, v] : b.stats.counts)
          if (k.rfind("itch.", 0) == 0) {
            EXPECT_EQ(count(a.stats, k), v) << k;
          }
        EXPECT_TRUE(b.stats.errors.empty());
        EXPECT_EQ(count(b.stats, "itchfile.frames"), count(a.stats, "itch.messages"));
        // ITCH files carry no receive time: the exchange time stands in; the last event ends a group.
        for (const MarketEvent& e : b.events) EXPECT_EQ(e.ts_recv, e.ts_exch);
        ASSERT_FALSE(b.events.empty() && !a.events.empty());
        if (!b.events.empty()) {
          EXPECT_TRUE(b.events.back().flags & evflag::kLast);
        }
      }
      messages += count(a.stats, "itch.messages");
      const Drained b = drain_itch(out);
      // Same instruments, and the same books after every event.
      auto pcap2 = open_pcap_source(kOmi + f, FeedOptions{});
      drain(*pcap2);
      auto itch2 = open_itch_file_source(out, FeedOptions{});
      drain(*itch2);
      ASSERT_EQ(pcap2->instruments().size(), itch2->instruments().size());
      for (std::size_t i = 0; i < pcap2->instruments().size(); ++i) {
        EXPECT_EQ(pcap2->instruments()[i].id, itch2->instruments()[i].id);
        EXPECT_EQ(pcap2->instruments()[i].symbol, itch2->instruments()[i].symbol);
      }
      book::Books ba, bb;
      for (std::size_t i = 0; i < a.events.size(); ++i) {
        ba.apply(a.events[i]);
        bb.apply(b.events[i]);
        const InstrumentId id = a.events[i].instrument;
        for (Side s : {Side::Buy, Side::Sell}) {
          ASSERT_EQ(ba.depth(id, s), bb.depth(id, s));
          for (std::size_t l = 0; l < ba.depth(id, s); ++l) {
            book::LevelView x, y;
            ASSERT_TRUE(ba.level(id, s, l, x) && bb.level(id, s, l, y));
            EXPECT_EQ(x.price, y.price);
            EXPECT_EQ(x.qty, y.qty);
          }
        }
      }
      EXPECT_EQ(ba.live_orders(), bb.live_orders());
    }
  }
  EXPECT_GT(messages, 100u);
}

TEST(ItchFile, GroupsAreRunsOfOneTimestamp) {
  const std::string path = wire_test::tmp_path("groups.itch");
  write_bytes(path, framed({wire_test::itch_add(1, 100, 1, 'B', 10, 1000),
                            wire_test::itch_add(1, 100, 2, 'B', 10, 1000),
                            wire_test::itch_add(1, 200, 3, 'S', 10, 1100),
                            wire_test::itch_delete(1, 300, 1), wire_test::itch_delete(1, 300, 2)}));
  for (std::size_t span : {kMaxBatch, std::size_t{1}, std::size_t{2}}) {
    const Drained d = drain_itch(path, span);
    ASSERT_EQ(d.events.size(), 5u);
    const bool last[] = {false, true, true, false, true};
    for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ((d.events[i].flags & evflag::kLast) != 0, last[i]) << i;
  }
}

// Every message of a small file, then every prefix of it: the whole messages of the prefix come
// out, the cut one is counted as running past the end, nothing else.
TEST(ItchFileBad, TruncatedAtEveryCutPoint) {
  const std::string full_path = wire_test::tmp_path("cut_full.itch");
  write_multiple_packets_itch(full_path);
  const Bytes full = hft::testing::read_bytes(full_path);
  std::vector<std::size_t> ends;  // byte offset after each message
  for (std::size_t p = 0; p + 2 <= full.size();) {
    p += 2 + ((std::size_t{full[p]} << 8) | full[p + 1]);
    ends.push_back(p);
  }
  ASSERT_EQ(ends.size(), 39u);
  ASSERT_EQ(ends.back(), full.size());
  const Drained whole = drain_itch(full_path);
  const std::string path = wire_test::tmp_path("cut.itch");
  for (std::size_t cut = 0; cut <= full.size(); ++cut) {
    SCOPED_TRACE(cut);
    write_bytes(path, Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut)));
    const Drained d = drain_itch(path);
    const std::size_t whole_msgs = static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), cut) - ends.begin());
    const bool on_boundary = cut == 0 || std::binary_search(ends.begin(), ends.end(), cut);
    EXPECT_EQ(count(d.stats, "itchfile.frames"), whole_msgs);
    EXPECT_EQ(error(d.stats, "itchfile.length_past_end"), on_boundary ? 0u : 1u);
    EXPECT_EQ(total_errors(d.stats), on_boundary ? 0u : 1u);
    ASSERT_LE(d.events.size(), whole.events.size());
    for (std::size_t i = 0; i < d.events.size(); ++i) expect_same_event(d.events[i], whole.events[i]);
  }
}

// A gzip file cut anywhere: the messages inflated before the cut come out intact (a prefix of
// the whole file's), and exactly one reason says why the rest is missing.
TEST(ItchFileBad, GzipTruncatedAtEveryCutPoint) {
  const std::string plain = wire_test::tmp_path("gzcut_full.itch");
  write_multiple_packets_itch(plain);
  const Drained whole = drain_itch(plain);
  const Bytes gz = gzip(hft::testing::read_bytes(plain));
  const std::string path = wire_test::tmp_path("gzcut.itch.gz");
  for (std::size_t cut = 0; cut <= gz.size(); ++cut) {
    SCOPED_TRACE(cut);
    write_bytes(path, Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(cut)));
    const Drained d = drain_itch(path);
    ASSERT_LE(d.events.size(), whole.events.size());
    for (std::size_t i = 0; i < d.events.size(); ++i) expect_same_event(d.events[i], whole.events[i]);
    if (cut == gz.size()) {
      EXPECT_EQ(d.events.size(), whole.events.size());
      EXPECT_TRUE(d.stats.errors.empty());
    } else if (cut > 0) {
      EXPECT_EQ(total_errors(d.stats), 1u);
      EXPECT_EQ(error(d.stats, "itchfile.gzip_truncated") + error(d.stats, "itchfile.not_gzip"), 1u);
    }
  }
}

TEST(ItchFileBad, LengthPastTheEnd) {
  const std::string path = wire_test::tmp_path("past.itch");
  Bytes b = framed({wire_test::itch_add(1, 100, 1, 'B', 10, 1000)});
  wire_test::put16(b, 0xFFFF);  // claims 65535 bytes, has 3
  b.insert(b.end(), {'A', 0, 1});
  write_bytes(path, b);
  const Drained d = drain_itch(path);
  EXPECT_EQ(d.events.size(), 1u);
  EXPECT_EQ(error(d.stats, "itchfile.length_past_end"), 1u);
  EXPECT_EQ(total_errors(d.stats), 1u);
  // A lone length byte at the end is the same case.
  b = framed({wire_test::itch_add(1, 100, 1, 'B', 10, 1000)});
  b.push_back(0);
  write_bytes(path, b);
  EXPECT_EQ(error(drain_itch(path).stats, "itchfile.length_past_end"), 1u);
}

TEST(ItchFileBad, ZeroLengthsAreTruncatedMessages) {
  const std::string path = wire_test::tmp_path("zero.itch");
  Bytes b(2 * 1000, 0);  // a thousand zero lengths
  const Bytes add = framed({wire_test::itch_add(1, 100, 1, 'B', 10, 1000)});
  b.insert(b.end(), add.begin(), add.end());
  write_bytes(path, b);
  const Drained d = drain_itch(path);
  EXPECT_EQ(d.events.size(), 1u);
  EXPECT_EQ(error(d.stats, "itch.truncated"), 1000u);
  EXPECT_EQ(count(d.stats, "itch.messages"), 1001u);
  EXPECT_EQ(count(d.stats, "itchfile.frames"), 1001u);
}

// Random bytes, plain and as a ".gz" (with and without a gzip header in front): the framing
// accounts for every frame (itch.messages == itchfile.frames), and a bad gzip stream stops the
// read with one reason.
TEST(ItchFileBad, GarbageFuzz) {
  std::mt19937_64 rng(17);
  const Bytes good_gz = gzip(framed({wire_test::itch_add(1, 100, 1, 'B', 10, 1000)}));
  const std::string plain = wire_test::tmp_path("fuzz.itch");
  const std::string gzp = wire_test::tmp_path("fuzz.itch.gz");
  for (int it = 0; it < 400; ++it) {
    SCOPED_TRACE(it);
    Bytes junk(rng() % 5000);
    for (auto& x : junk) x = static_cast<std::uint8_t>(rng());
    write_bytes(plain, junk);
    Drained d = drain_itch(plain);
    EXPECT_EQ(count(d.stats, "itch.messages"), count(d.stats, "itchfile.frames"));
    EXPECT_LE(error(d.stats, "itchfile.length_past_end"), 1u);

    Bytes g;
    switch (it % 3) {
      case 0: g = junk; break;  // no gzip header at all
      case 1: g = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}; g.insert(g.end(), junk.begin(), junk.end()); break;
      default:  // a good stream with bytes flipped after its header
        g = good_gz;
        for (std::size_t i = 10; i < g.size(); ++i)
          if (rng() % 4 == 0) g[i] = static_cast<std::uint8_t>(rng());
    }
    write_bytes(gzp, g);
    d = drain_itch(gzp);
    EXPECT_EQ(count(d.stats, "itch.messages"), count(d.stats, "itchfile.frames"));
    if (it % 3 != 2) {
      EXPECT_EQ(total_errors(d.stats) >= 1, true);
      EXPECT_EQ(error(d.stats, "itchfile.gzip_corrupt") + error(d.stats, "itchfile.gzip_truncated") +
                    error(d.stats, "itchfile.not_gzip"),
                1u);
    }
  }
}

TEST(ItchFileBad, MissingFileThrowsWithItsName) {
  try {
    open_itch_file_source("/nonexistent/x.itch.gz", FeedOptions{});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.itch.gz"), std::string::npos);
  }
}

TEST(ItchFile, WriterRoundTripLargerThanItsBuffers) {
  // More bytes than the writer's and the reader's buffers, plain and gzip.
  std::vector<Bytes> msgs;
  for (std::uint64_t i = 0; i < 100000; ++i) msgs.push_back(wire_test::itch_add(1, 1000 + i / 3, i + 1, 'B', 10, 1000));
  for (const char* ext : {".itch", ".itch.gz"}) {
    const std::string path = wire_test::tmp_path(std::string("big") + ext);
    {
      ItchFileWriter w(path);
      for (const Bytes& m : msgs) ASSERT_TRUE(w.append(m.data(), m.size()));
      w.close();
      EXPECT_EQ(w.stats().messages, msgs.size());
    }
    ItchFileReader r(path, 1 << 17);
    const std::uint8_t* p = nullptr;
    std::size_t len = 0, n = 0;
    while (r.next(p, len)) {
      ASSERT_LT(n, msgs.size());
      ASSERT_EQ(len, msgs[n].size());
      ASSERT_TRUE(std::equal(p, p + len, msgs[n].begin()));
      ++n;
    }
    EXPECT_EQ(n, msgs.size());
    EXPECT_EQ(r.error_reason(), "");
  }
}

}  // namespace itch_file_test
}  // namespace hft::feed
