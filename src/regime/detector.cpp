#include "hft/regime/detector.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hft::regime {

namespace {

RegimeConfig sanitize(RegimeConfig c) {
  if (c.interval <= 0) c.interval = 1'000'000'000;
  c.rv_window = std::max<std::size_t>(c.rv_window, 2);
  c.vr_q = std::max<std::size_t>(c.vr_q, 2);
  c.vr_window = std::max(c.vr_window, 2 * c.vr_q);
  c.ar_window = std::max<std::size_t>(c.ar_window, 3);
  // Every rolling statistic must be full, and the tercile sample at least 30 values, by the end
  // of the warm-up.
  c.warmup = std::max({c.warmup, c.rv_window + 29, c.vr_window, c.ar_window + 1, std::size_t{50}});
  c.refit_window = std::max<std::size_t>(c.refit_window, 50);
  // More moves than the warm-up holds could never be met: the warm-up would never end.
  c.min_moves = std::min(c.min_moves, c.warmup);
  c.garch_fit.min_moves = c.min_moves;  // the warm-up fit's window is the warm-up
  if (!(c.trend_z > 0)) c.trend_z = 1.96;
  return c;
}

}  // namespace

const char* to_string(VolRegime v) noexcept {
  switch (v) {
    case VolRegime::Calm: return "calm";
    case VolRegime::Normal: return "normal";
    case VolRegime::Stressed: return "stressed";
  }
  return "?";
}
const char* to_string(TrendRegime v) noexcept {
  switch (v) {
    case TrendRegime::MeanReverting: return "mean_reverting";
    case TrendRegime::Neutral: return "neutral";
    case TrendRegime::Trending: return "trending";
  }
  return "?";
}
const char* to_string(SampleOn v) noexcept {
  switch (v) {
    case SampleOn::Change: return "change";
    case SampleOn::Grid: return "grid";
  }
  return "?";
}
const char* to_string(Gate v) noexcept {
  switch (v) {
    case Gate::Normal: return "normal";
    case Gate::Widen: return "widen";
    case Gate::Stop: return "stop";
  }
  return "?";
}

RegimeDetector::RegimeDetector(const RegimeConfig& cfg, std::pmr::memory_resource* mr)
    : cfg_(sanitize(cfg)),
      rv_(cfg_.rv_window, mr),
      warm_rv_(cfg_.rv_window, mr),
      vq_(cfg_.warmup - cfg_.rv_window + 1, {1.0 / 3.0, 2.0 / 3.0}, mr),
      vr_(cfg_.vr_window, cfg_.vr_q, mr),
      ar_(cfg_.ar_window, mr),
      bocpd_(cfg_.bocpd, mr),
      returns_(cfg_.refit_window, mr),
      warm_(cfg_.warmup, mr),
      warm_buf_(mr),
      sampler_(cfg_) {
  warm_buf_.reserve(cfg_.warmup);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  st_.scores = RegimeScores{nan, nan, nan, nan, nan, nan, nan, nan};
}

int RegimeDetector::on_mid(Nanos ts, double mid) noexcept {
  int n = 0;
  sampler_.on_mid(ts, mid, [&](const GridSample& g) { n += on_sample(g) ? 1 : 0; });
  return n;
}

bool RegimeDetector::on_sample(const GridSample& g) noexcept {
  if (g.restart) have_prev_sample_ = false;
  st_.sample_ts = g.grid;
  const bool had = have_prev_sample_;
  if (had) on_return(std::log(g.mid / prev_sample_mid_));
  prev_sample_mid_ = g.mid;
  have_prev_sample_ = true;
  return had;
}

void RegimeDetector::on_return(double r) noexcept {
  returns_.push(r);
  rv_.add(r);
  vr_.add(r);
  ar_.add(r);
  ++st_.returns;
  if (!st_.ready) {
    warm_push(r);
    if (warm_.full() && --warm_wait_ == 0) try_finish_warmup();
    return;
  }
  garch_.update(r);
  bocpd_.update(r / scale_);
  update_state();
}

void RegimeDetector::warm_push(double r) noexcept {
  if (warm_.full()) warm_moves_ -= warm_.back(warm_.size() - 1) != 0;  // the oldest leaves
  warm_.push(r);
  warm_moves_ += r != 0;
}

void RegimeDetector::try_finish_warmup() {
  // Tried when the window is first full, then every rv_window returns (the tercile sample is
  // O(warmup log warmup) to rebuild, and changes little from one return to the next).
  warm_wait_ = cfg_.rv_window;
  if (warm_moves_ < cfg_.min_moves) {
    ++cnt_.warmup_too_few_moves;
    return;
  }
  if (!learn_terciles()) {
    ++cnt_.warmup_flat_vol;
    return;
  }
  finish_warmup();
}

