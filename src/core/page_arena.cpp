#include "hft/core/page_arena.hpp"

#include <algorithm>
#include <cstdint>
#include <new>
#if defined(HFT_SANITIZE_ADDRESS)
#include <sanitizer/asan_interface.h>
#endif

namespace hft::core {

namespace {
// Under AddressSanitizer a mapping starts poisoned and each request is unpoisoned as it is handed
// out, with a poisoned gap after it: an access past the end of one object into the next (which
// heap allocations would catch with their redzones) is still reported.
#if defined(HFT_SANITIZE_ADDRESS)
constexpr std::size_t kRedzone = 32;
void poison(void* p, std::size_t n) { ASAN_POISON_MEMORY_REGION(p, n); }
void unpoison(void* p, std::size_t n) { ASAN_UNPOISON_MEMORY_REGION(p, n); }
#else
constexpr std::size_t kRedzone = 0;
void poison(void*, std::size_t) {}
void unpoison(void*, std::size_t) {}
#endif
}  // namespace

PageArena::~PageArena() {
  for (const PageMap& m : maps_) {
    unpoison(m.base, m.len);  // the shadow outlives the mapping: a later mapping there starts clean
    unmap_pages(m);
  }
}

void PageArena::map_next(std::size_t bytes) {
  maps_.reserve(maps_.size() + 1);  // (so that the pushes below cannot throw with m mapped)
  handed_end_.reserve(maps_.size());
  const PageMap m = map_pages(std::max(bytes, chunk_), false, false);
  if (!maps_.empty()) handed_end_.push_back(cur_);
  maps_.push_back(m);
  poison(m.base, m.len);
  mapped_ += m.len;
  cur_ = static_cast<char*>(m.base);
  end_ = cur_ + m.len;
}

void PageArena::reserve(std::size_t bytes) {
  if (bytes > (std::size_t{1} << 48)) throw std::bad_alloc();
  if (cur_ == nullptr || static_cast<std::size_t>(end_ - cur_) < bytes) map_next(bytes);
}

void* PageArena::do_allocate(std::size_t bytes, std::size_t align) {
  // (a request near SIZE_MAX would wrap the mapping's size below: refused like any impossible one)
  if (align == 0 || (align & (align - 1)) != 0 || bytes > (std::size_t{1} << 48)) throw std::bad_alloc();
  const auto at = [&](char* p) {
    return reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(p) + align - 1) & ~(std::uintptr_t{align} - 1));
  };
  char* p = at(cur_);
  if (cur_ == nullptr || p > end_ || static_cast<std::size_t>(end_ - p) < bytes + kRedzone) {
    map_next(bytes + align + kRedzone);
    p = at(cur_);
  }
  unpoison(p, bytes);
  cur_ = p + bytes + kRedzone;
  used_ += bytes;
  return p;
}

void PageArena::prefault() noexcept {
  for (std::size_t i = 0; i < maps_.size(); ++i) {
    char* const b = static_cast<char*>(maps_[i].base);
    char* const e = i < handed_end_.size() ? handed_end_[i] : cur_;
    if (e > b) prefault_pages(b, static_cast<std::size_t>(e - b));
  }
}

}  // namespace hft::core
