// config module: the documented defaults file, every class of error with its exact path, diff and
// apply_reloadable, the content version.
#include "hft/config/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace hft::config {
namespace {

namespace fs = std::filesystem;

// The repository's config/config.yml, found from this file's own (absolute) path.
std::string repo_config() {
  return (fs::path(__FILE__).parent_path().parent_path().parent_path() / "config" / "config.yml").string();
}

std::string tmp_file(const std::string& name, const std::string& text) {
  const fs::path p = fs::path(HFT_TEST_TMP) / ("config_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

// Parse with a fixed CPU count so that core checks do not depend on the machine.
LoadResult parse(const std::string& text, unsigned cpus = 2) { return parse_config(text, "", cpus); }

std::string dump(const std::vector<ConfigError>& errors) { return format_errors(errors, "cfg"); }

// The reason given for `path`, or "<none>".
std::string reason_at(const LoadResult& r, const std::string& path) {
  for (const auto& e : r.errors)
    if (e.path == path) return e.reason;
  return "<none>";
}

bool has_path(const LoadResult& r, const std::string& path) { return reason_at(r, path) != "<none>"; }

Config without_identity(Config c) {
  c.version = 0;
  c.path.clear();
  return c;
}

TEST(Config, DefaultsFileLoadsCleanAndEqualsDefaults) {
  const auto r = load_config_file(repo_config(), 2);
  ASSERT_TRUE(r.errors.empty()) << dump(r.errors);
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->path, repo_config());
  EXPECT_NE(r.config->version, 0u);
  // The shipped file names a real feed (check-config and run need one); the code's default is none.
  Config shipped = default_config();
  shipped.feed.dst_addr = shipped.feed.multicast_group = "233.54.12.111";
  shipped.feed.dst_port = 26477;
  EXPECT_TRUE(without_identity(*r.config) == shipped);
  EXPECT_TRUE(validate_for_run(*r.config).empty());
  Config unset = default_config();  // mode udp without an address or port: refused
  const auto errs = validate_for_run(unset);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].path, "feed.dst_port");
  EXPECT_EQ(errs[1].path, "feed.dst_addr");
  // Spot checks that the comparison above compares what it should.
  EXPECT_EQ(r.config->system.layout.size(), 1u);
  EXPECT_EQ(r.config->system.layout[0].name, "hot");
  EXPECT_EQ(r.config->system.layout[0].core, 1);
  EXPECT_EQ(r.config->feed.recv_buffer, std::size_t{4} << 20);
  EXPECT_DOUBLE_EQ(r.config->simulator.fees.maker_per_share, -0.002);
  EXPECT_TRUE(validate(default_config(), 2).empty()) << dump(validate(default_config(), 2));
}

TEST(Config, DefaultsFileLoadsOnThisMachine) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "the default layout pins core 1";
  const auto r = load_config_file(repo_config());
  EXPECT_TRUE(r.errors.empty()) << dump(r.errors);
}

TEST(Config, MissingSectionsAndSettingsTakeDefaults) {
  const auto r = parse("feed:\n  dst_addr: 233.54.12.111\n  dst_port: 26477\n");
  ASSERT_TRUE(r.config) << dump(r.errors);
  Config want = default_config();
  want.feed.dst_addr = "233.54.12.111";
  want.feed.dst_port = 26477;
  EXPECT_TRUE(without_identity(*r.config) == want);
}

TEST(Config, ValuesAreRead) {
  const auto r = parse(
      "system:\n  ring_capacity: 1024\n  ring_full: drop\n  log_level: debug\n"
      "  layout:\n    - {name: rx, stages: [feed], core: 0, idle: backoff, fifo_priority: 10}\n"
      "    - {name: books, stages: [book, monitor], idle: sleep}\n"
      "  control_core: -1\n"
      "symbols: [AAPL, MSFT]\n"
      "strategies:\n  - name: mm1\n    symbols: [AAPL]\n    min_confidence_threshold: 0.7\n    horizon_s: 30\n    enabled: no\n"
      "execution: {method: glft, A: 2.5e2}\n"
      "simulator: {queue_model: prob_power3, fees: {maker_per_share: 0, taker_per_share: 0.001}}\n");
  ASSERT_TRUE(r.config) << dump(r.errors);
  const Config& c = *r.config;
  EXPECT_EQ(c.system.ring_capacity, 1024u);
  EXPECT_EQ(c.system.ring_full, RingFull::Drop);
  EXPECT_EQ(c.system.log_level, "debug");
  ASSERT_EQ(c.system.layout.size(), 2u);
  EXPECT_EQ(c.system.layout[0].stages, std::vector<std::string>{"feed"});
  EXPECT_EQ(c.system.layout[0].idle, Idle::Backoff);
  EXPECT_EQ(c.system.layout[0].fifo_priority, 10);
  EXPECT_EQ(c.system.layout[1].core, -1);
  EXPECT_EQ(c.system.layout[1].idle, Idle::Sleep);
  EXPECT_EQ(c.system.control_core, -1);
  EXPECT_EQ(c.symbols, (std::vector<std::string>{"AAPL", "MSFT"}));
  ASSERT_EQ(c.strategies.size(), 1u);
  EXPECT_EQ(c.strategies[0].name, "mm1");
  EXPECT_FALSE(c.strategies[0].enabled);
  EXPECT_DOUBLE_EQ(c.strategies[0].min_confidence_threshold, 0.7);
  ASSERT_EQ(c.strategies[0].params.size(), 1u);  // the type's own setting, kept as text
  EXPECT_EQ(c.strategies[0].params[0], (std::pair<std::string, std::string>{"horizon_s", "30"}));
  EXPECT_EQ(c.strategies[0].max_position, 1000);  // default inside a list item
  EXPECT_EQ(c.execution.method, ExecMethod::Glft);
  EXPECT_DOUBLE_EQ(c.execution.A, 250);
  EXPECT_EQ(c.simulator.queue_model, QueueModel::ProbPower3);
}