bool RegimeDetector::learn_terciles() {
  // The realised volatility of every full rv_window within the warm-up, oldest first (the
  // values a rolling RV would have given along the way).
  vq_.reset();
  warm_rv_.reset();
  const std::size_t n = warm_.size();
  for (std::size_t i = 0; i < n; ++i) {
    warm_rv_.add(warm_.back(n - 1 - i));
    if (warm_rv_.ready()) vq_.add_warmup(warm_rv_.value());
  }
  // A cut point at 0 is a degenerate sample: the lower one means calm can never be given, the
  // upper one that every move is stressed (all-zero RV sets both).
  for (double c : vq_.cuts())
    if (!(c > 0)) return false;
  return vq_.ready();
}

void RegimeDetector::finish_warmup() {
  warm_.copy_to(warm_buf_);  // within the capacity reserved at construction
  const std::span<const double> warm = warm_buf_;
  const double n = static_cast<double>(warm.size());
  double mean = 0;
  for (double v : warm) mean += v;
  mean /= n;
  double var = 0;
  for (double v : warm) var += (v - mean) * (v - mean);
  var /= n;
  // A warm-up without a single price move leaves no scale: fall back to one basis point.
  scale_ = var > 0 ? std::sqrt(var) : 1e-4;
  const double var0 = scale_ * scale_;

  GarchParams p = garch_.params();
  if (!have_params_) {
    bool ok = false;
    if (cfg_.fit_garch_at_warmup) {
      try {
        const GarchFit fit = fit_garch(warm, cfg_.garch_fit);  // once, allocates
        ++cnt_.garch_fit[static_cast<std::size_t>(fit.status)];
        if (fit.usable()) {  // the refits' rule: converged, interior, positive variance
          p = fit.params;
          ok = true;
        }
      } catch (...) {  // out of memory: fall back below rather than terminate the stage
        ok = false;
      }
    }
    if (!ok) {
      if (cfg_.fit_garch_at_warmup) ++cnt_.garch_fit_failed;
      p = GarchParams{var0 * 0.05, 0.05, 0.90, 0.0};  // variance targeting, typical persistence
    }
  }
  garch_.reset(p, var0);
  for (double v : warm) garch_.update(v);
  for (double v : warm) bocpd_.update(v / scale_);
  st_.ready = true;
  update_state();
}

void RegimeDetector::update_state() noexcept {
  RegimeScores& s = st_.scores;
  s.garch_sigma = garch_.sigma();
  s.rv = rv_.value();
  s.vol_rank = vq_.rank(s.rv);
  s.vr = vr_.ratio();
  s.vr_z = vr_.z();
  s.ar1_phi = ar_.phi();
  s.cp_prob = bocpd_.p_recent();
  s.run_length = static_cast<double>(bocpd_.map_run());

  const int bucket = vq_.classify(s.rv);
  st_.vol = bucket <= 0 ? VolRegime::Calm : (bucket == 1 ? VolRegime::Normal : VolRegime::Stressed);
  if (s.vr_z > cfg_.trend_z && s.ar1_phi > 0) st_.trend = TrendRegime::Trending;
  else if (s.vr_z < -cfg_.trend_z && s.ar1_phi < 0) st_.trend = TrendRegime::MeanReverting;
  else st_.trend = TrendRegime::Neutral;

  st_.change_point = bocpd_.change();
  if (st_.change_point) st_.samples_since_change = 0;
  else if (st_.samples_since_change != ~std::uint64_t{0}) ++st_.samples_since_change;

  const bool recent_change = st_.samples_since_change < cfg_.cp_hold;
  if (st_.vol == VolRegime::Stressed && recent_change) st_.gate = Gate::Stop;
  else if (st_.vol == VolRegime::Stressed || recent_change) st_.gate = Gate::Widen;
  else st_.gate = Gate::Normal;
}

bool RegimeDetector::set_garch_params(const GarchParams& p) noexcept {
  // A boundary optimum is no model (fit_garch reports it as not usable): refused here too, so a
  // caller that swaps in on `converged` alone cannot install one.
  if (garch_valid(p) && garch_boundary(p)) {
    ++cnt_.garch_rejected;
    return false;
  }
  if (!garch_.set_params(p)) {
    ++cnt_.garch_rejected;
    return false;
  }
  ++cnt_.garch_swaps;
  have_params_ = true;
  if (st_.ready) st_.scores.garch_sigma = garch_.sigma();
  return true;
}

}  // namespace hft::regime
