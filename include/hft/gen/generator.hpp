// Synthetic ITCH 5.0 feed generator: a seeded, deterministic order-flow model for a
// multi-instrument trading day, written as a MoldUDP64-in-UDP pcap. Order flow is clustered in
// time (per-instrument Hawkes processes, exponential kernel, branching ratio < 1); the generator
// keeps its own minimal L3 books so every execute/cancel/delete/replace names a live order
// with a valid quantity and no book is ever crossed or locked. May touch: core/, itch/ (encoder),
// feed/ (pcap writer).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "hft/core/types.hpp"

namespace hft::gen {

struct GenConfig {
  // what
  std::uint64_t seed = 1;
  std::uint32_t instruments = 8;       // locates 1..K, symbols SYM0001..
  std::uint64_t messages = 1'000'000;  // ITCH messages in total (system + directory + flow)
  Nanos open_ns = 34'200'000'000'000;   // 09:30, ns after midnight: order flow starts
  Nanos close_ns = 57'600'000'000'000;  // 16:00: order flow ends
  int year = 2025, month = 1, day = 2;  // trading date (pcap times = its midnight + ts)
  int utc_offset_min = -300;            // of the exchange clock (EST)

  // order-flow model
  double branching = 0.7;     // Hawkes branching ratio alpha/beta, in [0, 0.98]
  double decay_ms = 20.0;     // Hawkes kernel time constant 1/beta
  double u_shape = 0.8;       // intraday activity: rate at open/close = 1 + 2a/3, midday 1 - a/3
  double activity_skew = 0.7; // instrument i gets weight 1/i^skew of the flow
  double p_cancel = 0.40;     // action mix (before the live-order feedback on cancels)
  double p_market = 0.02;     // market orders (one E/C per resting order hit)
  double p_replace = 0.05;    // U
  double p_hidden = 0.01;     // P (hidden execution print)
  double p_exec_price = 0.05; // share of executions sent as C instead of E
  double p_partial_cancel = 0.08;  // share of cancels that are partial X (rest are D)
  double p_mpid = 0.05;       // share of adds sent as F
  double p_odd_lot = 0.04;    // share of adds with 1..99 shares
  double depth_alpha = 1.6;   // limit placement: P(distance >= d ticks) = (1 + d/scale)^-alpha
  double depth_scale = 2.0;
  double size_alpha = 1.8;    // order size: P(lots >= k) = k^-alpha, capped at 100 lots
  double daily_vol = 0.02;    // fair-value volatility per day
  std::uint32_t live_target = 1500;  // live orders per instrument the cancel feedback aims at

  // Order-flow regime switch (0: none). Up to open + flow_switch_at (close - open) the day is
  // the default day: aggressors lean toward the fair value, limit orders priced toward it join
  // their own side's best and stale quotes in front of it are pulled, so the heavier level-1
  // queue sits on the side the price moves toward (imbalance and next mid move agree). From
  // the switch on, marketable orders seek liquidity instead: each takes the whole HEAVIER best
  // level (ties: a coin), so a heavy queue precedes a move away from it and the sign of the
  // imbalance -> next-move relation flips (measured in tests/gen/generator_options_test.cpp).
  double flow_switch_at = 0;  // fraction of the session, in [0, 1)

  // Cointegrated pair (coint_a = 0: none): instrument B's fair value, in price terms (ticks of
  // $0.01), is a + coint_beta * (A's fair value) + s, s an Ornstein-Uhlenbeck spread in exchange
  // time with half-life coint_half_life_s and stationary sd coint_spread_sd ticks, s = 0 and
  // a = B's drawn opening price - beta * A's at the open. B's own random walk is replaced; its
  // book follows its fair value as usual. Locates, 1-based. Engle-Granger on the two MIDS finds
  // beta; the half-life only when the spread's sd clearly exceeds how far each book trails its
  // fair value (thin books, e.g. live_target 50; the default book trails by many ticks for
  // minutes, so the mids' residual then reverts more slowly than the spread).
  std::uint32_t coint_a = 0, coint_b = 0;
  double coint_beta = 1.0;
  double coint_half_life_s = 300.0;
  double coint_spread_sd = 10.0;

  // wire
  std::string out_path;
  // Called now and then (every 65,536 generator actions) with the flow messages written and
  // the flow budget: the command's progress line. Empty: not called.
  std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
  std::string session = "HFTGEN0001";
  std::uint32_t dst_ip = 0xEF010101;  // 239.1.1.1
  std::uint16_t dst_port = 26477;
  std::size_t payload_limit = 1400;   // MoldUDP64 payload bytes per packet
  Nanos pack_ns = 0;          // actions within this time of a packet's first one share it
                              //   (0: one action per packet, split only at payload_limit)
  Nanos heartbeat_ns = 1'000'000'000;  // MoldUDP64 heartbeat after this much silence (0: none)
  Nanos latency_ns = 20'000;           // ts_recv - ts_exch, plus jitter
  Nanos latency_jitter_ns = 5'000;
};

struct GenStats {
  std::array<std::uint64_t, 128> by_type{};  // ITCH messages per type character
  std::uint64_t messages = 0;
  std::uint64_t actions = 0;        // order-flow events of the point process
  std::uint64_t packets = 0;        // MoldUDP64 data packets
  std::uint64_t heartbeats = 0;
  std::uint64_t pcap_bytes = 0;
  std::uint64_t max_live_orders = 0;
  std::uint64_t end_live_orders = 0;
  std::uint64_t skipped_actions = 0;  // actions with no valid move (should stay 0)
  Nanos first_flow_ns = 0, last_flow_ns = 0;
};

// Throws std::invalid_argument naming the offending field.
void validate(const GenConfig& cfg);

// Writes the day to cfg.out_path. Same config (seed included) -> same bytes.
// Throws std::invalid_argument (bad config) or std::runtime_error (I/O).
GenStats generate_pcap(const GenConfig& cfg);

// ns since the Unix epoch of local midnight of y-m-d at the given UTC offset.
Nanos midnight_epoch_ns(int y, int m, int d, int utc_offset_min) noexcept;

// Messages the day spends outside the order flow: S x6, R and H per instrument, opening and
// closing cross Q per instrument.
constexpr std::uint64_t fixed_messages(std::uint32_t instruments) noexcept {
  return 6 + 4ull * instruments;
}

}  // namespace hft::gen
