// hftd gen -> hftd replay: a generated day must decode and build books with no error of any
// kind, and the report must account for every message.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../common/service_util.hpp"
#include "run_util.hpp"

namespace hft::e2e {
namespace {

using hft::testing::slurp;

std::uint64_t json_count(const std::string& json, const std::string& key) {
  const std::string k = "\"" + key + "\": ";
  const auto pos = json.find(k);
  return pos == std::string::npos ? ~0ull : std::stoull(json.substr(pos + k.size()));
}

TEST(Replay, GeneratedDayHasNoErrorsAndEveryMessageIsCounted) {
  const std::string pcap = tmp("gen_replay.pcap"), json = tmp("gen_replay.json");
  auto r = run("gen --out " + pcap + " --messages 300000 --instruments 4 --seed 11 --pack-us 50 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("replay --input pcap:" + pcap + " --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string j = slurp(json);
  EXPECT_NE(j.find("\"source_errors\": {}"), std::string::npos) << j;
  EXPECT_NE(j.find("\"book_errors\": {\"crossed\": 0, \"locked\": 0}"), std::string::npos) << j;
  // The generator wrote exactly 300000 messages; each reached the decoder.
  EXPECT_EQ(json_count(j, "itch.messages"), 300000u) << j;
  EXPECT_EQ(json_count(j, "mold.messages"), 300000u) << j;
  EXPECT_GT(json_count(j, "itch.A"), 50000u);
  EXPECT_GT(json_count(j, "itch.E"), 1000u);
}

TEST(Replay, TruncatedPcapIsCountedNotFatal) {
  const std::string pcap = tmp("gen_trunc.pcap"), cut = tmp("gen_trunc_cut.pcap");
  auto r = run("gen --out " + pcap + " --messages 20000 --instruments 2 --seed 3 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Cut the file in the middle of a packet.
  const std::string bytes = slurp(pcap);
  std::ofstream(cut, std::ios::binary).write(bytes.data(),
                                             static_cast<std::streamsize>(bytes.size() / 2 + 7));
  r = run("replay --input pcap:" + cut);
  EXPECT_EQ(r.exit_code, 3) << r.output;  // the report, then "damaged" (service_edges_test.cpp)
  EXPECT_NE(r.output.find("throughput"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pcap.read_errors"), std::string::npos) << r.output;  // the cut record
  EXPECT_NE(r.output.find("the input is damaged"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace hft::e2e

namespace hft::e2e {
namespace {

TEST(Replay, FeedFilterFromConfigAndBadConfigRejectedWithItsPath) {
  const std::string pcap = tmp("gen_cfg.pcap");
  auto r = run("gen --out " + pcap + " --messages 5000 --instruments 2 --seed 5 --dest 239.1.1.1:26477 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string other = tmp("cfg_other.yml"), same = tmp("cfg_same.yml"), bad = tmp("cfg_bad.yml");
  std::ofstream(other) << "feed:\n  dst_addr: 239.1.1.2\n  dst_port: 26477\n";
  std::ofstream(same) << "feed:\n  dst_addr: 239.1.1.1\n  dst_port: 26477\n";
  std::ofstream(bad) << "feed:\n  dst_port: 70000\n";
  r = run("replay --input pcap:" + pcap + " --config " + other);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("throughput  0 events"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pcap.filtered_out"), std::string::npos) << r.output;
  r = run("replay --input pcap:" + pcap + " --config " + same);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("pcap.filtered_out"), std::string::npos) << r.output;
  const auto at = r.output.find("itch.messages");
  ASSERT_NE(at, std::string::npos) << r.output;
  EXPECT_EQ(std::stoull(r.output.substr(at + 13)), 5000u) << r.output;
  r = run("replay --input pcap:" + pcap + " --config " + bad);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("feed.dst_port: must be in 0..65535"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace hft::e2e
