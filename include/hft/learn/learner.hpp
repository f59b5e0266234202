// Continuous learning (step 8): the learner behind the prediction stage. Two threads off the hot
// path:
//  - the collector pops the link's ring in event order: a sample waits (by id, in a fixed window)
//    for its label, then joins a bounded rolling store of labeled samples (oldest out); a retrain
//    request snapshots the store as it stands at the request (everything the hot thread sent
//    before it) and hands it to the trainer; spills of the store are handed over the same way.
//  - the trainer fits a challenger on the snapshot (the ensemble of learn/train.hpp, XGBoost with
//    one thread) and scores it against the champion (the model in use) on the newest
//    validation_fraction of the rows, which the challenger never trained on (purged). It is
//    promoted only if its log-loss is below the champion's by promote_margin (without a champion:
//    below the class frequencies'); the challenger keeps the champion's class threshold so that
//    both predict the same classes. Every decision is logged, counted and kept for /status and
//    the report. A promoted version is written to the model store first when persisting (so a
//    restart serves it), then published through the link's decision slot.
// Replays are deterministic: requests are made in event time by the prediction stage, a snapshot
// is a function of the input (the ring blocks in replays), training is single-threaded and
// seeded, and the swap happens at request time + swap_lag in event time.
// Restart: the store is spilled (dataset/columnar.hpp, with a SHA-256 beside it) every
// spill_every_s of event time and at stop; start() reads it back, refusing a torn or corrupt file
// with a logged reason (the learner then starts empty; nothing else is affected).
//
// May touch: engine/ (the link), learn/ (training), model/, dataset/ (spill), config/.
#pragma once
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/engine/learner_link.hpp"
#include "hft/learn/dataset.hpp"

namespace hft::learn {

struct LearnerDecision {
  std::uint64_t request = 0;
  Nanos t_request = 0;         // event time of the request
  std::string reason;          // schedule | drift | bootstrap
  Nanos since = 0;             // drift: trained and scored on the samples from here on
  std::string outcome;         // promoted | rejected | failed
  std::string why;             // plain English
  std::string version;         // promoted: the new version
  std::size_t train_rows = 0, valid_rows = 0, test_rows = 0;
  double champion_log_loss = 0, challenger_log_loss = 0;  // on the test rows (champion: NaN if none)
  double seconds = 0;          // wall time of the fit and scoring
  std::string fit_seconds;     // the fit's steps (FitSeconds::text)
};

// The rows of a store, in time order.
struct StoreRows {
  std::size_t cols = 0;
  std::vector<float> x;
  std::vector<Nanos> t, t_end;
  std::vector<InstrumentId> instrument;
  std::vector<std::uint8_t> regime;
  std::vector<model::LabelValue> label;
  std::size_t rows() const noexcept { return t.size(); }
};

// Drops the rows sampled before `since`.
void keep_since(StoreRows& r, Nanos since);

// Spill file format: columnar, the inputs then label columns; see learner.cpp.
void write_spill(const std::string& path, const StoreRows& r, const std::vector<std::string>& input_names,
                 std::uint64_t schema_hash);
// Throws std::runtime_error naming the file and the reason (missing checksum, checksum mismatch,
// truncated, other schema, other inputs).
StoreRows read_spill(const std::string& path, const std::vector<std::string>& input_names, std::uint64_t schema_hash);

class Learner final : public engine::Learning {
 public:
  // persist: write promoted versions to the model store and spill the samples. (Live or replay
  // makes no difference here: the engine's side of the link decides when a version is swapped in.)
  Learner(const config::Config& cfg, bool persist);
  ~Learner() override;
  engine::LearnerLink& link() noexcept override { return link_; }
  const engine::LearnerLink& link() const noexcept { return link_; }
  void start(int cpu) override;
  void stop() override;
  std::string status_json() const override;

  std::vector<LearnerDecision> decisions() const;
  std::string spill_path() const { return spill_path_; }
  std::string spill_error() const;  // why the spill found at start was refused ("" = none)
  std::size_t resumed_rows() const noexcept { return resumed_; }

 private:
  struct Job {
    enum class Kind { Train, Spill } kind;
    std::uint64_t request = 0;
    Nanos t = 0;
    engine::RetrainReason reason{};
    StoreRows rows;
    Nanos since = 0;
  };
  void collect();
  void train_loop();
  void on_msg(const engine::LearnMsg& m);
  StoreRows snapshot(bool time_order) const;
  void train(Job& job);
  void reclaim();
  void post(Job job);

  config::Config cfg_;
  bool persist_;
  engine::LearnerLink link_;
  std::string store_dir_, spill_path_;
  std::size_t n_ = 0;  // inputs a sample carries

  // Collector's state.
  static constexpr std::size_t kPending = 1 << 16;  // samples waiting for their label
  std::vector<std::uint64_t> pend_id_;
  std::vector<float> pend_x_;
  std::vector<Nanos> pend_t_;
  std::vector<InstrumentId> pend_instr_;
  std::vector<std::uint8_t> pend_regime_;
  StoreRows store_;             // ring of max rows, head_ the oldest once full
  std::size_t max_rows_ = 0, head_ = 0;
  Nanos next_spill_ = INT64_MIN, last_t_ = 0;
  std::size_t resumed_ = 0;

  // Trainer's state.
  std::shared_ptr<const model::ServingModel> champion_;
  std::uint32_t last_seq_ = 0;
  std::vector<std::pair<std::uint32_t, std::shared_ptr<const model::ServingModel>>> published_;  // until reclaimed
  mutable std::mutex mu_;       // jobs, decisions, published_, spill_error_
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::vector<LearnerDecision> decisions_;
  std::string spill_error_;
  bool stopping_ = false;

  std::thread collector_, trainer_;
  std::atomic<bool> stop_{false};
  bool started_ = false;
};

// The factory the service and the commands hand to the engine's owner.
engine::LearningFactory learning_factory(bool persist);

}  // namespace hft::learn
