// Training targets (step 4), resolved as the stream goes: a sample taken at an event is labelled
// only once its horizon has passed, so that nothing waits and nothing sees the future.
//  - direction (FI-2010 style): l = (mean of the next k mids - mid) / tick, in ticks; down when
//    l < -alpha, up when l > alpha, else flat. alpha is a number of ticks or basis points of the
//    mid, or chosen on the training data so that the classes are balanced (class_of below).
//  - return: the mid's return over the horizon, in basis points of the mid at the sample.
// Horizons are a number of the instrument's events (the k events after the sample) or exchange
// time ((t, t + h]: every event of the instrument in it; resolved at the first event after
// t + h). Mids are sums of best bid and ask in price units (exact integers): the means are exact.
// Events without a two-sided, uncrossed book carry the last valid mid (before the first one the
// instrument has no mid and takes no sample).
//
// May touch: core/ only. No allocation after construction: pending rings come from a pool built
// for max_active instruments (an instrument takes one at its first sample; instruments beyond
// the pool take no samples, counted), and a full ring drops the new sample (counted).
// max_active = 0 (offline use): each instrument's ring is allocated at its first sample.
// An event horizon of k never has more than k samples pending (one sample an event at most):
// pending_for() gives the ring size that never drops.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "hft/core/types.hpp"

namespace hft::model {

enum class HorizonUnit : std::uint8_t { Events, Nanos };

struct Horizon {
  HorizonUnit unit = HorizonUnit::Events;
  std::int64_t value = 50;  // events, or ns
  std::string name() const; // "50ev", "500ms", "2s"
  bool operator==(const Horizon&) const = default;
};
// "50" or "50ev" = 50 events; "500ms", "2s", "100us" = exchange time. Throws std::invalid_argument.
Horizon parse_horizon(const std::string& s);

// What a resolved sample's label holds: both targets (the class needs a threshold, below).
struct LabelValue {
  double move_ticks = 0;  // mean of the future mids minus the mid, in ticks
  double move_bps = 0;    // the same in basis points of the mid
  double ret_bps = 0;     // last mid of the horizon against the mid, basis points
  Nanos t_end = 0;        // when the label became known (the horizon's end)
};

enum class Direction : std::uint8_t { Down = 0, Flat = 1, Up = 2 };
inline constexpr int kDirections = 3;
inline int class_of(double move, double alpha) noexcept {
  return move > alpha ? 2 : (move < -alpha ? 0 : 1);
}
// alpha for balanced classes: the 1/3 quantile of |move| over the training values (so about a
// third of them are flat), at least min_alpha. Values are copied.
double balanced_threshold(std::vector<double> moves, double min_alpha = 0) noexcept;

// When a sample is taken (bursts must not dominate a training set): every event, every change
// of the top of book (a best price or size), or the first event at or after each multiple of
// `every` ns of exchange time, per instrument. The dataset builder and the prediction stage use
// the same rule, so the model serves the rows it was trained on.
enum class SampleOn : std::uint8_t { Event, Top, Time };
SampleOn parse_sample_on(const std::string& s);  // event | top | time; throws std::invalid_argument

class Sampler {
 public:
  Sampler(SampleOn on, Nanos every, std::size_t max_instruments)
      : on_(on), every_(every > 0 ? every : 1), last_(on == SampleOn::Top ? max_instruments : 0),
        next_(on == SampleOn::Time ? max_instruments : 0, std::numeric_limits<Nanos>::min()) {}
  // Called for every (valid-book) event of an instrument below max_instruments.
  bool due(InstrumentId id, Nanos t, Price bid, Price ask, Volume bid_qty, Volume ask_qty) noexcept {
    switch (on_) {
      case SampleOn::Event: return true;
      case SampleOn::Top: {
        Top& a = last_[id];
        const Top now{bid, ask, bid_qty, ask_qty};
        const bool changed = !(a == now);
        a = now;
        return changed;
      }
      case SampleOn::Time:
        if (t < next_[id]) return false;
        next_[id] = (t / every_ + 1) * every_;
        return true;
    }
    return false;
  }

