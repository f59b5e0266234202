// Strategies, risk gate and simulated exchange inside the engine on a generated day: the same
// input gives the same orders, fills and P&L in every layout and run (event-time determinism),
// every order the venue saw passed the gate, and the order manager's positions and P&L agree
// with the report recorder's own accounting (two independent books of the same fills).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "hft/config/config.hpp"
#include "hft/engine/engine.hpp"
#include "hft/gen/generator.hpp"
#include "hft/report/metrics.hpp"
#include "hft/report/writer.hpp"
#include "hft/sources/open.hpp"
#include "synthetic_source.hpp"

namespace hft::engine {
namespace {

std::string trading_day() {
  const std::string dir = std::string(HFT_TEST_TMP) + "/trading-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  gen::GenConfig g;
  g.messages = 80'000;
  g.instruments = 3;
  g.live_target = 100;
  g.out_path = dir + "/day.pcap";
  gen::generate_pcap(g);
  return g.out_path;
}

config::Config trading_config(bool split) {
  const std::vector<std::string> rest = {"book", "clean", "features", "regime", "predict", "strategy", "sim", "monitor"};
  std::vector<std::string> all = {"feed"};
  all.insert(all.end(), rest.begin(), rest.end());
  config::Config c = split ? testing::with_layout({testing::thread("feed", {"feed"}), testing::thread("book", rest)})
                           : testing::with_layout({testing::thread("hot", all)});
  c.models.path = std::string(HFT_TEST_TMP) + "/no-models";
  c.report.max_rows = 50'000;  // the recorder's rows are touched at start: a day's worth, no more
  c.risk_management.kill_switch_file = "";
  config::Config::Strategy md;
  md.name = "market_direction_v1";
  md.max_position = 300;
  md.max_order_qty = 100;
  md.min_confidence_threshold = 0.6;
  md.params = {{"signal", "imbalance"}, {"horizon_s", "5"}, {"slices", "5"}};
  config::Config::Strategy mm;
  mm.name = "mm";
  mm.type = "market_making";
  mm.max_position = 500;
  mm.params = {{"quote_qty", "100"}, {"requote_ms", "100"}, {"gamma", "0.05"}};
  c.strategies = {md, mm};
  return c;
}

struct TradingRun {
  std::string json;
  std::uint64_t accepted = 0, sim_submitted = 0, fills = 0;
  std::array<std::int64_t, 2> oms_pos{};
  std::array<double, 2> oms_net{}, rec_net{};
};

TradingRun run_day(const std::string& day, bool split) {
  const config::Config cfg = trading_config(split);
  EngineOptions eo;
  Engine eng(cfg, sources::open_source(sources::parse_source_spec("pcap:" + day), {}), eo);
  eng.start();
  eng.join();
  TradingRun r;
  report::Recorder* rec = eng.recorder();
  EXPECT_NE(rec, nullptr);
  if (!rec) return r;
  rec->finish(eng.clock().event_now);
  report::ReportInput in;
  in.rec = rec->data();
  in.strategy_names = {"market_direction_v1", "mm"};
  in.events = eng.source().stats().events;
  r.json = report::report_json(in);
  r.json = r.json.substr(0, r.json.find("\"wall\""));  // wall-clock fields apart
  r.accepted = eng.router().counters().accepted;
  const auto& ex = eng.stage<SimStage>().exchange;
  EXPECT_TRUE(ex);
  if (ex) {
    r.sim_submitted = ex->counters().submitted;
    r.fills = ex->counters().fills;
  }
  for (std::uint16_t s = 0; s < 2; ++s) {
    r.oms_net[s] = eng.router().oms().strategy_pnl(s).net;
    const report::Metrics m = report::compute_metrics(in.rec, s);
    r.rec_net[s] = m.net;
    std::int64_t pos = 0;  // the largest position in one instrument
    for (InstrumentId i = 0; i < 8; ++i)
      if (const oms::Position* p = eng.router().oms().position(s, i)) pos = std::max<std::int64_t>(pos, p->qty < 0 ? -p->qty : p->qty);
    r.oms_pos[s] = pos;
  }
  return r;
}

TEST(Trading, SameOrdersFillsAndPnlInEveryLayoutAndRun) {
  const std::string day = trading_day();
  const TradingRun a = run_day(day, false), b = run_day(day, false), c = run_day(day, true);
  EXPECT_GT(a.fills, 200u) << "the strategies should trade on this day";
  std::printf("fills %llu, orders accepted %llu\n", static_cast<unsigned long long>(a.fills), static_cast<unsigned long long>(a.accepted));
  EXPECT_EQ(a.json, b.json);
  EXPECT_EQ(a.json, c.json);
  // Every order the venue saw passed the gate (cancels included): nothing around it.
  EXPECT_EQ(a.sim_submitted, a.accepted);
  // The order manager and the recorder book the same fills independently.
  for (int s = 0; s < 2; ++s) EXPECT_NEAR(a.oms_net[s], a.rec_net[s], 1e-6 * (1 + std::abs(a.oms_net[s]))) << s;
  EXPECT_LE(a.oms_pos[0], 300);  // the strategy's own limit, worked by its schedule
  EXPECT_LE(a.oms_pos[1], 500 + 100);
}

}  // namespace
}  // namespace hft::engine
