#include "hft/core/scales.hpp"
#include "hft/report/recorder.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace hft::report {

const char* order_state_name(OrderState s) noexcept {
  switch (s) {
    case OrderState::Sent: return "sent";
    case OrderState::Working: return "working";
    case OrderState::PartFilled: return "part_filled";
    case OrderState::Filled: return "filled";
    case OrderState::Cancelled: return "cancelled";
    case OrderState::Rejected: return "rejected";
  }
  return "?";
}

const char* liquidity_name(Liquidity l) noexcept {
  switch (l) {
    case Liquidity::None: return "none";
    case Liquidity::Maker: return "maker";
    case Liquidity::Taker: return "taker";
  }
  return "?";
}

Recorder::Recorder(const RecorderSettings& s) {
  if (s.strategies == 0 || s.instruments == 0 || s.strategies > 65536 || s.grid_ns <= 0 || s.mid_grid_ns <= 0 ||
      s.max_orders == 0 || s.max_orders > (std::size_t{1} << 30) || !(s.trading_day_s > 0) || s.days_per_year <= 0)
    throw std::invalid_argument("report::Recorder: strategies, instruments, intervals, max_orders (<= 2^30), "
                                "trading day and days per year must be positive");
  rec_.settings = s;
  // Reserved and touched once here: a page the kernel first maps on the hot thread costs a
  // page fault there (microseconds, the tick-to-order tail).
  auto prefault = [](auto& v, std::size_t n) {
    v.resize(n);
    v.clear();
  };
  prefault(rec_.orders, s.max_orders);
  prefault(rec_.fills, s.max_fills);
  prefault(rec_.grid, s.max_grid);
  prefault(rec_.mids, s.max_mids);
  prefault(rec_.trips, s.max_trips);
  const std::size_t pairs = s.strategies * s.instruments;
  rec_.pairs.resize(pairs);
  rec_.per_strategy.resize(s.strategies);
  pair_.resize(pairs);
  active_pairs_.reserve(pairs);
  instr_active_.assign(s.instruments, 0);
  active_instr_.reserve(s.instruments);
  mid_.assign(s.instruments, 0.0);
  gross_.assign(s.strategies, 0.0);
  // Load factor at most 1/2, so a probe always ends at an empty slot.
  const std::size_t slots = std::bit_ceil(2 * s.max_orders);
  slot_.assign(slots, 0);
  slot_mask_ = slots - 1;
}

void Recorder::activate(std::uint16_t s, InstrumentId i) noexcept {
  Pair& p = pair_[pair_index(s, i)];
  if (p.active) return;
  p.active = true;
  active_pairs_.push_back(static_cast<std::uint32_t>(pair_index(s, i)));  // reserved: no allocation
  if (!instr_active_[i]) {
    instr_active_[i] = 1;
    active_instr_.push_back(i);
  }
}

void Recorder::advance(Nanos t) noexcept {
  if (!rec_.started) {
    rec_.started = true;
    rec_.t_first = rec_.t_last = t;
    next_grid_ = (floor_div(t, rec_.settings.grid_ns) + 1) * rec_.settings.grid_ns;
    next_mid_ = (floor_div(t, rec_.settings.mid_grid_ns) + 1) * rec_.settings.mid_grid_ns;
    return;
  }
  if (t <= rec_.t_last) return;  // time never goes back; equal times change nothing
  rec_.t_last = t;
  if (t >= next_grid_) {
    const Nanos g = rec_.settings.grid_ns;
    const Nanos b = floor_div(t, g) * g;  // the last boundary crossed
    const auto skipped = static_cast<std::uint64_t>((b - next_grid_) / g);
    rec_.skipped_intervals += skipped;
    sample_grid(b, static_cast<std::uint32_t>(std::min<std::uint64_t>(skipped + 1, UINT32_MAX)));
    next_grid_ = b + g;
  }
  if (t >= next_mid_) {
    const Nanos g = rec_.settings.mid_grid_ns;
    const Nanos b = floor_div(t, g) * g;
    sample_mids(b);
    next_mid_ = b + g;
  }
}

