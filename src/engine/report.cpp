#include "hft/core/decimal.hpp"
#include "hft/core/scales.hpp"
#include "hft/engine/report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace hft::engine {

std::vector<BookSummary> summarize_books(const book::Books& books, const std::vector<feed::Instrument>& instruments,
                                         const std::vector<std::uint8_t>& seen) {
  std::map<InstrumentId, std::string> symbols;
  for (const auto& in : instruments) symbols[in.id] = in.symbol;
  std::vector<BookSummary> out;
  for (InstrumentId id = 0; id < seen.size(); ++id) {
    if (!seen[id]) continue;
    BookSummary s;
    s.id = id;
    s.symbol = symbols.count(id) ? symbols[id] : "#" + std::to_string(id);
    s.bid = books.best(id, Side::Buy);
    s.ask = books.best(id, Side::Sell);
    s.bid_levels = books.depth(id, Side::Buy);
    s.ask_levels = books.depth(id, Side::Sell);
    s.orders = books.live_orders(id);
    std::uint64_t h = 0xCBF29CE484222325ull;
    auto mix = [&h](std::uint64_t x) {
      for (int b = 0; b < 8; ++b) h = (h ^ ((x >> (8 * b)) & 0xFF)) * 0x100000001B3ull;
    };
    for (Side side : {Side::Buy, Side::Sell}) {
      const std::size_t n = books.depth(id, side);
      for (std::size_t i = 0; i < n; ++i) {
        book::LevelView lv;
        if (!books.level(id, side, i, lv)) break;
        mix(static_cast<std::uint64_t>(side));
        mix(static_cast<std::uint64_t>(lv.price));
        mix(static_cast<std::uint64_t>(lv.qty));
        mix(lv.orders);
      }
    }
    s.depth_hash = h;
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.orders > b.orders; });
  return out;
}

std::string price_str(Price p, InstrumentId id) { return format_decimal(p, price_scale_of(id)); }

std::string books_json(const std::vector<BookSummary>& books) {
  std::string s = "[";
  char line[512];
  for (std::size_t i = 0; i < books.size(); ++i) {
    const auto& b = books[i];
    std::snprintf(line, sizeof line,
                  "%s\n    {\"instrument\": %u, \"symbol\": \"%s\", \"bid\": %lld, \"bid_qty\": %lld, "
                  "\"ask\": %lld, \"ask_qty\": %lld, \"bid_levels\": %zu, \"ask_levels\": %zu, "
                  "\"orders\": %zu, \"depth_hash\": \"%016llx\"}",
                  i ? "," : "", b.id, b.symbol.c_str(), static_cast<long long>(b.bid.price),
                  static_cast<long long>(b.bid.qty), static_cast<long long>(b.ask.price),
                  static_cast<long long>(b.ask.qty), b.bid_levels, b.ask_levels, b.orders,
                  static_cast<unsigned long long>(b.depth_hash));
    s += line;
  }
  s += "\n  ]";
  return s;
}

LatencySummary summarize(const telemetry::LatencyHistogram& h) {
  const auto snap = h.snapshot();
  LatencySummary s;
  s.count = snap.count;
  s.p50 = snap.percentile(50);
  s.p99 = snap.percentile(99);
  s.p999 = snap.percentile(99.9);
  s.max = static_cast<double>(snap.max);
  s.mean = snap.mean();
  return s;
}

}  // namespace hft::engine
