// The hftd binary as a user meets it: help, errors, and the LOBSTER round trip through the wire
// format (LOBSTER -> ITCH in MoldUDP64 in a pcap -> back through the decoder -> book rows equal
// to LOBSTER's own orderbook file, every row).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <ostream>

#include "run_util.hpp"

namespace hft::e2e {
namespace {

TEST(Cli, HelpListsEveryCommandAndEachHasHelp) {
  const auto r = run("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* c : {"replay", "book", "convert", "gen"}) {
    EXPECT_NE(r.output.find(c), std::string::npos) << c;
    const auto h = run(std::string(c) + " --help");
    EXPECT_EQ(h.exit_code, 0) << c;
    EXPECT_NE(h.output.find("--"), std::string::npos) << c << ": " << h.output;
  }
}

// The version and the commit the binary was built from: 12 hex digits (and "-dirty" when the
// tree had uncommitted changes), or "unknown" outside a git checkout.
TEST(Cli, VersionNamesTheCommit) {
  const auto r = run("--version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("hftd ", 0), 0u) << r.output;
  const auto at = r.output.find(" (commit ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string commit = r.output.substr(at + 9, r.output.find(')', at) - at - 9);
  const bool hex = commit.size() >= 12 && commit.substr(0, 12).find_first_not_of("0123456789abcdef") == std::string::npos;
  EXPECT_TRUE(hex || commit == "unknown") << commit;
}

TEST(Cli, BadUsageIsAClearErrorNotACrash) {
  auto r = run("nosuchcommand");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown command"), std::string::npos);
  r = run("replay --input pcap:/nonexistent/file.pcap");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("/nonexistent/file.pcap"), std::string::npos) << r.output;
  r = run("replay --input nokind");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("KIND:PATH"), std::string::npos) << r.output;
  r = run("book --input lobster:x.csv --out /dev/null --levels 0");
  EXPECT_EQ(r.exit_code, 2);
  r = run("replay --input pcap:x --bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--bogus"), std::string::npos);
}

// A capture whose datagrams all go elsewhere than the destination filter (a generated day read
// with config.yml's NASDAQ group, here --dst): the replay says so in one line, naming the filter
// and how to read any destination; with no filter it reads the day and says nothing.
TEST(Cli, ACaptureSentElsewhereThanTheFilterSaysSo) {
  const std::string day = tmp("filtered_day.pcap");
  ASSERT_EQ(run("gen --out " + day + " --messages 1000 --instruments 2 --seed 1 --quiet").exit_code, 0);
  auto r = run("replay --input pcap:" + day + " --dst 233.54.12.111:26477");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: no event read: all "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("233.54.12.111:26477"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("throughput  0 events"), std::string::npos) << r.output;
  r = run("replay --input pcap:" + day);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("no event read"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("throughput  1000 events"), std::string::npos) << r.output;
  std::filesystem::remove(day);
}

// Instruments past system.max_instruments get no features or regime state: the replay says so
// on stderr with the counts and what to raise; not a word when every instrument has state.
TEST(Cli, InstrumentsPastMaxInstrumentsSaySo) {
  const std::string day = tmp("three_instruments.pcap");
  const std::string cfg = tmp("two_instruments.yml");
  ASSERT_EQ(run("gen --out " + day + " --messages 5000 --instruments 3 --seed 1 --quiet").exit_code, 0);
  std::ofstream(cfg) << "system:\n  max_instruments: 2\n";
  auto r = run("replay --config " + cfg + " --input pcap:" + day);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: instruments past the first 2 (system.max_instruments) got no state: "),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the input named 3 instruments"), std::string::npos) << r.output;
  r = run("replay --input pcap:" + day);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("(system.max_instruments) got no state"), std::string::npos) << r.output;
  std::filesystem::remove(day);
  std::filesystem::remove(cfg);
}

struct LobsterCase {
  const char* zip;   // under lobster-2012-06-21, or nullptr for the excerpt folder
  const char* stem;  // file name without _message_N.csv
  int levels;
};

// Names the case in test listings (gtest would print the struct's bytes).
void PrintTo(const LobsterCase& c, std::ostream* os) { *os << c.stem << "_level" << c.levels; }

class LobsterRoundTrip : public ::testing::TestWithParam<LobsterCase> {};

