// Continuous learning end to end on generated days: the learner bootstraps a first model, keeps
// retraining on schedule, promotes challengers only when they beat the champion, and the
// prediction stage swaps them in at fixed points of event time. Checked apart from the stages
// that do it: the monitor stage (the end of the hot path) counts torn predictions and the first
// event time each model index is seen at; replays give the same decisions and predictions on
// every run and layout; the spill survives a round trip and a damaged one is refused.
#include <gtest/gtest.h>

#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "hft/engine/engine.hpp"
#include "hft/engine/engine_impl.hpp"
#include "hft/gen/generator.hpp"
#include "hft/learn/learner.hpp"
#include "hft/model/sha256.hpp"
#include "generated_days.hpp"
#include "hft/sources/open.hpp"

namespace {

using namespace hft;

std::string ltmp(const std::string& name) { return hft::testing::process_tmp(name); }

const std::string& lday() {
  static const std::string path = hft::testing::thin_day("learner-day", 120'000, 2);
  return path;
}

std::unique_ptr<feed::EventSource> open_lday() { return sources::open_source(sources::parse_source_spec("pcap:" + lday())); }

// Small, fast models; no store (the learner bootstraps the first model); a retrain every 15
// minutes of event time (about 25 in the generated 6.5-hour day).
config::Config learning_config() {
  config::Config c = config::default_config();
  c.system.layout = {config::ThreadLayout{"hot", {"feed", "book", "clean", "features", "regime", "predict", "monitor"}, -1,
                                          config::Idle::Spin, 0}};
  c.system.max_instruments = 16;
  c.system.background_priority = config::BackgroundPriority::Normal;  // tests run side by side
  c.system.state_dir = ltmp("learner-state");
  c.feed.max_orders = 1 << 18;
  c.models.path = ltmp("learner-no-store");  // empty: nothing served at start
  c.models.horizons = {"10"};
  c.models.members = {"boosted", "logistic"};
  c.models.boosted.rounds = 8;
  c.models.boosted.max_depth = 3;
  c.learner.enabled = true;
  c.learner.retrain_hours = 0.25;
  c.learner.min_samples = 2500;
  c.learner.max_samples = 15000;
  c.learner.promote_margin = 0;
  c.learner.swap_lag_s = 30;
  c.learner.persist = false;
  return c;
}

struct ReplayRun {
  std::vector<std::tuple<std::string, std::string, Nanos>> decisions;  // outcome, version, request time
  std::uint64_t digest = 0, made = 0, labelled = 0, events = 0, arrived = 0, torn = 0, swaps = 0, freed = 0, promoted = 0;
  std::vector<Nanos> first_seen;  // by model index (sequence number)
};

ReplayRun replay(const config::Config& c) {
  learn::Learner learner(c, c.learner.persist);
  engine::EngineOptions eo;
  eo.learner = &learner.link();
  engine::Engine e(c, open_lday(), eo);
  learner.start(-1);
  e.start();
  e.join();
  learner.stop();
  ReplayRun r;
  for (const auto& d : learner.decisions()) r.decisions.emplace_back(d.outcome, d.version, d.t_request);
  const auto& ps = e.stage<engine::PredictStage>();
  const auto& mon = e.stage<engine::MonitorStage>();
  r.digest = ps.digest;
  r.made = ps.made;
  r.labelled = ps.labelled;
  r.events = e.source().stats().events;
  for (const auto& k : mon.kinds) r.arrived += k.get();
  r.torn = mon.torn_predictions;
  r.first_seen.assign(mon.first_seen.begin(), mon.first_seen.end());
  r.swaps = learner.link().swaps.get();
  r.freed = learner.link().freed.get();
  r.promoted = learner.link().promoted.get();
  return r;
}

// The learner publishes many versions during a replay run as fast as it goes: nothing is lost,
// no prediction is torn, and no version is seen before it was published (its request time plus
// the swap lag, the fixed point where the prediction stage takes it).
TEST(Learner, PublishesManyVersionsDuringAReplayAndEachIsSeenOnlyAfterItsSwap) {
  const config::Config c = learning_config();
  const ReplayRun r = replay(c);
  std::printf("hot-swap: %zu requests, %llu promoted, %llu swapped in, %llu freed; %llu events, %llu arrived, %llu predictions, %llu torn\n",
              r.decisions.size(), static_cast<unsigned long long>(r.promoted), static_cast<unsigned long long>(r.swaps),
              static_cast<unsigned long long>(r.freed), static_cast<unsigned long long>(r.events),
              static_cast<unsigned long long>(r.arrived), static_cast<unsigned long long>(r.made),
              static_cast<unsigned long long>(r.torn));
  ASSERT_GE(r.decisions.size(), 10u);
  EXPECT_EQ(std::get<0>(r.decisions.front()), "promoted") << "the bootstrap model beats the class frequencies";
  EXPECT_GE(r.promoted, 4u) << "a few challengers beat their champion";
  EXPECT_EQ(r.arrived, r.events) << "every event reached the end of the hot path";
  EXPECT_EQ(r.torn, 0u);
  EXPECT_GT(r.made, 10'000u);
  EXPECT_GE(r.swaps + 1, r.promoted) << "every promotion is swapped in (the last may fall after the end)";
  EXPECT_GE(r.freed + 1, r.swaps) << "replaced versions are freed";
  const Nanos lag = static_cast<Nanos>(c.learner.swap_lag_s * 1e9);
  std::size_t seq = 0;
  for (const auto& [outcome, version, t] : r.decisions) {
    if (outcome != "promoted") continue;
    ++seq;
    if (r.first_seen[seq] == INT64_MAX) continue;  // never predicted with (replaced at once or after the end)
    EXPECT_GE(r.first_seen[seq], t + lag) << version << " seen before its swap point";
  }
  for (std::size_t k = seq + 1; k < r.first_seen.size(); ++k) EXPECT_EQ(r.first_seen[k], INT64_MAX) << "index " << k << " was never published";
}

// The same promotions (versions are named by their request's event time in memory) and the same
// predictions on another run in the other layout (its threads, rings and timing all differ).
TEST(Learner, SameDecisionsAndPredictionsOnEveryRunAndLayout) {
  config::Config c = learning_config();
  const ReplayRun a = replay(c);  // fused
  ASSERT_GE(a.decisions.size(), 5u);
  c.system.layout = {config::ThreadLayout{"feed", {"feed"}, -1, config::Idle::Backoff, 0},
                     config::ThreadLayout{"rest", {"book", "clean", "features", "regime", "predict", "monitor"}, -1,
                                          config::Idle::Backoff, 0}};
  const ReplayRun s = replay(c);
  EXPECT_EQ(s.decisions, a.decisions);
  EXPECT_EQ(s.digest, a.digest);
  EXPECT_EQ(s.made, a.made);
}

// A generated day whose order flow changes at 12:45 (--flow-switch-at 0.5: the level-1
// imbalance stops pointing to the next mid move and starts pointing away from it), and the same
// day without the change.
std::string flow_day(bool with_switch) {
  const std::string dir = ltmp(with_switch ? "flow-switch" : "flow-flat");
  std::filesystem::create_directories(dir);
  gen::GenConfig g;
  g.seed = 5;
  g.messages = 1'000'000;
  g.instruments = 2;
  g.live_target = 200;
  g.flow_switch_at = with_switch ? 0.5 : 0.0;
  g.out_path = dir + "/day.pcap";
  gen::generate_pcap(g);
  return g.out_path;
}

struct DriftRun {
  std::vector<learn::LearnerDecision> decisions;
  std::uint64_t alarms = 0;
  std::vector<std::tuple<Nanos, double>> quality;  // bucket start, mean log-loss
  Nanos width = 0;
};

DriftRun drift_replay(const std::string& day) {
  config::Config c = learning_config();
  c.models.members = {"boosted", "logistic"};
  c.learner.retrain_hours = 100;  // no schedule: only the bootstrap and drift
  c.learner.min_samples = 10000;
  c.learner.max_samples = 20000;
  c.learner.promote_margin = 0.01;
  c.learner.swap_lag_s = 60;
  c.learner.drift = "page_hinkley";
  c.report.quality_s = 120;
  learn::Learner learner(c, false);
  engine::EngineOptions eo;
  eo.learner = &learner.link();
  engine::Engine e(c, sources::open_source(sources::parse_source_spec("pcap:" + day)), eo);
  learner.start(-1);
  e.start();
  e.join();
  learner.stop();
  DriftRun r;
  r.decisions = learner.decisions();
  r.alarms = learner.link().drift_alarms.get();
  const auto& ps = e.stage<engine::PredictStage>();
  r.width = ps.quality_width;
  for (std::size_t k = 0; k < ps.quality.size(); ++k)
    if (ps.quality[k].n > 1000)
      r.quality.emplace_back(ps.quality_t0 + static_cast<Nanos>(k) * ps.quality_width,
                             ps.quality[k].log_loss / static_cast<double>(ps.quality[k].n));
  return r;
}

// Drift: the change is detected after it happens (never before), a retrain on the samples since
// the estimated change follows, the challenger is promoted, and the online log-loss after the
// swap is well below what it was between the change and the swap. The same day without the
// change: no drift alarm, so no drift-triggered retrain.
TEST(Learner, DriftAfterAFlowChangeIsDetectedRetrainedOnAndPromoted) {
  const Nanos switch_at = 34'200'000'000'000LL + (57'600'000'000'000LL - 34'200'000'000'000LL) / 2;  // 12:45
  const DriftRun r = drift_replay(flow_day(true));
  const learn::LearnerDecision* drift = nullptr;
  for (const auto& d : r.decisions) {
    if (d.reason != "drift") continue;
    EXPECT_GT(d.t_request, switch_at) << "a drift retrain before the change";
    if (!drift) drift = &d;
  }
  ASSERT_NE(drift, nullptr) << "the change was not detected (" << r.alarms << " alarms)";
  EXPECT_EQ(drift->outcome, "promoted") << drift->why;
  EXPECT_GT(drift->since, switch_at - 600'000'000'000LL) << "change point estimated far before the change";
  EXPECT_LT(drift->since, drift->t_request);
  EXPECT_LT(drift->challenger_log_loss, drift->champion_log_loss);
  // Online log-loss (2-minute buckets wholly inside each span): between the change and the
  // swap, and after the swap.
  const Nanos swap = drift->t_request + 60'000'000'000LL;
  double before = 0, after = 0;
  int nb = 0, na = 0;
  for (const auto& [t, ll] : r.quality) {
    if (t >= switch_at && t + r.width <= swap) before += ll, ++nb;
    if (t >= swap) after += ll, ++na;
  }
  ASSERT_GT(nb, 0);
  ASSERT_GT(na, 2);
  before /= nb;
  after /= na;
  EXPECT_LT(after, 0.8 * before) << "the promoted model did not recover the prediction quality";
  std::printf("drift: change at %.0f s, estimated from %.0f s, request at %.0f s; log-loss %.3f -> %.3f (champion %.3f, challenger %.3f on the newest slice)\n",
              static_cast<double>(switch_at) / 1e9, static_cast<double>(drift->since) / 1e9,
              static_cast<double>(drift->t_request) / 1e9, before, after, drift->champion_log_loss, drift->challenger_log_loss);

  const DriftRun flat = drift_replay(flow_day(false));
  EXPECT_EQ(flat.alarms, 0u) << "false alarms on a day without a change";
  for (const auto& d : flat.decisions) EXPECT_NE(d.reason, "drift") << "a drift-triggered retrain on a day without a change";
}

learn::StoreRows small_rows() {
  learn::StoreRows r;
  r.cols = 3;
  for (int i = 0; i < 50; ++i) {
    for (int c = 0; c < 3; ++c) r.x.push_back(static_cast<float>(i * 10 + c) * 0.5f);
    r.t.push_back(1'000'000'000LL * i);
    r.t_end.push_back(1'000'000'000LL * i + 250'000'000);
    r.instrument.push_back(static_cast<InstrumentId>(i % 3));
    r.regime.push_back(static_cast<std::uint8_t>(i % 9));
    r.label.push_back({0.25 * i, 0.5 * i, -0.125 * i, r.t_end.back()});
  }
  return r;
}

TEST(LearnerSpill, RoundTripKeepsEveryRow) {
  const std::string dir = ltmp("spill-rt");
  std::filesystem::create_directories(dir);
  const std::vector<std::string> names = {"a", "b", "c"};
  const learn::StoreRows r = small_rows();
  learn::write_spill(dir + "/s.hftc", r, names, 0x1234);
  const learn::StoreRows back = learn::read_spill(dir + "/s.hftc", names, 0x1234);
  EXPECT_EQ(back.x, r.x);
  EXPECT_EQ(back.t, r.t);
  EXPECT_EQ(back.t_end, r.t_end);
  EXPECT_EQ(back.instrument, r.instrument);
  EXPECT_EQ(back.regime, r.regime);
  ASSERT_EQ(back.label.size(), r.label.size());
  for (std::size_t i = 0; i < r.label.size(); ++i) {
    EXPECT_EQ(back.label[i].move_ticks, r.label[i].move_ticks);
    EXPECT_EQ(back.label[i].ret_bps, r.label[i].ret_bps);
    EXPECT_EQ(back.label[i].t_end, r.label[i].t_end);
  }
}

// A spill replaced by a newer one while the daemon may be killed: every state a kill can leave
// (write_spill's steps: new data written aside, checksum file listing both sums, data renamed,
// checksum file listing the new sum) reads back as the older spill or the newer one, never a
// refusal; when write_spill returns, the checksum file lists the new sum alone.
TEST(LearnerSpill, AKillAnywhereInASpillLeavesTheOldOrTheNewOne) {
  const std::string dir = ltmp("spill-kill");
  std::filesystem::create_directories(dir);
  const std::vector<std::string> names = {"a", "b", "c"};
  const learn::StoreRows old_rows = small_rows();
  learn::StoreRows new_rows = small_rows();
  for (float& x : new_rows.x) x += 1.0f;
  const std::string a = dir + "/a.hftc", b = dir + "/b.hftc", f = dir + "/s.hftc";
  learn::write_spill(a, old_rows, names, 0x1234);
  learn::write_spill(b, new_rows, names, 0x1234);
  const auto sum_of = [](const std::string& file) {
    std::ifstream in(file + ".sha256");
    std::string w;
    in >> w;
    return w;
  };
  const std::string sa = sum_of(a), sb = sum_of(b);
  ASSERT_EQ(sa.size(), 64u);
  ASSERT_NE(sa, sb);
  struct State {
    const char* what;
    const std::string* data;
    std::string sums;
    const learn::StoreRows* expect;
  };
  const State states[] = {{"before the checksum file changed", &a, sa + "\n", &old_rows},
                          {"checksum file lists both, old data", &a, sb + "\n" + sa + "\n", &old_rows},
                          {"checksum file lists both, new data", &b, sb + "\n" + sa + "\n", &new_rows},
                          {"done", &b, sb + "\n", &new_rows}};
  for (const State& st : states) {
    std::filesystem::copy_file(*st.data, f, std::filesystem::copy_options::overwrite_existing);
    std::ofstream(f + ".sha256", std::ios::trunc) << st.sums;
    try {
      EXPECT_EQ(learn::read_spill(f, names, 0x1234).x, st.expect->x) << st.what;
    } catch (const std::runtime_error& e) {
      ADD_FAILURE() << st.what << ": " << e.what();
    }
  }
  // The data of one spill with the checksum of the other alone: refused (a corrupt pair).
  std::filesystem::copy_file(b, f, std::filesystem::copy_options::overwrite_existing);
  std::ofstream(f + ".sha256", std::ios::trunc) << sa << "\n";
  EXPECT_THROW((void)learn::read_spill(f, names, 0x1234), std::runtime_error);
  // write_spill over an older spill: the new sum alone at the end, and it reads back.
  learn::write_spill(f, old_rows, names, 0x1234);
  learn::write_spill(f, new_rows, names, 0x1234);
  std::ifstream in(f + ".sha256");
  std::vector<std::string> listed;
  for (std::string w; in >> w;) listed.push_back(w);
  EXPECT_EQ(listed, std::vector<std::string>{sb});
  EXPECT_EQ(learn::read_spill(f, names, 0x1234).x, new_rows.x);
  // And write_spill's order, not only what read_spill accepts: the new data's sum is listed,
  // with the old one, before the data takes its place. The data rename is made to fail (a
  // directory holds the spill's name): the checksum file already lists the sum of the data
  // written aside (hashed here from that file) and the sum it listed before.
  const std::string g = dir + "/blocked.hftc";
  std::filesystem::create_directories(g + "/in-the-way");
  std::ofstream(g + ".sha256", std::ios::trunc) << sa << "\n";
  EXPECT_THROW(learn::write_spill(g, new_rows, names, 0x1234), std::filesystem::filesystem_error);
  std::ifstream in2(g + ".sha256");
  std::vector<std::string> before_rename;
  for (std::string w; in2 >> w;) before_rename.push_back(w);
  EXPECT_EQ(before_rename, (std::vector<std::string>{model::sha256_file(g + ".tmp"), sa}));
}

TEST(LearnerSpill, DamagedOrForeignSpillsAreRefusedWithTheReason) {
  const std::string dir = ltmp("spill-bad");
  std::filesystem::create_directories(dir);
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::string f = dir + "/s.hftc";
  auto expect_refused = [&](const std::string& what, const std::vector<std::string>& n, std::uint64_t hash) {
    try {
      (void)learn::read_spill(f, n, hash);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  learn::write_spill(f, small_rows(), names, 0x1234);
  expect_refused("another feature set", {"a", "b", "x"}, 0x1234);
  expect_refused("schema", names, 0x9999);
  {  // one flipped byte in the middle
    std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(200);
    char ch = 0;
    io.read(&ch, 1);
    io.seekp(200);
    ch = static_cast<char>(ch ^ 0x40);
    io.write(&ch, 1);
  }
  expect_refused("sha256 mismatch", names, 0x1234);
  learn::write_spill(f, small_rows(), names, 0x1234);
  std::filesystem::resize_file(f, std::filesystem::file_size(f) / 2);  // torn: cut short
  expect_refused("sha256 mismatch", names, 0x1234);
  learn::write_spill(f, small_rows(), names, 0x1234);
  std::filesystem::remove(f + ".sha256");
  expect_refused("no checksum", names, 0x1234);
}

}  // namespace
