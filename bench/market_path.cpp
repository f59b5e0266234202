// The market data path over a whole recorded day, warm in memory: ns per ITCH message for
// (1) frame parse + MoldUDP64 + ITCH decode alone and (2) the same plus the L3 books, and the peak
// resident memory. Input: the classic pcap named by HFT_BENCH_PCAP (bench/run makes a generated
// 50-million-message day and converted LOBSTER days); the file is mapped and pre-faulted, so
// disk speed is not measured. One benchmark iteration = one pass over every message of the file.
// Beside it, the ITCH file path on the same messages: (3) BM_ItchFileDecode, the 2-byte framing
// + ITCH decode over the pcap's messages laid out as an ITCH file in memory (what BM_Decode
// does, without packets), and (4) BM_ItchFileSource, the whole itch: source (read, gzip
// inflate when the name ends in .gz, decode, instrument table, groups) on the file named by
// HFT_BENCH_ITCH (`hftd convert --input pcap:DAY.pcap --out DAY.itch.gz`; from the page cache).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/core/byteorder.hpp"
#include "hft/feed/itch_file_source.hpp"
#include "hft/feed/moldudp64.hpp"
#include "hft/feed/pcap_reader.hpp"
#include "hft/itch/decoder.hpp"

namespace {

struct Day {
  const std::uint8_t* base = nullptr;
  std::size_t size = 0;
  std::vector<std::span<const std::uint8_t>> frames;  // captured UDP frames, in file order
  int dlt = 1;                                        // their link type
  std::uint64_t messages = 0;
  std::string error;
};

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// The counters every pass reports: items, ns a message (the rate inverted), messages a pass
// (< 0: not reported) and the peak resident memory so far.
void per_message(benchmark::State& st, std::uint64_t msgs, double msgs_per_pass) {
  st.SetItemsProcessed(static_cast<std::int64_t>(msgs));
  if (msgs_per_pass >= 0) st.counters["msgs_per_pass"] = msgs_per_pass;
  st.counters["ns_per_msg"] =
      benchmark::Counter(static_cast<double>(msgs), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  st.counters["peak_rss_MiB"] = peak_rss_mib();
}

// Maps a classic pcap (µs or ns magic, either byte order) and locates every UDP payload.
const Day& day() {
  static Day d = [] {
    Day k;
    const char* path = std::getenv("HFT_BENCH_PCAP");
    if (!path || !*path) {
      k.error = "set HFT_BENCH_PCAP to a classic pcap (bench/run does)";
      return k;
    }
    const int fd = ::open(path, O_RDONLY);
    struct stat st{};
    if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size < 24) {
      k.error = std::string("cannot read ") + path;
      return k;
    }
    k.size = static_cast<std::size_t>(st.st_size);
    void* m = ::mmap(nullptr, k.size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) {
      k.error = "mmap failed";
      return k;
    }
    k.base = static_cast<const std::uint8_t*>(m);
    const std::uint32_t magic = hft::load_le<std::uint32_t>(k.base);
    const bool swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
    if (!swapped && magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) {
      k.error = "not a classic pcap (pcapng is read by hftd, not by this benchmark)";
      return k;
    }
    auto u32 = [&](const std::uint8_t* p) {
      return swapped ? hft::load_be<std::uint32_t>(p) : hft::load_le<std::uint32_t>(p);
    };
    const int dlt = static_cast<int>(u32(k.base + 20) & 0xFFFF);
    k.dlt = dlt;
    std::size_t off = 24;
    hft::feed::UdpDatagram dg;
    while (off + 16 <= k.size) {
      const std::size_t caplen = u32(k.base + off + 8);
      if (off + 16 + caplen > k.size) break;
      if (hft::feed::parse_frame(dlt, k.base + off + 16, caplen, {}, dg) ==
          hft::feed::FrameStatus::Ok) {
        k.frames.push_back({k.base + off + 16, caplen});
        hft::feed::MoldHeader h;
        if (hft::feed::parse_mold_header(dg.payload, h) && h.count != 0xFFFF) k.messages += h.count;
      }
      off += 16 + caplen;
    }
    return k;
  }();
  return d;
}

// slot() names where the next event is decoded (in place: a source decodes straight into its
// output ring, never through a temporary); on_event() is called once that slot holds an event.
template <class Slot, class OnEvent>
std::uint64_t pass(const Day& d, hft::itch::Decoder& dec, Slot&& slot, OnEvent&& on_event) {
  std::uint64_t n = 0;
  // The packets are read once, in file order, from RAM: the hardware prefetcher alone leaves
  // most of each packet's first-touch latency exposed, so each packet is prefetched 64 packets
  // (about 7 KB) ahead, as a mapped-file or ring reader would with its next slots.
  constexpr std::size_t kAhead = 64;
  const std::size_t np = d.frames.size();
  const auto* pls = d.frames.data();
  hft::feed::UdpDatagram dg;
  for (std::size_t i = 0; i < np; ++i) {
    if (i + kAhead < np) {
      const std::uint8_t* f = pls[i + kAhead].data();
      __builtin_prefetch(f);
      __builtin_prefetch(f + 63);
    }
    // The frame is parsed (Ethernet/VLAN, IPv4, UDP) inside the timed pass, as replay does.
    if (hft::feed::parse_frame(d.dlt, pls[i].data(), pls[i].size(), {}, dg) !=
        hft::feed::FrameStatus::Ok) [[unlikely]]
      continue;
    hft::feed::MoldBlockCursor cur(dg.payload);
    const std::uint8_t* m;
    std::size_t len;
    while (cur.next(m, len) == hft::feed::MoldBlockCursor::Step::Message) {
      ++n;
      if (dec.decode(m, len, slot()).event) on_event();
    }
  }
  return n;
}

void BM_Decode(benchmark::State& st) {
  const Day& d = day();
  if (!d.error.empty()) return st.SkipWithError(d.error.c_str());
  hft::itch::Decoder dec;
  std::uint64_t msgs = 0;
  std::int64_t sink = 0;
  hft::MarketEvent ev{};
  for (auto _ : st)
    msgs += pass(d, dec, [&]() -> hft::MarketEvent& { return ev; }, [&] { sink += ev.price; });
  benchmark::DoNotOptimize(sink);
  per_message(st, msgs, static_cast<double>(d.messages));
  st.counters["decode_errors"] = static_cast<double>(dec.counters().errors());
}
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_DecodeBook(benchmark::State& st) {
  const Day& d = day();
  if (!d.error.empty()) return st.SkipWithError(d.error.c_str());
  hft::itch::Decoder dec;
  std::uint64_t msgs = 0, book_errors = 0;
  std::size_t live = 0;
  hft::book::BookConfig cfg;
  // Pool sizes as a deployment would set them (HFT_BENCH_MAX_ORDERS overrides): room for a
  // full NASDAQ day's peak of live orders (about 1.65 million) with margin.
  const char* mo = std::getenv("HFT_BENCH_MAX_ORDERS");
  cfg.max_orders = mo && *mo ? std::strtoull(mo, nullptr, 10) : std::size_t{1} << 22;
  cfg.max_levels = std::size_t{1} << 20;
  cfg.prefault = true;  // built outside the timed region, as the live engine builds it at start
  for (auto _ : st) {
    st.PauseTiming();
    auto books = std::make_unique<hft::book::Books>(cfg);  // a fresh book each pass
    st.ResumeTiming();
    // Events reach the book in batches, as a source hands them out (Books::apply_batch
    // prefetches the order index a few events ahead, hiding cache misses).
    std::array<hft::MarketEvent, 64> batch;
    std::size_t nb = 0;
    msgs += pass(d, dec, [&]() -> hft::MarketEvent& { return batch[nb]; }, [&] {
      if (++nb == batch.size()) {
        books->apply_batch(batch.data(), nb);
        nb = 0;
      }
    });
    books->apply_batch(batch.data(), nb);
    st.PauseTiming();
    book_errors = 0;
    for (auto e : books->counters().errors) book_errors += e;
    live = books->live_orders();
    books.reset();
    st.ResumeTiming();
  }
  per_message(st, msgs, static_cast<double>(d.messages));
  st.counters["book_errors"] = static_cast<double>(book_errors);
  st.counters["live_orders_end"] = static_cast<double>(live);
}
BENCHMARK(BM_DecodeBook)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// The pcap's messages as an ITCH file image (2-byte length + message), built once.
const std::vector<std::uint8_t>& itch_image() {
  static std::vector<std::uint8_t> img = [] {
    std::vector<std::uint8_t> v;
    const Day& d = day();
    if (!d.error.empty()) return v;
    v.reserve(d.messages * 36);
    hft::feed::UdpDatagram dg;
    for (const auto& f : d.frames) {
      if (hft::feed::parse_frame(d.dlt, f.data(), f.size(), {}, dg) != hft::feed::FrameStatus::Ok) continue;
      hft::feed::MoldBlockCursor cur(dg.payload);
      const std::uint8_t* m;
      std::size_t len;
      while (cur.next(m, len) == hft::feed::MoldBlockCursor::Step::Message) {
        v.push_back(static_cast<std::uint8_t>(len >> 8));
        v.push_back(static_cast<std::uint8_t>(len));
        v.insert(v.end(), m, m + len);
      }
    }
    return v;
  }();
  return img;
}

void BM_ItchFileDecode(benchmark::State& st) {
  const Day& d = day();
  if (!d.error.empty()) return st.SkipWithError(d.error.c_str());
  const std::vector<std::uint8_t>& img = itch_image();
  hft::itch::Decoder dec;
  std::uint64_t msgs = 0;
  std::int64_t sink = 0;
  hft::MarketEvent ev{};
  for (auto _ : st) {
    const std::uint8_t* p = img.data();
    const std::uint8_t* const end = p + img.size();
    while (end - p >= 2) {
      const std::size_t len = (std::size_t{p[0]} << 8) | p[1];
      if (static_cast<std::size_t>(end - p) < 2 + len) break;
      __builtin_prefetch(p + 512);
      ++msgs;
      if (dec.decode(p + 2, len, ev).event) sink += ev.price;
      p += 2 + len;
    }
  }
  benchmark::DoNotOptimize(sink);
  per_message(st, msgs, static_cast<double>(d.messages));
  st.counters["decode_errors"] = static_cast<double>(dec.counters().errors());
}
BENCHMARK(BM_ItchFileDecode)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_ItchFileSource(benchmark::State& st) {
  const char* path = std::getenv("HFT_BENCH_ITCH");
  if (!path || !*path) return st.SkipWithError("set HFT_BENCH_ITCH to an ITCH file (.itch or .itch.gz)");
  std::uint64_t events = 0, msgs = 0;
  std::int64_t sink = 0;
  std::array<hft::MarketEvent, hft::feed::kMaxBatch> buf;
  for (auto _ : st) {
    auto src = hft::feed::open_itch_file_source(path, {});
    while (const std::size_t n = src->next(buf)) {
      events += n;
      sink += buf[n - 1].price;
    }
    const auto& c = src->stats().counts;
    auto it = c.find("itch.messages");
    msgs += it == c.end() ? 0 : it->second;
    if (!src->stats().errors.empty()) return st.SkipWithError("the ITCH file has errors");
  }
  benchmark::DoNotOptimize(sink);
  per_message(st, msgs, -1);
  st.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_ItchFileSource)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
