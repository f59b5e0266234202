// Reading a strategy type's own settings (the config entry's params) with the same care as the
// rest of config.yml: each read names its range; finish() refuses settings nobody read (a typo)
// and lists the known ones. Errors are std::invalid_argument "strategies.NAME.KEY: reason".
// Used when a strategy is built (start-up), never on the hot path.
// May touch: strategy/strategy.hpp.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "hft/strategy/strategy.hpp"

namespace hft::strategy {

class Params {
 public:
  explicit Params(const StrategySpec& s) : spec_(s) {}
  // The value of key in [lo, hi] (def when absent).
  double real(std::string_view key, double def, double lo, double hi);
  std::int64_t integer(std::string_view key, std::int64_t def, std::int64_t lo, std::int64_t hi);
  bool boolean(std::string_view key, bool def);
  // One of the words in allowed (def when absent).
  std::string word(std::string_view key, std::string_view def, const std::vector<std::string_view>& allowed);
  void finish() const;  // throws when a setting was not read

 private:
  const std::string* find(std::string_view key);
  [[noreturn]] void fail(std::string_view key, const std::string& why) const;
  const StrategySpec& spec_;
  std::vector<std::string> read_;
};

}  // namespace hft::strategy
