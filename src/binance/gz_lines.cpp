#include "hft/binance/gz_lines.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace hft::binance {

namespace {
gzFile as_gz(void* p) { return static_cast<gzFile>(p); }
}  // namespace

GzLines::GzLines(std::vector<std::string> paths) : paths_(std::move(paths)), buf_(1 << 18) {
  if (paths_.empty()) throw std::runtime_error("binance: no input file");
  for (const auto& p : paths_) {
    gzFile g = gzopen(p.c_str(), "rb");
    if (!g) throw std::runtime_error("cannot open '" + p + "': " + std::strerror(errno));
    gzclose(g);
    struct stat st {};
    sizes_.push_back(::stat(p.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0);
    total_size_ += sizes_.back();
  }
}

double GzLines::progress() const noexcept {
  if (total_size_ == 0) return -1.0;
  const long at = gz_ ? gzoffset(as_gz(gz_)) : 0;
  const double done = static_cast<double>(done_size_) + static_cast<double>(at > 0 ? at : 0);
  return std::min(1.0, done / static_cast<double>(total_size_));
}

GzLines::~GzLines() {
  if (gz_) gzclose(as_gz(gz_));
}

bool GzLines::open_next() {
  if (gz_) {
    gzclose(as_gz(gz_));
    gz_ = nullptr;
    done_size_ += sizes_[file_];
  }
  while (next_file_ < paths_.size()) {
    file_ = next_file_++;
    gz_ = gzopen(paths_[file_].c_str(), "rb");
    if (gz_) {
      gzbuffer(as_gz(gz_), 1 << 17);
      return true;
    }
    error_ = "cannot open '" + paths_[file_] + "'";  // removed since the constructor checked
    ++truncated_;
  }
  return false;
}

bool GzLines::fill() {
  if (!gz_) return false;
  const int n = gzread(as_gz(gz_), buf_.data(), static_cast<unsigned>(buf_.size()));
  if (n > 0) {
    pos_ = 0;
    end_ = static_cast<std::size_t>(n);
    bytes_ += end_;
    return true;
  }
  int err = Z_OK;
  const char* msg = gzerror(as_gz(gz_), &err);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) {
    ++truncated_;
    error_ = paths_[file_] + ": " + (msg ? msg : "gzip error");
  }
  return false;
}

bool GzLines::next(std::string_view& line) {
  line_.clear();
  for (;;) {
    if (pos_ < end_) {
      const char* b = buf_.data() + pos_;
      const void* nl = std::memchr(b, '\n', end_ - pos_);
      if (nl) {
        const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - b);
        pos_ += len + 1;
        if (line_.empty()) {
          line = std::string_view(b, len);
        } else {
          line_.append(b, len);
          line = line_;
        }
        return true;
      }
      line_.append(b, end_ - pos_);
      pos_ = end_;
    }
    if (gz_ && fill()) continue;
    // End of this file (clean or not): a last line without '\n' is still handed out; the
    // next call opens the next file (a line never spans two files).
    if (!line_.empty()) {
      line = line_;
      if (gz_) {
        gzclose(as_gz(gz_));
        gz_ = nullptr;
      }
      return true;
    }
    if (!open_next()) return false;
  }
}

}  // namespace hft::binance
