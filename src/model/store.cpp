#include "hft/model/store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <set>
#include <simdjson.h>
#include <stdexcept>
#include <system_error>

#include "hft/model/sha256.hpp"

namespace hft::model {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kStampLen = 16;  // "20261206T072236Z"
constexpr std::size_t kSuffixLen = 6;
constexpr std::size_t kVersionLen = 1 + kStampLen + 1 + kSuffixLen;

bool is_hex_lower(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) noexcept {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

// Why a file name is unsafe to create or read inside a version directory ("" = fine). The same
// rule on both sides: a manifest naming "../x" must not make a reader leave the directory.
std::string bad_file_name(std::string_view n) {
  if (n.empty()) return "empty file name";
  if (n.size() > 255) return "file name longer than 255 bytes";
  for (char c : n) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\') return "file name contains a path separator";
    if (u < 0x20 || u == 0x7f) return "file name contains a control character";
  }
  if (n.find("..") != std::string_view::npos) return "file name contains \"..\"";
  // A leading dot: hidden files and the store's own ".tmp-" directories are not model files.
  if (n.front() == '.') return "file name starts with '.'";
  if (n == kManifestName) return "file name \"manifest.json\" is reserved for the manifest";
  if (!simdjson::validate_utf8(n.data(), n.size())) return "file name is not UTF-8";
  return {};
}

std::string utc_format(std::time_t t, const char* fmt) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof(buf), fmt, &tm);
  return std::string(buf, n);
}

std::string hex6(std::uint32_t v) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%06x", v & 0xffffffu);
  return buf;
}

[[noreturn]] void throw_errno(const std::string& what, const fs::path& p) {
  throw std::runtime_error("model store: " + what + " " + p.string() + ": " + std::strerror(errno));
}

void write_file_synced(const fs::path& p, std::string_view data) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("cannot create", p);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      errno = e;
      throw_errno("cannot write", p);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    throw_errno("cannot fsync", p);
  }
  if (::close(fd) != 0) throw_errno("cannot close", p);
}

// A directory's entries (creations, renames) are durable only once the directory itself is synced.
void fsync_dir(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open directory", p);
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) {
    errno = e;
    throw_errno("cannot fsync directory", p);
  }
}

// Reads at most max_bytes + 1 bytes (so "more than max" is seen without reading it all).
// Returns "" on success or an error text.
std::string read_capped(const fs::path& p, std::size_t max_bytes, std::string& out) {
  out.clear();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(p.c_str(), "rb"), &std::fclose);
  if (!f) return std::string("cannot open: ") + std::strerror(errno);
  char buf[1 << 16];
  for (;;) {
    const std::size_t want = std::min(sizeof(buf), max_bytes + 1 - out.size());
    const std::size_t n = std::fread(buf, 1, want, f.get());
    out.append(buf, n);
    if (out.size() > max_bytes) return {};
    if (n < want) {
      if (std::ferror(f.get())) return "read error";
      return {};
    }
  }
}

std::string version_name_for(const fs::path& dir) {
  const std::string stamp = utc_format(std::time(nullptr), "%Y%m%dT%H%M%SZ");
  std::random_device rd;
  std::mt19937 rng(rd());
  const std::vector<std::string> existing = list_versions(dir);
  if (existing.empty() || existing.front().substr(1, kStampLen) < stamp) {
    // The lower half of the suffix range leaves room for later versions of the same second.
    return "v" + stamp + "-" + hex6(std::uniform_int_distribution<std::uint32_t>(0, 0x7fffff)(rng));
  }
  // Same second as the newest version (or the clock is behind it): sort after it, so that the
  // version written last is the one loaded. The newest's stamp is kept when the clock went back.
  const std::string& newest = existing.front();
  const auto last = static_cast<std::uint32_t>(std::stoul(newest.substr(kVersionLen - kSuffixLen), nullptr, 16));
  const std::uint32_t next = last + 1 + std::uniform_int_distribution<std::uint32_t>(0, 255)(rng);
  if (next > 0xffffff) throw std::runtime_error("model store: no version name left after " + newest);
  return "v" + newest.substr(1, kStampLen) + "-" + hex6(next);
}

