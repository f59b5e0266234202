// ITCH decode cost per message: (a) decode alone over an in-memory buffer of MoldUDP64 payloads
// (and the same with the MoldUDP64 block walk), (b) the whole pcap_source next() loop.
// Input: the pcap named by HFT_BENCH_PCAP, else the OMI captures (HFT_SHARED_DATA), whose
// packets are repeated (sequence numbers rewritten) into a scratch pcap for (b).
// items_per_second = ITCH messages per second: ns/msg = 1e9 / items_per_second.
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "hft/core/byteorder.hpp"
#include "hft/feed/moldudp64.hpp"
#include "hft/feed/pcap_reader.hpp"
#include "hft/feed/pcap_source.hpp"
#include "hft/itch/decoder.hpp"

namespace {

using hft::feed::UdpDatagram;

struct Packet {
  std::vector<std::uint8_t> frame;
  std::size_t payload_off = 0, payload_len = 0;
  std::int64_t ts = 0;
};

std::vector<std::string> input_files() {
  if (const char* p = std::getenv("HFT_BENCH_PCAP"); p != nullptr && *p != '\0') return {p};
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(HFT_SHARED_DATA) + "/omi-itch50-pcap"))
    if (e.path().extension() == ".pcap") out.push_back(e.path().string());
  return out;
}

// Reads every UDP frame of the inputs (up to a memory cap) with its payload position.
std::vector<Packet> load_packets(int& dlt_out) {
  std::vector<Packet> pk;
  std::size_t bytes = 0;
  for (const std::string& f : input_files()) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline_with_tstamp_precision(f.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
    if (p == nullptr) continue;
    const int dlt = pcap_datalink(p);
    dlt_out = dlt;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1 && bytes < (512u << 20)) {
      UdpDatagram dg;
      if (hft::feed::parse_frame(dlt, d, h->caplen, {}, dg) != hft::feed::FrameStatus::Ok) continue;
      Packet k;
      k.frame.assign(d, d + h->caplen);
      k.payload_off = static_cast<std::size_t>(dg.payload.data() - d);
      k.payload_len = dg.payload.size();
      k.ts = static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 + h->ts.tv_usec;
      bytes += k.frame.size();
      pk.push_back(std::move(k));
    }
    pcap_close(p);
  }
  return pk;
}

struct Corpus {
  int dlt = 1;
  std::vector<Packet> packets;
  std::vector<std::uint8_t> payloads;                 // MoldUDP64 payloads back to back
  std::vector<std::pair<std::size_t, std::size_t>> payload_spans;
  std::vector<std::pair<std::size_t, std::size_t>> msgs;  // (offset in payloads, length)
  std::string big_pcap;                               // for the source benchmark
  std::size_t big_pcap_msgs = 0;
};

