#include "hft/model/ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace hft::model {
namespace {

// P(T > z) for a Student-t with nu degrees of freedom is not needed exactly: beyond 30 degrees
// of freedom the normal is within 1% and the confidence only scales with it.
double normal_cdf(double z) noexcept { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

// key value lines
std::map<std::string, std::string> parse_kv(std::string_view text, [[maybe_unused]] const std::string& file) {
  std::map<std::string, std::string> kv;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t e = text.find('\n', pos);
    if (e == std::string_view::npos) e = text.size();
    const std::string_view line = text.substr(pos, e - pos);
    pos = e + 1;
    if (line.empty() || line[0] == '#') continue;
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) {  // a key with an empty list (e.g. bayes_cols without the bayes member)
      kv[std::string(line)] = "";
      continue;
    }
    kv[std::string(line.substr(0, sp))] = std::string(line.substr(sp + 1));
  }
  return kv;
}
const std::string& need(const std::map<std::string, std::string>& kv, const std::string& k, const std::string& file) {
  auto it = kv.find(k);
  if (it == kv.end()) throw std::runtime_error(file + ": missing '" + k + "'");
  return it->second;
}
double to_num(const std::string& s, const std::string& what) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v)) throw std::runtime_error(what + ": not a finite number: '" + s + "'");
  return v;
}
std::vector<double> to_nums(const std::string& s, const std::string& what) {
  std::vector<double> out;
  std::istringstream in(s);
  std::string tok;
  while (in >> tok) out.push_back(to_num(tok, what));
  return out;
}
std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string tok;
  while (in >> tok) out.push_back(tok);
  return out;
}
const std::string& file_of(const std::map<std::string, std::string>& files, const std::string& name) {
  auto it = files.find(name);
  if (it == files.end()) throw std::runtime_error(name + ": missing from the model version");
  return it->second;
}
template <class F>
auto parse_member(const std::string& name, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw std::runtime_error(name + ": " + e.what());
  }
}

}  // namespace

const char* member_name(Member m) noexcept {
  switch (m) {
    case Member::Boosted: return "boosted";
    case Member::Forest: return "forest";
    case Member::Mlp: return "mlp";
    case Member::Logistic: return "logistic";
    default: return "?";
  }
}

void Baselines::majority(float* p) const noexcept {
  for (int c = 0; c < kClasses; ++c) p[c] = static_cast<float>(freq[static_cast<std::size_t>(c)]);
}
void Baselines::imbalance_sign(float imb, float* p) const noexcept {
  const std::size_t s = imb < 0 ? 0 : (imb > 0 ? 2 : 1);
  for (int c = 0; c < kClasses; ++c) p[c] = static_cast<float>(by_sign[s][static_cast<std::size_t>(c)]);
}
void Baselines::imbalance_logistic(float imb, float* p) const noexcept { imb_logistic.predict(&imb, p); }

std::string Baselines::to_text() const {
  std::string t = "freq";
  for (double f : freq) t += " " + num(f);
  t += "\nby_sign";
  for (const auto& r : by_sign)
    for (double f : r) t += " " + num(f);
  t += "\nimb_col " + std::to_string(imb_col) + "\n";
  if (imb_logistic.k > 0) t += imb_logistic.to_text();
  return t;
}

Baselines Baselines::from_text(std::string_view text) {
  Baselines b;
  const std::size_t cut = text.find("imb_col ");
  if (cut == std::string_view::npos) throw std::runtime_error("missing 'imb_col'");
  const std::size_t eol = text.find('\n', cut);
  const auto kv = parse_kv(text.substr(0, eol == std::string_view::npos ? text.size() : eol), "baselines");
  const auto f = to_nums(need(kv, "freq", "baselines"), "freq");
  const auto s = to_nums(need(kv, "by_sign", "baselines"), "by_sign");
  if (f.size() != kClasses || s.size() != kClasses * 3) throw std::runtime_error("baselines: wrong number of frequencies");
  for (int c = 0; c < kClasses; ++c) b.freq[static_cast<std::size_t>(c)] = f[static_cast<std::size_t>(c)];
  for (std::size_t i = 0; i < 9; ++i) b.by_sign[i / 3][i % 3] = s[i];
  b.imb_col = static_cast<int>(to_num(need(kv, "imb_col", "baselines"), "imb_col"));
  if (eol != std::string_view::npos && eol + 1 < text.size()) b.imb_logistic = LogisticModel::from_text(text.substr(eol + 1));
  return b;
}

