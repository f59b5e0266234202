#include "hft/telemetry/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace hft::telemetry {
namespace {

// A synchronous logger writing "<level>|<message>" lines into a string stream.
struct Capture {
  std::ostringstream os;
  std::shared_ptr<spdlog::logger> logger;
  explicit Capture(const char* pattern = "%l|%v") {
    logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(os));
    logger->set_pattern(pattern);
    logger->set_level(spdlog::level::trace);
  }
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    std::istringstream in(os.str());
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
};

TEST(Log, RecordIsOneCacheLine) {
  EXPECT_EQ(sizeof(LogRecord), 64u);
  EXPECT_EQ(alignof(LogRecord), 64u);
}

TEST(Log, FormatsIntegersUnsignedDoublesAndEnums) {
  enum class Side : std::uint8_t { Bid = 1, Ask = 2 };
  const std::uint16_t id = register_message(Level::info, "gap: expected {} got {} u={} x={:.2f} side={}");
  EXPECT_STREQ(message_format(id), "gap: expected {} got {} u={} x={:.2f} side={}");
  LogRing ring(8);
  ASSERT_TRUE(ring.log(id, -5, std::int64_t{9}, std::numeric_limits<std::uint64_t>::max(), 2.5, Side::Ask));
  LogRecord r{};
  ASSERT_EQ(ring.pop_batch(&r, 1), 1u);
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.nargs, 5);
  EXPECT_EQ(r.level, static_cast<std::uint8_t>(Level::info));
  EXPECT_EQ(LogSink::format(r), "gap: expected -5 got 9 u=18446744073709551615 x=2.50 side=2");
}

TEST(Log, BadFormatAndUnknownIdAreReportedNotThrown) {
  const std::uint16_t id = register_message(Level::warn, "needs two {} {}");
  LogRing ring(8);
  ring.log(id, 1);
  ring.log(static_cast<std::uint16_t>(kMaxMessages - 1), 3, 4);  // never registered
  Capture cap;
  LogSink sink(cap.logger, TscCalibration{});
  sink.add_ring(ring);
  EXPECT_EQ(sink.drain(), 2u);
  EXPECT_EQ(sink.format_errors(), 2u);
  const auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("bad format: needs two {} {}] 1"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].rfind("warning|", 0), 0u) << lines[0];
  EXPECT_NE(lines[1].find("unknown id] 3 4"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[1].rfind("error|", 0), 0u) << lines[1];
}

TEST(Log, FullRingDropsAndCounts) {
  const std::uint16_t id = register_message(Level::info, "n={}");
  LogRing ring(8, "test");
  ASSERT_EQ(ring.capacity(), 8u);
  int accepted = 0;
  for (int i = 0; i < 20; ++i) accepted += ring.log(id, i) ? 1 : 0;
  EXPECT_EQ(accepted, 8);
  EXPECT_EQ(ring.dropped(), 12u);
  Capture cap;
  LogSink sink(cap.logger, TscCalibration{});
  sink.add_ring(ring);
  EXPECT_EQ(sink.drain(), 8u);
  EXPECT_EQ(sink.dropped(), 12u);
  const auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 9u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(lines[static_cast<std::size_t>(i)], "info|n=" + std::to_string(i));
  EXPECT_EQ(lines[8], "warning|log ring 'test' dropped 12 records (full ring), 12 in total");
  // Drops are reported once; a later drain with nothing new says nothing.
  EXPECT_EQ(sink.drain(), 0u);
  EXPECT_EQ(cap.lines().size(), 9u);
}

TEST(Log, LevelFilterSkipsWithoutDropping) {
  const Level old = level();
  const std::uint16_t dbg = register_message(Level::debug, "debug {}");
  const std::uint16_t err = register_message(Level::error, "error {}");
  LogRing ring(8);
  set_level(Level::warn);
  EXPECT_TRUE(ring.log(dbg, 1));
  EXPECT_TRUE(ring.log(err, 2));
  EXPECT_EQ(ring.size_approx(), 1u);
  set_level(Level::trace);
  EXPECT_TRUE(ring.log(dbg, 3));
  EXPECT_EQ(ring.size_approx(), 2u);
  EXPECT_EQ(ring.dropped(), 0u);
  set_level(old);
  EXPECT_EQ(parse_level("warning"), Level::warn);
  EXPECT_EQ(parse_level("nope"), std::nullopt);
  EXPECT_STREQ(level_name(Level::critical), "critical");
}