bool parse_hex64(std::string_view s, std::uint64_t& out) noexcept {
  if (s.size() != 16) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return false;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  out = v;
  return true;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return r;
}

struct Check {
  VerifyResult result;
  std::string version;
  VerifyResult& refuse(std::string file, std::string reason) {
    result.loaded.reset();
    result.refusal = {version, std::move(file), std::move(reason)};
    return result;
  }
};

// verify_version with the version name given separately: write_version checks its temporary
// directory (".tmp-<version>") with the same code before publishing it.
VerifyResult verify_dir(const fs::path& vdir, const std::string& version, std::uint64_t expected) {
  Check c;
  c.version = version;
  const std::string M(kManifestName);
  try {
    std::error_code ec;
    const fs::file_status st = fs::status(vdir, ec);
    if (!fs::exists(st)) return c.refuse("", "version directory " + vdir.string() + " does not exist");
    if (!fs::is_directory(st)) return c.refuse("", vdir.string() + " is not a directory");
    const fs::path mpath = vdir / M;
    const fs::file_status mst = fs::status(mpath, ec);
    if (!fs::exists(mst)) return c.refuse(M, "not a model version: no manifest.json");
    if (!fs::is_regular_file(mst)) return c.refuse(M, "manifest.json is not a regular file");
    const std::string cap_reason =
        "manifest.json is larger than the " + std::to_string(kMaxManifestBytes >> 20) + " MiB cap";
    if (const std::uintmax_t size = fs::file_size(mpath, ec); !ec && size > kMaxManifestBytes)
      return c.refuse(M, cap_reason);  // refused unread
    std::string text;
    if (std::string err = read_capped(mpath, kMaxManifestBytes, text); !err.empty())
      return c.refuse(M, "cannot read manifest.json: " + err);
    if (text.size() > kMaxManifestBytes) return c.refuse(M, cap_reason);  // grew since the stat
    if (trim(text).empty()) return c.refuse(M, "empty manifest.json");

    const simdjson::padded_string padded(text);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto err = parser.parse(padded).get(root))
      return c.refuse(M, std::string("truncated or corrupt manifest (not valid JSON): ") + simdjson::error_message(err));
    simdjson::dom::object top;
    if (root.get(top)) return c.refuse(M, "manifest is not a JSON object");

    const auto get_string = [&](std::string_view key, std::string_view& v) {
      return !top[key].get(v);
    };
    std::string_view format, version_field, created, schema_text;
    if (!get_string("format", format)) return c.refuse(M, "manifest has no \"format\" string");
    if (format != kStoreFormat)
      return c.refuse(M, "unknown format \"" + std::string(format) + "\" (this engine reads " + std::string(kStoreFormat) + ")");
    if (!get_string("version", version_field)) return c.refuse(M, "manifest has no \"version\" string");
    if (version_field != version)
      return c.refuse(M, "manifest names version " + std::string(version_field) + " but the directory is " + version);
    if (!get_string("created_utc", created)) return c.refuse(M, "manifest has no \"created_utc\" string");
    if (!get_string("feature_schema_hash", schema_text)) return c.refuse(M, "manifest has no \"feature_schema_hash\" string");
    std::uint64_t schema = 0;
    if (!parse_hex64(schema_text, schema))
      return c.refuse(M, "feature_schema_hash \"" + std::string(schema_text) + "\" is not 16 hex digits");
    // Before any file is hashed: a model of another feature schema is refused however intact.
    if (schema != expected)
      return c.refuse(M, "feature schema hash " + schema_hash_hex(schema) + " differs from the engine's " +
                             schema_hash_hex(expected));

    LoadedVersion lv;
    lv.version = version;
    lv.path = vdir;
    lv.feature_schema_hash = schema;
    lv.created_utc = std::string(created);
    simdjson::dom::array names;
    if (top["feature_names"].get(names)) return c.refuse(M, "manifest has no \"feature_names\" array");
    for (simdjson::dom::element e : names) {
      std::string_view s;
      if (e.get(s)) return c.refuse(M, "feature_names holds a value that is not a string");
      lv.feature_names.emplace_back(s);
    }
    simdjson::dom::object meta;
    if (top["metadata"].get(meta)) return c.refuse(M, "manifest has no \"metadata\" object");

    simdjson::dom::array files;
    if (top["files"].get(files)) return c.refuse(M, "manifest has no \"files\" array");
    struct Entry {
      std::string name;
      std::uint64_t bytes;
      std::string sha;
    };
    std::vector<Entry> entries;
    std::set<std::string> seen;
    for (simdjson::dom::element e : files) {
      simdjson::dom::object fo;
      if (e.get(fo)) return c.refuse(M, "files holds an entry that is not an object");
      std::string_view name, sha;
      std::uint64_t bytes = 0;
      if (fo["name"].get(name)) return c.refuse(M, "a files entry has no \"name\" string");
      if (std::string bad = bad_file_name(name); !bad.empty())
        return c.refuse(M, "files lists an unsafe name \"" + std::string(name) + "\": " + bad);
      if (fo["bytes"].get(bytes))
        return c.refuse(std::string(name), "manifest entry has no \"bytes\" count (a non-negative integer)");
      if (fo["sha256"].get(sha)) return c.refuse(std::string(name), "manifest entry has no \"sha256\" string");
      const std::string sha_l = lower(sha);
      if (sha_l.size() != 64 || !std::all_of(sha_l.begin(), sha_l.end(), is_hex_lower))
        return c.refuse(std::string(name), "manifest sha256 \"" + std::string(sha) + "\" is not 64 hex digits");
      if (!seen.insert(std::string(name)).second) return c.refuse(std::string(name), "listed twice in the manifest");
      entries.push_back({std::string(name), bytes, sha_l});
    }

    // The metadata object's own text, as the caller wrote it (the DOM keeps no source positions).
    {
      simdjson::ondemand::parser op;
      simdjson::ondemand::document doc;
      simdjson::ondemand::object mo;
      std::string_view raw;
      if (op.iterate(padded).get(doc) || doc["metadata"].get_object().get(mo) || mo.raw_json().get(raw))
        return c.refuse(M, "cannot extract the metadata object's text");
      lv.metadata_json = std::string(trim(raw));
    }

    for (const Entry& en : entries) {
      const fs::path fp = vdir / en.name;
      const fs::file_status fst = fs::status(fp, ec);
      if (!fs::exists(fst)) return c.refuse(en.name, "missing file");
      if (!fs::is_regular_file(fst)) return c.refuse(en.name, "not a regular file");
      const std::uintmax_t size = fs::file_size(fp, ec);
      if (ec) return c.refuse(en.name, "cannot stat: " + ec.message());
      // The size is checked before reading: a claimed size is never trusted for an allocation,
      // and a file of another size cannot be the one the manifest describes.
      if (size != en.bytes)
        return c.refuse(en.name, "size mismatch: manifest says " + std::to_string(en.bytes) + " bytes, file has " +
                                     std::to_string(size));
      std::string data;
      if (std::string err = read_capped(fp, static_cast<std::size_t>(size), data); !err.empty())
        return c.refuse(en.name, "cannot read: " + err);
      if (data.size() != size)
        return c.refuse(en.name, "size mismatch: file changed while read (" + std::to_string(data.size()) + " bytes)");
      const std::string got = sha256_hex(data);
      if (got != en.sha) return c.refuse(en.name, "sha256 mismatch: expected " + en.sha + ", got " + got);
      lv.files.emplace(en.name, std::move(data));
    }
    lv.manifest = std::move(text);
    c.result.loaded = std::move(lv);
    return c.result;
  } catch (const std::exception& e) {
    return c.refuse("", std::string("error while reading the version: ") + e.what());
  }
}

