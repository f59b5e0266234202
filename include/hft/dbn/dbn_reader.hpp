// Streaming DBN file reader: detects zstd by its magic number, decompresses in blocks (a
// multi-GB file never sits in memory), parses the metadata and hands out whole records one
// by one. Framing problems (truncation, impossible lengths, zstd errors) are counted in the
// SourceStats it is given; a file that cannot even start (missing, wrong magic, unsupported
// version, broken metadata) throws std::runtime_error naming the file. May touch: core/, feed/source.hpp.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hft/dbn/dbn_records.hpp"
#include "hft/feed/source.hpp"

struct ZSTD_DCtx_s;

namespace hft::dbn {

inline constexpr std::uint32_t kZstdMagic = 0xFD2FB528u;
inline constexpr std::uint8_t kMinVersion = 1;
inline constexpr std::uint8_t kMaxVersion = 3;
// Largest metadata length accepted (the prelude's 32-bit length is otherwise trusted up to 4 GiB,
// and a few KB of zstd can inflate to that). Real files hold far less: every US equity symbol
// with its mappings is a few MB.
inline constexpr std::uint32_t kMaxMetadataLen = 64u << 20;

class DbnReader {
 public:
  // stats: where framing errors and byte counts go (may be nullptr: the reader keeps its own).
  explicit DbnReader(const std::string& path, feed::SourceStats* stats = nullptr);
  ~DbnReader();
  DbnReader(const DbnReader&) = delete;
  DbnReader& operator=(const DbnReader&) = delete;

  const Metadata& metadata() const noexcept { return meta_; }
  bool compressed() const noexcept { return zstd_ != nullptr; }
  const std::string& path() const noexcept { return path_; }

  // The next whole record (header.length() bytes, at least 16), valid until the next call.
  // false at the end of input, or when the rest of the input cannot be framed (counted).
  bool next_record(std::span<const std::uint8_t>& rec);

  const feed::SourceStats& stats() const noexcept { return *stats_; }
  // Share of the file read so far (compressed bytes for .zst), for progress lines.
  double progress() const noexcept;

 private:
  std::size_t read_raw(std::uint8_t* dst, std::size_t n);   // decompressed bytes, 0 at end
  std::size_t fill(std::size_t need);                        // ensure `need` bytes buffered
  void fail(const char* reason);                             // count and stop

  std::string path_;
  std::FILE* file_ = nullptr;
  std::uint64_t file_size_ = 0;     // 0 when not a regular file
  ZSTD_DCtx_s* zstd_ = nullptr;
  std::unique_ptr<std::uint8_t[]> zin_;  // compressed input block (kZinSize)
  std::size_t zin_pos_ = 0, zin_end_ = 0;
  std::size_t zlast_ret_ = 0;       // last ZSTD_decompressStream result (0 = frame complete)
  bool file_eof_ = false;
  bool src_end_ = false;            // no more raw input (end of file or a counted error)
  bool done_ = false;               // framing failed: no more records
  const char* last_error_ = nullptr;
  std::unique_ptr<std::uint8_t[]> buf_;  // decompressed bytes not yet handed out (kBufSize)
  std::size_t pos_ = 0, end_ = 0;
  Metadata meta_;
  feed::SourceStats own_stats_;
  feed::SourceStats* stats_;
  std::uint64_t* records_ = nullptr;
};

}  // namespace hft::dbn
