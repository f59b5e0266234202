// What travels along the hot path between stages (and through a ring when two stages sit on
// different threads): the market event, the cycle-counter time the feed handed it on (for the
// end-to-end latency), and the top of book after the book stage applied it. Two cache lines.
// May touch: core/.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "hft/core/event.hpp"
#include "hft/core/types.hpp"

namespace hft::engine {

struct TopOfBook {
  Price bid = 0, ask = 0;  // 0 = side empty
  Volume bid_qty = 0, ask_qty = 0;
};

// Set by the prediction stage when it made a prediction after this event (made = 1): the
// ensemble's class probabilities (down, flat, up), expected return and confidence; model is
// the prediction stage's index of the model version that made it.
struct PredictionView {
  float p[3];
  float exp_ret_bps;
  float confidence;
  std::uint16_t model;
  std::uint8_t made;
};

struct alignas(64) Envelope {
  MarketEvent ev;
  std::uint64_t t_in = 0;    // rdtsc when the feed stage released the event
  TopOfBook top;             // set by the book stage for ev.instrument
  std::uint32_t quality = 0; // set by the clean stage: bit r = cleaning rule r fired
  bool halted = false;       // set by the clean stage: trading on ev.instrument is halted
  std::uint8_t regime = 0;   // set by the regime stage: the instrument's regime label
  PredictionView pred;       // set by the prediction stage

  // A fresh envelope, in place, for an event released at t: every other field as the stages
  // expect it before they run (nothing may leak from an earlier event). In place and stores
  // only: `slot = <an envelope returned by value>` made GCC build it on the stack with unaligned
  // zeroing stores and copy it out with aligned loads across them, a store-forwarding stall on
  // every event (perf, 500 instruments).
  void reset(const MarketEvent& e, std::uint64_t t) noexcept {
    std::memset(static_cast<void*>(this), 0, sizeof(Envelope));
    ev = e;
    t_in = t;
  }
};
static_assert(std::is_trivially_copyable_v<Envelope>);
static_assert(sizeof(Envelope) == 128, "two cache lines per ring slot");

}  // namespace hft::engine