TEST(Config, TypeErrorNamesThePathAndTheValue) {
  const auto r = parse("system:\n  ring_capacity: abc\n");
  EXPECT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r.errors);
  EXPECT_EQ(r.errors[0].path, "system.ring_capacity");
  EXPECT_EQ(r.errors[0].reason, "expected an integer, got 'abc'");
  EXPECT_EQ(format_errors(r.errors, "x.yml"), "x.yml: system.ring_capacity: expected an integer, got 'abc'\n");

  const auto r2 = parse("feed:\n  batch: [1, 2]\nstrategies:\n  - {name: a, enabled: maybe}\n"
                        "telemetry:\n  summary_interval_s: soon\n");
  EXPECT_EQ(reason_at(r2, "feed.batch"), "expected an integer, got a list");
  EXPECT_EQ(reason_at(r2, "strategies[0].enabled"), "expected true or false, got 'maybe'");
  EXPECT_EQ(reason_at(r2, "telemetry.summary_interval_s"), "expected a number, got 'soon'");
  EXPECT_EQ(r2.errors.size(), 3u) << dump(r2.errors);
}

TEST(Config, RangeErrors) {
  const auto r = parse(
      "system:\n  ring_capacity: 3000\n  log_queue: 16\n  log_level: verbose\n"
      "  layout:\n    - {name: hot, stages: [feed, book, monitor], core: 2, idle: spinning, fifo_priority: 100}\n"
      "feed:\n  dst_port: 70000\n  batch: 0\n  dst_addr: 1.2.3\n"
      "risk_management:\n  circuit_breakers: {max_reject_rate: 1.5}\n  max_notional: 0\n"
      "telemetry:\n  http_port: -1\n");
  EXPECT_FALSE(r.config);
  EXPECT_EQ(reason_at(r, "system.ring_capacity"), "must be a power of two, got 3000");
  EXPECT_EQ(reason_at(r, "system.log_queue"), "must be in 64..1048576, got 16");
  EXPECT_EQ(reason_at(r, "system.log_level"),
            "expected one of trace, debug, info, warn, error, critical, off, got 'verbose'");
  EXPECT_EQ(reason_at(r, "system.layout[0].core"), "must be in -1..1, got 2");
  EXPECT_EQ(reason_at(r, "system.layout[0].idle"),
            "expected one of spin, backoff, sleep, got 'spinning' (did you mean spin?)");
  EXPECT_EQ(reason_at(r, "system.layout[0].fifo_priority"), "must be in 0..99, got 100");
  EXPECT_EQ(reason_at(r, "feed.dst_port"), "must be in 0..65535, got 70000");
  EXPECT_EQ(reason_at(r, "feed.batch"), "must be in 1..1024, got 0");
  EXPECT_EQ(reason_at(r, "feed.dst_addr"), "expected a dotted IPv4 address, got '1.2.3'");
  EXPECT_EQ(reason_at(r, "risk_management.circuit_breakers.max_reject_rate"), "must be > 0 and <= 1, got 1.5");
  EXPECT_EQ(reason_at(r, "risk_management.max_notional"), "must be > 0 and <= 1e+15, got 0");
  EXPECT_EQ(reason_at(r, "telemetry.http_port"), "must be in 0..65535, got -1");
  EXPECT_EQ(r.errors.size(), 12u) << dump(r.errors);
}

// The features' discontinuity limits: read, and refused out of range with the path and value.
TEST(Config, FeaturesDiscontinuityLimits) {
  const auto ok = parse("features:\n  max_gap_s: 604800\n  max_backwards_s: 0.5\n");
  ASSERT_TRUE(ok.config) << dump(ok.errors);
  EXPECT_EQ(ok.config->features.max_gap_s, 604800.0);
  EXPECT_EQ(ok.config->features.max_backwards_s, 0.5);
  EXPECT_EQ(Config{}.features.max_gap_s, 3600.0);
  EXPECT_EQ(Config{}.features.max_backwards_s, 0.0);
  const auto r = parse("features:\n  max_gap_s: 0\n  max_backwards_s: -1\n");
  EXPECT_FALSE(r.config);
  EXPECT_EQ(reason_at(r, "features.max_gap_s"), "must be > 0 and <= 2.592e+06, got 0");
  EXPECT_EQ(reason_at(r, "features.max_backwards_s"), "must be in [0, 86400], got -1");
  EXPECT_EQ(r.errors.size(), 2u) << dump(r.errors);
  const auto r2 = parse("features:\n  max_gap_s: 3000000\n  max_backwards_s: 86401\n");
  EXPECT_EQ(reason_at(r2, "features.max_gap_s"), "must be > 0 and <= 2.592e+06, got 3e+06");
  EXPECT_EQ(reason_at(r2, "features.max_backwards_s"), "must be in [0, 86400], got 86401");
  EXPECT_EQ(reason_at(parse("features:\n  max_gap_s: .inf\n"), "features.max_gap_s"),
            "must be a finite number, got '.inf'");
}

TEST(Config, FeaturesSessionAndUtcOffset) {
  const auto ok = parse("features:\n  session_open_s: 61200\n  session_close_s: 86400\n  utc_offset_min: -360\n");
  ASSERT_TRUE(ok.config) << dump(ok.errors);
  EXPECT_EQ(ok.config->features.utc_offset_min, -360);
  EXPECT_EQ(ok.config->features.session_open_s, 61200);
  EXPECT_EQ(ok.config->features.session_close_s, 86400);
  const auto r = parse("features:\n  session_open_s: 57600\n  session_close_s: 34200\n  utc_offset_min: 1500\n");
  EXPECT_FALSE(r.config);
  EXPECT_EQ(reason_at(r, "features.utc_offset_min"), "must be in -1440..1440, got 1500");
  EXPECT_EQ(reason_at(r, "features.session_close_s"), "must be after features.session_open_s (57600)");
}

TEST(Config, CoreRangeFollowsTheCpuCount) {
  const std::string text = "system:\n  layout:\n    - {name: hot, stages: [feed, book, monitor], core: 7}\n";
  EXPECT_EQ(reason_at(parse(text, 2), "system.layout[0].core"), "must be in -1..1, got 7");
  EXPECT_TRUE(parse(text, 8).config) << dump(parse(text, 8).errors);
}

