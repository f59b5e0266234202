// Free slot numbers of a fixed pool of n slots, without a list filled with every number at
// start (writing n numbers costs the pages of a pool sized for a whole day when a run uses a few
// slots): the never used slots are counted up from 0, the freed ones kept in a list. Two orders,
// each the same numbers in the same order as the filled list it replaces:
//  - SlotStack: most recently freed first (recently used memory), as a list filled with
//    n-1 .. 0 and used from its back;
//  - SlotQueue: never used ones first, then the freed ones oldest first, as a ring filled with
//    0 .. n-1.
//
// May touch: nothing outside itself. Not thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hft::core {

inline constexpr std::uint32_t kNoSlot = 0xFFFFFFFFu;

// See above. n < 2^32 - 1; push only slots that were handed out and are not free.
class SlotStack {
 public:
  void init(std::size_t n) {
    n_ = static_cast<std::uint32_t>(n);
    recycled_.reserve(n);  // push never grows it: at most n slots are free
  }
  bool empty() const noexcept { return recycled_.empty() && fresh_ == n_; }
  std::size_t size() const noexcept { return recycled_.size() + (n_ - fresh_); }
  std::uint32_t top() const noexcept { return recycled_.empty() ? fresh_ : recycled_.back(); }
  void pop() noexcept {
    if (recycled_.empty()) ++fresh_;
    else recycled_.pop_back();
  }
  void push(std::uint32_t k) noexcept { recycled_.push_back(k); }
  std::uint32_t ever_used() const noexcept { return fresh_; }  // slots from here on never handed out

 private:
  std::vector<std::uint32_t> recycled_;
  std::uint32_t fresh_ = 0, n_ = 0;
};

// See above (the simulated exchange's own orders: a done order's id keeps answering "too late"
// as long as possible).
class SlotQueue {
 public:
  void init(std::size_t n, std::uint32_t* ring) noexcept {  // ring: room for n (its contents unused)
    n_ = static_cast<std::uint32_t>(n);
    ring_ = ring;
  }
  std::uint32_t pop() noexcept {  // kNoSlot when none is free
    if (fresh_ < n_) return fresh_++;
    if (count_ == 0) return kNoSlot;
    const std::uint32_t k = ring_[head_];
    head_ = (head_ + 1) % n_;
    --count_;
    return k;
  }
  void push(std::uint32_t k) noexcept {
    ring_[(head_ + count_) % n_] = k;
    ++count_;
  }

 private:
  std::uint32_t* ring_ = nullptr;
  std::uint32_t n_ = 0, fresh_ = 0, head_ = 0, count_ = 0;
};

}  // namespace hft::core
