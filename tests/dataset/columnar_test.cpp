// The columnar feature file: what is written is read back exactly (across row groups), a reader
// expecting another schema refuses the file, and damaged files (truncated anywhere, bad offsets)
// are reported, never read past their end.
#include "hft/dataset/columnar.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using hft::dataset::ColumnarWriter;
using hft::dataset::read_columnar;

std::string tmp(const std::string& n) { return std::string(HFT_TEST_TMP) + "/dataset-" + n; }

void write_sample(const std::string& path, std::size_t rows, std::size_t group) {
  ColumnarWriter w(path, {"mid", "spread_bps", "ofi_1s"}, 0xABCDEF0123456789ull, group);
  for (std::size_t r = 0; r < rows; ++r) {
    const float v[3] = {100.0f + static_cast<float>(r) * 0.01f, static_cast<float>(r % 7), -static_cast<float>(r) * 1e-3f};
    w.append(static_cast<hft::Nanos>(34'200'000'000'000 + r * 1000), static_cast<hft::InstrumentId>(r % 3), v);
  }
  w.close();
}

TEST(Columnar, RoundTripsAcrossRowGroups) {
  const std::string p = tmp("rt.hftc");
  write_sample(p, 1000, 64);  // 15 full groups + a partial one
  const auto t = read_columnar(p, 0xABCDEF0123456789ull);
  ASSERT_EQ(t.names, (std::vector<std::string>{"mid", "spread_bps", "ofi_1s"}));
  ASSERT_EQ(t.ts.size(), 1000u);
  for (std::size_t r = 0; r < 1000; ++r) {
    ASSERT_EQ(t.ts[r], static_cast<std::int64_t>(34'200'000'000'000 + r * 1000));
    ASSERT_EQ(t.instrument[r], r % 3);
    ASSERT_EQ(t.columns[0][r], 100.0f + static_cast<float>(r) * 0.01f);
    ASSERT_EQ(t.columns[1][r], static_cast<float>(r % 7));
    ASSERT_EQ(t.columns[2][r], -static_cast<float>(r) * 1e-3f);
  }
}

TEST(Columnar, EmptyFileHasTheSchemaAndNoRows) {
  const std::string p = tmp("empty.hftc");
  write_sample(p, 0, 64);
  const auto t = read_columnar(p);
  EXPECT_EQ(t.names.size(), 3u);
  EXPECT_TRUE(t.ts.empty());
}

TEST(Columnar, RefusesAnotherSchema) {
  const std::string p = tmp("schema.hftc");
  write_sample(p, 10, 64);
  try {
    read_columnar(p, 0x1111);
    FAIL() << "read a file of another schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("schema hash"), std::string::npos) << e.what();
  }
}

TEST(Columnar, DamagedFilesAreReportedNeverOverread) {
  const std::string p = tmp("whole.hftc");
  write_sample(p, 200, 32);
  std::ifstream in(p, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::size_t refused = 0;
  for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
    const std::string q = tmp("cut.hftc");
    std::ofstream(q, std::ios::binary) << bytes.substr(0, cut);
    try {
      read_columnar(q);
    } catch (const std::runtime_error&) {
      ++refused;
    }
  }
  EXPECT_EQ(refused, (bytes.size() + 6) / 7) << "every truncated file must be refused";
  // A footer offset pointing past the data.
  std::string bad = bytes;
  const std::uint64_t huge = bytes.size() * 2;
  std::memcpy(bad.data() + bad.size() - 16, &huge, 8);
  const std::string q = tmp("badoff.hftc");
  std::ofstream(q, std::ios::binary) << bad;
  EXPECT_THROW(read_columnar(q), std::runtime_error);
}

}  // namespace
