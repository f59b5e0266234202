// The hand-off between the prediction stage (hot thread) and the learner (learn/learner.hpp, its
// own threads), in the pattern of the regime thread: the hot thread never waits on a live feed.
//  - hot -> learner, one SPSC ring of LearnMsg, in event order: a Sample (every model input at a
//    sample point), its Label when the horizon has passed, and Retrain requests (made in event
//    time, so the snapshot a request trains on is the same on every run). Live: a full ring drops
//    and counts. Replays: the ring follows system.ring_full (block by default), so no sample is
//    lost and the snapshot stays a function of the input.
//  - learner -> hot, one Decision slot (one request is in flight at a time): the learner fills
//    it and releases `ready`; the prediction stage takes it (live: at the first event after it
//    is ready; replays: at the first event at or after the request time plus swap_lag, waiting
//    there for it if need be: a fixed point of event time, so every run swaps at the same event).
//  - reclamation: a model the hot thread served is retired, not freed, when it is replaced. The hot
//    thread is the only reader of the model pointers it serves and holds none between events, so
//    it announces, after each swap, the sequence number of the version it serves (served_seq);
//    every retired version with a smaller sequence can no longer be read and the learner frees it
//    (quiescent-state reclamation with a single reader: no per-read cost on the hot path).
//
// May touch: core/ (ring), model/ (serving model, labels), config/.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/core/spsc_ring.hpp"
#include "hft/core/types.hpp"
#include "hft/model/labels.hpp"
#include "hft/model/serving.hpp"
#include "hft/engine/pipeline.hpp"

namespace hft::engine {

// Inputs a sample can carry (the engine's InputMap has 67 from the 68 features; checked at
// start). A ring slot is about 4 bytes an input: kept small, since every sample and label is one.
inline constexpr std::size_t kMaxLearnInputs = 96;

enum class RetrainReason : std::uint8_t { Schedule, Drift, Bootstrap };
inline constexpr std::array<const char*, 3> kRetrainReasonNames = {"schedule", "drift", "bootstrap"};

struct LearnMsg {
  enum class Kind : std::uint8_t { Sample, Label, Retrain };
  Kind kind = Kind::Sample;
  std::uint8_t regime = 0;
  RetrainReason reason = RetrainReason::Schedule;
  InstrumentId instrument = 0;
  std::uint64_t id = 0;  // Sample / Label: the sample's id; Retrain: the request id
  Nanos t = 0;           // event time of the sample, of the label's resolution, of the request
  Nanos since = 0;       // Retrain after drift: train on the samples from here on (0: all)
  model::LabelValue label{};
  float x[kMaxLearnInputs];  // Sample: every input of the engine's InputMap
};

// What the learner decided for one retrain request.
struct Decision {
  enum class Outcome : std::uint8_t { Promoted, Rejected, Failed };
  std::atomic<bool> ready{false};
  Outcome outcome = Outcome::Rejected;
  std::uint32_t seq = 0;  // Promoted: the new version's sequence number (model index in predictions)
  const model::ServingModel* model = nullptr;  // Promoted: owned by the learner
};

struct LearnerLink {
  explicit LearnerLink(std::size_t ring_capacity) : ring(ring_capacity) {}
  SpscRing<LearnMsg> ring;
  Decision decision;
  // Set by the prediction stage when the engine is built (before any thread runs): what the
  // samples are and the model it serves at start (the first champion; may be null).
  bool block_when_full = false;  // replays with system.ring_full block
  model::InputMap inputs;
  model::Horizon horizon;
  std::uint64_t schema_hash = 0;
  std::vector<std::string> feature_names;
  std::shared_ptr<const model::ServingModel> initial;
  std::atomic<std::uint32_t> served_seq{0};  // hot thread: the version it serves (see above)
  // Hot thread's counters (read by the control thread and the learner).
  RelaxedCounter pushed, dropped, requests, swaps, drift_alarms, waited;
  // The learner's counters: labeled samples kept now, labels whose sample it never got (dropped
  // or past its pending window), decisions by outcome, spills, versions freed.
  RelaxedCounter stored, unmatched, promoted, rejected, failed, spills, spill_errors, freed;
};

// What the service and the commands need of a learner (learn/learner.hpp implements it; the
// engine module cannot depend on learn, which runs engine pipelines to build datasets). Off the
// hot path: one virtual call per start, stop or /status.
struct Learning {
  virtual ~Learning() = default;
  virtual LearnerLink& link() noexcept = 0;
  virtual void start(int cpu) = 0;  // after the engine is built (the link then says what a sample is)
  virtual void stop() = 0;          // after the engine's hot threads ended
  virtual std::string status_json() const = 0;  // one JSON object for /status
};
// live: a live feed (swap when ready, drop when full); else a replay.
using LearningFactory = std::function<std::unique_ptr<Learning>(const config::Config& cfg, bool live)>;

}  // namespace hft::engine
