// The engine's clock in exchange time and the timers on it.
//  - Clock: in a replay, the time of the newest market event (driven by event time, never by the
//    wall clock: a replay gives the same timer firings on every run and layout); on a live feed,
//    the newest event's time plus the cycle-counter time elapsed since it arrived, so that timers
//    fire between events too. Time never goes backwards (an older event is counted, not followed).
//  - Scheduler: timers and execution reports due at an exchange time, in one bounded binary heap
//    (capacity fixed at start: no allocation after). Items fire in (due, sequence) order: ties go
//    in the order they were scheduled, so replays are deterministic. The thread that runs the
//    order stages calls run_until(t) before it handles a market event at time t: reports and
//    timers are merged with market events in exchange-time order.
// May touch: core/ (header only).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "hft/core/assert.hpp"
#include "hft/core/order.hpp"
#include "hft/core/types.hpp"

namespace hft::engine {

struct Clock {
  bool live = false;
  double ns_per_tick = 1.0;
  Nanos event_now = 0;              // newest market event's time
  std::uint64_t anchor_tick = 0;    // live: cycle counter when event_now was set
  std::uint64_t backwards = 0;      // events older than event_now (not followed)
  bool started = false;

  // A market event at ts arrived (at cycle counter tick, live).
  void on_event(Nanos ts, std::uint64_t tick = 0) noexcept {
    if (started && ts < event_now) {
      ++backwards;
      return;
    }
    started = true;
    event_now = ts;
    anchor_tick = tick;
  }
  // A scheduled item due at t is delivered: the clock reads t meanwhile (never backwards).
  void advance_to(Nanos t) noexcept {
    if (t > event_now) event_now = t;
  }
  // Exchange time now. Live: extrapolated from the newest event by the cycle counter.
  Nanos now(std::uint64_t tick = 0) const noexcept {
    if (!live || !started || tick <= anchor_tick) return event_now;
    return event_now + static_cast<Nanos>(static_cast<double>(tick - anchor_tick) * ns_per_tick);
  }
};

// A timer a stage set, as handed back to it when due.
struct TimerFire {
  std::uint64_t cookie = 0;  // the stage's own tag
  Nanos due = 0;
};

struct Scheduled {
  enum What : std::uint8_t { kExec = 0, kTimer = 1 };
  Nanos due = 0;
  std::uint64_t seq = 0;
  What what = kExec;
  std::uint16_t owner = 0;  // timers: the stage index that set it (exec reports go to every
                            // stage that takes them)
  ExecReport exec{};
  TimerFire timer{};
};

class Scheduler {
 public:
  explicit Scheduler(std::size_t capacity = 4096) { heap_.reserve(capacity); cap_ = capacity; }

  // False (counted in full) when the heap is at capacity: nothing is allocated on the hot path.
  bool at(Nanos due, ExecReport r) noexcept { return push(Scheduled{due, 0, Scheduled::kExec, 0, r, {}}); }
  bool timer(Nanos due, std::uint16_t owner, std::uint64_t cookie) noexcept {
    return push(Scheduled{due, 0, Scheduled::kTimer, owner, {}, TimerFire{cookie, due}});
  }
  // Hands every item due at or before t to deliver(const Scheduled&), in (due, seq) order; items
  // that deliver schedules at or before t fire in the same call.
  template <class F>
  std::size_t run_until(Nanos t, F&& deliver) noexcept {
    std::size_t n = 0;
    while (!heap_.empty() && heap_.front().due <= t) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      const Scheduled s = heap_.back();
      heap_.pop_back();
      ++n;
      ++fired;
      deliver(s);
    }
    return n;
  }
  std::size_t size() const noexcept { return heap_.size(); }
  std::size_t capacity() const noexcept { return cap_; }
  bool has_room(std::size_t n) const noexcept { return heap_.size() + n <= cap_; }
  Nanos next_due() const noexcept { return heap_.empty() ? kNever : heap_.front().due; }

  static constexpr Nanos kNever = INT64_MAX;
  std::uint64_t fired = 0, full = 0;

 private:
  static bool later(const Scheduled& a, const Scheduled& b) noexcept {
    return a.due != b.due ? a.due > b.due : a.seq > b.seq;
  }
  bool push(Scheduled s) noexcept {
    if (heap_.size() >= cap_) {
      ++full;
      return false;
    }
    s.seq = next_seq_++;
    HFT_ASSERT(heap_.size() < heap_.capacity(), "scheduler would allocate on the hot path");
    heap_.push_back(s);  // within the reserved capacity
    std::push_heap(heap_.begin(), heap_.end(), later);
    return true;
  }
  std::vector<Scheduled> heap_;
  std::size_t cap_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace hft::engine