void Recorder::finish(Nanos t) noexcept {
  if (!rec_.started) return;
  advance(t);
  for (const std::uint32_t k : active_pairs_) {
    const Pair& p = pair_[k];
    PairFinal& f = rec_.pairs[k];
    // Marks in currency per size unit, as avg and fill prices (mid_ is per whole unit of the asset).
    const auto ins = static_cast<InstrumentId>(k % rec_.settings.instruments);
    const double mid = mid_[ins] / static_cast<double>(qty_scale_of(ins));
    f.position = p.pos;
    f.avg_cost = p.avg;
    f.realized = p.realized;
    f.fees = p.fees;
    f.mark = mid > 0 ? mid : p.mark;
    f.unrealized = p.pos ? (f.mark - p.avg) * static_cast<double>(p.pos) : 0.0;
  }
  sample_grid(next_grid_, 1);
  sample_mids(next_mid_);
  rec_.t_last = next_grid_;
  next_grid_ += rec_.settings.grid_ns;
  next_mid_ += rec_.settings.mid_grid_ns;
}

void Recorder::sample_grid(Nanos b, std::uint32_t intervals) noexcept {
  for (const std::uint32_t k : active_pairs_) {
    const Pair& p = pair_[k];
    const auto s = static_cast<std::uint16_t>(k / rec_.settings.instruments);
    const auto i = static_cast<InstrumentId>(k % rec_.settings.instruments);
    if (rec_.grid.size() >= rec_.settings.max_grid) {
      ++rec_.dropped_grid;
      continue;
    }
    GridSample g;
    g.t = b;
    g.intervals = intervals;
    g.strategy = s;
    g.instrument = i;
    g.mid = mid_[i];
    g.bid = p.bid;
    g.ask = p.ask;
    g.inventory = p.pos;
    g.realized = p.realized;
    const double mark = mid_[i] > 0 ? mid_[i] / static_cast<double>(qty_scale_of(i)) : p.mark;
    g.unrealized = p.pos ? (mark - p.avg) * static_cast<double>(p.pos) : 0.0;
    g.fees = p.fees;
    g.net = g.realized + g.unrealized - g.fees;
    rec_.grid.push_back(g);
  }
}

void Recorder::sample_mids(Nanos b) noexcept {
  for (const InstrumentId i : active_instr_) {
    if (mid_[i] <= 0) continue;  // nothing to mark against yet
    if (rec_.mids.size() >= rec_.settings.max_mids) {
      ++rec_.dropped_mids;
      continue;
    }
    rec_.mids.push_back(MidSample{b, i, mid_[i]});
  }
}

void Recorder::on_book(Nanos t, InstrumentId i, Price bid, Price ask) noexcept {
  advance(t);
  if (i >= rec_.settings.instruments) {
    ++rec_.bad_input;
    return;
  }
  // A one-sided or crossed book keeps the last good mid.
  if (bid > 0 && ask > 0 && bid <= ask)
    mid_[i] = (static_cast<double>(bid) + static_cast<double>(ask)) / (2.0 * static_cast<double>(price_scale_of(i)));
}

void Recorder::on_quotes(Nanos t, std::uint16_t strategy, InstrumentId i, Price bid, Price ask) noexcept {
  advance(t);
  if (strategy >= rec_.settings.strategies || i >= rec_.settings.instruments) {
    ++rec_.bad_input;
    return;
  }
  activate(strategy, i);
  Pair& p = pair_[pair_index(strategy, i)];
  p.bid = bid > 0 ? bid : 0;
  p.ask = ask > 0 ? ask : 0;
}

OrderRow* Recorder::find(ClientOrderId id) noexcept {
  // Fibonacci hashing of the id: router ids are sequential, so any odd multiplier spreads them.
  for (std::size_t h = (id * 0x9E3779B97F4A7C15ull) >> 20 & slot_mask_;; h = (h + 1) & slot_mask_) {
    const std::uint32_t v = slot_[h];
    if (v == 0) return nullptr;
    if (rec_.orders[v - 1].id == id) return &rec_.orders[v - 1];
  }
}

