// The pipeline as a list of stage types: a stage added with one type and one list entry runs in
// every layout; a strategy-shaped stage sends order intents on market events and gets its
// acknowledgement, fill and timer back at the right exchange time, merged with market events in
// time order, the same in the fused and the split layout; the risk gate rejects what it must.
#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

#include "hft/engine/engine_impl.hpp"
#include "synthetic_source.hpp"

namespace {

using namespace hft;
using namespace hft::engine;
using hft::testing::SyntheticSource;
using hft::testing::thread;
using hft::testing::with_layout;

// A new stage: one type...
struct CountingStage {
  static constexpr std::string_view kName = "count";
  explicit CountingStage(StageEnv&) {}
  bool on_event(Envelope& e) noexcept {
    ++events;
    adds += e.ev.kind == EventKind::Add;
    return true;
  }
  std::uint64_t events = 0, adds = 0;
};
// ...and one list entry.
using CountingPipeline = Pipeline<BookStage, CleanStage, CountingStage, MonitorStage>;

TEST(Pipeline, ANewStageIsOneTypeAndOneListEntry) {
  static_assert(CountingPipeline::index_of("count") == 2);
  for (const auto& layout : {std::vector<config::ThreadLayout>{thread("hot", {"feed", "book", "clean", "count", "monitor"})},
                             std::vector<config::ThreadLayout>{thread("feed", {"feed", "book", "clean"}),
                                                               thread("rest", {"count", "monitor"})}}) {
    BasicEngine<CountingPipeline> e(with_layout(layout), std::make_unique<SyntheticSource>(50'000, false));
    e.start();
    e.join();
    EXPECT_EQ(e.stage<CountingStage>().events, 50'000u);
    EXPECT_GT(e.stage<CountingStage>().adds, 10'000u);
    EXPECT_EQ(e.stage<MonitorStage>().kinds[static_cast<int>(EventKind::Add)].get(), e.stage<CountingStage>().adds);
    EXPECT_EQ(e.stage_name(3), "count");
  }
  // A stage left out of the layout does not run (its enable bit is off).
  BasicEngine<CountingPipeline> e(with_layout({thread("hot", {"feed", "book", "monitor"})}),
                                  std::make_unique<SyntheticSource>(1000, false));
  e.start();
  e.join();
  EXPECT_EQ(e.stage<CountingStage>().events, 0u);
  EXPECT_EQ(e.stage<MonitorStage>().digest, [] {
    BasicEngine<CountingPipeline> f(with_layout({thread("hot", {"feed", "book", "count", "monitor"})}),
                                    std::make_unique<SyntheticSource>(1000, false));
    f.start();
    f.join();
    return f.stage<MonitorStage>().digest;
  }());
}

// A venue for the test: acknowledges an order ack_ns after it was sent and fills it fill_ns
// after; a cancel is confirmed after ack_ns.
class TestVenue final : public OrderSink {
 public:
  static constexpr Nanos kAck = 50'000, kFill = 120'000;
  void submit(const OrderIntent& o, Nanos now, Scheduler& s) noexcept override {
    ++submitted;
    if (o.kind == IntentKind::Cancel) {
      s.at(now + kAck, report_for(o, ExecKind::Cancelled, now + kAck));
      return;
    }
    ExecReport ack = report_for(o, ExecKind::Ack, now + kAck);
    ack.leaves = o.qty;
    s.at(ack.ts, ack);
    ExecReport fill = report_for(o, ExecKind::Fill, now + kFill);
    fill.qty = o.qty;
    s.at(fill.ts, fill);
  }
  int submitted = 0;
};

// What the strategy saw, in the order it saw it.
struct Seen {
  char what;       // 'm' market event, 'a' ack, 'f' fill, 'r' reject, 't' timer
  Nanos ts;        // the event's / report's / timer's time
  Nanos clock;     // the engine clock when it was delivered
  std::uint64_t x;  // order id, reject reason, timer cookie
  bool operator==(const Seen&) const = default;
};

// A strategy-shaped stage: on the 100th add it buys 100 at the event's price and sets a timer
// 80 us later; on the 200th add it sends an order above the gate's size limit.
struct TestStrategy {
  static constexpr std::string_view kName = "strategy";
  explicit TestStrategy(StageEnv& env) : orders(*env.orders), sched(*env.sched), clock(*env.clock), me(env.index) {
    seen.reserve(1 << 20);
  }
  bool on_event(Envelope& e) noexcept {
    if (!(e.ev.flags & evflag::kSnapshot)) seen.push_back({'m', e.ev.ts_exch, clock.event_now, 0});
    if (e.ev.kind != EventKind::Add) return true;
    ++adds;
    if (adds == 100) {
      OrderIntent o;
      o.side = Side::Buy;
      o.instrument = e.ev.instrument;
      o.price = e.ev.price;
      o.qty = 100;
      sent_at = e.ev.ts_exch;
      id = orders.send(o);
      sched.timer(e.ev.ts_exch + 80'000, me, 42);
    } else if (adds == 200) {
      OrderIntent o;
      o.side = Side::Sell;
      o.instrument = e.ev.instrument;
      o.price = e.ev.price;
      o.qty = 1'000'000;  // above risk_management.max_order_qty
      EXPECT_EQ(orders.send(o), 0u);
    }
    return true;
  }
  void on_exec(const ExecReport& r) noexcept {
    const char w = r.kind == ExecKind::Ack ? 'a' : r.kind == ExecKind::Fill ? 'f' : r.kind == ExecKind::Reject ? 'r' : '?';
    seen.push_back({w, r.ts, clock.event_now, w == 'r' ? static_cast<std::uint64_t>(r.reason) : r.id});
  }
  void on_timer(const TimerFire& f) noexcept { seen.push_back({'t', f.due, clock.event_now, f.cookie}); }

  OrderRouter& orders;
  Scheduler& sched;
  const Clock& clock;
  std::uint16_t me;
  int adds = 0;
  Nanos sent_at = 0;
  ClientOrderId id = 0;
  std::vector<Seen> seen;
};
using StrategyPipeline = Pipeline<BookStage, TestStrategy, MonitorStage>;

std::vector<Seen> run_strategy(const std::vector<config::ThreadLayout>& layout, Nanos* sent_at, ClientOrderId* id) {
  TestVenue venue;
  EngineOptions eo;
  eo.sink = &venue;
  // 10 us of event time per event: the ack lands 5 events after the send, the fill 12.
  BasicEngine<StrategyPipeline> e(with_layout(layout), std::make_unique<SyntheticSource>(5000, false, 10'000), eo);
  e.start();
  e.join();
  EXPECT_EQ(venue.submitted, 1);
  const OrderCounters& c = e.router().counters();
  EXPECT_EQ(c.sent, 2u);
  EXPECT_EQ(c.accepted, 1u);
  EXPECT_EQ(c.rejected[static_cast<int>(RejectReason::BadQty)], 1u);
  EXPECT_EQ(c.reports[static_cast<int>(ExecKind::Ack)], 1u);
  EXPECT_EQ(c.reports[static_cast<int>(ExecKind::Fill)], 1u);
  EXPECT_EQ(c.reports[static_cast<int>(ExecKind::Reject)], 1u);
  *sent_at = e.stage<TestStrategy>().sent_at;
  *id = e.stage<TestStrategy>().id;
  return e.stage<TestStrategy>().seen;
}

TEST(Pipeline, AStrategyGetsItsAckFillAndTimerAtTheirExchangeTime) {
  Nanos t0 = 0;
  ClientOrderId id = 0;
  const auto seen = run_strategy({thread("hot", {"feed", "book", "strategy", "monitor"})}, &t0, &id);
  ASSERT_GT(t0, 0);
  ASSERT_NE(id, 0u);
  auto find = [&](char w) {
    for (std::size_t i = 0; i < seen.size(); ++i)
      if (seen[i].what == w) return i;
    return seen.size();
  };
  const std::size_t a = find('a'), f = find('f'), t = find('t'), r = find('r');
  ASSERT_LT(a, seen.size());
  ASSERT_LT(f, seen.size());
  ASSERT_LT(t, seen.size());
  ASSERT_LT(r, seen.size());
  EXPECT_EQ(seen[a].ts, t0 + TestVenue::kAck);
  EXPECT_EQ(seen[f].ts, t0 + TestVenue::kFill);
  EXPECT_EQ(seen[t].ts, t0 + 80'000);
  EXPECT_EQ(seen[a].x, id);
  EXPECT_EQ(seen[f].x, id);
  EXPECT_EQ(seen[t].x, 42u);
  EXPECT_EQ(seen[r].x, static_cast<std::uint64_t>(RejectReason::BadQty));
  EXPECT_LT(a, t);
  EXPECT_LT(t, f);
  // Merged in exchange-time order: every delivery comes after the market events before its time
  // and before the first one at or after it; the clock never runs ahead of a delivery.
  for (std::size_t k : {a, f, t, r}) {
    EXPECT_LE(seen[k].clock, seen[k].ts);
    for (std::size_t j = 0; j < seen.size(); ++j) {
      if (seen[j].what != 'm') continue;
      if (j < k) {
        EXPECT_LT(seen[j].ts, seen[k].ts + (seen[k].what == 'r' ? 1 : 0)) << j << " before " << k;
      } else {
        EXPECT_GE(seen[j].ts, seen[k].ts) << j << " after " << k;
      }
    }
  }
  // The same deliveries at the same points in the split layout.
  Nanos t1 = 0;
  ClientOrderId id1 = 0;
  const auto split = run_strategy({thread("feed", {"feed", "book"}), thread("strat", {"strategy", "monitor"})}, &t1, &id1);
  EXPECT_EQ(split, seen);
}

TEST(Pipeline, StagesThatTakeReportsMustRunOnTheLastThread) {
  EXPECT_THROW((BasicEngine<StrategyPipeline>(with_layout({thread("a", {"feed", "book", "strategy"}), thread("b", {"monitor"})}),
                                              std::make_unique<SyntheticSource>(1, false))),
               std::invalid_argument);
}

TEST(Pipeline, WithoutAVenueEveryOrderIsRejectedAndCounted) {
  BasicEngine<StrategyPipeline> e(with_layout({thread("hot", {"feed", "book", "strategy", "monitor"})}),
                                  std::make_unique<SyntheticSource>(3000, false, 10'000));
  e.start();
  e.join();
  EXPECT_EQ(e.router().counters().rejected[static_cast<int>(RejectReason::NoVenue)], 1u);
  EXPECT_EQ(e.router().counters().accepted, 0u);
  std::size_t rejects = 0;
  for (const Seen& s : e.stage<TestStrategy>().seen) rejects += s.what == 'r';
  EXPECT_EQ(rejects, 2u);
}

TEST(Scheduler, FiresInTimeThenSchedulingOrderAndRefusesBeyondCapacity) {
  Scheduler s(4);
  EXPECT_TRUE(s.timer(30, 0, 1));
  EXPECT_TRUE(s.timer(10, 0, 2));
  EXPECT_TRUE(s.timer(30, 0, 3));
  EXPECT_TRUE(s.timer(20, 0, 4));
  EXPECT_FALSE(s.timer(5, 0, 5));
  EXPECT_EQ(s.full, 1u);
  std::vector<std::uint64_t> order;
  EXPECT_EQ(s.run_until(25, [&](const Scheduled& x) { order.push_back(x.timer.cookie); }), 2u);
  EXPECT_EQ(s.run_until(30, [&](const Scheduled& x) { order.push_back(x.timer.cookie); }), 2u);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{2, 4, 1, 3}));
}

TEST(Clock, NeverGoesBackwardsAndExtrapolatesOnlyLive) {
  Clock c;
  c.on_event(100);
  c.on_event(90);
  EXPECT_EQ(c.now(), 100);
  EXPECT_EQ(c.backwards, 1u);
  Clock l;
  l.live = true;
  l.ns_per_tick = 0.5;
  l.on_event(1000, 10);
  EXPECT_EQ(l.now(30), 1010);
  EXPECT_EQ(l.now(5), 1000);
}

// The monitor's digest is what layouts and runs are compared by: a change to any one field it
// covers, or two events swapped, must change it (each checked from the same base event).
TEST(MonitorDigest, EveryFieldAndTheOrderOfEventsChangeIt) {
  using hft::engine::Envelope;
  using hft::engine::MonitorStage;
  Envelope base{};
  base.ev.ts_exch = 34'200'000'000'123;
  base.ev.order_id = 77;
  base.ev.new_order_id = 78;
  base.ev.price = 1'234'500;
  base.ev.qty = 300;
  base.ev.instrument = 5;
  base.ev.kind = hft::EventKind::Replace;
  base.ev.side = hft::Side::Sell;
  base.ev.flags = 2;
  base.top = {1'234'400, 1'234'600, 900, 1'100};
  base.quality = 4;
  base.halted = false;
  const std::uint64_t h0 = 0xCBF29CE484222325ull;
  const std::uint64_t d = MonitorStage::fold_event(h0, base);
  std::vector<std::pair<const char*, void (*)(Envelope&)>> edits = {
      {"ts_exch", [](Envelope& e) { e.ev.ts_exch += 1; }},
      {"order_id", [](Envelope& e) { e.ev.order_id ^= std::uint64_t{1} << 63; }},
      {"new_order_id", [](Envelope& e) { e.ev.new_order_id += 1; }},
      {"price", [](Envelope& e) { e.ev.price = -e.ev.price; }},
      {"qty", [](Envelope& e) { e.ev.qty += 1; }},
      {"instrument", [](Envelope& e) { e.ev.instrument += 1; }},
      {"kind", [](Envelope& e) { e.ev.kind = hft::EventKind::Modify; }},
      {"side", [](Envelope& e) { e.ev.side = hft::Side::Buy; }},
      {"flags", [](Envelope& e) { e.ev.flags = 3; }},
      {"top.bid", [](Envelope& e) { e.top.bid += 1; }},
      {"top.ask", [](Envelope& e) { e.top.ask = 0; }},
      {"top.bid_qty", [](Envelope& e) { e.top.bid_qty += 1; }},
      {"top.ask_qty", [](Envelope& e) { e.top.ask_qty -= 1; }},
      {"quality", [](Envelope& e) { e.quality = 5; }},
      {"halted", [](Envelope& e) { e.halted = true; }},
      // the same value moved to another word: position matters
      {"bid <-> ask", [](Envelope& e) { std::swap(e.top.bid, e.top.ask); }},
  };
  for (const auto& [name, edit] : edits) {
    Envelope x = base;
    edit(x);
    EXPECT_NE(MonitorStage::fold_event(h0, x), d) << name;
  }
  Envelope other = base;
  other.ev.order_id = 99;
  EXPECT_NE(MonitorStage::fold_event(MonitorStage::fold_event(h0, base), other),
            MonitorStage::fold_event(MonitorStage::fold_event(h0, other), base));
}
}  // namespace
