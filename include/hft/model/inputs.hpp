// Model inputs (step 4/6): scale-free transforms of the feature vector, so that a model trained on
// one instrument still means something on another. Prices become ticks or basis points of the
// mid, sizes become fractions of the instrument's current depth, rates are log-compressed, and
// raw price levels (mid, VWAP) are left out. Built once from the feature names (inputs whose
// features are absent are left out); computed per row, only the inputs a model reads.
//
//   wmid_ticks, micro_ticks     (wmid - mid) / tick, (microprice - mid) / tick
//   spread_ticks, spread_bps, book_valid, imb_i, timb_h, ret_acf1, zscore, vwap_dev_bps,
//   vol_mom, range_pos, time-of-day and session flags                          copied
//   dshape_bid_i, dshape_ask_i  depth to level i / mean depth to level N of the two sides
//   ofi_h_rel                   ofi_h / mean level-1 depth (D1)
//   mlofi_h_rel                 mlofi_h / mean depth to level N (DN)
//   qdepl/qrepl_x_rel           queue depletion / replenishment rate / D1 (per second)
//   svol_h_rel                  svol_h / D1
//   trate_h_log, add/cxl rates  log(1 + rate)
//   hawkes_imb, hawkes_log      (buy - sell) / (buy + sell), log(1 + buy + sell)
//   hawkes_fit_imb, _log        the same of the fitted intensities (features.models); the models
//                               group's qr_p_up, ag_*_bps, bayes_* are copied
//   rv_h_bps, mom_h_bps         realized volatility and momentum in basis points
//   regime_vol, regime_trend    the regime stage's label at the event (calm 0 / normal 1 /
//                               stressed 2; mean-reverting 0 / neutral 1 / trending 2),
//                               missing (NaN) before the instrument's warm-up ends
//
// May touch: features/ (names only). No allocation in compute().
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hft::model {

struct InputDef {
  enum class Op : std::uint8_t { Copy, DiffTicks, PerD1, PerDN, DepthShape, Log1p, Bps, HawkesImb, HawkesLog, RegimeVol, RegimeTrend };
  std::string name;
  Op op = Op::Copy;
  int a = -1, b = -1;  // feature indices
};

class InputMap {
 public:
  InputMap() = default;
  // feature_names: the engine's schema; tick_currency: a tick in currency units (0.01).
  InputMap(const std::vector<std::string>& feature_names, double tick_currency);

  std::size_t size() const noexcept { return defs_.size(); }
  const std::vector<InputDef>& defs() const noexcept { return defs_; }
  std::vector<std::string> names() const;
  // Every input from the feature values f (the schema's order) and the regime stage's label
  // byte (engine::RegimeStage::encode) into out[0..size()).
  void compute(std::span<const double> f, std::uint8_t regime, float* out) const noexcept;
  // Only the inputs listed (indices into defs); the others in out are left as they are.
  void compute(std::span<const double> f, std::uint8_t regime, std::span<const std::uint16_t> which, float* out) const noexcept;
  float one(std::span<const double> f, std::uint8_t regime, std::size_t i) const noexcept;

 private:
  std::vector<InputDef> defs_;
  double inv_tick_ = 100;
  int d1b_ = -1, d1a_ = -1, dnb_ = -1, dna_ = -1;  // depth_bid_1, depth_ask_1, depth_bid_N, depth_ask_N
};

}  // namespace hft::model
