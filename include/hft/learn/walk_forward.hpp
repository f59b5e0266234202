// Purged walk-forward splits for time-ordered samples (Lopez de Prado, Advances in Financial
// Machine Learning, ch. 7): which rows train, validate and test each fold, so that no training
// or validation label was computed from prices inside the test fold.
//
// A sample taken at t has a label known only at t_end (its label window is [t, t_end]). Two
// samples overlap when their label windows intersect (closed intervals). Purging removes from a
// training set every row that overlaps the rows it is evaluated on; the embargo further removes
// training rows that START within embargo_ns after the test rows' last label end (serial
// correlation of the features: AFML 7.4.2). Together: a training row survives a test block iff
// its label window [t, t_end] does not intersect [t of the block's first row,
// max t_end over the block + embargo_ns].
//
// Walk-forward (expanding by default): rows are split by index into a train-only head (the first
// min_train_fraction) and `folds` contiguous test folds over the rest, in time order. Fold k
// trains on rows before its test fold (all of them, or a rolling window of the head's length).
// Because every training row lies BEFORE the test fold, the embargo never removes anything here:
// purging is exactly "drop training rows whose t_end >= the test fold's first t". (The embargo
// matters where training rows follow a test block: purged_kfold below.)
// The last valid_fraction of each fold's training window is held out as the validation slice
// (early stopping, calibration): validation rows are purged against the test fold like training
// rows, and the training rows are purged against the (kept) validation rows in turn.
//
// May touch: nothing but its arguments (pure functions).
#pragma once
#include <cstddef>
#include <span>
#include <vector>

#include "hft/core/types.hpp"

namespace hft::learn {

struct WalkForwardConfig {
  std::size_t folds = 5;            // test folds over the part after the train-only head
  double min_train_fraction = 0.5;  // the first fraction of rows is train-only, in (0, 1)
  double valid_fraction = 0.2;      // of each fold's training window, the last part, in [0, 1)
  Nanos embargo_ns = 0;             // >= 0; no effect on walk-forward (see above)
  bool expanding = true;            // false: rolling window as long as the train-only head
};

struct Fold {
  std::vector<std::size_t> train, valid, test;  // row indices, ascending
  std::size_t purged_train = 0;  // training-window rows dropped (overlap with validation or test)
  std::size_t purged_valid = 0;  // validation rows dropped (overlap with the test fold)
};

// A time interval [from, to] (closed) that training label windows must not touch.
struct BlockedSpan {
  Nanos from, to;
};

// The span a block of evaluation rows (non-empty) blocks: [min t, max t_end + embargo_ns]
// (saturating at the largest time, never overflowing).
BlockedSpan blocked_span(std::span<const Nanos> t, std::span<const Nanos> t_end,
                         std::span<const std::size_t> block, Nanos embargo_ns = 0);

// Removes from `rows` (order kept) every row whose label window [t, t_end] intersects `span`;
// returns how many were removed.
std::size_t purge(std::span<const Nanos> t, std::span<const Nanos> t_end, std::vector<std::size_t>& rows,
                  BlockedSpan span);

// Checks the inputs every splitter needs: equal lengths, t non-decreasing, t_end >= t.
// Throws std::invalid_argument naming the first offending row.
void check_times(std::span<const Nanos> t, std::span<const Nanos> t_end);

// The purged walk-forward folds, in time order. Throws std::invalid_argument on bad times (see
// check_times), a bad config, too few rows for the folds (each test fold, the head and each
// validation slice need a row), or a fold left without training or validation rows by purging
// (label windows longer than the data they are purged against).
std::vector<Fold> walk_forward(std::span<const Nanos> t, std::span<const Nanos> t_end,
                               const WalkForwardConfig& cfg);

// Purged k-fold with embargo (AFML 7.4.3): k contiguous test blocks; each fold trains on every
// other row, purged and embargoed against its block. No validation slice. For research use (it
// trains on the future of the test block); the engine's model selection uses walk_forward.
std::vector<Fold> purged_kfold(std::span<const Nanos> t, std::span<const Nanos> t_end, std::size_t k,
                               Nanos embargo_ns);

}  // namespace hft::learn
