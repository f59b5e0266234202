// Reads a text file into lines (CR before LF dropped), for tests that compare whole files.
#pragma once
#include <fstream>
#include <string>
#include <vector>

namespace hft::testing {

inline std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string l;
  while (std::getline(in, l)) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    lines.push_back(l);
  }
  return lines;
}

}  // namespace hft::testing
