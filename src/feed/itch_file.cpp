// ITCH 5.0 file reading and writing (see itch_file.hpp). zlib's gz* functions do the gzip
// side: gzread inflates straight into a chunk when asked for more than its own buffer holds.
// The inflater thread and the reader meet only at two counters (C++20 atomic wait/notify: a
// futex when one side must wait, nothing otherwise).
#include "hft/feed/itch_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hft::feed {

bool ends_with(const std::string& path, const char* suffix) noexcept {
  const std::size_t n = std::strlen(suffix);
  return path.size() >= n && path.compare(path.size() - n, n, suffix) == 0;
}

namespace {
// A message is at most 2 + 65535 bytes: the buffer always has room for one whole.
constexpr std::size_t kMinBuffer = 1u << 17;
gzFile gz(void* p) { return static_cast<gzFile>(p); }
}  // namespace

ItchFileReader::ItchFileReader(const std::string& path, std::size_t buffer_bytes)
    : path_(path), gzip_(ends_with(path, ".gz")) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("cannot open ITCH file " + path + ": " + std::strerror(errno));
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) file_size_ = static_cast<std::uint64_t>(st.st_size);
  // A small file needs no megabyte of buffers (gzip: its text is at most a few times the file):
  // opening many small files, as the fuzz tests do, stays cheap.
  if (file_size_ > 0 && file_size_ < buffer_bytes / 8) buffer_bytes = static_cast<std::size_t>(file_size_) * 8;
  buf_.resize(buffer_bytes < kMinBuffer ? kMinBuffer : buffer_bytes);
  if (gzip_) {
    gz_ = gzdopen(fd_, "rb");
    if (gz_ == nullptr) {
      ::close(fd_);
      throw std::runtime_error("cannot open ITCH file " + path + ": zlib could not start");
    }
    fd_ = -1;  // owned by gz_ now
    gzbuffer(gz(gz_), 1u << 18);
    const std::size_t chunk = buf_.size() - kMinBuffer / 2;  // the buffer keeps room for a tail
    for (Chunk& c : chunks_) c.data.resize(chunk);
    inflater_ = std::thread([this] { inflate_loop(); });
  }
}

double ItchFileReader::progress() const noexcept {
  if (file_size_ == 0) return -1.0;
  const std::uint64_t at = gzip_ ? compressed_at_.load(std::memory_order_relaxed) : c_.bytes;
  return std::min(1.0, static_cast<double>(at) / static_cast<double>(file_size_));
}

ItchFileReader::~ItchFileReader() {
  if (inflater_.joinable()) {
    stop_.store(true, std::memory_order_release);
    consumed_.fetch_add(kChunks, std::memory_order_release);  // wakes a producer waiting for room
    consumed_.notify_all();
    inflater_.join();
  }
  if (gz_ != nullptr) gzclose(gz(gz_));
  if (fd_ >= 0) ::close(fd_);
}

