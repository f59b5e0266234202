// Generator options of issue 14: the order-flow regime switch and the cointegrated pair.
#include <gtest/gtest.h>

#include <cstdint>

#include "gen_test_util.hpp"
#include "hft/gen/generator.hpp"

namespace gen = hft::gen;

namespace {

std::uint64_t fnv1a(const gen_test::Bytes& b) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint8_t c : b) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

// The hash of a small default day, taken from the generator before these options existed: with
// neither option set, the output must stay byte-identical.
TEST(GeneratorOptions, WithoutTheOptionsTheDayIsUnchanged) {
  gen::GenConfig c;
  c.out_path = gen_test::tmp("golden.pcap");
  c.messages = 60'000;
  c.instruments = 3;
  c.seed = 42;
  gen::generate_pcap(c);
  const std::uint64_t h = fnv1a(gen_test::read_file(c.out_path));
  std::printf("  golden hash %016llx\n", static_cast<unsigned long long>(h));
  EXPECT_EQ(h, 0x9d6db45d57e654f4ull) << "the default day changed";
}
