// Labeled samples for offline training and evaluation: a dense row-major float matrix of model
// inputs, one target per row, and each row's label window (for purged walk-forward splits).
// Plain data; the learners (XGBoost, MLP, linear models) and the metrics read it.
//
// May touch: core/ only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hft/core/types.hpp"

namespace hft::model {

struct Samples {
  std::size_t cols = 0;                // inputs per row
  std::vector<float> x;                // rows * cols, row-major; NaN = missing
  std::vector<float> y;                // class index (0..k-1) or a regression target
  std::vector<Nanos> t;                // sample time (exchange time of the event it was taken at)
  std::vector<Nanos> t_end;            // end of the label window: the label is known after it
  std::vector<InstrumentId> instrument;
  std::vector<std::string> names;      // input names, cols of them

  std::size_t rows() const noexcept { return y.size(); }
  std::span<const float> row(std::size_t i) const noexcept { return {x.data() + i * cols, cols}; }
  // The rows idx (in that order) as a new sample set.
  Samples subset(std::span<const std::size_t> idx) const {
    Samples s;
    s.cols = cols;
    s.names = names;
    s.x.reserve(idx.size() * cols);
    for (std::size_t i : idx) {
      s.x.insert(s.x.end(), x.begin() + static_cast<std::ptrdiff_t>(i * cols),
                 x.begin() + static_cast<std::ptrdiff_t>((i + 1) * cols));
      s.y.push_back(y[i]);
      if (i < t.size()) s.t.push_back(t[i]);
      if (i < t_end.size()) s.t_end.push_back(t_end[i]);
      if (i < instrument.size()) s.instrument.push_back(instrument[i]);
    }
    return s;
  }
};

}  // namespace hft::model
