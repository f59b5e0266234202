// The simulated exchange (step 5: replay backtests and paper trading). It takes order intents as
// an engine::OrderSink, delays them by an entry latency, matches them against the REAL book being
// replayed (book::Books, kept by the book stage), keeps resting own orders in the real queue at
// their price, fills them as the real stream says the queue moved, and answers with ExecReports
// after a response latency. Own orders never enter `books`: the replayed book stays the venue's.
//
// Time: the intent leaves at `now`; it reaches the venue at now + entry latency (a Scheduler timer
// with owner timer_owner, handed back through on_timer). Arrivals are FIFO (one session): an
// intent never overtakes an earlier one (arrival = max(now + draw, previous arrival)), so a cancel
// always finds its order. Every report of one venue event has ts = venue time + ONE response
// draw, never earlier than the previous report's ts (reports do not overtake either), and
// ts_venue = the venue time (arrival time, or the market event's ts_exch for passive fills).
//
// Arrival (on_timer):
//  - New: checked (side, qty > 0, price > 0, instrument in range, id not already known, a free
//    order slot), then Ack, then the marketable part walks the visible opposite levels from the
//    best while they cross the limit: one taker Fill per level at the level's price, of
//    min(leaves, level qty - liquidity own orders already took there, see below). The rest: IOC
//    -> Cancelled; Day -> joins the BACK of the real queue at its price.
//  - Cancel: the working order -> Cancelled (qty = leaves cancelled, leaves 0). Already filled or
//    cancelled -> Reject(UnknownOrder), counted as cancel_too_late (the report's reason cannot
//    say "too late": core has no such RejectReason). Never known -> Reject(UnknownOrder).
//  - Replace (price, qty = the new leaves): as cancel + new with the same id: Replaced, priority
//    lost, then matched and rested like a New. Too late / unknown as for Cancel.
//  - Bad input -> Reject with BadQty / BadPrice / BadSide / BadInstrument / UnknownOrder / Venue
//    (duplicate id, full pools), each counted by reason. A full in-flight pool at submit ->
//    Reject(Venue) at `now` (ts_venue 0): it never left.
//
// Queue position, QueueModel::L3Exact (per-order books; `ahead` = displayed qty ahead):
//  - On joining, every displayed order at that price and side is ahead (their ids are tracked,
//    marked with the own order's join sequence); orders that arrive later are behind.
//  - An order ahead that executes, cancels (partly or fully), is deleted, replaced (a replace
//    loses priority), moves price or grows (Modify) takes its quantity out of `ahead`; a Modify
//    that only shrinks keeps its priority and takes the shrink out. Events on orders behind do
//    not move us. Hidden executions (EventKind::Trade) do not move the visible queue.
//  - Passive fills (Maker, at our price, queue_ahead = `ahead` when we joined): an execution of
//    an order BEHIND ours at our price (FIFO says ours went first), or any execution at our price
//    once ahead is 0, fills min(executed qty, leaves). A trade through our price fills us at our
//    price: an execution (visible, or a hidden Trade with a known side) on our side at a price
//    worse for us, or an opposite order placed (Add, Replace, Modify to a new place) at or
//    through our price. One market execution never fills own orders for more than its quantity:
//    it is shared in price-time priority (better-priced own orders first, then join order).
//  - Tracking table full (max_tracked market ids): the own order is marked estimated and
//    counted (tracked_full). An event at its level on an order it does not track then follows
//    the conservative rule of hftbacktest's risk-averse model: an execution takes its quantity
//    out of `ahead` first and only the excess fills; any other reduction only clamps `ahead` to
//    the level's displayed qty. The estimate never falls below the true queue ahead, so fills
//    come no earlier than the exact rule would give. A Clear of the instrument (feed reset)
//    turns every own order of it into an estimated one, keeping its `ahead`.
//
// Queue position, QueueModel::Prob* (books built from level data; hftbacktest's ProbQueueModel):
//  `ahead` starts at the level's displayed qty. An execution at our price (Execute, or a Trade
//  print: level feeds report trades apart from depth) takes its qty out of `ahead`, the excess
//  fills. A depth decrease at our level not explained by trades printed since the last depth
//  change (they are subtracted first, as hftbacktest does) is a cancel, split between ahead and
//  behind: the ahead part is chg * f(ahead) / (f(ahead) + f(behind)) with f(x) = x^n (n = 2 or 3;
//  ProbLog: f(x) = log(1 + x)); a part beyond `behind` also comes out of ahead; `ahead` is clamped
//  to [0, level qty]. Unlike hftbacktest, a cancel never fills (clamped at 0). RiskAverse: only
//  executions advance; depth decreases clamp. Trade-throughs fill as in L3Exact.
//
// Own liquidity taken is remembered: a taker fill of q at (side, price) adds q to that level's
// `consumed`; later own orders see level qty - consumed there, so the same displayed size is
// never filled twice. Real executions at that level use it up first (they take the front, which
// is what we took); any other change clamps consumed to the level's displayed qty (conservative:
// a cancel of an order we took may leave consumed too high, never too low). Crossing Adds that
// fill resting own orders are consumed the same way.
// Own orders never trade with each other (the risk gate's self-trade check keeps them apart),
// and an own order's queue ignores own liquidity taken on its own side and price.
//
// Bounds: no allocation after construction. Pools: max_orders own orders (a filled or cancelled
// order's slot is recycled oldest first, so recent ids still answer "too late"), max_orders
// intents in flight, 2*max_orders + 64 level records, max_tracked tracked market ids. Per market
// event: O(1) (one hash probe, two list heads) when no own order rests at the event's level;
// otherwise O(own orders at the level + own orders filled). A Clear scans the level pool.
// May touch: core/, book/, engine/ headers (clock.hpp, orders.hpp).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/event.hpp"
#include "hft/core/order.hpp"
#include "hft/core/types.hpp"
#include "hft/engine/clock.hpp"
#include "hft/engine/orders.hpp"

