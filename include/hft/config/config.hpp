// config.yml: the schema (one struct per section, defaults in the member initialisers), loading
// with every error collected (type, range, unknown key, cross-field), the content version, and the
// diff between a running and a newly loaded configuration (which changes need a restart).
// Used at start-up and by the control thread on reload; never on the hot path.
// May touch: hft_core, yaml-cpp (only inside src/config), the file system (reading the file).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hft/core/decimal.hpp"

namespace hft::config {

enum class Idle : std::uint8_t { Spin, Backoff, Sleep };
enum class RingFull : std::uint8_t { Block, Drop };
// Scheduling class of the background workers (GARCH refits, the learner): idle = SCHED_IDLE, they
// run only when nothing else wants the core; normal = SCHED_OTHER, they share it.
enum class BackgroundPriority : std::uint8_t { Idle, Normal };
// What the models do with a feature that has no value yet (warm-up, empty book side).
enum class ExecMethod : std::uint8_t { AvellanedaStoikov, Glft, AlmgrenChriss };
enum class QueueModel : std::uint8_t { L3, ProbPower2, ProbPower3, ProbLog, RiskAverse };
enum class CleanAction : std::uint8_t { Flag, Drop, Halt };

// The config spelling of each enum value, indexed by the value.
inline constexpr std::array<std::string_view, 3> kIdleNames = {"spin", "backoff", "sleep"};
inline constexpr std::array<std::string_view, 2> kRingFullNames = {"block", "drop"};
inline constexpr std::array<std::string_view, 2> kBackgroundPriorityNames = {"idle", "normal"};
inline constexpr std::array<std::string_view, 3> kExecMethodNames = {
    "avellaneda_stoikov", "glft", "almgren_chriss"};
inline constexpr std::array<std::string_view, 3> kCleanActionNames = {"flag", "drop", "halt"};
inline constexpr std::array<std::string_view, 5> kQueueModelNames = {"l3", "prob_power2", "prob_power3", "prob_log", "risk_averse"};
inline constexpr std::array<std::string_view, 7> kLogLevels = {
    "trace", "debug", "info", "warn", "error", "critical", "off"};

// The hot-path stages in pipeline order. A layout puts each stage it runs on exactly one thread,
// in this order across the threads as listed. feed, book and monitor are required; clean,
// features and regime are optional and read the book, so they run on the book's thread.
inline constexpr std::array<std::string_view, 9> kPipelineStages = {"feed", "book", "clean", "features", "regime",
                                                                    "predict", "strategy", "sim", "monitor"};
inline constexpr std::array<std::string_view, 3> kRequiredStages = {"feed", "book", "monitor"};
inline constexpr std::array<std::string_view, 6> kBookThreadStages = {"clean", "features", "regime", "predict", "strategy", "sim"};

struct ThreadLayout {
  std::string name;
  std::vector<std::string> stages;
  int core = -1;           // -1 = not pinned
  Idle idle = Idle::Spin;
  int fifo_priority = 0;   // 0 = SCHED_OTHER, 1..99 = SCHED_FIFO
  bool operator==(const ThreadLayout&) const = default;
};

struct Config {
  std::uint64_t version = 0;  // set by the loader: FNV-1a 64 of the file bytes
  std::string path;           // file it came from ("" if from a string)

  struct System {
    std::string state_dir = "/var/lib/hftd";
    std::string model_dir = "/var/lib/hftd/models";
    std::size_t ring_capacity = 65536;  // slots per stage ring, power of two 1024..2^22
    RingFull ring_full = RingFull::Block;
    std::vector<ThreadLayout> layout;   // default_config(): one thread "hot" on core 1
    int control_core = 0;               // -1 = not pinned
    BackgroundPriority background_priority = BackgroundPriority::Idle;
    std::size_t max_instruments = 1024; // per-instrument state of the later stages, built at start
    std::size_t scheduler_capacity = 65536;  // timers and execution reports pending at once
    std::string log_level = "info";
    std::string log_file;               // "" = stderr
    std::size_t log_queue = 8192;       // log records in flight, power of two 64..2^20
    bool operator==(const System&) const = default;
  } system;

