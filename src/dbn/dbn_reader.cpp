// Streaming DBN reader: file -> (zstd) -> record framing.
#include "hft/dbn/dbn_reader.hpp"

#include <sys/stat.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hft::dbn {

namespace {
constexpr std::size_t kBufSize = 1u << 20;   // decompressed window; records are <= 1020 bytes
constexpr std::size_t kZinSize = 1u << 18;   // compressed read block
}  // namespace

double DbnReader::progress() const noexcept {
  if (file_ == nullptr || file_size_ == 0) return src_end_ ? 1.0 : -1.0;
  const long at = std::ftell(file_);
  return at < 0 ? -1.0 : static_cast<double>(at) / static_cast<double>(file_size_);
}

DbnReader::DbnReader(const std::string& path, feed::SourceStats* stats)
    : path_(path), stats_(stats ? stats : &own_stats_) {
  records_ = &stats_->counts["dbn.records"];
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_)
    throw std::runtime_error("cannot open DBN file " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(::fileno(file_), &st) == 0 && S_ISREG(st.st_mode)) file_size_ = static_cast<std::uint64_t>(st.st_size);
  buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(kBufSize);  // no zero fill
  std::uint8_t magic[4];
  if (std::fread(magic, 1, 4, file_) != 4) {
    std::fclose(file_);
    file_ = nullptr;
    throw std::runtime_error("DBN file " + path + " is too short to hold a header");
  }
  if (load_le<std::uint32_t>(magic) == kZstdMagic) {
    zstd_ = ZSTD_createDCtx();
    if (!zstd_) {
      std::fclose(file_);
      throw std::runtime_error("DBN file " + path + ": cannot create a zstd context");
    }
    zin_ = std::make_unique_for_overwrite<std::uint8_t[]>(kZinSize);
    std::memcpy(zin_.get(), magic, 4);
    zin_end_ = 4;
  } else if (std::memcmp(magic, "DBN", 3) == 0) {
    std::memcpy(buf_.get(), magic, 4);
    end_ = 4;
  } else {
    std::fclose(file_);
    file_ = nullptr;
    char hex[32];
    std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", magic[0], magic[1], magic[2], magic[3]);
    throw std::runtime_error("DBN file " + path + " starts neither with \"DBN\" nor with the zstd magic (" +
                             hex + ")");
  }
  // From here the destructor cleans up, so construct through a helper that may throw.
  auto bail = [&](const std::string& why) {
    if (zstd_) ZSTD_freeDCtx(zstd_);
    zstd_ = nullptr;
    std::fclose(file_);
    file_ = nullptr;
    throw std::runtime_error("DBN file " + path + ": " + why +
                             (last_error_ ? std::string(" (") + last_error_ + ")" : std::string()));
  };
  if (fill(8) < 8) bail("truncated before the end of the 8-byte DBN prelude");
  const std::uint8_t* p = buf_.get() + pos_;
  if (std::memcmp(p, "DBN", 3) != 0) bail("decompressed data does not start with \"DBN\"");
  const std::uint8_t version = p[3];
  if (version < kMinVersion || version > kMaxVersion)
    bail("unsupported DBN version " + std::to_string(version) + " (this reader handles 1 to 3)");
  const std::uint32_t mlen = load_le<std::uint32_t>(p + 4);
  pos_ += 8;
  if (mlen > kMaxMetadataLen)
    bail("DBN metadata length " + std::to_string(mlen) + " bytes is above the limit of " +
         std::to_string(kMaxMetadataLen) + " (a damaged or hostile file)");
  // Metadata may be larger than the window: collect it in pieces (no up-front allocation of
  // a length that may be bogus).
  std::vector<std::uint8_t> body;
  while (body.size() < mlen) {
    const std::size_t want = std::min<std::size_t>(mlen - body.size(), kBufSize / 2);
    const std::size_t have = fill(want);
    if (have == 0)
      bail("truncated DBN metadata (" + std::to_string(body.size()) + " of " + std::to_string(mlen) +
           " bytes)");
    const std::size_t take = std::min(have, want);
    body.insert(body.end(), buf_.get() + pos_, buf_.get() + pos_ + take);
    pos_ += take;
  }
  try {
    meta_ = parse_metadata(version, body);
  } catch (const std::exception& e) {
    bail(e.what());
  }
}

