// Shared helpers of the Binance tests: instrument definitions of the shared captures, reading a
// capture's lines, replaying lines through a Decoder into a Books.
#pragma once
#include <deque>
#include <string>
#include <vector>

#include "hft/binance/decoder.hpp"
#include "hft/binance/gz_lines.hpp"
#include "hft/book/order_book.hpp"

namespace hft::binance::testing {

inline const std::string kDataDir = std::string(HFT_SHARED_DATA) + "/binance-hftbacktest/";
inline const std::string kFutures = kDataDir + "usdm_btcusdt_20240808.gz";
inline const std::string kSpot0808 = kDataDir + "spot_btcusdt_20240808.gz";
inline const std::string kSpot0809 = kDataDir + "spot_btcusdt_20240809.gz";

// The shared captures' instruments (PROVENANCE.md): futures tick 0.10, step 0.001; spot tick
// 0.01, sizes with up to 6 decimals in these files (PROVENANCE says 1e-5; level totals and
// trades of 1e-6 occur). Prices in cents so that the futures tick check has work to do.
inline std::vector<feed::FeedOptions::InstrumentDef> btc_defs() {
  return {{"BTCUSDT", "usdm", InstrumentScale{100, 1000, 10, 1}},
          {"BTCUSDT", "spot", InstrumentScale{100, 1000000, 1, 1}}};
}

inline std::vector<std::string> read_lines(const std::vector<std::string>& paths) {
  GzLines g(paths);
  std::vector<std::string> out;
  std::string_view l;
  while (g.next(l)) out.emplace_back(l);
  return out;
}

// Decodes lines, applies their events to books, and checks the rebuilt top of book against
// every bookTicker whose update id is the last applied diff's final id.
struct Replay {
  Decoder dec{DecoderOptions{btc_defs(), 1u << 16}};
  book::Books books;
  std::vector<MarketEvent> evs;
  std::uint64_t ticker_checks = 0, ticker_mismatches = 0, tickers = 0, crossed_groups = 0, checks_depth_after = 0;
  std::deque<Ticker> waiting;  // tickers whose update id the depth stream has not reached

  void check(const Ticker& t, bool depth_after) {
    ++ticker_checks;
    if (depth_after) ++checks_depth_after;
    const auto b = books.best(t.instrument, Side::Buy);
    const auto a = books.best(t.instrument, Side::Sell);
    if (b.price != t.bid || b.qty != t.bid_qty || a.price != t.ask || a.qty != t.ask_qty) {
      if (first_mismatch.empty())
        first_mismatch = "line " + std::to_string(dec.line_number()) + ": book " + std::to_string(b.price) + "x" +
                         std::to_string(b.qty) + " / " + std::to_string(a.price) + "x" + std::to_string(a.qty) +
                         ", bookTicker " + std::to_string(t.bid) + "x" + std::to_string(t.bid_qty) + " / " +
                         std::to_string(t.ask) + "x" + std::to_string(t.ask_qty);
      ++ticker_mismatches;
    }
  }
  std::string first_mismatch;

  LineKind line(std::string_view l) {
    evs.clear();
    const LineKind k = dec.decode(l, evs);
    for (const auto& e : evs) {
      books.apply(e);
      if ((e.flags & evflag::kLast) && e.kind != EventKind::Trade) {
        const auto b = books.best(e.instrument, Side::Buy);
        const auto a = books.best(e.instrument, Side::Sell);
        if (b.qty > 0 && a.qty > 0 && b.price >= a.price) ++crossed_groups;
      }
    }
    // A bookTicker and the depth diff with the same update id describe the same book, whichever
    // arrives first (the quote stream is usually faster): tickers ahead of the depth stream wait
    // for their diff; each is checked once, when both are in.
    if (k == LineKind::Ticker) {
      ++tickers;
      const Ticker& t = dec.last_ticker();
      const auto& v = dec.instruments()[t.instrument - 1];
      if (v.sync == Sync::Synced && t.u == v.last_u) check(t, false);
      else if (v.sync != Sync::Synced || t.u > v.last_u) waiting.push_back(t);
    } else if (k == LineKind::Depth && !waiting.empty()) {
      const auto& v = dec.instruments()[waiting.front().instrument - 1];
      if (v.sync == Sync::Synced) {
        while (!waiting.empty() && waiting.front().u < v.last_u) waiting.pop_front();
        if (!waiting.empty() && waiting.front().u == v.last_u) {
          check(waiting.front(), true);
          waiting.pop_front();
        }
      }
    }
    return k;
  }
};

}  // namespace hft::binance::testing