  struct Feed {
    std::string mode = "udp";  // udp | replay
    std::string input;         // SOURCE for replay, e.g. pcap:FILE
    std::string dst_addr;      // keep only datagrams to this address ("" = any)
    std::uint16_t dst_port = 0;  // ... and port (0 = any)
    std::string multicast_group;  // "" = no join
    std::string interface_addr = "0.0.0.0";
    std::size_t recv_buffer = 4 << 20;  // bytes, SO_RCVBUF
    std::size_t batch = 64;             // most events the feed stage hands on per step, 1..1024
    std::size_t max_orders = 1 << 22;   // live orders the books are sized for
    // udp: senders allowed, "ADDR" (any port) or "ADDR:PORT"; others are counted and dropped.
    // [] = any sender (logged as a warning at start).
    std::vector<std::string> sources;
    double silence_s = 5;               // udp: /health not ok after this long without a datagram; 0 = never
    // udp: MoldUDP64 session rules and gap recovery (feed/moldudp64.hpp, live/udp_source.hpp).
    struct Mold {
      std::int64_t max_jump = 1'000'000;  // sequence jump beyond this is ignored until confirmed
      std::int64_t jump_confirm = 2;      // ... by this many data packets continuing it
      std::string rerequest;              // re-request server ADDR:PORT; "" = no recovery
      double request_timeout_ms = 100;    // no progress on a request for this long: ask again
      std::int64_t request_retries = 5;   // then give the hole up (instruments stay stale)
      double max_requests_per_s = 1000;   // rate limit of the requests
      std::int64_t request_max_msgs = 1000;  // messages asked for per request
      std::int64_t hold_packets = 8192;   // packets held beyond a hole (2 KiB slots, allocated at start)
      bool operator==(const Mold&) const = default;
    } mold;
    bool operator==(const Feed&) const = default;
  } feed;

  std::vector<std::string> symbols;  // empty = all

  // Instruments whose prices and sizes arrive as decimal text (binance: sources): the fixed-point
  // units each is converted to, exactly (core/decimal.hpp). tick and lot are decimals that must be
  // whole numbers of units; a price off the tick or a size off the lot is counted as bad input.
  struct Instrument {
    std::string symbol;                // as the venue names it, 1..16 characters
    std::string market;                // binance: spot | usdm
    std::int64_t price_scale = 10000;  // price units per 1 of the quote currency, 1..10^12
    std::string tick = "0.0001";       // price grid
    std::int64_t qty_scale = 1;        // quantity units per 1 of the base asset, 1..10^12
    std::string lot = "1";             // size grid
    bool operator==(const Instrument&) const = default;
  };
  std::vector<Instrument> instruments = {
      {"BTCUSDT", "usdm", 100, "0.10", 1000, "0.001"},       // Binance USD-M perpetual
      {"BTCUSDT", "spot", 100, "0.01", 1000000, "0.000001"},  // Binance spot (sizes of 1e-6 occur)
  };

  // A strategy instance (strategy/): its type picks the C++ class from the registry; the
  // settings every strategy has are fields, the rest of the entry (numbers or words) lands in
  // params and is checked by the strategy itself when the engine builds it. Written either as a
  // list of entries with `name`, or as a mapping name -> entry.
  struct Strategy {
    std::string name;
    std::string type;                  // "" = the name without a trailing _vN (market_direction_v1)
    std::vector<std::string> symbols;  // must appear in Config::symbols when that is non-empty
    std::int64_t max_position = 1000;  // shares, absolute
    std::int64_t max_order_qty = 100;  // shares, <= max_position
    double retrain_hours = 1;          // the learner's schedule for this strategy's models
    double min_confidence_threshold = 0.55;  // [0, 1]
    bool enabled = true;
    std::vector<std::pair<std::string, std::string>> params;  // the type's own settings
    bool operator==(const Strategy&) const = default;
  };
  std::vector<Strategy> strategies;

