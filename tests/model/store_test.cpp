#include "hft/model/store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <string>

#include "hft/model/sha256.hpp"

namespace {

namespace fs = std::filesystem;
using namespace hft::model;

constexpr std::uint64_t kSchema = 0x0123456789abcdefULL;

// A fresh directory per test under the build's test-tmp (removed at the start, kept after a
// failure for a look).
fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(HFT_TEST_TMP) / "model_store" / name;
  fs::remove_all(d);
  fs::create_directories(d.parent_path());
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

VersionSpec spec(const std::string& tag, std::uint64_t schema = kSchema) {
  VersionSpec s;
  std::string blob;
  for (int i = 0; i < 1000; ++i) blob.push_back(static_cast<char>(i * 37));
  s.files = {{"model.json", "{\"trees\": \"" + tag + "\"}"}, {"weights.bin", blob + tag}, {"empty", ""}};
  s.feature_schema_hash = schema;
  s.feature_names = {"imbalance", "spread \"ticks\"", "ret\\1s\n", "vol_\xc3\xa9"};
  s.metadata_json = "  {\"label\": {\"h_ns\": 1000000000, \"kind\": \"mid sign\"}, \"tag\": \"" + tag +
                    "\", \"metrics\": [0.51, 0.49]}\n";
  return s;
}

TEST(ModelStore, VersionNames) {
  EXPECT_TRUE(is_version_name("v20261206T072236Z-0a1b2c"));
  EXPECT_FALSE(is_version_name(".tmp-v20261206T072236Z-0a1b2c"));
  EXPECT_FALSE(is_version_name("v20261206T072236Z-0A1B2C"));
  EXPECT_FALSE(is_version_name("v20261206T072236Z-0a1b2"));
  EXPECT_FALSE(is_version_name("v2026120xT072236Z-0a1b2c"));
  EXPECT_FALSE(is_version_name("latest"));
  EXPECT_EQ(schema_hash_hex(0xabcULL), "0000000000000abc");
  EXPECT_EQ(json_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(ModelStore, RoundTrip) {
  const fs::path dir = fresh_dir("round_trip");
  const VersionSpec s = spec("one");
  const std::string v = write_version(dir, s);
  EXPECT_TRUE(is_version_name(v)) << v;
  EXPECT_TRUE(fs::is_directory(dir / v));
  EXPECT_EQ(list_versions(dir), std::vector<std::string>{v});
  // No temporary directory left behind.
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename().string(), v);

  const StoreLoad load = load_newest_valid(dir, kSchema);
  ASSERT_TRUE(load.chosen) << load.reason;
  EXPECT_TRUE(load.refusals.empty());
  const LoadedVersion& lv = *load.chosen;
  EXPECT_EQ(lv.version, v);
  EXPECT_EQ(lv.path, dir / v);
  EXPECT_EQ(lv.feature_schema_hash, kSchema);
  EXPECT_EQ(lv.feature_names, s.feature_names);
  EXPECT_EQ(lv.metadata_json,
            "{\"label\": {\"h_ns\": 1000000000, \"kind\": \"mid sign\"}, \"tag\": \"one\", \"metrics\": [0.51, 0.49]}");
  ASSERT_EQ(lv.files.size(), s.files.size());
  for (const auto& [name, bytes] : s.files) EXPECT_EQ(lv.files.at(name), bytes) << name;
  EXPECT_EQ(lv.manifest, slurp(dir / v / "manifest.json"));
  EXPECT_EQ(lv.created_utc.size(), 20u);
  EXPECT_NE(lv.manifest.find("\"format\": \"hftd-model/1\""), std::string::npos);
  EXPECT_NE(lv.manifest.find("\"feature_schema_hash\": \"0123456789abcdef\""), std::string::npos);
  // The manifest's checksums are the files' (an independent path: sha256_file on the disk).
  EXPECT_NE(lv.manifest.find(sha256_file(dir / v / "weights.bin")), std::string::npos);

  const VerifyResult vr = verify_version(dir / v, kSchema);
  EXPECT_TRUE(vr.ok()) << vr.refusal.reason;
}

TEST(ModelStore, NewerVersionsSortLast) {
  const fs::path dir = fresh_dir("order");
  std::vector<std::string> written;
  for (int i = 0; i < 4; ++i) written.push_back(write_version(dir, spec("n" + std::to_string(i))));
  for (std::size_t i = 1; i < written.size(); ++i) EXPECT_LT(written[i - 1], written[i]);
  const std::vector<std::string> listed = list_versions(dir);
  EXPECT_EQ(listed, std::vector<std::string>(written.rbegin(), written.rend()));
  const StoreLoad load = load_newest_valid(dir, kSchema);
  ASSERT_TRUE(load.chosen);
  EXPECT_EQ(load.chosen->version, written.back());
  EXPECT_NE(load.chosen->metadata_json.find("\"n3\""), std::string::npos);
}

TEST(ModelStore, FlippedByteFallsBackToPrevious) {
  const fs::path dir = fresh_dir("flipped");
  const std::string old_v = write_version(dir, spec("old"));
  const std::string new_v = write_version(dir, spec("new"));
  const fs::path f = dir / new_v / "weights.bin";
  std::string bytes = slurp(f);
  bytes[500] = static_cast<char>(bytes[500] ^ 0x01);
  spit(f, bytes);

  const StoreLoad load = load_newest_valid(dir, kSchema);
  ASSERT_TRUE(load.chosen);
  EXPECT_EQ(load.chosen->version, old_v);
  ASSERT_EQ(load.refusals.size(), 1u);
  EXPECT_EQ(load.refusals[0].version, new_v);
  EXPECT_EQ(load.refusals[0].file, "weights.bin");
  EXPECT_NE(load.refusals[0].reason.find("sha256 mismatch: expected "), std::string::npos) << load.refusals[0].reason;
  EXPECT_NE(load.refusals[0].reason.find(sha256_file(f)), std::string::npos);  // "got" the actual one
}

TEST(ModelStore, WrongChecksumInManifest) {
  const fs::path dir = fresh_dir("wrong_sum");
  const std::string old_v = write_version(dir, spec("old"));
  const std::string new_v = write_version(dir, spec("new"));
  const fs::path m = dir / new_v / "manifest.json";
  std::string text = slurp(m);
  const std::string good = sha256_hex(spec("new").files[0].second);
  const std::size_t at = text.find(good);
  ASSERT_NE(at, std::string::npos);
  std::string bad = good;
  bad[0] = bad[0] == '0' ? '1' : '0';
  text.replace(at, good.size(), bad);
  spit(m, text);

  const StoreLoad load = load_newest_valid(dir, kSchema);
  ASSERT_TRUE(load.chosen);
  EXPECT_EQ(load.chosen->version, old_v);
  ASSERT_EQ(load.refusals.size(), 1u);
  EXPECT_EQ(load.refusals[0].file, "model.json");
  EXPECT_EQ(load.refusals[0].reason, "sha256 mismatch: expected " + bad + ", got " + good);
}

TEST(ModelStore, SizeMismatchAndMissingFile) {
  const fs::path dir = fresh_dir("size");
  const std::string v1 = write_version(dir, spec("a"));
  const std::string v2 = write_version(dir, spec("b"));
  const std::string v3 = write_version(dir, spec("c"));
  spit(dir / v3 / "weights.bin", "short");  // truncated
  fs::remove(dir / v2 / "model.json");
  const StoreLoad load = load_newest_valid(dir, kSchema);
  ASSERT_TRUE(load.chosen);
  EXPECT_EQ(load.chosen->version, v1);
  ASSERT_EQ(load.refusals.size(), 2u);
  EXPECT_EQ(load.refusals[0].version, v3);
  EXPECT_EQ(load.refusals[0].file, "weights.bin");
  EXPECT_EQ(load.refusals[0].reason, "size mismatch: manifest says 1001 bytes, file has 5");
  EXPECT_EQ(load.refusals[1].version, v2);
  EXPECT_EQ(load.refusals[1].file, "model.json");
  EXPECT_EQ(load.refusals[1].reason, "missing file");
}

TEST(ModelStore, OtherFeatureSchemaRefused) {
  const fs::path dir = fresh_dir("schema");
  const std::string old_v = write_version(dir, spec("old"));
  const std::string new_v = write_version(dir, spec("new", 0x4567000000000001ULL));
  const StoreLoad load = load_newest_valid(dir, kSchema);
  ASSERT_TRUE(load.chosen);
  EXPECT_EQ(load.chosen->version, old_v);
  ASSERT_EQ(load.refusals.size(), 1u);
  EXPECT_EQ(load.refusals[0].version, new_v);
  EXPECT_EQ(load.refusals[0].file, "manifest.json");
  EXPECT_EQ(load.refusals[0].reason, "feature schema hash 4567000000000001 differs from the engine's 0123456789abcdef");
}

TEST(ModelStore, BadManifests) {
  const fs::path dir = fresh_dir("bad_manifest");
  const std::string good = write_version(dir, spec("good"));
  const std::string text = slurp(dir / good / "manifest.json");
  // Each case: a copy of the good version under a newer name with its manifest replaced.
  struct Case {
    std::string manifest;
    std::string reason_part;
  };
  const std::string vname_base = "v29990101T000000Z-";
  auto with_version = [&](const std::string& v) {
    std::string t = text;
    t.replace(t.find(good), good.size(), v);
    return t;
  };
  std::vector<Case> cases = {
      {"", "empty manifest.json"},
      {"this is not json", "not valid JSON"},
      {"[1, 2, 3]", "not a JSON object"},
      {"{\"format\": 1}", "no \"format\" string"},
      {"{\"format\": \"hftd-model/9\"}", "unknown format \"hftd-model/9\""},
      {std::string(10, '\0'), "not valid JSON"},
      {"{\"format\": \"hftd-model/1\", \"version\": \"v20000101T000000Z-000000\"}", "but the directory is"},
  };
  // Truncated: every prefix length class (cut mid-string, mid-number, before the last brace).
  for (std::size_t cut : {std::size_t{1}, std::size_t{20}, std::size_t{200}}) {
    cases.push_back({"", "not valid JSON"});
    cases.back().manifest = "T" + std::to_string(cut);  // placeholder, filled below with the version
  }
  // Wrong types in a well-formed manifest.
  const std::string wb = "\"bytes\": " + std::to_string(spec("good").files[1].second.size());
  const std::vector<std::pair<std::string, std::string>> swaps = {
      {"\"feature_schema_hash\": \"0123456789abcdef\"", "\"feature_schema_hash\": 81985529216486895"},
      {"\"feature_schema_hash\": \"0123456789abcdef\"", "\"feature_schema_hash\": \"0123456789abcdeg\""},
      {"\"feature_names\": [", "\"feature_names\": [1, "},
      {"\"metadata\": {", "\"metadata\": \"x\", \"m2\": {"},
      {"\"files\": [", "\"files\": [7, "},
      {wb, "\"bytes\": -1"},
      {wb, "\"bytes\": 1.5e300"},
      {wb, "\"bytes\": 18446744073709551615"},  // huge claimed size: never allocated
      {"\"name\": \"model.json\"", "\"name\": \"../../etc/passwd\""},
      {"\"name\": \"model.json\"", "\"name\": \"manifest.json\""},
      {"\"name\": \"model.json\"", "\"name\": \"empty\""},  // listed twice
      {"\"sha256\": \"", "\"sha256\": \"zz"},
  };
  const std::vector<std::string> swap_reasons = {
      "no \"feature_schema_hash\" string", "is not 16 hex digits", "not a string", "no \"metadata\" object",
      "not an object", "no \"bytes\" count", "no \"bytes\" count", "size mismatch", "unsafe name",
      "unsafe name", "listed twice", "is not 64 hex digits"};
  ASSERT_EQ(swaps.size(), swap_reasons.size());

  std::vector<std::string> names;
  std::vector<std::string> expect;
  std::size_t k = 0;
  auto make = [&](const std::string& reason_part, const std::function<std::string(const std::string&)>& mk) {
    char suffix[8];
    std::snprintf(suffix, sizeof(suffix), "%06zx", k++);
    const std::string v = vname_base + suffix;
    fs::copy(dir / good, dir / v);
    spit(dir / v / "manifest.json", mk(v));
    names.push_back(v);
    expect.push_back(reason_part);
  };
  for (const Case& c : cases) {
    if (!c.manifest.empty() && c.manifest[0] == 'T') {
      const std::size_t cut = std::stoul(c.manifest.substr(1));
      make(c.reason_part, [&](const std::string& v) { return with_version(v).substr(0, cut); });
    } else {
      make(c.reason_part, [&](const std::string&) { return c.manifest; });
    }
  }
  for (std::size_t i = 0; i < swaps.size(); ++i) {
    make(swap_reasons[i], [&](const std::string& v) {
      std::string t = with_version(v);
      const std::size_t at = t.find(swaps[i].first);
      EXPECT_NE(at, std::string::npos) << swaps[i].first;
      if (at != std::string::npos) t.replace(at, swaps[i].first.size(), swaps[i].second);
      return t;
    });
  }
  // The version with no manifest at all, and a directory of garbage files.
  {
    const std::string v = vname_base + "ffff00";
    fs::create_directories(dir / v);
    spit(dir / v / "junk", "\x01\x02garbage");
    names.push_back(v);
    expect.push_back("not a model version: no manifest.json");
  }

  const StoreLoad load = load_newest_valid(dir, kSchema);
  ASSERT_TRUE(load.chosen) << load.reason;
  EXPECT_EQ(load.chosen->version, good);
  ASSERT_EQ(load.refusals.size(), names.size());
  // Refusals come newest first: names sorted descending.
  std::vector<std::size_t> order(names.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return names[a] > names[b]; });
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Refusal& r = load.refusals[i];
    EXPECT_EQ(r.version, names[order[i]]);
    EXPECT_NE(r.reason.find(expect[order[i]]), std::string::npos)
        << r.version << ": '" << r.reason << "' lacks '" << expect[order[i]] << "'";
  }
}

