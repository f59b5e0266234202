// hftd: one binary, subcommands. `hftd --help` lists them; each has --help.
#include <cstdio>
#include <cstring>
#include <exception>

#include "build_info.hpp"
#include "cli.hpp"

namespace {

using hft::app::Command;

const Command* const kCommands[] = {
    &hft::app::kRunCommand,
    &hft::app::kReplayCommand,
    &hft::app::kBacktestCommand,
    &hft::app::kBookCommand,
    &hft::app::kConvertCommand,
    &hft::app::kGenCommand,
    &hft::app::kFeaturesCommand,
    &hft::app::kTrainCommand,
    &hft::app::kEvaluateCommand,
    &hft::app::kCheckConfigCommand,
    &hft::app::kPublishCommand,
    &hft::app::kStudyCommand,
};

void print_help() {
  std::printf(
      "hftd: low-latency trading engine for limit-order-book data\n\n"
      "usage: hftd COMMAND [options]     (hftd COMMAND --help for its options; hftd --version)\n\n"
      "commands:\n");
  for (const auto* c : kCommands) std::printf("  %-10s %s\n", c->name, c->summary);
  std::printf(
      "\nSOURCE (market data input) is KIND:PATH, one of\n"
      "  pcap:FILE.pcap        ITCH 5.0 in MoldUDP64 in UDP (pcap or pcapng)\n"
      "  itch:FILE[.gz]        NASDAQ binary ITCH 5.0 file (2-byte length before each message),\n"
      "                        plain or gzip; times from midnight (no date: --date where asked)\n"
      "  lobster:MESSAGE.csv   LOBSTER message file (its orderbook file is found beside it; without\n"
      "                        one, the book starts empty)\n"
      "  dbn:FILE.dbn[.zst]    Databento DBN market-by-order (versions 1-3)\n"
      "  binance:A.gz[,B.gz]   Binance recorder lines (depth diffs, snapshot, bookTicker, trades),\n"
      "                        files read as one stream; scales from the config's instruments\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "version"))) {
    std::printf("%s (commit %s)\n", HFTD_VERSION_STRING, HFTD_COMMIT);
    return 0;
  }
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  for (const auto* c : kCommands) {
    if (std::strcmp(argv[1], c->name) != 0) continue;
    for (int i = 2; i < argc; ++i) {
      if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
        std::printf("usage: hftd %s [options]\n%s\n\n%s", c->name, c->summary, c->usage);
        return 0;
      }
    }
    try {
      return c->run(argc - 1, argv + 1);
    } catch (const hft::app::UsageError& e) {
      std::fprintf(stderr, "hftd %s: %s (see hftd %s --help)\n", c->name, e.what(), c->name);
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hftd %s: error: %s\n", c->name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "hftd: unknown command '%s' (hftd --help lists them)\n", argv[1]);
  return 2;
}
