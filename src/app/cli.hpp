// The hftd command line: a table of subcommands and a small option parser shared by them.
#pragma once
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/feed/source.hpp"

namespace hft::app {

struct Command {
  const char* name;
  const char* summary;
  const char* usage;  // full --help text (options, one a line)
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand name
};

// Every subcommand file defines one of these; main.cpp lists them.
extern const Command kBacktestCommand;
extern const Command kBookCommand;
extern const Command kCheckConfigCommand;
extern const Command kConvertCommand;
extern const Command kFeaturesCommand;
extern const Command kGenCommand;
extern const Command kPublishCommand;
extern const Command kReplayCommand;
extern const Command kRunCommand;
extern const Command kStudyCommand;
extern const Command kTrainCommand;
extern const Command kEvaluateCommand;

// "--name value" and "--flag" options. Unknown options are errors (a typo must not be ignored).
class Options {
 public:
  // value_opts take a value; flag_opts do not.
  Options(int argc, char** argv, const std::vector<std::string>& value_opts,
          const std::vector<std::string>& flag_opts = {});
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  std::string str(const std::string& name, const std::string& def = {}) const;
  // Every value given for a repeatable option, in order.
  std::vector<std::string> all(const std::string& name) const {
    auto it = multi_.find(name);
    return it == multi_.end() ? std::vector<std::string>{} : it->second;
  }
  std::string required(const std::string& name) const;
  std::int64_t integer(const std::string& name, std::int64_t def, std::int64_t lo,
                       std::int64_t hi) const;
  double real(const std::string& name, double def) const;
  bool help() const { return help_; }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> multi_;
  bool help_ = false;
};

// The file named by --config, validated (std::runtime_error listing every error), or the defaults.
config::Config config_option(const Options& o);

// Feed options shared by every command that reads market data (--dst ADDR:PORT).
feed::FeedOptions feed_options(const Options& o);
// After reading a capture: when the destination filter let no frame through but dropped some
// (a config's feed.dst_addr/dst_port, or --dst, naming where the capture was not sent: a day
// from `hftd gen` read with config.yml's NASDAQ group), one line on stderr saying so and how to
// read any destination.
void warn_all_filtered(const feed::SourceStats& st, const feed::FeedOptions& fo);
// After a run of the engine: when instruments past the first system.max_instruments got no
// features or no regime state (their events counted by those stages), one line on stderr saying
// how many events went without, how many instruments the input named and what to raise. A real
// NASDAQ day names about 8,000; the shipped config.yml gives state to 1,024.
void warn_over_capacity(std::uint64_t no_features, std::uint64_t no_regime, std::size_t max_instruments,
                        std::size_t instruments);

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace hft::app
