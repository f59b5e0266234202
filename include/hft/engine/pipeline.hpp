// The hot path as a list of stage types, assembled at compile time: Pipeline<BookStage,
// CleanStage, ..., MonitorStage>. A new stage is one type in that list (plus its config section);
// the engine, the layout, the reload, the counters and the latency table follow from the list.
//
// A stage is a plain object (the Stage concept):
//   static constexpr std::string_view kName;        its name in system.layout and in metrics
//   static constexpr bool kReadsBook = true;        (optional) must run on the book stage's thread
//   explicit S(StageEnv&);                          built once at start (may allocate, may throw)
//   bool on_event(Envelope&) noexcept;              one market event; false ends its trip (filter)
// and, optionally:
//   struct Settings; static Settings settings(const config::Config&);   built on the control
//   void apply(const Settings&) noexcept;           thread at a reload, taken by the stage's thread
//                                                   at a safe point between batches
//   void publish() noexcept;                        copy hot counters to atomics the control thread reads
//   void on_exec(const ExecReport&) noexcept;       execution reports, in exchange-time order
//   void on_timer(const TimerFire&) noexcept;       a timer it set (StageEnv::sched, env.index)
//   void start_background(int cpu); void stop_background();   its own background threads
//
// One chain per pipeline, not one per subset of stages: a thread's stages are a bit mask tested
// per stage and event (a branch that is always predicted), and every call is direct (no virtual
// call). Stages that take reports or timers run on the last thread of the layout, where the
// scheduler merges them with market events (checked by the engine).
// May touch: config/, core/, engine/ (envelope, clock, orders), book/ (for StageEnv).
#pragma once
#include <array>
#include <atomic>
#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/engine/clock.hpp"
#include "hft/engine/envelope.hpp"
#include "hft/engine/orders.hpp"
#include "hft/telemetry/tsc_clock.hpp"

namespace hft::book { class Books; }
namespace hft::features { class FeatureEngine; }

namespace hft::engine {

class SymbolTable;
struct OnlineScore;
}  // namespace hft::engine
namespace hft::report { class Recorder; }
namespace hft::engine {

// Single-writer counter readable from another thread: a relaxed load and store (no locked
// instruction), so the owner pays what a plain increment costs and readers see no torn values.
// One writer each: a counter two threads bump is two counters (see GarchRefits).
struct RelaxedCounter {
  std::atomic<std::uint64_t> v{0};
  void add(std::uint64_t n = 1) noexcept { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(std::uint64_t n) noexcept { v.store(n, std::memory_order_relaxed); }
  std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};


// What a stage may use when it is built.
struct LearnerLink;

struct StageEnv {
  const config::Config& cfg;
  std::size_t max_instruments = 0;   // instrument ids are below this
  bool live = false;                 // live feed: never wait for another thread
  bool epoch_times = false;          // the source's ts_exch counts from the Unix epoch (else midnight)
  bool by_price = false;             // the source is market-by-price (feed::EventSource::by_price)
  int trading_date = 0;              // YYYYMMDD when the source's times do not give it (0: unknown)
  const book::Books* books = nullptr;  // set by the book stage, for the stages after it
  const features::FeatureEngine* features = nullptr;  // set by the feature stage, likewise
  double ns_per_tick = 1.0;          // rdtsc ticks to ns (the engine's calibration)
  Scheduler* sched = nullptr;        // timers and reports (order thread only)
  OrderRouter* orders = nullptr;     // order intents out (order thread only)
  const Clock* clock = nullptr;      // exchange time (order thread only)
  std::uint16_t index = 0;           // the stage's own index in the pipeline (for timers)
  const SymbolTable* symbols = nullptr;  // instrument id -> symbol (filled by the feed thread)
  const OnlineScore* online = nullptr;   // set by the prediction stage: the model's online scores
  report::Recorder* recorder = nullptr;  // a replay's report recorder (order thread; null: none)
  // Backtests (hftd backtest): model store directories to serve from an exchange time on, in
  // time order (the prediction stage swaps them in at those times), and the time trading starts.
  const std::vector<std::pair<Nanos, std::string>>* model_schedule = nullptr;
  Nanos trade_from = INT64_MIN;
  LearnerLink* learner = nullptr;  // continuous learning: the prediction stage's hand-off (null: none)
};

template <class S>
concept Stage = requires(S& s, Envelope& e, StageEnv& env) {
  { S::kName } -> std::convertible_to<std::string_view>;
  { s.on_event(e) } noexcept -> std::same_as<bool>;
  requires std::constructible_from<S, StageEnv&>;
};
template <class S>
concept HasSettings = requires(S& s, const config::Config& c) {
  typename S::Settings;
  { S::settings(c) } -> std::same_as<typename S::Settings>;
  { s.apply(std::declval<const typename S::Settings&>()) } noexcept;
};
template <class S> concept Publishes = requires(S& s) { { s.publish() } noexcept; };
template <class S> concept TakesExec = requires(S& s, const ExecReport& r) { { s.on_exec(r) } noexcept; };
template <class S> concept TakesTimer = requires(S& s, const TimerFire& f) { { s.on_timer(f) } noexcept; };
template <class S> concept ReadsBook = requires { requires S::kReadsBook; };
template <class S> concept HasBackground = requires(S& s, int cpu) { s.start_background(cpu); s.stop_background(); };

struct NoSettings {};
template <class S> struct SettingsOf { using type = NoSettings; };
template <HasSettings S> struct SettingsOf<S> { using type = typename S::Settings; };

template <Stage... S>
class Pipeline {
 public:
  static constexpr std::size_t kSize = sizeof...(S);
  static_assert(kSize <= 31, "stage masks are 32-bit");
  static constexpr std::array<std::string_view, kSize> kNames{std::string_view(S::kName)...};
  // Bit k set where the k-th stage has the property.
  static constexpr unsigned mask_of(std::array<bool, kSize> has) noexcept {
    unsigned m = 0;
    for (std::size_t k = 0; k < kSize; ++k) m |= has[k] ? 1u << k : 0u;
    return m;
  }
  // Stages that take reports or timers (they must run on the last thread).
  static constexpr unsigned kOrderMask = mask_of({(TakesExec<S> || TakesTimer<S>)...});
  // Stages that read the books (they must run on the book stage's thread).
  static constexpr unsigned kBookReaderMask = mask_of({ReadsBook<S>...});
  using Settings = std::tuple<typename SettingsOf<S>::type...>;

