// PageArena: aligned bump allocation over anonymous mappings whose pages stay out of memory until
// written (mincore says which pages are resident), requests larger than a chunk in a mapping of
// their own, prefault bringing in what was handed out without changing what was written.
#include "hft/core/page_arena.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace {

std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

// Resident pages among the n pages from the one holding p.
std::size_t resident_pages(const void* p, std::size_t n) {
  const std::size_t pg = page_size();
  auto* base = reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(p) & ~(std::uintptr_t{pg} - 1));
  std::vector<unsigned char> v(n);
  if (::mincore(base, n * pg, v.data()) != 0) return ~std::size_t{0};
  std::size_t r = 0;
  for (unsigned char c : v) r += c & 1u;
  return r;
}

TEST(PageArena, AlignsEachRequestAndCountsWhatItHandsOut) {
  hft::core::PageArena a(1 << 16);
  std::size_t asked = 0;
  char* prev_end = nullptr;
  for (std::size_t align : {1, 8, 64, 4096, 16, 2}) {
    void* p = a.allocate(100, align);
    asked += 100;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0u) << align;
    if (prev_end != nullptr) {
      EXPECT_GE(static_cast<char*>(p), prev_end);  // no overlap with the last one
    }
    std::memset(p, 0xAB, 100);
    prev_end = static_cast<char*>(p) + 100;
  }
  EXPECT_EQ(a.used(), asked);
  EXPECT_EQ(a.mapped(), std::size_t{1} << 16);  // all within the first chunk
  void* big = a.allocate(std::size_t{3} << 16, 64);  // larger than a chunk: a mapping of its own
  EXPECT_NE(big, nullptr);
  EXPECT_GE(a.mapped(), (std::size_t{1} << 16) + (std::size_t{3} << 16));
  for (std::size_t bad : {3, 6, 12})  // alignments that are not powers of two
    EXPECT_THROW(static_cast<void>(a.allocate(8, bad)), std::bad_alloc) << bad;
  const std::size_t before = a.mapped();
  // Beyond any mapping (and near sizes whose mapping length would wrap): refused, nothing mapped.
  EXPECT_THROW(static_cast<void>(a.allocate(std::size_t{1} << 60, 8)), std::bad_alloc);
  // An array whose byte count wraps (2^61 doubles: 0 bytes modulo 2^64) is refused too.
  EXPECT_THROW(static_cast<void>(a.array<double>(std::size_t{1} << 61)), std::bad_alloc);
  EXPECT_EQ(a.mapped(), before);
  auto* d = a.array<std::uint64_t>(1000);  // fresh pages: zero
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(d) % alignof(std::uint64_t), 0u);
  for (std::size_t i = 0; i < 1000; ++i) ASSERT_EQ(d[i], 0u) << i;
}

TEST(PageArena, PagesAreResidentOnlyOnceWrittenOrPrefaulted) {
  const std::size_t pg = page_size();
  hft::core::PageArena a(64 * pg);
  auto* p = static_cast<unsigned char*>(a.allocate(32 * pg, pg));
  ASSERT_EQ(resident_pages(p, 32), 0u);  // handed out, never written: not in memory
  p[5 * pg] = 7;                         // one page written
  EXPECT_EQ(resident_pages(p, 32), 1u);
  EXPECT_EQ(p[0], 0);  // fresh pages read as zero
  a.prefault();
  EXPECT_EQ(resident_pages(p, 32), 32u);
  EXPECT_EQ(p[5 * pg], 7);  // what was written is kept
  // Only what was handed out: the rest of the 64-page chunk stays out of memory (its first page
  // may hold the sanitizer's gap after the object).
  EXPECT_LE(resident_pages(p + 32 * pg, 32), 1u);
  auto* q = static_cast<unsigned char*>(a.allocate(8 * pg, pg));  // handed out after: prefault again
  EXPECT_EQ(resident_pages(q, 8), 0u);
  a.prefault();
  EXPECT_EQ(resident_pages(q, 8), 8u);
}

#if defined(HFT_SANITIZE_ADDRESS)
// The bytes after an object are poisoned, as a heap block's redzone is: reading one byte past an
// object the arena handed out is reported, though the next object lies in the same mapping.
TEST(PageArenaDeathTest, ReadingPastAnObjectIsReportedUnderAddressSanitizer) {
  hft::core::PageArena a(1 << 16);
  auto* p = static_cast<volatile char*>(a.allocate(40, 8));
  auto* q = static_cast<volatile char*>(a.allocate(40, 8));
  p[39] = 1;
  q[0] = 2;
  EXPECT_DEATH(static_cast<void>(p[40]), "use-after-poison");
}

// An arena's pages are poisoned while it lives; once it is gone, whatever the kernel maps at the
// same addresses (the book's pools did, in the engine tests) must read as ordinary memory.
TEST(PageArena, AMappingWhereAnArenaWasIsNotPoisoned) {
  const std::size_t len = std::size_t{1} << 20;
  void* was = nullptr;
  {
    hft::core::PageArena a(len);
    was = a.allocate(64, 4096);
  }
  void* m = ::mmap(was, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  EXPECT_EQ(m, was);  // the hint is honoured when the range is free, as it is here
  auto* b = static_cast<volatile unsigned char*>(m);
  EXPECT_EQ(b[0] + b[len / 2] + b[len - 1], 0);  // an access ASan would report if still poisoned
  ::munmap(m, len);
}
#endif

// reserve(n): requests totalling n (with their alignment) come from mappings made by then: none
// is made while they are handed out; without it the same requests map a new chunk.
TEST(PageArena, ReservedRoomTakesNoMappingLater) {
  const std::size_t chunk = std::size_t{1} << 16;
  for (bool reserved : {false, true}) {
    SCOPED_TRACE(reserved ? "reserved" : "not reserved");
    hft::core::PageArena a(chunk);
    static_cast<void>(a.allocate(chunk - 1000, 8));  // most of the first chunk
    // ~ 40 objects of 1,000-9,000 bytes at alignments 8 and 64, padding and ASan gaps allowed for
    std::size_t want = 0;
    for (std::size_t i = 0; i < 40; ++i) want += 1000 + (i % 9) * 1000 + 64 + 32;
    if (reserved) a.reserve(want);
    const std::size_t before = a.mapped();
    for (std::size_t i = 0; i < 40; ++i) {
      void* p = a.allocate(1000 + (i % 9) * 1000, i % 2 ? 64 : 8);
      std::memset(p, 1, 1000);
    }
    if (reserved) EXPECT_EQ(a.mapped(), before);
    else EXPECT_GT(a.mapped(), before);
  }
  hft::core::PageArena a(chunk);
  EXPECT_THROW(a.reserve(std::size_t{1} << 60), std::bad_alloc);
  EXPECT_EQ(a.mapped(), 0u);
}

TEST(PageArena, BacksPmrContainers) {
  hft::core::PageArena a(1 << 12);  // small chunks: the vector outgrows several
  std::pmr::vector<double> v(&a);
  for (int i = 0; i < 10000; ++i) v.push_back(i * 0.5);
  double s = 0;
  for (double x : v) s += x;
  EXPECT_DOUBLE_EQ(s, 0.5 * 9999.0 * 10000.0 / 2.0);
  EXPECT_GE(a.used(), 10000 * sizeof(double));
}

}  // namespace
