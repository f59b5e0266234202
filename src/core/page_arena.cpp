#include "hft/core/page_arena.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <new>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older headers lack it (older kernels refuse it: a write per page)
#endif
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
  for (const Map& m : maps_) {
    unpoison(m.base, m.len);  // the shadow outlives the mapping: a later mapping there starts clean
    ::munmap(m.base, m.len);
  }
}

void* PageArena::do_allocate(std::size_t bytes, std::size_t align) {
  // (a request near SIZE_MAX would wrap the mapping's size below: refused like any impossible one)
  if (align == 0 || (align & (align - 1)) != 0 || bytes > (std::size_t{1} << 48)) throw std::bad_alloc();
  const auto at = [&](char* p) {
    return reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(p) + align - 1) & ~(std::uintptr_t{align} - 1));
  };
  char* p = at(cur_);
  if (cur_ == nullptr || p > end_ || static_cast<std::size_t>(end_ - p) < bytes + kRedzone) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::size_t len = bytes + align + kRedzone > chunk_ ? bytes + align + kRedzone : chunk_;
    len = (len + page - 1) / page * page;
    void* m = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::bad_alloc();
    maps_.push_back(Map{m, len});
    poison(m, len);
    mapped_ += len;
    cur_ = static_cast<char*>(m);
    end_ = cur_ + len;
    p = at(cur_);
  }
  unpoison(p, bytes);
  cur_ = p + bytes + kRedzone;
  used_ += bytes;
  return p;
}

void PageArena::prefault() noexcept {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  for (const Map& m : maps_) {
    if (::madvise(m.base, m.len, MADV_POPULATE_WRITE) == 0 || kRedzone != 0) continue;
    // Older kernels: one write per page (the pages are zero or hold built state: keep it). Not
    // under ASan, where unused bytes are poisoned: prefaulting is a latency aid there is no need of.
    auto* b = static_cast<volatile char*>(m.base);
    for (std::size_t o = 0; o < m.len; o += page) b[o] = b[o];
  }
}

}  // namespace hft::core
