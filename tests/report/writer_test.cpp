// The report files: report.json byte-identical for the same input and its wall-clock fields only
// inside "wall"; report.html self-contained (no external references, balanced tags); CSV rows.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hft/report/writer.hpp"
#include "sim_data.hpp"

namespace {

using namespace hft;

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

std::string read(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// report.json without its "wall" object (the last member).
std::string without_wall(const std::string& j) { return j.substr(0, j.find("\"wall\":")); }

TEST(ReportWriter, JsonIsDeterministicAndWallIsSeparate) {
  const auto a = hft::testing::synthetic_report(42, 300);
  const auto b = hft::testing::synthetic_report(42, 300);
  const std::string ja = report::report_json(a);
  EXPECT_EQ(ja, report::report_json(b));
  EXPECT_NE(ja.find("\"schema_version\": 1"), std::string::npos);
  EXPECT_EQ(count(ja, "\"wall\":"), 1u);
  EXPECT_EQ(ja.find("nan"), std::string::npos);
  EXPECT_EQ(ja.find("inf"), std::string::npos);
  // Wall-clock measurements change only the "wall" object.
  auto c = a;
  c.wall_seconds = 99;
  c.latency[0].p99 = 123456;
  const std::string jc = report::report_json(c);
  EXPECT_NE(jc, ja);
  EXPECT_EQ(without_wall(jc), without_wall(ja));
  // Balanced braces and brackets (outside strings: names here have none).
  EXPECT_EQ(count(ja, "{"), count(ja, "}"));
  EXPECT_EQ(count(ja, "["), count(ja, "]"));
  // A different run differs outside "wall".
  EXPECT_NE(without_wall(report::report_json(hft::testing::synthetic_report(43, 300))), without_wall(ja));
}

TEST(ReportWriter, HtmlIsSelfContainedAndBalanced) {
  const auto in = hft::testing::synthetic_report(1, 300);
  const std::string h = report::report_html(in);
  EXPECT_EQ(h.find("http"), std::string::npos);
  EXPECT_EQ(h.find("src="), std::string::npos);
  EXPECT_EQ(h.find("href"), std::string::npos);
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_EQ(h.find("@import"), std::string::npos);
  EXPECT_EQ(h.find("url("), std::string::npos);
  EXPECT_GE(count(h, "<svg"), 8u);
  EXPECT_EQ(count(h, "<svg"), count(h, "</svg>"));
  EXPECT_EQ(count(h, "<table"), count(h, "</table>"));
  EXPECT_EQ(count(h, "<tr"), count(h, "</tr>"));
  EXPECT_EQ(count(h, "<div"), count(h, "</div>"));
  EXPECT_NE(h.find("mm_glft"), std::string::npos);
  EXPECT_NE(h.find("imb_1"), std::string::npos);
  EXPECT_EQ(h.find("nan"), std::string::npos);
  EXPECT_EQ(h.rfind("</html>\n"), h.size() - 8);
}

TEST(ReportWriter, EmptyRunStillWritesEverything) {
  report::ReportInput in;
  report::Recorder rec(report::RecorderSettings{});
  rec.finish(0);
  in.rec = rec.data();
  const std::string h = report::report_html(in);
  EXPECT_EQ(count(h, "<svg"), count(h, "</svg>"));
  const std::string j = report::report_json(in);
  EXPECT_NE(j.find("\"sharpe\": null"), std::string::npos);
  EXPECT_EQ(report::orders_csv(in), "ts_sent_ns,id,strategy,instrument,side,price,qty,tif,state,reject_reason,filled,replaces,ts_final_ns\n");
}

TEST(ReportWriter, FilesAndCsvRows) {
  const auto in = hft::testing::synthetic_report(7, 900);
  const std::filesystem::path dir = std::filesystem::path(HFT_TEST_TMP) / "report_sample";
  std::filesystem::remove_all(dir);
  report::write_report(dir.string(), in);
  for (const char* f : {"report.json", "report.html", "orders.csv", "fills.csv"}) EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  const std::string orders = read(dir / "orders.csv"), fills = read(dir / "fills.csv");
  EXPECT_GT(in.rec.orders.size(), 100u);
  EXPECT_EQ(count(orders, "\n"), in.rec.orders.size() + 1);
  EXPECT_EQ(count(fills, "\n"), in.rec.fills.size() + 1);
  // Every row has as many fields as the header.
  for (const std::string* csv : {&orders, &fills}) {
    std::istringstream ss(*csv);
    std::string line;
    std::getline(ss, line);
    const std::size_t fields = count(line, ",");
    while (std::getline(ss, line)) ASSERT_EQ(count(line, ","), fields) << line;
  }
  EXPECT_NE(fills.find(",AAPL,"), std::string::npos);
  EXPECT_NE(orders.find(",mm_as,"), std::string::npos);
  EXPECT_EQ(read(dir / "report.json"), report::report_json(in));
  EXPECT_THROW(report::write_report("/proc/no/such/dir", in), std::runtime_error);
}

}  // namespace

namespace {

// The learner's decisions and the online quality: in report.json (a missing champion as null)
// and in the HTML.
TEST(ReportWriter, LearningDecisionsAndQualityAreWritten) {
  auto in = hft::testing::synthetic_report(7, 100);
  in.learning.push_back({45'900'500'000'000LL, "drift", "promoted", "log-loss 0.6 below 1.8", "learned-2", 6658, 1998,
                         std::nan(""), 0.25});
  in.quality.push_back({46'800'000'000'000LL, 1234, 0.75, 0.5});
  const std::string j = report::report_json(in);
  EXPECT_NE(j.find("\"learning\": [\n    {\"t_request\": \"12:45:00.500\", \"t_request_ns\": 45900500000000, \"reason\": \"drift\", "
                   "\"outcome\": \"promoted\""),
            std::string::npos)
      << j.substr(j.find("\"learning\""), 400);
  EXPECT_NE(j.find("\"champion_log_loss\": null, \"challenger_log_loss\": 0.25"), std::string::npos);
  EXPECT_NE(j.find("{\"from\": \"13:00:00.000\", \"labels\": 1234, \"accuracy\": 0.75, \"log_loss\": 0.5}"), std::string::npos);
  const std::string h = report::report_html(in);
  EXPECT_NE(h.find("Continuous learning"), std::string::npos);
  EXPECT_NE(h.find("learned-2"), std::string::npos);
  EXPECT_EQ(count(h, "<table"), count(h, "</table>"));
}

}  // namespace
