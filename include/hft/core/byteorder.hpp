// Unaligned big- and little-endian loads and stores. memcpy + byte swap compiles to one
// load and one bswap (movbe), so zero-copy decoders read wire fields in place.
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>

namespace hft {

template <class T>
constexpr T byteswap_(T v) noexcept {  // std::byteswap is C++23
  if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(static_cast<std::uint16_t>(v)));
  else if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(v)));
  else if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(v)));
  else return v;
}

template <class T>
inline T load_be(const void* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) v = byteswap_(v);
  return v;
}
template <class T>
inline T load_le(const void* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) v = byteswap_(v);
  return v;
}
template <class T>
inline void store_be(void* p, T v) noexcept {
  if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) v = byteswap_(v);
  std::memcpy(p, &v, sizeof v);
}
template <class T>
inline void store_le(void* p, T v) noexcept {
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) v = byteswap_(v);
  std::memcpy(p, &v, sizeof v);
}

// 48-bit big-endian integer (ITCH timestamps).
inline std::uint64_t load_be48(const void* p) noexcept {
  const auto* b = static_cast<const std::uint8_t*>(p);
  return (std::uint64_t{load_be<std::uint16_t>(b)} << 32) | load_be<std::uint32_t>(b + 2);
}
inline void store_be48(void* p, std::uint64_t v) noexcept {
  auto* b = static_cast<std::uint8_t*>(p);
  store_be<std::uint16_t>(b, static_cast<std::uint16_t>(v >> 32));
  store_be<std::uint32_t>(b + 2, static_cast<std::uint32_t>(v));
}

}  // namespace hft
