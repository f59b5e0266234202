// Anonymous memory straight from the kernel: mappings whose pages are zero and cost nothing until
// first written, optionally on transparent huge pages, and prefaulting them. What PageArena and
// the order books' pools are made of.
//
// May touch: nothing outside itself (mmap, madvise, munmap).
#pragma once
#include <cstddef>

namespace hft::core {

// map_pages: at least `bytes`, in whole pages. huge: 2 MiB-aligned and marked for transparent
// huge pages where the kernel allows (silently normal pages where not). prefault: written before
// returning. Throws std::bad_alloc when the kernel refuses the mapping.
struct PageMap {
  void* base = nullptr;
  std::size_t len = 0;  // bytes mapped (bytes rounded up to whole pages)
};
PageMap map_pages(std::size_t bytes, bool huge, bool prefault);
void unmap_pages(PageMap m) noexcept;  // an empty PageMap: nothing
// Makes every page of [p, p + len) resident and writable without changing what it holds
// (MADV_POPULATE_WRITE, or a write of each page's first byte on kernels before 5.14).
void prefault_pages(void* p, std::size_t len) noexcept;

}  // namespace hft::core
