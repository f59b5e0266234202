// The regime stage on whole days of book data, as the engine runs it: the mid of each tracked
// instrument after every book event, a RegimeDetector with the default configuration, and a
// GARCH refit every refit_interval (300 s) of event time on the detector's return window, fitted
// like the engine's refits (warm start from the parameters in use). What must hold:
//  - no accepted (usable) fit is degenerate, judged here with criteria of the test's own: the
//    issue's "alpha + beta = 1, or both 0" with literal tolerances, a likelihood at least that
//    of the constant-variance model it nests, and an unconditional variance near the returns'
//    variance;
//  - every fit that is not accepted has a reason (status and text), and the reasons add up to
//    the fits attempted; warm-up refusals are counted by reason;
//  - (generated days) a day without price moves is never labelled; on a day with moves the
//    volatility labels spread over calm / normal / stressed.
// Days: CME ESH4 2023-12-25 (Databento MBO; one hour of holiday trading: sparse) and two
// generated days (8 instruments, 2M messages, seed 1: the demo day, and the same with
// thin books).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/gen/generator.hpp"
#include "hft/regime/detector.hpp"
#include "hft/sources/open.hpp"

namespace hft::regime {
namespace {

constexpr Nanos kRefitEvery = 300'000'000'000;  // the engine's default refit_interval_s

struct FitTally {
  std::array<std::uint64_t, kFitStatusCount> by_status{};
  std::uint64_t attempts = 0, accepted = 0, swapped = 0, unexplained = 0, degenerate = 0;
  std::string first_degenerate;
};

// The test's own reading of "degenerate" (see the top of the file); empty when the fit is fine.
std::string degenerate_why(const GarchFit& f, const std::vector<double>& r) {
  const GarchParams& p = f.params;
  if (!garch_valid(p)) return "invalid parameters";
  if (p.alpha + p.beta > 0.999) return "alpha + beta ~ 1";
  if (p.alpha < 1e-3 || p.beta < 1e-3) return "alpha or beta ~ 0";
  double mean = 0, var = 0;
  for (double v : r) mean += v;
  mean /= static_cast<double>(r.size());
  for (double v : r) var += (v - mean) * (v - mean);
  var /= static_cast<double>(r.size());
  const double ll_const = garch_loglik(r, GarchParams{var, 0, 0, mean}, var);
  if (f.loglik < ll_const - 1e-6 * std::abs(ll_const)) return "likelihood below constant variance";
  const double uv = garch_unconditional_variance(p);
  if (!(uv > var / 10 && uv < var * 10)) return "unconditional variance far from the returns'";
  return "";
}

struct Tracked {
  explicit Tracked(const RegimeConfig& c) : det(c) { window.reserve(c.refit_window); }
  RegimeDetector det;
  Nanos next_fit = 0;
  std::vector<double> window;
  std::array<std::uint64_t, 3> vol_labels{};  // per sample while ready
};

// The engine's refit, in event time, counted by reason; a usable fit is swapped in.
void refit(Tracked& t, FitTally& tally) {
  t.det.copy_returns(t.window);
  FitOptions o;
  o.warm = true;
  o.warm_start = t.det.garch_params();
  o.starts = 0;
  o.standard_errors = false;
  o.min_moves = t.det.config().min_moves;
  const GarchFit f = fit_garch(t.window, o);
  ++tally.attempts;
  ++tally.by_status[static_cast<std::size_t>(f.status)];
  if (!f.usable()) {  // a named reason other than ok; a fit refused before estimating says why
    const bool named = f.status != FitStatus::Ok && std::string(fit_status_name(f.status)) != "?";
    const bool pre_fit = f.status == FitStatus::TooFewReturns || f.status == FitStatus::NonFinite ||
                         f.status == FitStatus::TooFewMoves || f.status == FitStatus::NoLikelihood;
    tally.unexplained += !named || (pre_fit && f.error.empty());
    return;
  }
  ++tally.accepted;
  tally.swapped += t.det.set_garch_params(f.params);
  const std::string why = degenerate_why(f, t.window);
  if (!why.empty() && tally.degenerate++ == 0)
    tally.first_degenerate = why + " (alpha " + std::to_string(f.params.alpha) + ", beta " +
                             std::to_string(f.params.beta) + ", n " + std::to_string(t.window.size()) + ")";
}

void on_mid(Tracked& t, Nanos ts, double mid, FitTally& tally) {
  if (t.det.on_mid(ts, mid) == 0) return;
  const RegimeState& s = t.det.state();
  if (s.ready) ++t.vol_labels[static_cast<std::size_t>(s.vol)];
  if (t.next_fit == 0) t.next_fit = s.sample_ts + kRefitEvery;
  if (s.sample_ts >= t.next_fit) {
    refit(t, tally);
    t.next_fit = s.sample_ts + kRefitEvery;
  }
}

struct DayRun {
  std::map<InstrumentId, std::unique_ptr<Tracked>> tracked;
  FitTally tally;
};

std::vector<MarketEvent> read_all(const std::string& spec) {
  auto src = sources::open_source(sources::parse_source_spec(spec));
  std::vector<MarketEvent> all, buf(feed::kMaxBatch);
  std::size_t n;
  while ((n = src->next(buf)) > 0) all.insert(all.end(), buf.begin(), buf.begin() + n);
  return all;
}

// Books over the whole stream; the mid of each instrument in `ids` (empty: all) after each of
// its book events, when the book is two-sided and not crossed.
DayRun run_day(const std::vector<MarketEvent>& evs, const std::vector<InstrumentId>& ids, const RegimeConfig& cfg) {
  DayRun run;
  book::Books books;
  for (const MarketEvent& e : evs) {
    books.apply(e);
    if (!book::is_book_event(e.kind)) continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), e.instrument) == ids.end()) continue;
    const book::LevelView bid = books.best(e.instrument, Side::Buy), ask = books.best(e.instrument, Side::Sell);
    if (bid.qty == 0 || ask.qty == 0 || ask.price <= bid.price) continue;
    auto& t = run.tracked[e.instrument];
    if (!t) t = std::make_unique<Tracked>(cfg);
    on_mid(*t, e.ts_exch, 0.5 * static_cast<double>(bid.price + ask.price), run.tally);
  }
  return run;
}