void Ensemble::member_scores(Member m, const float* row, float* p, const LogisticModel* lg) const noexcept {
  switch (m) {
    case Member::Boosted: boosted.predict_margin(row, p); break;
    case Member::Forest: forest.predict_margin(row, p); break;
    case Member::Mlp: {
      double z[kClasses];
      mlp.logits(row, z);
      for (int c = 0; c < kClasses; ++c) p[c] = static_cast<float>(z[c]);
      break;
    }
    case Member::Logistic: (lg ? lg : &logistic)->predict(row, p); break;
    default: break;
  }
}

void Ensemble::member_probs(Member m, const float* row, float* p, const LogisticModel* lg) const noexcept {
  member_scores(m, row, p, lg);
  cal[static_cast<std::size_t>(m)].apply(p, kClasses);
}

void Ensemble::bayes_inputs(const float* row, float* z) const noexcept {
  for (std::size_t i = 0; i < bayes_cols.size(); ++i) {
    const float v = row[bayes_cols[i]];
    z[i] = std::isfinite(v) ? static_cast<float>((v - bayes_mean[i]) * bayes_inv_sd[i]) : 0.0f;
  }
}

void Ensemble::predict(const float* row, Prediction& out, const LogisticModel* lg, const BayesLinear* by) const noexcept {
  std::array<double, kClasses> mix{};
  for (std::size_t m = 0; m < kMembers; ++m) {
    if (!has[m] || weight[m] <= 0) continue;
    float p[kClasses];
    member_probs(static_cast<Member>(m), row, p, lg);
    for (int c = 0; c < kClasses; ++c) mix[static_cast<std::size_t>(c)] += weight[m] * p[c];
  }
  double sum = mix[0] + mix[1] + mix[2];
  if (!(sum > 0)) {
    baselines.majority(out.p.data());
  } else {
    for (int c = 0; c < kClasses; ++c) out.p[static_cast<std::size_t>(c)] = static_cast<float>(mix[static_cast<std::size_t>(c)] / sum);
  }
  // Expected return and its predictive spread.
  double mean = 0, var = 0;
  const BayesLinear& b = by ? *by : bayes;
  if (b.inputs() > 0) {
    float z[kMaxModelInputs];
    bayes_inputs(row, z);
    b.predict(z, &mean, &var);
  }
  if (has_return) {
    float r = 0;
    ret.predict(row, &r);
    mean = r;
  }
  out.exp_ret_bps = static_cast<float>(mean);
  out.ret_sd_bps = static_cast<float>(std::isfinite(var) && var > 0 ? std::sqrt(var) : 0.0);
  const int c = out.cls();
  double conf = out.p[static_cast<std::size_t>(c)];
  if (c != 1 && out.ret_sd_bps > 0) {
    const double z = mean / out.ret_sd_bps;
    conf *= c == 2 ? normal_cdf(z) : normal_cdf(-z);
  }
  out.confidence = static_cast<float>(conf);
}

void Ensemble::finish() {
  threshold_bps_ = threshold_unit == "bps";
  std::vector<std::uint16_t> u;
  const std::size_t n = input_names.size();
  if (has[0]) for (auto f : boosted.used_features()) u.push_back(static_cast<std::uint16_t>(f));
  if (has[1]) for (auto f : forest.used_features()) u.push_back(static_cast<std::uint16_t>(f));
  if (has[2] || has[3]) for (std::size_t i = 0; i < n; ++i) u.push_back(static_cast<std::uint16_t>(i));
  for (auto c : bayes_cols) u.push_back(c);
  if (has_return) for (auto f : ret.used_features()) u.push_back(static_cast<std::uint16_t>(f));
  if (baselines.imb_col >= 0) u.push_back(static_cast<std::uint16_t>(baselines.imb_col));
  std::sort(u.begin(), u.end());
  u.erase(std::unique(u.begin(), u.end()), u.end());
  used = std::move(u);
}

