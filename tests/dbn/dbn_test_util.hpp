// Helpers shared by the DBN tests: read every record of a file with the low-level reader,
// drain an EventSource, write scratch files.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../common/read_bytes.hpp"
#include "hft/dbn/dbn_event_source.hpp"
#include "hft/dbn/dbn_reader.hpp"
#include "hft/dbn/dbn_source.hpp"

namespace hft::dbn::test {

inline std::string fixture(const std::string& name) {
  return std::string(HFT_SHARED_DATA) + "/dbn-format-fixtures/" + name;
}
inline std::string cme(const std::string& name) {
  return std::string(HFT_SHARED_DATA) + "/cme-mbo-databento/" + name;
}
inline std::string tmp(const std::string& name) { return std::string(HFT_TEST_TMP) + "/" + name; }

// Overwrites in place, then sets the size: truncating to zero first (O_TRUNC) makes ext4 flush
// the file on close, which turns thousands of scratch rewrites into seconds of disk waits.
inline void spit(const std::string& path, std::span<const std::uint8_t> bytes) {
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    if (!f) f.open(path, std::ios::binary | std::ios::out);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  std::filesystem::resize_file(path, bytes.size());
}

// Every record of a file as raw bytes.
inline std::vector<std::vector<std::uint8_t>> raw_records(const std::string& path,
                                                          feed::SourceStats* stats = nullptr) {
  DbnReader r(path, stats);
  std::vector<std::vector<std::uint8_t>> out;
  std::span<const std::uint8_t> rec;
  while (r.next_record(rec)) out.emplace_back(rec.begin(), rec.end());
  return out;
}

template <class R, class Decode>
std::vector<R> typed_records(const std::string& path, Decode decode) {
  std::vector<R> out;
  for (const auto& b : raw_records(path)) {
    R r;
    if (decode(std::span<const std::uint8_t>(b), r)) out.push_back(r);
  }
  return out;
}

inline std::vector<MarketEvent> drain(feed::EventSource& src) {
  std::vector<MarketEvent> all;
  std::vector<MarketEvent> batch(feed::kMaxBatch);
  for (;;) {
    const std::size_t n = src.next(batch);
    if (n == 0) break;
    all.insert(all.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return all;
}

inline std::uint64_t get(const std::map<std::string, std::uint64_t>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}
inline std::uint64_t total(const std::map<std::string, std::uint64_t>& m) {
  std::uint64_t t = 0;
  for (const auto& [k, v] : m) t += v;
  return t;
}

}  // namespace hft::dbn::test
