#include "hft/core/byteorder.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace hft {

TEST(ByteOrder, ReadsBigEndianFieldsAsTheSpecificationLaysThemOut) {
  const std::uint8_t b[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  EXPECT_EQ(load_be<std::uint16_t>(b), 0x0102u);
  EXPECT_EQ(load_be<std::uint32_t>(b), 0x01020304u);
  EXPECT_EQ(load_be<std::uint64_t>(b), 0x0102030405060708ull);
  EXPECT_EQ(load_be48(b), 0x010203040506ull);
  EXPECT_EQ(load_le<std::uint32_t>(b), 0x04030201u);
}

TEST(ByteOrder, StoresRoundTrip) {
  std::uint8_t b[8] = {};
  store_be48(b, 0x0000A1B2C3D4E5F6ull);
  EXPECT_EQ(b[0], 0xA1);
  EXPECT_EQ(b[5], 0xF6);
  EXPECT_EQ(load_be48(b), 0xA1B2C3D4E5F6ull);
  store_be<std::int64_t>(b, -2);
  EXPECT_EQ(load_be<std::int64_t>(b), -2);
  EXPECT_EQ(b[0], 0xFF);
  EXPECT_EQ(b[7], 0xFE);
}

}  // namespace hft