void print(const char* name, const DayRun& run) {
  const FitTally& f = run.tally;
  std::printf("%s: %llu fits, %llu accepted (%llu swapped in), %llu degenerate among them\n", name,
              static_cast<unsigned long long>(f.attempts), static_cast<unsigned long long>(f.accepted),
              static_cast<unsigned long long>(f.swapped), static_cast<unsigned long long>(f.degenerate));
  std::printf("  fits by reason:");
  for (std::size_t k = 0; k < kFitStatusCount; ++k)
    if (f.by_status[k]) std::printf(" %s %llu", fit_status_name(static_cast<FitStatus>(k)),
                                    static_cast<unsigned long long>(f.by_status[k]));
  std::printf("\n");
  for (const auto& [id, t] : run.tracked) {
    const auto& c = t->det.counters();
    const auto& sc = t->det.sampler_counters();
    std::printf("  instrument %u: mids %llu returns %llu flat %llu filled %llu gaps %llu ready %d; warm-up "
                "refused %llu x too_few_moves, %llu x flat_vol; warm-up fit %s; labels calm %llu normal %llu "
                "stressed %llu; last %s\n",
                static_cast<unsigned>(id), static_cast<unsigned long long>(sc.mids),
                static_cast<unsigned long long>(t->det.state().returns), static_cast<unsigned long long>(sc.flat),
                static_cast<unsigned long long>(sc.filled), static_cast<unsigned long long>(sc.gaps),
                t->det.state().ready ? 1 : 0, static_cast<unsigned long long>(c.warmup_too_few_moves),
                static_cast<unsigned long long>(c.warmup_flat_vol),
                c.garch_fit_failed ? "not usable" : (t->det.state().ready ? "usable" : "-"),
                static_cast<unsigned long long>(t->vol_labels[0]), static_cast<unsigned long long>(t->vol_labels[1]),
                static_cast<unsigned long long>(t->vol_labels[2]), to_string(t->det.state().vol));
  }
}

