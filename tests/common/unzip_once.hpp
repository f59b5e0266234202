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

// The message file of a LOBSTER 2012-06-21 sample of ../shared/data (ticker AMZN or AAPL, levels
// 1 or 5), extracted once into HFT_TEST_TMP/<sub>; "" (and a test failure) if it cannot be.
inline std::string lobster_sample(const std::string& ticker, int levels, const std::string& sub) {
  const std::string zip = std::string(HFT_SHARED_DATA) + "/lobster-2012-06-21/LOBSTER_SampleFile_" + ticker +
                          "_2012-06-21_" + std::to_string(levels) + ".zip";
  const std::string tmp = std::string(HFT_TEST_TMP) + "/" + sub;
  std::filesystem::create_directories(tmp);
  const std::string dir = unzip_once(zip, tmp);
  if (dir.empty()) return {};
  return dir + "/" + ticker + "_2012-06-21_34200000_57600000_message_" + std::to_string(levels) + ".csv";
}

}  // namespace hft::testing