std::string build_manifest(const std::string& version, const std::string& created, const VersionSpec& spec,
                           std::string_view metadata) {
  std::string m;
  m += "{\n  \"format\": " + json_quote(kStoreFormat) + ",\n";
  m += "  \"version\": " + json_quote(version) + ",\n";
  m += "  \"created_utc\": " + json_quote(created) + ",\n";
  m += "  \"feature_schema_hash\": " + json_quote(schema_hash_hex(spec.feature_schema_hash)) + ",\n";
  m += "  \"feature_names\": [";
  for (std::size_t i = 0; i < spec.feature_names.size(); ++i) {
    if (i > 0) m += ", ";
    m += json_quote(spec.feature_names[i]);
  }
  m += "],\n  \"metadata\": ";
  m += metadata;
  m += ",\n  \"files\": [";
  for (std::size_t i = 0; i < spec.files.size(); ++i) {
    const auto& [name, bytes] = spec.files[i];
    m += i > 0 ? ",\n    " : "\n    ";
    m += "{\"name\": " + json_quote(name) + ", \"bytes\": " + std::to_string(bytes.size()) +
         ", \"sha256\": " + json_quote(sha256_hex(bytes)) + "}";
  }
  m += spec.files.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return m;
}

}  // namespace

std::string schema_hash_hex(std::uint64_t h) {
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string json_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string r;
  r.reserve(s.size() + 2);
  r.push_back('"');
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': r += "\\\""; break;
      case '\\': r += "\\\\"; break;
      case '\n': r += "\\n"; break;
      case '\r': r += "\\r"; break;
      case '\t': r += "\\t"; break;
      case '\b': r += "\\b"; break;
      case '\f': r += "\\f"; break;
      default:
        if (u < 0x20) {
          r += "\\u00";
          r.push_back(kHex[u >> 4]);
          r.push_back(kHex[u & 15]);
        } else {
          r.push_back(ch);
        }
    }
  }
  r.push_back('"');
  return r;
}

