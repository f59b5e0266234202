#include "hft/model/serving.hpp"

#include <algorithm>

#include "hft/model/xgb.hpp"

#include <stdexcept>

namespace hft::model {

std::string horizon_prefix(const std::string& horizon_name) { return "h" + horizon_name + "-"; }

std::shared_ptr<const ServingModel> make_serving(const LoadedVersion& v, const InputMap& inputs, const Horizon& horizon) {
  auto m = std::make_shared<ServingModel>();
  m->version = v.version;
  m->horizon = horizon;
  const std::string prefix = horizon_prefix(horizon.name());
  if (v.files.find(prefix + "ensemble.txt") == v.files.end())
    throw std::runtime_error("no model for horizon " + horizon.name() + " (" + prefix + "ensemble.txt)");
  m->en = Ensemble::from_files(v.files, prefix);
  const auto names = inputs.names();
  for (const auto& n : m->en.input_names) {
    std::size_t k = 0;
    while (k < names.size() && names[k] != n) ++k;
    if (k == names.size()) throw std::runtime_error(prefix + "ensemble.txt: input '" + n + "' is not one the engine computes");
    m->input_def.push_back(static_cast<std::uint16_t>(k));
  }
  m->used = m->en.used;
  for (std::uint16_t c : m->used) m->compute.push_back(m->input_def[c]);
  for (std::size_t k = 0; k < kMembers; ++k)
    if (m->en.has[k]) m->en.versions[member_name(static_cast<Member>(k))] = v.version;
  return m;
}

ServingLoad load_serving(const std::filesystem::path& dir, std::uint64_t feature_schema_hash, const InputMap& inputs,
                         const Horizon& horizon) {
  ServingLoad out;
  std::shared_ptr<const ServingModel> built;
  const StoreLoad l = load_newest_valid(dir, feature_schema_hash, [&](const LoadedVersion& v) -> std::string {
    try {
      built = make_serving(v, inputs, horizon);
      return "";
    } catch (const std::exception& e) {
      return e.what();
    }
  });
  out.refusals = l.refusals;
  out.reason = l.reason;
  if (l.chosen) out.model = built;
  return out;
}

std::vector<std::pair<std::string, double>> feature_importance(const ServingModel& m) {
  std::vector<std::pair<std::string, double>> out;
  if (m.en.boosted_json.empty()) return out;
  const XgbModel x = XgbModel::load_json(m.en.boosted_json);
  for (auto [name, gain] : x.gain_importance()) {
    // Unnamed columns come back as f<k>: the ensemble's k-th input.
    if (name.size() > 1 && name[0] == 'f' && name.find_first_not_of("0123456789", 1) == std::string::npos) {
      const std::size_t k = std::stoul(name.substr(1));
      if (k < m.en.input_names.size()) name = m.en.input_names[k];
    }
    out.emplace_back(std::move(name), gain);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

}  // namespace hft::model
