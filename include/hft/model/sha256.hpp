// SHA-256 (FIPS 180-4): a streaming hasher and a whole-file helper. The model store checksums
// every file of a model version with it, so a flipped byte on disk is refused at load instead of
// silently trading on a different model. Plain portable code (no CPU extensions): model files
// are hashed at load and publish time, never on the hot path.
//
// May touch: the file given to sha256_file (read only).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace hft::model {

using Sha256Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256() noexcept { reset(); }
  void reset() noexcept;
  void update(std::span<const std::uint8_t> bytes) noexcept;
  void update(std::string_view bytes) noexcept {
    update({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  }
  // Pads and returns the digest; the hasher is then reset (ready for a new message).
  Sha256Digest final() noexcept;
  // final() as 64 lowercase hex characters.
  std::string hex();

 private:
  void block(const std::uint8_t* p) noexcept;
  std::array<std::uint32_t, 8> h_{};
  std::array<std::uint8_t, 64> buf_{};
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;  // message length in bytes
};

// Lowercase hex of any byte string (a digest, usually).
std::string to_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view bytes);
// The file's SHA-256 as lowercase hex (what `sha256sum` prints); throws std::runtime_error when
// the file cannot be opened or read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace hft::model
