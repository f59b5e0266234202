// Bad input: truncated files at every length, corrupted zstd, wrong magic, unsupported
// versions, impossible record lengths, unknown rtypes, random bytes. Each gives a clear
// std::runtime_error at open or a counted error; never a crash or a hang.
#include <gtest/gtest.h>
#include <zstd.h>

#include <random>
#include <stdexcept>

#include "dbn_test_util.hpp"

namespace hft::dbn {
namespace {
using namespace test;

// Plain v3 MBO fixture: 8-byte prelude + 352 metadata bytes, then two 56-byte records.
constexpr std::size_t kV3Meta = 360;
constexpr std::size_t kV3Full = 472;

struct Outcome {
  bool threw = false;
  std::string what;
  std::size_t events = 0;
  std::size_t records = 0;
  feed::SourceStats stats;
};

Outcome run(const std::string& path) {
  Outcome o;
  try {
    auto src = open_dbn_event_source(path);
    std::vector<MarketEvent> batch(feed::kMaxBatch);
    // Bounded: a file of N bytes holds at most N/16 records, so more calls than that is a hang.
    for (int guard = 0; guard < 1000000; ++guard) {
      const std::size_t n = src->next(batch);
      if (n == 0) break;
      o.events += n;
    }
    EXPECT_EQ(src->next(batch), 0u);  // stays at the end
    o.stats = src->stats();
    o.records = get(o.stats.counts, "dbn.records");
  } catch (const std::runtime_error& e) {
    o.threw = true;
    o.what = e.what();
  }
  return o;
}

std::vector<std::uint8_t> zstd_compress(std::span<const std::uint8_t> in) {
  std::vector<std::uint8_t> out(ZSTD_compressBound(in.size()));
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

TEST(DbnBadInput, MissingFileNamesPath) {
  try {
    open_dbn_source(tmp("no_such_file.dbn"), {});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_file.dbn"), std::string::npos) << e.what();
  }
}

TEST(DbnBadInput, TruncatedPlainAtEveryLength) {
  const auto full = hft::testing::read_bytes(fixture("test_data.mbo.v3.dbn"));
  ASSERT_EQ(full.size(), kV3Full);
  for (std::size_t len = 0; len <= full.size(); ++len) {
    SCOPED_TRACE(len);
    const std::string p = tmp("trunc_plain.dbn");
    spit(p, std::span(full).first(len));
    const Outcome o = run(p);
    if (len < kV3Meta) {
      EXPECT_TRUE(o.threw);
      EXPECT_NE(o.what.find("trunc_plain.dbn"), std::string::npos) << o.what;
      continue;
    }
    ASSERT_FALSE(o.threw) << o.what;
    const std::size_t whole = (len - kV3Meta) / 56;
    EXPECT_EQ(o.records, whole);
    EXPECT_EQ(o.events, whole);
    const bool partial = (len - kV3Meta) % 56 != 0;
    EXPECT_EQ(get(o.stats.errors, "dbn.truncated_record"), partial ? 1u : 0u);
    EXPECT_EQ(total(o.stats.errors), partial ? 1u : 0u);
  }
}

TEST(DbnBadInput, TruncatedZstdAtEveryLength) {
  const auto full = hft::testing::read_bytes(fixture("test_data.mbo.v3.dbn.zst"));
  for (std::size_t len = 0; len < full.size(); ++len) {
    SCOPED_TRACE(len);
    const std::string p = tmp("trunc.dbn.zst");
    spit(p, std::span(full).first(len));
    const Outcome o = run(p);
    // A cut zstd frame is never silently accepted: either open fails or an error is counted.
    if (!o.threw) {
      EXPECT_GT(get(o.stats.errors, "dbn.zstd_truncated"), 0u);
      EXPECT_LE(o.records, 2u);  // a cut in the frame's last bytes (checksum) loses no record
    }
  }
}

TEST(DbnBadInput, TruncatedLargeZstd) {
  const auto full = hft::testing::read_bytes(cme("esh4-glbx-mdp3-20231224.mbo.dbn.zst"));
  std::size_t last_records = 0;
  for (std::size_t len = 0; len < full.size(); len += 997) {
    SCOPED_TRACE(len);
    const std::string p = tmp("trunc_big.dbn.zst");
    spit(p, std::span(full).first(len));
    const Outcome o = run(p);
    if (o.threw) continue;
    EXPECT_GT(get(o.stats.errors, "dbn.zstd_truncated"), 0u);
    EXPECT_LT(o.records, 8725u);
    EXPECT_GE(o.records, last_records);  // a longer prefix never gives fewer records
    last_records = o.records;
  }
  EXPECT_GT(last_records, 7000u);
}

TEST(DbnBadInput, CorruptedZstd) {
  const auto full = hft::testing::read_bytes(cme("esh4-glbx-mdp3-20231224.mbo.dbn.zst"));
  // Overwrite a run of bytes in the middle: the block structure breaks.
  auto bad = full;
  for (std::size_t i = full.size() / 2; i < full.size() / 2 + 64; ++i) bad[i] = 0xFF;
  spit(tmp("corrupt.dbn.zst"), bad);
  const Outcome o = run(tmp("corrupt.dbn.zst"));
  ASSERT_FALSE(o.threw) << o.what;  // the metadata at the start is intact
  EXPECT_GT(get(o.stats.errors, "dbn.zstd_error") + get(o.stats.errors, "dbn.zstd_truncated") +
                get(o.stats.errors, "dbn.truncated_record") +
                get(o.stats.errors, "dbn.bad_record_length"),
            0u);
  EXPECT_LT(o.records, 8725u);
  // Corrupt the frame header itself: open fails with a reason.
  auto bad2 = full;
  for (std::size_t i = 4; i < 12; ++i) bad2[i] = 0xFF;
  spit(tmp("corrupt2.dbn.zst"), bad2);
  const Outcome o2 = run(tmp("corrupt2.dbn.zst"));
  EXPECT_TRUE(o2.threw || total(o2.stats.errors) > 0);
  // Single-byte flips anywhere: never a crash; any result is bounded.
  for (std::size_t i = 0; i < full.size(); i += 211) {
    auto f = full;
    f[i] ^= 0x5A;
    spit(tmp("flip.dbn.zst"), f);
    const Outcome of = run(tmp("flip.dbn.zst"));
    if (!of.threw) {
      EXPECT_LE(of.records, full.size());
    }
  }
  // A valid frame followed by garbage: the records are read, the garbage counted.
  auto tail = full;
  for (int i = 0; i < 100; ++i) tail.push_back(static_cast<std::uint8_t>(i * 7));
  spit(tmp("tail.dbn.zst"), tail);
  const Outcome ot = run(tmp("tail.dbn.zst"));
  ASSERT_FALSE(ot.threw) << ot.what;
  EXPECT_EQ(ot.records, 8725u);
  EXPECT_GT(get(ot.stats.errors, "dbn.zstd_error"), 0u);
}

TEST(DbnBadInput, WrongMagicAndVersions) {
  const std::vector<std::uint8_t> junk = {'P', 'K', 3, 4, 0, 0, 0, 0, 1, 2, 3};
  spit(tmp("magic.dbn"), junk);
  Outcome o = run(tmp("magic.dbn"));
  ASSERT_TRUE(o.threw);
  EXPECT_NE(o.what.find("magic.dbn"), std::string::npos) << o.what;
  EXPECT_NE(o.what.find("50 4b 03 04"), std::string::npos) << o.what;

  auto v3 = hft::testing::read_bytes(fixture("test_data.mbo.v3.dbn"));
  for (std::uint8_t v : {0, 4, 9, 255}) {
    auto f = v3;
    f[3] = v;
    spit(tmp("version.dbn"), f);
    o = run(tmp("version.dbn"));
    ASSERT_TRUE(o.threw) << int{v};
    EXPECT_NE(o.what.find("version.dbn"), std::string::npos) << o.what;
    EXPECT_NE(o.what.find("unsupported DBN version " + std::to_string(v)), std::string::npos) << o.what;
    // Same through zstd.
    spit(tmp("version.dbn.zst"), zstd_compress(f));
    o = run(tmp("version.dbn.zst"));
    ASSERT_TRUE(o.threw);
    EXPECT_NE(o.what.find("unsupported DBN version " + std::to_string(v)), std::string::npos) << o.what;
  }
  // zstd that does not hold DBN.
  const std::vector<std::uint8_t> text(100, 'x');
  spit(tmp("notdbn.zst"), zstd_compress(text));
  o = run(tmp("notdbn.zst"));
  ASSERT_TRUE(o.threw);
  EXPECT_NE(o.what.find("DBN"), std::string::npos) << o.what;
  // Empty file.
  spit(tmp("empty.dbn"), std::vector<std::uint8_t>{});
  EXPECT_TRUE(run(tmp("empty.dbn")).threw);
  // Metadata length far beyond the file.
  auto big = v3;
  store_le<std::uint32_t>(big.data() + 4, 0xFFFFFFF0u);
  spit(tmp("bigmeta.dbn"), big);
  o = run(tmp("bigmeta.dbn"));
  ASSERT_TRUE(o.threw);
  EXPECT_NE(o.what.find("metadata length 4294967280 bytes is above the limit"), std::string::npos) << o.what;
  // Within the cap but beyond the file: truncated.
  store_le<std::uint32_t>(big.data() + 4, kMaxMetadataLen);
  spit(tmp("bigmeta2.dbn"), big);
  o = run(tmp("bigmeta2.dbn"));
  ASSERT_TRUE(o.threw);
  EXPECT_NE(o.what.find("truncated DBN metadata"), std::string::npos) << o.what;
  // Symbol count that overruns the metadata.
  auto cnt = v3;
  store_le<std::uint32_t>(cnt.data() + 0x70, 1000000u);
  spit(tmp("symcount.dbn"), cnt);
  o = run(tmp("symcount.dbn"));
  ASSERT_TRUE(o.threw);
  EXPECT_NE(o.what.find("symbols"), std::string::npos) << o.what;
}

// A small zstd file whose prelude claims a huge metadata length, followed by megabytes of zeros
// that compress to almost nothing: refused at the prelude (a clear error), before any of the
// claimed length is read or inflated. 6 bad inputs: 3 lengths above the cap, plain and zstd.
TEST(DbnBadInput, MetadataLengthCapped) {
  int tried = 0;
  for (const std::uint32_t len : {kMaxMetadataLen + 1, 0x80000000u, 0xFFFFFFFFu}) {
    std::vector<std::uint8_t> f(8 + (16u << 20), 0);  // 16 MiB of zeros behind the prelude
    f[0] = 'D'; f[1] = 'B'; f[2] = 'N'; f[3] = 2;
    store_le<std::uint32_t>(f.data() + 4, len);
    const std::vector<std::uint8_t> z = zstd_compress(f);
    EXPECT_LT(z.size(), 4096u);  // a few KB on disk
    for (const bool zst : {false, true}) {
      const std::string path = tmp(zst ? "hugemeta.dbn.zst" : "hugemeta.dbn");
      spit(path, zst ? z : f);
      const Outcome o = run(path);
      ++tried;
      ASSERT_TRUE(o.threw) << len << " " << zst;
      EXPECT_NE(o.what.find("metadata length " + std::to_string(len) + " bytes is above the limit of 67108864"),
                std::string::npos)
          << o.what;
    }
  }
  EXPECT_EQ(tried, 6);
}

TEST(DbnBadInput, RecordLengths) {
  const auto v3 = hft::testing::read_bytes(fixture("test_data.mbo.v3.dbn"));
  for (bool compress : {false, true}) {
    SCOPED_TRACE(compress);
    auto write = [&](const std::vector<std::uint8_t>& f, const std::string& name) {
      const std::string p = tmp(name + (compress ? ".zst" : ""));
      if (compress) spit(p, zstd_compress(f));
      else spit(p, f);
      return p;
    };
    // Length byte 0 on the first record: no record can be framed after it.
    auto f = v3;
    f[kV3Meta] = 0;
    Outcome o = run(write(f, "len0.dbn"));
    ASSERT_FALSE(o.threw) << o.what;
    EXPECT_EQ(o.records, 0u);
    EXPECT_EQ(get(o.stats.errors, "dbn.bad_record_length"), 1u);
    // Length 0 on the second record: the first still comes through.
    f = v3;
    f[kV3Meta + 56] = 0;
    o = run(write(f, "len0b.dbn"));
    EXPECT_EQ(o.records, 1u);
    EXPECT_EQ(o.events, 1u);
    EXPECT_EQ(get(o.stats.errors, "dbn.bad_record_length"), 1u);
    // Length 16 (header only) for an MBO record: counted as too short, framing goes on.
    f = v3;
    f[kV3Meta] = 4;
    o = run(write(f, "short.dbn"));
    ASSERT_FALSE(o.threw);
    EXPECT_GE(get(o.stats.errors, "dbn.short_record"), 1u);
    // Length overrunning the data.
    f = v3;
    f[kV3Meta + 56] = 255;
    o = run(write(f, "long.dbn"));
    EXPECT_EQ(o.events, 1u);
    EXPECT_EQ(get(o.stats.errors, "dbn.truncated_record"), 1u);
    // Unknown rtype: skipped by its length and counted; the next record still decodes.
    f = v3;
    f[kV3Meta + 1] = 0x77;
    o = run(write(f, "rtype.dbn"));
    EXPECT_EQ(o.records, 2u);
    EXPECT_EQ(o.events, 1u);
    EXPECT_EQ(get(o.stats.errors, "dbn.unknown_rtype"), 1u);
    EXPECT_EQ(get(o.stats.counts, "dbn.rtype.rtype_0x77"), 1u);
    // Unknown action and side, inexact price.
    f = v3;
    f[kV3Meta + 38] = 'Z';
    f[kV3Meta + 56 + 39] = 'Q';
    store_le<std::int64_t>(f.data() + kV3Meta + 56 + 24, 3723000012345LL);
    o = run(write(f, "action.dbn"));
    EXPECT_EQ(o.events, 1u);
    EXPECT_EQ(get(o.stats.errors, "dbn.unknown_action"), 1u);
    EXPECT_EQ(get(o.stats.errors, "dbn.bad_side"), 1u);
    EXPECT_EQ(get(o.stats.errors, "dbn.price_inexact"), 1u);
    EXPECT_EQ(get(o.stats.counts, "dbn.mbo.Z"), 1u);
  }
}

TEST(DbnBadInput, RandomBytesSeeded) {
  std::mt19937_64 rng(20231225);
  const auto v3 = hft::testing::read_bytes(fixture("test_data.mbo.v3.dbn"));
  const auto v1 = hft::testing::read_bytes(fixture("test_data.mbo.v1.dbn.zst"));
  std::uint64_t opened = 0, threw = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<std::uint8_t> f;
    const int mode = iter % 4;
    const std::size_t n = rng() % 1200;
    if (mode == 0) {  // pure noise
      for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<std::uint8_t>(rng()));
    } else if (mode == 1) {  // a valid prelude and noise
      f = {'D', 'B', 'N', static_cast<std::uint8_t>(1 + rng() % 3)};
      const std::uint32_t ml = static_cast<std::uint32_t>(rng() % 600);
      for (int k = 0; k < 4; ++k) f.push_back(static_cast<std::uint8_t>(ml >> (8 * k)));
      for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<std::uint8_t>(rng()));
    } else if (mode == 2) {  // valid metadata, noise records (through zstd half the time)
      f.assign(v3.begin(), v3.begin() + kV3Meta);
      for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<std::uint8_t>(rng()));
      if (rng() % 2) f = zstd_compress(f);
    } else {  // the real file with random bytes changed
      f = (rng() % 2) ? v3 : v1;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < flips; ++k) f[rng() % f.size()] = static_cast<std::uint8_t>(rng());
    }
    spit(tmp("random.dbn"), f);
    const Outcome o = run(tmp("random.dbn"));
    if (o.threw) {
      ++threw;
      EXPECT_NE(o.what.find("random.dbn"), std::string::npos) << o.what;
    } else {
      ++opened;
      EXPECT_LE(o.records * 16, std::max<std::size_t>(f.size(), 1) * 64);
      EXPECT_LE(o.events, o.records);
    }
  }
  EXPECT_GT(opened, 500u);
  EXPECT_GT(threw, 500u);
}

}  // namespace
}  // namespace hft::dbn
