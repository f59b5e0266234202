// A whole file's bytes in one read (tests compare and corrupt whole files; reading them through
// istreambuf_iterator, a byte at a time, was 1.3% of the release suite's CPU, all in test_gen).
#pragma once
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace hft::testing {

// Throws std::runtime_error naming the file when it cannot be opened or read whole.
inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<std::uint8_t> b(static_cast<std::size_t>(f.tellg()));
  f.seekg(0);
  if (!f.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(b.size())))
    throw std::runtime_error("cannot read " + path);
  return b;
}

}  // namespace hft::testing
