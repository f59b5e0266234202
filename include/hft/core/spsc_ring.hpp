// A bounded lock-free single-producer single-consumer ring: the one cross-thread hand-off of the
// engine (stage to stage, hot thread to log thread). Power-of-two capacity, indices that only
// grow (masked on use), producer and consumer indices on their own cache lines, and each side
// caching the other's index so that it touches the shared line only when its cache says the ring
// is full (producer) or empty (consumer). Slots are allocated once, in the constructor, with a
// cache line of padding at both ends so neighbours never share a line with the first or last slot.
// May touch: core/assert.hpp (header only, standard library).
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>

#include "hft/core/assert.hpp"

namespace hft {

inline constexpr std::size_t kCacheLine = 64;

template <class T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "ring slots are copied with plain stores");

 public:
  // capacity is rounded up to a power of two (at least 2).
  explicit SpscRing(std::size_t capacity) : mask_(round_up(capacity) - 1) {
    slots_.reset(static_cast<T*>(::operator new[]((mask_ + 1 + 2 * kPad) * sizeof(T),
                                                  std::align_val_t{kCacheLine})));
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  std::size_t capacity() const noexcept { return mask_ + 1; }

  // Producer side. False when the ring is full.
  bool try_push(const T& v) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ > mask_) [[unlikely]] {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ > mask_) return false;
    }
    slot(head) = v;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Producer side: pushes up to n items (as many as fit); returns how many.
  std::size_t push_batch(const T* v, std::size_t n) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    std::size_t room = mask_ + 1 - static_cast<std::size_t>(head - tail_cache_);
    if (room < n) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      room = mask_ + 1 - static_cast<std::size_t>(head - tail_cache_);
    }
    const std::size_t k = std::min(room, n);
    HFT_ASSERT(room <= mask_ + 1, "producer ran past the consumer (two producers?)");
    copy_in(head, v, k);
    if (k) head_.store(head + k, std::memory_order_release);
    return k;
  }

  // Consumer side. False when the ring is empty.
  bool try_pop(T& out) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_cache_) [[unlikely]] {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail == head_cache_) return false;
    }
    out = slot(tail);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side: pops up to max items into out; returns how many. One release store per batch.
  std::size_t pop_batch(T* out, std::size_t max) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    std::size_t avail = static_cast<std::size_t>(head_cache_ - tail);
    if (avail == 0) {  // only then touch the producer's line: re-reading it on every short batch
                       // would bounce that line back and forth while the ring runs near empty
      head_cache_ = head_.load(std::memory_order_acquire);
      avail = static_cast<std::size_t>(head_cache_ - tail);
    }
    const std::size_t k = std::min(avail, max);
    HFT_ASSERT(avail <= mask_ + 1, "consumer ran past the producer (two consumers?)");
    copy_out(tail, out, k);
    if (k) tail_.store(tail + k, std::memory_order_release);
    return k;
  }

  // Either side (a snapshot; exact only when the other side is idle). For gauges and draining.
  std::size_t size_approx() const noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_acquire);
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(head - tail);
  }
  bool empty_approx() const noexcept { return size_approx() == 0; }

 private:
  static constexpr std::size_t kPad = (kCacheLine + sizeof(T) - 1) / sizeof(T);
  static std::size_t round_up(std::size_t n) {
    if (n > (std::size_t{1} << 40)) throw std::invalid_argument("SpscRing: capacity too large");
    std::size_t c = 2;
    while (c < n) c <<= 1;
    return c;
  }
  T& slot(std::uint64_t i) noexcept { return slots_.get()[kPad + (i & mask_)]; }
  // A batch is at most two contiguous runs of slots (before and after the wrap), each one call
  // of the library's memcpy. Not std::copy_n: where the caller's buffer bounds the batch, GCC
  // expands a bounded copy into `rep movsq`, whose start-up costs tens of cycles on every batch
  // however short (it made batch pop slower than boost's, which calls memcpy); the empty asm
  // hides that bound from the compiler and changes nothing at run time.
  static void copy(void* to, const void* from, std::size_t bytes) noexcept {
    asm("" : "+r"(bytes));
    std::memcpy(to, from, bytes);
  }
  void copy_in(std::uint64_t from, const T* v, std::size_t k) noexcept {
    const std::size_t at = static_cast<std::size_t>(from & mask_);
    const std::size_t first = std::min(k, mask_ + 1 - at);
    copy(&slot(from), v, first * sizeof(T));
    if (k != first) copy(slots_.get() + kPad, v + first, (k - first) * sizeof(T));
  }
  void copy_out(std::uint64_t from, T* out, std::size_t k) noexcept {
    const std::size_t at = static_cast<std::size_t>(from & mask_);
    const std::size_t first = std::min(k, mask_ + 1 - at);
    copy(out, &slot(from), first * sizeof(T));
    if (k != first) copy(out + first, slots_.get() + kPad, (k - first) * sizeof(T));
  }

  struct Free {
    void operator()(T* p) const noexcept { ::operator delete[](p, std::align_val_t{kCacheLine}); }
  };

  const std::size_t mask_;
  std::unique_ptr<T, Free> slots_;
  // Producer's line: its index and its cache of the consumer's index.
  alignas(kCacheLine) std::atomic<std::uint64_t> head_{0};
  std::uint64_t tail_cache_ = 0;
  // Consumer's line.
  alignas(kCacheLine) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t head_cache_ = 0;
  char pad_[kCacheLine - sizeof(std::atomic<std::uint64_t>) - sizeof(std::uint64_t)];
};

}  // namespace hft
