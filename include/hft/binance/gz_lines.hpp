// Text lines from one or more files read as one stream, gzip decompressed as it goes (zlib;
// plain files pass through). Never loads a file whole: a fixed read buffer, plus the line being
// assembled (grows only to the longest line, a REST snapshot of ~100 kB). A truncated or
// corrupt gzip stream ends that file with its reason recorded; the next file is then read.
// May touch: nothing but zlib.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hft::binance {

class GzLines {
 public:
  // Throws std::runtime_error naming the path when a file cannot be opened (all are checked here).
  explicit GzLines(std::vector<std::string> paths);
  ~GzLines();
  GzLines(const GzLines&) = delete;
  GzLines& operator=(const GzLines&) = delete;

  // The next line without its '\n' (valid until the next call); false at the end of the last
  // file. A last line without '\n' is returned as it is (the decoder judges it).
  bool next(std::string_view& line);

  std::size_t file_index() const noexcept { return file_; }  // which file the last line came from
  std::uint64_t truncated_files() const noexcept { return truncated_; }
  std::uint64_t bytes() const noexcept { return bytes_; }    // decompressed bytes read
  const std::string& last_error() const noexcept { return error_; }  // "" or the last file error
  // Share of all the files' (compressed) bytes read so far, for progress lines.
  double progress() const noexcept;

 private:
  bool fill();  // reads more of the current file into buf_; false at its end
  bool open_next();

  std::vector<std::string> paths_;
  std::size_t file_ = 0, next_file_ = 0;
  void* gz_ = nullptr;  // gzFile
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::string line_;
  std::uint64_t truncated_ = 0, bytes_ = 0;
  std::vector<std::uint64_t> sizes_;     // each file's size on disk
  std::uint64_t total_size_ = 0, done_size_ = 0;  // all files; the files finished
  std::string error_;
};

}  // namespace hft::binance
