// The end state of a run, in the words a trader checks first: per instrument the top of book,
// depth and live orders, plus a hash of every level on both sides, so two runs (a replay and a
// live session, or two layouts) can be compared book for book. Also percentile lines from the
// latency histograms. Shared by `hftd replay` and `hftd run`. May touch: book/, feed/, telemetry/.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/feed/source.hpp"
#include "hft/telemetry/histogram.hpp"

namespace hft::engine {

struct BookSummary {
  InstrumentId id = 0;
  std::string symbol;
  book::LevelView bid, ask;
  std::size_t bid_levels = 0, ask_levels = 0, orders = 0;
  std::uint64_t depth_hash = 0;  // FNV-1a over (side, price, qty, orders) of every level
};

// One entry per instrument with seen[id] != 0, sorted by live orders (most first).
std::vector<BookSummary> summarize_books(const book::Books& books, const std::vector<feed::Instrument>& instruments,
                                         const std::vector<std::uint8_t>& seen);

std::string price_str(Price p, InstrumentId id);  // in the instrument's price scale
// JSON array of the summaries (one object per line).
std::string books_json(const std::vector<BookSummary>& books);

struct LatencySummary {
  std::uint64_t count = 0;
  double p50 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;  // ns
};
LatencySummary summarize(const telemetry::LatencyHistogram& h);

}  // namespace hft::engine
