#include "hft/engine/stage_config.hpp"

namespace hft::engine {
namespace {

clean::RuleConfig rule(const config::Config::CleanRule& r) {
  return {r.enabled, static_cast<clean::Action>(static_cast<int>(r.action))};  // same order: flag, drop, halt
}

}  // namespace

clean::CleanConfig clean_config(const config::Config& c) {
  const auto& k = c.clean;
  clean::CleanConfig out;
  out.rules[clean::kStale] = rule(k.stale);
  out.rules[clean::kCrossed] = rule(k.crossed);
  out.rules[clean::kLocked] = rule(k.locked);
  out.rules[clean::kHalted] = rule(k.halted);
  out.rules[clean::kLuld] = rule(k.luld);
  out.rules[clean::kBadSize] = rule(k.bad_size);
  out.rules[clean::kBadPrice] = rule(k.bad_price);
  out.rules[clean::kTimeBackwards] = rule(k.time_backwards);
  out.rules[clean::kPriceJump] = rule(k.price_jump);
  out.rules[clean::kOutsideBand] = rule(k.outside_band);
  out.book_check_group_end_only = k.book_check_group_end_only;
  out.max_backwards_ns = k.max_backwards_ns;
  out.jump_window = static_cast<std::uint32_t>(k.jump_window);
  out.jump_min_samples = static_cast<std::uint32_t>(k.jump_min_samples);
  out.jump_k = k.jump_k;
  out.jump_min_bps = k.jump_min_bps;
  out.band_bps = k.band_bps;
  return out;
}

features::FeatureConfig feature_config(const config::Config& c) {
  const auto& f = c.features;
  features::FeatureConfig out;
  out.book = f.book;
  out.flow = f.flow;
  out.stat = f.stat;
  out.tech = f.tech;
  out.time = f.time;
  out.horizons_s = {f.horizon_short_s, f.horizon_mid_s, f.horizon_long_s};
  out.levels = f.levels;
  out.tick = f.tick;
  out.max_gap = static_cast<Nanos>(f.max_gap_s * 1e9);
  out.max_backwards = static_cast<Nanos>(f.max_backwards_s * 1e9);
  out.session_open = f.session_open_s * 1'000'000'000;
  out.session_close = f.session_close_s * 1'000'000'000;
  out.utc_offset = f.utc_offset_min * 60'000'000'000;
  out.hawkes_mu = f.hawkes_mu;
  out.hawkes_alpha = f.hawkes_alpha;
  out.hawkes_beta = f.hawkes_beta;
  out.models = f.models;
  out.models_grid_s = f.models_grid_s;
  out.models_refit_s = f.models_refit_s;
  out.models_swap_lag_s = f.models_swap_lag_s;
  out.models_window = f.models_window;
  out.models_orders = f.models_orders;
  out.models_queue_units = static_cast<int>(f.models_queue_units);
  out.models_discount = c.models.forgetting_factor;
  out.coint_pairs = f.coint_pairs;
  out.coint_window = f.coint_window;
  return out;
}

regime::RegimeConfig regime_config(const config::Config& c) {
  const auto& r = c.regimes;
  regime::RegimeConfig out;
  out.interval = static_cast<Nanos>(r.interval_ms * 1e6);
  out.sample_on = r.sample_on == "grid" ? regime::SampleOn::Grid : regime::SampleOn::Change;  // validated
  out.warmup = r.warmup;
  out.min_moves = r.min_moves;
  out.garch_fit.min_moves = r.min_moves;
  out.rv_window = r.rv_window;
  out.vr_window = r.vr_window;
  out.vr_q = r.vr_q;
  out.ar_window = r.ar_window;
  out.trend_z = r.trend_z;
  out.refit_window = r.refit_window;
  out.bocpd.max_run = r.cp_max_run;
  out.bocpd.hazard = r.cp_hazard;
  return out;
}

}  // namespace hft::engine