void Recorder::on_order(const OrderIntent& o) noexcept {
  advance(o.ts);
  if (o.kind != IntentKind::New || o.strategy >= rec_.settings.strategies || o.instrument >= rec_.settings.instruments ||
      (o.side != Side::Buy && o.side != Side::Sell)) {
    ++rec_.bad_input;
    return;
  }
  activate(o.strategy, o.instrument);
  for (Aggregates* a : {&rec_.total, &rec_.per_strategy[o.strategy]}) {
    ++a->orders_sent;
    a->qty_sent += o.qty;
  }
  if (rec_.orders.size() >= rec_.settings.max_orders || find(o.id) != nullptr) {
    ++rec_.dropped_orders;  // full, or an id seen before (kept once)
    return;
  }
  OrderRow r;
  r.ts_sent = r.ts_final = o.ts;
  r.id = o.id;
  r.strategy = o.strategy;
  r.instrument = o.instrument;
  r.side = o.side;
  r.tif = o.tif;
  r.price = o.price;
  r.qty = o.qty;
  rec_.orders.push_back(r);
  std::size_t h = (o.id * 0x9E3779B97F4A7C15ull) >> 20 & slot_mask_;
  while (slot_[h] != 0) h = (h + 1) & slot_mask_;
  slot_[h] = static_cast<std::uint32_t>(rec_.orders.size());
}

void Recorder::on_exec(const ExecReport& r, double fee) noexcept {
  advance(r.ts);
  if (r.strategy >= rec_.settings.strategies || r.instrument >= rec_.settings.instruments) {
    ++rec_.bad_input;
    return;
  }
  if (r.kind == ExecKind::Fill) {
    on_fill(r, fee);
    return;
  }
  OrderRow* o = find(r.id);
  switch (r.kind) {
    case ExecKind::Reject: {
      const auto k = static_cast<std::size_t>(r.reason) < static_cast<std::size_t>(kRejectReasonCount)
                         ? static_cast<std::size_t>(r.reason) : static_cast<std::size_t>(RejectReason::Venue);
      ++rec_.total.rejects[k];
      ++rec_.per_strategy[r.strategy].rejects[k];
      // Only a New still unanswered ends rejected; a refused cancel or replace leaves the order.
      if (o && o->state == OrderState::Sent) {
        o->state = OrderState::Rejected;
        o->reason = static_cast<RejectReason>(k);
        o->ts_final = r.ts;
      }
      break;
    }
    case ExecKind::Ack:
      if (o && o->state == OrderState::Sent) {
        o->state = OrderState::Working;
        o->ts_final = r.ts;
      }
      break;
    case ExecKind::Cancelled:
      if (o && o->state != OrderState::Filled && o->state != OrderState::Rejected) {
        o->state = OrderState::Cancelled;
        o->ts_final = r.ts;
      }
      break;
    case ExecKind::Replaced:
      if (o) {
        o->price = r.price;
        ++o->replaces;
        o->ts_final = r.ts;
      }
      break;
    default:
      ++rec_.bad_input;
      return;
  }
  if (!o) ++rec_.unknown_reports;
}

void Recorder::close_trip(Pair& p, std::uint16_t s) noexcept {
  const double pnl = p.trip_pnl - p.trip_fees;
  for (Aggregates* a : {&rec_.total, &rec_.per_strategy[s]}) {
    ++a->trips;
    if (pnl > 0) {
      ++a->wins;
      a->win_sum += pnl;
    } else if (pnl < 0) {
      ++a->losses;
      a->loss_sum -= pnl;
    }
  }
  p.trip_pnl = p.trip_fees = 0;
}

