// A bounded lock-free single-producer single-consumer ring: the one cross-thread hand-off of the
// engine (stage to stage, hot thread to log thread). Power-of-two capacity, indices that only
// grow (masked on use), producer and consumer indices on their own cache lines, and each side
// caching the other's index so that it touches the shared line only when its cache says the ring
// is full (producer) or empty (consumer). Each slot carries a sequence word beside the item (its
// index + 1 once the item is in): a consumer waiting on an empty ring polls the slot the next item
// will land in, so one item crossing between cores moves one cache line, not the producer's
// index line and then the slot's. Slots are allocated and their words zeroed once, in the
// constructor, with a cache line of padding at both ends so neighbours never share a line with the
// first or last slot.
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
    const std::size_t n = mask_ + 1 + 2 * kPad;
    slots_.reset(static_cast<Slot*>(::operator new[](n * sizeof(Slot), std::align_val_t{kCacheLine})));
    for (std::size_t i = 0; i < n; ++i) new (&slots_.get()[i]) Slot{};  // sequence 0: no item
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
    put(slot(head), head, v);
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
    for_runs(head, k, [&](Slot* s, std::size_t len, std::size_t done) {
      for (std::size_t i = 0; i < len; ++i) put(s[i], head + done + i, v[done + i]);
    });
    if (k) head_.store(head + k, std::memory_order_release);
    return k;
  }

  // Consumer side. False when the ring is empty.
  bool try_pop(T& out) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_cache_ && !ready(tail)) [[unlikely]] return false;
    get(slot(tail), &out);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side: pops up to max items into out; returns how many. One release store per batch.
  std::size_t pop_batch(T* out, std::size_t max) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    std::size_t avail = static_cast<std::size_t>(head_cache_ - tail);
    if (avail == 0) {
      // Empty as far as the cache knows: the next slot says whether an item came (the line it
      // arrives in); only then is the producer's index read, for how many came. Re-reading that
      // index on every short batch would bounce its line back and forth near empty. The index
      // is stored after the slot's sequence, so it may not show this item yet: at least one.
      if (!ready(tail)) return 0;
      head_cache_ = std::max(head_.load(std::memory_order_acquire), tail + 1);
      avail = static_cast<std::size_t>(head_cache_ - tail);
    }
    const std::size_t k = std::min(avail, max);
    HFT_ASSERT(avail <= mask_ + 1, "consumer ran past the producer (two consumers?)");
    for_runs(tail, k, [&](const Slot* s, std::size_t len, std::size_t done) {
      for (std::size_t i = 0; i < len; ++i) get(s[i], &out[done + i]);
    });
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
  // The item as bytes (copied in and out with memcpy: T is trivially copyable), so that the slot
  // takes T's size, not its alignment: a 128-byte item aligned to 64 is a 136-byte slot, not 192.
  // seq = the item's index + 1 once it is in (0: never written), stored with release after it.
  struct Slot {
    unsigned char item[sizeof(T)];
    std::atomic<std::uint64_t> seq{0};
  };
  static constexpr std::size_t kPad = (kCacheLine + sizeof(Slot) - 1) / sizeof(Slot);
  static std::size_t round_up(std::size_t n) {
    if (n > (std::size_t{1} << 40)) throw std::invalid_argument("SpscRing: capacity too large");
    std::size_t c = 2;
    while (c < n) c <<= 1;
    return c;
  }
  Slot& slot(std::uint64_t i) noexcept { return slots_.get()[kPad + (i & mask_)]; }
  // Producer: item i into its slot s, then its sequence (release: the item is visible first).
  static void put(Slot& s, std::uint64_t i, const T& v) noexcept {
    std::memcpy(s.item, &v, sizeof(T));
    s.seq.store(i + 1, std::memory_order_release);
  }
  // Consumer: whether item i is in (it then caches i + 1 as the producer's index seen).
  bool ready(std::uint64_t i) noexcept {
    if (slot(i).seq.load(std::memory_order_acquire) != i + 1) return false;
    head_cache_ = i + 1;
    return true;
  }
  static void get(const Slot& s, T* out) noexcept { std::memcpy(out, s.item, sizeof(T)); }
  // Slots [from, from + k) as at most two contiguous runs (before and after the wrap): f(first
  // slot of the run, its length, items before it), so that batch loops step a pointer.
  template <class F>
  void for_runs(std::uint64_t from, std::size_t k, F&& f) noexcept {
    const std::size_t at = static_cast<std::size_t>(from & mask_);
    const std::size_t first = std::min(k, mask_ + 1 - at);
    f(slots_.get() + kPad + at, first, std::size_t{0});
    if (k != first) f(slots_.get() + kPad, k - first, first);
  }

  struct Free {
    void operator()(Slot* p) const noexcept { ::operator delete[](p, std::align_val_t{kCacheLine}); }
  };

  const std::size_t mask_;
  std::unique_ptr<Slot, Free> slots_;
  // Producer's line: its index and its cache of the consumer's index.
  alignas(kCacheLine) std::atomic<std::uint64_t> head_{0};
  std::uint64_t tail_cache_ = 0;
  // Consumer's line.
  alignas(kCacheLine) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t head_cache_ = 0;
  char pad_[kCacheLine - sizeof(std::atomic<std::uint64_t>) - sizeof(std::uint64_t)];
};

}  // namespace hft
