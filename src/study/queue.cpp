#include "hft/study/queue.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hft::study {

QueueStudy::QueueStudy(const QueueConfig& cfg) : cfg_(cfg) {
  if (cfg.end <= cfg.start) throw std::invalid_argument("queue study: end must be after start");
  if (cfg.buckets < 1 || cfg.buckets > 50) throw std::invalid_argument("queue study: buckets must be in 1..50");
  if (cfg.max_units < 1 || cfg.max_units > 1024) throw std::invalid_argument("queue study: max_units must be in 1..1024");
  if (cfg.max_spread < 0 || cfg.tick <= 0) throw std::invalid_argument("queue study: bad max_spread or tick");
}

void QueueStudy::on_flow(Nanos ts, Side side, EventKind kind, Qty qty, bool at_best, bool inside) noexcept {
  if (ts < cfg_.start || ts >= cfg_.end) return;
  if (first_ts_ < 0) first_ts_ = ts;
  last_ts_ = std::max(last_ts_, ts);
  SideFlow& f = side == Side::Buy ? rates_.bid : rates_.ask;
  if (kind == EventKind::Add) {
    if (at_best) {
      ++f.adds;
      f.add_qty += qty;
    } else if (inside) {
      ++f.inside;
    }
  } else if (at_best && kind == EventKind::Execute) {
    ++f.execs;
    f.exec_qty += qty;
  } else if (at_best && (kind == EventKind::Cancel || kind == EventKind::Delete)) {
    ++f.cancels;
    f.cancel_qty += qty;
  }
}

void QueueStudy::on_top(Nanos ts, const Top& top) {
  if (ts < cfg_.start || ts >= cfg_.end) {
    ++sum_.outside;
    return;
  }
  if (first_ts_ < 0) first_ts_ = ts;
  last_ts_ = std::max(last_ts_, ts);
  if (!top_valid(top)) {
    ++sum_.invalid;  // the mid keeps its last valid value
    return;
  }
  if (have_mid_ && top.bid_px == prev_.bid_px && top.ask_px == prev_.ask_px && top.bid_qty == prev_.bid_qty &&
      top.ask_qty == prev_.ask_qty)
    return;  // the best queues did not change: not a new state
  const Price mid2 = top.bid_px + top.ask_px;
  if (have_mid_ && mid2 != last_mid2_) {
    const std::int8_t dir = mid2 > last_mid2_ ? 1 : -1;
    for (std::size_t i = open_from_; i < samples_.size(); ++i) samples_[i].dir = dir;
    open_from_ = samples_.size();
    ++sum_.moves;
    if (dir > 0) ++sum_.up_moves;
    after_bid_ += static_cast<double>(top.bid_qty);
    after_ask_ += static_cast<double>(top.ask_qty);
  }
  last_mid2_ = mid2;
  have_mid_ = true;
  prev_ = top;
  if (cfg_.max_spread > 0 && top.ask_px - top.bid_px > static_cast<Price>(cfg_.max_spread) * cfg_.tick) {
    ++sum_.wide_spread;
    return;
  }
  samples_.push_back(Sample{top.bid_qty, top.ask_qty, 0});
}

