// hftd replay: runs a recorded source through the market data path (decode -> book) and prints
// a report: counts per message type, per error reason, the final books and the throughput.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli.hpp"
#include "hft/book/order_book.hpp"
#include "hft/sources/open.hpp"
#include "pump.hpp"

namespace hft::app {
namespace {

const char* const kUsage =
    "  --input SOURCE      market data (pcap:F, lobster:F, dbn:F)\n"
    "  --json FILE         also write the report as JSON\n"
    "  --top N             instruments listed in the final books (default 10)\n"
    "  --max-orders N      order pool size (default 16777216)\n"
    "  --dst ADDR:PORT     pcap only: keep UDP datagrams to this destination\n"
    "  --config FILE       take feed settings (feed.dst_addr, feed.dst_port) from a config file\n";

struct InstrumentSummary {
  InstrumentId id;
  std::string symbol;
  book::LevelView bid, ask;
  std::size_t bid_levels, ask_levels, orders;
};

std::string price_str(Price p) {
  char b[32];
  std::snprintf(b, sizeof b, "%lld.%04lld", static_cast<long long>(p / kPriceScale),
                static_cast<long long>((p < 0 ? -p : p) % kPriceScale));
  return b;
}

void write_json(const std::string& path, const std::string& input, std::uint64_t events,
                double secs, const feed::SourceStats& st, const book::BookCounters& bc,
                const std::array<std::uint64_t, kEventKindCount>& kinds,
                const std::vector<InstrumentSummary>& books, long rss_kib) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path);
  std::fprintf(f, "{\n  \"input\": \"%s\",\n  \"events\": %llu,\n  \"seconds\": %.6f,\n",
               input.c_str(), static_cast<unsigned long long>(events), secs);
  std::fprintf(f, "  \"ns_per_event\": %.2f,\n  \"peak_rss_kib\": %ld,\n",
               events ? secs * 1e9 / static_cast<double>(events) : 0.0, rss_kib);
  auto map_out = [&](const char* name, const std::map<std::string, std::uint64_t>& m) {
    std::fprintf(f, "  \"%s\": {", name);
    bool first = true;
    for (const auto& [k, v] : m) {
      std::fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", k.c_str(),
                   static_cast<unsigned long long>(v));
      first = false;
    }
    std::fprintf(f, "},\n");
  };
  map_out("source_counts", st.counts);
  map_out("source_errors", st.errors);
  std::map<std::string, std::uint64_t> ek, be;
  for (int k = 0; k < kEventKindCount; ++k)
    if (kinds[k]) ek[event_kind_name(static_cast<EventKind>(k))] = kinds[k];
  for (int e = 1; e < book::kBookErrorCount; ++e)
    if (bc.errors[e]) be[book::book_error_name(static_cast<book::BookError>(e))] = bc.errors[e];
  be["crossed"] = bc.crossed;
  be["locked"] = bc.locked;
  map_out("event_kinds", ek);
  map_out("book_errors", be);
  std::fprintf(f, "  \"books\": [");
  for (std::size_t i = 0; i < books.size(); ++i) {
    const auto& b = books[i];
    std::fprintf(f,
                 "%s\n    {\"instrument\": %u, \"symbol\": \"%s\", \"bid\": %lld, \"bid_qty\": %lld, "
                 "\"ask\": %lld, \"ask_qty\": %lld, \"bid_levels\": %zu, \"ask_levels\": %zu, "
                 "\"orders\": %zu}",
                 i ? "," : "", b.id, b.symbol.c_str(), static_cast<long long>(b.bid.price),
                 static_cast<long long>(b.bid.qty), static_cast<long long>(b.ask.price),
                 static_cast<long long>(b.ask.qty), b.bid_levels, b.ask_levels, b.orders);
  }
  std::fprintf(f, "\n  ]\n}\n");
  std::fclose(f);
}

