// PLACEHOLDER
#include "cli.hpp"
#include <cstdio>
namespace hft::app {
namespace { int run(int, char**) { std::fprintf(stderr, "not yet\n"); return 1; } }
const Command kConvertCommand{"convert", "(placeholder)", "", run};
}  // namespace hft::app
