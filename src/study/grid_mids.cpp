#include "hft/study/grid_mids.hpp"

#include <cmath>

#include "hft/study/ofi.hpp"  // Top, top_valid

namespace hft::study {

std::vector<double> log_returns(const std::vector<double>& mids) {
  std::vector<double> r;
  if (mids.size() < 2) return r;
  r.reserve(mids.size() - 1);
  for (std::size_t i = 1; i < mids.size(); ++i) r.push_back(std::log(mids[i] / mids[i - 1]));
  return r;
}

GridMidFeed::GridMidFeed(book::Books& books, std::vector<InstrumentId> instruments, const GridMidConfig& cfg,
                         bool epoch_time)
    : books_(books), cfg_(cfg), epoch_(epoch_time) {
  if (cfg_.grid <= 0) cfg_.grid = 1'000'000'000LL;
  out_.instruments = std::move(instruments);
  out_.mids.resize(out_.instruments.size());
  mid_.assign(out_.instruments.size(), 0.0);
  touched_.assign(out_.instruments.size(), 0);
}

void GridMidFeed::on_event(const MarketEvent& ev) noexcept {
  const std::size_t k = out_.instruments.size();
  if (k == 1 && out_.instruments[0] == kAny && ev.kind == EventKind::Add) out_.instruments[0] = ev.instrument;
  const Nanos tod = epoch_ ? ev.ts_exch % (86'400LL * 1'000'000'000LL) : ev.ts_exch;
  // Grid times up to this event's time take the mids left by the groups before it.
  if (next_ >= 0) {
    while (next_ <= tod) {
      if (next_ >= cfg_.start && next_ < cfg_.end) {
        out_.times.push_back(next_);
        for (std::size_t i = 0; i < k; ++i) out_.mids[i].push_back(mid_[i]);
      }
      next_ += cfg_.grid;
    }
  }
  books_.apply(ev);
  if (ev.kind != EventKind::Directory && ev.kind != EventKind::System)
    for (std::size_t i = 0; i < k; ++i)
      if (ev.instrument == out_.instruments[i]) touched_[i] = 1;
  if (!(ev.flags & evflag::kLast)) return;
  for (std::size_t i = 0; i < k; ++i) {
    if (!touched_[i]) continue;
    touched_[i] = 0;
    ++out_.groups;
    const auto b = books_.best(out_.instruments[i], Side::Buy);
    const auto a = books_.best(out_.instruments[i], Side::Sell);
    if (!top_valid(Top{b.price, b.qty, a.price, a.qty})) {
      ++out_.invalid_tops;
      continue;
    }
    if (mid_[i] == 0) ++have_;
    mid_[i] = 0.5 * (static_cast<double>(b.price) + static_cast<double>(a.price));
    if (have_ == k && next_ < 0) next_ = (tod / cfg_.grid + 1) * cfg_.grid;  // strictly after
  }
}

}  // namespace hft::study
