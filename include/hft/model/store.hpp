// The model store: versioned, checksummed model directories on disk, so that the engine loads
// only a complete model trained on its own feature schema, and falls back to the previous good
// version when the newest one is damaged or refused.
//
// Layout:  DIR/<version>/<file>...  and  DIR/<version>/manifest.json
// A version name is "v<yyyymmddThhmmssZ>-<6 hex>" (UTC time of writing + a suffix): names sort
// by time, so the newest version is the lexicographically greatest one.
//
// manifest.json:
//   {"format": "hftd-model/1", "version": "...", "created_utc": "2026-12-06T07:22:36Z",
//    "feature_schema_hash": "<16 hex>", "feature_names": [...],
//    "metadata": {...caller's JSON object: label definition, training window, config, metrics...},
//    "files": [{"name": "...", "bytes": N, "sha256": "<64 hex>"}, ...]}
//
// The store does not know what the files mean (XGBoost JSON, MLP weights, calibration tables
// are written and parsed by other code as named byte blobs); it knows names, sizes, SHA-256s and
// the metadata. Writing is atomic: files go to DIR/.tmp-<version>/, are fsynced, checked by
// reading them back, and the directory is renamed into place, so a reader never sees a
// half-written version. Reading never throws on bad content: every problem becomes a Refusal
// with a plain-English reason that the caller logs, counts and shows in /status.
// Files in a version directory that the manifest does not list are ignored.
//
// Not for the hot path: allocates, does file I/O, hashes whole files (learner / control thread).
// May touch: the store directory it is given (write_version creates files in it), nothing else.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hft::model {

inline constexpr std::string_view kStoreFormat = "hftd-model/1";
inline constexpr std::string_view kManifestName = "manifest.json";
// A manifest larger than this is refused unread (a real one is a few KiB; the metadata may hold
// metrics tables, but never megabytes).
inline constexpr std::size_t kMaxManifestBytes = std::size_t{16} << 20;

struct VersionSpec {
  std::vector<std::pair<std::string, std::string>> files;  // name, bytes (any content)
  std::uint64_t feature_schema_hash = 0;
  std::vector<std::string> feature_names;
  std::string metadata_json = "{}";  // a JSON object; empty = {}
};

struct LoadedVersion {
  std::string version;
  std::filesystem::path path;
  std::map<std::string, std::string> files;  // name -> bytes, every size and SHA-256 verified
  std::uint64_t feature_schema_hash = 0;
  std::vector<std::string> feature_names;
  std::string metadata_json;  // the raw text of the manifest's metadata object
  std::string created_utc;
  std::string manifest;       // the whole manifest.json text
};

struct Refusal {
  std::string version;
  std::string file;    // the file at fault, "manifest.json", or "" (the accept callback's refusal)
  std::string reason;  // plain English, e.g. "sha256 mismatch: expected ..., got ..."
};

struct VerifyResult {
  std::optional<LoadedVersion> loaded;  // set when the version is good
  Refusal refusal;                      // set (reason non-empty) when it is not
  bool ok() const noexcept { return loaded.has_value(); }
};

struct StoreLoad {
  std::optional<LoadedVersion> chosen;  // the newest version that passed, if any
  std::vector<Refusal> refusals;        // every refused version, newest first
  std::string reason;                   // why nothing was chosen ("" when chosen)
};

// Is `name` a version name ("v20261206T072236Z-0a1b2c")? Temporary and foreign entries are not.
bool is_version_name(std::string_view name) noexcept;

// Writes a new version and returns its name. The name is later than every version already in
// DIR: within the same second as the newest (or when the clock is behind it), the newest's time
// is kept and the suffix chosen above its own, so the version just written is the one loaded.
// (Two processes writing into one DIR in the same second could pick the same name: the rename
// refuses to replace an existing version and write_version throws; the caller retries.)
// Creates DIR if needed.
// Throws std::invalid_argument for a bad spec (file name empty, with '/', "..", a leading '.',
// control characters, or "manifest.json"; duplicate names; metadata not a JSON object; names
// not UTF-8) and std::runtime_error on an I/O failure (the temporary directory is removed).
std::string write_version(const std::filesystem::path& dir, const VersionSpec& spec);

// Reads and checks one version directory: manifest present, under the size cap, valid JSON of
// the known format, its version equal to the directory name, the feature schema hash equal to
// expected_schema_hash, every listed file present with the listed size and SHA-256.
// Never throws.
VerifyResult verify_version(const std::filesystem::path& version_dir,
                            std::uint64_t expected_schema_hash);

// Version names in DIR, newest first (ignores ".tmp-*" and anything not named like a version).
// A missing or unreadable DIR gives an empty list. Never throws.
std::vector<std::string> list_versions(const std::filesystem::path& dir);

// Tries the versions newest first and returns the first one that verifies and that `accept`
// (when given) accepts. accept parses the files (e.g. builds the evaluator) and returns "" to
// take the version or a reason to refuse it (then the next older version is tried); an
// exception thrown by accept is a refusal with its what() as the reason. Missing or empty DIR:
// no version and a reason, no exception. Never throws (except what allocation failure does).
using AcceptFn = std::function<std::string(const LoadedVersion&)>;
StoreLoad load_newest_valid(const std::filesystem::path& dir, std::uint64_t expected_schema_hash,
                            const AcceptFn& accept = {});

// The manifest's spelling of a schema hash: 16 lowercase hex digits.
std::string schema_hash_hex(std::uint64_t h);
// A JSON string literal (quotes included) for s: ", \ and control characters escaped; other
// bytes (UTF-8) as they are.
std::string json_quote(std::string_view s);

}  // namespace hft::model
