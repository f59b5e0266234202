// Circuit breakers per strategy and one global set, and the control-plane handle for the kill
// switch and re-arming.
//  Per strategy: daily loss (net P&L <= -max_loss), drawdown from the day's peak net P&L
//  (peak - net >= max_drawdown), model degradation (after min_labels labels, the exponentially
//  weighted log-loss above max_logloss or hit rate below min_hit_rate), reject rate (in the
//  current one-second window of event time, at least min_orders sent and rejected > rate * sent).
//  Global: stale feed (more than max_stale_ns of event time without an event, checked on each
//  event and on on_clock), gapped feed (the caller says so), latency spikes (a measured latency
//  above max_latency_ns latency_spikes times in a row).
// A trip records its reason and time, is counted, and makes the risk gate reject the strategy's
// (global: every strategy's) new orders with RejectReason::Breaker until rearm(). Every input
// method returns true when that call tripped a breaker, so the caller can cancel the strategy's
// orders (and flatten, if configured). Each input is one O(1) update. A limit of 0 turns its
// breaker off.
// Re-arming resets the windows and the drawdown peak (to the net P&L at the next update); the loss
// limit trips again at the next P&L update if the loss still stands.
// May touch: core/.
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "hft/core/types.hpp"

namespace hft::risk {

enum class BreakerReason : std::uint8_t {
  None = 0,
  DailyLoss,
  Drawdown,
  ModelLogLoss,
  ModelHitRate,
  RejectRate,
  FeedStale,
  FeedGap,
  Latency,
  Manual,
  Count_
};
inline constexpr int kBreakerReasonCount = static_cast<int>(BreakerReason::Count_);
const char* breaker_reason_name(BreakerReason r) noexcept;

struct BreakerSettings {
  double max_loss = 10000;            // currency; trips at net P&L <= -max_loss
  double max_drawdown = 5000;         // currency; trips at peak net - net >= max_drawdown
  double max_logloss = 0;             // trips when the weighted log-loss is above
  double min_hit_rate = 0;            // trips when the weighted hit rate is below
  double model_alpha = 0.02;          // weight of a new label in the averages, (0, 1]
  std::uint32_t min_labels = 100;     // labels since (re-)arming before the model breakers judge
  double max_reject_rate = 0.2;       // rejected / sent in the current second
  std::uint32_t min_orders = 20;      // sent in the current second before the reject rate judges
  Nanos max_stale_ns = 0;             // event time without any event
  bool trip_on_gap = true;
  Nanos max_latency_ns = 1'000'000;   // tick-to-order latency
  std::uint32_t latency_spikes = 3;   // in a row
  bool flatten_on_trip = false;       // the router also sends IOC orders that close the positions
};

struct BreakerState {
  bool tripped = false;
  BreakerReason reason = BreakerReason::None;
  Nanos since = 0;
  // inputs
  bool have_peak = false;
  double peak = 0;
  double logloss = 0, hit = 0;        // weighted averages
  std::uint32_t labels = 0;
  Nanos window = INT64_MIN;           // reject-rate window (second of event time)
  std::uint32_t win_sent = 0, win_rejected = 0;
};

class Breakers {
 public:
  static constexpr std::uint16_t kGlobal = 0xFFFF;

  explicit Breakers(std::uint16_t max_strategies = 64, const BreakerSettings& s = {})
      : set_(s), st_(max_strategies) {}
  void set_settings(const BreakerSettings& s) noexcept { set_ = s; }
  const BreakerSettings& settings() const noexcept { return set_; }

  // True when new orders of strategy s must be refused (s or the global set tripped).
  bool blocked(std::uint16_t s) const noexcept {
    return global_.tripped || (s < st_.size() && st_[s].tripped);
  }
  const BreakerState& state(std::uint16_t s) const noexcept { return s == kGlobal ? global_ : st_[s]; }
  std::uint64_t trips(BreakerReason r) const noexcept { return trips_[static_cast<std::size_t>(r)]; }
  std::uint16_t strategies() const noexcept { return static_cast<std::uint16_t>(st_.size()); }