TEST_P(LobsterRoundTrip, BookRowsEqualLobsterDirectAndThroughPcap) {
  const auto c = GetParam();
  std::string dir;
  if (c.zip) {
    dir = unzip_sample(std::string("lobster-2012-06-21/") + c.zip);
    ASSERT_FALSE(dir.empty());
  } else {
    dir = data("lobster-2012-06-21/aapl_level10_first999");
  }
  const std::string n = std::to_string(c.levels);
  const std::string msg = dir + "/" + c.stem + "_message_" + n + ".csv";
  const auto expected = read_lines(dir + "/" + c.stem + "_orderbook_" + n + ".csv");
  ASSERT_GT(expected.size(), 900u);

  const std::string tag = std::string(c.stem) + "_" + n;
  const std::string direct = tmp(tag + "_direct.csv"), pcap = tmp(tag + ".pcap"),
                    wire = tmp(tag + "_wire.csv");
  auto r = run("book --input lobster:" + msg + " --levels " + n + " --out " + direct);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("convert --input lobster:" + msg + " --out " + pcap);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("book --input pcap:" + pcap + " --levels " + n + " --out " + wire);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  for (const auto& path : {direct, wire}) {
    const auto got = read_lines(path);
    ASSERT_EQ(got.size(), expected.size()) << path;
    std::size_t mismatches = 0, first = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
      if (got[i] != expected[i] && mismatches++ == 0) first = i;
    EXPECT_EQ(mismatches, 0u) << path << ": first mismatch at row " << first + 1 << "\n got  "
                              << got[first] << "\n want " << expected[first];
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllSamples, LobsterRoundTrip,
    ::testing::Values(LobsterCase{"LOBSTER_SampleFile_AMZN_2012-06-21_1.zip",
                                  "AMZN_2012-06-21_34200000_57600000", 1},
                      LobsterCase{"LOBSTER_SampleFile_AMZN_2012-06-21_5.zip",
                                  "AMZN_2012-06-21_34200000_57600000", 5},
                      LobsterCase{"LOBSTER_SampleFile_AAPL_2012-06-21_1.zip",
                                  "AAPL_2012-06-21_34200000_57600000", 1},
                      LobsterCase{nullptr, "AAPL_2012-06-21_34200000_57600000", 10}));

}  // namespace
}  // namespace hft::e2e

namespace hft::e2e {
namespace {

// CME ESH4 market-by-order day (DBN v1, zstd): the book after every event read directly equals
// the book after the same event read back from the converted pcap. DBN modifies become ITCH
// cancels or replaces, so the wire stream differs in ids but not in book states. The only
// rows the wire adds are for event groups too big for one packet (the 8,725-order snapshot):
// the converter reports how many, and every direct row appears in order among the wire rows.
TEST(DbnRoundTrip, CmeBookStatesSurviveConversionToItch) {
  const std::string in = data("cme-mbo-databento/esh4-glbx-mdp3-20231225.mbo.dbn.zst");
  const std::string direct = tmp("esh4_direct.csv"), pcap = tmp("esh4.pcap"),
                    wire = tmp("esh4_wire.csv");
  auto r = run("book --input dbn:" + in + " --levels 10 --out " + direct);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("convert --input dbn:" + in + " --out " + pcap);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto pos = r.output.find("larger than one packet: ");
  ASSERT_NE(pos, std::string::npos) << r.output;
  const std::size_t extra = std::stoul(r.output.substr(pos + 24));
  r = run("book --input pcap:" + pcap + " --levels 10 --out " + wire);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(", 0 book errors"), std::string::npos) << r.output;

  const auto d = read_lines(direct), w = read_lines(wire);
  ASSERT_GT(d.size(), 40000u);
  EXPECT_EQ(w.size(), d.size() + extra);
  std::size_t j = 0;
  for (std::size_t i = 0; i < w.size() && j < d.size(); ++i)
    if (w[i] == d[j]) ++j;
  EXPECT_EQ(j, d.size()) << "direct row " << j + 1 << " not found in order among the wire rows";
  EXPECT_EQ(d.back(), w.back());
}

// Long commands draw a progress line on a terminal and nothing extra otherwise. `script` (util-linux,
// in every Debian) gives the command a terminal; redraws at every chance so that the line does not
// depend on the machine's speed.
TEST(Cli, ProgressLineOnATerminalOnly) {
  const std::string out = tmp("progress_gen.pcap");
  const std::string gen = std::string(HFTD_BINARY) + " gen --out " + out + " --messages 300000 --instruments 4 --quiet";
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no `script` on this machine";
  const std::string cmd = "HFT_PROGRESS_INTERVAL_MS=0 script -qec '" + gen + "' /dev/null 2>&1";
  std::string tty_out;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) tty_out.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << tty_out;
  EXPECT_NE(tty_out.find("\rgen: "), std::string::npos) << tty_out;
  EXPECT_NE(tty_out.find("%, "), std::string::npos) << tty_out;
  EXPECT_NE(tty_out.find(" M/s"), std::string::npos) << tty_out;

