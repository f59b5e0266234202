#include "hft/core/scales.hpp"

#include <atomic>

namespace hft {

namespace {
// 0 = not published (the defaults).
std::atomic<std::int64_t> g_price[kMaxScaled];
std::atomic<std::int64_t> g_qty[kMaxScaled];
}  // namespace

void set_instrument_scale(InstrumentId id, std::int64_t price_scale, std::int64_t qty_scale) noexcept {
  if (id >= kMaxScaled) return;
  g_price[id].store(price_scale > 0 ? price_scale : 0, std::memory_order_relaxed);
  g_qty[id].store(qty_scale > 0 ? qty_scale : 0, std::memory_order_relaxed);
}

std::int64_t price_scale_of(InstrumentId id) noexcept {
  if (id >= kMaxScaled) return kPriceScale;
  const std::int64_t s = g_price[id].load(std::memory_order_relaxed);
  return s ? s : kPriceScale;
}

std::int64_t qty_scale_of(InstrumentId id) noexcept {
  if (id >= kMaxScaled) return 1;
  const std::int64_t s = g_qty[id].load(std::memory_order_relaxed);
  return s ? s : 1;
}

}  // namespace hft
