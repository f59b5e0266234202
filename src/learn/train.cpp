#include "hft/learn/train.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "hft/model/calibration.hpp"
#include "hft/model/linear.hpp"

namespace hft::learn {
namespace {

using model::Member;
using model::kClasses;
using model::kMembers;

double move_of(const model::LabelValue& v, const std::string& unit) { return unit == "bps" ? v.move_bps : v.move_ticks; }

// Row r of the dataset, columns cols, into row.
void gather(const Dataset& d, std::size_t r, std::span<const std::size_t> cols, float* row) noexcept {
  const float* src = d.x.x.data() + r * d.x.cols;
  for (std::size_t j = 0; j < cols.size(); ++j) row[j] = src[cols[j]];
}

// Rows idx of the dataset, columns cols, labelled at horizon h with threshold alpha.
model::Samples take(const Dataset& d, std::size_t h, std::span<const std::size_t> idx, std::span<const std::size_t> cols,
                    double alpha, const std::string& unit) {
  model::Samples s;
  s.cols = cols.size();
  for (std::size_t c : cols) s.names.push_back(d.x.names[c]);
  s.x.resize(idx.size() * cols.size());
  for (std::size_t r = 0; r < idx.size(); ++r) {
    gather(d, idx[r], cols, &s.x[r * cols.size()]);
    const auto& lv = d.labels[h][idx[r]];
    s.y.push_back(static_cast<float>(model::class_of(move_of(lv, unit), alpha)));
    s.t.push_back(d.x.t[idx[r]]);
    s.t_end.push_back(lv.t_end);
  }
  return s;
}

std::vector<std::size_t> all_cols(const Dataset& d) {
  std::vector<std::size_t> c(d.x.cols);
  std::iota(c.begin(), c.end(), 0);
  return c;
}

int find_col(const std::vector<std::string>& names, const std::string& n) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == n) return static_cast<int>(i);
  return -1;
}

// Member scores on rows (rows x 3, calibrated or raw).
std::vector<float> member_scores(const model::Ensemble& en, Member m, const model::Samples& s, bool calibrated) {
  std::vector<float> out(s.rows() * kClasses);
  for (std::size_t i = 0; i < s.rows(); ++i) {
    float* p = out.data() + i * kClasses;
    const float* row = s.x.data() + i * s.cols;
    if (calibrated) en.member_probs(m, row, p);
    else en.member_scores(m, row, p);
  }
  return out;
}

// Mixture weights on the simplex minimising the validation log-loss of sum_m w_m p_m
// (convex in w): exponentiated gradient steps.
std::array<double, kMembers> mixture_weights(const std::array<std::vector<float>, kMembers>& probs,
                                             const std::array<bool, kMembers>& has, std::span<const float> y) {
  std::array<double, kMembers> w{};
  std::size_t n_has = 0;
  for (std::size_t m = 0; m < kMembers; ++m) n_has += has[m];
  if (n_has == 0) return w;
  for (std::size_t m = 0; m < kMembers; ++m) w[m] = has[m] ? 1.0 / static_cast<double>(n_has) : 0.0;
  const std::size_t n = y.size();
  if (n == 0 || n_has == 1) return w;
  for (int it = 0; it < 300; ++it) {
    std::array<double, kMembers> g{};
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t c = static_cast<std::size_t>(y[i]);
      double q = 0;
      for (std::size_t m = 0; m < kMembers; ++m)
        if (has[m]) q += w[m] * probs[m][i * kClasses + c];
      q = std::max(q, 1e-15);
      for (std::size_t m = 0; m < kMembers; ++m)
        if (has[m]) g[m] -= probs[m][i * kClasses + c] / q;
    }
    double z = 0;
    for (std::size_t m = 0; m < kMembers; ++m) {
      if (!has[m]) continue;
      w[m] *= std::exp(-0.5 * g[m] / static_cast<double>(n));
      z += w[m];
    }
    for (double& v : w) v /= z;
  }
  return w;
}