 private:
  struct Top {
    Price bid = 0, ask = 0;
    Volume bq = 0, aq = 0;
    bool operator==(const Top&) const = default;
  };
  SampleOn on_;
  Nanos every_;
  std::vector<Top> last_;
  std::vector<Nanos> next_;
};

struct LabelCounters {
  std::uint64_t samples = 0, resolved = 0, dropped_full = 0, no_mid = 0, bad_instrument = 0, over_capacity = 0;
};

class Labeler {
 public:
  // tick: price units of a tick (e.g. 100 = $0.01 at 1e-4 scale).
  Labeler(Horizon h, Price tick, std::size_t max_instruments, std::size_t max_pending, std::size_t max_active = 64);
  // The ring size for horizon h: k + 1 for k events, else max_pending.
  static std::size_t pending_for(const Horizon& h, std::size_t max_pending) noexcept {
    return h.unit == HorizonUnit::Events ? static_cast<std::size_t>(h.value) + 1 : max_pending;
  }

  // Every event of an instrument, in order, before the sample of that event (if any): top of
  // book after the event (0 = side empty). Calls emit(sample_id, LabelValue) for each pending
  // sample whose horizon this event completes (Events) or passes (Nanos), oldest first.
  template <class Emit>
  void on_event(InstrumentId id, Nanos t, Price bid, Price ask, Emit&& emit) noexcept;
  // A sample at the instrument's current event: pending until its horizon passes. False when
  // the instrument has no mid yet or its ring is full (counted).
  bool add_sample(InstrumentId id, std::uint64_t sample_id, Nanos t) noexcept;
  // Mid (sum of bid and ask, price units) of the instrument's last event; 0 when none yet.
  std::int64_t mid2(InstrumentId id) const noexcept { return id < st_.size() ? st_[id].mid2 : 0; }

  const LabelCounters& counters() const noexcept { return cnt_; }
  const Horizon& horizon() const noexcept { return h_; }

 private:
  struct Pending {
    std::uint64_t id;
    std::int64_t n;       // instrument's event count at the sample
    std::int64_t sum2;    // prefix sum of mid2 at the sample
    std::int64_t mid2;    // the sample's mid2
    Nanos t;
  };
  struct Inst {
    std::int64_t n = 0, sum2 = 0, mid2 = 0;
    Pending* ring = nullptr;  // max_pending slots from the pool, once the instrument has a sample
    std::vector<Pending> own; // offline (max_active 0): the ring's storage
    std::size_t head = 0, size = 0;
  };
  LabelValue value(const Pending& p, std::int64_t sum2_end, std::int64_t n_end, std::int64_t mid2_end, Nanos t_end) const noexcept;

  Horizon h_;
  double tick2_;  // 2 * tick (mid2 units)
  std::size_t max_pending_;
  std::vector<Inst> st_;
  std::vector<Pending> pool_;
  std::size_t pool_used_ = 0;
  LabelCounters cnt_;
};

template <class Emit>
void Labeler::on_event(InstrumentId id, Nanos t, Price bid, Price ask, Emit&& emit) noexcept {
  if (id >= st_.size()) {
    ++cnt_.bad_instrument;
    return;
  }
  Inst& s = st_[id];
  // Time horizons end before this event when it comes after t + h: resolve those first.
  if (h_.unit == HorizonUnit::Nanos) {
    while (s.size > 0) {
      const Pending& p = s.ring[s.head];
      if (t - p.t <= h_.value) break;
      emit(p.id, value(p, s.sum2, s.n, s.mid2, p.t + h_.value));
      s.head = s.head + 1 == max_pending_ ? 0 : s.head + 1;
      --s.size;
      ++cnt_.resolved;
    }
  }
  if (bid > 0 && ask > 0 && bid < ask) s.mid2 = bid + ask;
  if (s.mid2 == 0) return;  // no mid yet: not an event of the label windows
  ++s.n;
  s.sum2 += s.mid2;
  if (h_.unit == HorizonUnit::Events) {
    while (s.size > 0) {
      const Pending& p = s.ring[s.head];
      if (s.n - p.n < h_.value) break;
      emit(p.id, value(p, s.sum2, s.n, s.mid2, t));
      s.head = s.head + 1 == max_pending_ ? 0 : s.head + 1;
      --s.size;
      ++cnt_.resolved;
    }
  }
}

}  // namespace hft::model
