// Hawkes study of market orders: see include/hft/study/hawkes.hpp.
#include "hft/study/hawkes.hpp"

#include <algorithm>
#include <limits>

namespace hft::study {

void MarketOrderTimes::on_instrument_event(Nanos tod) noexcept {
  if (first_event_ < 0 || tod < first_event_) first_event_ = tod;
  last_event_ = std::max(last_event_, tod);
}

void MarketOrderTimes::on_execution(Nanos tod, Side aggressor, bool cross) {
  if (cross) {
    ++counts_.cross;
    return;
  }
  if (aggressor != Side::Buy && aggressor != Side::Sell) {
    ++counts_.unsigned_side;
    return;
  }
  if (cfg_.session && (tod < cfg_.start || tod >= cfg_.end)) {
    ++counts_.outside;
    return;
  }
  const auto s = static_cast<std::size_t>(aggressor == Side::Buy ? 0 : 1);
  ++counts_.executions;
  if (tod == last_side_ts_[s]) {  // the same aggressive order sweeping on
    ++counts_.merged;
    return;
  }
  if (tod < last_ts_) {
    ++counts_.out_of_order;
    return;
  }
  last_ts_ = tod;
  last_side_ts_[s] = tod;
  tod_.push_back(tod);
  side_.push_back(static_cast<std::uint8_t>(s));
  ++counts_.market_orders;
  ++counts_.per_side[s];
}

MarketOrderTimes::Data MarketOrderTimes::data() const {
  Data d;
  Nanos end = 0;
  if (cfg_.session) {
    d.t0 = cfg_.start;
    end = cfg_.end;
  } else {
    d.t0 = first_event_ < 0 ? 0 : first_event_;
    end = last_event_ < 0 ? 0 : last_event_;
  }
  d.T = static_cast<double>(end - d.t0) * 1e-9;
  d.times.reserve(tod_.size());
  for (const Nanos t : tod_) d.times.push_back(static_cast<double>(t - d.t0) * 1e-9);
  d.marks = side_;
  return d;
}

HawkesFeed::HawkesFeed(MarketOrderTimes& times, book::Books& books, InstrumentId instrument, bool epoch_clock)
    : times_(times), books_(books), instr_(instrument), epoch_(epoch_clock) {}

void HawkesFeed::on_event(const MarketEvent& ev) {
  if (instr_ == kAny && ev.kind == EventKind::Add) instr_ = ev.instrument;
  const Nanos tod = epoch_ ? ev.ts_exch % (86'400LL * 1'000'000'000LL) : ev.ts_exch;
  if (ev.instrument == instr_ && ev.kind != EventKind::Directory && ev.kind != EventKind::System) {
    times_.on_instrument_event(tod);
    if (ev.kind == EventKind::Trade && !(ev.flags & evflag::kPrintable) && ev.order_id != 0) {
      times_.note_fill();
    } else if (ev.kind == EventKind::Execute || ev.kind == EventKind::Trade) {
      // The resting order's side, before the execution may remove the order from the book.
      Side resting = ev.side;
      book::Books::OrderView o;
      if (resting == Side::None && ev.kind == EventKind::Execute && books_.find_order(ev.order_id, o))
        resting = o.side;
      times_.on_execution(tod, opposite(resting), (ev.flags & evflag::kCross) != 0);
    }
  }
  books_.apply(ev);
}

HawkesStudyResult hawkes_study(const MarketOrderTimes& times, const model::HawkesFitOptions& fit) {
  HawkesStudyResult r;
  r.counts = times.counts();
  r.data = times.data();
  const auto& d = r.data;
  r.bivariate = model::hawkes_fit(d.times, d.marks, 2, d.T, fit);
  if (model::hawkes_valid(r.bivariate.params))
    r.residuals = model::hawkes_residuals(r.bivariate.params, d.times, d.marks, d.T);
  r.pooled = model::hawkes_fit(d.times, {}, 1, d.T, fit);
  if (model::hawkes_valid(r.pooled.params))
    r.pooled_residuals = model::hawkes_residuals(r.pooled.params, d.times, {}, d.T);
  r.poisson_ks.fill(std::numeric_limits<double>::quiet_NaN());
  if (d.T > 0 && r.counts.per_side[0] > 0 && r.counts.per_side[1] > 0) {
    model::HawkesParams p;
    p.dim = 2;
    p.mu = {static_cast<double>(r.counts.per_side[0]) / d.T, static_cast<double>(r.counts.per_side[1]) / d.T};
    const auto pr = model::hawkes_residuals(p, d.times, d.marks, d.T);
    if (pr.ok) r.poisson_ks = pr.ks;
  }
  return r;
}

}  // namespace hft::study
