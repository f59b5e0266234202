#include "hft/learn/dataset.hpp"

#include <algorithm>
#include <stdexcept>

#include "hft/engine/engine_impl.hpp"
#include "hft/engine/stage_config.hpp"
#include "hft/features/features.hpp"
#include "hft/model/inputs.hpp"
#include "hft/sources/open.hpp"

namespace hft::learn {
namespace {

// What the sampling stage fills; owned by build_dataset.
struct Collector {
  const features::FeatureEngine* fe = nullptr;
  const feed::EventSource* src = nullptr;
  model::InputMap inputs;
  std::vector<model::Labeler> labelers;
  DatasetSpec spec;
  std::vector<std::uint8_t> want;
  std::size_t known = 0;
  std::unique_ptr<model::Sampler> sampler;
  // Per sample (in sampling order): inputs and labels as they resolve.
  model::Samples x;
  std::vector<std::vector<model::LabelValue>> labels;
  std::vector<std::vector<std::uint8_t>> resolved;
  std::vector<std::uint8_t> regime;
  std::vector<float> row;
  std::uint64_t events = 0;

  void resolve_filter() {
    if (spec.symbol.empty() || src->instruments().size() == known) return;
    known = src->instruments().size();
    for (const auto& in : src->instruments())
      if (in.symbol == spec.symbol && in.id < want.size()) want[in.id] = 1;
  }
  void on_event(const engine::Envelope& e) {
    const MarketEvent& ev = e.ev;
    if (ev.kind == EventKind::Directory || ev.kind == EventKind::System || ev.instrument >= want.size()) return;
    resolve_filter();
    if (!want[ev.instrument]) return;
    ++events;
    const bool snapshot = (ev.flags & evflag::kSnapshot) != 0;
    if (!snapshot)
      for (std::size_t h = 0; h < labelers.size(); ++h)
        labelers[h].on_event(ev.instrument, ev.ts_exch, e.top.bid, e.top.ask, [&](std::uint64_t id, const model::LabelValue& v) {
          labels[h][id] = v;
          resolved[h][id] = 1;
        });
    // The prediction stage's rule (engine::samplable), so the model serves the rows it was trained on.
    if (!engine::samplable(e) || !sampler->due(ev.instrument, ev.ts_exch, e.top.bid, e.top.ask, e.top.bid_qty, e.top.ask_qty))
      return;
    const std::uint64_t id = x.t.size();
    bool taken = true;
    for (auto& l : labelers) taken = l.add_sample(ev.instrument, id, ev.ts_exch) && taken;
    if (!taken) return;  // counted by the labeler (full ring, no mid)
    inputs.compute(fe->values(ev.instrument), e.regime, row.data());
    x.x.insert(x.x.end(), row.begin(), row.end());
    x.t.push_back(ev.ts_exch);
    x.instrument.push_back(ev.instrument);
    regime.push_back(e.regime);
    for (std::size_t h = 0; h < labelers.size(); ++h) {
      labels[h].emplace_back();
      resolved[h].push_back(0);
    }
  }
};

struct SampleStage {
  static constexpr std::string_view kName = "sample";
  static constexpr bool kReadsBook = true;  // reads the feature state
  explicit SampleStage(engine::StageEnv&) {}
  Collector* c = nullptr;
  bool on_event(engine::Envelope& e) noexcept {
    c->on_event(e);  // offline only: grows its vectors (never part of the engine's own pipeline)
    return true;
  }
};

using DatasetPipeline = engine::Pipeline<engine::BookStage, engine::CleanStage, engine::FeatureStage,
                                         engine::RegimeStage, SampleStage>;

}  // namespace

DatasetSpec dataset_spec(const config::Config& cfg) {
  DatasetSpec s;
  for (const auto& h : cfg.models.horizons) s.horizons.push_back(model::parse_horizon(h));
  s.sample_on = model::parse_sample_on(cfg.models.sample_on);
  s.sample_every = static_cast<Nanos>(cfg.models.sample_ms * 1e6);
  if (s.sample_every <= 0) s.sample_every = 1;
  s.max_pending = std::max<std::size_t>(cfg.models.max_pending, 1 << 16);  // offline: room for bursts
  return s;
}

Dataset build_dataset(const config::Config& cfg, const std::string& source_spec, const DatasetSpec& spec) {
  return build_dataset(cfg, sources::open_source(sources::parse_source_spec(source_spec)), spec);
}

Dataset build_dataset(const config::Config& cfg_in, std::unique_ptr<feed::EventSource> source, const DatasetSpec& spec) {
  if (spec.horizons.empty()) throw std::invalid_argument("no label horizon");
  config::Config cfg = cfg_in;
  cfg.system.layout = {config::ThreadLayout{"dataset", {"feed", "book", "clean", "features", "regime", "sample"}, -1,
                                            config::Idle::Spin, 0}};
  engine::EngineOptions eo;
  eo.trading_date = spec.trading_date;
  engine::BasicEngine<DatasetPipeline> eng(cfg, std::move(source), eo);
  const features::FeatureEngine& fe = eng.stage<engine::FeatureStage>().engine;
  const std::size_t max_instruments = eng.books().config().max_instruments;
  Collector c;
  c.fe = &fe;
  c.src = &eng.source();
  c.spec = spec;
  const double tick_currency = static_cast<double>(cfg.features.tick) / static_cast<double>(kPriceScale);
  c.inputs = model::InputMap(fe.schema().names, tick_currency);
  for (const auto& h : spec.horizons)
    c.labelers.emplace_back(h, cfg.features.tick, max_instruments, model::Labeler::pending_for(h, spec.max_pending), 0);
  c.want.assign(max_instruments, spec.symbol.empty() ? 1 : 0);
  c.sampler = std::make_unique<model::Sampler>(spec.sample_on, spec.sample_every, max_instruments);
  c.x.cols = c.inputs.size();
  c.x.names = c.inputs.names();
  c.labels.resize(spec.horizons.size());
  c.resolved.resize(spec.horizons.size());
  c.row.assign(c.inputs.size(), 0.0f);
  eng.stage<SampleStage>().c = &c;
  eng.start();
  eng.join();

  // Keep the rows whose every horizon resolved.
  Dataset d;
  d.feature_schema_hash = fe.schema().hash;
  d.feature_names = fe.schema().names;
  d.events = c.events;
  d.sampled = c.x.t.size();
  for (const auto& l : c.labelers) d.dropped += l.counters().dropped_full + l.counters().over_capacity;
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < c.x.t.size(); ++i) {
    bool all = true;
    for (const auto& r : c.resolved) all = all && r[i];
    if (all) keep.push_back(i);
    else ++d.unresolved;
  }
  c.x.y.assign(c.x.t.size(), 0.0f);  // subset() copies y
  d.x = c.x.subset(keep);
  d.x.y.clear();
  d.labels.resize(spec.horizons.size());
  for (std::size_t h = 0; h < spec.horizons.size(); ++h)
    for (std::size_t i : keep) d.labels[h].push_back(c.labels[h][i]);
  for (std::size_t i : keep) d.regime.push_back(c.regime[i]);
  d.source.assign(keep.size(), 0);
  return d;
}

