// A pipeline of 12 stages (the default five and seven more) builds and runs every stage it is
// given, in order, with one chain; its compile time is measured in the README (this file alone).
#include <gtest/gtest.h>

#include "hft/engine/engine_impl.hpp"
#include "synthetic_source.hpp"

namespace {

using namespace hft;
using namespace hft::engine;

// Stage N appends N to the envelope's trail (in its quality field: 4 bits per stage), so the
// order the stages ran in is visible at the end.
template <int N>
struct Step {
  static constexpr char kNameBuf[] = {'s', 't', 'e', 'p', static_cast<char>('a' + N), '\0'};
  static constexpr std::string_view kName{kNameBuf};
  explicit Step(StageEnv&) {}
  bool on_event(Envelope& e) noexcept {
    e.quality = e.quality << 4 | N;
    ++n;
    return true;
  }
  std::uint64_t n = 0;
};
struct Trail {
  static constexpr std::string_view kName = "trail";
  explicit Trail(StageEnv&) {}
  bool on_event(Envelope& e) noexcept {
    last = e.quality;
    return true;
  }
  std::uint32_t last = 0;
};
using Twelve = Pipeline<BookStage, Step<1>, Step<2>, FeatureStage, Step<3>, RegimeStage, Step<4>, Step<5>, Step<6>,
                        Step<7>, Trail, MonitorStage>;
static_assert(Twelve::kSize == 12);

TEST(Pipeline, TwelveStagesRunInListOrderInAnyLayout) {
  using hft::testing::thread;
  const std::vector<std::string> all = {"book", "stepb", "stepc", "features", "stepd", "regime", "stepe", "stepf",
                                        "stepg", "steph", "trail", "monitor"};
  std::vector<std::string> fused = {"feed"};
  fused.insert(fused.end(), all.begin(), all.end());
  std::vector<std::string> front = {"feed", "book", "stepb", "stepc", "features", "stepd", "regime"};
  std::vector<std::string> back = {"stepe", "stepf", "stepg", "steph", "trail", "monitor"};
  std::uint64_t digest = 0;
  for (const auto& layout : {std::vector<config::ThreadLayout>{thread("hot", fused)},
                             std::vector<config::ThreadLayout>{thread("a", front), thread("b", back)}}) {
    BasicEngine<Twelve> e(hft::testing::with_layout(layout), std::make_unique<hft::testing::SyntheticSource>(20'000, false));
    e.start();
    e.join();
    EXPECT_EQ(e.stage<Step<1>>().n, 20'000u);
    EXPECT_EQ(e.stage<Step<7>>().n, 20'000u);
    EXPECT_EQ(e.stage<Trail>().last, 0x1234567u);  // steps 1..7 in list order
    if (digest) {
      EXPECT_EQ(e.stage<MonitorStage>().digest, digest);
    }
    digest = e.stage<MonitorStage>().digest;
  }
}

}  // namespace
