// Drift watch on a served model (step 8): the detectors the prediction stage feeds with each
// label's log-loss and whether its top class was right, in event order on the hot thread, so an
// alarm falls on the same label on every run.
// Labels come tens a second and overlap (consecutive samples share most of their horizon), so
// one label's loss says little and neighbours are correlated: the watch averages them in blocks
// of `block` labels first. Page-Hinkley then watches the block mean log-loss for a rise,
// standardized by the mean and sd of the first `reference` blocks after the model was swapped
// in (so its tolerance delta and threshold lambda are in units of that sd, whatever the
// instrument, horizon or model: a CUSUM with k = delta, h = lambda); ADWIN (whose bound needs
// values in [0, 1]) watches the block error rate for a change.
// update() is O(1) amortised, no allocation (the detectors' state is sized at construction).
//
// (ADWIN checks for a cut after every block: blocks are few.)
// May touch: model/drift.hpp (the detectors).
#pragma once
#include <cstdint>
#include <string_view>

#include "hft/model/drift.hpp"

namespace hft::model {

struct DriftWatch {
  bool use_ph = false, use_adwin = false;
  PageHinkley ph;
  Adwin adwin;
  std::uint32_t block = 500, reference = 10;
  std::uint64_t alarms_ph = 0, alarms_adwin = 0, blocks = 0;

  DriftWatch() = default;
  // method: page_hinkley | adwin | both | off.
  DriftWatch(std::string_view method, std::uint32_t block, std::uint32_t reference, double ph_delta, double ph_lambda,
             double adwin_delta);
  // One label: its log-loss and whether the top class was right; true when a detector fires.
  // The detectors then start over against the same reference: a model that stays worse than
  // its own level alarms again (its retrain may have been rejected for want of new data).
  // t: the label's event time. change_at / labels_at_change: where the change an alarm reports
  // began (Page-Hinkley: the block where its cumulative sum was last at its minimum, the classic
  // change-point estimate; ADWIN: the alarm itself), for retraining on the data after it.
  bool update(double loss, bool hit, std::int64_t t) noexcept;
  void reset() noexcept;  // a new model: a new reference too
  std::uint64_t labels = 0, labels_at_change = 0;
  std::int64_t change_at = 0;

 private:
  std::uint32_t in_block_ = 0, ref_n_ = 0;
  double loss_sum_ = 0, miss_sum_ = 0;
  double ref_mean_ = 0, ref_m2_ = 0;  // Welford over the reference blocks' mean losses
};

}  // namespace hft::model