bool is_version_name(std::string_view n) noexcept {
  if (n.size() != kVersionLen || n[0] != 'v' || n[9] != 'T' || n[16] != 'Z' || n[17] != '-') return false;
  for (std::size_t i = 1; i < 17; ++i) {
    if (i != 9 && i != 16 && !is_digit(n[i])) return false;
  }
  for (std::size_t i = 18; i < kVersionLen; ++i) {
    if (!is_hex_lower(n[i])) return false;
  }
  return true;
}

std::vector<std::string> list_versions(const fs::path& dir) {
  std::vector<std::string> out;
  try {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return out;
    for (const fs::directory_iterator end; it != end; it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      std::error_code ec2;
      if (is_version_name(name) && it->is_directory(ec2)) out.push_back(name);
    }
  } catch (const std::exception&) {
    // Listing is best effort: what was read so far is returned.
  }
  std::sort(out.begin(), out.end(), std::greater<>());
  return out;
}

std::string write_version(const fs::path& dir, const VersionSpec& spec) {
  std::set<std::string_view> names;
  for (const auto& [name, bytes] : spec.files) {
    if (std::string bad = bad_file_name(name); !bad.empty())
      throw std::invalid_argument("model store: bad file name \"" + name + "\": " + bad);
    if (!names.insert(name).second) throw std::invalid_argument("model store: file \"" + name + "\" given twice");
  }
  for (const std::string& f : spec.feature_names) {
    if (!simdjson::validate_utf8(f.data(), f.size()))
      throw std::invalid_argument("model store: feature name is not UTF-8: " + f);
  }
  std::string_view metadata = trim(spec.metadata_json);
  if (metadata.empty()) metadata = "{}";
  {
    const simdjson::padded_string padded(metadata);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto err = parser.parse(padded).get(root))
      throw std::invalid_argument(std::string("model store: metadata is not valid JSON: ") + simdjson::error_message(err));
    if (!root.is_object()) throw std::invalid_argument("model store: metadata is not a JSON object");
  }

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("model store: cannot create " + dir.string() + ": " + ec.message());
  const std::string version = version_name_for(dir);
  const std::string created = utc_format(std::time(nullptr), "%Y-%m-%dT%H:%M:%SZ");
  const fs::path tmp = dir / (".tmp-" + version);
  const fs::path final_path = dir / version;
  if (::mkdir(tmp.c_str(), 0755) != 0) throw_errno("cannot create", tmp);
  try {
    for (const auto& [name, bytes] : spec.files) write_file_synced(tmp / name, bytes);
    write_file_synced(tmp / std::string(kManifestName), build_manifest(version, created, spec, metadata));
    fsync_dir(tmp);
    // Read back through the reader's own checks: a version the engine would refuse is never
    // published (and the page cache is not the disk: this also catches a bad write path).
    const VerifyResult check = verify_dir(tmp, version, spec.feature_schema_hash);
    if (!check.ok())
      throw std::runtime_error("model store: version " + version + " failed its own check (" + check.refusal.file +
                               "): " + check.refusal.reason);
    // RENAME_NOREPLACE: never replace a version of the same name written concurrently.
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_path.c_str(), RENAME_NOREPLACE) != 0) {
      if (errno != EINVAL && errno != ENOSYS) throw_errno("cannot rename into place", final_path);
      // A file system without RENAME_NOREPLACE: plain rename still refuses a non-empty target.
      if (::rename(tmp.c_str(), final_path.c_str()) != 0) throw_errno("cannot rename into place", final_path);
    }
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  fsync_dir(dir);
  return version;
}