QueueResult QueueStudy::finish() {
  QueueResult res;
  res.cfg = cfg_;
  QueueRates& r = rates_;
  r.seconds = last_ts_ > first_ts_ ? static_cast<double>(last_ts_ - first_ts_) / 1e9 : 0;
  const double adds = static_cast<double>(r.bid.adds + r.ask.adds);
  r.unit = adds > 0 ? static_cast<double>(r.bid.add_qty + r.ask.add_qty) / adds : 0;
  if (r.seconds > 0 && r.unit > 0) {
    const double T = r.seconds, u = r.unit;
    r.lambda_n = adds / 2 / T;
    r.mu_n = static_cast<double>(r.bid.execs + r.ask.execs) / 2 / T;
    r.theta_n = static_cast<double>(r.bid.cancels + r.ask.cancels) / 2 / T;
    r.lambda = static_cast<double>(r.bid.add_qty + r.ask.add_qty) / 2 / u / T;
    r.mu = static_cast<double>(r.bid.exec_qty + r.ask.exec_qty) / 2 / u / T;
    r.theta = static_cast<double>(r.bid.cancel_qty + r.ask.cancel_qty) / 2 / u / T;
    r.bid_lambda = static_cast<double>(r.bid.add_qty) / u / T;
    r.ask_lambda = static_cast<double>(r.ask.add_qty) / u / T;
    r.bid_mu = static_cast<double>(r.bid.exec_qty + r.bid.cancel_qty) / u / T;
    r.ask_mu = static_cast<double>(r.ask.exec_qty + r.ask.cancel_qty) / u / T;
  }
  res.rates = r;
  QueueSummary& s = sum_;
  s.open_at_end = samples_.size() - open_from_;
  if (r.lambda > 0 && r.mu + r.theta > 0)
    res.table = model::QueueTable(r.lambda, r.mu, r.theta, r.unit, cfg_.max_units);
  const auto& tab = res.table;  // a default table (no flow seen) reads 0.5 everywhere
  if (s.moves > 0 && r.unit > 0) {
    s.after_move_bid = after_bid_ / static_cast<double>(s.moves) / r.unit;
    s.after_move_ask = after_ask_ / static_cast<double>(s.moves) / r.unit;
  }
  const double u = r.unit > 0 ? r.unit : 1;
  auto units = [&](Volume q) { return std::min(model::queue_units(static_cast<double>(q), u), cfg_.max_units); };

  // Bucket edges: quantiles of the pooled unit sizes of the resolved samples.
  std::vector<int> pooled;
  pooled.reserve(2 * samples_.size());
  for (std::size_t i = 0; i < open_from_; ++i) {
    pooled.push_back(units(samples_[i].qb));
    pooled.push_back(units(samples_[i].qa));
  }
  std::sort(pooled.begin(), pooled.end());
  std::vector<int> edges;
  if (!pooled.empty()) {
    for (int k = 1; k < cfg_.buckets; ++k)
      edges.push_back(pooled[std::min(pooled.size() - 1, static_cast<std::size_t>(k) * pooled.size() /
                                                             static_cast<std::size_t>(cfg_.buckets))]);
  }
  edges.push_back(cfg_.max_units);
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  const std::size_t B = edges.size();
  auto bucket = [&](int v) {
    return static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), v) - edges.begin());
  };
  std::vector<std::uint64_t> n(B * B, 0), up(B * B, 0);
  std::vector<double> sp(B * B, 0.0);
  double brier = 0;
  for (std::size_t i = 0; i < open_from_; ++i) {
    const Sample& sm = samples_[i];
    const int x = units(sm.qb), y = units(sm.qa);
    const double p = tab.p_up_units(x, y);
    const double o = sm.dir > 0 ? 1.0 : 0.0;
    const std::size_t c = bucket(x) * B + bucket(y);
    ++n[c];
    up[c] += sm.dir > 0;
    sp[c] += p;
    brier += (p - o) * (p - o);
    ++s.samples;
    const double imb = static_cast<double>(sm.qb - sm.qa) / static_cast<double>(sm.qb + sm.qa);
    const int ib = std::clamp(static_cast<int>((imb + 1) / 0.4), 0, 4);
    ++s.imb_n[ib];
    s.imb_up[ib] += sm.dir > 0;
  }
  double mad = 0, brier_cells = 0;
  for (std::size_t bx = 0; bx < B; ++bx)
    for (std::size_t by = 0; by < B; ++by) {
      const std::size_t c = bx * B + by;
      QueueCell cell;
      cell.bx = static_cast<int>(bx);
      cell.by = static_cast<int>(by);
      cell.x_lo = bx ? edges[bx - 1] + 1 : 1;
      cell.x_hi = edges[bx];
      cell.y_lo = by ? edges[by - 1] + 1 : 1;
      cell.y_hi = edges[by];
      cell.n = n[c];
      cell.up = up[c];
      if (n[c]) {
        const double nn = static_cast<double>(n[c]), f = static_cast<double>(up[c]) / nn;
        cell.freq = f;
        cell.se = std::sqrt(f * (1 - f) / nn);
        cell.model = sp[c] / nn;
        mad += nn * std::fabs(f - cell.model);
        brier_cells += static_cast<double>(up[c]) * (1 - f) * (1 - f) + (nn - static_cast<double>(up[c])) * f * f;
      }
      res.cells.push_back(cell);
    }
  if (s.samples) {
    const double N = static_cast<double>(s.samples);
    s.mad = mad / N;
    s.brier_model = brier / N;
    s.brier_cells = brier_cells / N;
  }
  res.edges = edges;
  res.summary = s;
  return res;
}

