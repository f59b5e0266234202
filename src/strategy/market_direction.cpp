#include "hft/core/scales.hpp"
#include "hft/strategy/market_direction.hpp"

#include <algorithm>
#include <cmath>

#include "hft/regime/detector.hpp"
#include "hft/strategy/params.hpp"

namespace hft::strategy {

MarketDirection::MarketDirection(const StrategySpec& spec) : spec_(spec) {
  Params p(spec);
  horizon_s_ = p.real("horizon_s", 30, 1e-3, 86400);
  slices_ = static_cast<int>(p.integer("slices", 10, 1, kMaxSlices));
  lambda_ = p.real("risk_aversion", 1e-6, 0, 1);
  eta_ = p.real("impact", 1e-6, 1e-12, 1);
  exit_on_flat_ = p.boolean("exit_on_flat", false);
  regime_stop_ = p.boolean("regime_stop", true);
  imbalance_ = p.word("signal", "model", {"model", "imbalance"}) == "imbalance";
  p.finish();
}

Signal MarketDirection::predict(const MarketView& m, Context& c) noexcept {
  if (!imbalance_) return Steps::predict(m, c);
  Signal s;
  const double b = static_cast<double>(m.e.top.bid_qty), a = static_cast<double>(m.e.top.ask_qty);
  if (b + a <= 0) return s;
  const double imb = (b - a) / (b + a);
  s.valid = true;
  s.direction = imb > 0 ? 1 : (imb < 0 ? -1 : 0);
  s.confidence = static_cast<float>(imb < 0 ? -imb : imb);
  s.p[1 + s.direction] = 1;
  return s;
}

void MarketDirection::place_orders(const MarketView& m, const Signal& s, Context& c) noexcept {
  const std::uint8_t slot = slots_.get(m.instrument());
  if (slot == Slots::kNone || slot >= books_.size()) return;
  Book& b = books_[slot];
  b.id = m.instrument();
  b.bid = m.e.top.bid;
  b.ask = m.e.top.ask;
  const double mid = m.mid() / static_cast<double>(price_scale_of(m.instrument()));  // currency
  b.vol.on_mid(mid, m.e.ev.ts_exch);
  if (!s.valid || s.confidence < spec_.min_confidence || c.halted()) return;
  const auto gate = static_cast<regime::Gate>((m.e.regime >> 5) & 3u);
  if (regime_stop_ && gate == regime::Gate::Stop) return;
  std::int64_t target = b.target;
  if (s.direction != 0) target = s.direction * spec_.max_position;
  else if (exit_on_flat_) target = 0;
  if (target == b.target) return;
  b.target = target;
  schedule(b, slot, c.position(b.id), mid, b.vol.sigma(m.features, b.id, mid), c);
}

// An Almgren-Chriss schedule for the change from the position (and what is still working) to
// the target: slice sizes from the closed form, the first slice now, one every horizon/slices.
void MarketDirection::schedule(Book& b, std::uint8_t slot, std::int64_t position, double mid, double sigma,
                               Context& c) noexcept {
  b.first_child = 0;
  const std::int64_t delta = b.target - position;
  ++b.generation;
  b.next = 0;
  b.carry = 0;
  b.planned = delta;
  b.side = delta > 0 ? Side::Buy : Side::Sell;
  if (delta == 0) return;
  exec::AcParams p;
  p.X = static_cast<double>(delta > 0 ? delta : -delta);
  p.T = horizon_s_;
  p.N = slices_;
  p.sigma = sigma > 0 ? sigma : 1e-9 * mid;
  p.eta = eta_;
  p.epsilon = 0;
  p.gamma = 0;
  p.lambda = lambda_;
  exec::ac_schedule(p, b.trades.data());
  const Nanos step = static_cast<Nanos>(horizon_s_ * 1e9 / slices_);
  for (int k = 0; k < slices_; ++k)
    c.timer(c.now() + k * step, (b.generation & 0xFFFFu) << 16 | static_cast<std::uint32_t>(slot) << 8 |
                                    static_cast<std::uint32_t>(k));
}

void MarketDirection::on_timer(std::uint32_t cookie, Context& c) noexcept {
  const std::uint32_t slot = (cookie >> 8) & 0xFFu;
  if (slot >= books_.size()) return;
  Book& b = books_[slot];
  if (((cookie >> 16) & 0xFFFFu) != (b.generation & 0xFFFFu)) return;  // an older schedule's
  const int k = static_cast<int>(cookie & 0xFFu);
  if (k != b.next) return;
  send_slice(b, c);
}

void MarketDirection::send_slice(Book& b, Context& c) noexcept {
  const int k = b.next++;
  if (k >= slices_ || b.side == Side::None || c.halted()) return;
  double want = b.trades[static_cast<std::size_t>(k)] + b.carry;
  b.carry = 0;
  if (k == slices_ - 1) {  // the last slice sends what is left to reach the target
    const double left = static_cast<double>(b.target - c.position(b.id));
    want = b.side == Side::Buy ? std::max(0.0, left) : std::max(0.0, -left);
  }
  std::int64_t q = std::llround(want);
  b.carry = want - static_cast<double>(q);
  // Marketable limits at the opposite best: take what is displayed there, never walk further.
  // A slice larger than max_order_qty goes out as several child orders (the gate checks each).
  const Price px = b.side == Side::Buy ? b.ask : b.bid;
  for (int chunk = 0; q > 0 && chunk < kMaxChunks; ++chunk) {
    const std::int64_t n = std::min<std::int64_t>(q, spec_.max_order_qty);
    if (px <= 0) break;
    const ClientOrderId id = c.send(b.id, b.side, px, static_cast<Qty>(n), TimeInForce::IOC);
    if (id == 0) break;  // refused by the gate (the reject report adds it back)
    if (b.first_child == 0) b.first_child = id;
    q -= n;
  }
  b.carry += static_cast<double>(q);  // not sent now: the next slice tries again
}

// What a child order did not fill (an IOC remainder cancelled, a reject) rolls into the next
// slice. Only this schedule's children count (client ids grow, so: from its first child on).
void MarketDirection::on_exec(const ExecReport& r, Context&) noexcept {
  const std::uint8_t slot = slots_.get(r.instrument);
  if (slot == Slots::kNone || slot >= books_.size()) return;
  Book& b = books_[slot];
  if (r.kind != ExecKind::Cancelled && r.kind != ExecKind::Reject) return;
  if (r.side != b.side || b.first_child == 0 || r.id < b.first_child) return;
  b.carry += static_cast<double>(r.qty);  // a cancel reports the quantity it took off, a reject the order's
}

void MarketDirection::on_trip(Context&) noexcept {
  for (auto& b : books_) {  // no more slices: the manager cancelled the working orders
    ++b.generation;
    b.side = Side::None;
  }
}

}  // namespace hft::strategy
