// Prediction (step 6), the stage after the regime stage: at each sampling point of an instrument
// (models.sample_on, the rule the model was trained with) it computes the model's inputs from
// the feature state (only the ones the model reads), runs the ensemble and writes the
// prediction into the envelope (class probabilities, expected return, confidence, the model
// version's index). The same stage follows its own predictions: a streaming labeler resolves
// each one when its horizon has passed (nothing waits), and the online figures (accuracy,
// macro F1, log-loss) and the online members (logistic regression, Bayesian linear) take every
// label in event order, so replays give the same predictions on every run and layout.
//
// The model version is read through one pointer (current), which a learner may swap; the stage
// keeps the version it serves alive (owner). No model in the store (or predict off): the stage
// passes events through and counts nothing.
//
// May touch: model/ (serving model, labels, inputs), features/ (reads the feature state).
// No allocation, lock or I/O in on_event: rings and per-instrument state are built at start.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hft/core/types.hpp"
#include "hft/engine/envelope.hpp"
#include "hft/engine/learner_link.hpp"
#include "hft/model/drift_watch.hpp"
#include "hft/engine/pipeline.hpp"
#include "hft/model/labels.hpp"
#include "hft/model/serving.hpp"
#include "hft/telemetry/histogram.hpp"
#include "hft/telemetry/metrics.hpp"

namespace hft::engine {

// Whether an event may be a sample point at all (the dataset builder uses the same rule): a
// market event, not part of a snapshot, on an instrument that is not halted, with a two-sided
// uncrossed book.
inline bool samplable(const Envelope& e) noexcept {
  const MarketEvent& ev = e.ev;
  return ev.kind != EventKind::Directory && ev.kind != EventKind::System && (ev.flags & evflag::kSnapshot) == 0 &&
         !e.halted && e.top.bid > 0 && e.top.ask > 0 && e.top.bid < e.top.ask;
}

struct OnlineScore {
  std::array<std::uint64_t, 9> confusion{};  // [true][predicted]
  double log_loss_sum = 0;
  std::uint64_t n = 0;
  void add(int truth, const float* p) noexcept;
  double accuracy() const noexcept;
  double macro_f1() const noexcept;
  double log_loss() const noexcept { return n ? log_loss_sum / static_cast<double>(n) : 0.0; }
};

struct PredictStage {
  static constexpr std::string_view kName = "predict";
  static constexpr bool kReadsBook = true;  // reads the feature state
  explicit PredictStage(StageEnv& env);
  bool on_event(Envelope& e) noexcept;
  void publish() noexcept;

  // Serves m (tests, start-up, backtest schedules): takes effect at the next event. Sizes the
  // stage's buffers the first time (for any model: no allocation at later swaps).
  void serve(std::shared_ptr<const model::ServingModel> m);
  const model::ServingModel* model() const noexcept { return current.load(std::memory_order_acquire); }

  const features::FeatureEngine* fe = nullptr;
  std::size_t max_instr = 0;
  model::InputMap inputs;
  model::ServingLoad load;           // what loading the store found (refusals listed)
  std::shared_ptr<const model::ServingModel> owner;
  // Backtests: versions to serve from an exchange time on (swapped in at the first event at or
  // after it: event time, so every run swaps at the same event). A swap re-sizes the stage's
  // buffers (a handful per run) and drops the labels still pending for the old version's
  // predictions (counted in lost).
  std::vector<std::pair<Nanos, std::shared_ptr<const model::ServingModel>>> schedule;
  std::size_t next_swap = 0;
  void swap_scheduled(Nanos ts);
  std::atomic<const model::ServingModel*> current{nullptr};
  std::vector<std::string> versions;  // model index -> version name (start-up and schedules)
  std::uint16_t model_index = 0;      // predictions name it (learner versions: their sequence number)
  std::unique_ptr<model::Labeler> labeler;
  std::unique_ptr<model::Sampler> sampler;
  double online_lr = 0.01;

  // Predictions waiting for their label: slot = sample id % capacity (older ones are lost, counted).
  std::size_t capacity = 1 << 16, cols = 0;
  std::vector<float> ring_p, ring_row;  // ring_row: kMaxModelInputs floats a slot
  std::vector<std::uint64_t> ring_id;
  std::vector<std::uint16_t> ring_model;  // the model index each pending prediction was made by
  std::vector<float> defs, row;
  std::uint64_t next_sample = 0;
  model::LogisticModel online_logistic;  // copies of the model's online members, updated per label
  model::BayesLinear online_bayes;
  bool has_online_logistic = false, has_online_bayes = false;

  // Figures (hot thread), published as counters.
  std::uint64_t made = 0, labelled = 0, lost = 0, not_sampled = 0;
  std::array<std::uint64_t, 3> mix{};
  OnlineScore score;
  // Online quality over exchange time: labels, hits and log-loss per span of quality_width
  // from the first label (the last bucket takes everything past the end): what the report
  // shows against the learner's decisions.
  struct QualityBucket {
    std::uint64_t n = 0, hits = 0;
    double log_loss = 0;
  };
  static constexpr std::size_t kQualityBuckets = 512;
  Nanos quality_width = 15LL * 60 * 1'000'000'000, quality_t0 = INT64_MIN;
  std::array<QualityBucket, kQualityBuckets> quality{};
  report::Recorder* recorder = nullptr;  // the report: every prediction and label (calibration)

  // ---- continuous learning (null link: none). Requests are made in event time: on schedule
  // (retrain_every after the previous one), on drift (the detectors fire on the online
  // log-loss, at most once per min_gap), and once to bootstrap when no model is served.
  LearnerLink* link = nullptr;
  bool live = false;
  Nanos retrain_every = 0, swap_lag = 0, min_gap = 0, next_retrain = INT64_MIN, last_request = INT64_MIN;
  Nanos swap_at = INT64_MAX;            // replays: when the pending request's decision is taken
  std::uint64_t min_samples = 0, labels_seen = 0, next_request = 1;
  bool pending = false, drift_fired = false;
  Nanos drift_since = 0;                // where the change began (the drift watch's estimate)
  std::uint64_t drift_labels_at = 0;    // the watch's label count there
  model::DriftWatch drift;              // on the served model's per-label log-loss
  void maybe_request(Nanos ts) noexcept;
  void take_decision() noexcept;
  std::uint64_t digest = 0xCBF29CE484222325ull;  // every prediction's probabilities, bits, in order
  telemetry::LatencyHistogram latency;            // ns: inputs + ensemble, per prediction
  double ns_per_tick = 1.0;
  RelaxedCounter made_out, labelled_out;

 private:
  void on_label(std::uint64_t id, const model::LabelValue& v, Nanos now) noexcept;
  void adopt(const model::ServingModel& m) noexcept;
  void size_buffers();
  bool push_learn(LearnMsg::Kind kind, InstrumentId instr, std::uint8_t regime, std::uint64_t id, Nanos t,
                  const model::LabelValue* v) noexcept;
  LearnMsg out_msg{};  // built in place (a sample's inputs are computed into it)
  RetrainReason request_reason = RetrainReason::Schedule;
};

}  // namespace hft::engine
