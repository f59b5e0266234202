// hftd with binance: sources, as a user runs it: replay of the futures capture produces its
// report with the prices in the instrument's own scale; the other commands accept the input.
#include <gtest/gtest.h>

#include <filesystem>

#include "run_util.hpp"

namespace hft::e2e {
namespace {

const std::string kFut = data("binance-hftbacktest/usdm_btcusdt_20240808.gz");
const std::string kSpot = data("binance-hftbacktest/spot_btcusdt_20240808.gz") + "," +
                          data("binance-hftbacktest/spot_btcusdt_20240809.gz");

TEST(BinanceCli, ReplayOfTheFuturesCaptureReportsInTheInstrumentsScale) {
  if (!std::filesystem::exists(kFut)) GTEST_SKIP();
  const std::string json = tmp("binance_replay.json");
  const auto r = run("replay --input binance:" + kFut + " --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("errors by reason (source): none"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("binance.diffs_applied          6547"), std::string::npos) << r.output;
  // Final book: 61,659.70 / 61,659.80 USDT with 1.486 / 0.981 BTC (not 616.597 at ITCH's 1e-4).
  EXPECT_NE(r.output.find("61659.70      1.486       61659.80      0.981"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(json));
}

TEST(BinanceCli, BookFeaturesStudyAndConvertAcceptBinance) {
  if (!std::filesystem::exists(kFut)) GTEST_SKIP();
  auto r = run("book --input binance:" + kSpot + " --levels 5 --out " + tmp("binance_book.csv"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(BTCUSDT), 0 book errors"), std::string::npos) << r.output;
  r = run("features --input binance:" + kFut + " --out " + tmp("binance_features.csv"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = run("study ofi --input binance:" + kFut + " --start 23:55 --end 23:59 --window-min 2");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("source: 427996 events, 0 errors; book errors 0"), std::string::npos) << r.output;
  const std::string pcap = tmp("binance_conv.pcap");
  r = run("convert --input binance:" + kFut + " --out " + pcap);
  // 25 far-away asks (618,xxx USDT, 10x the market) are above 429,496.7295 and do not fit ITCH's 32-bit price: counted, exit 3.
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("not encodable (add): 25"), std::string::npos) << r.output;
  r = run("replay --input pcap:" + pcap + " --allow-damaged");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("61659.7000"), std::string::npos) << r.output;  // rescaled to ITCH's 1e-4
}

TEST(BinanceCli, MissingDefinitionIsCountedWithItsReason) {
  if (!std::filesystem::exists(kFut)) GTEST_SKIP();
  const std::string cfg = tmp("binance_noinstr.yml");
  std::ofstream(cfg) << "instruments: []\n";
  const auto r = run("replay --config " + cfg + " --input binance:" + kFut);
  EXPECT_EQ(r.exit_code, 3) << r.output;  // damaged input: every line refused, counted
  EXPECT_NE(r.output.find("binance.no_instrument_definition"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace hft::e2e
