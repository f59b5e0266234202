#include "hft/model/inputs.hpp"

#include <cmath>
#include <limits>
#include <string_view>

namespace hft::model {
namespace {

int find(const std::vector<std::string>& names, std::string_view n) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == n) return static_cast<int>(i);
  return -1;
}
bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

InputMap::InputMap(const std::vector<std::string>& fn, double tick_currency) : inv_tick_(1.0 / tick_currency) {
  using Op = InputDef::Op;
  d1b_ = find(fn, "depth_bid_1");
  d1a_ = find(fn, "depth_ask_1");
  for (std::size_t i = 0; i < fn.size(); ++i) {  // the deepest level present
    if (starts(fn[i], "depth_bid_")) dnb_ = static_cast<int>(i);
    if (starts(fn[i], "depth_ask_")) dna_ = static_cast<int>(i);
  }
  const int mid = find(fn, "mid");
  auto add = [&](std::string name, Op op, int a, int b = -1) { defs_.push_back({std::move(name), op, a, b}); };
  for (std::size_t i = 0; i < fn.size(); ++i) {
    const std::string& n = fn[i];
    const int k = static_cast<int>(i);
    if (n == "mid" || n == "vwap" || n == "day_of_week") continue;  // levels of price; calendar
    if (n == "wmid" && mid >= 0) add("wmid_ticks", Op::DiffTicks, k, mid);
    else if (n == "microprice" && mid >= 0) add("micro_ticks", Op::DiffTicks, k, mid);
    else if (starts(n, "depth_bid_") || starts(n, "depth_ask_")) {
      if (dnb_ >= 0 && dna_ >= 0) add("dshape_" + n.substr(6), Op::DepthShape, k);
    } else if (starts(n, "ofi_") || starts(n, "svol_") || starts(n, "qdepl_") || starts(n, "qrepl_")) {
      if (d1b_ >= 0 && d1a_ >= 0) add(n + "_rel", Op::PerD1, k);
    } else if (starts(n, "mlofi_")) {
      if (dnb_ >= 0 && dna_ >= 0) add(n + "_rel", Op::PerDN, k);
    } else if (starts(n, "trate_") || starts(n, "add_rate_") || starts(n, "cxl_rate_")) {
      add(n + "_log", Op::Log1p, k);
    } else if (n == "hawkes_buy" || n == "hawkes_fit_buy") {
      const std::string stem = n.substr(0, n.size() - 4);  // "hawkes" or "hawkes_fit"
      const int s = find(fn, stem + "_sell");
      if (s >= 0) {
        add(stem + "_imb", Op::HawkesImb, k, s);
        add(stem + "_log", Op::HawkesLog, k, s);
      }
    } else if (n == "hawkes_sell" || n == "hawkes_fit_sell") {
      continue;
    } else if (starts(n, "rv_") || starts(n, "mom_")) {
      add(n + "_bps", Op::Bps, k);
    } else {
      add(n, Op::Copy, k);  // already scale-free: ratios, ticks, bps, clock and flags
    }
  }
  add("regime_vol", Op::RegimeVol, -1);
  add("regime_trend", Op::RegimeTrend, -1);
}

std::vector<std::string> InputMap::names() const {
  std::vector<std::string> n;
  for (const auto& d : defs_) n.push_back(d.name);
  return n;
}

float InputMap::one(std::span<const double> f, std::uint8_t regime, std::size_t i) const noexcept {
  using Op = InputDef::Op;
  const InputDef& d = defs_[i];
  // The label byte: vol in bits 0-1, trend in bits 2-3, ready in bit 7.
  if (d.op == Op::RegimeVol || d.op == Op::RegimeTrend) {
    if (!(regime & 0x80)) return std::numeric_limits<float>::quiet_NaN();
    return static_cast<float>(d.op == Op::RegimeVol ? (regime & 3) : ((regime >> 2) & 3));
  }
  const double x = f[static_cast<std::size_t>(d.a)];
  double v = 0;
  auto ratio = [](double num, double den) { return den > 0 ? num / den : 0.0; };
  switch (d.op) {
    case Op::Copy: v = x; break;
    case Op::DiffTicks: v = (x - f[static_cast<std::size_t>(d.b)]) * inv_tick_; break;
    case Op::PerD1: v = ratio(x, 0.5 * (f[static_cast<std::size_t>(d1b_)] + f[static_cast<std::size_t>(d1a_)])); break;
    case Op::PerDN:
    case Op::DepthShape: v = ratio(x, 0.5 * (f[static_cast<std::size_t>(dnb_)] + f[static_cast<std::size_t>(dna_)])); break;
    case Op::Log1p: v = x > 0 ? std::log1p(x) : 0.0; break;
    case Op::Bps: v = x * 1e4; break;
    case Op::HawkesImb: {
      const double s = f[static_cast<std::size_t>(d.b)];
      v = ratio(x - s, x + s);
      break;
    }
    case Op::HawkesLog: {
      const double s = x + f[static_cast<std::size_t>(d.b)];
      v = s > 0 ? std::log1p(s) : 0.0;
      break;
    }
    case Op::RegimeVol:
    case Op::RegimeTrend: break;  // above
  }
  // The features never emit NaN or inf; a ratio of huge values could still overflow a float.
  if (!std::isfinite(v) || std::fabs(v) > 3e38) v = 0;
  return static_cast<float>(v);
}

void InputMap::compute(std::span<const double> f, std::uint8_t regime, float* out) const noexcept {
  for (std::size_t i = 0; i < defs_.size(); ++i) out[i] = one(f, regime, i);
}

void InputMap::compute(std::span<const double> f, std::uint8_t regime, std::span<const std::uint16_t> which,
                       float* out) const noexcept {
  for (std::uint16_t i : which) out[i] = one(f, regime, i);
}

}  // namespace hft::model
