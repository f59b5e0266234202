// cpu_relax(): the spin-wait hint (x86 PAUSE): eases the sibling hyper-thread and the memory
// pipeline while a thread polls a flag another thread will set. Touches nothing.
#pragma once

namespace hft {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace hft