  // Builds the stages in list order, so a stage may use what earlier ones put in env.
  explicit Pipeline(StageEnv& env) { build(env, std::index_sequence_for<S...>{}); }

  template <class T> T& get() noexcept { return *std::get<std::unique_ptr<T>>(st_); }
  template <class T> const T& get() const noexcept { return *std::get<std::unique_ptr<T>>(st_); }
  template <std::size_t I> auto& at() noexcept { return *std::get<I>(st_); }
  template <class T> static constexpr std::size_t index_of() noexcept {
    std::size_t i = 0, k = 0;
    ((std::is_same_v<T, S> ? (i = k) : 0, ++k), ...);
    return i;
  }
  static constexpr std::size_t index_of(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kSize; ++i)
      if (kNames[i] == name) return i;
    return kSize;
  }

  // Runs the stages in mask on e, in list order. t (when timing): t[j + 1] = cycle counter after
  // the j-th stage that ran. Returns false if a stage filtered the event.
  bool run(Envelope& e, unsigned mask, std::uint64_t* t) noexcept { return run_from<0>(e, mask, t, 0); }

  // A due scheduler item: a report to every stage in mask that takes reports, a timer to the
  // stage that set it.
  void deliver(const Scheduled& s, unsigned mask) noexcept { deliver_from<0>(s, mask); }

  static Settings settings(const config::Config& c) { return Settings{settings_one<S>(c)...}; }
  void apply(const Settings& s, unsigned mask) noexcept { apply_all(s, mask, std::index_sequence_for<S...>{}); }
  void publish(unsigned mask) noexcept { for_each(mask, [](auto& st) { if constexpr (Publishes<std::remove_cvref_t<decltype(st)>>) st.publish(); }); }
  void start_background(unsigned mask, int cpu) {
    for_each(mask, [cpu](auto& st) { if constexpr (HasBackground<std::remove_cvref_t<decltype(st)>>) st.start_background(cpu); });
  }
  void stop_background(unsigned mask) {
    for_each(mask, [](auto& st) { if constexpr (HasBackground<std::remove_cvref_t<decltype(st)>>) st.stop_background(); });
  }

 private:
  template <std::size_t... I>
  void build(StageEnv& env, std::index_sequence<I...>) {
    // A fold over the comma operator runs left to right: stage I sees what stages < I set.
    ((env.index = static_cast<std::uint16_t>(I), std::get<I>(st_) = std::make_unique<S>(env)), ...);
  }
  template <class T>
  static typename SettingsOf<T>::type settings_one(const config::Config& c) {
    if constexpr (HasSettings<T>) return T::settings(c);
    else return NoSettings{};
  }
  template <std::size_t... I>
  void apply_all(const Settings& s, unsigned mask, std::index_sequence<I...>) noexcept {
    (([&] {
       using T = std::tuple_element_t<I, std::tuple<S...>>;
       if constexpr (HasSettings<T>)
         if (mask >> I & 1u) std::get<I>(st_)->apply(std::get<I>(s));
     }()), ...);
  }
  template <class F>
  void for_each(unsigned mask, F&& f) {
    std::size_t i = 0;
    ((mask >> i++ & 1u ? f(*std::get<std::unique_ptr<S>>(st_)) : void()), ...);
  }
  template <std::size_t I>
  bool run_from(Envelope& e, unsigned mask, std::uint64_t* t, std::size_t j) noexcept {
    if constexpr (I == kSize) {
      return true;
    } else {
      if (mask >> I & 1u) {
        if (!std::get<I>(st_)->on_event(e)) return false;
        if (t) t[++j] = telemetry::rdtsc();
      }
      return run_from<I + 1>(e, mask, t, j);
    }
  }
  template <std::size_t I>
  void deliver_from(const Scheduled& s, unsigned mask) noexcept {
    if constexpr (I < kSize) {
      using T = std::tuple_element_t<I, std::tuple<S...>>;
      if (mask >> I & 1u) {
        if constexpr (TakesExec<T>)
          if (s.what == Scheduled::kExec) std::get<I>(st_)->on_exec(s.exec);
        if constexpr (TakesTimer<T>)
          if (s.what == Scheduled::kTimer && s.owner == I) std::get<I>(st_)->on_timer(s.timer);
      }
      deliver_from<I + 1>(s, mask);
    }
  }

  std::tuple<std::unique_ptr<S>...> st_;
};

}  // namespace hft::engine
