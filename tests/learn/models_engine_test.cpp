// The models end to end on a generated day: a trained ensemble saved to the store and served by
// the prediction stage. No look-ahead (features, training labels and predictions at or before
// t do not change when every event after t does), purging, the same predictions on every run
// and layout, the store's refusals at start-up, and the saved model predicting exactly what the
// trainer's model predicted.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "hft/engine/engine.hpp"
#include "hft/engine/engine_impl.hpp"
#include "hft/engine/stage_config.hpp"
#include "hft/features/features.hpp"
#include "hft/gen/generator.hpp"
#include "hft/learn/dataset.hpp"
#include "hft/learn/train.hpp"
#include "hft/model/serving.hpp"
#include "hft/model/store.hpp"
#include "hft/sources/open.hpp"
#include "generated_days.hpp"

namespace {

using namespace hft;

// Each test runs in a process of its own (ctest, in parallel): a process's files are its own.
std::string tmp(const std::string& name) { return hft::testing::process_tmp(name); }

const std::string& day() {
  static const std::string path = hft::testing::thin_day("models-day", 150'000, 2);
  return path;
}

config::Config small_config() {
  config::Config c = config::default_config();
  c.system.layout = {config::ThreadLayout{"hot", {"feed", "book", "clean", "features", "regime", "predict", "monitor"}, -1,
                                          config::Idle::Spin, 0}};
  c.system.max_instruments = 16;
  c.feed.max_orders = 1 << 18;
  c.models.horizons = {"10", "200ms"};
  c.models.sample_on = "top";
  c.models.boosted.rounds = 15;
  c.models.boosted.max_depth = 3;
  c.models.forest.trees = 4;
  c.models.forest.max_depth = 3;
  c.models.mlp.hidden = {"8"};
  c.models.mlp.epochs = 3;
  c.models.walk_forward.folds = 2;
  return c;
}

// Events after `after` (exchange time) changed: every add's size doubled and price moved a tick
// up; the rest as recorded.
class MutateAfter final : public feed::EventSource {
 public:
  MutateAfter(std::unique_ptr<feed::EventSource> in, Nanos after) : in_(std::move(in)), after_(after) {}
  std::size_t next(std::span<MarketEvent> out) override {
    const std::size_t n = in_->next(out);
    for (std::size_t i = 0; i < n; ++i) {
      MarketEvent& e = out[i];
      if (e.ts_exch <= after_) continue;
      if (e.kind == EventKind::Add || e.kind == EventKind::Replace) {
        e.qty = e.qty * 2 + 100;
        e.price += 100;
      } else if (e.kind == EventKind::Cancel) {
        e.qty = 1;
      }
    }
    return n;
  }
  feed::TimeBasis time_basis() const noexcept override { return in_->time_basis(); }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return in_->instruments(); }
  const feed::SourceStats& stats() const noexcept override { return in_->stats(); }

 private:
  std::unique_ptr<feed::EventSource> in_;
  Nanos after_;
};

std::unique_ptr<feed::EventSource> open_day() { return sources::open_source(sources::parse_source_spec("pcap:" + day())); }

// One training for the whole file: the dataset, the trainer's reports, and a store holding
// the final models as one version.
struct Trained {
  learn::DatasetSpec spec;
  learn::Dataset d;
  std::vector<learn::HorizonReport> reps;
  std::string dir, version;
};
const Trained& trained() {
  static const Trained t = [] {
    Trained r;
    const config::Config c = small_config();
    r.spec = learn::dataset_spec(c);
    r.d = learn::build_dataset(c, "pcap:" + day(), r.spec);
    r.reps = learn::train_all(r.d, r.spec, learn::train_options(c), false);
    r.dir = tmp("models-store");
    std::filesystem::remove_all(r.dir);
    model::VersionSpec vs;
    vs.feature_schema_hash = r.d.feature_schema_hash;
    vs.feature_names = r.d.feature_names;
    for (const auto& h : r.reps) h.final_model.to_files(model::horizon_prefix(h.horizon), vs.files);
    r.version = model::write_version(r.dir, vs);
    return r;
  }();
  return t;
}
const std::string& trained_store() { return trained().dir; }

// A copy of the trained version's files (to write altered versions with).
model::VersionSpec trained_files() {
  const Trained& t = trained();
  const auto v = model::verify_version(std::filesystem::path(t.dir) / t.version, t.d.feature_schema_hash);
  model::VersionSpec vs;
  vs.feature_schema_hash = t.d.feature_schema_hash;
  for (const auto& [name, bytes] : v.loaded->files) vs.files.emplace_back(name, bytes);
  return vs;
}

// Records every prediction (the event's time and the probabilities' bits).
struct Pred {
  Nanos t;
  InstrumentId id;
  std::array<std::uint32_t, 5> bits;
  bool operator==(const Pred&) const = default;
};
struct RecordStage {
  static constexpr std::string_view kName = "monitor";  // stands in for the monitor
  explicit RecordStage(engine::StageEnv&) {}
  std::vector<Pred>* out = nullptr;
  bool on_event(engine::Envelope& e) noexcept {
    if (e.pred.made)
      out->push_back({e.ev.ts_exch, e.ev.instrument,
                      {std::bit_cast<std::uint32_t>(e.pred.p[0]), std::bit_cast<std::uint32_t>(e.pred.p[1]),
                       std::bit_cast<std::uint32_t>(e.pred.p[2]), std::bit_cast<std::uint32_t>(e.pred.exp_ret_bps),
                       std::bit_cast<std::uint32_t>(e.pred.confidence)}});
    return true;
  }
};
using RecordPipeline = engine::Pipeline<engine::BookStage, engine::CleanStage, engine::FeatureStage, engine::RegimeStage,
                                        engine::PredictStage, RecordStage>;

std::vector<Pred> predictions(const config::Config& c, std::unique_ptr<feed::EventSource> src) {
  std::vector<Pred> out;
  engine::BasicEngine<RecordPipeline> e(c, std::move(src));
  e.stage<RecordStage>().out = &out;
  e.start();
  e.join();
  return out;
}

TEST(ModelsEngine, NothingAtOrBeforeTDependsOnEventsAfterIt) {
  config::Config c = small_config();
  c.models.path = trained_store();
  const learn::DatasetSpec spec = learn::dataset_spec(c);
  const learn::Dataset a = learn::build_dataset(c, open_day(), spec);
  ASSERT_GT(a.x.t.size(), 2000u);
  const Nanos T = a.x.t[a.x.t.size() / 2];
  const learn::Dataset b = learn::build_dataset(c, std::make_unique<MutateAfter>(open_day(), T), spec);
  // Features (model inputs) of every row at or before T: identical, bit for bit.
  std::size_t rows = 0;
  while (rows < a.x.t.size() && a.x.t[rows] <= T) ++rows;
  ASSERT_GE(b.x.t.size(), rows);
  for (std::size_t i = 0; i < rows; ++i) ASSERT_EQ(a.x.t[i], b.x.t[i]) << i;
  EXPECT_EQ(std::memcmp(a.x.x.data(), b.x.x.data(), rows * a.x.cols * sizeof(float)), 0);
  // Labels known by T (the ones training at T could use): identical.
  std::size_t known = 0;
  for (std::size_t h = 0; h < spec.horizons.size(); ++h)
    for (std::size_t i = 0; i < rows; ++i) {
      if (a.labels[h][i].t_end <= T) {
        ASSERT_EQ(a.labels[h][i].move_ticks, b.labels[h][i].move_ticks) << h << " " << i;
        ASSERT_EQ(a.labels[h][i].ret_bps, b.labels[h][i].ret_bps) << h << " " << i;
        ++known;
      }
    }
  EXPECT_GT(known, 1000u);
  // And the mutation did change the rows after T.
  bool later_differ = b.x.t.size() != a.x.t.size();
  for (std::size_t i = rows; !later_differ && i < a.x.t.size(); ++i)
    later_differ = std::memcmp(&a.x.x[i * a.x.cols], &b.x.x[i * b.x.cols], a.x.cols * sizeof(float)) != 0;
  EXPECT_TRUE(later_differ);

  // Predictions made at or before T: identical.
  const auto pa = predictions(c, open_day());
  const auto pb = predictions(c, std::make_unique<MutateAfter>(open_day(), T));
  ASSERT_GT(pa.size(), 1000u);
  std::size_t before = 0;
  while (before < pa.size() && pa[before].t <= T) ++before;
  ASSERT_GE(pb.size(), before);
  for (std::size_t i = 0; i < before; ++i) ASSERT_EQ(pa[i], pb[i]) << i;
  bool after_differ = pa.size() != pb.size();
  for (std::size_t i = before; !after_differ && i < pa.size(); ++i) after_differ = !(pa[i] == pb[i]);
  EXPECT_TRUE(after_differ);
}

TEST(ModelsEngine, PurgingDropsEveryOverlappingTrainingRow) {
  const config::Config c = small_config();
  const learn::DatasetSpec spec = learn::dataset_spec(c);
  const learn::Dataset d = learn::build_dataset(c, "pcap:" + day(), spec);
  learn::WalkForwardConfig wf;
  wf.folds = 3;
  wf.min_train_fraction = 0.4;
  wf.valid_fraction = 0.2;
  for (std::size_t h = 0; h < spec.horizons.size(); ++h) {
    std::vector<Nanos> t(d.x.t.begin(), d.x.t.end()), te;
    for (const auto& l : d.labels[h]) te.push_back(l.t_end);
    const auto folds = learn::walk_forward(t, te, wf);
    std::size_t purged = 0;
    for (const auto& f : folds) {
      const Nanos first_test = t[f.test.front()];
      for (std::size_t i : f.train) ASSERT_LT(te[i], first_test) << "a training label reaches into the test fold";
      for (std::size_t i : f.valid) ASSERT_LT(te[i], first_test) << "a validation label reaches into the test fold";
      // Every row of the window before the test fold that is not kept overlaps it (or the
      // validation slice): nothing else was dropped.
      for (std::size_t i = 0; i < f.test.front(); ++i) {
        const bool kept = std::find(f.train.begin(), f.train.end(), i) != f.train.end() ||
                          std::find(f.valid.begin(), f.valid.end(), i) != f.valid.end();
        if (kept) continue;
        ++purged;
        const bool overlaps_test = te[i] >= first_test;
        const bool overlaps_valid = !f.valid.empty() && te[i] >= t[f.valid.front()];
        EXPECT_TRUE(overlaps_test || overlaps_valid) << i;
      }
    }
    EXPECT_GT(purged, 0u) << spec.horizons[h].name() << ": label windows overlap the folds, so rows must go";
  }
}

TEST(ModelsEngine, SamePredictionsOnEveryRunAndLayout) {
  config::Config c = small_config();
  c.models.path = trained_store();
  auto run = [&](const config::Config& cfg) {
    engine::Engine e(cfg, open_day());
    e.start();
    e.join();
    const auto& ps = e.stage<engine::PredictStage>();
    EXPECT_NE(ps.model(), nullptr);
    return std::make_tuple(ps.made, ps.labelled, ps.digest);
  };
  const auto a = run(c);
  EXPECT_GT(std::get<0>(a), 1000u);
  EXPECT_GT(std::get<1>(a), 1000u);
  EXPECT_EQ(run(c), a);
  config::Config split = c;
  split.system.layout = {config::ThreadLayout{"feed", {"feed"}, -1, config::Idle::Backoff, 0},
                         config::ThreadLayout{"rest", {"book", "clean", "features", "regime", "predict", "monitor"}, -1,
                                              config::Idle::Backoff, 0}};
  EXPECT_EQ(run(split), a);
}

// The served model predicts exactly what the trainer's ensemble predicts on the dataset's rows.
TEST(ModelsEngine, TheServedModelIsTheTrainedModel) {
  const Trained& t = trained();
  const model::InputMap inputs(t.d.feature_names, 0.01);
  for (std::size_t h = 0; h < t.reps.size(); ++h) {
    const auto load = model::load_serving(t.dir, t.d.feature_schema_hash, inputs, t.spec.horizons[h]);
    ASSERT_TRUE(load.model) << load.reason;
    const auto cm = learn::ColumnMap::of(t.reps[h].final_model, t.d.x);
    std::vector<float> row(cm.cols.size());
    std::size_t checked = 0;
    for (std::size_t i = 0; i < t.d.x.t.size(); i += 7, ++checked) {
      for (std::size_t j = 0; j < cm.cols.size(); ++j) row[j] = t.d.x.x[i * t.d.x.cols + cm.cols[j]];
      model::Prediction p1, p2;
      t.reps[h].final_model.predict(row.data(), p1);
      load.model->en.predict(row.data(), p2);
      ASSERT_EQ(std::memcmp(&p1, &p2, sizeof p1), 0) << "row " << i;
    }
    EXPECT_GT(checked, 100u);
  }
}

// Start-up with a damaged store: a clear refusal for each bad version and the newest good one served.
TEST(ModelsEngine, TheStoreRefusesBadVersionsAndKeepsThePreviousOne) {
  const std::string dir = tmp("models-bad");
  std::filesystem::remove_all(dir);
  const config::Config base = small_config();
  model::VersionSpec vs = trained_files();
  const std::string good = model::write_version(dir, vs);
  auto serve = [&] {
    config::Config c = base;
    c.models.path = dir;
    engine::Engine e(c, open_day());
    const auto& ps = e.stage<engine::PredictStage>();
    return std::make_pair(ps.model() ? ps.model()->version : std::string(), ps.load.refusals);
  };
  ASSERT_EQ(serve().first, good);
  // 1. a newer version with a flipped byte in a member file
  const std::string corrupt = model::write_version(dir, vs);
  {
    const auto p = std::filesystem::path(dir) / corrupt / "h10ev-mlp.txt";
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('#');
  }
  auto [v1, r1] = serve();
  EXPECT_EQ(v1, good);
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_EQ(r1[0].version, corrupt);
  EXPECT_EQ(r1[0].file, "h10ev-mlp.txt");
  EXPECT_NE(r1[0].reason.find("sha256"), std::string::npos) << r1[0].reason;
  // 2. a newer version whose checksums are right but whose member does not parse
  const std::uint64_t schema = features::schema_hash(features::feature_names(engine::feature_config(base)));
  ASSERT_EQ(schema, vs.feature_schema_hash);
  const model::VersionSpec intact = vs;
  for (auto& [name, bytes] : vs.files)
    if (name == "h10ev-boosted.json") bytes = "{\"learner\": [1, 2";
  const std::string garbled = model::write_version(dir, vs);
  auto [v2, r2] = serve();
  EXPECT_EQ(v2, good);
  ASSERT_EQ(r2.size(), 2u);
  EXPECT_EQ(r2[0].version, garbled);
  EXPECT_NE(r2[0].reason.find("h10ev-boosted.json"), std::string::npos) << r2[0].reason;
  // 3. a newer version made for other features
  vs = intact;
  vs.feature_schema_hash = schema ^ 1;
  const std::string other = model::write_version(dir, vs);
  auto [v3, r3] = serve();
  EXPECT_EQ(v3, good);
  ASSERT_EQ(r3.size(), 3u);
  EXPECT_EQ(r3[0].version, other);
  EXPECT_NE(r3[0].reason.find("schema"), std::string::npos) << r3[0].reason;
  // 4. an empty store and a missing one: no model, a reason, events pass through
  for (const std::string& empty : {dir + "-empty", dir + "-missing"}) {
    std::filesystem::remove_all(empty);
    if (empty.ends_with("-empty")) std::filesystem::create_directories(empty);
    config::Config c = base;
    c.models.path = empty;
    engine::Engine e(c, open_day());
    e.start();
    e.join();
    const auto& ps = e.stage<engine::PredictStage>();
    EXPECT_EQ(ps.model(), nullptr);
    EXPECT_FALSE(ps.load.reason.empty());
    EXPECT_EQ(ps.made, 0u);
    EXPECT_GT(e.stage<engine::MonitorStage>().kinds[0].get(), 1000u);
  }
}

}  // namespace
