// Restart of a learning daemon: `hftd run` replays a generated day with the learner on and
// persisting; it is killed (SIGKILL, no clean stop) once it has promoted a model and spilled its
// samples. Started again, it serves the newest valid model from the store and resumes from the
// spilled samples. A torn spill is refused with the reason in the log, and nothing else is lost
// (the model is still served, the day still replayed).
// Timeouts only keep a broken build from hanging the suite; nothing asserts a duration.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hft/model/store.hpp"
#include "../common/process.hpp"
#include "../common/service_util.hpp"
#include "run_util.hpp"

extern char** environ;

namespace {

using namespace hft::e2e;
using namespace hft::testing;

TEST(LearnerRestart, KilledDaemonResumesFromTheNewestModelAndItsSpillAndRefusesATornSpill) {
  namespace fs = std::filesystem;
  const std::string work = tmp("learner-restart");
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string pcap = work + "/day.pcap";
  auto r = run("gen --out " + pcap + " --messages 300000 --instruments 2 --seed 4 --live-target 100");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const std::string models = work + "/models", state = work + "/state";
  const std::string cfg = work + "/config.yml";
  write_file(cfg, "system:\n  state_dir: " + state + "\n  control_core: -1\n  background_priority: normal\n"
                  "  layout:\n    - {name: hot, stages: [feed, book, clean, features, regime, predict, monitor], core: -1, idle: backoff}\n"
                  "feed:\n  mode: replay\n  input: pcap:" + pcap + "\n"
                  "telemetry:\n  http_port: 0\n"
                  "models:\n  path: " + models + "\n  horizons: [\"10\"]\n  members: [boosted, logistic]\n"
                  "  boosted: {rounds: 8, max_depth: 3}\n"
                  "learner:\n  enabled: true\n  retrain_hours: 1\n  min_samples: 3000\n  max_samples: 20000\n"
                  "  promote_margin: 0\n  spill_every_s: 600\n");
  const std::string spill = state + "/learner/samples.hftc";

  // First run: killed once a version is in the store and the samples are spilled.
  {
    const std::string log = work + "/run1.log";
    Process daemon(run_daemon_args(cfg), log);
    ASSERT_GT(daemon.pid, 0);
    const bool ready = wait_for([&] { return !hft::model::list_versions(models).empty() && fs::exists(spill + ".sha256"); },
                                std::chrono::seconds(300));
    const bool still_running = !daemon.exited();
    daemon.stop(SIGKILL);
    ASSERT_TRUE(ready) << slurp(log);
    EXPECT_TRUE(still_running) << "the replay ended before the kill: " << slurp(log);
  }
  const std::vector<std::string> versions = hft::model::list_versions(models);
  ASSERT_FALSE(versions.empty());
  const std::string newest = versions.front();
  ASSERT_TRUE(fs::exists(spill));
  fs::copy_file(spill, work + "/spill.copy");
  fs::copy_file(spill + ".sha256", work + "/spill.copy.sha256");

  // Second run: the newest version served, the spill resumed.
  r = run("run --config " + cfg);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("models: serving version " + newest), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("learner: resumed "), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("spill refused"), std::string::npos) << r.output;

  // Third run: the spill torn (cut short) as a crash in the middle of a write would leave it.
  fs::copy_file(work + "/spill.copy", spill, fs::copy_options::overwrite_existing);
  fs::copy_file(work + "/spill.copy.sha256", spill + ".sha256", fs::copy_options::overwrite_existing);
  fs::resize_file(spill, fs::file_size(spill) * 2 / 3);
  const std::string served_now = hft::model::list_versions(models).front();
  r = run("run --config " + cfg);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("learner: spill refused, starting without it: " + spill + ": sha256 mismatch"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("models: serving version " + served_now), std::string::npos) << "the model was lost: " << r.output;
  EXPECT_NE(r.output.find("feed ended"), std::string::npos) << r.output;
}

}  // namespace