namespace hft::sim {

// A latency: constant, or drawn uniformly from an empirical sample (bootstrap) by a seeded
// deterministic generator (splitmix64): the same seed gives the same draws on every run.
struct LatencyModel {
  static LatencyModel constant(Nanos ns);  // ns < 0 -> std::invalid_argument
  // A file of one latency in ns per line (an integer >= 0); '#' starts a comment, blank lines
  // are skipped. Unreadable file, a bad or negative value, or no value at all ->
  // std::runtime_error naming the path, the line and the reason.
  static LatencyModel from_file(const std::string& path, std::uint64_t seed);
  // The same from values in memory (empty or negative -> std::invalid_argument).
  static LatencyModel from_samples(std::vector<Nanos> samples, std::uint64_t seed);

  Nanos draw() noexcept;
  bool empirical() const noexcept { return !samples.empty(); }

  Nanos fixed = 0;             // constant model (samples empty)
  std::vector<Nanos> samples;  // empirical model
  std::uint64_t state = 0;     // generator state
};

enum class QueueModel : std::uint8_t { L3Exact = 0, ProbPower2, ProbPower3, ProbLog, RiskAverse };
const char* queue_model_name(QueueModel m) noexcept;
// "l3_exact", "prob_power2", "prob_power3", "prob_log", "risk_averse"; false when unknown.
bool parse_queue_model(const std::string& s, QueueModel& out) noexcept;

struct SimConfig {
  LatencyModel entry;     // engine -> venue
  LatencyModel response;  // venue -> engine
  QueueModel queue = QueueModel::L3Exact;
  std::size_t max_orders = 4096;
  std::size_t max_tracked = 1u << 16;
  // The pools and tables are fresh pages, written as they are first used (a replay of a few
  // orders touches a few pages of ~9 MB). prefault (a live feed): all written at construction.
  bool prefault = false;
};

struct SimCounters {
  std::uint64_t submitted = 0;         // intents handed to submit()
  std::uint64_t arrivals = 0;          // intents that reached the venue
  std::uint64_t acks = 0;
  std::uint64_t fills = 0;             // fill reports
  std::uint64_t maker_fills = 0;
  std::uint64_t taker_fills = 0;
  std::uint64_t partial_fills = 0;     // fills that left quantity working
  std::uint64_t filled_qty = 0;
  std::uint64_t trade_throughs = 0;    // maker fills by a trade through the order's price
  std::uint64_t cancels = 0;           // Cancelled reports for cancel intents
  std::uint64_t ioc_cancelled = 0;     // IOC remainders cancelled
  std::uint64_t cancel_too_late = 0;   // cancel of an order already filled or cancelled
  std::uint64_t replaces = 0;
  std::uint64_t replace_too_late = 0;
  std::array<std::uint64_t, kRejectReasonCount> rejects{};  // by reason
  std::uint64_t pool_full = 0;         // rejected for want of an order or in-flight slot
  std::uint64_t tracked_full = 0;      // own orders that joined with an estimated queue
  std::uint64_t level_pool_full = 0;   // fills not done for want of a level record
  std::uint64_t reports_lost = 0;      // the scheduler was full (counted there too)
  std::uint64_t walk_cut = 0;          // fills not done for want of scheduler room (a taker
                                       //   walk stops there; a passive fill is skipped)
  std::uint64_t hidden_trades = 0;     // Trade prints seen while own orders rested (L3: ignored)
  std::uint64_t clears = 0;            // Clear events that touched own orders
};

class Exchange final : public engine::OrderSink {
 public:
  // Sizes every pool (the only allocations). books: the replayed book, read only; timer_owner:
  // the stage index the arrival timers go to.
  Exchange(SimConfig cfg, const book::Books& books, std::uint16_t timer_owner);
  ~Exchange() override;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void submit(const OrderIntent& o, Nanos now, engine::Scheduler& s) noexcept override;
  // An arrival timer (owner timer_owner) fired: the intent is at the venue at f.due.
  void on_timer(const engine::TimerFire& f, engine::Scheduler& s) noexcept;
  // Every market event, right after the book stage applied it to `books`.
  void on_market(const MarketEvent& ev, engine::Scheduler& s) noexcept;

  const SimCounters& counters() const noexcept;
  // A working order's queue position (displayed qty ahead, rounded for the Prob models) and
  // leaves; false when the id is not working (unknown, in flight, filled or cancelled).
  bool working(ClientOrderId id, Qty& ahead, Qty& leaves) const noexcept;
  std::size_t working_orders() const noexcept;
  const SimConfig& config() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hft::sim
