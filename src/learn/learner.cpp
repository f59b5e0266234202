#include "hft/learn/learner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <pthread.h>
#include <sched.h>

#include "hft/dataset/columnar.hpp"
#include "hft/engine/engine.hpp"
#include "hft/learn/train.hpp"
#include "hft/learn/walk_forward.hpp"
#include "hft/model/sha256.hpp"
#include "hft/model/store.hpp"
#include "hft/telemetry/log.hpp"

namespace hft::learn {

namespace {

// Spill columns after the inputs: the label and its window, the regime byte.
const std::vector<std::string> kSpillExtra = {"label.move_ticks", "label.move_bps", "label.ret_bps", "label.t_end_offset_ns", "regime"};

std::string json_num(double v) {
  if (!std::isfinite(v)) return "null";
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

}  // namespace

// ---- spill

namespace {
// The sums a spill's checksum file lists, one a line (none when it is missing or empty).
std::vector<std::string> read_sums(const std::string& file) {
  std::vector<std::string> sums;
  std::ifstream f(file);
  for (std::string w; f >> w;) sums.push_back(w);
  return sums;
}
// Replaces the checksum file in one rename.
void write_sums(const std::string& file, const std::vector<std::string>& sums) {
  {
    std::ofstream f(file + ".tmp", std::ios::trunc);
    for (const std::string& w : sums) f << w << "\n";
    if (!f) throw std::runtime_error("cannot write " + file + ".tmp");
  }
  std::filesystem::rename(file + ".tmp", file);
}
}  // namespace

void write_spill(const std::string& path, const StoreRows& r, const std::vector<std::string>& input_names,
                 std::uint64_t schema_hash) {
  std::vector<std::string> names = input_names;
  names.insert(names.end(), kSpillExtra.begin(), kSpillExtra.end());
  const std::string tmp = path + ".tmp";
  {
    dataset::ColumnarWriter w(tmp, names, schema_hash);
    std::vector<float> row(names.size());
    for (std::size_t i = 0; i < r.rows(); ++i) {
      std::copy_n(&r.x[i * r.cols], r.cols, row.begin());
      const model::LabelValue& v = r.label[i];
      float* e = row.data() + r.cols;
      e[0] = static_cast<float>(v.move_ticks);
      e[1] = static_cast<float>(v.move_bps);
      e[2] = static_cast<float>(v.ret_bps);
      e[3] = static_cast<float>(r.t_end[i] - r.t[i]);
      e[4] = static_cast<float>(r.regime[i]);
      w.append(r.t[i], r.instrument[i], row.data());
    }
    w.close();
  }
  // The checksum file lists the sums the data file may have. Before the new data is renamed into
  // place it lists the new sum and those it listed (the data file there now), after it the new
  // sum alone; each step is one atomic rename, so a kill at any point leaves a data file whose
  // sum is listed: the spill before or this one, never a refused pair. (It wrote the sum after
  // the data: a kill between the two lost the whole spill.) A torn or corrupt file matches none.
  const std::string sum = model::sha256_file(tmp);
  std::vector<std::string> sums = read_sums(path + ".sha256");
  sums.insert(sums.begin(), sum);
  if (sums.size() > 3) sums.resize(3);
  write_sums(path + ".sha256", sums);
  std::filesystem::rename(tmp, path);
  write_sums(path + ".sha256", {sum});
}

StoreRows read_spill(const std::string& path, const std::vector<std::string>& input_names, std::uint64_t schema_hash) {
  if (!std::filesystem::exists(path + ".sha256"))
    throw std::runtime_error(path + ": no checksum file " + path + ".sha256 (torn spill)");
  const std::vector<std::string> want = read_sums(path + ".sha256");
  const std::string got = model::sha256_file(path);
  if (std::find(want.begin(), want.end(), got) == want.end()) {
    std::string listed;
    for (const std::string& w : want) listed += (listed.empty() ? "" : " or ") + w;
    throw std::runtime_error(path + ": sha256 mismatch (torn or corrupt spill): expected " +
                             (listed.empty() ? "a sum (the checksum file is empty)" : listed) + ", got " + got);
  }
  const dataset::Table t = dataset::read_columnar(path, schema_hash);
  if (t.names.size() != input_names.size() + kSpillExtra.size() ||
      !std::equal(input_names.begin(), input_names.end(), t.names.begin()))
    throw std::runtime_error(path + ": its inputs are not the engine's (another feature set)");
  StoreRows r;
  r.cols = input_names.size();
  const std::size_t n = t.ts.size();
  r.x.resize(n * r.cols);
  for (std::size_t c = 0; c < r.cols; ++c)
    for (std::size_t i = 0; i < n; ++i) r.x[i * r.cols + c] = t.columns[c][i];
  r.t.assign(t.ts.begin(), t.ts.end());
  r.instrument.assign(t.instrument.begin(), t.instrument.end());
  r.t_end.resize(n);
  r.regime.resize(n);
  r.label.resize(n);
  const auto* e = &t.columns[r.cols];
  for (std::size_t i = 0; i < n; ++i) {
    r.label[i] = {e[0][i], e[1][i], e[2][i], 0};
    r.t_end[i] = r.t[i] + static_cast<Nanos>(e[3][i]);
    r.label[i].t_end = r.t_end[i];
    r.regime[i] = static_cast<std::uint8_t>(e[4][i]);
  }
  return r;
}

// ---- learner

// Drops the rows sampled before `since` (rows in time order).
void keep_since(StoreRows& r, Nanos since) {
  const std::size_t from = static_cast<std::size_t>(std::lower_bound(r.t.begin(), r.t.end(), since) - r.t.begin());
  if (from == 0) return;
  r.x.erase(r.x.begin(), r.x.begin() + static_cast<std::ptrdiff_t>(from * r.cols));
  for (auto* v : {&r.t, &r.t_end}) v->erase(v->begin(), v->begin() + static_cast<std::ptrdiff_t>(from));
  r.instrument.erase(r.instrument.begin(), r.instrument.begin() + static_cast<std::ptrdiff_t>(from));
  r.regime.erase(r.regime.begin(), r.regime.begin() + static_cast<std::ptrdiff_t>(from));
  r.label.erase(r.label.begin(), r.label.begin() + static_cast<std::ptrdiff_t>(from));
}

Learner::Learner(const config::Config& cfg, bool persist)
    : cfg_(cfg), persist_(persist), link_(static_cast<std::size_t>(cfg.learner.ring)) {
  store_dir_ = cfg.models.path.empty() ? cfg.system.model_dir : cfg.models.path;
  const std::string dir = cfg.learner.dir.empty() ? cfg.system.state_dir + "/learner" : cfg.learner.dir;
  spill_path_ = dir + "/samples.hftc";
  max_rows_ = static_cast<std::size_t>(cfg.learner.max_samples);
}

Learner::~Learner() { stop(); }

void Learner::start(int cpu) {
  if (started_) return;
  started_ = true;
  n_ = link_.inputs.size();
  store_.cols = n_;
  pend_id_.assign(kPending, ~std::uint64_t{0});
  pend_x_.assign(kPending * n_, 0.0f);
  pend_t_.assign(kPending, 0);
  pend_instr_.assign(kPending, 0);
  pend_regime_.assign(kPending, 0);
  champion_ = link_.initial;
  if (persist_ && std::filesystem::exists(spill_path_)) {
    try {
      StoreRows r = read_spill(spill_path_, link_.inputs.names(), link_.schema_hash);
      const std::size_t from = r.rows() > max_rows_ ? r.rows() - max_rows_ : 0;
      for (std::size_t i = from; i < r.rows(); ++i) {
        store_.x.insert(store_.x.end(), &r.x[i * n_], &r.x[(i + 1) * n_]);
        store_.t.push_back(r.t[i]);
        store_.t_end.push_back(r.t_end[i]);
        store_.instrument.push_back(r.instrument[i]);
        store_.regime.push_back(r.regime[i]);
        store_.label.push_back(r.label[i]);
      }
      resumed_ = store_.rows();
      link_.stored.set(resumed_);
      telemetry::log_info("learner: resumed {} labeled samples from {}", resumed_, spill_path_);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lk(mu_);
      spill_error_ = e.what();
      telemetry::log_error("learner: spill refused, starting without it: {}", e.what());
    }
  }
  collector_ = std::thread([this, cpu] {
    engine::name_current_thread("learn-collect");
    (void)engine::pin_current_thread(cpu, 0);
    collect();
  });
  trainer_ = std::thread([this, cpu] {
    engine::name_current_thread("learn-train");
    (void)engine::pin_current_thread(cpu, 0);
    if (cfg_.system.background_priority == config::BackgroundPriority::Idle) {  // minutes of fitting: only spare cycles
      sched_param sp{};
      (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    }
    train_loop();
  });
}

void Learner::stop() {
  if (!started_) return;
  stop_.store(true, std::memory_order_release);
  if (collector_.joinable()) collector_.join();
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (trainer_.joinable()) trainer_.join();
  started_ = false;
}

void Learner::post(Job job) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

// Pops in event order until stopped and drained; spills once more at the end.
void Learner::collect() {
  std::vector<engine::LearnMsg> buf(64);
  for (;;) {
    const bool stopping = stop_.load(std::memory_order_acquire);
    const std::size_t n = link_.ring.pop_batch(buf.data(), buf.size());
    for (std::size_t i = 0; i < n; ++i) on_msg(buf[i]);
    reclaim();
    if (n == 0) {
      if (stopping) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  if (persist_ && store_.rows() > 0) post({Job::Kind::Spill, 0, last_t_, {}, snapshot(false), 0});
}

void Learner::on_msg(const engine::LearnMsg& m) {
  last_t_ = std::max(last_t_, m.t);
  switch (m.kind) {
    case engine::LearnMsg::Kind::Sample: {
      const std::size_t s = m.id % kPending;
      pend_id_[s] = m.id;
      std::copy_n(m.x, n_, &pend_x_[s * n_]);
      pend_t_[s] = m.t;
      pend_instr_[s] = m.instrument;
      pend_regime_[s] = m.regime;
      break;
    }
    case engine::LearnMsg::Kind::Label: {
      const std::size_t s = m.id % kPending;
      if (pend_id_[s] != m.id) {
        link_.unmatched.add(1);
        break;
      }
      pend_id_[s] = ~std::uint64_t{0};
      if (store_.rows() < max_rows_) {
        store_.x.insert(store_.x.end(), &pend_x_[s * n_], &pend_x_[(s + 1) * n_]);
        store_.t.push_back(pend_t_[s]);
        store_.t_end.push_back(m.t);
        store_.instrument.push_back(pend_instr_[s]);
        store_.regime.push_back(pend_regime_[s]);
        store_.label.push_back(m.label);
      } else {  // full: overwrite the oldest
        const std::size_t k = head_;
        head_ = (head_ + 1) % max_rows_;
        std::copy_n(&pend_x_[s * n_], n_, &store_.x[k * n_]);
        store_.t[k] = pend_t_[s];
        store_.t_end[k] = m.t;
        store_.instrument[k] = pend_instr_[s];
        store_.regime[k] = pend_regime_[s];
        store_.label[k] = m.label;
      }
      link_.stored.set(store_.rows());
      if (persist_) {
        if (next_spill_ == INT64_MIN) next_spill_ = m.t + static_cast<Nanos>(cfg_.learner.spill_every_s * 1e9);
        if (m.t >= next_spill_) {
          next_spill_ = m.t + static_cast<Nanos>(cfg_.learner.spill_every_s * 1e9);
          post({Job::Kind::Spill, 0, m.t, {}, snapshot(false), 0});
        }
      }
      break;
    }
    case engine::LearnMsg::Kind::Retrain:
      post({Job::Kind::Train, m.id, m.t, m.reason, snapshot(true), m.since});
      break;
  }
}

// The store oldest first, and for training in time of sampling order (stable: equal times keep
// their arrival order; labels arrive in order of resolution, not of sampling).
StoreRows Learner::snapshot(bool time_order) const {
  const std::size_t n = store_.rows();
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = (head_ + i) % n;
  if (time_order)
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return store_.t[a] < store_.t[b]; });
  StoreRows r;
  r.cols = n_;
  r.x.resize(n * n_);
  r.t.resize(n);
  r.t_end.resize(n);
  r.instrument.resize(n);
  r.regime.resize(n);
  r.label.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = idx[i];
    std::copy_n(&store_.x[k * n_], n_, &r.x[i * n_]);
    r.t[i] = store_.t[k];
    r.t_end[i] = store_.t_end[k];
    r.instrument[i] = store_.instrument[k];
    r.regime[i] = store_.regime[k];
    r.label[i] = store_.label[k];
  }
  return r;
}

// Versions older than the one the hot thread serves can no longer be read by it (see
// engine/learner_link.hpp): dropped here, on the learner's side.
void Learner::reclaim() {
  const std::uint32_t served = link_.served_seq.load(std::memory_order_acquire);
  std::lock_guard<std::mutex> lk(mu_);
  const auto old = std::remove_if(published_.begin(), published_.end(), [&](const auto& p) { return p.first < served; });
  link_.freed.add(static_cast<std::uint64_t>(published_.end() - old));
  published_.erase(old, published_.end());
}

void Learner::train_loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (job.kind == Job::Kind::Spill) {
      try {
        std::filesystem::create_directories(std::filesystem::path(spill_path_).parent_path());
        write_spill(spill_path_, job.rows, link_.inputs.names(), link_.schema_hash);
        link_.spills.add(1);
      } catch (const std::exception& e) {
        link_.spill_errors.add(1);
        telemetry::log_error("learner: spill failed: {}", e.what());
      }
    } else {
      train(job);
    }
  }
}

