// The kill switch through a running engine (EngineOptions::control, as `hftd run` hands it): a
// strategy rests orders at a venue that only acknowledges; the feed then goes quiet and a kill is
// requested: the order thread takes it on its idle step (no market event needed), cancels every
// working order and refuses new ones (KillSwitch) when the feed resumes; a breaker trip shows in
// the order mirror; a re-arm clears the kill and the trip and orders are accepted again. Every
// wait polls the engine's mirrors (what /status reads) with a deadline that only guards a hang.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <span>
#include <vector>

#include "../common/service_util.hpp"
#include "hft/engine/engine_impl.hpp"
#include "synthetic_source.hpp"

namespace kill_switch_test {  // named: the engine test files are compiled as one unit

using namespace hft;
using namespace hft::engine;

constexpr auto kLimit = std::chrono::seconds(60);

// A live source that hands on the synthetic flow only up to a limit the test raises; below it,
// it is a quiet socket (empty batches, the hot thread idles).
class GatedSource final : public feed::EventSource {
 public:
  std::size_t next(std::span<MarketEvent> out) override {
    const std::uint64_t allowed = allowed_.load(std::memory_order_acquire);
    if (given_ >= allowed) return 0;
    const std::size_t n = inner_.next(out.first(std::min<std::uint64_t>(out.size(), allowed - given_)));
    given_ += n;
    return n;
  }
  bool live() const noexcept override { return true; }
  feed::TimeBasis time_basis() const noexcept override { return inner_.time_basis(); }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return inner_.instruments(); }
  const feed::SourceStats& stats() const noexcept override { return inner_.stats(); }
  void allow(std::uint64_t total) noexcept { allowed_.store(total, std::memory_order_release); }

 private:
  // 10 ms of event time per event: the orders spread over many one-second windows (rate limit,
  // reject-rate breaker) instead of piling into one.
  hft::testing::SyntheticSource inner_{~std::uint64_t{0} >> 1, false, 10'000'000};
  std::uint64_t given_ = 0;
  std::atomic<std::uint64_t> allowed_{0};
};

// Acknowledges orders (they rest, never fill) and confirms cancels, 50 us later.
class AckOnlyVenue final : public OrderSink {
 public:
  static constexpr Nanos kAck = 50'000;
  void submit(const OrderIntent& o, Nanos now, Scheduler& s) noexcept override {
    if (o.kind == IntentKind::Cancel) {
      ++cancels;
      s.at(now + kAck, report_for(o, ExecKind::Cancelled, now + kAck));
      return;
    }
    ++orders;
    ExecReport ack = report_for(o, ExecKind::Ack, now + kAck);
    ack.leaves = o.qty;
    s.at(ack.ts, ack);
  }
  std::uint64_t orders = 0, cancels = 0;  // read after join()
};

std::atomic<bool> g_trip{false};  // the test asks the strategy to trip its breaker at its next add

// Buys 10 at a resting price on every 100th buy add; trips its own breaker when asked.
struct RestingStrategy {
  static constexpr std::string_view kName = "strategy";
  explicit RestingStrategy(StageEnv& env) : orders(*env.orders) {}
  bool on_event(Envelope& e) noexcept {
    if (e.ev.kind != EventKind::Add || e.ev.side != Side::Buy) return true;
    if (g_trip.exchange(false)) {
      if (orders.breakers().trip(0, risk::BreakerReason::Manual, e.ev.ts_exch)) orders.on_trip(0);
    }
    if (++buys % 100 != 0) return true;
    OrderIntent o;
    o.side = Side::Buy;
    o.instrument = e.ev.instrument;
    o.price = e.ev.price;
    o.qty = 10;
    orders.send(o);
    return true;
  }
  OrderRouter& orders;
  std::uint64_t buys = 0;
};
using KillPipeline = Pipeline<BookStage, RestingStrategy, MonitorStage>;