void Ensemble::to_files(const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) const {
  std::string e = "horizon " + horizon + "\nalpha " + num(alpha) + "\nthreshold_unit " + threshold_unit + "\ninputs";
  for (const auto& n : input_names) e += " " + n;
  e += "\nmembers";
  for (std::size_t m = 0; m < kMembers; ++m)
    if (has[m]) e += std::string(" ") + member_name(static_cast<Member>(m));
  e += "\nweights";
  for (double w : weight) e += " " + num(w);
  e += "\nbayes_cols";
  for (auto c : bayes_cols) e += " " + std::to_string(c);
  e += "\nbayes_mean";
  for (double v : bayes_mean) e += " " + num(v);
  e += "\nbayes_inv_sd";
  for (double v : bayes_inv_sd) e += " " + num(v);
  e += "\n";
  out.emplace_back(prefix + "ensemble.txt", e);
  if (has[0]) out.emplace_back(prefix + "boosted.json", boosted_json);
  if (has[1]) out.emplace_back(prefix + "forest.json", forest_json);
  if (has_return) out.emplace_back(prefix + "return.json", ret_json);
  if (has[2]) out.emplace_back(prefix + "mlp.txt", mlp.to_text());
  if (has[3]) out.emplace_back(prefix + "logistic.txt", logistic.to_text());
  for (std::size_t m = 0; m < kMembers; ++m)
    if (has[m]) out.emplace_back(prefix + "calibration_" + member_name(static_cast<Member>(m)) + ".txt", cal[m].to_text());
  if (bayes.inputs() > 0) out.emplace_back(prefix + "bayes.txt", bayes.to_text());
  out.emplace_back(prefix + "baselines.txt", baselines.to_text());
}

