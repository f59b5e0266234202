#include "hft/dataset/columnar.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <stdexcept>

namespace hft::dataset {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(path + ": " + why);
}

template <class T>
void put(std::FILE* f, const T& v, const std::string& path) {
  if (std::fwrite(&v, sizeof v, 1, f) != 1) fail(path, std::string("write failed: ") + std::strerror(errno));
}
void put_bytes(std::FILE* f, const void* p, std::size_t n, const std::string& path) {
  if (n && std::fwrite(p, 1, n, f) != n) fail(path, std::string("write failed: ") + std::strerror(errno));
}

// Bounds-checked little reader over the file bytes.
struct Cursor {
  const std::vector<char>& b;
  std::size_t pos;
  const std::string& path;
  template <class T>
  T get() {
    if (pos + sizeof(T) > b.size()) fail(path, "truncated footer");
    T v;
    std::memcpy(&v, b.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
};

}  // namespace

ColumnarWriter::ColumnarWriter(const std::string& path, std::vector<std::string> names, std::uint64_t schema_hash,
                               std::size_t group_rows)
    : path_(path), names_(std::move(names)), hash_(schema_hash), group_rows_(group_rows ? group_rows : 65536),
      cols_(names_.size()) {
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) fail(path, std::string("cannot create: ") + std::strerror(errno));
  put_bytes(f_, kMagic, sizeof kMagic, path_);
  offset_ = sizeof kMagic;
  ts_.reserve(group_rows_);
  instr_.reserve(group_rows_);
  for (auto& c : cols_) c.reserve(group_rows_);
}

ColumnarWriter::~ColumnarWriter() {
  if (!f_) return;
  try {
    close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
  }
}

void ColumnarWriter::append(Nanos ts, InstrumentId instrument, const float* values) {
  ts_.push_back(ts);
  instr_.push_back(instrument);
  for (std::size_t i = 0; i < cols_.size(); ++i) cols_[i].push_back(values[i]);
  ++rows_;
  if (ts_.size() == group_rows_) flush_group();
}

void ColumnarWriter::flush_group() {
  if (ts_.empty()) return;
  const auto n = static_cast<std::uint32_t>(ts_.size());
  groups_.emplace_back(offset_, n);
  put_bytes(f_, ts_.data(), n * sizeof(std::int64_t), path_);
  put_bytes(f_, instr_.data(), n * sizeof(std::uint32_t), path_);
  for (const auto& c : cols_) put_bytes(f_, c.data(), n * sizeof(float), path_);
  offset_ += n * (sizeof(std::int64_t) + sizeof(std::uint32_t) + cols_.size() * sizeof(float));
  ts_.clear();
  instr_.clear();
  for (auto& c : cols_) c.clear();
}

void ColumnarWriter::close() {
  if (!f_) return;
  flush_group();
  const std::uint64_t footer = offset_;
  put(f_, hash_, path_);
  put(f_, static_cast<std::uint32_t>(names_.size()), path_);
  for (const auto& nm : names_) {
    put(f_, static_cast<std::uint16_t>(nm.size()), path_);
    put_bytes(f_, nm.data(), nm.size(), path_);
  }
  put(f_, rows_, path_);
  put(f_, static_cast<std::uint32_t>(groups_.size()), path_);
  for (const auto& [off, n] : groups_) {
    put(f_, off, path_);
    put(f_, n, path_);
  }
  put(f_, footer, path_);
  put_bytes(f_, kMagic, sizeof kMagic, path_);
  const bool bad = std::fclose(f_) != 0;
  f_ = nullptr;
  if (bad) fail(path_, "close failed");
}

