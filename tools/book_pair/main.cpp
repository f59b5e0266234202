// Two versions of the L3 book (hft::book_a, hft::book_b: the order_book sources of two git
// revisions, namespaces renamed by tools/book-pair) applied to the same day, alternated pass by
// pass (A B, B A, ...), each pass a fresh prefaulted book over every book event of the day in
// batches of 64, as bench_market_path applies them. The day is decoded once, before any pass, so
// only the book is timed. On this VM the same binary's figure moves by 30% or more between
// minutes; adjacent passes see the same spell, so their ratio B/A is what to read.
// Not a test and not in CI: a development tool (see tools/book-pair).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "book_a.hpp"
#include "book_b.hpp"
#include "hft/sources/open.hpp"

namespace {

// ns per event of one pass; into `check` a fold of the books at the end (live orders, errors,
// every instrument's depth, top level and its front order on both sides): the two versions
// must agree.
template <class Books, class Config>
double pass(const std::vector<hft::MarketEvent>& evs, hft::InstrumentId n_instr, std::uint64_t& check) {
  Config cfg;
  cfg.max_orders = std::size_t{1} << 22;  // as bench_market_path
  cfg.max_levels = std::size_t{1} << 20;
  cfg.prefault = true;
  auto b = std::make_unique<Books>(cfg);
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = evs.size();
  for (std::size_t i = 0; i < n; i += 64) b->apply_batch(evs.data() + i, std::min<std::size_t>(64, n - i));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto fold = [&](std::uint64_t v) { check = (check ^ v) * 0x100000001b3ull; };
  check = 0xcbf29ce484222325ull;
  fold(b->live_orders());
  for (auto e : b->counters().errors) fold(e);
  for (hft::InstrumentId i = 0; i < n_instr; ++i)
    for (hft::Side side : {hft::Side::Buy, hft::Side::Sell}) {
      const auto top = b->best(i, side);
      fold(b->depth(i, side));
      fold(static_cast<std::uint64_t>(top.price));
      fold(static_cast<std::uint64_t>(top.qty));
      fold(top.orders);
      hft::OrderId front = 0;  // the queue's order, not only its totals
      if (top.qty != 0 && b->level_front(i, side, top.price, front)) fold(front);
    }
  return s * 1e9 / static_cast<double>(std::max<std::size_t>(n, 1));
}

// Every book event of a SOURCE ("pcap:DAY.pcap", "itch:FILE.gz", ...), read by hftd's own readers.
std::vector<hft::MarketEvent> load(const std::string& spec) {
  const auto src = hft::sources::open_source(hft::sources::parse_source_spec(spec));
  std::vector<hft::MarketEvent> evs;
  std::vector<hft::MarketEvent> buf(4096);
  while (const std::size_t n = src->next(buf))
    for (std::size_t i = 0; i < n; ++i)
      if (hft::book_a::is_book_event(buf[i].kind)) evs.push_back(buf[i]);
  return evs;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: book_pair SOURCE [PASSES]   (SOURCE: pcap:DAY.pcap, itch:FILE.gz, ...)\n");
    return 2;
  }
  const int passes = argc > 2 ? std::max(1, std::atoi(argv[2])) : 6;
  std::vector<hft::MarketEvent> evs;
  try {
    evs = load(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "book_pair: %s\n", e.what());
    return 1;
  }
  hft::InstrumentId n_instr = 0;
  for (const auto& e : evs) n_instr = std::max<hft::InstrumentId>(n_instr, e.instrument + 1);
  std::printf("%zu book events, %u instrument ids\n", evs.size(), n_instr);
  std::vector<double> ratio;
  bool same = true;
  for (int r = 0; r < passes; ++r) {
    std::uint64_t ca = 0, cb = 0;
    double a, b;
    if (r & 1) {
      b = pass<hft::book_b::Books, hft::book_b::BookConfig>(evs, n_instr, cb);
      a = pass<hft::book_a::Books, hft::book_a::BookConfig>(evs, n_instr, ca);
    } else {
      a = pass<hft::book_a::Books, hft::book_a::BookConfig>(evs, n_instr, ca);
      b = pass<hft::book_b::Books, hft::book_b::BookConfig>(evs, n_instr, cb);
    }
    same = same && ca == cb;
    ratio.push_back(b / a);
    std::printf("pass %d: A %.1f  B %.1f ns/event  B/A %.3f%s\n", r + 1, a, b, b / a,
                ca == cb ? "" : "  (the books differ)");
    std::fflush(stdout);
  }
  std::sort(ratio.begin(), ratio.end());
  std::printf("B/A: median %.3f, range %.3f-%.3f over %d pairs; B faster in %td\n", ratio[ratio.size() / 2],
              ratio.front(), ratio.back(), passes,
              std::lower_bound(ratio.begin(), ratio.end(), 1.0) - ratio.begin());
  return same ? 0 : 1;
}