VerifyResult verify_version(const fs::path& version_dir, std::uint64_t expected_schema_hash) {
  std::string name;
  try {
    name = version_dir.filename().string();
    if (name.empty()) name = version_dir.parent_path().filename().string();  // "DIR/v.../"
  } catch (const std::exception&) {
  }
  return verify_dir(version_dir, name, expected_schema_hash);
}

StoreLoad load_newest_valid(const fs::path& dir, std::uint64_t expected_schema_hash, const AcceptFn& accept) {
  StoreLoad out;
  try {
    std::error_code ec;
    const fs::file_status st = fs::status(dir, ec);
    if (!fs::exists(st)) {
      out.reason = "model store " + dir.string() + " does not exist";
      return out;
    }
    if (!fs::is_directory(st)) {
      out.reason = "model store " + dir.string() + " is not a directory";
      return out;
    }
    const std::vector<std::string> versions = list_versions(dir);
    if (versions.empty()) {
      out.reason = "no model versions in " + dir.string();
      return out;
    }
    for (const std::string& v : versions) {
      VerifyResult r = verify_dir(dir / v, v, expected_schema_hash);
      if (!r.ok()) {
        out.refusals.push_back(std::move(r.refusal));
        continue;
      }
      if (accept) {
        std::string why;
        try {
          why = accept(*r.loaded);
        } catch (const std::exception& e) {
          why = std::string("refused while loading: ") + e.what();
        } catch (...) {
          why = "refused while loading: unknown exception";
        }
        if (!why.empty()) {
          out.refusals.push_back({v, "", std::move(why)});
          continue;
        }
      }
      out.chosen = std::move(r.loaded);
      return out;
    }
    out.reason = "all " + std::to_string(versions.size()) + " model versions in " + dir.string() + " were refused";
  } catch (const std::exception& e) {
    out.chosen.reset();
    out.reason = std::string("error while reading the model store: ") + e.what();
  }
  return out;
}

}  // namespace hft::model
