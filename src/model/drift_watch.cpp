#include "hft/model/drift_watch.hpp"

#include <algorithm>
#include <cmath>

namespace hft::model {

DriftWatch::DriftWatch(std::string_view method, std::uint32_t block_, std::uint32_t reference_, double ph_delta,
                       double ph_lambda, double adwin_delta)
    : use_ph(method == "page_hinkley" || method == "both"), use_adwin(method == "adwin" || method == "both"),
      ph(PageHinkleyConfig{ph_delta, ph_lambda, 5, DriftDirection::Increase}), adwin(AdwinConfig{adwin_delta, 5, 16, 1, 5}), block(std::max<std::uint32_t>(block_, 1)),
      reference(std::max<std::uint32_t>(reference_, 2)) {}

bool DriftWatch::update(double loss, bool hit, std::int64_t t) noexcept {
  if (!use_ph && !use_adwin) return false;
  ++labels;
  loss_sum_ += loss;
  miss_sum_ += hit ? 0.0 : 1.0;
  if (++in_block_ < block) return false;
  const double mean_loss = loss_sum_ / block, miss = miss_sum_ / block;
  in_block_ = 0;
  loss_sum_ = miss_sum_ = 0;
  ++blocks;
  if (ref_n_ < reference) {  // the new model's own level first
    ++ref_n_;
    const double d = mean_loss - ref_mean_;
    ref_mean_ += d / ref_n_;
    ref_m2_ += d * (mean_loss - ref_mean_);
    return false;
  }
  const double sd = std::sqrt(ref_m2_ / (ref_n_ - 1));
  const double z = sd > 0 ? (mean_loss - ref_mean_) / sd : 0.0;
  const bool p = use_ph && ph.update(z);
  if (use_ph && !p && ph.statistic() <= 0) {  // at the minimum: nothing has changed before here
    change_at = t;
    labels_at_change = labels;
  }
  const bool a = use_adwin && adwin.update(miss);
  if (a && !p) {
    change_at = t;
    labels_at_change = labels;
  }
  alarms_ph += p;
  alarms_adwin += a;
  if (p || a) {
    ph.reset();
    adwin.reset();
  }
  return p || a;
}

void DriftWatch::reset() noexcept {
  ph.reset();
  adwin.reset();
  in_block_ = ref_n_ = 0;
  loss_sum_ = miss_sum_ = ref_mean_ = ref_m2_ = 0;
  labels = labels_at_change = 0;
  change_at = 0;
}

}  // namespace hft::model