// A producer thread logs through the ring while the sink drains on this thread: every record
// that was not dropped arrives once, in order, and the drops are counted exactly.
TEST(Log, RingFromAnotherThreadArrivesInOrder) {
  const std::uint16_t id = register_message(Level::info, "seq {}");
  LogRing ring(256, "producer");
  Capture cap("%v");
  LogSink sink(cap.logger, calibrate_tsc(std::chrono::milliseconds(5)));
  sink.add_ring(ring);
  constexpr int kN = 50000;
  std::atomic<bool> done{false};
  std::uint64_t producer_drops = 0;
  std::thread producer([&] {
    for (int i = 0; i < kN; ++i)
      if (!ring.log(id, i)) ++producer_drops;
    done.store(true, std::memory_order_release);
  });
  while (!done.load(std::memory_order_acquire)) sink.drain();
  producer.join();
  sink.drain();
  EXPECT_EQ(ring.dropped(), producer_drops);
  std::int64_t last = -1;
  std::uint64_t seen = 0, drop_lines = 0;
  for (const auto& l : cap.lines()) {
    if (l.rfind("seq ", 0) == 0) {
      const std::int64_t v = std::stoll(l.substr(4));
      ASSERT_GT(v, last) << l;
      last = v;
      ++seen;
    } else {
      EXPECT_NE(l.find("log ring 'producer' dropped"), std::string::npos) << l;
      ++drop_lines;
    }
  }
  EXPECT_EQ(seen + producer_drops, static_cast<std::uint64_t>(kN));
  EXPECT_EQ(drop_lines > 0, producer_drops > 0);
  EXPECT_EQ(sink.forwarded(), seen);
}

// The record's tsc becomes the line's wall time: %E prints seconds since the epoch.
TEST(Log, RecordTimeIsWallClock) {
  const std::uint16_t id = register_message(Level::info, "t");
  LogRing ring(8);
  Capture cap("%E %v");
  LogSink sink(cap.logger, calibrate_tsc(std::chrono::milliseconds(5)));
  sink.add_ring(ring);
  const std::int64_t before = realtime_ns() / 1'000'000'000;
  ring.log(id);
  const std::int64_t after = realtime_ns() / 1'000'000'000;
  sink.drain();
  const auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 1u);
  const std::int64_t sec = std::stoll(lines[0]);
  EXPECT_GE(sec, before - 1);
  EXPECT_LE(sec, after + 1);
}

// init_logging to a file: ring records and direct calls both reach it once flushed.
TEST(Log, InitLoggingWritesFile) {
  const std::string path = std::string(HFT_TEST_TMP) + "/telemetry_log_test.log";
  std::remove(path.c_str());
  const Level old = level();
  init_logging(Level::info, path, 1024);
  const std::uint16_t id = register_message(Level::warn, "from ring {}");
  LogRing ring(16);
  ring.log(id, 77);
  LogSink sink;  // spdlog's default logger
  sink.add_ring(ring);
  EXPECT_EQ(sink.drain(), 1u);
  log_info("direct {} {}", "info", 1);
  log_debug("hidden {}", 2);  // below the level
  set_level(Level::debug);
  log_debug("shown {}", 3);
  log_error("error {}", 4.5);
  shutdown_logging();
  set_level(old);
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[0].find(" warning from ring 77"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" info direct info 1"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find(" debug shown 3"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find(" error error 4.5"), std::string::npos) << lines[3];
  EXPECT_EQ(lines[0][4], '-');
  EXPECT_EQ(lines[0][10], 'T');
}

// Log rotation: the file is renamed, reopen_log_file() starts a new one under the old name;
// records logged after the reopen are in the new file only, none is lost. A reopen that
// cannot open the file says why and logging goes on into the old file.
TEST(Log, ReopenAfterRename) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(HFT_TEST_TMP) / "telemetry_rotate";
  fs::remove_all(dir);
  const std::string path = (dir / "hftd.log").string();
  const Level old = level();
  init_logging(Level::info, path, 1024);  // creates the directory
  log_info("line one");
  fs::rename(path, path + ".1");
  EXPECT_EQ(reopen_log_file(), "");
  log_info("line two");
  // The directory goes away: the reopen fails, the next line still goes to the open file.
  fs::rename(dir, dir.string() + ".gone");
  const std::string err = reopen_log_file();
  EXPECT_NE(err.find("cannot reopen log file '" + path + "'"), std::string::npos) << err;
  log_info("line three");
  shutdown_logging();
  set_level(old);
  EXPECT_EQ(reopen_log_file(), "");  // no file sink any more: nothing to do
  const auto text = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const fs::path gone = dir.string() + ".gone";
  const std::string rotated = text(gone / "hftd.log.1"), fresh = text(gone / "hftd.log");
  EXPECT_NE((rotated + fresh).find("line one"), std::string::npos);
  EXPECT_EQ(rotated.find("line two"), std::string::npos) << rotated;
  EXPECT_NE(fresh.find("line two"), std::string::npos) << fresh;
  EXPECT_NE(fresh.find("line three"), std::string::npos) << fresh;
  fs::remove_all(gone);
}

TEST(Log, InitLoggingBadFileThrowsClearly) {
  // A path below a regular file can never be created (spdlog would create missing directories).
  const std::string file = std::string(HFT_TEST_TMP) + "/telemetry_not_a_dir";
  std::ofstream(file) << "x";
  const std::string bad = file + "/y.log";
  try {
    init_logging(Level::info, bad, 64);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hft::telemetry