Ensemble Ensemble::from_files(const std::map<std::string, std::string>& files, const std::string& prefix) {
  Ensemble en;
  const std::string ef = prefix + "ensemble.txt";
  const auto kv = parse_kv(file_of(files, ef), ef);
  en.horizon = need(kv, "horizon", ef);
  en.alpha = to_num(need(kv, "alpha", ef), ef + " alpha");
  en.threshold_unit = need(kv, "threshold_unit", ef);
  en.input_names = words(need(kv, "inputs", ef));
  if (en.input_names.empty() || en.input_names.size() > kMaxModelInputs)
    throw std::runtime_error(ef + ": 1.." + std::to_string(kMaxModelInputs) + " inputs needed");
  const std::size_t n = en.input_names.size();
  for (const auto& m : words(need(kv, "members", ef))) {
    bool known = false;
    for (std::size_t k = 0; k < kMembers; ++k)
      if (m == member_name(static_cast<Member>(k))) en.has[k] = known = true;
    if (!known) throw std::runtime_error(ef + ": unknown member '" + m + "'");
  }
  const auto w = to_nums(need(kv, "weights", ef), ef + " weights");
  if (w.size() != kMembers) throw std::runtime_error(ef + ": " + std::to_string(kMembers) + " weights needed");
  for (std::size_t m = 0; m < kMembers; ++m) {
    if (w[m] < 0 || w[m] > 1) throw std::runtime_error(ef + ": a weight outside [0, 1]");
    en.weight[m] = w[m];
  }
  auto check_trees = [&](const TreeEnsemble& t, const std::string& f) {
    if (t.num_features() > n) throw std::runtime_error(f + ": reads " + std::to_string(t.num_features()) + " inputs, the ensemble has " + std::to_string(n));
    if (t.num_groups() != static_cast<std::size_t>(kClasses)) throw std::runtime_error(f + ": not a 3-class model");
  };
  if (en.has[0]) {
    const std::string f = prefix + "boosted.json";
    en.boosted_json = file_of(files, f);
    en.boosted = parse_member(f, [&] { return TreeEnsemble::from_xgboost_json(en.boosted_json); });
    check_trees(en.boosted, f);
  }
  if (en.has[1]) {
    const std::string f = prefix + "forest.json";
    en.forest_json = file_of(files, f);
    en.forest = parse_member(f, [&] { return TreeEnsemble::from_xgboost_json(en.forest_json); });
    check_trees(en.forest, f);
  }
  if (files.count(prefix + "return.json")) {
    const std::string f = prefix + "return.json";
    en.ret_json = file_of(files, f);
    en.ret = parse_member(f, [&] { return TreeEnsemble::from_xgboost_json(en.ret_json); });
    if (en.ret.num_features() > n || en.ret.num_groups() != 1)
      throw std::runtime_error(f + ": not a one-output model over the ensemble's inputs");
    en.has_return = true;
  }
  if (en.has[2]) {
    const std::string f = prefix + "mlp.txt";
    en.mlp = parse_member(f, [&] { return Mlp::from_text(file_of(files, f)); });
    if (static_cast<std::size_t>(en.mlp.inputs()) != n || en.mlp.outputs() != kClasses)
      throw std::runtime_error(f + ": shape does not match the ensemble's inputs and classes");
  }
  if (en.has[3]) {
    const std::string f = prefix + "logistic.txt";
    en.logistic = parse_member(f, [&] { return LogisticModel::from_text(file_of(files, f)); });
    if (en.logistic.k != kClasses || en.logistic.scale.size() != n)
      throw std::runtime_error(f + ": shape does not match the ensemble's inputs and classes");
  }
  for (std::size_t m = 0; m < kMembers; ++m) {
    if (!en.has[m]) continue;
    const std::string f = prefix + "calibration_" + member_name(static_cast<Member>(m)) + ".txt";
    en.cal[m] = parse_member(f, [&] { return Calibrator::from_text(file_of(files, f)); });
    if (en.cal[m].k != kClasses) throw std::runtime_error(f + ": not a 3-class calibration");
    if (en.cal[m].input != score_kind(static_cast<Member>(m))) throw std::runtime_error(f + ": calibrates the wrong kind of score for this member");
  }
  const auto bc = to_nums(need(kv, "bayes_cols", ef), ef + " bayes_cols");
  en.bayes_mean = to_nums(need(kv, "bayes_mean", ef), ef + " bayes_mean");
  en.bayes_inv_sd = to_nums(need(kv, "bayes_inv_sd", ef), ef + " bayes_inv_sd");
  if (bc.size() != en.bayes_mean.size() || bc.size() != en.bayes_inv_sd.size())
    throw std::runtime_error(ef + ": bayes_cols, bayes_mean and bayes_inv_sd differ in length");
  for (double c : bc) {
    if (c < 0 || c >= static_cast<double>(n)) throw std::runtime_error(ef + ": a bayes column outside the inputs");
    en.bayes_cols.push_back(static_cast<std::uint16_t>(c));
  }
  if (!bc.empty()) {
    const std::string f = prefix + "bayes.txt";
    en.bayes = parse_member(f, [&] { return BayesLinear::from_text(file_of(files, f)); });
    if (static_cast<std::size_t>(en.bayes.inputs()) != bc.size()) throw std::runtime_error(f + ": input count differs from bayes_cols");
  }
  {
    const std::string f = prefix + "baselines.txt";
    en.baselines = parse_member(f, [&] { return Baselines::from_text(file_of(files, f)); });
    if (en.baselines.imb_col >= static_cast<int>(n)) throw std::runtime_error(f + ": imb_col outside the inputs");
  }
  en.finish();
  return en;
}

}  // namespace hft::model
