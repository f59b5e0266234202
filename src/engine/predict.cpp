#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "hft/engine/stage_config.hpp"
#include "hft/engine/stages.hpp"
#include "hft/telemetry/log.hpp"

namespace hft::engine {

void OnlineScore::add(int truth, const float* p) noexcept {
  const int pred = model::top_class(p);
  ++confusion[static_cast<std::size_t>(truth * 3 + pred)];
  const double q = std::clamp(static_cast<double>(p[truth]), 1e-15, 1.0);
  log_loss_sum -= std::log(q);
  ++n;
}

double OnlineScore::accuracy() const noexcept {
  if (n == 0) return 0;
  return static_cast<double>(confusion[0] + confusion[4] + confusion[8]) / static_cast<double>(n);
}

double OnlineScore::macro_f1() const noexcept {
  double sum = 0;
  for (std::size_t c = 0; c < 3; ++c) {
    std::uint64_t tp = confusion[c * 3 + c], pred = 0, truth = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      pred += confusion[k * 3 + c];
      truth += confusion[c * 3 + k];
    }
    if (pred + truth > 0) sum += 2.0 * static_cast<double>(tp) / static_cast<double>(pred + truth);
  }
  return sum / 3;
}

PredictStage::PredictStage(StageEnv& env) : fe(env.features), max_instr(env.max_instruments), ns_per_tick(env.ns_per_tick) {
  const config::Config& cfg = env.cfg;
  env.online = &score;  // the strategies' model-degradation breaker reads it (same thread)
  recorder = env.recorder;
  if (!fe || !cfg.models.predict) return;
  const double tick_currency = static_cast<double>(cfg.features.tick) / static_cast<double>(kPriceScale);
  inputs = model::InputMap(fe->schema().names, tick_currency);
  const std::string dir = cfg.models.path.empty() ? cfg.system.model_dir : cfg.models.path;
  const std::string hname = cfg.models.predict_horizon.empty() ? cfg.models.horizons.at(0) : cfg.models.predict_horizon;
  const model::Horizon h = model::parse_horizon(hname);
  load = model::load_serving(dir, fe->schema().hash, inputs, h);
  if (env.model_schedule)
    for (const auto& [t, d] : *env.model_schedule) {
      model::ServingLoad l = model::load_serving(d, fe->schema().hash, inputs, h);
      if (!l.model) throw std::runtime_error("backtest: no model to serve in " + d + ": " + l.reason);
      schedule.emplace_back(t, std::move(l.model));
    }
  if (!schedule.empty() && !load.model) load.model = schedule.front().second;  // the stage's buffers, sized once
  for (const auto& r : load.refusals)
    telemetry::log_warn("models: version {} refused ({}): {}", r.version, r.file.empty() ? "model" : r.file, r.reason);
  if (!load.model) {
    telemetry::log_info("models: no model served from {}: {}", dir, load.reason);
    return;
  }
  labeler = std::make_unique<model::Labeler>(h, cfg.features.tick, env.max_instruments,
                                             model::Labeler::pending_for(h, cfg.models.max_pending),
                                             std::min<std::size_t>(env.max_instruments, cfg.system.max_instruments));
  sampler = std::make_unique<model::Sampler>(model::parse_sample_on(cfg.models.sample_on),
                                             static_cast<Nanos>(cfg.models.sample_ms * 1e6), env.max_instruments);
  online_lr = cfg.models.online_learning_rate;
  if (schedule.empty() || schedule.front().first == INT64_MIN) {
    serve(load.model);
    telemetry::log_info("models: serving version {} (horizon {}, {} inputs)", load.model->version, h.name(), load.model->en.input_names.size());
  } else telemetry::log_info("models: {} versions scheduled, the first from exchange time {} ns", schedule.size(), schedule.front().first);
}

void PredictStage::swap_scheduled(Nanos ts) {
  while (next_swap < schedule.size() && ts >= schedule[next_swap].first) serve(schedule[next_swap++].second);
  std::fill(ring_id.begin(), ring_id.end(), ~std::uint64_t{0});  // the old version's pending labels
}

