// Helpers for end-to-end tests that run the hftd binary as a user would.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../common/read_lines.hpp"
#include "../common/unzip_once.hpp"

namespace hft::e2e {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline RunResult run(const std::string& args) {
  const std::string cmd = std::string(HFTD_BINARY) + " " + args + " 2>&1";
  RunResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.output.append(buf, n);
  const int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

using hft::testing::read_lines;

inline std::string tmp(const std::string& name) { return std::string(HFT_TEST_TMP) + "/" + name; }
inline std::string data(const std::string& rel) { return std::string(HFT_SHARED_DATA) + "/" + rel; }

// Unzips a LOBSTER sample once (safe under ctest -j); returns the folder.
inline std::string unzip_sample(const std::string& zip_rel) {
  return hft::testing::unzip_once(data(zip_rel), HFT_TEST_TMP);
}

}  // namespace hft::e2e