TEST(Config, UnknownKeysWithSuggestion) {
  const auto r = parse("system:\n  ring_capacty: 1024\nsytem: {}\nexecution:\n  zzz: 1\n");
  EXPECT_FALSE(r.config);
  EXPECT_EQ(reason_at(r, "system.ring_capacty"), "unknown setting (did you mean ring_capacity?)");
  EXPECT_EQ(reason_at(r, "sytem"), "unknown setting (did you mean system?)");
  EXPECT_EQ(reason_at(r, "execution.zzz"),
            "unknown setting (settings here: method, gamma, k, A, horizon_s, tick_size, "
            "min_spread_ticks, max_quote_levels)");
  EXPECT_EQ(r.errors.size(), 3u) << dump(r.errors);
  // Inside list items too.
  const auto r2 = parse("strategies:\n  - {name: a, max_postion: 5}\n");
  EXPECT_EQ(reason_at(r2, "strategies[0].max_postion"), "unknown setting (did you mean max_position?)");
}

TEST(Config, DuplicateKeyAndWrongShapes) {
  const auto r = parse("feed:\n  batch: 8\n  batch: 16\nsystem: 5\nsymbols: AAPL\nstrategies:\n  - mm1\n");
  EXPECT_EQ(reason_at(r, "feed.batch"), "set twice (line 2 and line 3)");
  EXPECT_EQ(reason_at(r, "system"), "expected a mapping of settings, got '5'");
  EXPECT_EQ(reason_at(r, "symbols"), "expected a list of strings, got 'AAPL'");
  EXPECT_EQ(reason_at(r, "strategies[0]"), "expected a mapping of settings, got 'mm1'");
  EXPECT_EQ(r.errors.size(), 4u) << dump(r.errors);
}

std::string layout_yaml(const std::string& threads, const std::string& extra = "") {
  return "system:\n" + extra + "  layout:\n" + threads;
}

TEST(Config, LayoutMustRunEveryStageOnceInPipelineOrder) {
  // Split over two threads, in order: fine.
  EXPECT_TRUE(parse(layout_yaml("    - {name: a, stages: [feed], core: 1}\n"
                                "    - {name: b, stages: [book, monitor], core: -1}\n"))
                  .config);
  // Out of order across threads.
  auto r = parse(layout_yaml("    - {name: a, stages: [book, monitor], core: -1}\n"
                             "    - {name: b, stages: [feed], core: -1}\n"));
  EXPECT_EQ(reason_at(r, "system.layout[1].stages[0]"),
            "stage 'feed' is out of pipeline order (feed -> book -> clean -> features -> regime -> predict -> strategy -> sim -> monitor): it must come "
            "before 'monitor'");
  EXPECT_EQ(r.errors.size(), 1u) << dump(r.errors);
  // Unknown, duplicated and missing stages; duplicate thread name; empty stage list.
  r = parse(layout_yaml("    - {name: a, stages: [feed, bok], core: -1}\n"
                        "    - {name: a, stages: [feed], core: -1}\n"
                        "    - {name: c, stages: [], core: -1}\n"));
  EXPECT_EQ(reason_at(r, "system.layout[0].stages[1]"),
            "unknown stage 'bok' (stages: feed, book, clean, features, regime, predict, strategy, sim, monitor) (did you mean book?)");
  EXPECT_EQ(reason_at(r, "system.layout[1].stages[0]"),
            "stage 'feed' is already on system.layout[0].stages[0]");
  EXPECT_EQ(reason_at(r, "system.layout[1].name"), "'a' is also the name of system.layout[0]");
  EXPECT_EQ(reason_at(r, "system.layout[2].stages"), "needs at least one stage");
  EXPECT_EQ(reason_at(r, "system.layout"),
            "no thread runs stage book, monitor (each of feed, book, monitor must be on one thread)");
  EXPECT_EQ(r.errors.size(), 5u) << dump(r.errors);
  // clean, features and regime read the book: on its thread, or an error naming that thread.
  r = parse(layout_yaml("    - {name: a, stages: [feed, book, clean], core: -1}\n"
                        "    - {name: b, stages: [features, monitor], core: -1}\n"));
  EXPECT_EQ(reason_at(r, "system.layout[1].stages[0]"),
            "stage 'features' reads the book: it must run on the thread that runs 'book' (system.layout[0])");
  EXPECT_EQ(r.errors.size(), 1u) << dump(r.errors);
  // The optional stages may be left out.
  EXPECT_TRUE(parse(layout_yaml("    - {name: a, stages: [feed], core: -1}\n"
                                "    - {name: b, stages: [book, features, monitor], core: -1}\n"))
                  .errors.empty());
  // A thread without a name; an empty layout.
  r = parse(layout_yaml("    - {stages: [feed, book, monitor], core: -1}\n"));
  EXPECT_EQ(reason_at(r, "system.layout[0].name"), "must not be empty");
  r = parse("system:\n  layout: []\n");
  EXPECT_EQ(reason_at(r, "system.layout"), "needs at least one thread");
}

TEST(Config, CoresOfSpinningThreads) {
  auto r = parse(layout_yaml("    - {name: a, stages: [feed], core: 1}\n"
                             "    - {name: b, stages: [book, monitor], core: 1}\n"));
  EXPECT_EQ(reason_at(r, "system.layout[1].core"),
            "core 1 is also used by spinning thread 'a' (system.layout[0]); two spinning threads cannot share a core");
  EXPECT_EQ(r.errors.size(), 1u) << dump(r.errors);
  // Sharing is fine when one of them sleeps when idle.
  EXPECT_TRUE(parse(layout_yaml("    - {name: a, stages: [feed], core: 1}\n"
                                "    - {name: b, stages: [book, monitor], core: 1, idle: sleep}\n"))
                  .config);
  // The control thread may not sit on a spinning thread's core (when there is another core).
  r = parse(layout_yaml("    - {name: a, stages: [feed, book, monitor], core: 0}\n"));
  EXPECT_EQ(reason_at(r, "system.control_core"),
            "core 0 runs spinning thread 'a'; the control thread needs another core");
  EXPECT_TRUE(parse(layout_yaml("    - {name: a, stages: [feed, book, monitor], core: 0}\n"), 1).config);
  EXPECT_TRUE(parse(layout_yaml("    - {name: a, stages: [feed, book, monitor], core: 0, idle: backoff}\n")).config);
}