Scored score_rows(const model::Ensemble& en, const Dataset& d, std::size_t h, std::span<const std::size_t> rows,
                  const std::vector<std::size_t>& cols, int which /* -1 ensemble, 0..3 member, 10..12 baselines */) {
  Scored s;
  s.p.resize(rows.size() * kClasses);
  std::vector<float> row(cols.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    gather(d, rows[r], cols, row.data());
    float* p = s.p.data() + r * kClasses;
    if (which < 0) {
      model::Prediction pr;
      en.predict(row.data(), pr);
      std::copy(pr.p.begin(), pr.p.end(), p);
    } else if (which < 10) {
      en.member_probs(static_cast<Member>(which), row.data(), p);
    } else {
      const float imb = en.imb_col() >= 0 ? row[static_cast<std::size_t>(en.imb_col())] : 0.0f;
      if (which == 10) en.baselines.majority(p);
      else if (which == 11) en.baselines.imbalance_sign(imb, p);
      else en.baselines.imbalance_logistic(imb, p);
    }
    s.y.push_back(static_cast<float>(en.label_class(d.labels[h][rows[r]])));
  }
  return s;
}

// Expected against realised returns (bps) of rows.
struct Returns {
  std::vector<float> pred, truth;
};
Returns return_scores(const model::Ensemble& en, const Dataset& d, std::size_t h, std::span<const std::size_t> rows,
                      const std::vector<std::size_t>& cols) {
  Returns out;
  std::vector<float> row(cols.size());
  for (std::size_t r : rows) {
    gather(d, r, cols, row.data());
    model::Prediction p;
    en.predict(row.data(), p);
    out.pred.push_back(p.exp_ret_bps);
    out.truth.push_back(static_cast<float>(d.labels[h][r].ret_bps));
  }
  return out;
}

}  // namespace

TrainOptions train_options(const config::Config& cfg) {
  const auto& m = cfg.models;
  TrainOptions o;
  o.members = {false, false, false, false};
  o.bayes = false;
  o.boosted_return = false;
  for (const auto& n : m.members) {
    if (n == "boosted") o.members[0] = true;
    else if (n == "forest") o.members[1] = true;
    else if (n == "mlp") o.members[2] = true;
    else if (n == "logistic") o.members[3] = true;
    else if (n == "bayes") o.bayes = true;
    else if (n == "return") o.boosted_return = true;
  }
  const std::string threads = std::to_string(m.train_threads);
  const std::string seed = std::to_string(m.seed);
  auto num = [](double v) { return std::to_string(v); };
  o.boosted.params = {{"booster", "gbtree"}, {"tree_method", "hist"}, {"objective", "multi:softprob"}, {"num_class", "3"},
                      {"eval_metric", "mlogloss"}, {"max_depth", std::to_string(m.boosted.max_depth)},
                      {"eta", num(m.boosted.eta)}, {"subsample", num(m.boosted.subsample)},
                      {"colsample_bytree", num(m.boosted.colsample)}, {"min_child_weight", num(m.boosted.min_child_weight)},
                      {"lambda", num(m.boosted.lambda)}, {"nthread", threads}, {"seed", seed}};
  o.boosted.rounds = static_cast<int>(m.boosted.rounds);
  o.boosted.early_stopping_rounds = static_cast<int>(m.boosted.early_stopping_rounds);
  o.forest.params = {{"booster", "gbtree"}, {"tree_method", "hist"}, {"objective", "multi:softprob"}, {"num_class", "3"},
                     {"eval_metric", "mlogloss"}, {"num_parallel_tree", std::to_string(m.forest.trees)},
                     {"max_depth", std::to_string(m.forest.max_depth)}, {"eta", "1"},
                     {"subsample", num(m.forest.subsample)}, {"colsample_bynode", num(m.forest.colsample)},
                     {"min_child_weight", num(m.forest.min_child_weight)}, {"nthread", threads}, {"seed", seed}};
  o.ret = o.boosted;
  for (auto& [k, v] : o.ret.params) {
    if (k == "objective") v = "reg:squarederror";
    if (k == "eval_metric") v = "rmse";
  }
  std::erase_if(o.ret.params, [](const auto& kv) { return kv.first == "num_class"; });
  o.forest.rounds = 1;
  o.forest.early_stopping_rounds = 0;
  o.mlp.hidden.clear();
  for (const auto& h : m.mlp.hidden) o.mlp.hidden.push_back(std::stoi(h));
  o.mlp.epochs = static_cast<int>(m.mlp.epochs);
  o.mlp.batch = static_cast<int>(m.mlp.batch);
  o.mlp.patience = static_cast<int>(m.mlp.patience);
  o.mlp.lr = m.mlp.lr;
  o.mlp.l2 = m.mlp.l2;
  o.mlp.seed = static_cast<std::uint64_t>(m.seed);
  o.wf.folds = static_cast<std::size_t>(m.walk_forward.folds);
  o.wf.min_train_fraction = m.walk_forward.min_train_fraction;
  o.wf.valid_fraction = m.walk_forward.valid_fraction;
  o.wf.embargo_ns = static_cast<Nanos>(m.walk_forward.embargo_s * 1e9);
  o.balance = m.threshold == "balance";
  if (!o.balance) o.threshold = std::stod(m.threshold);
  o.threshold_unit = m.threshold_unit;
  return o;
}