// Every fit accounted for: the reasons add up, none without one, no accepted fit degenerate
// and every accepted one swapped in.
void expect_fits_accounted(const DayRun& run) {
  const FitTally& f = run.tally;
  std::uint64_t sum = 0;
  for (auto v : f.by_status) sum += v;
  EXPECT_EQ(sum, f.attempts);
  EXPECT_EQ(f.by_status[0], f.accepted);
  EXPECT_EQ(f.unexplained, 0u);
  EXPECT_EQ(f.degenerate, 0u) << "first: " << f.first_degenerate;
  EXPECT_EQ(f.swapped, f.accepted);
  for (const auto& [id, t] : run.tracked) {
    // The warm-up fit (made only when the warm-up ended before a refit was swapped in): counted
    // under exactly one reason.
    std::uint64_t wsum = 0;
    for (auto v : t->det.counters().garch_fit) wsum += v;
    EXPECT_LE(wsum, t->det.state().ready ? 1u : 0u) << "instrument " << id;
    EXPECT_EQ(t->det.counters().garch_fit_failed, wsum - t->det.counters().garch_fit[0]) << "instrument " << id;
  }
}

// ---- (b) CME ESH4 2023-12-25: a holiday, one hour of trading after an hour of pre-open.
TEST(RegimeRealDay, Esh4HolidayFitsAreUsableOrSkippedWithAReason) {
  const std::string path = std::string(HFT_SHARED_DATA) + "/cme-mbo-databento/esh4-glbx-mdp3-20231225.mbo.dbn.zst";
  const auto evs = read_all("dbn:" + path);
  ASSERT_EQ(evs.size(), 68792u);  // PROVENANCE.md
  std::map<InstrumentId, std::size_t> per;
  for (const MarketEvent& e : evs) ++per[e.instrument];
  const auto busiest = std::max_element(per.begin(), per.end(), [](auto& a, auto& b) { return a.second < b.second; });
  const InstrumentId id = busiest->first;

  // The defaults (change sampling): every return is a move.
  const DayRun change = run_day(evs, {id}, RegimeConfig{});
  print("ESH4 2023-12-25, sample_on change", change);
  ASSERT_EQ(change.tracked.size(), 1u);
  const Tracked& tc = *change.tracked.begin()->second;
  std::vector<double> r;
  tc.det.copy_returns(r);
  ASSERT_GT(r.size(), 100u);
  EXPECT_EQ(std::count(r.begin(), r.end(), 0.0), 0);
  EXPECT_GT(tc.det.sampler_counters().flat, 0u);
  EXPECT_GT(change.tally.attempts, 10u);
  expect_fits_accounted(change);

  // The same day on the fixed grid: the day is sparse (most grid returns are zero), which is
  // where boundary optima come from; none of them may be accepted.
  RegimeConfig grid;
  grid.sample_on = SampleOn::Grid;
  const DayRun fixed = run_day(evs, {id}, grid);
  print("ESH4 2023-12-25, sample_on grid", fixed);
  const Tracked& tg = *fixed.tracked.begin()->second;
  std::vector<double> g;
  tg.det.copy_returns(g);
  const auto zeros = std::count(g.begin(), g.end(), 0.0);
  std::printf("  grid returns: %zu, zero %lld\n", g.size(), static_cast<long long>(zeros));
  EXPECT_GT(static_cast<std::size_t>(zeros) * 2, g.size());  // the premise: a sparse day
  EXPECT_GT(fixed.tally.attempts, 10u);
  expect_fits_accounted(fixed);
}

// ---- (c) Generated days: 8 instruments, 2M messages, seed 1.
std::string generated_day(const std::string& name, std::uint32_t live_target) {
  const std::string dir = std::string(HFT_TEST_TMP) + "/regime";
  std::filesystem::create_directories(dir);
  gen::GenConfig g;  // the defaults of `hftd gen` but for these
  g.seed = 1;
  g.instruments = 8;
  g.messages = 2'000'000;
  g.live_target = live_target;
  g.out_path = dir + "/" + name + ".pcap";
  if (!std::filesystem::exists(g.out_path)) gen::generate_pcap(g);
  return g.out_path;
}