  // Supervised models (steps 4-6): labels, sampling, training, the model store. Training
  // settings are read by `hftd train`; the prediction stage reads path, predict and the label.
  struct Models {
    std::string path;                   // model store; "" = system.model_dir (restart)
    bool predict = true;                // prediction stage on when a valid version is found
    std::string target = "direction";   // direction | return
    std::vector<std::string> horizons{"10", "50", "100"};  // events ("50") or time ("500ms", "2s")
    std::string predict_horizon;        // the horizon predictions are made for; "" = the first
    std::string threshold = "balance";  // balance (classes balanced on the training data) | a number
    std::string threshold_unit = "ticks";  // ticks | bps (of the mid)
    std::string sample_on = "top";      // event | top (a change of best price or size) | time
    double sample_ms = 100;             // sample_on time: exchange-time step
    std::size_t max_pending = 1024;     // time horizons: samples waiting for their label, per instrument
    std::vector<std::string> members{"boosted", "forest", "mlp", "logistic", "bayes", "return"};
    struct Boosted {
      std::int64_t rounds = 150, max_depth = 5, early_stopping_rounds = 20;
      double eta = 0.1, subsample = 0.8, colsample = 0.8, min_child_weight = 20, lambda = 1;
      bool operator==(const Boosted&) const = default;
    } boosted;
    struct Forest {
      std::int64_t trees = 30, max_depth = 6;
      double subsample = 0.7, colsample = 0.7, min_child_weight = 20;
      bool operator==(const Forest&) const = default;
    } forest;
    struct Mlp {
      std::vector<std::string> hidden{"16", "8"};
      std::int64_t epochs = 30, batch = 256, patience = 4;
      double lr = 1e-3, l2 = 1e-4;
      bool operator==(const Mlp&) const = default;
    } mlp;
    struct WalkForward {
      std::int64_t folds = 4;
      double min_train_fraction = 0.4, valid_fraction = 0.2, embargo_s = 0;
      bool operator==(const WalkForward&) const = default;
    } walk_forward;
    std::int64_t train_threads = 1;     // XGBoost training threads (OpenMP spins: more only on idle cores)
    std::int64_t seed = 1;
    double online_learning_rate = 0.01; // online linear models, (0, 1]
    double forgetting_factor = 0.999;   // the Bayesian drift/vol features per grid return, (0, 1]
    bool operator==(const Models&) const = default;
  } models;

  struct Execution {
    ExecMethod method = ExecMethod::AvellanedaStoikov;
    double gamma = 0.1;       // risk aversion, > 0
    double k = 1.5;           // order-arrival decay in depth, > 0
    double A = 140;           // order-arrival intensity scale, per second, > 0
    double horizon_s = 60;    // quoting / liquidation horizon, > 0
    std::int64_t tick_size = 100;       // price units (1e-4 of the currency): 100 = 0.01
    std::int64_t min_spread_ticks = 1;  // >= 1
    int max_quote_levels = 1;           // 1..10
    bool operator==(const Execution&) const = default;
  } execution;

  // A breaker trips for one strategy when its condition holds: the strategy's orders are
  // cancelled, it is halted (and flattened if flatten_on_trip) until an operator re-arms it.
  struct CircuitBreakers {
    double max_daily_loss = 10000;  // net P&L of the day below -this, currency, > 0
    double max_drawdown = 5000;     // net P&L below the day's peak by this, currency, > 0
    double max_reject_rate = 0.5;   // risk rejects / orders over the last 100 orders, (0, 1]
    double max_latency_us = 1000;   // tick-to-order latency, live only, > 0
    std::int64_t latency_count = 3; // ... over the limit this many orders in a row
    double max_log_loss = 1.2;      // model degradation: online log-loss of the model in use
    std::int64_t model_window = 2000; // ... averaged over about this many labels (exponentially)
    double min_hit_rate = 0.0;      // ... or directional hit rate below this, [0, 1]
    std::int64_t min_labels = 500;  // ... once this many labels scored it
    bool stale_feed = true;         // trip when a traded instrument's data goes stale or halts
    bool flatten_on_trip = false;   // send orders that flatten the position at a trip
    bool operator==(const CircuitBreakers&) const = default;
  };
  struct Risk {
    std::int64_t max_position = 10000;  // shares per symbol, absolute (position_limits overrides)
    std::vector<std::pair<std::string, std::string>> position_limits;  // symbol -> shares
    double max_notional = 1e6;          // gross exposure over all symbols, currency
    double max_order_notional = 100000; // one order's value, currency
    std::int64_t max_order_qty = 1000;  // shares per order, <= max_position
    double max_orders_per_s = 100;
    std::int64_t max_open_orders = 200; // working orders over all strategies
    double price_collar_bps = 100;      // limit price within this of the mid
    CircuitBreakers circuit_breakers;
    std::string kill_switch_file = "/var/lib/hftd/kill_switch";  // exists = halt; "" = none
    std::string token_file;             // HTTP /risk/kill and /risk/rearm token ("" = endpoints off)
    bool operator==(const Risk&) const = default;
  } risk_management;

