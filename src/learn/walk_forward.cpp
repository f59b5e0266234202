#include "hft/learn/walk_forward.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace hft::learn {
namespace {

Nanos sat_add(Nanos a, Nanos b) noexcept {  // b >= 0
  return a > std::numeric_limits<Nanos>::max() - b ? std::numeric_limits<Nanos>::max() : a + b;
}

std::vector<std::size_t> range(std::size_t b, std::size_t e) {
  std::vector<std::size_t> r;
  r.reserve(e - b);
  for (std::size_t i = b; i < e; ++i) r.push_back(i);
  return r;
}

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("walk_forward: " + what); }

}  // namespace

BlockedSpan blocked_span(std::span<const Nanos> t, std::span<const Nanos> t_end,
                         std::span<const std::size_t> block, Nanos embargo_ns) {
  if (block.empty()) bad("blocked_span of an empty block");
  BlockedSpan s{std::numeric_limits<Nanos>::max(), std::numeric_limits<Nanos>::min()};
  for (std::size_t i : block) {
    s.from = std::min(s.from, t[i]);
    s.to = std::max(s.to, t_end[i]);
  }
  s.to = sat_add(s.to, std::max<Nanos>(embargo_ns, 0));
  return s;
}

std::size_t purge(std::span<const Nanos> t, std::span<const Nanos> t_end, std::vector<std::size_t>& rows,
                  BlockedSpan span) {
  const std::size_t before = rows.size();
  std::erase_if(rows, [&](std::size_t i) { return t_end[i] >= span.from && t[i] <= span.to; });
  return before - rows.size();
}

void check_times(std::span<const Nanos> t, std::span<const Nanos> t_end) {
  if (t.size() != t_end.size())
    bad("t has " + std::to_string(t.size()) + " rows but t_end has " + std::to_string(t_end.size()));
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i > 0 && t[i] < t[i - 1])
      bad("sample times not sorted: t[" + std::to_string(i) + "] = " + std::to_string(t[i]) + " < t[" +
          std::to_string(i - 1) + "] = " + std::to_string(t[i - 1]));
    if (t_end[i] < t[i])
      bad("label window ends before it starts: t_end[" + std::to_string(i) + "] = " + std::to_string(t_end[i]) +
          " < t = " + std::to_string(t[i]));
  }
}

std::vector<Fold> walk_forward(std::span<const Nanos> t, std::span<const Nanos> t_end,
                               const WalkForwardConfig& cfg) {
  check_times(t, t_end);
  // Negated comparisons also reject NaN.
  if (cfg.folds == 0) bad("folds must be at least 1");
  if (!(cfg.min_train_fraction > 0 && cfg.min_train_fraction < 1)) bad("min_train_fraction must be in (0, 1)");
  if (!(cfg.valid_fraction >= 0 && cfg.valid_fraction < 1)) bad("valid_fraction must be in [0, 1)");
  if (cfg.embargo_ns < 0) bad("embargo_ns must be >= 0");
  const std::size_t n = t.size();
  const auto head = static_cast<std::size_t>(std::floor(cfg.min_train_fraction * static_cast<double>(n)));
  if (head == 0 || n - head < cfg.folds)
    bad(std::to_string(n) + " rows are too few for a train-only head of " + std::to_string(cfg.min_train_fraction) +
        " and " + std::to_string(cfg.folds) + " test folds of at least one row");
  const std::size_t m = n - head;

  std::vector<Fold> out;
  out.reserve(cfg.folds);
  for (std::size_t k = 0; k < cfg.folds; ++k) {
    const std::size_t test_begin = head + k * m / cfg.folds;
    const std::size_t test_end = head + (k + 1) * m / cfg.folds;
    const std::size_t train_begin = cfg.expanding ? 0 : test_begin - head;
    const std::size_t window = test_begin - train_begin;
    std::size_t n_valid = 0;
    if (cfg.valid_fraction > 0) {
      n_valid = std::max<std::size_t>(
          1, static_cast<std::size_t>(std::llround(cfg.valid_fraction * static_cast<double>(window))));
      if (n_valid >= window)
        bad("fold " + std::to_string(k) + ": a training window of " + std::to_string(window) +
            " rows is too short for a validation slice");
    }
    const std::size_t valid_begin = test_begin - n_valid;

    Fold f;
    f.test = range(test_begin, test_end);
    const BlockedSpan test_span = blocked_span(t, t_end, f.test, cfg.embargo_ns);
    f.valid = range(valid_begin, test_begin);
    f.purged_valid = purge(t, t_end, f.valid, test_span);
    if (n_valid > 0 && f.valid.empty())
      bad("fold " + std::to_string(k) + ": every validation row overlaps the test fold (label windows longer than " +
          "the validation slice)");
    f.train = range(train_begin, valid_begin);
    f.purged_train = purge(t, t_end, f.train, test_span);
    if (!f.valid.empty()) f.purged_train += purge(t, t_end, f.train, blocked_span(t, t_end, f.valid, cfg.embargo_ns));
    if (f.train.empty())
      bad("fold " + std::to_string(k) + ": no training rows left after purging (label windows longer than the " +
          "training window)");
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Fold> purged_kfold(std::span<const Nanos> t, std::span<const Nanos> t_end, std::size_t k,
                               Nanos embargo_ns) {
  check_times(t, t_end);
  if (k < 2) bad("purged_kfold needs k >= 2");
  if (embargo_ns < 0) bad("embargo_ns must be >= 0");
  const std::size_t n = t.size();
  if (n < k) bad(std::to_string(n) + " rows are too few for " + std::to_string(k) + " folds");
  std::vector<Fold> out;
  out.reserve(k);
  for (std::size_t j = 0; j < k; ++j) {
    const std::size_t b = j * n / k, e = (j + 1) * n / k;
    Fold f;
    f.test = range(b, e);
    f.train = range(0, b);
    const std::vector<std::size_t> after = range(e, n);
    f.train.insert(f.train.end(), after.begin(), after.end());
    f.purged_train = purge(t, t_end, f.train, blocked_span(t, t_end, f.test, embargo_ns));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace hft::learn
