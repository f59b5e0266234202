#include "hft/model/sha256.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using hft::model::Sha256;
using hft::model::sha256_file;
using hft::model::sha256_hex;

// FIPS 180-4 / NIST CSRC example vectors.
TEST(Sha256, NistVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // 896-bit two-block message (padding spills into a second block).
  EXPECT_EQ(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, ChunkedEqualsOneShot) {
  // Every length around the block and padding boundaries, fed in every chunk size pattern.
  std::string msg;
  for (int i = 0; i < 300; ++i) msg.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  for (std::size_t len : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200, 300}) {
    const std::string m = msg.substr(0, len);
    const std::string ref = sha256_hex(m);
    for (std::size_t chunk : {1, 3, 7, 63, 64, 65, 100}) {
      Sha256 h;
      for (std::size_t p = 0; p < m.size(); p += chunk) h.update(std::string_view(m).substr(p, chunk));
      EXPECT_EQ(h.hex(), ref) << "len " << len << " chunk " << chunk;
    }
  }
}

TEST(Sha256, FinalResets) {
  Sha256 h;
  h.update("garbage");
  (void)h.final();
  h.update("abc");
  EXPECT_EQ(h.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// An independent reference: coreutils' sha256sum on the same file.
TEST(Sha256, FileMatchesSha256sum) {
  const std::filesystem::path dir = std::filesystem::path(HFT_TEST_TMP) / "sha256_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "blob.bin";
  {
    std::ofstream out(file, std::ios::binary);
    std::uint32_t x = 12345;
    for (int i = 0; i < 200000; ++i) {  // ~200 KB: several 64 KiB read buffers
      x = x * 1664525u + 1013904223u;
      out.put(static_cast<char>(x >> 24));
    }
  }
  const std::string cmd = "sha256sum '" + file.string() + "'";
  std::FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256] = {};
  const std::size_t n = std::fread(buf, 1, sizeof(buf) - 1, p);
  ASSERT_EQ(pclose(p), 0);
  ASSERT_GE(n, 64u);
  EXPECT_EQ(sha256_file(file), std::string(buf, 64));
  std::filesystem::remove_all(dir);
}

TEST(Sha256, MissingFileThrows) {
  EXPECT_THROW(sha256_file(std::filesystem::path(HFT_TEST_TMP) / "no-such-file-sha256"), std::runtime_error);
}

}  // namespace
