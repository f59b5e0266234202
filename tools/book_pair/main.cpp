// Two versions of the L3 book (hft::book_a, hft::book_b: the order_book sources of two git
// revisions, namespaces renamed by tools/book-pair) applied to the same day, alternated pass by
// pass (A B, B A, ...), each pass a fresh prefaulted book over every book event of the day in
// batches of 64, as bench_market_path applies them. The day is decoded once, before any pass, so
// only the book is timed. On this VM the same binary's figure moves by 30% or more between
// minutes; adjacent passes see the same spell, so their ratio B/A is what to read.
// Not a test and not in CI: a development tool (see tools/book-pair).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "book_a.hpp"
#include "book_b.hpp"
#include "hft/core/byteorder.hpp"
#include "hft/feed/moldudp64.hpp"
#include "hft/feed/pcap_reader.hpp"
#include "hft/itch/decoder.hpp"

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

// Every book event of a classic pcap of MoldUDP64 + ITCH 5.0 (what `hftd gen` writes).
bool load(const char* path, std::vector<hft::MarketEvent>& evs) {
  const int fd = ::open(path, O_RDONLY);
  struct stat st{};
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size < 24) return false;
  const std::size_t size = static_cast<std::size_t>(st.st_size);
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return false;
  const auto* base = static_cast<const std::uint8_t*>(m);
  if (hft::load_le<std::uint32_t>(base) != 0xa1b2c3d4u && hft::load_le<std::uint32_t>(base) != 0xa1b23c4du) {
    std::fprintf(stderr, "%s: not a little-endian classic pcap\n", path);
    return false;
  }
  const int dlt = static_cast<int>(hft::load_le<std::uint32_t>(base + 20) & 0xFFFF);
  evs.reserve(size / 96);  // about one message a ~100-byte record (hftd gen): few regrowths
  hft::itch::Decoder dec;
  hft::feed::UdpDatagram dg;
  hft::MarketEvent ev{};
  for (std::size_t off = 24; off + 16 <= size;) {
    const std::size_t caplen = hft::load_le<std::uint32_t>(base + off + 8);
    if (off + 16 + caplen > size) break;
    if (hft::feed::parse_frame(dlt, base + off + 16, caplen, {}, dg) == hft::feed::FrameStatus::Ok) {
      hft::feed::MoldBlockCursor cur(dg.payload);
      const std::uint8_t* msg;
      std::size_t len;
      while (cur.next(msg, len) == hft::feed::MoldBlockCursor::Step::Message)
        if (dec.decode(msg, len, ev).event && hft::book_a::is_book_event(ev.kind)) evs.push_back(ev);
    }
    off += 16 + caplen;
  }
  ::munmap(m, size);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: book_pair DAY.pcap [PASSES]\n");
    return 2;
  }
  const int passes = argc > 2 ? std::max(1, std::atoi(argv[2])) : 6;
  std::vector<hft::MarketEvent> evs;
  if (!load(argv[1], evs)) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
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
