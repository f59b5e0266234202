#include <algorithm>
#include <bit>
#include <cmath>
#include <chrono>
#include <cstring>
#include <thread>

#include "hft/core/cpu_relax.hpp"

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

PredictStage::PredictStage(StageEnv& env)
    : fe(env.features), max_instr(env.max_instruments), link(env.learner), live(env.live), ns_per_tick(env.ns_per_tick) {
  const config::Config& cfg = env.cfg;
  env.online = &score;  // the strategies' model-degradation breaker reads it (same thread)
  recorder = env.recorder;
  if (!fe || !cfg.models.predict) link = nullptr;
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
  if (!load.model) telemetry::log_info("models: no model served from {}: {}", dir, load.reason);
  if (!load.model && !link) return;
  labeler = std::make_unique<model::Labeler>(h, cfg.features.tick, env.max_instruments,
                                             model::Labeler::pending_for(h, cfg.models.max_pending),
                                             std::min<std::size_t>(env.max_instruments, cfg.system.max_instruments));
  sampler = std::make_unique<model::Sampler>(model::parse_sample_on(cfg.models.sample_on),
                                             static_cast<Nanos>(cfg.models.sample_ms * 1e6), env.max_instruments);
  online_lr = cfg.models.online_learning_rate;
  quality_width = std::max<Nanos>(1'000'000'000, static_cast<Nanos>(cfg.report.quality_s * 1e9));
  size_buffers();
  versions.reserve(schedule.size() + 1);
  if (link) {
    if (inputs.size() > kMaxLearnInputs)
      throw std::runtime_error("learner: " + std::to_string(inputs.size()) + " model inputs, a sample carries at most " +
                               std::to_string(kMaxLearnInputs));
    const auto& l = cfg.learner;
    double hours = l.retrain_hours;
    if (hours <= 0) {
      hours = 1;
      for (std::size_t i = 0; i < cfg.strategies.size(); ++i)
        hours = i == 0 ? cfg.strategies[i].retrain_hours : std::min(hours, cfg.strategies[i].retrain_hours);
    }
    retrain_every = static_cast<Nanos>(hours * 3600e9);
    swap_lag = static_cast<Nanos>(l.swap_lag_s * 1e9);
    min_gap = static_cast<Nanos>(l.min_gap_s * 1e9);
    min_samples = static_cast<std::uint64_t>(l.min_samples);
    drift = model::DriftWatch(l.drift, static_cast<std::uint32_t>(l.drift_block), static_cast<std::uint32_t>(l.drift_reference),
                              l.ph_delta, l.ph_lambda, l.adwin_delta);
    link->block_when_full = !live && cfg.system.ring_full == config::RingFull::Block;
    link->inputs = inputs;
    link->horizon = h;
    link->schema_hash = fe->schema().hash;
    link->feature_names = fe->schema().names;
    link->initial = load.model;
  }
  if (!load.model) return;
  if (schedule.empty() || schedule.front().first == INT64_MIN) {
    serve(load.model);
    telemetry::log_info("models: serving version {} (horizon {}, {} inputs)", load.model->version, h.name(), load.model->en.input_names.size());
  } else telemetry::log_info("models: {} versions scheduled, the first from exchange time {} ns", schedule.size(), schedule.front().first);
}

// Every buffer sized once for any model (a swap allocates nothing): rows of kMaxModelInputs,
// online members with room for the largest.
void PredictStage::size_buffers() {
  defs.assign(inputs.size(), 0.0f);
  row.assign(model::kMaxModelInputs, 0.0f);
  ring_p.assign(capacity * 3, 0.0f);
  ring_row.assign(capacity * model::kMaxModelInputs, 0.0f);
  ring_id.assign(capacity, ~std::uint64_t{0});
  ring_model.assign(capacity, 0);
  const std::vector<double> zero(model::kMaxModelInputs, 0.0), one(model::kMaxModelInputs, 1.0);
  online_logistic = model::LogisticModel::zeros(static_cast<int>(model::kMaxModelInputs), model::kLogisticMaxClasses, zero, one, 0);
  online_bayes = model::BayesLinear(static_cast<int>(model::kMaxModelInputs), true, 1, 1, 1);
}

void PredictStage::swap_scheduled(Nanos ts) {
  while (next_swap < schedule.size() && ts >= schedule[next_swap].first) serve(schedule[next_swap++].second);
}

// The online members start from the new model's fitted state: copies into buffers that already
// have room (no allocation).
void PredictStage::adopt(const model::ServingModel& m) noexcept {
  cols = m.en.input_names.size();
  has_online_logistic = m.en.has[static_cast<std::size_t>(model::Member::Logistic)];
  if (has_online_logistic) online_logistic = m.en.logistic;
  has_online_bayes = m.en.bayes.inputs() > 0;
  if (has_online_bayes) online_bayes = m.en.bayes;
  drift.reset();
  current.store(&m, std::memory_order_release);
}

void PredictStage::serve(std::shared_ptr<const model::ServingModel> m) {
  if (!m) return;
  if (ring_id.empty()) size_buffers();  // tests serving without a store
  versions.push_back(m->version);
  model_index = static_cast<std::uint16_t>(versions.size() - 1);
  owner = std::move(m);
  adopt(*owner);
}

void PredictStage::on_label(std::uint64_t id, const model::LabelValue& v, Nanos now) noexcept {
  ++labels_seen;
  if (link) push_learn(LearnMsg::Kind::Label, 0, 0, id, now, &v);
  const model::ServingModel* m = current.load(std::memory_order_relaxed);
  const std::size_t slot = id % capacity;
  if (ring_id[slot] != id) {
    if (m) ++lost;
    return;
  }
  ring_id[slot] = ~std::uint64_t{0};
  const int truth = m->en.label_class(v);
  const float* p = &ring_p[slot * 3];
  score.add(truth, p);
  if (recorder) recorder->on_label(p, truth);
  ++labelled;
  const double loss = -std::log(std::clamp(static_cast<double>(p[truth]), 1e-15, 1.0));
  const bool hit = model::top_class(p) == truth;
  {
    if (quality_t0 == INT64_MIN) quality_t0 = now - now % quality_width;
    const Nanos k = (now - quality_t0) / quality_width;
    QualityBucket& q = quality[static_cast<std::size_t>(std::clamp<Nanos>(k, 0, kQualityBuckets - 1))];
    ++q.n;
    q.hits += hit;
    q.log_loss += loss;
  }
  if (ring_model[slot] != model_index) return;  // made by a version swapped out since: scored only
  if (link && drift.update(loss, hit, now)) {
    link->drift_alarms.add(1);
    if (!drift_fired) {  // the first alarm dates the change; repeats while waiting do not move it
      drift_fired = true;
      drift_since = drift.change_at;
      drift_labels_at = drift.labels_at_change;
    }
  }
  const float* r = &ring_row[slot * model::kMaxModelInputs];
  if (has_online_logistic) (void)online_logistic.update(r, truth, online_lr);
  if (has_online_bayes) {
    float z[model::kMaxModelInputs];
    m->en.bayes_inputs(r, z);
    (void)online_bayes.update(z, v.ret_bps);
  }
}

// Live: a full ring drops (counted). Replays with ring_full block: waits for room, so the
// learner sees every sample and label and its snapshots are a function of the input.
bool PredictStage::push_learn(LearnMsg::Kind kind, InstrumentId instr, std::uint8_t regime, std::uint64_t id, Nanos t,
                              const model::LabelValue* v) noexcept {
  LearnMsg& msg = out_msg;
  msg.kind = kind;
  msg.instrument = instr;
  msg.regime = regime;
  msg.id = id;
  msg.t = t;
  if (v) msg.label = *v;
  if (kind == LearnMsg::Kind::Retrain) {
    msg.reason = request_reason;
    msg.since = request_reason == RetrainReason::Drift ? drift_since : 0;
  }
  while (!link->ring.try_push(msg)) {
    if (!link->block_when_full) {
      link->dropped.add(1);
      return false;
    }
    cpu_relax(64);
  }
  link->pushed.add(1);
  return true;
}

// Event time decides: a request on schedule, after a drift alarm (at most one per min_gap), or to
// bootstrap a first model; one at a time.
void PredictStage::maybe_request(Nanos ts) noexcept {
  if (pending || labels_seen < min_samples) return;
  const model::ServingModel* m = current.load(std::memory_order_relaxed);
  // Bootstrap at once, then (rejected) on the schedule; a served model waits a full interval.
  if (next_retrain == INT64_MIN) next_retrain = m ? ts + retrain_every : ts;
  RetrainReason why;
  // After drift: once min_samples labels have come since the change began (a challenger
  // trained on them), and not within min_gap of the previous request.
  if (drift_fired && m && drift.labels - drift_labels_at >= min_samples &&
      (last_request == INT64_MIN || ts - last_request >= min_gap))
    why = RetrainReason::Drift;
  else if (ts >= next_retrain) why = m ? RetrainReason::Schedule : RetrainReason::Bootstrap;
  else return;
  drift_fired = false;
  request_reason = why;
  const std::uint64_t req = next_request;
  if (!push_learn(LearnMsg::Kind::Retrain, 0, 0, req, ts, nullptr)) return;  // live, ring full: next event tries again
  ++next_request;
  pending = true;
  last_request = ts;
  next_retrain = ts + retrain_every;
  swap_at = ts + swap_lag;
  link->requests.add(1);
}

void PredictStage::take_decision() noexcept {
  Decision& d = link->decision;
  pending = false;
  swap_at = INT64_MAX;
  d.ready.store(false, std::memory_order_relaxed);
  if (d.outcome != Decision::Outcome::Promoted || d.model == nullptr) return;
  model_index = static_cast<std::uint16_t>(d.seq);
  adopt(*d.model);
  link->served_seq.store(d.seq, std::memory_order_release);  // older versions may be freed now
  link->swaps.add(1);
}

bool PredictStage::on_event(Envelope& e) noexcept {
  e.pred.made = 0;
  if (next_swap < schedule.size() && e.ev.ts_exch >= schedule[next_swap].first) [[unlikely]] swap_scheduled(e.ev.ts_exch);
  if (!labeler) return true;
  const MarketEvent& ev = e.ev;
  if (ev.kind == EventKind::Directory || ev.kind == EventKind::System || (ev.flags & evflag::kSnapshot) != 0) return true;
  if (link) [[unlikely]] {
    if (pending) {
      if (live) {
        if (link->decision.ready.load(std::memory_order_acquire)) take_decision();
      } else if (ev.ts_exch >= swap_at) {  // a fixed point of event time: the decision is taken here
        if (!link->decision.ready.load(std::memory_order_acquire)) {
          link->waited.add(1);
          while (!link->decision.ready.load(std::memory_order_acquire)) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        take_decision();
      }
    }
    maybe_request(ev.ts_exch);
  }
  labeler->on_event(ev.instrument, ev.ts_exch, e.top.bid, e.top.ask,
                    [this, &ev](std::uint64_t id, const model::LabelValue& v) { on_label(id, v, ev.ts_exch); });
  if (!samplable(e) || ev.instrument >= max_instr ||
      !sampler->due(ev.instrument, ev.ts_exch, e.top.bid, e.top.ask, e.top.bid_qty, e.top.ask_qty))
    return true;
  const model::ServingModel* m = current.load(std::memory_order_acquire);
  const std::uint64_t id = next_sample;
  // With a learner every input is computed once, into the sample it sends; the model's row is
  // gathered from it.
  if (link) inputs.compute(fe->values(ev.instrument), e.regime, out_msg.x);
  if (m) {
    const std::uint64_t t0 = telemetry::rdtsc();
    if (link) m->gather(out_msg.x, row.data());
    else m->row(inputs, fe->values(ev.instrument), e.regime, defs.data(), row.data());
    model::Prediction p;
    m->en.predict(row.data(), p, has_online_logistic ? &online_logistic : nullptr, has_online_bayes ? &online_bayes : nullptr);
    const std::uint64_t t1 = telemetry::rdtsc();
    latency.record(static_cast<std::uint64_t>(static_cast<double>(t1 - t0) * ns_per_tick));
    std::copy(p.p.begin(), p.p.end(), e.pred.p);
    e.pred.exp_ret_bps = p.exp_ret_bps;
    e.pred.confidence = p.confidence;
    e.pred.model = model_index;
    e.pred.made = 1;
    if (recorder) recorder->on_prediction(ev.ts_exch, e.pred.p, e.pred.confidence);
    ++made;
    ++mix[static_cast<std::size_t>(p.cls())];
    for (float x : {p.p[0], p.p[1], p.p[2], p.exp_ret_bps, p.confidence})
      digest = (digest ^ std::bit_cast<std::uint32_t>(x)) * 0x100000001B3ull + (digest >> 29);
    const std::size_t slot = id % capacity;
    std::copy(p.p.begin(), p.p.end(), &ring_p[slot * 3]);
    std::copy(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(cols), &ring_row[slot * model::kMaxModelInputs]);
    ring_model[slot] = model_index;
  }
  // Follow it: its label comes when the horizon has passed.
  ++next_sample;
  if (labeler->add_sample(ev.instrument, id, ev.ts_exch)) {
    if (m) ring_id[id % capacity] = id;
    if (link) (void)push_learn(LearnMsg::Kind::Sample, ev.instrument, e.regime, id, ev.ts_exch, nullptr);
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