  // The strategy's net P&L (realized + unrealized - fees) now.
  bool on_pnl(std::uint16_t s, double net, Nanos now) noexcept {
    if (s >= st_.size()) return false;
    BreakerState& b = st_[s];
    if (!b.have_peak || net > b.peak) {
      b.peak = net;
      b.have_peak = true;
    }
    if (set_.max_loss > 0 && net <= -set_.max_loss) return trip(s, BreakerReason::DailyLoss, now);
    if (set_.max_drawdown > 0 && b.peak - net >= set_.max_drawdown) return trip(s, BreakerReason::Drawdown, now);
    return false;
  }
  // A label for one of the strategy's predictions: its log-loss and whether the call was right.
  bool on_label(std::uint16_t s, double logloss, bool hit, Nanos now) noexcept {
    if (s >= st_.size() || !std::isfinite(logloss)) return false;
    BreakerState& b = st_[s];
    const double a = b.labels == 0 ? 1.0 : set_.model_alpha;  // the first label starts the averages
    b.logloss += a * (logloss - b.logloss);
    b.hit += a * ((hit ? 1.0 : 0.0) - b.hit);
    ++b.labels;
    if (b.labels < set_.min_labels) return false;
    if (set_.max_logloss > 0 && b.logloss > set_.max_logloss) return trip(s, BreakerReason::ModelLogLoss, now);
    if (set_.min_hit_rate > 0 && b.hit < set_.min_hit_rate) return trip(s, BreakerReason::ModelHitRate, now);
    return false;
  }
  // An order the strategy sent (rejected: by the gate at once) and a later venue reject.
  bool on_order(std::uint16_t s, bool rejected, Nanos now) noexcept {
    if (s >= st_.size()) return false;
    BreakerState& b = roll(st_[s], now);
    ++b.win_sent;
    b.win_rejected += rejected;
    return judge_rejects(s, now);
  }
  bool on_reject(std::uint16_t s, Nanos now) noexcept {
    if (s >= st_.size()) return false;
    ++roll(st_[s], now).win_rejected;
    return judge_rejects(s, now);
  }
  // A market event at ts (gap: the feed lost messages before it).
  bool on_feed_event(Nanos ts, bool gap) noexcept {
    bool t = false;
    if (have_feed_ && set_.max_stale_ns > 0 && ts > last_feed_ && ts - last_feed_ > set_.max_stale_ns)
      t = trip(kGlobal, BreakerReason::FeedStale, ts);
    if (!have_feed_ || ts > last_feed_) last_feed_ = ts;
    have_feed_ = true;
    if (gap && set_.trip_on_gap) t = trip(kGlobal, BreakerReason::FeedGap, ts) || t;
    return t;
  }
  // The clock between events (timers, live clock): no event for too long.
  bool on_clock(Nanos now) noexcept {
    if (have_feed_ && set_.max_stale_ns > 0 && now > last_feed_ && now - last_feed_ > set_.max_stale_ns)
      return trip(kGlobal, BreakerReason::FeedStale, now);
    return false;
  }
  // One measured latency (ns).
  bool on_latency(Nanos latency, Nanos now) noexcept {
    if (set_.max_latency_ns <= 0 || set_.latency_spikes == 0) return false;
    if (latency <= set_.max_latency_ns) {
      lat_run_ = 0;
      return false;
    }
    if (++lat_run_ < set_.latency_spikes) return false;
    lat_run_ = 0;
    return trip(kGlobal, BreakerReason::Latency, now);
  }