const Corpus& corpus() {
  static Corpus c = [] {
    Corpus k;
    k.packets = load_packets(k.dlt);
    for (const Packet& p : k.packets) {
      const std::size_t base = k.payloads.size();
      k.payloads.insert(k.payloads.end(), p.frame.begin() + static_cast<std::ptrdiff_t>(p.payload_off),
                        p.frame.begin() + static_cast<std::ptrdiff_t>(p.payload_off + p.payload_len));
      k.payload_spans.push_back({base, p.payload_len});
    }
    for (auto [off, len] : k.payload_spans) {
      hft::feed::MoldBlockCursor cur({k.payloads.data() + off, len});
      const std::uint8_t* m;
      std::size_t n;
      while (cur.next(m, n) == hft::feed::MoldBlockCursor::Step::Message)
        k.msgs.push_back({static_cast<std::size_t>(m - k.payloads.data()), n});
    }
    if (std::getenv("HFT_BENCH_PCAP") != nullptr && std::getenv("HFT_BENCH_PCAP")[0] != '\0') {
      k.big_pcap = std::getenv("HFT_BENCH_PCAP");
      k.big_pcap_msgs = k.msgs.size();
      return k;
    }
    // Repeat the OMI packets into a scratch pcap of about 1M messages, sequence numbers
    // rewritten so nothing is dropped as a duplicate.
    k.big_pcap = (std::filesystem::temp_directory_path() / "hft_bench_itch_decode.pcap").string();
    pcap_t* dead = pcap_open_dead_with_tstamp_precision(k.dlt, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t* dump = pcap_dump_open(dead, k.big_pcap.c_str());
    std::uint64_t seq = 1;
    std::size_t msgs = 0;
    std::int64_t ts = 1'700'000'000'000'000'000;
    while (dump != nullptr && !k.packets.empty() && msgs < 1'000'000) {
      for (Packet p : k.packets) {
        std::uint8_t* pl = p.frame.data() + p.payload_off;
        if (p.payload_len < hft::feed::kMoldHeaderSize) continue;
        const std::uint16_t count = hft::load_be<std::uint16_t>(pl + 18);
        std::memcpy(pl, "BENCH     ", 10);
        hft::store_be<std::uint64_t>(pl + 10, seq);
        seq += count;
        msgs += count;
        pcap_pkthdr h{};
        ts += 1000;
        h.ts.tv_sec = static_cast<time_t>(ts / 1'000'000'000);
        h.ts.tv_usec = static_cast<suseconds_t>(ts % 1'000'000'000);
        h.caplen = h.len = static_cast<bpf_u_int32>(p.frame.size());
        pcap_dump(reinterpret_cast<u_char*>(dump), &h, p.frame.data());
      }
    }
    if (dump != nullptr) pcap_dump_close(dump);
    pcap_close(dead);
    k.big_pcap_msgs = msgs;
    return k;
  }();
  return c;
}

// (a) decode only: messages already located (what the decoder itself costs).
void BM_ItchDecode(benchmark::State& st) {
  const Corpus& c = corpus();
  if (c.msgs.empty()) { st.SkipWithError("no input messages"); return; }
  hft::itch::Decoder dec;
  hft::MarketEvent ev{};
  const std::uint8_t* base = c.payloads.data();
  std::uint64_t events = 0;
  for (auto _ : st) {
    for (auto [off, len] : c.msgs) {
      const auto r = dec.decode(base + off, len, ev);
      events += r.event;
      benchmark::DoNotOptimize(ev);
    }
  }
  benchmark::DoNotOptimize(events);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * c.msgs.size()));
  st.counters["msgs_per_pass"] = static_cast<double>(c.msgs.size());
}
BENCHMARK(BM_ItchDecode)->MinTime(1.0);

// (a') MoldUDP64 header + block walk + decode over the in-memory payloads.
void BM_MoldItchDecode(benchmark::State& st) {
  const Corpus& c = corpus();
  if (c.msgs.empty()) { st.SkipWithError("no input messages"); return; }
  hft::itch::Decoder dec;
  std::vector<hft::MarketEvent> out(8192);
  for (auto _ : st) {
    for (auto [off, len] : c.payload_spans) {
      std::span<const std::uint8_t> pl(c.payloads.data() + off, len);
      hft::feed::MoldHeader h;
      if (!hft::feed::parse_mold_header(pl, h)) continue;
      hft::feed::MoldBlockCursor cur(pl);
      const std::uint8_t* m;
      std::size_t n;
      std::size_t k = 0;
      while (cur.next(m, n) == hft::feed::MoldBlockCursor::Step::Message) k += dec.decode(m, n, out[k]).event;
      benchmark::DoNotOptimize(out.data());
    }
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * c.msgs.size()));
}
BENCHMARK(BM_MoldItchDecode)->MinTime(1.0);

// (b) the whole source: libpcap read, frame parse, MoldUDP64, ITCH decode, events out.
void BM_PcapSourceNext(benchmark::State& st) {
  const Corpus& c = corpus();
  if (c.big_pcap.empty() || c.big_pcap_msgs == 0) { st.SkipWithError("no input pcap"); return; }
  std::vector<hft::MarketEvent> buf(hft::feed::kMaxBatch);
  std::uint64_t msgs = 0;
  for (auto _ : st) {
    auto src = hft::feed::open_pcap_source(c.big_pcap, hft::feed::FeedOptions{});
    while (src->next(buf) != 0) benchmark::ClobberMemory();
    msgs += src->stats().counts.at("itch.messages");
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(msgs));
  st.counters["msgs_per_pass"] = static_cast<double>(c.big_pcap_msgs);
}
BENCHMARK(BM_PcapSourceNext)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
