// A minimal host for the simulated exchange in tests: a book, a scheduler, and the loop the
// engine runs (scheduled items due up to an event's time first, then the book, then the sim).
#pragma once
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/engine/clock.hpp"
#include "hft/sim/exchange.hpp"

namespace hft::sim::testing {

inline book::BookConfig small_book() {
  book::BookConfig c;
  c.max_orders = 4096;
  c.max_levels = 512;
  c.max_instruments = 4;
  c.levels_reserve = 16;
  return c;
}

struct Rig {
  static constexpr std::uint16_t kOwner = 7;
  book::Books books;
  engine::Scheduler sched{4096};
  Exchange ex;
  std::vector<ExecReport> reps;
  Nanos now = 0;
  ClientOrderId next_id = 0;
  std::uint64_t foreign_timers = 0;

  explicit Rig(SimConfig c = {}, book::BookConfig bc = small_book()) : books(bc), ex(std::move(c), books, kOwner) {}

  void run(Nanos t) {
    sched.run_until(t, [&](const engine::Scheduled& x) {
      if (x.what == engine::Scheduled::kTimer) {
        if (x.owner == kOwner) ex.on_timer(x.timer, sched); else ++foreign_timers;
      } else {
        reps.push_back(x.exec);
      }
    });
    if (t > now) now = t;
  }
  void market(MarketEvent e) {
    if (e.ts_exch == 0) e.ts_exch = now;
    run(e.ts_exch);
    books.apply(e);
    ex.on_market(e, sched);
  }
  // Book events at the current time (instrument 1).
  void add(OrderId id, Side s, Price px, Qty q) { market(ev(EventKind::Add, id, s, px, q)); }
  void exec(OrderId id, Qty q) { market(ev(EventKind::Execute, id, Side::None, 0, q)); }
  void cancel(OrderId id, Qty q) { market(ev(EventKind::Cancel, id, Side::None, 0, q)); }
  void del(OrderId id) { market(ev(EventKind::Delete, id, Side::None, 0, 0)); }
  void replace(OrderId id, OrderId nid, Price px, Qty q) {
    MarketEvent e = ev(EventKind::Replace, id, Side::None, px, q);
    e.new_order_id = nid;
    market(e);
  }
  void modify(OrderId id, Price px, Qty q) { market(ev(EventKind::Modify, id, Side::None, px, q)); }
  void trade(Side s, Price px, Qty q) { market(ev(EventKind::Trade, 0, s, px, q)); }
  MarketEvent ev(EventKind k, OrderId id, Side s, Price px, Qty q) const {
    MarketEvent e;
    e.kind = k;
    e.order_id = id;
    e.side = s;
    e.price = px;
    e.qty = q;
    e.instrument = 1;
    e.ts_exch = now;
    return e;
  }

  ClientOrderId send(IntentKind k, Side s, Price px, Qty q, ClientOrderId id = 0,
                     TimeInForce tif = TimeInForce::Day) {
    OrderIntent o;
    o.kind = k;
    o.side = s;
    o.price = px;
    o.qty = q;
    o.tif = tif;
    o.instrument = 1;
    o.id = (k == IntentKind::New && id == 0) ? ++next_id : id;
    o.ts = now;
    ex.submit(o, now, sched);
    return o.id;
  }
  ClientOrderId buy(Price px, Qty q, TimeInForce tif = TimeInForce::Day) { return send(IntentKind::New, Side::Buy, px, q, 0, tif); }
  ClientOrderId sell(Price px, Qty q, TimeInForce tif = TimeInForce::Day) { return send(IntentKind::New, Side::Sell, px, q, 0, tif); }
  void cancel_own(ClientOrderId id) { send(IntentKind::Cancel, Side::None, 0, 0, id); }

  // Reports of one kind (and id, when not 0).
  std::vector<ExecReport> of(ExecKind k, ClientOrderId id = 0) const {
    std::vector<ExecReport> v;
    for (const auto& r : reps)
      if (r.kind == k && (id == 0 || r.id == id)) v.push_back(r);
    return v;
  }
  Qty filled(ClientOrderId id) const {
    Qty t = 0;
    for (const auto& r : of(ExecKind::Fill, id)) t += r.qty;
    return t;
  }
  Qty ahead(ClientOrderId id) const {
    Qty a = 0, l = 0;
    return ex.working(id, a, l) ? a : 0xFFFFFFFFu;
  }
  Qty leaves(ClientOrderId id) const {
    Qty a = 0, l = 0;
    return ex.working(id, a, l) ? l : 0;
  }
};

}  // namespace hft::sim::testing
