// cpu_relax(): the spin-wait hint (x86 PAUSE): eases the sibling hyper-thread and the memory
// pipeline while a thread polls a flag another thread will set. Touches nothing.
#pragma once

namespace hft {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// n PAUSEs: for a poll loop that can afford to react later. Measured on the 2-vCPU VM: a thread
// that polls an empty ring after every PAUSE slows the thread on the other vCPU by 3-4x
// (bench_signals BM_HotThread: 610 ns an event against 190 with a poll every 128 PAUSEs); a
// PAUSE is ~20 ns there.
inline void cpu_relax(unsigned n) noexcept {
  for (unsigned i = 0; i < n; ++i) cpu_relax();
}

}  // namespace hft