void ItchFileReader::inflate_loop() {
  bool first = true;
  for (std::uint64_t k = 0;; ++k) {
    for (std::uint64_t c = consumed_.load(std::memory_order_acquire); k - c >= kChunks && !stop_.load();
         c = consumed_.load(std::memory_order_acquire))
      consumed_.wait(c, std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    Chunk& ch = chunks_[k % kChunks];
    ch.size = 0;
    ch.end = End::No;
    while (ch.size < ch.data.size()) {
      const int got = gzread(gz(gz_), ch.data.data() + ch.size, static_cast<unsigned>(ch.data.size() - ch.size));
      if (first) {
        first = false;
        if (gzdirect(gz(gz_))) {  // not gzip at all (zlib would pass the bytes through)
          ch.size = 0;
          ch.end = End::NotGzip;
          break;
        }
      }
      if (got > 0) {
        ch.size += static_cast<std::size_t>(got);
        continue;
      }
      int err = Z_OK;
      gzerror(gz(gz_), &err);
      if (err == Z_ERRNO) ch.end = End::ReadError;
      else if (got < 0 || err == Z_DATA_ERROR || err == Z_MEM_ERROR || err == Z_STREAM_ERROR) ch.end = End::Corrupt;
      else if (err == Z_BUF_ERROR) ch.end = End::Truncated;
      else ch.end = End::Eof;
      break;
    }
    if (const auto at = gzoffset(gz(gz_)); at > 0) compressed_at_.store(static_cast<std::uint64_t>(at), std::memory_order_relaxed);
    produced_.fetch_add(1, std::memory_order_release);
    produced_.notify_one();
    if (ch.end != End::No) return;
  }
}

bool ItchFileReader::fill() {
  if (eof_) return false;
  const std::size_t tail = end_ - pos_;
  if (pos_ != 0) std::memmove(buf_.data(), buf_.data() + pos_, tail);
  pos_ = 0;
  end_ = tail;
  const std::size_t room = buf_.size() - end_;
  if (gzip_) {
    const std::uint64_t k = consumed_.load(std::memory_order_relaxed);
    for (std::uint64_t p = produced_.load(std::memory_order_acquire); p == k;
         p = produced_.load(std::memory_order_acquire))
      produced_.wait(p, std::memory_order_acquire);
    const Chunk& ch = chunks_[k % kChunks];
    // room >= a chunk: the tail left is always shorter than one whole message (< 64 KiB).
    if (ch.size != 0) std::memcpy(buf_.data() + end_, ch.data.data(), std::min(ch.size, room));
    end_ += std::min(ch.size, room);
    const End e = ch.end;
    const bool any = ch.size != 0;
    consumed_.fetch_add(1, std::memory_order_release);
    consumed_.notify_one();
    if (e != End::No) {
      eof_ = true;
      if (e == End::Truncated) ++c_.gzip_truncated;
      else if (e == End::Corrupt) ++c_.gzip_corrupt;
      else if (e == End::NotGzip) ++c_.not_gzip;
      else if (e == End::ReadError) ++c_.read_errors;
    }
    return any || !eof_;
  }
  for (;;) {
    const ssize_t got = ::read(fd_, buf_.data() + end_, room);
    if (got > 0) {
      end_ += static_cast<std::size_t>(got);
      return true;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) ++c_.read_errors;
    eof_ = true;
    return false;
  }
}

bool ItchFileReader::refill_and_next(const std::uint8_t*& msg, std::size_t& len) {
  for (;;) {
    if (take(msg, len)) return true;
    if (!fill()) {
      // The data ended inside a frame. A gzip or read error already names the cause.
      if (end_ > pos_ && c_.gzip_truncated + c_.gzip_corrupt + c_.not_gzip + c_.read_errors == 0)
        ++c_.length_past_end;
      pos_ = end_;
      return false;
    }
  }
}

std::string ItchFileReader::error_reason() const {
  if (c_.not_gzip) return path_ + ": not gzip data (the name ends in .gz)";
  if (c_.gzip_corrupt) return path_ + ": gzip data corrupt after " + std::to_string(c_.frames) + " messages";
  if (c_.gzip_truncated)
    return path_ + ": gzip stream truncated (file cut short) after " + std::to_string(c_.frames) + " messages";
  if (c_.read_errors) return path_ + ": read error after " + std::to_string(c_.frames) + " messages";
  if (c_.length_past_end)
    return path_ + ": the last message's length runs past the end of the file (after " +
           std::to_string(c_.frames) + " messages)";
  return {};
}

ItchFileWriter::ItchFileWriter(const std::string& path) : path_(path), buf_(1u << 20) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot create ITCH file " + path + ": " + std::strerror(errno));
  if (ends_with(path, ".gz")) {
    gz_ = gzdopen(fd_, "wb6");
    if (gz_ == nullptr) {
      ::close(fd_);
      throw std::runtime_error("cannot create ITCH file " + path + ": zlib could not start");
    }
    fd_ = -1;
    gzbuffer(gz(gz_), 1u << 18);
  }
}

ItchFileWriter::~ItchFileWriter() {
  try {
    close();
  } catch (...) {  // errors are reported by an explicit close()
  }
}

bool ItchFileWriter::append(const std::uint8_t* msg, std::size_t len) {
  std::uint8_t* p = begin_message(len);
  if (p == nullptr) return false;
  if (len != 0) std::memcpy(p, msg, len);
  return true;
}

void ItchFileWriter::drain() {
  const std::uint8_t* p = buf_.data();
  std::size_t left = used_;
  used_ = 0;
  if (gz_ != nullptr) {
    if (left != 0 && gzwrite(gz(gz_), p, static_cast<unsigned>(left)) != static_cast<int>(left))
      throw std::runtime_error("cannot write ITCH file " + path_ + ": gzip write failed");
    return;
  }
  while (left != 0 && fd_ >= 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("cannot write ITCH file " + path_ + ": " + std::strerror(errno));
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void ItchFileWriter::close() {
  if (gz_ == nullptr && fd_ < 0) return;
  drain();
  if (gz_ != nullptr) {
    const int rc = gzclose(gz(gz_));
    gz_ = nullptr;
    if (rc != Z_OK) throw std::runtime_error("cannot write ITCH file " + path_ + ": gzip close failed");
  }
  if (fd_ >= 0) {
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) throw std::runtime_error("cannot write ITCH file " + path_ + ": " + std::strerror(errno));
  }
}

}  // namespace hft::feed
