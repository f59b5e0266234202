#include "hft/model/labels.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hft::model {

std::string Horizon::name() const {
  if (unit == HorizonUnit::Events) return std::to_string(value) + "ev";
  if (value % 1'000'000'000 == 0) return std::to_string(value / 1'000'000'000) + "s";
  if (value % 1'000'000 == 0) return std::to_string(value / 1'000'000) + "ms";
  if (value % 1'000 == 0) return std::to_string(value / 1'000) + "us";
  return std::to_string(value) + "ns";
}

Horizon parse_horizon(const std::string& s) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    throw std::invalid_argument("horizon '" + s + "': expected a count of events (50, 50ev) or a time (500ms, 2s, 100us)");
  }
  const std::string unit = s.substr(used);
  if (v <= 0) throw std::invalid_argument("horizon '" + s + "': must be > 0");
  Horizon h;
  if (unit.empty() || unit == "ev") {
    if (v > 10'000'000) throw std::invalid_argument("horizon '" + s + "': at most 10,000,000 events");
    h.unit = HorizonUnit::Events;
    h.value = v;
    return h;
  }
  std::int64_t scale = 0;
  if (unit == "ns") scale = 1;
  else if (unit == "us") scale = 1'000;
  else if (unit == "ms") scale = 1'000'000;
  else if (unit == "s") scale = 1'000'000'000;
  else throw std::invalid_argument("horizon '" + s + "': unknown unit '" + unit + "' (ev, ns, us, ms, s)");
  if (v > 86'400'000'000'000LL / scale) throw std::invalid_argument("horizon '" + s + "': at most a day");
  h.unit = HorizonUnit::Nanos;
  h.value = v * scale;
  return h;
}

SampleOn parse_sample_on(const std::string& s) {
  if (s == "event") return SampleOn::Event;
  if (s == "top") return SampleOn::Top;
  if (s == "time") return SampleOn::Time;
  throw std::invalid_argument("sample_on: event, top or time, got '" + s + "'");
}

double balanced_threshold(std::vector<double> moves, double min_alpha) noexcept {
  if (moves.empty()) return min_alpha;
  for (double& m : moves) m = std::fabs(m);
  const std::size_t k = moves.size() / 3;
  std::nth_element(moves.begin(), moves.begin() + static_cast<std::ptrdiff_t>(k), moves.end());
  return std::max(moves[k], min_alpha);
}

Labeler::Labeler(Horizon h, Price tick, std::size_t max_instruments, std::size_t max_pending, std::size_t max_active)
    : h_(h), tick2_(2.0 * static_cast<double>(tick)), max_pending_(std::max<std::size_t>(max_pending, 1)),
      st_(max_instruments), pool_(max_active * std::max<std::size_t>(max_pending, 1)) {
  if (h.value <= 0) throw std::invalid_argument("label horizon must be > 0");
  if (tick <= 0) throw std::invalid_argument("tick must be > 0");
}

bool Labeler::add_sample(InstrumentId id, std::uint64_t sample_id, Nanos t) noexcept {
  if (id >= st_.size()) {
    ++cnt_.bad_instrument;
    return false;
  }
  Inst& s = st_[id];
  if (s.mid2 == 0) {
    ++cnt_.no_mid;
    return false;
  }
  if (!s.ring && pool_.empty()) {
    s.own.resize(max_pending_);
    s.ring = s.own.data();
  }
  if (!s.ring) {
    if (pool_used_ + max_pending_ > pool_.size()) {
      ++cnt_.over_capacity;
      return false;
    }
    s.ring = pool_.data() + pool_used_;
    pool_used_ += max_pending_;
  }
  if (s.size == max_pending_) {
    ++cnt_.dropped_full;
    return false;
  }
  std::size_t slot = s.head + s.size;
  if (slot >= max_pending_) slot -= max_pending_;
  s.ring[slot] = Pending{sample_id, s.n, s.sum2, s.mid2, t};
  ++s.size;
  ++cnt_.samples;
  return true;
}

LabelValue Labeler::value(const Pending& p, std::int64_t sum2_end, std::int64_t n_end, std::int64_t mid2_end,
                          Nanos t_end) const noexcept {
  LabelValue v;
  v.t_end = t_end;
  const std::int64_t k = n_end - p.n;
  const double mean2 = k > 0 ? static_cast<double>(sum2_end - p.sum2) / static_cast<double>(k)
                             : static_cast<double>(p.mid2);  // no event in the window: no move
  const double move2 = mean2 - static_cast<double>(p.mid2);
  v.move_ticks = move2 / tick2_;
  v.move_bps = move2 / static_cast<double>(p.mid2) * 1e4;
  v.ret_bps = static_cast<double>(mid2_end - p.mid2) / static_cast<double>(p.mid2) * 1e4;
  return v;
}

}  // namespace hft::model
