// Files the learn tests share: a per-process temporary path (ctest runs tests as processes in
// parallel) and a generated day with thin books (the mid moves often), written once per process.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>

#include "hft/gen/generator.hpp"

namespace hft::testing {

inline std::string process_tmp(const std::string& name) {
  return std::string(HFT_TEST_TMP) + "/" + name + "-" + std::to_string(::getpid());
}

// `messages` ITCH messages over `instruments` instruments (seed 1), 100 live orders each.
inline std::string thin_day(const std::string& name, std::uint64_t messages, std::uint32_t instruments) {
  const std::string dir = process_tmp(name);
  std::filesystem::create_directories(dir);
  gen::GenConfig g;
  g.messages = messages;
  g.instruments = instruments;
  g.live_target = 100;
  g.out_path = dir + "/day.pcap";
  gen::generate_pcap(g);
  return g.out_path;
}

}  // namespace hft::testing