TEST(Config, MulticastGroupMustBeInClassD) {
  EXPECT_TRUE(parse("feed:\n  multicast_group: 239.1.1.1\n").config);
  EXPECT_TRUE(parse("feed:\n  multicast_group: 224.0.0.0\n").config);
  EXPECT_EQ(reason_at(parse("feed:\n  multicast_group: 10.0.0.1\n"), "feed.multicast_group"),
            "'10.0.0.1' is not a multicast address (224.0.0.0/4)");
  EXPECT_EQ(reason_at(parse("feed:\n  multicast_group: 240.0.0.1\n"), "feed.multicast_group"),
            "'240.0.0.1' is not a multicast address (224.0.0.0/4)");
  EXPECT_EQ(reason_at(parse("feed:\n  multicast_group: 239.256.1.1\n"), "feed.multicast_group"),
            "expected a dotted IPv4 address, got '239.256.1.1'");
  EXPECT_EQ(reason_at(parse("telemetry:\n  http_bind: localhost\n"), "telemetry.http_bind"),
            "expected a dotted IPv4 address, got 'localhost'");
}

TEST(Config, NanAndInfinityRejected) {
  const auto r = parse("strategies:\n  - {name: a, min_confidence_threshold: .nan}\n"
                       "execution:\n  gamma: nan\n  horizon_s: .inf\n");
  EXPECT_EQ(reason_at(r, "strategies[0].min_confidence_threshold"), "must be a finite number, got '.nan'");
  EXPECT_EQ(reason_at(r, "execution.gamma"), "must be a finite number, got 'nan'");
  EXPECT_EQ(reason_at(r, "execution.horizon_s"), "must be a finite number, got '.inf'");
  EXPECT_EQ(r.errors.size(), 3u) << dump(r.errors);
  // A NaN set in code is caught by validate().
  Config c = default_config();
  c.models.forgetting_factor = std::numeric_limits<double>::quiet_NaN();
  const auto errors = validate(c, 2);
  ASSERT_EQ(errors.size(), 1u) << dump(errors);
  EXPECT_EQ(errors[0].path, "models.forgetting_factor");
  EXPECT_EQ(errors[0].reason, "must be a finite number, got nan");
}

TEST(Config, YamlSyntaxErrorGivesLineAndColumn) {
  const auto r = parse("system:\n  ring_capacity: 1024\nfeed:\n  batch: 8: 9\n");
  EXPECT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r.errors);
  EXPECT_EQ(r.errors[0].path, "");
  EXPECT_EQ(r.errors[0].reason.rfind("YAML syntax error at line 4, column ", 0), 0u) << r.errors[0].reason;
  const std::string file = tmp_file("syntax.yml", "feed:\n  batch: [1\n");
  const auto f = load_config_file(file, 2);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(format_errors(f.errors, file).rfind(file + ": YAML syntax error at line ", 0), 0u)
      << format_errors(f.errors, file);
}

TEST(Config, MissingAndEmptyFiles) {
  auto r = load_config_file(std::string(HFT_TEST_TMP) + "/config_does_not_exist.yml", 2);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason, "cannot read: No such file or directory");
  r = load_config_file(tmp_file("empty.yml", ""), 2);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason.rfind("the file is empty", 0), 0u) << r.errors[0].reason;
  r = load_config_file(tmp_file("comments.yml", "# nothing here\n"), 2);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason.rfind("the file is empty", 0), 0u) << r.errors[0].reason;
  r = load_config_file(HFT_TEST_TMP, 2);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason, "is a directory, not a config file");
  r = parse("- a\n- b\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason.rfind("expected a mapping of sections", 0), 0u) << r.errors[0].reason;
}

// Reads are bounded and never block: devices, FIFOs, sockets and directories are refused before
// any byte is read; a regular file above kMaxConfigBytes is refused. 7 bad files.
TEST(Config, OnlyBoundedRegularFilesAreRead) {
  int tried = 0;
  const auto refused = [&](const std::string& file, const std::string& want) {
    ++tried;
    const auto r = load_config_file(file, 2);
    ASSERT_EQ(r.errors.size(), 1u) << file;
    EXPECT_NE(r.errors[0].reason.find(want), std::string::npos) << file << ": " << r.errors[0].reason;
  };
  refused("/dev/zero", "is not a regular file (a character device)");
  refused("/dev/null", "is not a regular file (a character device)");
  refused(HFT_TEST_TMP, "is a directory");
  // A FIFO with no writer: the open must not wait for one (a blocking open would hang this test).
  const std::string fifo = std::string(HFT_TEST_TMP) + "/config_fifo.yml";
  fs::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  refused(fifo, "is not a regular file (a FIFO)");
  // A descriptor path that does not exist: refused with the reason.
  refused("/proc/self/fd/999999", "cannot read");
  // Just above the cap, and far above (a sparse 1 GiB file: nothing is read).
  const std::string big = tmp_file("big.yml", "");
  fs::resize_file(big, kMaxConfigBytes + 1);
  refused(big, "above the limit of 1048576");
  fs::resize_file(big, std::uintmax_t{1} << 30);
  refused(big, "above the limit of 1048576");
  fs::remove(big);
  EXPECT_EQ(tried, 7);
  // At the cap is fine as far as reading goes (all comment: "empty").
  const std::string at = tmp_file("at_cap.yml", std::string("#") + std::string(kMaxConfigBytes - 2, 'x') + "\n");
  const auto r = load_config_file(at, 2);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason.rfind("the file is empty", 0), 0u) << r.errors[0].reason;
  std::string bytes;
  EXPECT_EQ(read_config_bytes(at, bytes), "");
  EXPECT_EQ(bytes.size(), kMaxConfigBytes);
}

// A second YAML document (after ---) is an error, not silently ignored. 5 bad texts.
TEST(Config, OneYamlDocumentOnly) {
  const std::vector<std::string> bad = {
      "feed:\n  batch: 8\n---\nfeed:\n  batch: 16\n",
      "---\nfeed:\n  batch: 8\n---\n",
      "feed:\n  batch: 8\n...\n---\nrisk_management:\n  max_position: 1\n",
      "---\n---\n",
      "feed:\n  batch: 8\n---\n- x\n---\n3\n",
  };
  for (const std::string& t : bad) {
    const auto r = parse(t);
    EXPECT_FALSE(r.config) << t;
    ASSERT_EQ(r.errors.size(), 1u) << t << dump(r.errors);
    EXPECT_NE(r.errors[0].reason.find("YAML documents (separated by ---); a config is one document"), std::string::npos)
        << r.errors[0].reason;
  }
  EXPECT_EQ(parse(bad.back()).errors[0].reason.rfind("the file holds 3 YAML documents", 0), 0u);
  // One document with an explicit start marker is fine.
  EXPECT_TRUE(parse("---\nfeed:\n  batch: 8\n").config);
}

