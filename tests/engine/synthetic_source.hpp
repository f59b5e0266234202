// Test helpers shared by the engine tests: a deterministic synthetic order flow (optionally a
// never-ending live one) and small layouts.
#pragma once
#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/feed/source.hpp"

namespace hft::testing {

// A deterministic order flow over a few instruments: adds around a mid that drifts, partial
// executions, cancels and deletes of live orders, a replace now and then. live = true makes it a
// never-ending source that also returns empty batches (like a quiet socket).
class SyntheticSource final : public feed::EventSource {
 public:
  SyntheticSource(std::uint64_t total, bool live, Nanos ts_step = 1000)
      : total_(total), live_(live), ts_step_(ts_step) {}
  std::size_t next(std::span<MarketEvent> out) override {
    if (live_ && (++calls_ % 5) == 0) return 0;  // nothing this time
    std::size_t n = 0;
    while (n < out.size() && (live_ || produced_ < total_)) {
      out[n++] = make();
      ++produced_;
    }
    stats_.events = produced_;
    stats_.counts["synthetic.events"] = produced_;
    return n;
  }
  feed::TimeBasis time_basis() const noexcept override { return feed::TimeBasis::SinceMidnight; }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return instruments_; }
  const feed::SourceStats& stats() const noexcept override { return stats_; }
  bool live() const noexcept override { return live_; }

 private:
  std::uint64_t rnd() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  MarketEvent make() {
    MarketEvent e{};
    e.ts_exch = static_cast<Nanos>(34'200'000'000'000 + static_cast<Nanos>(produced_) * ts_step_);
    const std::uint64_t r = rnd();
    if (live_ids_.size() < 50 || r % 10 < 5) {
      e.kind = EventKind::Add;
      e.order_id = ++next_id_;
      e.instrument = 1 + static_cast<InstrumentId>(r % 4);
      e.side = (r >> 8) & 1 ? Side::Buy : Side::Sell;
      const Price mid = 1'000'000 + static_cast<Price>((produced_ / 1000) % 50) * 100;
      e.price = e.side == Side::Buy ? mid - 100 * static_cast<Price>(1 + (r >> 16) % 5)
                                    : mid + 100 * static_cast<Price>(1 + (r >> 16) % 5);
      e.qty = 100 * static_cast<Qty>(1 + (r >> 24) % 5);
      live_ids_.push_back({e.order_id, e.instrument});
    } else {
      // Past 200 live orders the oldest goes: the book stays near the drifting mid (uncrossed).
      const bool trim = live_ids_.size() > 200;
      const std::size_t k = trim ? 0 : (r >> 8) % live_ids_.size();
      e.order_id = live_ids_[k].first;
      e.instrument = live_ids_[k].second;
      const int what = trim ? 3 : static_cast<int>((r >> 32) % 4);
      if (what == 0) {
        e.kind = EventKind::Execute;
        e.qty = 100;
      } else if (what == 1) {
        e.kind = EventKind::Cancel;
        e.qty = 100;
      } else {
        e.kind = EventKind::Delete;
      }
      // executes/cancels may empty the order (the book counts an over-execute); ids are dropped
      // from our list only on delete, so some later events hit unknown ids: counted by the book
      if (e.kind == EventKind::Delete) live_ids_.erase(live_ids_.begin() + static_cast<long>(k));  // keeps age order
    }
    e.flags = evflag::kLast;
    return e;
  }

  std::uint64_t total_, produced_ = 0, calls_ = 0, next_id_ = 0, s_ = 0x9E3779B97F4A7C15ull;
  bool live_;
  Nanos ts_step_;
  // oldest first; a deque, as most deletes take the oldest (a vector's erase at the front moved
  // every id, a seventh of the engine tests' time under ASan)
  std::deque<std::pair<OrderId, InstrumentId>> live_ids_;
  std::vector<feed::Instrument> instruments_;
  feed::SourceStats stats_;
};


// A recorded source played as a live feed: one batch of at most `batch` events a millisecond of
// wall time, nothing in between (like a socket between bursts), so that the threads behind the
// hot one go idle between batches as they do on a real feed. Never reaches end of input.
class AsLive final : public feed::EventSource {
 public:
  // hold: once hold_from events have been delivered, none more while it returns true (a test
  // waits there for background work, whatever the machine's load).
  AsLive(std::unique_ptr<feed::EventSource> in, std::size_t batch, std::uint64_t hold_from = 0,
         std::function<bool()> hold = {})
      : in_(std::move(in)), batch_(batch), hold_from_(hold_from), hold_(std::move(hold)) {}
  std::size_t next(std::span<MarketEvent> out) override {
    const auto now = std::chrono::steady_clock::now();
    if (done_ || now - last_ < std::chrono::milliseconds(1)) return 0;
    if (hold_ && delivered_ >= hold_from_ && hold_()) return 0;
    last_ = now;
    const std::size_t n = in_->next(out.first(std::min(out.size(), batch_)));
    delivered_ += n;
    done_ = n == 0;
    return n;
  }
  bool live() const noexcept override { return true; }
  feed::TimeBasis time_basis() const noexcept override { return in_->time_basis(); }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return in_->instruments(); }
  const feed::SourceStats& stats() const noexcept override { return in_->stats(); }

 private:
  std::unique_ptr<feed::EventSource> in_;
  std::size_t batch_;
  std::uint64_t hold_from_, delivered_ = 0;
  std::function<bool()> hold_;
  bool done_ = false;
  std::chrono::steady_clock::time_point last_{};
};

inline config::Config with_layout(std::vector<config::ThreadLayout> layout, config::RingFull policy = config::RingFull::Block) {
  config::Config c = config::default_config();
  c.system.layout = std::move(layout);
  c.system.ring_capacity = 1024;  // small, so that full rings happen
  c.system.ring_full = policy;
  c.feed.batch = 64;
  c.feed.max_orders = 1 << 18;
  c.system.max_instruments = 16;
  return c;
}

inline config::ThreadLayout thread(const char* name, std::vector<std::string> stages, config::Idle idle = config::Idle::Backoff) {
  return {name, std::move(stages), -1, idle, 0};
}

}  // namespace hft::testing
