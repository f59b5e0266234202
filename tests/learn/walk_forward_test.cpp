#include "hft/learn/walk_forward.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <vector>

namespace {

using hft::Nanos;
using namespace hft::learn;

// Closed label windows [t_i, e_i] and [t_j, e_j] intersect.
bool overlap(const std::vector<Nanos>& t, const std::vector<Nanos>& e, std::size_t i, std::size_t j) {
  return t[i] <= e[j] && t[j] <= e[i];
}

std::vector<std::size_t> iota(std::size_t b, std::size_t e) {
  std::vector<std::size_t> r;
  for (std::size_t i = b; i < e; ++i) r.push_back(i);
  return r;
}

// Synthetic times: steps of 0..20 ns (ties included), label windows of h or a varying length
// (so that t_end is not sorted).
struct Times {
  std::vector<Nanos> t, e;
};
Times synth(std::size_t n, Nanos h, bool varying) {
  Times s;
  std::uint32_t x = 7;
  Nanos now = 1'000;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    now += static_cast<Nanos>((x >> 16) % 21);
    s.t.push_back(now);
    s.e.push_back(now + (varying ? static_cast<Nanos>((x >> 8) % static_cast<std::uint32_t>(2 * h + 1)) : h));
  }
  return s;
}

TEST(WalkForward, HandExample) {
  std::vector<Nanos> t, e;
  for (Nanos i = 0; i < 10; ++i) {
    t.push_back(i);
    e.push_back(i + 2);
  }
  WalkForwardConfig cfg;
  cfg.folds = 2;
  cfg.min_train_fraction = 0.6;
  cfg.valid_fraction = 0;
  const std::vector<Fold> f = walk_forward(t, e, cfg);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].test, (std::vector<std::size_t>{6, 7}));
  EXPECT_EQ(f[0].train, (std::vector<std::size_t>{0, 1, 2, 3}));  // rows 4, 5 end at 6, 7
  EXPECT_EQ(f[0].purged_train, 2u);
  EXPECT_TRUE(f[0].valid.empty());
  EXPECT_EQ(f[1].test, (std::vector<std::size_t>{8, 9}));
  EXPECT_EQ(f[1].train, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5}));

  // With a validation slice of 2 rows in fold 0: rows 4, 5 validate (purged: both reach t = 6),
  // so that slice would be empty -> refused; with 3 rows (3, 4, 5), row 3 (ends at 5) is kept,
  // and training is purged against it: rows 1, 2 end at 3, 4 >= t = 3.
  cfg.valid_fraction = 2.0 / 6.0;
  EXPECT_THROW(walk_forward(t, e, cfg), std::invalid_argument);
  cfg.valid_fraction = 0.5;
  const std::vector<Fold> g = walk_forward(t, e, cfg);
  EXPECT_EQ(g[0].valid, (std::vector<std::size_t>{3}));
  EXPECT_EQ(g[0].purged_valid, 2u);
  EXPECT_EQ(g[0].train, (std::vector<std::size_t>{0}));
  EXPECT_EQ(g[0].purged_train, 2u);
}