void Recorder::on_fill(const ExecReport& r, double fee) noexcept {
  if ((r.side != Side::Buy && r.side != Side::Sell) || r.qty == 0 || r.price <= 0 || !std::isfinite(fee)) {
    ++rec_.bad_input;
    return;
  }
  activate(r.strategy, r.instrument);
  Pair& p = pair_[pair_index(r.strategy, r.instrument)];
  const double px = unit_value(r.price, r.instrument);  // currency per size unit
  const std::int64_t q = r.qty;
  const std::int64_t d = r.side == Side::Buy ? q : -q;
  if (p.pos == 0 || (p.pos > 0) == (d > 0)) {
    const double held = static_cast<double>(p.pos > 0 ? p.pos : -p.pos);
    p.avg = (p.avg * held + px * static_cast<double>(q)) / (held + static_cast<double>(q));
    p.pos += d;
    p.trip_fees += fee;
  } else {
    const std::int64_t held = p.pos > 0 ? p.pos : -p.pos;
    const std::int64_t close = std::min(held, q);
    const double sign = p.pos > 0 ? 1.0 : -1.0;
    const double gain = (px - p.avg) * static_cast<double>(close) * sign;
    const double fee_close = fee * static_cast<double>(close) / static_cast<double>(q);
    p.realized += gain;
    p.trip_pnl += gain;
    p.trip_fees += fee_close;
    p.pos += p.pos > 0 ? -close : close;
    if (p.pos == 0) {
      close_trip(p, r.strategy);
      if (q > close) {  // crossed zero: the rest opens the next trip at this price
        p.pos = d > 0 ? q - close : -(q - close);
        p.avg = px;
        p.trip_fees = fee - fee_close;
      } else {
        p.avg = 0;
      }
    }
  }
  p.fees += fee;
  p.mark = px;
  // Gross position, marked at each pair's last fill price (mids are not known for every pair).
  const double gross = static_cast<double>(p.pos > 0 ? p.pos : -p.pos) * px;
  gross_[r.strategy] += gross - p.gross;
  gross_total_ += gross - p.gross;
  p.gross = gross;
  const double notional = px * static_cast<double>(q);
  for (Aggregates* a : {&rec_.total, &rec_.per_strategy[r.strategy]}) {
    ++a->fills;
    a->qty_filled += r.qty;
    a->notional += notional;
    if (r.liquidity == Liquidity::Maker) ++a->maker_fills;
    if (r.liquidity == Liquidity::Taker) ++a->taker_fills;
    if (r.leaves == 0) ++a->orders_filled;
  }
  rec_.total.max_gross = std::max(rec_.total.max_gross, gross_total_);
  rec_.per_strategy[r.strategy].max_gross = std::max(rec_.per_strategy[r.strategy].max_gross, gross_[r.strategy]);

  if (OrderRow* o = find(r.id)) {
    o->filled += r.qty;
    o->state = r.leaves == 0 ? OrderState::Filled : OrderState::PartFilled;
    o->ts_final = r.ts;
  } else {
    ++rec_.unknown_reports;
  }
  if (rec_.fills.size() >= rec_.settings.max_fills) {
    ++rec_.dropped_fills;
    return;
  }
  FillRow row;
  row.ts = r.ts;
  row.ts_venue = r.ts_venue;
  row.id = r.id;
  row.strategy = r.strategy;
  row.instrument = r.instrument;
  row.side = r.side;
  row.liquidity = r.liquidity;
  row.price = r.price;
  row.qty = r.qty;
  row.queue_ahead = r.queue_ahead;
  row.fee = fee;
  row.mid = mid_[r.instrument];
  row.position = p.pos;
  rec_.fills.push_back(row);
}

void Recorder::on_prediction(Nanos t, const float* p, float confidence) noexcept {
  advance(t);
  (void)p;
  if (!(confidence >= 0.0f && confidence <= 1.0f)) {
    ++rec_.bad_input;
    return;
  }
  ++rec_.pred.predictions;
  const int b = std::min(PredictionStats::kConfBins - 1, static_cast<int>(confidence * PredictionStats::kConfBins));
  ++rec_.pred.confidence[static_cast<std::size_t>(b)];
}

void Recorder::on_label(const float* p, int truth) noexcept {
  if (truth < 0 || truth > 2 || !(p[0] >= 0 && p[1] >= 0 && p[2] >= 0)) {
    ++rec_.bad_input;
    return;
  }
  // The same rule as model::top_class (report/ does not depend on model/).
  const int pred = p[2] > p[1] && p[2] > p[0] ? 2 : (p[0] > p[1] ? 0 : 1);
  auto& s = rec_.pred;
  ++s.labels;
  ++s.confusion[static_cast<std::size_t>(truth * 3 + pred)];
  s.log_loss_sum -= std::log(std::clamp(static_cast<double>(p[truth]), 1e-15, 1.0));
  const double top = p[pred];
  const auto b = static_cast<std::size_t>(std::clamp(static_cast<int>(top * 10.0), 0, 9));
  ++s.calib_count[b];
  s.calib_p_sum[b] += top;
  if (pred == truth) ++s.calib_correct[b];
}

void Recorder::on_breaker(Nanos t, std::uint16_t strategy, const char* reason) noexcept {
  advance(t);
  ++rec_.breaker_trips;
  if (rec_.trips.size() >= rec_.settings.max_trips) {
    ++rec_.dropped_trips;
    return;
  }
  BreakerTrip b;
  b.t = t;
  b.strategy = strategy;
  for (std::size_t k = 0; reason && reason[k] != '\0' && k + 1 < b.reason.size(); ++k) b.reason[k] = reason[k];
  rec_.trips.push_back(b);
}

}  // namespace hft::report