// Pool sizes are capped to what a machine can hold. 7 bad values.
TEST(Config, PoolSizesCapped) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"feed.max_orders", "feed:\n  max_orders: 1000000000\n"},
      {"feed.max_orders", "feed:\n  max_orders: 33554433\n"},
      {"learner.max_samples", "learner:\n  max_samples: 1073741824\n"},
      {"system.ring_capacity", "system:\n  ring_capacity: 16777216\n"},
      {"learner.min_samples", "learner:\n  min_samples: 100000000\n"},
      {"report.max_rows", "report:\n  max_rows: 1073741824\n"},
      {"models.max_pending", "models:\n  max_pending: 4194304\n"},
  };
  for (const auto& [path, text] : bad) {
    const auto r = parse(text);
    EXPECT_FALSE(r.config) << text;
    EXPECT_TRUE(has_path(r, path)) << text << dump(r.errors);
  }
  EXPECT_TRUE(parse("feed:\n  max_orders: 33554432\n").config);
}

TEST(Config, CrossFieldRules) {
  const auto r = parse(
      "feed:\n  mode: replay\n"
      "symbols: [AAPL, MSFT, AAPL]\n"
      "strategies:\n"
      "  - {name: a, symbols: [MSFT, TSLA], max_position: 10, max_order_qty: 20}\n"
      "  - {name: a}\n"
      "risk_management: {max_position: 100, max_order_qty: 101}\n"
      "simulator: {fees: {maker_per_share: -0.004, taker_per_share: 0.003}}\n");
  EXPECT_FALSE(r.config);
  EXPECT_EQ(reason_at(r, "feed.input"), "required when feed.mode is replay (a SOURCE, e.g. pcap:day.pcap)");
  EXPECT_EQ(reason_at(r, "symbols[2]"), "'AAPL' is listed twice");
  // The symbols list itself is wrong, so strategy symbols are not judged against it.
  EXPECT_FALSE(has_path(r, "strategies[0].symbols[1]"));
  EXPECT_EQ(reason_at(r, "strategies[0].max_order_qty"), "must be <= max_position (10), got 20");
  EXPECT_EQ(reason_at(r, "strategies[1].name"), "'a' is also the name of strategies[0]");
  EXPECT_EQ(reason_at(r, "risk_management.max_order_qty"),
            "must be <= risk_management.max_position (100), got 101");
  EXPECT_EQ(reason_at(r, "simulator.fees"),
            "maker_per_share + taker_per_share must be >= 0 (else a round trip earns fees), got -0.001");
  EXPECT_EQ(r.errors.size(), 6u) << dump(r.errors);

  const auto r2 = parse("symbols: [AAPL, MSFT]\nstrategies:\n  - {name: a, symbols: [MSFT, TSLA]}\n");
  EXPECT_EQ(reason_at(r2, "strategies[0].symbols[1]"), "'TSLA' is not in the top-level symbols list");
  EXPECT_EQ(r2.errors.size(), 1u) << dump(r2.errors);
  // No top-level symbols = all: any strategy symbol is fine.
  EXPECT_TRUE(parse("strategies:\n  - {name: a, symbols: [TSLA]}\n").config);
  EXPECT_TRUE(parse("feed: {mode: replay, input: 'pcap:/data/day.pcap'}\n").config);
}

TEST(Config, AllErrorsAreReportedNotJustTheFirst) {
  const auto r = parse(
      "system:\n  ring_capacity: abc\n  layout:\n    - {name: hot, stages: [feed, book, monitor], core: 9}\n"
      "feed:\n  batchh: 4\n  dst_port: 99999\n"
      "models:\n  horizons: [0]\n"
      "execution:\n  method: twap\n"
      "simulator:\n  order_latency_ns: -1\n"
      "telemetry:\n  publish_interval_ms: .nan\n");
  EXPECT_FALSE(r.config);
  for (const char* p : {"system.ring_capacity", "system.layout[0].core", "feed.dst_port", "feed.batchh",
                        "models.horizons[0]", "execution.method", "simulator.order_latency_ns",
                        "telemetry.publish_interval_ms"})
    EXPECT_TRUE(has_path(r, p)) << p << "\n" << dump(r.errors);
  ASSERT_EQ(r.errors.size(), 8u) << dump(r.errors);
  // In file order (the unknown key too, not after its section's other errors).
  EXPECT_EQ(r.errors[2].path, "feed.batchh");
  EXPECT_EQ(r.errors[3].path, "feed.dst_port");
  EXPECT_EQ(r.errors[7].path, "telemetry.publish_interval_ms");
}

// Latency sampling: 1 in 61 by default; 0, negatives and values past 1,000,000 refused by path.
TEST(Config, LatencySampleEvery) {
  EXPECT_EQ(Config{}.telemetry.latency_sample_every, 61u);
  const auto one = parse("telemetry:\n  latency_sample_every: 1\n");
  ASSERT_TRUE(one.config);
  EXPECT_EQ(one.config->telemetry.latency_sample_every, 1u);
  for (const char* v : {"0", "-5", "1000001", "abc"}) {
    const auto r = parse(std::string("telemetry:\n  latency_sample_every: ") + v + "\n");
    EXPECT_FALSE(r.config) << v;
    EXPECT_TRUE(has_path(r, "telemetry.latency_sample_every")) << v << "\n" << dump(r.errors);
  }
}

