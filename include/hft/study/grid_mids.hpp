// Mid prices of one or more instruments sampled on a fixed exchange-time grid, for the time-series
// studies (hftd study arma-garch, hftd study coint). Driven from normalized events and a
// book::Books, like OfiFeed: the feed applies each event to the books itself.
//
// Sampling rule (previous-tick, as OfiStudy's interval boundaries): the mid at grid time g is the
// one left by every event group (LOBSTER row, ITCH packet) whose time is strictly before g. A
// group after which an instrument's top is crossed, locked or one-sided does not change its mid
// (counted). Grid times are multiples of the grid step in time of day (the exchange clock; for
// epoch sources ts mod 1 day); a point is recorded once every instrument has had a valid mid and
// only inside [start, end) of the day. A grid point with no event group since the previous one
// repeats the mid (a zero return).
//
// May touch: core/, book/.
#pragma once
#include <cstdint>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/event.hpp"
#include "hft/core/types.hpp"

namespace hft::study {

struct GridMidConfig {
  Nanos grid = 1'000'000'000LL;           // step (ns)
  Nanos start = 0;                         // recorded grid times of day: [start, end)
  Nanos end = 86'400LL * 1'000'000'000LL;
};

struct GridMids {
  std::vector<InstrumentId> instruments;
  std::vector<Nanos> times;                // grid times (time of day, ns)
  std::vector<std::vector<double>> mids;   // [instrument][point], price units (1e-4)
  std::uint64_t groups = 0;                // event groups touching one of the instruments
  std::uint64_t invalid_tops = 0;          // of which left a crossed, locked or one-sided top
};

// log(mid_k / mid_{k-1}) of one instrument's series (size - 1 values).
std::vector<double> log_returns(const std::vector<double>& mids);

class GridMidFeed {
 public:
  static constexpr InstrumentId kAny = ~InstrumentId{0};
  // instruments: the ids to sample; a single kAny means the first instrument with an Add.
  GridMidFeed(book::Books& books, std::vector<InstrumentId> instruments, const GridMidConfig& cfg, bool epoch_time);
  // For ids learned while reading (a symbol's Directory message): before its first order.
  void set_instrument(std::size_t i, InstrumentId id) noexcept { out_.instruments[i] = id; }
  void on_event(const MarketEvent& ev) noexcept;
  const GridMids& result() const noexcept { return out_; }

 private:
  book::Books& books_;
  GridMidConfig cfg_;
  bool epoch_;
  GridMids out_;
  std::vector<double> mid_;     // current valid mid per instrument (0: none yet)
  std::vector<char> touched_;   // per instrument, in the current group
  std::size_t have_ = 0;        // instruments with a mid
  Nanos next_ = -1;             // next grid time to record (-1: not started)
};

}  // namespace hft::study