Table read_columnar(const std::string& path, std::uint64_t expect_hash) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<char> b;
  char buf[1 << 16];
  while (const std::size_t n = std::fread(buf, 1, sizeof buf, f)) b.insert(b.end(), buf, buf + n);
  std::fclose(f);
  if (b.size() < 2 * sizeof kMagic + 8 || std::memcmp(b.data(), kMagic, 8) != 0 ||
      std::memcmp(b.data() + b.size() - 8, kMagic, 8) != 0)
    fail(path, "not an .hftc file (bad magic or truncated)");
  std::uint64_t footer;
  std::memcpy(&footer, b.data() + b.size() - 16, 8);
  if (footer < 8 || footer > b.size() - 16) fail(path, "footer offset out of range");
  Cursor c{b, static_cast<std::size_t>(footer), path};
  Table t;
  t.schema_hash = c.get<std::uint64_t>();
  if (expect_hash && t.schema_hash != expect_hash) {
    char m[128];
    std::snprintf(m, sizeof m, "schema hash %016" PRIx64 " is not the expected %016" PRIx64, t.schema_hash, expect_hash);
    fail(path, m);
  }
  const auto nf = c.get<std::uint32_t>();
  if (nf > 65536) fail(path, "implausible feature count");
  for (std::uint32_t i = 0; i < nf; ++i) {
    const auto len = c.get<std::uint16_t>();
    if (c.pos + len > b.size()) fail(path, "truncated feature name");
    t.names.emplace_back(b.data() + c.pos, len);
    c.pos += len;
  }
  const auto rows = c.get<std::uint64_t>();
  const auto ng = c.get<std::uint32_t>();
  const std::size_t row_bytes = sizeof(std::int64_t) + sizeof(std::uint32_t) + nf * sizeof(float);
  if (rows > footer / row_bytes) fail(path, "row count larger than the data");
  t.ts.reserve(rows);
  t.instrument.reserve(rows);
  t.columns.assign(nf, {});
  for (auto& col : t.columns) col.reserve(rows);
  std::uint64_t seen = 0;
  for (std::uint32_t g = 0; g < ng; ++g) {
    const auto off = c.get<std::uint64_t>();
    const auto n = c.get<std::uint32_t>();
    if (off < 8 || off + n * row_bytes > footer) fail(path, "row group out of range");
    const char* p = b.data() + off;
    const std::size_t at = t.ts.size();
    t.ts.resize(at + n);
    std::memcpy(t.ts.data() + at, p, n * sizeof(std::int64_t));
    p += n * sizeof(std::int64_t);
    t.instrument.resize(at + n);
    std::memcpy(t.instrument.data() + at, p, n * sizeof(std::uint32_t));
    p += n * sizeof(std::uint32_t);
    for (auto& col : t.columns) {
      col.resize(at + n);
      std::memcpy(col.data() + at, p, n * sizeof(float));
      p += n * sizeof(float);
    }
    seen += n;
  }
  if (seen != rows) fail(path, "row groups do not add up to the row count");
  return t;
}

CsvWriter::CsvWriter(const std::string& path, const std::vector<std::string>& names, std::uint64_t schema_hash)
    : path_(path), n_(names.size()) {
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) fail(path, std::string("cannot create: ") + std::strerror(errno));
  std::fprintf(f_, "# schema_hash=%016" PRIx64 "\nts,instrument", schema_hash);
  for (const auto& nm : names) std::fprintf(f_, ",%s", nm.c_str());
  std::fputc('\n', f_);
}

CsvWriter::~CsvWriter() {
  if (f_) std::fclose(f_);
}

void CsvWriter::append(Nanos ts, InstrumentId instrument, const float* values) {
  std::fprintf(f_, "%lld,%u", static_cast<long long>(ts), instrument);
  for (std::size_t i = 0; i < n_; ++i) std::fprintf(f_, ",%.9g", static_cast<double>(values[i]));
  std::fputc('\n', f_);
}

void CsvWriter::close() {
  if (!f_) return;
  const bool bad = std::fclose(f_) != 0;
  f_ = nullptr;
  if (bad) fail(path_, "close failed");
}

}  // namespace hft::dataset