TEST(ModelStore, OversizedManifestRefusedUnread) {
  const fs::path dir = fresh_dir("big_manifest");
  const std::string v = "v20260101T000000Z-000001";
  fs::create_directories(dir / v);
  {
    std::ofstream out(dir / v / "manifest.json", std::ios::binary);
    out << "{\"format\": \"hftd-model/1\", \"metadata\": \"";
    out.seekp(static_cast<std::streamoff>(kMaxManifestBytes) + 10);  // sparse: cheap to make
    out << "\"}";
  }
  const VerifyResult r = verify_version(dir / v, kSchema);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.refusal.file, "manifest.json");
  EXPECT_NE(r.refusal.reason.find("16 MiB cap"), std::string::npos) << r.refusal.reason;
}

TEST(ModelStore, EmptyAndMissingDirectories) {
  const fs::path dir = fresh_dir("empty");
  fs::create_directories(dir);
  StoreLoad load = load_newest_valid(dir, kSchema);
  EXPECT_FALSE(load.chosen);
  EXPECT_TRUE(load.refusals.empty());
  EXPECT_EQ(load.reason, "no model versions in " + dir.string());

  load = load_newest_valid(dir / "nope", kSchema);
  EXPECT_FALSE(load.chosen);
  EXPECT_EQ(load.reason, "model store " + (dir / "nope").string() + " does not exist");
  EXPECT_TRUE(list_versions(dir / "nope").empty());

  spit(dir / "plain_file", "x");
  load = load_newest_valid(dir / "plain_file", kSchema);
  EXPECT_FALSE(load.chosen);
  EXPECT_NE(load.reason.find("is not a directory"), std::string::npos);

  const VerifyResult r = verify_version(dir / "v20260101T000000Z-000001", kSchema);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.refusal.reason.find("does not exist"), std::string::npos);
}