  // The same command with its output in a pipe: nothing but what it printed before (--quiet: nothing).
  const auto plain = run("gen --out " + out + " --messages 300000 --instruments 4 --quiet");
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_EQ(plain.output, "");
  // A replay of that file in a pipe: no progress line in its report.
  const auto rep = run("replay --input pcap:" + out);
  EXPECT_EQ(rep.exit_code, 0) << rep.output;
  EXPECT_EQ(rep.output.find("replay: "), std::string::npos) << rep.output;
}

}  // namespace
}  // namespace hft::e2e

namespace hft::e2e {
namespace {

// OMI ITCH captures through `hftd convert --out FILE.itch` and `FILE.itch.gz`: `hftd book`
// on the ITCH file writes the same rows as on the pcap, event by event (--every-event: an ITCH
// file groups by timestamp, a pcap by packet), and the replay reports the same message counts
// (on two of the files). The command-line path on the five captures that build books and mix the
// most message types (ItchFile.OmiCapturesReadBackAsThePcapPath checks all 23 in the library:
// about 5 hftd processes a file made this test the slowest of CI at 28 s).
TEST(Cli, OmiCapturesThroughItchFilesGiveThePcapBooks) {
  const std::string dir = data("omi-itch50-pcap");
  int files = 0;
  for (const char* name : {"Multiple.Packets", "20230822_NetOrderImbalanceIndicator", "20230822_AddOrderWithMPID",
                           "20230822_OrderReplace", "20230822_OrderExecutedWithPrice"}) {
    const std::filesystem::path path = std::filesystem::path(dir) / (std::string(name) + ".pcap");
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    ++files;
    const std::string pcap = path.string(), stem = name;
    SCOPED_TRACE(stem);
    const std::string want = tmp("omi_" + stem + "_pcap.csv");
    const auto a = run("book --every-event --levels 5 --input pcap:" + pcap + " --out " + want);
    for (const char* ext : {".itch", ".itch.gz"}) {
      const std::string itch = tmp("omi_" + stem + ext), got = tmp("omi_" + stem + ext + ".csv");
      auto r = run("convert --input pcap:" + pcap + " --out " + itch);
      ASSERT_EQ(r.exit_code, 0) << r.output;
      r = run("book --every-event --levels 5 --input itch:" + itch + " --out " + got);
      EXPECT_EQ(r.exit_code, a.exit_code) << r.output << a.output;
      if (a.exit_code == 0) {
        EXPECT_EQ(read_lines(got), read_lines(want));
      }
      // The replay's message counts on two files (an engine start costs about a second).
      if (stem != "Multiple.Packets" && stem != "20230822_NetOrderImbalanceIndicator") continue;
      const auto rp = run("replay --input pcap:" + pcap), ri = run("replay --input itch:" + itch);
      for (const char* t : {"itch.messages", "itch.A ", "itch.D ", "itch.U ", "itch.L ", "itch.I "}) {
        const auto line = [&](const std::string& out) {
          const auto at = out.find(t);
          return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
        };
        EXPECT_EQ(line(rp.output), line(ri.output)) << t;
      }
    }
  }
  EXPECT_EQ(files, 5);
}

}  // namespace
}  // namespace hft::e2e

namespace hft::e2e {
namespace {

// Any source into an ITCH file: a LOBSTER day re-encoded by `hftd convert --out FILE.itch.gz`
// replays to the same final books as the LOBSTER file itself, with no source error.
TEST(Cli, LobsterThroughAnItchFileGivesTheSameFinalBooks) {
  const std::string dir = unzip_sample("lobster-2012-06-21/LOBSTER_SampleFile_AMZN_2012-06-21_5.zip");
  ASSERT_FALSE(dir.empty());
  const std::string msg = dir + "/AMZN_2012-06-21_34200000_57600000_message_5.csv";
  const std::string itch = tmp("amzn5.itch.gz");
  auto r = run("convert --input lobster:" + msg + " --out " + itch + " --date 2012-06-21");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto a = run("replay --input lobster:" + msg), b = run("replay --input itch:" + itch);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const auto books = [](const std::string& out) {
    const auto at = out.find("final books:");
    return at == std::string::npos ? std::string() : out.substr(at);
  };
  EXPECT_FALSE(books(a.output).empty());
  EXPECT_EQ(books(a.output), books(b.output));
  EXPECT_NE(b.output.find("errors by reason (source): none"), std::string::npos) << b.output;
}

}  // namespace
}  // namespace hft::e2e