std::array<std::uint64_t, 3> label_totals(const DayRun& run, int& ready, int& stressed_at_end) {
  std::array<std::uint64_t, 3> all{};
  ready = stressed_at_end = 0;
  for (const auto& [id, t] : run.tracked) {
    for (std::size_t k = 0; k < 3; ++k) all[k] += t->vol_labels[k];
    ready += t->det.state().ready;
    stressed_at_end += t->det.state().ready && t->det.state().vol == VolRegime::Stressed;
  }
  const double n = static_cast<double>(std::max<std::uint64_t>(1, all[0] + all[1] + all[2]));
  std::printf("  labels over the day: calm %.1f%% normal %.1f%% stressed %.1f%% (%llu samples); ready %d, "
              "stressed at the end %d\n", 100 * all[0] / n, 100 * all[1] / n, 100 * all[2] / n,
              static_cast<unsigned long long>(all[0] + all[1] + all[2]), ready, stressed_at_end);
  return all;
}

// A generated day (8 instruments) at the given book depth, run with the default config.
struct GeneratedDay {
  DayRun run;
  int ready = 0, stressed_at_end = 0;
  std::array<std::uint64_t, 3> all{};  // samples labelled calm, normal, stressed
};
GeneratedDay run_generated(const std::string& name, std::uint32_t live_target) {
  GeneratedDay d{run_day(read_all("pcap:" + generated_day(name, live_target)), {}, RegimeConfig{})};
  print(("generated day " + name + " (live target " + std::to_string(live_target) + "), sample_on change").c_str(), d.run);
  d.all = label_totals(d.run, d.ready, d.stressed_at_end);
  EXPECT_EQ(d.run.tracked.size(), 8u);
  return d;
}

// The demo day (`hftd gen --messages 2000000 --instruments 8 --seed 1`). Its books keep
// about 1500 resting orders per instrument, so the touch queues are deep and the mid moves only
// a few dozen times in the whole day (measured: 1 to 42 changes per instrument). Nothing to
// learn a volatility from: no instrument may finish its warm-up (so none is labelled, least of
// all stressed), and every fit attempted must be refused with a reason.
TEST(RegimeGeneratedDay, DemoDayWithoutMovesIsNeverLabelled) {
  const GeneratedDay d = run_generated("demo", 1500);
  const DayRun& run = d.run;
  const int ready = d.ready;
  const auto& all = d.all;
  EXPECT_EQ(ready, 0);
  EXPECT_EQ(all[2], 0u);
  EXPECT_GT(run.tally.attempts, 8u);
  EXPECT_EQ(run.tally.accepted, 0u);
  expect_fits_accounted(run);
}

// The same generator with 100 resting orders per instrument: the book follows its fair value
// (thousands of mid changes a day on the busier instruments). Terciles are learned on each
// warm-up (a third each there); over the rest of the day the labels must spread over all three
// buckets: all stressed (the issue) or nearly all one bucket fails.
TEST(RegimeGeneratedDay, LabelsSpreadWhenTheMidMoves) {
  const GeneratedDay d = run_generated("thin", 100);
  const DayRun& run = d.run;
  const int ready = d.ready, stressed_at_end = d.stressed_at_end;
  const auto& all = d.all;
  const double n = static_cast<double>(all[0] + all[1] + all[2]);
  EXPECT_GE(ready, 4);
  ASSERT_GT(n, 1000);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_GT(all[k] / n, 0.10) << to_string(static_cast<VolRegime>(k));
  EXPECT_LT(all[2] / n, 0.60);
  EXPECT_LT(stressed_at_end, ready);
  EXPECT_GT(run.tally.accepted, 0u);
  expect_fits_accounted(run);
}

}  // namespace
}  // namespace hft::regime
