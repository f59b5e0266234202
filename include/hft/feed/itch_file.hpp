// NASDAQ binary TotalView-ITCH 5.0 files (the format of NASDAQ's public sample days): each
// message preceded by its 2-byte big-endian length, no other framing, often gzip-compressed.
// ItchFileReader streams the messages out of a plain or gzip file through a fixed buffer
// (never the whole file in memory; gzip decompressed as it goes, on a thread of its own a few
// chunks ahead: inflating costs several times the decoding, and would otherwise sit on the
// reading thread). ItchFileWriter writes the
// format, gzip-compressed when the path ends in ".gz". May touch: core/, feed/source.hpp, zlib.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "hft/core/types.hpp"

namespace hft::feed {

// Reasons an ITCH file ended early or could not be read. Each is counted at most once: the
// reader stops at the first of them (what follows cannot be framed).
struct ItchFileCounters {
  std::uint64_t frames = 0;          // length-prefixed messages handed out
  std::uint64_t bytes = 0;           // uncompressed bytes consumed by those frames
  std::uint64_t length_past_end = 0; // error: the last length (or a lone length byte) runs past
                                     //   the end of the data: that message is lost
  std::uint64_t gzip_truncated = 0;  // error: the gzip stream ends before its trailer
  std::uint64_t gzip_corrupt = 0;    // error: zlib reported bad compressed data
  std::uint64_t not_gzip = 0;        // error: a ".gz" path whose bytes are not gzip
  std::uint64_t read_errors = 0;     // error: the operating system failed a read
};

class ItchFileReader {
 public:
  // A path ending in ".gz" is read as gzip (several members are read as one stream); any other
  // as plain bytes. Throws std::runtime_error naming the path and reason when it cannot open.
  explicit ItchFileReader(const std::string& path, std::size_t buffer_bytes = 1u << 20);
  ~ItchFileReader();
  ItchFileReader(const ItchFileReader&) = delete;
  ItchFileReader& operator=(const ItchFileReader&) = delete;

  // The next message: (msg, len) point into the reader's buffer until the next call. len may
  // be 0 (a zero length on file: the decoder counts it). False at the end of the data or at
  // the first error (counted).
  bool next(const std::uint8_t*& msg, std::size_t& len) {
    if (take(msg, len)) [[likely]] return true;
    return refill_and_next(msg, len);
  }
  const ItchFileCounters& counters() const noexcept { return c_; }
  // Share of the file read so far (gzip: compressed bytes inflated, a few chunks ahead of the
  // reader), for progress lines; < 0 when the size is not known.
  double progress() const noexcept;
  // One line naming the first error, or empty.
  std::string error_reason() const;

 private:
  // How the inflater's stream ended, carried on its last chunk.
  enum class End : std::uint8_t { No, Eof, Truncated, Corrupt, NotGzip, ReadError };
  struct Chunk {
    std::vector<std::uint8_t> data;
    std::size_t size = 0;
    End end = End::No;
  };
  static constexpr std::size_t kChunks = 4;

  // The whole frame at pos_, if the buffer holds one.
  bool take(const std::uint8_t*& msg, std::size_t& len) noexcept {
    if (end_ - pos_ < 2) return false;
    const std::size_t n = (std::size_t{buf_[pos_]} << 8) | buf_[pos_ + 1];
    if (end_ - pos_ < 2 + n) return false;
    msg = buf_.data() + pos_ + 2;
    len = n;
    pos_ += 2 + n;
    ++c_.frames;
    c_.bytes += 2 + n;
    return true;
  }
  bool refill_and_next(const std::uint8_t*& msg, std::size_t& len);
  bool fill();  // moves the unread tail to the front and reads more; false when nothing came
  void inflate_loop();  // the inflater thread: fills chunks until the end of the stream

  std::string path_;
  void* gz_ = nullptr;  // gzFile, used by the inflater thread only
  int fd_ = -1;
  bool gzip_ = false, eof_ = false;
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0, end_ = 0;
  ItchFileCounters c_;
  // Inflater -> reader: a ring of kChunks chunks; produced_ and consumed_ count chunks.
  std::array<Chunk, kChunks> chunks_;
  std::atomic<std::uint64_t> produced_{0}, consumed_{0};
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> compressed_at_{0};  // gzip: compressed bytes the inflater has read
  std::uint64_t file_size_ = 0;                   // 0 when not a regular file
  std::thread inflater_;
};

struct ItchWriterStats {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;             // uncompressed
  std::uint64_t oversize_dropped = 0;  // longer than a 2-byte length can say
};

class ItchFileWriter {
 public:
  // gzip (level 6, as NASDAQ's sample files) when path ends in ".gz". Throws
  // std::runtime_error naming the path and reason when it cannot create the file.
  explicit ItchFileWriter(const std::string& path);
  ~ItchFileWriter();
  ItchFileWriter(const ItchFileWriter&) = delete;
  ItchFileWriter& operator=(const ItchFileWriter&) = delete;

  // Room for one message of len bytes (written in place; the length is already set), or
  // nullptr (counted in oversize_dropped) when len does not fit 16 bits.
  std::uint8_t* begin_message(std::size_t len) {
    if (len > 0xFFFF) [[unlikely]] {
      ++s_.oversize_dropped;
      return nullptr;
    }
    if (used_ + 2 + len > buf_.size()) drain();
    std::uint8_t* p = buf_.data() + used_;
    p[0] = static_cast<std::uint8_t>(len >> 8);
    p[1] = static_cast<std::uint8_t>(len);
    used_ += 2 + len;
    ++s_.messages;
    s_.bytes += 2 + len;
    return p + 2;
  }
  bool append(const std::uint8_t* msg, std::size_t len);
  // Writes what is buffered and closes the file (also done by the destructor, errors then
  // lost). Throws std::runtime_error when the data cannot be written.
  void close();
  const ItchWriterStats& stats() const noexcept { return s_; }

 private:
  void drain();

  std::string path_;
  void* gz_ = nullptr;  // gzFile
  int fd_ = -1;
  std::vector<std::uint8_t> buf_;
  std::size_t used_ = 0;
  ItchWriterStats s_;
};

// True when path ends with suffix.
bool ends_with(const std::string& path, const char* suffix) noexcept;

}  // namespace hft::feed
