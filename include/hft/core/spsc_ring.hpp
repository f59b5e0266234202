// A bounded lock-free single-producer single-consumer ring: the one cross-thread hand-off of the
// engine (stage to stage, hot thread to log thread). A power of two of item groups, indices
// that only grow (masked on use), producer and consumer indices on their own cache lines, and each side
// caching the other's index so that it touches the shared line only when its cache says the ring
// is full (producer) or empty (consumer). Items are stored in groups, each with a sequence word
// beside them (the index + 1 of the last item put in): a consumer waiting on an empty ring polls
// the group the next item will land in, and a batch pop reads the words of the groups it copies,
// so items crossing between cores move only their own cache lines, never the producer's index
// line (which only size_approx reads). Small items share a line with their group's
// word (seven 8-byte items and the word in 64 bytes: batches move as few lines as a plain array);
// an item of 29 bytes or more is a group of its own. Groups are allocated and their words zeroed
// once, in the constructor, with a cache line of padding at both ends so neighbours never share a
// line with the first or last group.
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
  // Items per group: as many as fit in a cache line beside the word when two or more do (items
  // of up to 28 bytes), else one.
  static constexpr std::size_t kGroup =
      2 * sizeof(T) + 8 <= kCacheLine ? (kCacheLine - 8) / sizeof(T) : std::size_t{1};

  // capacity is rounded up to a power of two (at least 2) of groups of kGroup items: the
  // ring holds at least what was asked (a power of two when an item is a group of its own).
  explicit SpscRing(std::size_t capacity)
      : gmask_(round_up((capacity + kGroup - 1) / kGroup) - 1), cap_((gmask_ + 1) * kGroup) {
    const std::size_t n = gmask_ + 1 + 2 * kPad;
    groups_.reset(static_cast<Group*>(::operator new[](n * sizeof(Group), std::align_val_t{kCacheLine})));
    for (std::size_t i = 0; i < n; ++i) new (&groups_.get()[i]) Group{};  // sequence 0: no item
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  std::size_t capacity() const noexcept { return cap_; }

  // Producer side. False when the ring is full.
  bool try_push(const T& v) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ >= cap_) [[unlikely]] {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ >= cap_) return false;
    }
    std::memcpy(item(head), &v, sizeof(T));
    group(head).seq.store(head + 1, std::memory_order_release);  // after the item: it is visible first
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Producer side: pushes up to n items (as many as fit); returns how many.
  std::size_t push_batch(const T* v, std::size_t n) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    std::size_t room = cap_ - static_cast<std::size_t>(head - tail_cache_);
    if (room < n) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      room = cap_ - static_cast<std::size_t>(head - tail_cache_);
    }
    const std::size_t k = std::min(room, n);
    HFT_ASSERT(room <= cap_, "producer ran past the consumer (two producers?)");
    for_groups(head, k, [&](Group& g, std::size_t at, std::size_t len, std::size_t done) {
      std::memcpy(g.items + at * sizeof(T), v + done, len * sizeof(T));
      g.seq.store(head + done + len, std::memory_order_release);
    });
    if (k) head_.store(head + k, std::memory_order_release);
    return k;
  }

  // Consumer side. False when the ring is empty.
  bool try_pop(T& out) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_cache_ && !ready(tail)) [[unlikely]] return false;
    std::memcpy(&out, item(tail), sizeof(T));
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side: pops up to max items into out; returns how many. One release store per batch.
  std::size_t pop_batch(T* out, std::size_t max) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    std::size_t avail = static_cast<std::size_t>(head_cache_ - tail);
    if (avail == 0) {
      // Empty as far as the cache knows: the groups' words say what came, group by group from
      // the next item's, up to max items or the first group the producer is still filling. These
      // are the lines the items are copied from; the producer's index line is never read, so the
      // producer keeps it (reading it on every empty poll took it away from a producer storing
      // to it on every push: batch pops ran at a quarter of single pops' rate in bench_ring).
      // The next group's address does not depend on the word just loaded, so the loads of a
      // long batch of full groups overlap instead of waiting one for another.
      std::uint64_t h = tail;
      for (;;) {
        const std::uint64_t end = h - h % kGroup + kGroup;  // one past this group's last item
        const std::uint64_t seq = group(h).seq.load(std::memory_order_acquire);
        if (seq < end) {  // the producer is still filling this group (or has not reached it)
          h = std::max(h, seq);
          break;
        }
        h = end;
        if (h - tail >= max) break;
      }
      head_cache_ = h;
      avail = static_cast<std::size_t>(h - tail);
      if (avail == 0) return 0;
    }
    const std::size_t k = std::min(avail, max);
    HFT_ASSERT(avail <= cap_, "consumer ran past the producer (two consumers?)");
    for_groups(tail, k, [&](const Group& g, std::size_t at, std::size_t len, std::size_t done) {
      std::memcpy(out + done, g.items + at * sizeof(T), len * sizeof(T));
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
  // Items as bytes (copied in and out with memcpy: T is trivially copyable), so that a group
  // takes T's size, not its alignment: a 128-byte item aligned to 64 is a 136-byte group, not
  // 192. seq = the index + 1 of the last item put in (0: none yet), stored with release after it;
  // the producer fills a group in index order, so every item below seq is in.
  struct alignas(kGroup > 1 ? kCacheLine : alignof(std::atomic<std::uint64_t>)) Group {
    unsigned char items[kGroup * sizeof(T)];
    std::atomic<std::uint64_t> seq{0};
  };
  static constexpr std::size_t kPad = (kCacheLine + sizeof(Group) - 1) / sizeof(Group);
  static std::size_t round_up(std::size_t n) {
    if (n > (std::size_t{1} << 40)) throw std::invalid_argument("SpscRing: capacity too large");
    std::size_t c = 2;
    while (c < n) c <<= 1;
    return c;
  }
  Group& group(std::uint64_t i) noexcept { return groups_.get()[kPad + ((i / kGroup) & gmask_)]; }
  unsigned char* item(std::uint64_t i) noexcept { return group(i).items + (i % kGroup) * sizeof(T); }
  // Consumer: whether item i is in (it then caches the producer's index the group shows).
  bool ready(std::uint64_t i) noexcept {
    const std::uint64_t seq = group(i).seq.load(std::memory_order_acquire);
    if (seq <= i) return false;  // a lap behind, or this group's earlier items only
    head_cache_ = seq;
    return true;
  }
  // Items [from, from + k) group by group: f(group, first slot in it, items there, items
  // before), so that batches copy a whole run of a group at once.
  template <class F>
  void for_groups(std::uint64_t from, std::size_t k, F&& f) noexcept {
    std::size_t at = static_cast<std::size_t>(from % kGroup);
    for (std::size_t done = 0; done < k;) {
      const std::size_t len = std::min(k - done, kGroup - at);
      f(group(from + done), at, len, done);
      done += len;
      at = 0;
    }
  }

  struct Free {
    void operator()(Group* p) const noexcept { ::operator delete[](p, std::align_val_t{kCacheLine}); }
  };

  const std::size_t gmask_;  // groups - 1
  const std::size_t cap_;    // groups * kGroup
  std::unique_ptr<Group, Free> groups_;
  // Producer's line: its index and its cache of the consumer's index.
  alignas(kCacheLine) std::atomic<std::uint64_t> head_{0};
  std::uint64_t tail_cache_ = 0;
  // Consumer's line.
  alignas(kCacheLine) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t head_cache_ = 0;
  char pad_[kCacheLine - sizeof(std::atomic<std::uint64_t>) - sizeof(std::uint64_t)];
};

}  // namespace hft