  struct Fees {
    double maker_per_share = -0.002;  // negative = rebate
    double taker_per_share = 0.003;
    bool operator==(const Fees&) const = default;
  };
  // The simulated exchange (sim/): replays, and paper trading on a live feed.
  struct Simulator {
    bool enabled = true;                    // replay: orders go to it; run: paper trading
    std::int64_t feed_latency_ns = 20000;   // exchange event to our strategy
    std::int64_t order_latency_ns = 30000;  // our order to the exchange
    std::int64_t ack_latency_ns = 30000;    // the exchange's report back to us
    std::string feed_latency_file, order_latency_file, ack_latency_file;  // empirical, or ""
    QueueModel queue_model = QueueModel::L3;
    std::int64_t max_orders = 4096;         // own orders working at once
    std::int64_t seed = 1;                  // latency draws
    Fees fees;
    bool operator==(const Simulator&) const = default;
  } simulator;

  // Step 8: continuous learning (learn/learner.hpp). All restart.
  struct Learner {
    bool enabled = false;
    double retrain_hours = 0;          // event time between scheduled retrains; 0 = the strategies' smallest retrain_hours (1 without strategies)
    std::int64_t min_samples = 5000;   // labeled samples before a retrain is requested
    std::int64_t max_samples = 200000; // labeled samples kept (rolling, oldest out)
    double validation_fraction = 0.2;  // newest share of the samples: champion against challenger
    double promote_margin = 0.01;      // challenger's log-loss must be below the champion's by this share
    double swap_lag_s = 60;            // replays: event time from a request to its swap
    double min_gap_s = 600;            // event time between two drift-triggered retrains
    std::string drift = "page_hinkley";  // page_hinkley | adwin | both | off: detectors on the online log-loss
    std::int64_t drift_block = 500;    // labels averaged into one detector input
    std::int64_t drift_reference = 10; // blocks after a swap that set the model's own level (mean, sd)
    double ph_delta = 1;               // Page-Hinkley tolerance, in sds of the reference block means
    double ph_lambda = 50;             // Page-Hinkley threshold, likewise
    double adwin_delta = 0.002;        // ADWIN confidence
    std::int64_t ring = 16384;         // samples and labels in flight to the learner, power of two
    bool persist = true;               // write promoted models to the store and spill the samples
    double spill_every_s = 300;        // event time between spills of the samples
    std::string dir;                   // spill directory; "" = system.state_dir/learner
    bool operator==(const Learner&) const = default;
  } learner;

  // The backtest report (hftd replay --report DIR, hftd backtest).
  struct Report {
    double sample_ms = 1000;        // equity / inventory / quotes grid, exchange time
    double mid_sample_ms = 100;     // mids for markouts
    double quality_s = 900;         // the served model's online quality, per span of exchange time
    std::int64_t max_rows = 500000;   // orders, fills and grid samples kept row by row (touched at
                                      // start; aggregates go on past it)
    bool operator==(const Report&) const = default;
  } report;

  // Step 1: cleaning rules (clean stage). Each rule: on/off and what it does when it fires.
  struct CleanRule {
    bool enabled = true;
    CleanAction action = CleanAction::Flag;
    bool operator==(const CleanRule&) const = default;
  };
  struct Clean {
    CleanRule stale{true, CleanAction::Halt};
    CleanRule crossed{true, CleanAction::Halt};
    CleanRule locked{true, CleanAction::Flag};
    CleanRule halted{true, CleanAction::Halt};
    CleanRule luld{true, CleanAction::Halt};
    CleanRule bad_size{true, CleanAction::Drop};
    CleanRule bad_price{true, CleanAction::Drop};
    CleanRule time_backwards{true, CleanAction::Flag};
    CleanRule price_jump{true, CleanAction::Flag};
    CleanRule outside_band{true, CleanAction::Flag};
    bool book_check_group_end_only = true;  // crossed/locked judged at event-group ends only
    std::int64_t max_backwards_ns = 0;      // tolerated step back of exchange time
    std::size_t jump_window = 64;           // prices in the rolling median/MAD window, 3..1024
    std::size_t jump_min_samples = 16;      // no jump verdict before the window holds this many
    double jump_k = 10.0;                   // MADs beyond the median that make a jump
    double jump_min_bps = 10.0;             // floor of the jump threshold, bps of the median
    double band_bps = 1000.0;               // quotes outside +-band_bps of the mid are flagged
    bool operator==(const Clean&) const = default;
  } clean;