DbnReader::~DbnReader() {
  if (zstd_) ZSTD_freeDCtx(zstd_);
  if (file_) std::fclose(file_);
}

void DbnReader::fail(const char* reason) {
  ++stats_->errors[reason];
  last_error_ = reason;
  src_end_ = true;
}

std::size_t DbnReader::read_raw(std::uint8_t* dst, std::size_t n) {
  if (src_end_ || n == 0) return 0;
  if (!zstd_) {
    const std::size_t got = std::fread(dst, 1, n, file_);
    if (got == 0) {
      if (std::ferror(file_)) fail("dbn.read_error");
      else src_end_ = true;
    }
    return got;
  }
  for (;;) {
    if (zin_pos_ == zin_end_ && !file_eof_) {
      zin_pos_ = 0;
      zin_end_ = std::fread(zin_.get(), 1, kZinSize, file_);
      if (zin_end_ == 0) {
        if (std::ferror(file_)) {
          fail("dbn.read_error");
          return 0;
        }
        file_eof_ = true;
      }
    }
    ZSTD_inBuffer in{zin_.get() + zin_pos_, zin_end_ - zin_pos_, 0};
    ZSTD_outBuffer out{dst, n, 0};
    const std::size_t ret = ZSTD_decompressStream(zstd_, &out, &in);
    zin_pos_ += in.pos;
    if (ZSTD_isError(ret)) {
      fail("dbn.zstd_error");
      return out.pos;
    }
    // A call with no input and no output says nothing about frame completeness (after a
    // frame ends, an empty call reports the size wanted for the next frame's header).
    if (in.pos > 0 || out.pos > 0) zlast_ret_ = ret;
    if (out.pos > 0) return out.pos;
    if (file_eof_ && zin_pos_ == zin_end_) {
      // Nothing more to flush: a clean end only if the last frame was complete.
      if (zlast_ret_ != 0) fail("dbn.zstd_truncated");
      else src_end_ = true;
      return 0;
    }
    if (in.pos == 0) {  // input available, no progress: never spin
      fail("dbn.zstd_stall");
      return 0;
    }
  }
}

std::size_t DbnReader::fill(std::size_t need) {
  std::size_t avail = end_ - pos_;
  if (avail >= need) return avail;
  if (pos_ > 0) {  // compact: move the partial record (< 1 KiB) to the front, so that each
                   // read below fills most of the window instead of a small tail
    std::memmove(buf_.get(), buf_.get() + pos_, avail);
    pos_ = 0;
    end_ = avail;
  }
  while (end_ - pos_ < need) {
    const std::size_t got = read_raw(buf_.get() + end_, kBufSize - end_);
    if (got == 0) break;
    end_ += got;
  }
  return end_ - pos_;
}

bool DbnReader::next_record(std::span<const std::uint8_t>& rec) {
  if (done_) return false;
  std::size_t avail = fill(1);
  if (avail == 0) {
    done_ = true;
    return false;
  }
  const std::size_t len = std::size_t{buf_[pos_]} * 4;
  if (len < kHeaderLen) {  // length 0..12: the stream cannot be framed any further
    ++stats_->errors["dbn.bad_record_length"];
    done_ = true;
    return false;
  }
  avail = fill(len);
  if (avail < len) {
    ++stats_->errors["dbn.truncated_record"];
    done_ = true;
    return false;
  }
  rec = std::span<const std::uint8_t>(buf_.get() + pos_, len);
  pos_ += len;
  ++*records_;
  return true;
}

}  // namespace hft::dbn