TEST(ModelStore, AllRefusedGivesReason) {
  const fs::path dir = fresh_dir("all_refused");
  write_version(dir, spec("a", 1));
  write_version(dir, spec("b", 2));
  const StoreLoad load = load_newest_valid(dir, kSchema);
  EXPECT_FALSE(load.chosen);
  EXPECT_EQ(load.refusals.size(), 2u);
  EXPECT_EQ(load.reason, "all 2 model versions in " + dir.string() + " were refused");
}

TEST(ModelStore, AcceptCallbackRefusingNewest) {
  const fs::path dir = fresh_dir("accept");
  const std::string v1 = write_version(dir, spec("v1"));
  const std::string v2 = write_version(dir, spec("v2"));
  const std::string v3 = write_version(dir, spec("v3"));
  std::vector<std::string> seen;
  const StoreLoad load = load_newest_valid(dir, kSchema, [&](const LoadedVersion& lv) -> std::string {
    seen.push_back(lv.version);
    if (lv.version == v3) return "model.json: parse error at byte 3";
    if (lv.version == v2) throw std::runtime_error("bad tree count");
    return {};
  });
  ASSERT_TRUE(load.chosen);
  EXPECT_EQ(load.chosen->version, v1);
  EXPECT_EQ(seen, (std::vector<std::string>{v3, v2, v1}));
  ASSERT_EQ(load.refusals.size(), 2u);
  EXPECT_EQ(load.refusals[0].version, v3);
  EXPECT_EQ(load.refusals[0].file, "");
  EXPECT_EQ(load.refusals[0].reason, "model.json: parse error at byte 3");
  EXPECT_EQ(load.refusals[1].version, v2);
  EXPECT_NE(load.refusals[1].reason.find("bad tree count"), std::string::npos);
}

