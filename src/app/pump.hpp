// Reading a source to its end in batches, and the small helpers the subcommands share.
#pragma once
#include <sys/resource.h>

#include <array>
#include <cstdint>
#include <string>

#include "hft/core/event.hpp"
#include "hft/feed/source.hpp"
#include "progress.hpp"

namespace hft::app {

// Calls f(event) for every event of the source, in order; returns the number of events. On a
// terminal a progress line named `what` shows how far it is.
template <class F>
std::uint64_t pump(feed::EventSource& src, F&& f, const char* what = "reading") {
  std::array<MarketEvent, feed::kMaxBatch> buf;  // 56 KiB, once per run
  std::uint64_t n_total = 0;
  ProgressLine line(what);
  while (const std::size_t n = src.next(buf)) {
    for (std::size_t i = 0; i < n; ++i) f(buf[i]);
    n_total += n;
    line.update([&] { return src.progress(); }, n_total);
  }
  return n_total;
}

// Starts an engine and waits for it to end, with a progress line on a terminal (the source's
// share read and the events so far, from the engine's mirror of its feed thread).
template <class Engine>
void run_to_end(Engine& eng, const char* what) {
  with_progress(
      what, [&] {
        eng.start();
        eng.join();
      },
      [&](double& share, std::uint64_t& done) {
        share = eng.source_counters().progress.load(std::memory_order_relaxed);
        done = eng.source_counters().events.get();
      });
}

// True for the kinds that belong to one instrument's market state (not directory or system
// messages): a group containing one of these yields one book row.
inline bool is_market_kind(EventKind k) noexcept {
  return k != EventKind::Directory && k != EventKind::System;
}

inline std::int64_t peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Instrument chosen by --symbol or --instrument; 0xFFFFFFFF = "the first one with market events".
inline constexpr InstrumentId kAnyInstrument = 0xFFFFFFFFu;

}  // namespace hft::app