TEST(Config, VersionIsTheContentHash) {
  const auto a = parse("feed:\n  batch: 8\n");
  const auto b = parse("feed:\n  batch: 8\n");
  const auto c = parse("feed:\n  batch: 9\n");
  ASSERT_TRUE(a.config && b.config && c.config);
  EXPECT_EQ(a.config->version, b.config->version);
  EXPECT_NE(a.config->version, c.config->version);
  EXPECT_EQ(a.config->version, fnv1a64("feed:\n  batch: 8\n"));
  EXPECT_EQ(fnv1a64(""), 14695981039346656037ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);  // published FNV-1a 64 test vector
  EXPECT_EQ(version_string(0xaf63dc4c8601ec8cull), "0xaf63dc4c8601ec8c");
  EXPECT_EQ(version_string(1), "0x0000000000000001");
  // From a file: same bytes, same version.
  const auto f = load_config_file(tmp_file("version.yml", "feed:\n  batch: 9\n"), 2);
  ASSERT_TRUE(f.config);
  EXPECT_EQ(f.config->version, c.config->version);
}

bool has_change(const std::vector<Change>& changes, const std::string& path, bool restart) {
  return std::find(changes.begin(), changes.end(), Change{path, restart}) != changes.end();
}

TEST(Config, DiffMarksRestartOnlyAndReloadableSettings) {
  const Config a = default_config();
  EXPECT_TRUE(diff(a, a).empty());
  Config b = a;
  b.feed.batch = 32;                               // reload
  b.feed.dst_port = 26477;                         // restart
  b.system.layout[0].core = 0;                     // restart
  b.system.log_level = "debug";                    // reload
  b.strategies.push_back({"mm1", "", {"AAPL"}, 10, 5, 60, 0.6, true, {}});
  b.risk_management.circuit_breakers.max_drawdown = 5;  // reload, nested
  b.telemetry.http_port = 9000;                    // restart
  const auto changes = diff(a, b);
  EXPECT_TRUE(has_change(changes, "feed.batch", false));
  EXPECT_TRUE(has_change(changes, "feed.dst_port", true));
  EXPECT_TRUE(has_change(changes, "system.layout[0].core", true));
  EXPECT_TRUE(has_change(changes, "system.log_level", false));
  EXPECT_TRUE(has_change(changes, "strategies", true));  // the count; strategies are built at start
  EXPECT_TRUE(has_change(changes, "strategies[0].name", true));
  EXPECT_TRUE(has_change(changes, "risk_management.circuit_breakers.max_drawdown", false));
  EXPECT_TRUE(has_change(changes, "telemetry.http_port", true));
  // Nothing else: the strategy brings its 8 settings plus the count.
  EXPECT_EQ(changes.size(), 6u + 9u);
  // Removing the strategy again shows the same paths.
  EXPECT_EQ(diff(b, a).size(), changes.size());
  // version and path are not settings.
  Config c = a;
  c.version = 42;
  c.path = "x";
  EXPECT_TRUE(diff(a, c).empty());
}

// The regime sampling keys: read when valid, each invalid value named with its reason, and both
// restart-only like the rest of regimes.
TEST(Config, RegimeSamplingKeys) {
  const auto ok = parse("regimes: {sample_on: grid, min_moves: 250, warmup: 600}\n");
  ASSERT_TRUE(ok.config) << dump(ok.errors);
  EXPECT_EQ(ok.config->regimes.sample_on, "grid");
  EXPECT_EQ(ok.config->regimes.min_moves, 250u);
  EXPECT_EQ(default_config().regimes.sample_on, "change");
  EXPECT_EQ(default_config().regimes.min_moves, 100u);

  const auto bad = parse("regimes: {sample_on: changes, min_moves: 0}\n");
  EXPECT_FALSE(bad.config);
  EXPECT_EQ(reason_at(bad, "regimes.sample_on"), "expected one of change, grid, got 'changes' (did you mean change?)");
  EXPECT_EQ(reason_at(bad, "regimes.min_moves"), "must be in 1..1000000, got 0");
  EXPECT_EQ(bad.errors.size(), 2u) << dump(bad.errors);
  EXPECT_EQ(reason_at(parse("regimes: {min_moves: -5}\n"), "regimes.min_moves"), "must be in 1..1000000, got -5");
  EXPECT_TRUE(has_path(parse("regimes: {sample_on: 3}\n"), "regimes.sample_on"));
  EXPECT_TRUE(has_path(parse("regimes: {min_moves: many}\n"), "regimes.min_moves"));

  // More moves than the warm-up or a refit window holds could never be met.
  const auto over = parse("regimes: {warmup: 500, min_moves: 501}\n");
  EXPECT_EQ(reason_at(over, "regimes.min_moves"), "must not exceed regimes.warmup (500), got 501");
  EXPECT_EQ(over.errors.size(), 1u) << dump(over.errors);
  const auto over_refit = parse("regimes: {warmup: 5000, refit_window: 3000, min_moves: 4000}\n");
  EXPECT_EQ(reason_at(over_refit, "regimes.min_moves"), "must not exceed regimes.refit_window (3000), got 4000");
  EXPECT_TRUE(parse("regimes: {warmup: 500, min_moves: 500}\n").config);
  // A bad warm-up is reported by itself, not as a min_moves error too.
  const auto bad_warm = parse("regimes: {warmup: 5, min_moves: 100}\n");
  EXPECT_TRUE(has_path(bad_warm, "regimes.warmup"));
  EXPECT_FALSE(has_path(bad_warm, "regimes.min_moves"));

  Config b = default_config();
  b.regimes.sample_on = "grid";
  b.regimes.min_moves = 50;
  const auto changes = diff(default_config(), b);
  EXPECT_TRUE(has_change(changes, "regimes.sample_on", true));
  EXPECT_TRUE(has_change(changes, "regimes.min_moves", true));
  EXPECT_EQ(changes.size(), 2u);
}

