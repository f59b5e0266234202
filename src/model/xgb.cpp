// XGBoost C API wrapper: see xgb.hpp.
#include "hft/model/xgb.hpp"

#include <xgboost/c_api.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace hft::model {
namespace {

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("xgboost: ") + what + ": " + XGBGetLastError());
}

// Owns a DMatrixHandle for the duration of a call.
struct DMatrix {
  DMatrixHandle h = nullptr;
  DMatrix() = default;
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  ~DMatrix() {
    if (h) XGDMatrixFree(h);
  }
};

void make_dmatrix(const Samples& s, DMatrix& m, bool with_labels) {
  if (s.cols == 0 || s.x.size() != s.rows() * s.cols)
    throw std::runtime_error("xgboost: samples: x holds " + std::to_string(s.x.size()) +
                             " values, rows * cols = " + std::to_string(s.rows() * s.cols));
  check(XGDMatrixCreateFromMat(s.x.data(), s.rows(), s.cols, std::numeric_limits<float>::quiet_NaN(),
                               &m.h),
        "XGDMatrixCreateFromMat");
  if (with_labels) check(XGDMatrixSetFloatInfo(m.h, "label", s.y.data(), s.rows()), "set label");
  if (s.names.size() == s.cols) {
    std::vector<const char*> names;
    for (const auto& n : s.names) names.push_back(n.c_str());
    check(XGDMatrixSetStrFeatureInfo(m.h, "feature_name", names.data(), names.size()),
          "set feature names");
  }
}

bool maximized(std::string_view metric) {
  // XGBoost's metrics where larger is better (the rest are losses and errors).
  for (std::string_view m : {"auc", "aucpr", "map", "ndcg", "pre"})
    if (metric.substr(0, m.size()) == m) return true;
  return false;
}

// The array interface (version 3) XGBoosterPredictFromDense reads: a dense row-major float32
// matrix at ptr.
void array_interface(char* buf, std::size_t n, const float* x, std::size_t rows, std::size_t cols) {
  std::snprintf(buf, n,
                "{\"data\": [%llu, true], \"shape\": [%zu, %zu], \"typestr\": \"<f4\", \"version\": 3}",
                static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(x)), rows, cols);
}
const char* predict_config(bool margin) {
  // type 0: value (objective's transform), 1: margin. iteration_end 0: all trees.
  return margin ? "{\"type\": 1, \"cache_id\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
                  "\"strict_shape\": false, \"missing\": NaN}"
                : "{\"type\": 0, \"cache_id\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
                  "\"strict_shape\": false, \"missing\": NaN}";
}

}  // namespace

double parse_eval(std::string_view line, std::string_view set, std::string* metric) {
  double value = std::numeric_limits<double>::quiet_NaN();
  std::size_t pos = 0;
  while (pos < line.size()) {
    std::size_t end = line.find_first_of("\t ", pos);
    if (end == std::string_view::npos) end = line.size();
    std::string_view item = line.substr(pos, end - pos);
    pos = end + 1;
    // item: "<set>-<metric>:<value>"
    if (item.size() <= set.size() + 1 || item.substr(0, set.size()) != set || item[set.size()] != '-')
      continue;
    std::size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon <= set.size() + 1) continue;
    double v = 0;
    std::string_view num = item.substr(colon + 1);
    auto r = std::from_chars(num.data(), num.data() + num.size(), v);
    if (r.ec != std::errc{}) continue;
    value = v;
    if (metric) *metric = std::string(item.substr(set.size() + 1, colon - set.size() - 1));
  }
  return value;
}

XgbModel::~XgbModel() {
  if (proxy_) XGDMatrixFree(proxy_);
  if (booster_) XGBoosterFree(booster_);
}
XgbModel::XgbModel(XgbModel&& o) noexcept
    : best_iteration(o.best_iteration),
      eval_metric(std::move(o.eval_metric)),
      valid_history(std::move(o.valid_history)),
      train_history(std::move(o.train_history)),
      booster_(std::exchange(o.booster_, nullptr)),
      proxy_(std::exchange(o.proxy_, nullptr)) {}
XgbModel& XgbModel::operator=(XgbModel&& o) noexcept {
  if (this != &o) {
    if (proxy_) XGDMatrixFree(proxy_);
    if (booster_) XGBoosterFree(booster_);
    booster_ = std::exchange(o.booster_, nullptr);
    proxy_ = std::exchange(o.proxy_, nullptr);
    best_iteration = o.best_iteration;
    eval_metric = std::move(o.eval_metric);
    valid_history = std::move(o.valid_history);
    train_history = std::move(o.train_history);
  }
  return *this;
}

std::string XgbModel::save_json() const {
  if (!booster_) throw std::runtime_error("xgboost: save_json on an empty model");
  bst_ulong len = 0;
  const char* data = nullptr;
  check(XGBoosterSaveModelToBuffer(booster_, "{\"format\": \"json\"}", &len, &data),
        "XGBoosterSaveModelToBuffer");
  return std::string(data, len);
}

XgbModel XgbModel::load_json(std::string_view json) {
  BoosterHandle h = nullptr;
  check(XGBoosterCreate(nullptr, 0, &h), "XGBoosterCreate");
  XgbModel m(h);  // frees h if loading throws
  check(XGBoosterLoadModelFromBuffer(h, json.data(), json.size()), "XGBoosterLoadModelFromBuffer");
  int rounds = m.boosted_rounds();
  m.best_iteration = rounds - 1;
  return m;
}

int XgbModel::boosted_rounds() const {
  int n = 0;
  check(XGBoosterBoostedRounds(booster_, &n), "XGBoosterBoostedRounds");
  return n;
}

