// hftd features: the file holds, row for row, the vectors the feature engine computes on the same
// source (run here in-process), under the schema hash of its names; sampling by time gives one
// row per instrument per boundary with the state just before it; CSV carries the same values.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/clean/cleaner.hpp"
#include "hft/dataset/columnar.hpp"
#include "hft/features/features.hpp"
#include "hft/sources/open.hpp"
#include "run_util.hpp"

namespace {

using namespace hft;
using namespace hft::e2e;

struct Direct {
  std::vector<features::FeatureVector> rows;
  std::vector<std::string> names;
  std::uint64_t hash = 0;
};

Direct direct_run(const std::string& source) {
  auto src = sources::open_source(sources::parse_source_spec(source), {});
  book::BookConfig bc;
  bc.max_orders = 1 << 20;
  book::Books books(bc);
  features::FeatureEngine fe(features::FeatureConfig{}, bc.max_instruments);
  clean::Cleaner cleaner(clean::CleanConfig{}, bc.max_instruments);
  Direct d{{}, fe.schema().names, fe.schema().hash};
  std::vector<MarketEvent> buf(feed::kMaxBatch);
  while (const auto n = src->next(buf)) {
    for (std::size_t i = 0; i < n; ++i) {
      books.apply(buf[i]);
      if (cleaner.on_event(buf[i], books).drop) continue;
      if (buf[i].kind == EventKind::Directory || buf[i].kind == EventKind::System) continue;
      fe.on_event(buf[i], books);
      d.rows.push_back(fe.current(buf[i].instrument));
    }
  }
  return d;
}

TEST(FeaturesCli, FileEqualsTheEngineRowForRow) {
  const std::string dir = unzip_sample("lobster-2012-06-21/LOBSTER_SampleFile_AAPL_2012-06-21_1.zip");
  ASSERT_FALSE(dir.empty());
  const std::string source = "lobster:" + dir + "/AAPL_2012-06-21_34200000_57600000_message_1.csv";
  const std::string base = tmp("features_aapl1");
  const auto r = run("features --input " + source + " --out " + base + " --format both");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const Direct d = direct_run(source);
  ASSERT_GT(d.rows.size(), 100000u);
  EXPECT_GE(d.names.size(), 40u);
  EXPECT_EQ(d.hash, features::schema_hash(d.names));
  const dataset::Table t = dataset::read_columnar(base + ".hftc", d.hash);
  ASSERT_EQ(t.names, d.names);
  ASSERT_EQ(t.ts.size(), d.rows.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < d.rows.size(); ++i) {
    if (t.ts[i] != d.rows[i].ts || t.instrument[i] != d.rows[i].instrument) ++mismatches;
    for (std::size_t k = 0; k < d.names.size(); ++k)
      if (!(t.columns[k][i] == d.rows[i].v[k])) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0u);

  // CSV: same header (after the schema line) and the same values to float precision.
  const auto lines = read_lines(base + ".csv");
  ASSERT_EQ(lines.size(), d.rows.size() + 2);
  char hash_line[64];
  std::snprintf(hash_line, sizeof hash_line, "# schema_hash=%016llx", static_cast<unsigned long long>(d.hash));
  EXPECT_EQ(lines[0], hash_line);
  for (std::size_t i : {std::size_t{0}, d.rows.size() / 2, d.rows.size() - 1}) {
    const std::string& line = lines[i + 2];
    std::size_t pos = line.find(',', line.find(',') + 1) + 1;
    for (std::size_t k = 0; k < d.names.size(); ++k) {
      const float v = std::strtof(line.c_str() + pos, nullptr);
      EXPECT_EQ(v, d.rows[i].v[k]) << "row " << i << " " << d.names[k];
      pos = line.find(',', pos) + 1;
    }
  }
}

TEST(FeaturesCli, SamplingGivesTheStateBeforeEachBoundary) {
  const std::string dir = unzip_sample("lobster-2012-06-21/LOBSTER_SampleFile_AAPL_2012-06-21_1.zip");
  ASSERT_FALSE(dir.empty());
  const std::string source = "lobster:" + dir + "/AAPL_2012-06-21_34200000_57600000_message_1.csv";
  const std::string base = tmp("features_aapl1_1s");
  const auto r = run("features --input " + source + " --out " + base + " --every-ms 1000");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Direct d = direct_run(source);
  const dataset::Table t = dataset::read_columnar(base + ".hftc", d.hash);
  ASSERT_GT(t.ts.size(), 1000u);
  // Expected: for each 1 s boundary b with at least one event in the second before it, the vector
  // after the last event with ts < b.
  std::vector<std::size_t> expect;  // index into d.rows
  for (std::size_t i = 0; i < d.rows.size(); ++i) {
    const bool last_in_second = i + 1 == d.rows.size() || d.rows[i + 1].ts / 1'000'000'000 != d.rows[i].ts / 1'000'000'000;
    if (last_in_second) expect.push_back(i);
  }
  ASSERT_EQ(t.ts.size(), expect.size());
  std::size_t bad = 0;
  for (std::size_t j = 0; j < expect.size(); ++j) {
    const auto& row = d.rows[expect[j]];
    if (t.ts[j] != (row.ts / 1'000'000'000 + 1) * 1'000'000'000) ++bad;
    for (std::size_t k = 0; k < d.names.size(); ++k)
      if (!(t.columns[k][j] == row.v[k])) ++bad;
  }
  EXPECT_EQ(bad, 0u);
}

}  // namespace
