// hftd book: writes the top-N book of one instrument after every event group, in LOBSTER's
// orderbook format, so it can be compared line by line with LOBSTER's own files.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli.hpp"
#include "study_util.hpp"
#include "hft/book/order_book.hpp"
#include "hft/sources/open.hpp"
#include "pump.hpp"

namespace hft::app {
namespace cmd_book {  // named: the subcommands are compiled as one unit (kUsage, run)

const char* const kUsage =
    "  --input SOURCE      market data (pcap:F, itch:F[.gz], lobster:F, dbn:F, binance:F[,F])\n"
    "  --out FILE.csv      output, one row per event group (- for stdout)\n"
    "  --levels N          levels per side (default 10)\n"
    "  --symbol SYM        instrument to write (default: the first with market events)\n"
    "  --instrument ID     instrument id instead of a symbol (ITCH stock locate)\n"
    "  --every-event       a row after every event of the instrument, not every group\n"
    "  --max-orders N      order pool size (default 4194304)\n"
    "  --dst ADDR:PORT     pcap only: keep UDP datagrams to this destination\n"
    "  --config FILE       take feed settings (feed.dst_addr, feed.dst_port, instruments) from a config file\n"
    "Rows: ask price 1, ask size 1, bid price 1, bid size 1, ... (prices x 10000; binance:\n"
    "prices and sizes in the instrument's units, config instruments price_scale / qty_scale;\n"
    "empty levels as 9999999999 / -9999999999 with size 0). A group is one MoldUDP64 packet,\n"
    "one LOBSTER message row, one DBN event (F_LAST), one Binance message or, in an ITCH file,\n"
    "the messages sharing one timestamp.\n";

int run(int argc, char** argv) {
  const Options o(argc, argv,
                  {"--input", "--out", "--levels", "--symbol", "--instrument", "--max-orders",
                   "--dst", "--config"},
                  {"--every-event"});
  const auto spec = sources::parse_source_spec(o.required("--input"));
  const std::string out_path = o.required("--out");
  const auto levels = static_cast<std::size_t>(o.integer("--levels", 10, 1, 1000));
  const bool every = o.has("--every-event");
  const std::string want_symbol = o.str("--symbol");
  InstrumentId instr = static_cast<InstrumentId>(
      o.integer("--instrument", kAnyInstrument, 0, kAnyInstrument));

  const feed::FeedOptions fo = feed_options(o);
  auto src = sources::open_source(spec, fo);
  const book::BookConfig cfg = book_config(o);
  book::Books books(cfg);

  std::FILE* out = out_path == "-" ? stdout : std::fopen(out_path.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + out_path);
  std::vector<char> row(levels * 4 * 22 + 2);
  std::uint64_t rows = 0;
  bool touched = false;  // the current group had a market event of the instrument

  auto symbol_of = [&](InstrumentId id) -> std::string {
    for (const auto& in : src->instruments())
      if (in.id == id) return in.symbol;
    return {};
  };
  auto write_row = [&] {
    const std::size_t n = book::format_lobster_row(books, instr, levels, row.data());
    row[n] = '\n';
    std::fwrite(row.data(), 1, n + 1, out);
    ++rows;
  };

  pump(*src, [&](const MarketEvent& ev) {
    books.apply(ev);
    if (is_market_kind(ev.kind)) {
      if (instr == kAnyInstrument && (want_symbol.empty() || symbol_of(ev.instrument) == want_symbol))
        instr = ev.instrument;
      if (ev.instrument == instr) {
        touched = true;
        if (every) write_row();
      }
    }
    if ((ev.flags & evflag::kLast) && touched) {
      if (!every) write_row();
      touched = false;
    }
  });
  if (out != stdout) std::fclose(out);
  warn_all_filtered(src->stats(), fo);

  std::uint64_t errors = 0;
  for (auto e : books.counters().errors) errors += e;
  std::fprintf(stderr, "hftd book: %llu rows for instrument %u (%s), %llu book errors\n",
               static_cast<unsigned long long>(rows), instr,
               instr == kAnyInstrument ? "none" : symbol_of(instr).c_str(),
               static_cast<unsigned long long>(errors));
  return 0;
}

}  // namespace

const Command kBookCommand{"book", "write the top-N book after every event, LOBSTER format",
                           cmd_book::kUsage, cmd_book::run};

}  // namespace hft::app