// A configuration in which every setting differs from the defaults (and is still valid).
Config everything_changed() {
  Config c = default_config();
  auto& s = c.system;
  s.state_dir = "/tmp/s";
  s.model_dir = "/tmp/m";
  s.ring_capacity = 1024;
  s.ring_full = RingFull::Drop;
  s.layout = {{"a", {"feed"}, 0, Idle::Backoff, 5}, {"b", {"book", "monitor"}, -1, Idle::Sleep, 0}};
  s.control_core = -1;
  s.log_level = "warn";
  s.log_file = "/tmp/log";
  s.log_queue = 64;
  auto& f = c.feed;
  f.mode = "replay";
  f.input = "pcap:x.pcap";
  f.dst_addr = "1.2.3.4";
  f.dst_port = 5;
  f.multicast_group = "239.0.0.1";
  f.interface_addr = "10.0.0.1";
  f.recv_buffer = 8192;
  f.batch = 1;
  f.max_orders = 2048;
  c.symbols = {"AAPL"};
  c.strategies = {{"mm", "market_making", {"AAPL"}, 10, 5, 60, 0.6, false, {{"gamma", "0.2"}}}};
  c.models.path = "/tmp/d";
  c.models.predict = false;
  c.models.threshold = "2";
  c.models.online_learning_rate = 0.5;
  c.models.forgetting_factor = 0.9;
  c.features.hawkes_beta = 5;
  c.execution = {ExecMethod::AlmgrenChriss, 1, 2, 3, 4, 1, 2, 3};
  c.risk_management.max_position = 5;
  c.risk_management.position_limits = {{"AAPL", "4"}};
  c.risk_management.max_notional = 6;
  c.risk_management.max_order_qty = 4;
  c.risk_management.max_orders_per_s = 7;
  c.risk_management.max_open_orders = 3;
  c.risk_management.price_collar_bps = 20;
  c.risk_management.circuit_breakers = {9, 8, 0.5, 10, 2, 1.1, 100, 0.4, 50, false, true};
  c.risk_management.kill_switch_file = "";
  c.simulator.feed_latency_ns = 1;
  c.simulator.order_latency_ns = 2;
  c.simulator.queue_model = QueueModel::ProbPower3;
  c.simulator.fees = {0.001, 0.002};
  c.telemetry = {"0.0.0.0", 1, 2, 3, 4, 5, 7, 2048, 9};
  return c;
}

TEST(Config, ApplyReloadableKeepsRestartOnlySettings) {
  const Config running = default_config();
  Config next = everything_changed();
  ASSERT_TRUE(validate(next, 2).empty()) << dump(validate(next, 2));
  next.version = 7;
  next.path = "next.yml";
  const auto all = diff(running, next);
  // Every restart-only setting named in the header is flagged as such.
  for (const char* p :
       {"system.state_dir", "system.model_dir", "system.ring_capacity", "system.ring_full", "system.layout",
        "system.layout[0].core", "system.control_core", "system.log_file", "system.log_queue", "feed.mode",
        "feed.input", "feed.dst_addr", "feed.dst_port", "feed.multicast_group", "feed.interface_addr",
        "feed.recv_buffer", "feed.max_orders", "telemetry.http_bind", "telemetry.http_port", "telemetry.http_max_connections",
        "telemetry.http_max_request_bytes", "telemetry.http_idle_timeout_s", "strategies[0].name"})
    EXPECT_TRUE(has_change(all, p, true)) << p;
  for (const char* p : {"system.log_level", "feed.batch", "symbols", "models.threshold",
                        "execution.A", "risk_management.kill_switch_file", "simulator.fees.taker_per_share",
                        "telemetry.summary_interval_s", "telemetry.config_watch_interval_ms"})
    EXPECT_TRUE(has_change(all, p, false)) << p;
  // Every setting differs, so the diff lists every setting: restart ones and reloadable ones.
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const Change& ch) { return !ch.needs_restart; }), 37);

  const Config applied = apply_reloadable(running, next);
  EXPECT_EQ(applied.version, 7u);
  EXPECT_EQ(applied.path, "next.yml");
  for (const auto& ch : diff(running, applied)) EXPECT_FALSE(ch.needs_restart) << ch.path;  // kept
  for (const auto& ch : diff(applied, next)) EXPECT_TRUE(ch.needs_restart) << ch.path;      // only those
  EXPECT_EQ(diff(running, applied).size() + diff(applied, next).size(), all.size());
  EXPECT_EQ(applied.system.layout, running.system.layout);
  EXPECT_EQ(applied.feed.dst_port, running.feed.dst_port);
  EXPECT_EQ(applied.feed.batch, 1u);
  EXPECT_EQ(applied.system.log_level, "warn");
}

}  // namespace
}  // namespace hft::config