void Learner::train(Job& job) {
  const auto t0 = std::chrono::steady_clock::now();
  LearnerDecision dec;
  dec.request = job.request;
  dec.t_request = job.t;
  dec.reason = engine::kRetrainReasonNames[static_cast<std::size_t>(job.reason)];
  dec.champion_log_loss = std::nan("");
  engine::Decision& slot = link_.decision;
  slot.model = nullptr;
  slot.outcome = engine::Decision::Outcome::Failed;
  try {
    StoreRows& r = job.rows;
    if (job.since > 0) keep_since(r, job.since);  // after drift: the new regime's samples only
    dec.since = job.since;
    const std::size_t n = r.rows();
    if (n < 100) throw std::runtime_error("too few labeled samples (" + std::to_string(n) + ")");
    Dataset d;
    d.x.cols = n_;
    d.x.names = link_.inputs.names();
    d.x.x = std::move(r.x);
    d.x.t = r.t;
    d.x.t_end = r.t_end;
    d.x.instrument = r.instrument;
    d.x.y.assign(n, 0.0f);
    d.labels = {r.label};
    d.regime = r.regime;
    d.source.assign(n, 0);
    d.feature_schema_hash = link_.schema_hash;
    d.feature_names = link_.feature_names;
    // Newest rows: the test slice (champion against challenger); before them the early-stopping
    // slice; the rest trains. Each earlier slice purged against the later ones.
    const std::size_t n_test = std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(n) * cfg_.learner.validation_fraction));
    const std::size_t n_valid = std::max<std::size_t>(1, (n - n_test) / 6);
    std::vector<std::size_t> train_rows(n - n_test - n_valid), valid_rows(n_valid), test_rows(n_test);
    std::iota(train_rows.begin(), train_rows.end(), 0);
    std::iota(valid_rows.begin(), valid_rows.end(), n - n_test - n_valid);
    std::iota(test_rows.begin(), test_rows.end(), n - n_test);
    const auto test_span = blocked_span(d.x.t, d.x.t_end, test_rows);
    (void)purge(d.x.t, d.x.t_end, valid_rows, test_span);
    (void)purge(d.x.t, d.x.t_end, train_rows, test_span);
    if (!valid_rows.empty()) (void)purge(d.x.t, d.x.t_end, train_rows, blocked_span(d.x.t, d.x.t_end, valid_rows));
    if (train_rows.size() < 50 || valid_rows.empty())
      throw std::runtime_error("too few rows left to train after purging (" + std::to_string(train_rows.size()) + ")");
    dec.train_rows = train_rows.size();
    dec.valid_rows = valid_rows.size();
    dec.test_rows = test_rows.size();

    TrainOptions opt = train_options(cfg_);
    if (champion_) {  // predict the champion's classes, so that the two log-losses compare
      opt.balance = false;
      opt.threshold = champion_->en.alpha;
      opt.threshold_unit = champion_->en.threshold_unit;
    }
    FitSeconds fs;
    model::Ensemble en = fit_ensemble(d, 0, train_rows, valid_rows, opt, nullptr, &fs);
    dec.fit_seconds = fs.text();
    en.horizon = link_.horizon.name();
    const EvalBlock ce = evaluate(en, d, 0, test_rows);
    dec.challenger_log_loss = ce.model.log_loss;
    double bar;
    if (champion_) {
      dec.champion_log_loss = evaluate(champion_->en, d, 0, test_rows).model.log_loss;
      bar = dec.champion_log_loss;
    } else {
      bar = ce.majority.log_loss;  // no champion: it must beat the class frequencies
    }
    const double margin = cfg_.learner.promote_margin;
    if (!(dec.challenger_log_loss < bar * (1 - margin))) {
      dec.outcome = "rejected";
      char b[200];
      std::snprintf(b, sizeof b, "log-loss %.4f not below %s %.4f by %.1f%%", dec.challenger_log_loss,
                    champion_ ? "the champion's" : "the class frequencies'", bar, 100 * margin);
      dec.why = b;
      slot.outcome = engine::Decision::Outcome::Rejected;
      link_.rejected.add(1);
    } else {
      // The version as files, as the store keeps it; served from exactly these bytes.
      model::VersionSpec vs;
      vs.feature_schema_hash = link_.schema_hash;
      vs.feature_names = link_.feature_names;
      vs.files.emplace_back("spec.txt", "horizons " + link_.horizon.name() + "\nsample_on " + cfg_.models.sample_on + "\n");
      en.to_files(model::horizon_prefix(link_.horizon.name()), vs.files);
      vs.metadata_json = "{\"learner\": {\"request\": " + std::to_string(job.request) + ", \"reason\": " +
                         model::json_quote(dec.reason) + ", \"t_request_ns\": " + std::to_string(job.t) +
                         ", \"train_rows\": " + std::to_string(dec.train_rows) + ", \"test_rows\": " +
                         std::to_string(dec.test_rows) + ", \"log_loss\": " + json_num(dec.challenger_log_loss) +
                         ", \"champion_log_loss\": " + json_num(dec.champion_log_loss) + "}}";
      model::LoadedVersion v;
      if (persist_) {
        const std::string name = model::write_version(store_dir_, vs);
        model::VerifyResult vr = model::verify_version(std::filesystem::path(store_dir_) / name, link_.schema_hash);
        if (!vr.ok()) throw std::runtime_error("the version just written does not verify: " + vr.refusal.reason);
        v = std::move(*vr.loaded);
      } else {
        v.version = "learned-" + std::to_string(last_seq_ + 1) + "-t" + std::to_string(job.t);
        for (auto& [name, bytes] : vs.files) v.files[name] = bytes;
        v.feature_schema_hash = vs.feature_schema_hash;
        v.feature_names = vs.feature_names;
        v.metadata_json = vs.metadata_json;
      }
      std::shared_ptr<const model::ServingModel> m = model::make_serving(v, link_.inputs, link_.horizon);
      dec.outcome = "promoted";
      dec.version = m->version;
      char b[200];
      std::snprintf(b, sizeof b, "log-loss %.4f below %s %.4f", dec.challenger_log_loss,
                    champion_ ? "the champion's" : "the class frequencies'", bar);
      dec.why = b;
      const std::uint32_t seq = ++last_seq_;
      {
        std::lock_guard<std::mutex> lk(mu_);
        published_.emplace_back(seq, m);
      }
      champion_ = m;
      slot.seq = seq;
      slot.model = m.get();
      slot.outcome = engine::Decision::Outcome::Promoted;
      link_.promoted.add(1);
    }
  } catch (const std::exception& e) {
    dec.outcome = "failed";
    dec.why = e.what();
    slot.outcome = engine::Decision::Outcome::Failed;
    link_.failed.add(1);
  }
  dec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  telemetry::log_info("learner: request {} ({}) at {} ns: {} {} ({}; train {}, test {} rows, {:.1f} s: {})", dec.request,
                      dec.reason, dec.t_request, dec.outcome, dec.version, dec.why, dec.train_rows, dec.test_rows,
                      dec.seconds, dec.fit_seconds);
  {
    std::lock_guard<std::mutex> lk(mu_);
    decisions_.push_back(dec);
  }
  slot.ready.store(true, std::memory_order_release);
}