void PredictStage::serve(std::shared_ptr<const model::ServingModel> m) {
  if (!m) return;
  cols = m->en.input_names.size();
  defs.assign(inputs.size(), 0.0f);
  row.assign(model::kMaxModelInputs, 0.0f);
  ring_p.assign(capacity * 3, 0.0f);
  ring_row.assign(capacity * cols, 0.0f);
  ring_id.assign(capacity, ~std::uint64_t{0});
  has_online_logistic = m->en.has[static_cast<std::size_t>(model::Member::Logistic)];
  if (has_online_logistic) online_logistic = m->en.logistic;
  has_online_bayes = m->en.bayes.inputs() > 0;
  if (has_online_bayes) online_bayes = m->en.bayes;
  versions.push_back(m->version);
  owner = std::move(m);
  current.store(owner.get(), std::memory_order_release);
}

void PredictStage::on_label(std::uint64_t id, const model::LabelValue& v) noexcept {
  const model::ServingModel* m = current.load(std::memory_order_relaxed);
  const std::size_t slot = id % capacity;
  if (ring_id[slot] != id) {
    ++lost;
    return;
  }
  const int truth = m->en.label_class(v);
  score.add(truth, &ring_p[slot * 3]);
  if (recorder) recorder->on_label(&ring_p[slot * 3], truth);
  ++labelled;
  const float* r = &ring_row[slot * cols];
  if (has_online_logistic) (void)online_logistic.update(r, truth, online_lr);
  if (has_online_bayes) {
    float z[model::kMaxModelInputs];
    m->en.bayes_inputs(r, z);
    (void)online_bayes.update(z, v.ret_bps);
  }
}

bool PredictStage::on_event(Envelope& e) noexcept {
  e.pred.made = 0;
  if (next_swap < schedule.size() && e.ev.ts_exch >= schedule[next_swap].first) [[unlikely]] swap_scheduled(e.ev.ts_exch);
  const model::ServingModel* m = current.load(std::memory_order_acquire);
  if (!m) return true;
  const MarketEvent& ev = e.ev;
  if (ev.kind == EventKind::Directory || ev.kind == EventKind::System || (ev.flags & evflag::kSnapshot) != 0) return true;
  labeler->on_event(ev.instrument, ev.ts_exch, e.top.bid, e.top.ask,
                    [this](std::uint64_t id, const model::LabelValue& v) { on_label(id, v); });
  if (!samplable(e) || ev.instrument >= max_instr ||
      !sampler->due(ev.instrument, ev.ts_exch, e.top.bid, e.top.ask, e.top.bid_qty, e.top.ask_qty))
    return true;
  const std::uint64_t t0 = telemetry::rdtsc();
  m->row(inputs, fe->values(ev.instrument), e.regime, defs.data(), row.data());
  model::Prediction p;
  m->en.predict(row.data(), p, has_online_logistic ? &online_logistic : nullptr, has_online_bayes ? &online_bayes : nullptr);
  const std::uint64_t t1 = telemetry::rdtsc();
  latency.record(static_cast<std::uint64_t>(static_cast<double>(t1 - t0) * ns_per_tick));
  std::copy(p.p.begin(), p.p.end(), e.pred.p);
  e.pred.exp_ret_bps = p.exp_ret_bps;
  e.pred.confidence = p.confidence;
  e.pred.model = static_cast<std::uint16_t>(versions.size() - 1);
  e.pred.made = 1;
  if (recorder) recorder->on_prediction(ev.ts_exch, e.pred.p, e.pred.confidence);
  ++made;
  ++mix[static_cast<std::size_t>(p.cls())];
  for (float x : {p.p[0], p.p[1], p.p[2], p.exp_ret_bps, p.confidence})
    digest = (digest ^ std::bit_cast<std::uint32_t>(x)) * 0x100000001B3ull + (digest >> 29);
  // Follow it: its label comes when the horizon has passed.
  const std::uint64_t id = next_sample++;
  if (labeler->add_sample(ev.instrument, id, ev.ts_exch)) {
    const std::size_t slot = id % capacity;
    ring_id[slot] = id;
    std::copy(p.p.begin(), p.p.end(), &ring_p[slot * 3]);
    std::copy(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(cols), &ring_row[slot * cols]);
  } else {
    ++not_sampled;
  }
  return true;
}

void PredictStage::publish() noexcept {
  made_out.set(made);
  labelled_out.set(labelled);
}

}  // namespace hft::engine