ColumnMap ColumnMap::of(const model::Ensemble& en, const model::Samples& x) {
  ColumnMap m;
  for (const auto& n : en.input_names) {
    const int c = find_col(x.names, n);
    if (c < 0) throw std::runtime_error("the model reads input '" + n + "', which these features do not give");
    m.cols.push_back(static_cast<std::size_t>(c));
  }
  return m;
}

std::string FitSeconds::text() const {
  char b[200];
  std::snprintf(b, sizeof b, "rank %.1f boosted %.1f return %.1f forest %.1f mlp %.1f logistic %.1f calibration %.1f rest %.1f s",
                rank, boosted, ret, forest, mlp, logistic, calibration, rest);
  return b;
}

model::Ensemble fit_ensemble(const Dataset& d, std::size_t h, std::span<const std::size_t> train,
                             std::span<const std::size_t> valid, const TrainOptions& opt,
                             std::vector<std::pair<std::string, double>>* gains, FitSeconds* seconds) {
  if (train.empty() || valid.empty()) throw std::invalid_argument("fit_ensemble: no training or validation rows");
  FitSeconds fs;
  auto lap = [t = std::chrono::steady_clock::now()](double& into) mutable {
    const auto now = std::chrono::steady_clock::now();
    into += std::chrono::duration<double>(now - t).count();
    t = now;
  };
  model::Ensemble en;
  en.threshold_unit = opt.threshold_unit;
  // Class threshold from the training rows.
  if (opt.balance) {
    std::vector<double> mv;
    mv.reserve(train.size());
    for (std::size_t i : train) mv.push_back(move_of(d.labels[h][i], opt.threshold_unit));
    en.alpha = model::balanced_threshold(std::move(mv), 1e-9);
  } else {
    en.alpha = opt.threshold;
  }
  // Inputs by the boosted trees' gain on every input (training rows only).
  const std::vector<std::size_t> every = all_cols(d);
  std::vector<std::size_t> cols = every;
  const int imb = find_col(d.x.names, "imb_1");
  if (opt.max_inputs > 0 && opt.max_inputs < every.size()) {
    // Ranking inputs needs the gains' order, not every row: at most rank_rows of each slice,
    // evenly spaced in time (a day's 500,000 rows took a third of a retrain here).
    auto spaced = [&](std::span<const std::size_t> rows) {
      if (opt.rank_rows == 0 || rows.size() <= opt.rank_rows) return std::vector<std::size_t>(rows.begin(), rows.end());
      std::vector<std::size_t> out(opt.rank_rows);
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = rows[i * rows.size() / out.size()];
      return out;
    };
    const model::Samples tr = take(d, h, spaced(train), every, en.alpha, opt.threshold_unit);
    const model::Samples va = take(d, h, spaced(valid), every, en.alpha, opt.threshold_unit);
    model::XgbParams p = opt.boosted;
    p.rounds = std::min(p.rounds, 60);
    const model::XgbModel rank = model::train_xgb(tr, &va, p);
    auto g = rank.gain_importance();  // (name, total gain), names as the samples'
    std::sort(g.begin(), g.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::size_t> keep;
    if (imb >= 0) keep.push_back(static_cast<std::size_t>(imb));
    for (const auto& [name, gain] : g) {
      if (keep.size() >= opt.max_inputs) break;
      const int c = find_col(d.x.names, name);
      if (c >= 0 && c != imb) keep.push_back(static_cast<std::size_t>(c));
    }
    std::sort(keep.begin(), keep.end());
    cols = keep;
  }
  lap(fs.rank);
  const model::Samples tr = take(d, h, train, cols, en.alpha, opt.threshold_unit);
  const model::Samples va = take(d, h, valid, cols, en.alpha, opt.threshold_unit);
  en.input_names = tr.names;
  const int imb_in = find_col(en.input_names, "imb_1");
  lap(fs.rest);

  // Members.
  if (opt.members[0]) {
    const model::XgbModel m = model::train_xgb(tr, &va, opt.boosted);
    en.boosted_json = m.save_json();
    en.boosted = model::TreeEnsemble::from_xgboost_json(en.boosted_json);
    en.has[0] = true;
    if (gains) {
      *gains = m.gain_importance();
      std::sort(gains->begin(), gains->end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    }
  }
  lap(fs.boosted);
  if (opt.boosted_return) {
    model::Samples rtr = tr, rva = va;  // the same rows, the return as the target
    for (std::size_t i = 0; i < train.size(); ++i) rtr.y[i] = static_cast<float>(d.labels[h][train[i]].ret_bps);
    for (std::size_t i = 0; i < valid.size(); ++i) rva.y[i] = static_cast<float>(d.labels[h][valid[i]].ret_bps);
    const model::XgbModel m = model::train_xgb(rtr, &rva, opt.ret);
    en.ret_json = m.save_json();
    en.ret = model::TreeEnsemble::from_xgboost_json(en.ret_json);
    en.has_return = true;
  }
  lap(fs.ret);
  if (opt.members[1]) {
    const model::XgbModel m = model::train_xgb(tr, nullptr, opt.forest);
    en.forest_json = m.save_json();
    en.forest = model::TreeEnsemble::from_xgboost_json(en.forest_json);
    en.has[1] = true;
  }
  lap(fs.forest);
  if (opt.members[2]) {
    en.mlp = model::train_mlp(tr, va, opt.mlp, kClasses);
    en.has[2] = true;
  }
  lap(fs.mlp);
  if (opt.members[3]) {
    en.logistic = model::fit_logistic(tr, kClasses, opt.logistic_l2);
    en.has[3] = true;
  }
  lap(fs.logistic);
  // Calibration and mixture weights on the validation slice.
  const std::vector<double> prior = model::class_frequencies(tr.y, kClasses);
  std::array<std::vector<float>, kMembers> vp;
  for (std::size_t m = 0; m < kMembers; ++m) {
    if (!en.has[m]) continue;
    const std::vector<float> raw = member_scores(en, static_cast<Member>(m), va, false);
    en.cal[m] = model::fit_calibrator(raw, va.y, kClasses, model::Ensemble::score_kind(static_cast<Member>(m)), prior);
    vp[m] = member_scores(en, static_cast<Member>(m), va, true);
  }
  en.weight = mixture_weights(vp, en.has, va.y);
  lap(fs.calibration);

  // Baselines on the training rows.
  model::Baselines& b = en.baselines;
  for (int c = 0; c < kClasses; ++c) b.freq[static_cast<std::size_t>(c)] = prior[static_cast<std::size_t>(c)];
  b.imb_col = imb_in;
  if (imb_in >= 0) {
    std::array<std::array<double, kClasses>, 3> cnt{};
    model::Samples one;
    one.cols = 1;
    one.names = {"imb_1"};
    for (std::size_t i = 0; i < tr.rows(); ++i) {
      const float v = tr.x[i * tr.cols + static_cast<std::size_t>(imb_in)];
      cnt[v < 0 ? 0 : (v > 0 ? 2 : 1)][static_cast<std::size_t>(tr.y[i])] += 1;
      one.x.push_back(v);
      one.y.push_back(tr.y[i]);
    }
    for (std::size_t s = 0; s < 3; ++s) {
      const double tot = cnt[s][0] + cnt[s][1] + cnt[s][2];
      for (std::size_t c = 0; c < kClasses; ++c) b.by_sign[s][c] = (cnt[s][c] + 1.0) / (tot + kClasses);  // Laplace
    }
    b.imb_logistic = model::fit_logistic(one, kClasses, opt.logistic_l2);
  }

  // Bayesian linear regression of the return on the top inputs (standardized).
  if (opt.bayes) {
    std::vector<std::size_t> top;
    if (gains && !gains->empty()) {
      for (const auto& [name, g] : *gains) {
        if (top.size() >= opt.bayes_inputs) break;
        const int c = find_col(en.input_names, name);
        if (c >= 0) top.push_back(static_cast<std::size_t>(c));
      }
    } else {
      for (std::size_t c = 0; c < std::min(opt.bayes_inputs, en.input_names.size()); ++c) top.push_back(c);
    }
    const std::size_t k = top.size();
    if (k > 0) {
      en.bayes_mean.assign(k, 0);
      en.bayes_inv_sd.assign(k, 0);
      for (std::size_t j = 0; j < k; ++j) {
        double s1 = 0, s2 = 0;
        std::size_t n = 0;
        for (std::size_t i = 0; i < tr.rows(); ++i) {
          const double v = tr.x[i * tr.cols + top[j]];
          if (!std::isfinite(v)) continue;
          s1 += v;
          s2 += v * v;
          ++n;
        }
        const double mean = n ? s1 / static_cast<double>(n) : 0;
        const double var = n ? s2 / static_cast<double>(n) - mean * mean : 0;
        en.bayes_mean[j] = mean;
        en.bayes_inv_sd[j] = var > 1e-24 ? 1 / std::sqrt(var) : 0;
        en.bayes_cols.push_back(static_cast<std::uint16_t>(top[j]));
      }
      en.bayes = model::BayesLinear(static_cast<int>(k), true, 1.0, 1.0, 1.0);
      std::vector<float> z(k);
      for (std::size_t i = 0; i < tr.rows(); ++i) {
        for (std::size_t j = 0; j < k; ++j) {
          const float v = tr.x[i * tr.cols + top[j]];
          z[j] = std::isfinite(v) ? static_cast<float>((v - en.bayes_mean[j]) * en.bayes_inv_sd[j]) : 0.0f;
        }
        (void)en.bayes.update(z.data(), d.labels[h][train[i]].ret_bps);
      }
    }
  }
  en.finish();
  lap(fs.rest);
  if (seconds) *seconds = fs;
  return en;
}

EvalBlock evaluate(const model::Ensemble& en, const Dataset& d, std::size_t h, std::span<const std::size_t> rows) {
  const ColumnMap cm = ColumnMap::of(en, d.x);
  EvalBlock e;
  auto metrics = [&](int which) {
    const Scored s = score_rows(en, d, h, rows, cm.cols, which);
    return classification_metrics(s.p, s.y, kClasses);
  };
  e.model = metrics(-1);
  {
    const Returns r = return_scores(en, d, h, rows, cm.cols);
    e.ret = regression_metrics(r.pred, r.truth);
  }
  for (std::size_t m = 0; m < kMembers; ++m)
    if (en.has[m]) e.members[m] = metrics(static_cast<int>(m));
  e.majority = metrics(10);
  if (en.imb_col() >= 0) {
    e.imbalance_sign = metrics(11);
    e.imbalance_logistic = metrics(12);
  }
  return e;
}

std::vector<HorizonReport> train_all(const Dataset& d, const DatasetSpec& spec, const TrainOptions& opt, bool wf) {
  if (d.x.rows() == 0 && d.x.t.empty()) throw std::runtime_error("no labelled rows: the source gave no samples");
  // Rows in time order (instruments interleave; a stable sort keeps equal times as sampled).
  std::vector<std::size_t> order(d.x.t.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return d.x.t[a] < d.x.t[b]; });
  std::vector<HorizonReport> out;
  for (std::size_t h = 0; h < spec.horizons.size(); ++h) {
    HorizonReport rep;
    rep.horizon = spec.horizons[h].name();
    std::vector<Nanos> t, t_end;
    for (std::size_t i : order) {
      t.push_back(d.x.t[i]);
      t_end.push_back(std::max(d.labels[h][i].t_end, d.x.t[i]));
    }
    auto map_rows = [&](const std::vector<std::size_t>& pos) {
      std::vector<std::size_t> r;
      r.reserve(pos.size());
      for (std::size_t p : pos) r.push_back(order[p]);
      return r;
    };
    if (wf) {
      const std::vector<Fold> folds = walk_forward(t, t_end, opt.wf);
      std::vector<float> all_p;
      std::vector<std::size_t> all_test;
      Scored overall_model;
      std::array<Scored, kMembers> overall_members;
      std::array<Scored, 3> overall_base;
      Returns overall_ret;
      for (const Fold& f : folds) {
        const auto tr = map_rows(f.train), va = map_rows(f.valid), te = map_rows(f.test);
        const model::Ensemble en = fit_ensemble(d, h, tr, va, opt);
        FoldReport fr;
        fr.train = tr.size();
        fr.valid = va.size();
        fr.test = te.size();
        fr.purged = f.purged_train + f.purged_valid;
        fr.alpha = en.alpha;
        fr.eval = evaluate(en, d, h, te);
        // Pool the test rows' scores across folds for the overall figures.
        const ColumnMap cm = ColumnMap::of(en, d.x);
        auto pool = [&](Scored& acc, int which) {
          Scored s = score_rows(en, d, h, te, cm.cols, which);
          acc.p.insert(acc.p.end(), s.p.begin(), s.p.end());
          acc.y.insert(acc.y.end(), s.y.begin(), s.y.end());
        };
        pool(overall_model, -1);
        const Returns rr = return_scores(en, d, h, te, cm.cols);
        overall_ret.pred.insert(overall_ret.pred.end(), rr.pred.begin(), rr.pred.end());
        overall_ret.truth.insert(overall_ret.truth.end(), rr.truth.begin(), rr.truth.end());
        for (std::size_t m = 0; m < kMembers; ++m)
          if (en.has[m]) pool(overall_members[m], static_cast<int>(m));
        pool(overall_base[0], 10);
        if (en.imb_col() >= 0) {
          pool(overall_base[1], 11);
          pool(overall_base[2], 12);
        }
        rep.folds.push_back(std::move(fr));
      }
      rep.overall.model = classification_metrics(overall_model.p, overall_model.y, kClasses);
      rep.overall.ret = regression_metrics(overall_ret.pred, overall_ret.truth);
      for (std::size_t m = 0; m < kMembers; ++m)
        if (!overall_members[m].y.empty())
          rep.overall.members[m] = classification_metrics(overall_members[m].p, overall_members[m].y, kClasses);
      rep.overall.majority = classification_metrics(overall_base[0].p, overall_base[0].y, kClasses);
      if (!overall_base[1].y.empty()) {
        rep.overall.imbalance_sign = classification_metrics(overall_base[1].p, overall_base[1].y, kClasses);
        rep.overall.imbalance_logistic = classification_metrics(overall_base[2].p, overall_base[2].y, kClasses);
      }
    }
    // The final model: every row, the last valid_fraction as its validation slice (purged).
    const std::size_t n = order.size();
    const std::size_t cut = n - std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(n) * opt.wf.valid_fraction));
    std::vector<std::size_t> tr_pos(cut), va_pos(n - cut);
    std::iota(tr_pos.begin(), tr_pos.end(), 0);
    std::iota(va_pos.begin(), va_pos.end(), cut);
    if (!va_pos.empty()) (void)purge(t, t_end, tr_pos, blocked_span(t, t_end, va_pos));
    rep.final_model = fit_ensemble(d, h, map_rows(tr_pos), map_rows(va_pos), opt, &rep.top_gain);
    rep.final_model.horizon = rep.horizon;
    for (int c = 0; c < kClasses; ++c) rep.class_mix[static_cast<std::size_t>(c)] = rep.final_model.baselines.freq[static_cast<std::size_t>(c)];
    out.push_back(std::move(rep));
  }
  return out;
}

void eval_to_json(const EvalBlock& e, std::string& out) {
  out += "{\"model\": ";
  e.model.to_json(out);
  out += ", \"members\": {";
  bool first = true;
  for (std::size_t m = 0; m < kMembers; ++m) {
    if (e.members[m].rows == 0) continue;
    if (!first) out += ", ";
    first = false;
    out += std::string("\"") + model::member_name(static_cast<Member>(m)) + "\": ";
    e.members[m].to_json(out);
  }
  out += "}, \"expected_return\": ";
  e.ret.to_json(out);
  out += ", \"baselines\": {\"majority\": ";
  e.majority.to_json(out);
  out += ", \"imbalance_sign\": ";
  e.imbalance_sign.to_json(out);
  out += ", \"imbalance_logistic\": ";
  e.imbalance_logistic.to_json(out);
  out += "}}";
}

}  // namespace hft::learn