TEST(KillSwitch, QuietFeedKillCancelsEverythingRefusesNewOrdersAndRearmResumes) {
  using hft::testing::thread;
  using hft::testing::wait_for;
  risk::Control control;
  AckOnlyVenue venue;
  EngineOptions eo;
  eo.sink = &venue;
  eo.control = &control;
  auto src = std::make_unique<GatedSource>();
  GatedSource& gate = *src;
  config::Config cfg = hft::testing::with_layout({thread("hot", {"feed", "book", "strategy", "monitor"})});
  cfg.telemetry.publish_interval_ms = 5;
  BasicEngine<KillPipeline> e(cfg, std::move(src), eo);
  const OrderMirror& m = e.order_counters();
  const auto events = [&] { return e.source_counters().events.get(); };
  e.start();
  struct Stopper {
    BasicEngine<KillPipeline>& e;
    ~Stopper() {
      e.request_stop();
      e.join();
    }
  } stopper{e};

  // Orders rest: every one sent was accepted and acknowledged.
  gate.allow(4000);
  ASSERT_TRUE(wait_for([&] {
    return events() == 4000 && m.sent.get() == m.accepted.get() && m.reports.get() == m.accepted.get();
  }, kLimit)) << events() << " events, " << m.sent.get() << " sent, " << m.reports.get() << " reports";
  const std::uint64_t resting = m.accepted.get();
  ASSERT_GE(resting, 5u);
  EXPECT_EQ(m.killed.get(), 0u);

  // Kill while the feed is quiet: taken on the idle step; each resting order cancelled (an
  // accepted cancel and its confirmation each).
  control.request_kill();
  ASSERT_TRUE(wait_for([&] { return m.killed.get() == 1 && m.kills.get() == 1 && m.reports.get() == 2 * resting; }, kLimit))
      << m.killed.get() << " killed, " << m.reports.get() << " reports";
  EXPECT_EQ(m.accepted.get(), 2 * resting);
  EXPECT_EQ(events(), 4000u) << "the kill needed a market event";

  // The feed resumes: every new order is refused; nothing more reaches the venue.
  gate.allow(8000);
  ASSERT_TRUE(wait_for([&] { return events() == 8000 && m.rejected.get() >= 5; }, kLimit)) << m.rejected.get();
  EXPECT_EQ(m.accepted.get(), 2 * resting);
  EXPECT_EQ(m.killed.get(), 1u);

  // A breaker trip shows in the mirror with its reason.
  g_trip = true;
  gate.allow(8200);
  ASSERT_TRUE(wait_for([&] { return m.tripped.get() == 1 && m.breaker_trips.get() == 1; }, kLimit));
  EXPECT_EQ(m.reason[0].load(), static_cast<std::uint8_t>(risk::BreakerReason::Manual));
  EXPECT_EQ(m.global_reason.load(), 0u);

  // Re-arm: kill and trip cleared; orders are accepted again.
  control.request_rearm();
  ASSERT_TRUE(wait_for([&] { return m.rearms.get() == 1 && m.killed.get() == 0 && m.tripped.get() == 0; }, kLimit));
  EXPECT_EQ(m.reason[0].load(), 0u);
  const std::uint64_t rejected = m.rejected.get();
  gate.allow(12000);
  ASSERT_TRUE(wait_for([&] { return events() == 12000 && m.accepted.get() >= 2 * resting + 5; }, kLimit))
      << m.accepted.get();

  e.request_stop();
  e.join();
  const OrderCounters& c = e.router().counters();
  EXPECT_EQ(venue.cancels, resting);
  EXPECT_EQ(venue.orders, m.accepted.get() - resting);
  EXPECT_EQ(c.rejected[static_cast<int>(RejectReason::KillSwitch)], rejected);
  EXPECT_EQ(c.kills, 1u);
  EXPECT_EQ(c.rearms, 1u);
  EXPECT_EQ(m.rejected.get(), rejected) << "an order was refused after the re-arm";
}

}  // namespace kill_switch_test