QueueFeed::QueueFeed(QueueStudy& study, book::Books& books, InstrumentId instrument, bool epoch_clock)
    : study_(study), books_(books), instr_(instrument), epoch_(epoch_clock) {}

void QueueFeed::on_event(const MarketEvent& ev) {
  if (instr_ == kAny && ev.kind == EventKind::Add) instr_ = ev.instrument;
  const Nanos tod = epoch_ ? ev.ts_exch % kNsPerDay : ev.ts_exch;
  if (ev.instrument == instr_ && ev.kind != EventKind::Directory && ev.kind != EventKind::System) {
    touched_ = true;
    // Flow is classified against the book before the event; events a reader made up (LOBSTER
    // window entries and exits) and snapshots are not order flow.
    if (!(ev.flags & (evflag::kSynthetic | evflag::kSnapshot))) {
      const auto b = books_.best(instr_, Side::Buy);
      const auto a = books_.best(instr_, Side::Sell);
      auto classify_add = [&](Side side, Price px, Qty qty, EventKind kind) {
        const bool bid = side == Side::Buy;
        const auto& own = bid ? b : a;
        const auto& other = bid ? a : b;
        const bool at_best = own.qty > 0 && px == own.price;
        const bool better = own.qty == 0 || (bid ? px > own.price : px < own.price);
        const bool below_other = other.qty == 0 || (bid ? px < other.price : px > other.price);
        study_.on_flow(tod, side, kind, qty, at_best, !at_best && better && below_other);
      };
      book::Books::OrderView o{};
      switch (ev.kind) {
        case EventKind::Add:
          if (ev.side == Side::Buy || ev.side == Side::Sell) classify_add(ev.side, ev.price, ev.qty, EventKind::Add);
          break;
        case EventKind::Execute:
        case EventKind::Cancel:
        case EventKind::Delete:
          if (books_.find_order(ev.order_id, o) && o.instrument == instr_) {
            const auto& best = o.side == Side::Buy ? b : a;
            const Qty q = ev.kind == EventKind::Delete ? o.qty : std::min(ev.qty, o.qty);
            study_.on_flow(tod, o.side, ev.kind, q, best.qty > 0 && o.price == best.price, false);
          }
          break;
        case EventKind::Replace:  // the old order leaves, the new one is an add
          if (books_.find_order(ev.order_id, o) && o.instrument == instr_) {
            const auto& best = o.side == Side::Buy ? b : a;
            study_.on_flow(tod, o.side, EventKind::Delete, o.qty, best.qty > 0 && o.price == best.price, false);
            classify_add(o.side, ev.price, ev.qty, EventKind::Add);
          }
          break;
        default:  // Modify, Trade (hidden), Clear, Status: not flow at the visible best
          break;
      }
    }
  }
  books_.apply(ev);
  if ((ev.flags & evflag::kLast) && touched_) {
    touched_ = false;
    const auto b = books_.best(instr_, Side::Buy);
    const auto a = books_.best(instr_, Side::Sell);
    study_.on_top(tod, Top{b.price, b.qty, a.price, a.qty});
  }
}

}  // namespace hft::study
