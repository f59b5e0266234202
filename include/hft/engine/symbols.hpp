// Instrument id -> symbol for the stages: the feed thread learns symbols from the source (ITCH
// stock directory, DBN metadata, a LOBSTER file name) and publishes each here before it hands
// on any event of that instrument, so a stage on any thread can name the instrument of the
// event it holds. Fixed size (built at start), up to 16 characters a symbol, atomics (no lock,
// no allocation): a symbol renamed later (a placeholder replaced by its directory entry) is
// seen by readers from some event on.
// May touch: core/ (types).
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "hft/core/types.hpp"

namespace hft::engine {

class SymbolTable {
 public:
  static constexpr std::size_t kMaxLen = 16;
  explicit SymbolTable(std::size_t n) : n_(n), w_(new std::atomic<std::uint64_t>[2 * n]) {
    for (std::size_t i = 0; i < 2 * n; ++i) w_[i].store(0, std::memory_order_relaxed);
  }
  std::size_t size() const noexcept { return n_; }
  void set(InstrumentId id, std::string_view s) noexcept {
    if (id >= n_) return;
    char b[kMaxLen] = {};
    std::memcpy(b, s.data(), s.size() < kMaxLen ? s.size() : kMaxLen);
    std::uint64_t lo = 0, hi = 0;
    std::memcpy(&lo, b, 8);
    std::memcpy(&hi, b + 8, 8);
    w_[2 * id + 1].store(hi, std::memory_order_relaxed);
    w_[2 * id].store(lo, std::memory_order_release);
  }
  // "" when unknown.
  std::string get(InstrumentId id) const {
    if (id >= n_) return {};
    char b[kMaxLen + 1] = {};
    const std::uint64_t lo = w_[2 * id].load(std::memory_order_acquire);
    const std::uint64_t hi = w_[2 * id + 1].load(std::memory_order_relaxed);
    std::memcpy(b, &lo, 8);
    std::memcpy(b + 8, &hi, 8);
    return std::string(b);
  }
  // The symbol in buf (kMaxLen + 1 chars), no allocation; "" when unknown.
  std::string_view view(InstrumentId id, char* buf) const noexcept {
    buf[0] = 0;
    if (id >= n_) return {};
    const std::uint64_t lo = w_[2 * id].load(std::memory_order_acquire);
    const std::uint64_t hi = w_[2 * id + 1].load(std::memory_order_relaxed);
    std::memcpy(buf, &lo, 8);
    std::memcpy(buf + 8, &hi, 8);
    buf[kMaxLen] = 0;
    return std::string_view(buf, std::strlen(buf));
  }
  bool known(InstrumentId id) const noexcept { return id < n_ && w_[2 * id].load(std::memory_order_acquire) != 0; }

 private:
  std::size_t n_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> w_;
};

}  // namespace hft::engine
