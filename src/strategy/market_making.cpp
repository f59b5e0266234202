#include "hft/core/scales.hpp"
#include "hft/strategy/market_making.hpp"

#include <algorithm>
#include <cmath>

#include "hft/regime/detector.hpp"
#include "hft/strategy/params.hpp"

namespace hft::strategy {

namespace {
constexpr Nanos kRefreshNs = 1'000'000'000;
}  // namespace

MarketMaking::MarketMaking(const StrategySpec& spec) : spec_(spec) {
  Params p(spec);
  glft_ = p.word("method", "as", {"as", "glft"}) == "glft";
  gamma_ = p.real("gamma", 0.1, 1e-9, 1e6);
  k_ = p.real("k", 100, 1e-9, 1e9);
  A_ = p.real("A", 1, 1e-9, 1e9);
  estimate_ = p.boolean("estimate_arrival", true);
  quote_qty_ = p.integer("quote_qty", 100, 1, 1'000'000'000);
  min_spread_ticks_ = p.integer("min_spread_ticks", 1, 1, 1'000'000);
  horizon_s_ = p.real("horizon_s", 60, 1e-3, 86400 * 7);
  drift_weight_ = p.real("drift_weight", 1, -100, 100);
  widen_ = p.real("widen_factor", 2, 1, 100);
  requote_ns_ = static_cast<Nanos>(p.real("requote_ms", 50, 0, 3.6e6) * 1e6);
  const double half_life = p.real("arrival_half_life_s", 300, 1, 86400 * 7);
  p.finish();
  const double tick = static_cast<double>(spec.tick) / static_cast<double>(kPriceScale);
  for (auto& b : books_) b.arrivals = exec::ArrivalEstimator(tick, 20, half_life);
}

exec::MmParams MarketMaking::params_of(const Book& b) const noexcept {
  exec::MmParams p{gamma_, 0, k_, A_};
  double A = 0, k = 0;
  if (estimate_ && b.arrivals.fit(A, k) && std::isfinite(A) && std::isfinite(k) && A > 0 && k > 0) {
    p.A = A;
    p.k = k;
  }
  return p;
}

void MarketMaking::place_orders(const MarketView& m, const Signal& s, Context& c) noexcept {
  const InstrumentId id = m.instrument();
  const std::uint8_t slot = slots_.get(id);
  if (slot == Slots::kNone || slot >= books_.size()) return;
  Book& b = books_[slot];
  const double scale = static_cast<double>(price_scale_of(id));
  const double mid = m.mid() / scale;
  const Nanos t = m.e.ev.ts_exch;
  // Where trades hit relative to the mid before them: the arrival estimator's data.
  if (b.last_t > 0 && t > b.last_t) b.arrivals.on_time(static_cast<double>(t - b.last_t) * 1e-9);
  if (m.e.ev.kind == EventKind::Execute || m.e.ev.kind == EventKind::Trade) {
    const double px = static_cast<double>(m.e.ev.price) / scale;
    if (px > 0 && b.last_mid > 0) b.arrivals.on_trade(std::fabs(px - b.last_mid));
  }
  b.last_t = t;
  b.last_mid = mid;
  b.vol.on_mid(mid, t);
  if (c.halted()) return;

  const auto gate = static_cast<regime::Gate>((m.e.regime >> 5) & 3u);
  if (gate == regime::Gate::Stop) {
    if (b.bid.id) c.cancel(id, b.bid.id);
    if (b.ask.id) c.cancel(id, b.ask.id);
    return;
  }
  if (requote_ns_ > 0 && b.last_quote > 0 && t - b.last_quote < requote_ns_) return;

  if (!b.have_params || t - b.params_t >= kRefreshNs) {
    b.have_params = true;
    b.params = params_of(b);
    b.params.sigma = b.vol.sigma(m.features, id, mid);
    b.params_t = t;
  }
  const exec::MmParams& p = b.params;
  const double q = static_cast<double>(c.position(id));
  double drift = 0;  // currency per second: drift * tau = the predicted move x weight
  if (s.valid && s.confidence >= spec_.min_confidence)
    drift = drift_weight_ * static_cast<double>(s.exp_ret_bps) * 1e-4 * mid / horizon_s_;
  exec::Quotes qt = glft_ ? exec::glft_quotes(mid, q, drift, p)
                          : exec::as_quotes(mid, q, drift, p, horizon_s_);
  if (!std::isfinite(qt.bid) || !std::isfinite(qt.ask)) return;
  if (gate == regime::Gate::Widen) {
    const double r = 0.5 * (qt.bid + qt.ask), h = 0.5 * (qt.ask - qt.bid) * widen_;
    qt = {r - h, r + h};
  }
  const exec::TickQuotes tq = exec::snap_quotes({qt.bid * scale, qt.ask * scale}, spec_.tick, min_spread_ticks_,
                                                m.e.top.bid, m.e.top.ask);
  // Sizes shaped by inventory; nothing on a side that would pass the position limit.
  const double lim = static_cast<double>(spec_.max_position);
  const double base = static_cast<double>(std::min(quote_qty_, spec_.max_order_qty));
  auto size = [&](double sign) {
    const double room = lim - sign * q;  // shares until the limit on that side
    const double shaped = base * std::clamp(1.0 - sign * q / lim, 0.0, 1.0);
    return static_cast<Qty>(std::max(0.0, std::floor(std::min(shaped, room))));
  };
  b.last_quote = t;
  requote(b, id, Side::Buy, tq.bid, size(+1), c);
  requote(b, id, Side::Sell, tq.ask, size(-1), c);
}

void MarketMaking::requote(Book& b, InstrumentId id, Side side, Price px, Qty qty, Context& c) noexcept {
  Quote& w = side == Side::Buy ? b.bid : b.ask;
  // Same price: keep the order and its place in the queue (a partial fill leaves it smaller).
  if (w.id != 0 && w.price == px && qty > 0) return;
  if (w.id != 0) c.cancel(id, w.id);
  w = Quote{};
  if (qty == 0 || px <= 0) return;
  w.id = c.send(id, side, px, qty);
  if (w.id != 0) {
    w.price = px;
    w.qty = qty;
  }
}

void MarketMaking::on_exec(const ExecReport& r, Context&) noexcept {
  const std::uint8_t slot = slots_.get(r.instrument);
  if (slot == Slots::kNone || slot >= books_.size()) return;
  Book& b = books_[slot];
  for (Quote* w : {&b.bid, &b.ask}) {
    if (w->id == 0 || w->id != r.id) continue;
    const bool done = r.kind == ExecKind::Reject || r.kind == ExecKind::Cancelled ||
                      (r.kind == ExecKind::Fill && r.leaves == 0);
    if (done) *w = Quote{};
    else if (r.kind == ExecKind::Fill) w->qty = r.leaves;  // a partial fill: the rest still rests
  }
}

void MarketMaking::on_trip(Context&) noexcept {
  for (auto& b : books_) b.bid = b.ask = Quote{};  // the manager cancelled them
}

}  // namespace hft::strategy
