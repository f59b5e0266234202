// Feature files for research and training: a compact binary columnar format (.hftc) and CSV.
//
// .hftc layout (little-endian), written in one pass with bounded memory:
//   "HFTC0001"                                   8-byte magic
//   row groups: for each column, its values for the group's rows, contiguous
//     (ts: int64 ns, instrument: uint32, then one float32 column per feature)
//   footer: u64 schema_hash, u32 n_features, per feature (u16 length, name bytes),
//           u64 n_rows, u32 n_groups, per group (u64 offset, u32 rows)
//   u64 footer offset, "HFTC0001"                trailer
// A reader maps the footer first, checks both magics and every offset against the file size,
// and refuses a schema hash different from the one it expects (a model trained on one schema
// must never be fed another). May touch: the files it is given.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "hft/core/types.hpp"

namespace hft::dataset {

inline constexpr char kMagic[8] = {'H', 'F', 'T', 'C', '0', '0', '0', '1'};

class ColumnarWriter {
 public:
  // Throws std::runtime_error when the file cannot be created.
  ColumnarWriter(const std::string& path, std::vector<std::string> names, std::uint64_t schema_hash,
                 std::size_t group_rows = 65536);
  ~ColumnarWriter();  // close() if not yet closed (errors then only logged to stderr)
  ColumnarWriter(const ColumnarWriter&) = delete;
  ColumnarWriter& operator=(const ColumnarWriter&) = delete;
  void append(Nanos ts, InstrumentId instrument, const float* values);  // names().size() values
  void close();  // flushes the last group, writes the footer; throws on I/O error
  std::uint64_t rows() const noexcept { return rows_; }

 private:
  void flush_group();
  std::FILE* f_ = nullptr;
  std::string path_;
  std::vector<std::string> names_;
  std::uint64_t hash_;
  std::size_t group_rows_;
  std::vector<std::int64_t> ts_;
  std::vector<std::uint32_t> instr_;
  std::vector<std::vector<float>> cols_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> groups_;
  std::uint64_t rows_ = 0, offset_ = 0;
};

struct Table {
  std::vector<std::string> names;
  std::uint64_t schema_hash = 0;
  std::vector<std::int64_t> ts;
  std::vector<std::uint32_t> instrument;
  std::vector<std::vector<float>> columns;  // one per name, each ts.size() long
};

// Reads a whole file. expect_hash 0 = accept any schema. Throws std::runtime_error naming the
// file and the reason (bad magic, truncated, offsets out of range, schema hash mismatch).
Table read_columnar(const std::string& path, std::uint64_t expect_hash = 0);

// CSV with a header line "ts,instrument,<names...>" and a first comment line with the schema hash.
class CsvWriter {
 public:
  CsvWriter(const std::string& path, const std::vector<std::string>& names, std::uint64_t schema_hash);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;
  void append(Nanos ts, InstrumentId instrument, const float* values);
  void close();

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
  std::size_t n_;
};

}  // namespace hft::dataset