int run(int argc, char** argv) {
  const Options o(argc, argv, {"--input", "--json", "--top", "--max-orders", "--dst", "--config"});
  const std::string input = o.required("--input");
  const auto spec = sources::parse_source_spec(input);
  const auto top = static_cast<std::size_t>(o.integer("--top", 10, 0, 1 << 20));
  auto src = sources::open_source(spec, feed_options(o));
  book::BookConfig cfg;
  cfg.max_orders = static_cast<std::size_t>(o.integer("--max-orders", 1 << 22, 1, 1LL << 32));
  cfg.max_levels = std::min<std::size_t>(cfg.max_orders, 1 << 22);
  book::Books books(cfg);

  std::array<std::uint64_t, kEventKindCount> kinds{};
  std::vector<std::uint8_t> seen(cfg.max_instruments, 0);
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t events = pump(*src, [&](const MarketEvent& ev) {
    books.apply(ev);
    ++kinds[static_cast<int>(ev.kind)];
    if (is_market_kind(ev.kind) && ev.instrument < seen.size()) seen[ev.instrument] = 1;
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::vector<InstrumentSummary> sums;
  std::map<InstrumentId, std::string> symbols;
  for (const auto& in : src->instruments()) symbols[in.id] = in.symbol;
  for (InstrumentId id = 0; id < seen.size(); ++id) {
    if (!seen[id]) continue;
    sums.push_back({id, symbols.count(id) ? symbols[id] : std::string("#") + std::to_string(id),
                    books.best(id, Side::Buy), books.best(id, Side::Sell),
                    books.depth(id, Side::Buy), books.depth(id, Side::Sell),
                    books.live_orders(id)});
  }
  std::sort(sums.begin(), sums.end(),
            [](const auto& a, const auto& b) { return a.orders > b.orders; });

  const auto& st = src->stats();
  const auto& bc = books.counters();
  std::printf("hftd replay %s\n\n", input.c_str());
  std::printf("throughput  %llu events in %.3f s: %.2f M events/s, %.1f ns/event "
              "(read + decode + book, one thread)\n",
              static_cast<unsigned long long>(events), secs, static_cast<double>(events) / secs / 1e6,
              events ? secs * 1e9 / static_cast<double>(events) : 0.0);
  std::printf("peak RSS    %.1f MiB\n\n", static_cast<double>(peak_rss_kib()) / 1024.0);
  std::printf("events by kind:\n");
  for (int k = 0; k < kEventKindCount; ++k)
    if (kinds[k])
      std::printf("  %-22s %12llu\n", event_kind_name(static_cast<EventKind>(k)),
                  static_cast<unsigned long long>(kinds[k]));
  std::printf("source counts:\n");
  for (const auto& [k, v] : st.counts)
    std::printf("  %-22s %12llu\n", k.c_str(), static_cast<unsigned long long>(v));
  std::printf("errors by reason (source):%s\n", st.errors.empty() ? " none" : "");
  for (const auto& [k, v] : st.errors)
    std::printf("  %-22s %12llu\n", k.c_str(), static_cast<unsigned long long>(v));
  std::uint64_t nbe = 0;
  for (int e = 1; e < book::kBookErrorCount; ++e) nbe += bc.errors[e];
  std::printf("errors by reason (book):%s\n", nbe ? "" : " none");
  for (int e = 1; e < book::kBookErrorCount; ++e)
    if (bc.errors[e])
      std::printf("  %-22s %12llu\n", book::book_error_name(static_cast<book::BookError>(e)),
                  static_cast<unsigned long long>(bc.errors[e]));
  std::printf("book conditions: crossed after add %llu, locked after add %llu, "
              "level arrays grown %llu\n",
              static_cast<unsigned long long>(bc.crossed), static_cast<unsigned long long>(bc.locked),
              static_cast<unsigned long long>(bc.level_array_grew));
  std::printf("\nfinal books: %zu instruments, %zu live orders (top %zu by orders)\n", sums.size(),
              books.live_orders(), std::min(top, sums.size()));
  std::printf("  %-10s %14s %10s %14s %10s %7s %7s %8s\n", "symbol", "bid", "bid qty", "ask",
              "ask qty", "bid lv", "ask lv", "orders");
  for (std::size_t i = 0; i < sums.size() && i < top; ++i) {
    const auto& b = sums[i];
    std::printf("  %-10s %14s %10lld %14s %10lld %7zu %7zu %8zu\n", b.symbol.c_str(),
                b.bid.qty ? price_str(b.bid.price).c_str() : "-", static_cast<long long>(b.bid.qty),
                b.ask.qty ? price_str(b.ask.price).c_str() : "-", static_cast<long long>(b.ask.qty),
                b.bid_levels, b.ask_levels, b.orders);
  }
  if (o.has("--json"))
    write_json(o.str("--json"), input, events, secs, st, bc, kinds, sums, peak_rss_kib());
  return 0;
}

}  // namespace

const Command kReplayCommand{"replay", "replay a recorded source through the pipeline; print a report",
                             kUsage, run};

}  // namespace hft::app
