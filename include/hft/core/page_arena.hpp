// Memory for state that start-up sizes by config (a detector per possible instrument, their
// windows and tables): anonymous mappings (core/pages.hpp) handed out by a bump pointer, as a
// pmr resource. Fresh anonymous pages are zero and cost nothing until first written, so the state of
// instruments a run never sees costs address space, not memory or start-up time; a live engine
// calls prefault() once everything is built, so that no first write on its hot path takes a
// page fault. Nothing is returned before the arena dies (deallocate does nothing): it is for
// objects that live as long as their owner.
//
// May touch: core/pages.hpp only. Not thread-safe: build on one thread, then hand over.
#pragma once
#include <cstddef>
#include <memory_resource>
#include <new>
#include <type_traits>
#include <vector>

#include "hft/core/pages.hpp"

namespace hft::core {

class PageArena final : public std::pmr::memory_resource {
 public:
  // chunk: bytes mapped at a time (a request larger than that gets a mapping of its own).
  explicit PageArena(std::size_t chunk = std::size_t{16} << 20) noexcept : chunk_(chunk) {}
  ~PageArena() override;
  PageArena(const PageArena&) = delete;
  PageArena& operator=(const PageArena&) = delete;

  // Writes every page handed out so far (MADV_POPULATE_WRITE, or a write per page where the
  // kernel lacks it), not the rest of a mapping nor room reserve() made: an owner that used 3 MB
  // of a 16 MiB chunk keeps 3 MB resident. Call after building, before the hot path runs.
  void prefault() noexcept;
  // Makes room for `bytes` more (their alignment padding and sanitizer gaps included) in one
  // mapping made now, so that state built later, on a hot thread, takes no mapping (a syscall)
  // while it stays within them. What is left of the current mapping when it is too small is not
  // used again (address space, not memory).
  void reserve(std::size_t bytes);
  // Room for n objects of T as fresh pages: zero bytes, nothing constructed (so T must be
  // trivially copyable and destructible; a caller whose zero bytes are not an empty T writes each
  // one before use). Throws std::bad_alloc when n * sizeof(T) is beyond any mapping.
  template <class T>
  T* array(std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
    if (n > (std::size_t{1} << 48) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(allocate(n * sizeof(T), alignof(T)));
  }
  std::size_t used() const noexcept { return used_; }      // bytes handed out
  std::size_t mapped() const noexcept { return mapped_; }  // bytes of address space taken

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override;
  void do_deallocate(void*, std::size_t, std::size_t) noexcept override {}
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }
  void map_next(std::size_t bytes);  // a mapping of at least bytes (and chunk_) becomes the current one

  std::size_t chunk_;
  std::vector<PageMap> maps_;
  std::vector<char*> handed_end_;  // per mapping but the newest: where its handed-out bytes end
  char* cur_ = nullptr;  // next free byte of the newest mapping
  char* end_ = nullptr;
  std::size_t used_ = 0, mapped_ = 0;
};

}  // namespace hft::core