  // Step 2: the feature set (features stage; changing it changes the schema: restart).
  struct Features {
    bool book = true, flow = true, stat = true, tech = true, time = true;  // groups
    double horizon_short_s = 1, horizon_mid_s = 10, horizon_long_s = 60;  // decay time constants
    std::size_t levels = 5;             // depth levels of the book features, 1..10
    std::int64_t tick = 100;            // price units per tick (100 = $0.01)
    // An instrument's exchange time stepping forward more than max_gap_s, or back more than
    // max_backwards_s, restarts its time-based features (decayed sums, session features).
    double max_gap_s = 3600;            // (0, 30 days]
    double max_backwards_s = 0;         // [0, 1 day]; 0: any step back restarts
    // The trading session in local time (session features reset at its open), and local time
    // = UTC + utc_offset_min for sources whose times count from the Unix epoch (DBN).
    std::int64_t session_open_s = 34200;   // 09:30
    std::int64_t session_close_s = 57600;  // 16:00
    std::int64_t utc_offset_min = 0;
    // The Hawkes features (hawkes_buy/sell = mu + alpha * sum of exp(-beta (t - t_i)) over the
    // side's market orders): `hftd study hawkes` prints the values its fit gives.
    double hawkes_mu = 0.1, hawkes_alpha = 1.0, hawkes_beta = 2.0;
    // The statistical models as features (group "models": fitted Hawkes intensities,
    // queue-reactive P(up), ARMA-GARCH forecast, Bayesian drift and volatility), refitted per
    // instrument in the background every models_refit_s of event time (features/stat_models.hpp).
    bool models = false;
    double models_grid_s = 1;           // return sampling of ARMA-GARCH and Bayes, (0, 3600]
    double models_refit_s = 1800;       // (0, 86400]
    double models_swap_lag_s = 60;      // replays: request to swap, [0, models_refit_s]
    std::size_t models_window = 2048;   // grid returns kept for the ARMA-GARCH fit
    std::size_t models_orders = 4096;   // market orders kept for the Hawkes fit
    std::int64_t models_queue_units = 20;  // queue-reactive table size (units of the mean add)
    std::vector<std::string> coint_pairs;  // "Y/X" by symbol: the coint_z feature (models group)
    std::size_t coint_window = 1800;       // grid points in a pair's rolling regression
    bool operator==(const Features&) const = default;
  } features;

  // Step 3: regime detection (regime stage).
  struct Regimes {
    double interval_ms = 1000;          // sampling grid of the mid, event time
    std::string sample_on = "change";   // change: a grid point only when the mid moved; grid: every one
    std::size_t warmup = 600;           // returns before labels are given
    std::size_t min_moves = 100;        // non-zero returns before the warm-up ends / a GARCH fit is made
    std::size_t rv_window = 60;         // realised volatility window, returns
    std::size_t vr_window = 300;        // variance-ratio window, returns
    std::size_t vr_q = 5;               // variance-ratio horizon
    std::size_t ar_window = 300;        // rolling AR(1) window, returns
    double trend_z = 1.96;              // |VR z| for a trend / mean-reversion label
    std::size_t cp_max_run = 64;        // BOCPD run-length bound (cost per sample grows with it)
    double cp_hazard = 0.002;           // BOCPD constant hazard
    std::size_t refit_window = 3600;    // returns a background GARCH fit uses
    double refit_interval_s = 300;      // event time between fits of one instrument
    bool operator==(const Regimes&) const = default;
  } regimes;