// `hftd check-config`, when the binary has been built (the config tests do not build it).
namespace hft::config {
namespace {

struct Run {
  int exit_code;
  std::string output;
};

Run run_hftd(const std::string& args) {
  Run r{-1, {}};
  FILE* p = popen((std::string(HFTD_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(CheckConfigCommand, ValidFilePrintsVersionAndLayoutBrokenFileEveryError) {
  if (!fs::exists(HFTD_BINARY)) GTEST_SKIP() << "hftd not built";
  auto r = run_hftd("check-config --cpus 2 " + repo_config());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto c = load_config_file(repo_config(), 2);
  ASSERT_TRUE(c.config);
  EXPECT_NE(r.output.find(repo_config() + ": ok (version " + version_string(c.config->version) + ")"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("feed -> book -> clean -> features -> regime -> predict -> strategy -> sim -> monitor"), std::string::npos) << r.output;

  const std::string bad = tmp_file("cli_bad.yml", "system:\n  ring_capacty: 1024\nfeed:\n  dst_port: 70000\n");
  r = run_hftd("check-config --cpus 2 " + bad);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output, bad + ": system.ring_capacty: unknown setting (did you mean ring_capacity?)\n" + bad +
                          ": feed.dst_port: must be in 0..65535, got 70000\n");
  r = run_hftd("check-config");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace hft::config

namespace hft::config {
namespace {

TEST(Config, StrategiesAsAMappingOfNamesWithTheirOwnSettings) {
  const auto r = parse(
      "strategies:\n"
      "  market_direction_v1: {symbols: [AMZN], max_position: 500, retrain_hours: 4, min_confidence_threshold: 0.6, horizon_s: 30}\n"
      "  mm: {type: market_making, gamma: 0.1}\n"
      "risk_management:\n  position_limits: {AMZN: 300, default: 1000}\n");
  ASSERT_TRUE(r.config) << dump(r.errors);
  const Config& c = *r.config;
  ASSERT_EQ(c.strategies.size(), 2u);
  EXPECT_EQ(c.strategies[0].name, "market_direction_v1");
  EXPECT_EQ(c.strategies[0].max_position, 500);
  EXPECT_DOUBLE_EQ(c.strategies[0].retrain_hours, 4);
  EXPECT_EQ(c.strategies[1].type, "market_making");
  ASSERT_EQ(c.strategies[1].params.size(), 1u);
  EXPECT_EQ(c.strategies[1].params[0].first, "gamma");
  ASSERT_EQ(c.risk_management.position_limits.size(), 2u);
  EXPECT_EQ(c.risk_management.position_limits[0].second, "300");
}

TEST(Config, BadPositionLimitsAndNestedStrategySettingsAreErrors) {
  const auto r = parse(
      "strategies:\n  mm: {gamma: [1, 2]}\n"
      "risk_management:\n  position_limits: {AMZN: -3, 'a b': 5}\n");
  EXPECT_FALSE(r.config);
  EXPECT_TRUE(has_path(r, "strategies.mm.gamma")) << dump(r.errors);
  EXPECT_TRUE(has_path(r, "risk_management.position_limits.AMZN")) << dump(r.errors);
  EXPECT_TRUE(has_path(r, "risk_management.position_limits.a b")) << dump(r.errors);
}

}  // namespace
}  // namespace hft::config

namespace feed_mold_config {
using namespace hft::config;
TEST(ConfigFeedMold, LiveFeedSettingsAreChecked) {
  const auto ok = parse_config("feed:\n  sources: [10.0.0.1, \"10.0.0.2:30000\"]\n  silence_s: 2\n  mold:\n"
                               "    rerequest: \"10.0.0.9:18000\"\n    request_retries: 0\n", "", 2);
  ASSERT_TRUE(ok.config);
  EXPECT_EQ(ok.config->feed.sources.size(), 2u);
  EXPECT_EQ(ok.config->feed.mold.rerequest, "10.0.0.9:18000");
  const auto bad = parse_config("feed:\n  sources: [10.0.0, \"10.0.0.2:0\"]\n  silence_s: -1\n  mold:\n"
                                "    rerequest: 10.0.0.9\n    jump_confirm: 0\n    max_jump: 0\n"
                                "    request_timeout_ms: 0\n    request_max_msgs: 70000\n    hold_packets: 1\n", "", 2);
  ASSERT_FALSE(bad.config);
  std::string all;
  for (const auto& e : bad.errors) all += e.path + ": " + e.reason + "\n";
  for (const char* path : {"feed.sources[0]", "feed.sources[1]", "feed.silence_s", "feed.mold.rerequest",
                           "feed.mold.jump_confirm", "feed.mold.max_jump", "feed.mold.request_timeout_ms",
                           "feed.mold.request_max_msgs", "feed.mold.hold_packets"})
    EXPECT_NE(all.find(std::string(path) + ": "), std::string::npos) << path << "\n" << all;
  EXPECT_NE(all.find("feed.mold.rerequest: expected ADDR:PORT"), std::string::npos) << all;
  // A restart setting: a reload keeps the running value.
  Config running = default_config(), next = default_config();
  next.feed.mold.rerequest = "10.0.0.9:18000";
  next.feed.silence_s = 1;
  const Config applied = apply_reloadable(running, next);
  EXPECT_EQ(applied.feed.mold.rerequest, "");
  EXPECT_EQ(applied.feed.silence_s, 1);
}
}  // namespace feed_mold_config

namespace hft::config {
namespace {

// Spinning threads that hold every core are valid but starve the background work: a warning,
// not an error, and only when they do hold every core.
TEST(ConfigWarnings, SpinningThreadsOnEveryCoreAreNamed) {
  Config c = default_config();
  EXPECT_TRUE(warnings(c, 2).empty());  // the default: one spinning thread
  c.system.layout = {ThreadLayout{"feed", {"feed"}, 0, Idle::Spin, 0},
                     ThreadLayout{"hot", {"book", "monitor"}, 1, Idle::Spin, 0}};
  const auto w = warnings(c, 2);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("2 threads spin when idle on a machine of 2 CPUs"), std::string::npos) << w[0];
  EXPECT_TRUE(warnings(c, 4).empty());
  c.system.layout[0].idle = Idle::Backoff;
  EXPECT_TRUE(warnings(c, 2).empty());
  EXPECT_TRUE(validate(c, 2).empty());  // valid all the same
}

TEST(Config, InstrumentsAreReadAndValidated) {
  const auto ok = parse(
      "instruments:\n"
      "  - {symbol: ETHUSDT, market: usdm, price_scale: 100, tick: \"0.01\", qty_scale: 1000, lot: \"0.001\"}\n"
      "  - {symbol: ZN, market: spot, price_scale: 128, tick: \"0.0078125\", qty_scale: 1, lot: \"1\"}\n");
  ASSERT_TRUE(ok.config) << dump(ok.errors);
  ASSERT_EQ(ok.config->instruments.size(), 2u);
  const InstrumentScale s = scale_of(ok.config->instruments[0]);
  EXPECT_EQ(s.price_scale, 100);
  EXPECT_EQ(s.tick, 1);
  EXPECT_EQ(s.qty_scale, 1000);
  EXPECT_EQ(s.lot, 1);
  EXPECT_EQ(scale_of(ok.config->instruments[1]).tick, 1);  // 1/128 in 1/128ths

  const auto r = parse(
      "instruments:\n"
      "  - {symbol: A, market: spot, price_scale: 100, tick: \"0.005\"}\n"
      "  - {symbol: B, market: perp}\n"
      "  - {symbol: C, market: spot, tick: abc, lot: \"0.5\"}\n"
      "  - {symbol: A, market: spot, price_scale: 100, tick: \"0.01\"}\n");
  EXPECT_FALSE(r.config);
  EXPECT_NE(reason_at(r, "instruments[0].tick").find("not a whole number of units at price_scale 100"), std::string::npos)
      << dump(r.errors);
  EXPECT_TRUE(has_path(r, "instruments[1].market")) << dump(r.errors);
  EXPECT_NE(reason_at(r, "instruments[2].tick").find("positive decimal"), std::string::npos) << dump(r.errors);
  EXPECT_NE(reason_at(r, "instruments[2].lot").find("qty_scale 1"), std::string::npos) << dump(r.errors);
  EXPECT_NE(reason_at(r, "instruments[3].symbol").find("also instruments[0]"), std::string::npos) << dump(r.errors);
}

}  // namespace
}  // namespace hft::config