void XgbModel::set_param(const std::string& key, const std::string& value) {
  check(XGBoosterSetParam(booster_, key.c_str(), value.c_str()), ("XGBoosterSetParam " + key).c_str());
}

XgbModel XgbModel::slice(int begin, int end) const {
  BoosterHandle out = nullptr;
  check(XGBoosterSlice(booster_, begin, end, 1, &out), "XGBoosterSlice");
  XgbModel m(out);
  m.best_iteration = m.boosted_rounds() - 1;
  return m;
}

std::vector<float> XgbModel::predict(const Samples& s, bool margin) const {
  DMatrix m;
  make_dmatrix(s, m, false);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  check(XGBoosterPredictFromDMatrix(booster_, m.h, predict_config(margin), &shape, &dim, &out),
        "XGBoosterPredictFromDMatrix");
  std::size_t n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  return std::vector<float>(out, out + n);
}

std::vector<float> XgbModel::predict_dense(const float* x, std::size_t rows, std::size_t cols,
                                           bool margin) const {
  char ai[160];
  array_interface(ai, sizeof ai, x, rows, cols);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  check(XGBoosterPredictFromDense(booster_, ai, predict_config(margin), nullptr, &shape, &dim, &out),
        "XGBoosterPredictFromDense");
  std::size_t n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  return std::vector<float>(out, out + n);
}

void XgbModel::predict_row_inplace(const float* row, std::size_t cols, float* out, bool margin) {
  if (!proxy_) check(XGProxyDMatrixCreate(&proxy_), "XGProxyDMatrixCreate");
  char ai[160];
  array_interface(ai, sizeof ai, row, 1, cols);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* res = nullptr;
  check(XGBoosterPredictFromDense(booster_, ai, predict_config(margin), proxy_, &shape, &dim, &res),
        "XGBoosterPredictFromDense");
  std::size_t n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  for (std::size_t i = 0; i < n; ++i) out[i] = res[i];
}

std::vector<std::pair<std::string, double>> XgbModel::gain_importance() const {
  bst_ulong n = 0, dim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  check(XGBoosterFeatureScore(booster_, "{\"importance_type\": \"total_gain\"}", &n, &names, &dim,
                              &shape, &scores),
        "XGBoosterFeatureScore");
  std::vector<std::pair<std::string, double>> out;
  for (bst_ulong i = 0; i < n; ++i) out.emplace_back(names[i], static_cast<double>(scores[i]));
  return out;
}

XgbModel train_xgb(const Samples& train, const Samples* valid, const XgbParams& p) {
  if (p.rounds <= 0) throw std::runtime_error("xgboost: rounds must be positive");
  DMatrix dtrain, dvalid;
  make_dmatrix(train, dtrain, true);
  if (valid) {
    if (valid->cols != train.cols) throw std::runtime_error("xgboost: validation cols differ from training");
    make_dmatrix(*valid, dvalid, true);
  }
  DMatrixHandle cache[2] = {dtrain.h, dvalid.h};
  BoosterHandle h = nullptr;
  check(XGBoosterCreate(cache, valid ? 2 : 1, &h), "XGBoosterCreate");
  XgbModel m(h);
  for (const auto& [k, v] : p.params)
    check(XGBoosterSetParam(h, k.c_str(), v.c_str()), ("XGBoosterSetParam " + k).c_str());

  const char* names[2] = {"train", "valid"};
  double best = std::numeric_limits<double>::quiet_NaN();
  int best_iter = -1;
  for (int it = 0; it < p.rounds; ++it) {
    check(XGBoosterUpdateOneIter(h, it, dtrain.h), "XGBoosterUpdateOneIter");
    const char* line = nullptr;
    check(XGBoosterEvalOneIter(h, it, cache, names, valid ? 2 : 1, &line), "XGBoosterEvalOneIter");
    std::string metric;
    m.train_history.push_back(parse_eval(line, "train", &metric));
    if (!valid) {
      m.eval_metric = metric;
      best_iter = it;
      continue;
    }
    double v = parse_eval(line, "valid", &metric);
    if (std::isnan(v)) throw std::runtime_error(std::string("xgboost: no validation metric in '") + line + "'");
    m.eval_metric = metric;
    m.valid_history.push_back(v);
    bool better = best_iter < 0 || (maximized(metric) ? v > best : v < best);
    if (better) {
      best = v;
      best_iter = it;
    } else if (p.early_stopping_rounds > 0 && it - best_iter >= p.early_stopping_rounds) {
      break;
    }
  }
  m.best_iteration = best_iter;
  // Keep rounds [0, best]: the returned (and saved) model is the one whose metric is reported.
  if (best_iter + 1 < m.boosted_rounds()) {
    BoosterHandle sliced = nullptr;
    check(XGBoosterSlice(h, 0, best_iter + 1, 1, &sliced), "XGBoosterSlice");
    XgbModel s(sliced);
    s.best_iteration = best_iter;
    s.eval_metric = std::move(m.eval_metric);
    s.valid_history = std::move(m.valid_history);
    s.train_history = std::move(m.train_history);
    m = std::move(s);
  }
  // A slice does not carry the input names over: set them on the booster itself, so that the
  // saved model and gain_importance name the inputs.
  if (train.names.size() == train.cols) {
    std::vector<const char*> inputs;
    for (const auto& n : train.names) inputs.push_back(n.c_str());
    check(XGBoosterSetStrFeatureInfo(m.booster_, "feature_name", inputs.data(), inputs.size()),
          "XGBoosterSetStrFeatureInfo");
  }
  return m;
}

}  // namespace hft::model