  // Trips s (or kGlobal) for reason r; true when it was not tripped before (counted once).
  bool trip(std::uint16_t s, BreakerReason r, Nanos now) noexcept {
    if (s != kGlobal && s >= st_.size()) return false;
    BreakerState& b = s == kGlobal ? global_ : st_[s];
    if (b.tripped) return false;
    b.tripped = true;
    b.reason = r;
    b.since = now;
    ++trips_[static_cast<std::size_t>(r)];
    return true;
  }
  void rearm(std::uint16_t s) noexcept {
    BreakerState& b = s == kGlobal ? global_ : st_[s];
    b = BreakerState{};
    if (s == kGlobal) lat_run_ = 0;
  }
  void rearm_all() noexcept {
    for (std::size_t i = 0; i < st_.size(); ++i) st_[i] = BreakerState{};
    global_ = BreakerState{};
    lat_run_ = 0;
    have_feed_ = false;  // the stale clock starts again at the next event
  }

 private:
  static BreakerState& roll(BreakerState& b, Nanos now) noexcept {
    const Nanos w = floor_div(now, 1'000'000'000);
    if (w != b.window) {
      b.window = w;
      b.win_sent = b.win_rejected = 0;
    }
    return b;
  }
  bool judge_rejects(std::uint16_t s, Nanos now) noexcept {
    const BreakerState& b = st_[s];
    if (set_.max_reject_rate <= 0 || b.win_sent < std::max<std::uint32_t>(1, set_.min_orders)) return false;
    if (static_cast<double>(b.win_rejected) > set_.max_reject_rate * static_cast<double>(b.win_sent))
      return trip(s, BreakerReason::RejectRate, now);
    return false;
  }

  BreakerSettings set_;
  std::vector<BreakerState> st_;
  BreakerState global_;
  std::array<std::uint64_t, kBreakerReasonCount> trips_{};
  std::uint32_t lat_run_ = 0;
  bool have_feed_ = false;
  Nanos last_feed_ = 0;
};

// Kill and re-arm requests from the control thread (HTTP endpoint, signal handler) to the hot
// thread. Two lock-free atomics, written by the control side, read by the hot thread with relaxed
// loads once per event (the cache line is shared read-only until someone writes it, so a poll
// costs an L1 hit):
//   kill      level: while true nothing but cancels leaves the gate; the hot thread, on seeing it
//             rise, cancels every working order once.
//   rearm_seq counter: each increment re-arms every breaker once and clears the kill flag (a
//             re-arm after a kill resumes trading).
// Both operations are async-signal-safe (lock-free atomics): a SIGUSR1 / SIGUSR2 handler may call
// them directly.
struct Control {
  std::atomic<bool> kill{false};
  std::atomic<std::uint64_t> rearm_seq{0};
  static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<std::uint64_t>::is_always_lock_free);

  void request_kill() noexcept { kill.store(true, std::memory_order_release); }
  void request_rearm() noexcept {
    kill.store(false, std::memory_order_release);
    rearm_seq.fetch_add(1, std::memory_order_acq_rel);
  }
};

// The hot thread's view of a Control: poll() reports what changed since the last poll.
struct ControlPoll {
  bool killed = false;
  std::uint64_t seen_seq = 0;
  struct Change {
    bool kill_rose = false, rearm = false;
  };
  Change poll(const Control& c) noexcept {
    Change ch;
    const std::uint64_t seq = c.rearm_seq.load(std::memory_order_acquire);
    if (seq != seen_seq) {
      seen_seq = seq;
      ch.rearm = true;
    }
    const bool k = c.kill.load(std::memory_order_acquire);
    ch.kill_rose = k && !killed;
    killed = k;
    return ch;
  }
};

inline const char* breaker_reason_name(BreakerReason r) noexcept {
  switch (r) {
    case BreakerReason::None: return "none";
    case BreakerReason::DailyLoss: return "daily_loss";
    case BreakerReason::Drawdown: return "drawdown";
    case BreakerReason::ModelLogLoss: return "model_logloss";
    case BreakerReason::ModelHitRate: return "model_hit_rate";
    case BreakerReason::RejectRate: return "reject_rate";
    case BreakerReason::FeedStale: return "feed_stale";
    case BreakerReason::FeedGap: return "feed_gap";
    case BreakerReason::Latency: return "latency";
    case BreakerReason::Manual: return "manual";
    case BreakerReason::Count_: break;
  }
  return "?";
}

}  // namespace hft::risk
