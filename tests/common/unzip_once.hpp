// Extracts a zip archive of ../shared/data once into the test scratch folder, safely when
// several test processes ask at the same time (ctest -j): each extracts into its own folder
// and publishes it with an atomic rename; the losers of the race use the winner's copy.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace hft::testing {

// Returns the folder holding the extracted files, or an empty string on failure.
inline std::string unzip_once(const std::string& zip_path, const std::string& scratch_root) {
  namespace fs = std::filesystem;
  const std::string name = fs::path(zip_path).stem().string();
  const fs::path done = fs::path(scratch_root) / ("unzipped-" + name);
  if (fs::exists(done)) return done.string();
  const fs::path mine = fs::path(scratch_root) / ("unzipping-" + name + "-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::create_directories(mine, ec);
  const std::string cmd = "unzip -o -q '" + zip_path + "' -d '" + mine.string() + "'";
  if (std::system(cmd.c_str()) != 0) return {};
  fs::rename(mine, done, ec);  // fails when another process published first: use theirs
  if (ec) fs::remove_all(mine, ec);
  return fs::exists(done) ? done.string() : std::string();
}

}  // namespace hft::testing
