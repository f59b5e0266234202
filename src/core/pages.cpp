#include "hft/core/pages.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <new>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older headers lack it (older kernels refuse it: a write per page)
#endif

namespace hft::core {

PageMap map_pages(std::size_t bytes, bool huge, bool prefault) {
  const std::size_t unit = huge ? std::size_t{2} << 20 : static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t len = (std::max<std::size_t>(bytes, 1) + unit - 1) & ~(unit - 1);
  // A huge mapping is over-sized by one huge page and its unaligned head and tail given back.
  const std::size_t extra = huge ? unit : 0;
  void* m = ::mmap(nullptr, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<std::uintptr_t>(m);
  const std::uintptr_t aligned = (base + unit - 1) & ~(std::uintptr_t{unit} - 1);
  if (aligned > base) ::munmap(m, aligned - base);
  if (const std::uintptr_t tail = base + len + extra - (aligned + len); tail != 0)
    ::munmap(reinterpret_cast<void*>(aligned + len), tail);
  void* p = reinterpret_cast<void*>(aligned);
  if (huge) ::madvise(p, len, MADV_HUGEPAGE);
  if (prefault) prefault_pages(p, len);
  return PageMap{p, len};
}

void unmap_pages(PageMap m) noexcept {
  if (m.base != nullptr) ::munmap(m.base, m.len);
}

// Not instrumented: on old kernels it writes one byte of each page, poisoned or not (an arena's
// unused bytes are, under ASan), keeping what the byte held.
__attribute__((no_sanitize("address"))) void prefault_pages(void* p, std::size_t len) noexcept {
  if (::madvise(p, len, MADV_POPULATE_WRITE) == 0) return;
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  auto* b = static_cast<volatile char*>(p);
  for (std::size_t o = 0; o < len; o += page) b[o] = b[o];
}

}  // namespace hft::core