std::vector<LearnerDecision> Learner::decisions() const {
  std::lock_guard<std::mutex> lk(mu_);
  return decisions_;
}

std::string Learner::spill_error() const {
  std::lock_guard<std::mutex> lk(mu_);
  return spill_error_;
}

std::string Learner::status_json() const {
  std::lock_guard<std::mutex> lk(mu_);
  const auto& l = link_;
  // The version the hot thread serves, when it is one of the learner's (kept until replaced).
  std::string serving = "null";
  const std::uint32_t served = l.served_seq.load(std::memory_order_acquire);
  for (const auto& [seq, m] : published_)
    if (seq == served) serving = model::json_quote(m->version);
  std::string o = "{\"serving\": " + serving + ", \"stored\": " + std::to_string(l.stored.get()) + ", \"resumed\": " + std::to_string(resumed_) +
                  ", \"sent\": " + std::to_string(l.pushed.get()) + ", \"dropped\": " + std::to_string(l.dropped.get()) +
                  ", \"unmatched_labels\": " + std::to_string(l.unmatched.get()) + ", \"requests\": " +
                  std::to_string(l.requests.get()) + ", \"promoted\": " + std::to_string(l.promoted.get()) +
                  ", \"rejected\": " + std::to_string(l.rejected.get()) + ", \"failed\": " + std::to_string(l.failed.get()) +
                  ", \"swaps\": " + std::to_string(l.swaps.get()) + ", \"drift_alarms\": " + std::to_string(l.drift_alarms.get()) +
                  ", \"spills\": " + std::to_string(l.spills.get()) + ", \"spill_errors\": " + std::to_string(l.spill_errors.get()) +
                  ", \"spill_refused\": " + (spill_error_.empty() ? "null" : model::json_quote(spill_error_)) +
                  ", \"decisions\": [";
  for (std::size_t i = 0; i < decisions_.size(); ++i) {
    const auto& d = decisions_[i];
    o += std::string(i ? ", " : "") + "{\"request\": " + std::to_string(d.request) + ", \"t_request_ns\": " +
         std::to_string(d.t_request) + ", \"since_ns\": " + std::to_string(d.since) + ", \"reason\": " + model::json_quote(d.reason) + ", \"outcome\": " +
         model::json_quote(d.outcome) + ", \"why\": " + model::json_quote(d.why) + ", \"version\": " +
         model::json_quote(d.version) + ", \"train_rows\": " + std::to_string(d.train_rows) + ", \"test_rows\": " +
         std::to_string(d.test_rows) + ", \"challenger_log_loss\": " + json_num(d.challenger_log_loss) +
         ", \"champion_log_loss\": " + json_num(d.champion_log_loss) + ", \"seconds\": " + json_num(d.seconds) + "}";
  }
  return o + "]}";
}

engine::LearningFactory learning_factory(bool persist) {
  return [persist](const config::Config& cfg, bool /*live*/) -> std::unique_ptr<engine::Learning> {
    if (!cfg.learner.enabled) return nullptr;
    return std::make_unique<Learner>(cfg, persist && cfg.learner.persist);
  };
}

}  // namespace hft::learn