  struct Telemetry {
    std::string http_bind = "127.0.0.1";
    std::uint16_t http_port = 9464;       // 0 = pick a free port
    double summary_interval_s = 10;       // 0 = no periodic summary
    // One event in N timed (stage and end-to-end histograms). 61: about 1.6% of events, so an
    // untimed event pays one counter compare; prime, so with power-of-two batches the timed
    // event walks through every position in a batch instead of always being the same one.
    std::uint32_t latency_sample_every = 61;
    double publish_interval_ms = 100;
    double config_watch_interval_ms = 500;  // 0 = no watching (SIGHUP only)
    // The control HTTP server's limits (telemetry/http_server.hpp HttpLimits).
    std::size_t http_max_connections = 64;    // open at once; idle ones give way to new ones, else 503
    std::size_t http_max_request_bytes = 8192;  // header and body each (413 above)
    double http_idle_timeout_s = 30;          // a request or a response write must finish within this
    bool operator==(const Telemetry&) const = default;
  } telemetry;

  bool operator==(const Config&) const = default;
};

struct ConfigError {
  std::string path;    // setting, like "system.layout[1].core"; "" for the whole file
  std::string reason;
};

struct LoadResult {
  std::optional<Config> config;  // set only when errors is empty
  std::vector<ConfigError> errors;
};

// Defaults; default layout: thread "hot" {feed, book, monitor} on core 1, spin.
Config default_config();

// A config file is at most this many bytes (the shipped config.yml is about 21 KB).
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;

// The bytes of a config file into out; "" or the reason it cannot be used: not a regular file
// (a FIFO, a device such as /dev/zero, a directory), above kMaxConfigBytes, a read error. Never
// blocks on a FIFO and never reads more than kMaxConfigBytes + 1 bytes.
std::string read_config_bytes(const std::string& file, std::string& out);

// Read errors, YAML syntax errors (with line:column), more than one YAML document, type, range,
// unknown-key and cross-field errors, all of them. Cores are checked against std::thread::hardware_concurrency().
LoadResult load_config_file(const std::string& file);
LoadResult parse_config(std::string_view yaml_text, const std::string& path_for_messages = "");
// The same, checking cores against `cpus` (another machine's count; 0 = do not check).
LoadResult load_config_file(const std::string& file, unsigned cpus);
LoadResult parse_config(std::string_view yaml_text, const std::string& path_for_messages,
                        unsigned cpus);

// Checks that concern running this file as the service rather than the file itself (`hftd run`
// and `hftd check-config` make them; other commands read a config for its other sections): a
// udp feed must name the address and port it is sent to.
std::vector<ConfigError> validate_for_run(const Config& c);

// What is valid but probably not meant, on a machine of `cpus` CPUs (0: this machine's): a layout
// whose threads that spin when idle hold every core starves the background work (the learner, the
// model and GARCH refits, the control thread) that a replay waits for at its swap points.
// `hftd check-config` prints these, `hftd run` logs them; neither refuses the file.
std::vector<std::string> warnings(const Config& c, unsigned cpus = 0);

// Range and cross-field checks of a configuration built in code (what the loader also checks).
std::vector<ConfigError> validate(const Config& c);
std::vector<ConfigError> validate(const Config& c, unsigned cpus);

// "FILE: system.layout[1].core: reason", one per line (each line ends with '\n').
std::string format_errors(const std::vector<ConfigError>& errors, const std::string& file);

struct Change {
  std::string path;    // like "feed.batch" or "strategies[0].max_position"
  bool needs_restart;
  bool operator==(const Change&) const = default;
};
// Every changed setting. needs_restart: system.layout, ring_capacity, ring_full, control_core,
// log_file, log_queue, state_dir, model_dir; feed.mode, input, dst_addr, dst_port,
// multicast_group, interface_addr, recv_buffer, max_orders, sources, mold; telemetry.http_bind,
// http_port, http_max_connections, http_max_request_bytes, http_idle_timeout_s.
std::vector<Change> diff(const Config& running, const Config& next);
// next, with every needs_restart setting kept from running (a restart-only change is never half
// applied); version and path are next's.
Config apply_reloadable(const Config& running, const Config& next);

std::uint64_t fnv1a64(std::string_view bytes) noexcept;
std::string version_string(std::uint64_t version);  // "0x" + 16 hex digits

// An `instruments` entry's units (tick and lot converted; validated by the loader).
InstrumentScale scale_of(const Config::Instrument& in) noexcept;

}  // namespace hft::config