// Every property against a brute-force reference, exhaustively over all pairs, on several
// configurations (expanding, rolling, fixed and varying label windows, with and without a
// validation slice).
TEST(WalkForward, PurgedExactlyTheOverlappingRows) {
  for (bool varying : {false, true}) {
    for (bool expanding : {true, false}) {
      for (double vf : {0.0, 0.2}) {
        const Times s = synth(240, 60, varying);
        WalkForwardConfig cfg;
        cfg.folds = 5;
        cfg.min_train_fraction = 0.4;
        cfg.valid_fraction = vf;
        cfg.expanding = expanding;
        const std::vector<Fold> folds = walk_forward(s.t, s.e, cfg);
        ASSERT_EQ(folds.size(), 5u);
        const std::size_t n = s.t.size(), head = 96;
        std::size_t next = head;
        for (std::size_t k = 0; k < folds.size(); ++k) {
          const Fold& f = folds[k];
          SCOPED_TRACE("varying " + std::to_string(varying) + " expanding " + std::to_string(expanding) + " vf " +
                       std::to_string(vf) + " fold " + std::to_string(k));
          // Test folds: contiguous, in order, no overlap, together the rows after the head.
          ASSERT_FALSE(f.test.empty());
          EXPECT_EQ(f.test, iota(next, next + f.test.size()));
          next += f.test.size();
          const std::size_t test_begin = f.test.front();
          const std::size_t train_begin = expanding ? 0 : test_begin - head;
          const std::size_t window = test_begin - train_begin;
          const std::size_t n_valid = vf > 0 ? static_cast<std::size_t>(std::llround(vf * static_cast<double>(window))) : 0;
          const std::size_t valid_begin = test_begin - n_valid;

          // No training or validation label window touches the test fold's, nor (training)
          // a kept validation row's: every pair.
          for (std::size_t i : f.train) {
            for (std::size_t j : f.test) ASSERT_FALSE(overlap(s.t, s.e, i, j)) << i << " " << j;
            for (std::size_t j : f.valid) ASSERT_FALSE(overlap(s.t, s.e, i, j)) << i << " " << j;
            ASSERT_LT(s.e[i], s.t[test_begin]);
          }
          for (std::size_t i : f.valid) {
            for (std::size_t j : f.test) ASSERT_FALSE(overlap(s.t, s.e, i, j)) << i << " " << j;
          }
          // Nothing more removed: the brute-force reference.
          std::vector<std::size_t> ref_valid, ref_train;
          for (std::size_t i = valid_begin; i < test_begin; ++i) {
            bool ok = true;
            for (std::size_t j : f.test) ok = ok && !overlap(s.t, s.e, i, j);
            if (ok) ref_valid.push_back(i);
          }
          for (std::size_t i = train_begin; i < valid_begin; ++i) {
            bool ok = true;
            for (std::size_t j : f.test) ok = ok && !overlap(s.t, s.e, i, j);
            for (std::size_t j : ref_valid) ok = ok && !overlap(s.t, s.e, i, j);
            if (ok) ref_train.push_back(i);
          }
          EXPECT_EQ(f.valid, ref_valid);
          EXPECT_EQ(f.train, ref_train);
          EXPECT_EQ(f.purged_valid, n_valid - ref_valid.size());
          EXPECT_EQ(f.purged_train, valid_begin - train_begin - ref_train.size());
          EXPECT_GT(f.purged_train + f.purged_valid, 0u);  // windows of ~60 ns over ~10 ns steps do overlap
        }
        EXPECT_EQ(next, n);
      }
    }
  }
}

TEST(WalkForward, EmbargoDoesNotChangeWalkForward) {
  const Times s = synth(120, 40, true);
  WalkForwardConfig cfg;
  cfg.folds = 3;
  const std::vector<Fold> a = walk_forward(s.t, s.e, cfg);
  cfg.embargo_ns = std::numeric_limits<Nanos>::max();  // also: no overflow
  const std::vector<Fold> b = walk_forward(s.t, s.e, cfg);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].train, b[k].train);
    EXPECT_EQ(a[k].valid, b[k].valid);
    EXPECT_EQ(a[k].test, b[k].test);
  }
}

