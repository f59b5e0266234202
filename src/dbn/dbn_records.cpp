// DBN metadata parsing and the non-inline record helpers.
#include "hft/dbn/dbn_records.hpp"

#include <charconv>
#include <stdexcept>

namespace hft::dbn {

const char* rtype_name(std::uint8_t rt) noexcept {
  switch (rt) {
    case rtype::kMbp0: return "trades";
    case rtype::kMbp1: return "mbp1";
    case rtype::kMbp10: return "mbp10";
    case 0x11: return "ohlcv_deprecated";
    case rtype::kStatus: return "status";
    case rtype::kInstrumentDef: return "definition";
    case rtype::kImbalance: return "imbalance";
    case rtype::kError: return "error";
    case rtype::kSymbolMapping: return "symbol_mapping";
    case rtype::kSystem: return "system";
    case rtype::kStatistics: return "statistics";
    case 0x20: return "ohlcv_1s";
    case 0x21: return "ohlcv_1m";
    case 0x22: return "ohlcv_1h";
    case 0x23: return "ohlcv_1d";
    case 0x24: return "ohlcv_eod";
    case rtype::kMbo: return "mbo";
    case 0xB1: return "cmbp1";
    case 0xC0: return "cbbo_1s";
    case 0xC1: return "cbbo_1m";
    case 0xC2: return "tcbbo";
    case 0xC3: return "bbo_1s";
    case 0xC4: return "bbo_1m";
    default: return nullptr;
  }
}

namespace {

std::string cstr(const std::uint8_t* p, std::size_t n) {
  std::size_t len = 0;
  while (len < n && p[len] != 0) ++len;
  return std::string(reinterpret_cast<const char*>(p), len);
}

// Bounds-checked cursor over the metadata body.
struct Cursor {
  std::span<const std::uint8_t> b;
  std::size_t pos = 0;
  void need(std::size_t n, const char* what) const {
    if (n > b.size() || pos > b.size() - n)
      throw std::runtime_error(std::string("DBN metadata truncated while reading ") + what);
  }
  template <class T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v = load_le<T>(b.data() + pos);
    pos += sizeof(T);
    return v;
  }
  std::string str(std::size_t n, const char* what) {
    need(n, what);
    std::string s = cstr(b.data() + pos, n);
    pos += n;
    return s;
  }
  void skip(std::size_t n, const char* what) {
    need(n, what);
    pos += n;
  }
};

std::vector<std::string> repeated(Cursor& c, std::size_t cstr_len, const char* what) {
  const std::uint32_t count = c.get<std::uint32_t>(what);
  // Check the whole block first so a bogus count cannot make us allocate.
  c.need(std::uint64_t{count} * cstr_len, what);
  std::vector<std::string> out;
  out.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) out.push_back(c.str(cstr_len, what));
  return out;
}

bool parse_u32(const std::string& s, std::uint32_t& v) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

}  // namespace

bool decode_symbol_mapping(std::span<const std::uint8_t> b, std::uint8_t version,
                           std::uint32_t& instrument_id, std::string& stype_in_symbol) {
  RecordHeader h;
  if (!decode_header(b, h) || h.rtype != rtype::kSymbolMapping) return false;
  const std::size_t off = version == 1 ? 16 : 17;
  const std::size_t len = version == 1 ? 22 : 71;
  if (b.size() < off + len) return false;
  instrument_id = h.instrument_id;
  stype_in_symbol = cstr(b.data() + off, len);
  return true;
}

Metadata parse_metadata(std::uint8_t version, std::span<const std::uint8_t> body) {
  if (version < 1 || version > 3)
    throw std::runtime_error("unsupported DBN version " + std::to_string(version));
  Metadata m;
  m.version = version;
  Cursor c{body};
  m.dataset = c.str(16, "dataset");
  m.schema = c.get<std::uint16_t>("schema");
  m.start = c.get<std::uint64_t>("start");
  m.end = c.get<std::uint64_t>("end");
  m.limit = c.get<std::uint64_t>("limit");
  if (version == 1) m.record_count = c.get<std::uint64_t>("record_count");
  m.stype_in = c.get<std::uint8_t>("stype_in");
  m.stype_out = c.get<std::uint8_t>("stype_out");
  m.ts_out = c.get<std::uint8_t>("ts_out") != 0;
  if (version == 1) {
    m.symbol_cstr_len = 22;
    c.skip(47, "reserved");
  } else {
    m.symbol_cstr_len = c.get<std::uint16_t>("symbol_cstr_len");
    c.skip(53, "reserved");
  }
  if (m.symbol_cstr_len == 0) throw std::runtime_error("DBN metadata: symbol_cstr_len is 0");
  const std::uint32_t schema_def_len = c.get<std::uint32_t>("schema_definition_length");
  c.skip(schema_def_len, "schema definition");
  const std::size_t n = m.symbol_cstr_len;
  m.symbols = repeated(c, n, "symbols");
  m.partial = repeated(c, n, "partial");
  m.not_found = repeated(c, n, "not_found");
  const std::uint32_t nmap = c.get<std::uint32_t>("mappings count");
  c.need(std::uint64_t{nmap} * (n + 4), "mappings");
  m.mappings.reserve(nmap);
  for (std::uint32_t i = 0; i < nmap; ++i) {
    SymbolMapping sm;
    sm.raw_symbol = c.str(n, "mapping raw_symbol");
    const std::uint32_t nint = c.get<std::uint32_t>("mapping interval count");
    c.need(std::uint64_t{nint} * (n + 8), "mapping intervals");
    sm.intervals.reserve(nint);
    for (std::uint32_t k = 0; k < nint; ++k) {
      MappingInterval iv;
      iv.start_date = c.get<std::uint32_t>("interval start_date");
      iv.end_date = c.get<std::uint32_t>("interval end_date");
      iv.symbol = c.str(n, "interval symbol");
      // Whichever side is the numeric instrument id gives id -> raw symbol.
      std::uint32_t id = 0;
      if (m.stype_out == kSTypeInstrumentId && parse_u32(iv.symbol, id))
        m.instrument_symbols[id] = sm.raw_symbol;
      else if (m.stype_in == kSTypeInstrumentId && parse_u32(sm.raw_symbol, id))
        m.instrument_symbols[id] = iv.symbol;
      sm.intervals.push_back(std::move(iv));
    }
    m.mappings.push_back(std::move(sm));
  }
  return m;
}

}  // namespace hft::dbn