TEST(ModelStore, LeftoverTmpAndForeignEntriesIgnored) {
  const fs::path dir = fresh_dir("tmp_left");
  const std::string v = write_version(dir, spec("real"));
  // A crashed writer's half-written version, newer than the real one, and foreign entries.
  const fs::path tmp = dir / ".tmp-v29991231T235959Z-ffffff";
  fs::create_directories(tmp);
  spit(tmp / "model.json", "{\"half");
  fs::create_directories(dir / "latest");
  spit(dir / "README", "not a version");
  spit(dir / "v29991231T235959Z-fffffe", "a file named like a version");
  EXPECT_EQ(list_versions(dir), std::vector<std::string>{v});
  const StoreLoad load = load_newest_valid(dir, kSchema);
  ASSERT_TRUE(load.chosen);
  EXPECT_EQ(load.chosen->version, v);
  EXPECT_TRUE(load.refusals.empty());
  // A new write still sorts after the real version and leaves the stale tmp alone.
  const std::string v2 = write_version(dir, spec("next"));
  EXPECT_GT(v2, v);
  EXPECT_TRUE(fs::exists(tmp));
}

TEST(ModelStore, WriteRejectsBadSpecs) {
  const fs::path dir = fresh_dir("bad_spec");
  const std::vector<std::string> bad_names = {"", "a/b", "..", "x..y", ".hidden", "manifest.json", "a\nb",
                                              "\xff\xfe"};
  for (const std::string& bad : bad_names) {
    VersionSpec s = spec("x");
    s.files.push_back({bad, "data"});
    EXPECT_THROW(write_version(dir, s), std::invalid_argument) << bad;
  }
  VersionSpec dup = spec("x");
  dup.files.push_back(dup.files[0]);
  EXPECT_THROW(write_version(dir, dup), std::invalid_argument);
  for (const std::string& meta : std::vector<std::string>{"[1]", "{\"a\": ", "not json", "\"s\""}) {
    VersionSpec s = spec("x");
    s.metadata_json = meta;
    EXPECT_THROW(write_version(dir, s), std::invalid_argument) << meta;
  }
  // Nothing was written for the refused specs.
  EXPECT_TRUE(list_versions(dir).empty());
  // Empty metadata means {} and a version with no files is allowed.
  VersionSpec minimal;
  minimal.metadata_json = "";
  minimal.feature_schema_hash = kSchema;
  const std::string v = write_version(dir, minimal);
  const StoreLoad load = load_newest_valid(dir, kSchema);
  ASSERT_TRUE(load.chosen) << (load.refusals.empty() ? load.reason : load.refusals[0].reason);
  EXPECT_EQ(load.chosen->version, v);
  EXPECT_EQ(load.chosen->metadata_json, "{}");
  EXPECT_TRUE(load.chosen->files.empty());
  EXPECT_TRUE(load.chosen->feature_names.empty());
}

}  // namespace