TEST(PurgedKFold, EmbargoHandExample) {
  std::vector<Nanos> t, e;
  for (Nanos i = 0; i < 10; ++i) {
    t.push_back(10 * i);
    e.push_back(10 * i + 5);
  }
  // Block 1 = rows 2, 3 (t 20, 30; labels end by 35). No overlap with anyone (h = 5 < step).
  std::vector<Fold> f = purged_kfold(t, e, 5, 0);
  EXPECT_EQ(f[1].test, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(f[1].train, (std::vector<std::size_t>{0, 1, 4, 5, 6, 7, 8, 9}));
  // Embargo 20: rows starting in (35, 55] are dropped: 4 (t 40) and 5 (t 50); 6 (t 60) kept.
  f = purged_kfold(t, e, 5, 20);
  EXPECT_EQ(f[1].train, (std::vector<std::size_t>{0, 1, 6, 7, 8, 9}));
  EXPECT_EQ(f[1].purged_train, 2u);
  // Only after the block: the rows before it are untouched.
  EXPECT_EQ(f[4].train, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(f[0].train, (std::vector<std::size_t>{4, 5, 6, 7, 8, 9}));
}

TEST(PurgedKFold, MatchesBruteForceWithEmbargo) {
  const Times s = synth(150, 50, true);
  for (Nanos emb : {Nanos{0}, Nanos{30}, Nanos{200}}) {
    const std::vector<Fold> folds = purged_kfold(s.t, s.e, 5, emb);
    ASSERT_EQ(folds.size(), 5u);
    std::size_t covered = 0;
    for (const Fold& f : folds) {
      EXPECT_EQ(f.test.front(), covered);
      covered += f.test.size();
      Nanos last_end = std::numeric_limits<Nanos>::min();
      for (std::size_t j : f.test) last_end = std::max(last_end, s.e[j]);
      const std::set<std::size_t> test(f.test.begin(), f.test.end());
      std::vector<std::size_t> ref;
      std::size_t embargoed = 0;
      for (std::size_t i = 0; i < s.t.size(); ++i) {
        if (test.count(i)) continue;
        bool ok = true;
        for (std::size_t j : f.test) ok = ok && !overlap(s.t, s.e, i, j);
        const bool in_embargo = s.t[i] > last_end && s.t[i] <= last_end + emb;
        if (ok && in_embargo) ++embargoed;
        if (ok && !in_embargo) ref.push_back(i);
      }
      EXPECT_EQ(f.train, ref) << "embargo " << emb;
      if (emb == 200 && f.test.back() + 1 < s.t.size()) {
        EXPECT_GT(embargoed, 0u);
      }
    }
    EXPECT_EQ(covered, s.t.size());
  }
}

TEST(PurgeHelpers, SpanAndPurge) {
  const std::vector<Nanos> t = {0, 10, 20, 30, 40}, e = {5, 25, 22, 35, 41};
  const std::vector<std::size_t> block = {2, 3};
  const BlockedSpan sp = blocked_span(t, e, block, 3);
  EXPECT_EQ(sp.from, 20);
  EXPECT_EQ(sp.to, 38);
  std::vector<std::size_t> rows = {0, 1, 4};
  EXPECT_EQ(purge(t, e, rows, sp), 1u);  // row 1 (10..25) reaches 20; row 4 starts at 40 > 38
  EXPECT_EQ(rows, (std::vector<std::size_t>{0, 4}));
  EXPECT_EQ(blocked_span(t, e, block, std::numeric_limits<Nanos>::max()).to, std::numeric_limits<Nanos>::max());
  EXPECT_THROW(blocked_span(t, e, {}, 0), std::invalid_argument);
}

TEST(WalkForward, BadInputsThrow) {
  const Times s = synth(100, 10, false);
  WalkForwardConfig cfg;
  // Unsorted times.
  std::vector<Nanos> t = s.t, e = s.e;
  std::swap(t[40], t[41]);
  t[41] = t[40] - 1;
  try {
    walk_forward(t, e, cfg);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& ex) {
    EXPECT_NE(std::string(ex.what()).find("not sorted"), std::string::npos) << ex.what();
  }
  EXPECT_THROW(purged_kfold(t, e, 5, 0), std::invalid_argument);
  // A label window ending before it starts.
  t = s.t;
  e[10] = t[10] - 1;
  try {
    walk_forward(t, e, cfg);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& ex) {
    EXPECT_NE(std::string(ex.what()).find("t_end[10]"), std::string::npos) << ex.what();
  }
  e = s.e;
  // Mismatched lengths.
  EXPECT_THROW(walk_forward(std::span<const Nanos>(t).first(50), e, cfg), std::invalid_argument);
  // Too few rows for the folds.
  cfg.folds = 60;  // 50 rows after the head
  try {
    walk_forward(t, e, cfg);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& ex) {
    EXPECT_NE(std::string(ex.what()).find("too few"), std::string::npos) << ex.what();
  }
  EXPECT_THROW(walk_forward(std::span<const Nanos>(t).first(0), std::span<const Nanos>(e).first(0), WalkForwardConfig{}),
               std::invalid_argument);
  EXPECT_THROW(purged_kfold(std::span<const Nanos>(t).first(3), std::span<const Nanos>(e).first(3), 4, 0),
               std::invalid_argument);
  // Bad config values.
  cfg = WalkForwardConfig{};
  cfg.folds = 0;
  EXPECT_THROW(walk_forward(t, e, cfg), std::invalid_argument);
  cfg = WalkForwardConfig{};
  cfg.min_train_fraction = 1.0;
  EXPECT_THROW(walk_forward(t, e, cfg), std::invalid_argument);
  cfg = WalkForwardConfig{};
  cfg.valid_fraction = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(walk_forward(t, e, cfg), std::invalid_argument);
  cfg = WalkForwardConfig{};
  cfg.embargo_ns = -1;
  EXPECT_THROW(walk_forward(t, e, cfg), std::invalid_argument);
  // Label windows longer than all the data: nothing left to train on.
  cfg = WalkForwardConfig{};
  cfg.valid_fraction = 0;
  std::vector<Nanos> long_e = t;
  for (Nanos& x : long_e) x += 1'000'000;
  try {
    walk_forward(t, long_e, cfg);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& ex) {
    EXPECT_NE(std::string(ex.what()).find("no training rows left"), std::string::npos) << ex.what();
  }
}

}  // namespace