Dataset build_dataset(const config::Config& cfg, const std::vector<std::string>& sources, const DatasetSpec& spec) {
  if (sources.empty()) throw std::invalid_argument("no input source");
  Dataset all = build_dataset(cfg, sources[0], spec);
  for (std::size_t s = 1; s < sources.size(); ++s) {
    Dataset d = build_dataset(cfg, sources[s], spec);
    if (d.feature_schema_hash != all.feature_schema_hash) throw std::runtime_error("sources give different feature schemas");
    // Times since midnight start again with each day: shift a later source after the earlier
    // ones (a day apart), so that rows stay in time order for the walk-forward splits.
    if (!d.x.t.empty() && !all.x.t.empty() && d.x.t.front() <= all.x.t.back()) {
      const Nanos shift = all.x.t.back() - d.x.t.front() + 86'400'000'000'000;
      for (Nanos& t : d.x.t) t += shift;
      for (auto& hl : d.labels)
        for (auto& v : hl) v.t_end += shift;
    }
    all.x.x.insert(all.x.x.end(), d.x.x.begin(), d.x.x.end());
    all.x.t.insert(all.x.t.end(), d.x.t.begin(), d.x.t.end());
    all.x.instrument.insert(all.x.instrument.end(), d.x.instrument.begin(), d.x.instrument.end());
    for (std::size_t h = 0; h < all.labels.size(); ++h)
      all.labels[h].insert(all.labels[h].end(), d.labels[h].begin(), d.labels[h].end());
    all.regime.insert(all.regime.end(), d.regime.begin(), d.regime.end());
    all.source.insert(all.source.end(), d.x.t.size(), static_cast<std::uint32_t>(s));
    all.events += d.events;
    all.sampled += d.sampled;
    all.unresolved += d.unresolved;
    all.dropped += d.dropped;
  }
  return all;
}

Dataset rows_of(const Dataset& d, std::span<const std::size_t> idx) {
  Dataset out;
  out.x = d.x.subset(idx);
  out.labels.resize(d.labels.size());
  for (std::size_t h = 0; h < d.labels.size(); ++h)
    for (std::size_t i : idx) out.labels[h].push_back(d.labels[h][i]);
  for (std::size_t i : idx) {
    if (i < d.regime.size()) out.regime.push_back(d.regime[i]);
    if (i < d.source.size()) out.source.push_back(d.source[i]);
  }
  out.feature_schema_hash = d.feature_schema_hash;
  out.feature_names = d.feature_names;
  out.events = d.events;
  out.sampled = idx.size();
  return out;
}

}  // namespace hft::learn
