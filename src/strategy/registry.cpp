#include "hft/strategy/registry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>

#include "hft/strategy/params.hpp"

namespace hft::strategy {
namespace {

std::map<std::string, Factory, std::less<>>& types() {
  static std::map<std::string, Factory, std::less<>> m;  // built before main by registrations
  return m;
}

}  // namespace

void register_builtin_types();  // builtin.cpp

bool register_type(std::string_view type, Factory f) {
  return types().emplace(std::string(type), std::move(f)).second;
}

std::vector<std::string> registered_types() {
  register_builtin_types();
  std::vector<std::string> out;
  for (const auto& [k, v] : types()) out.push_back(k);
  return out;
}

std::unique_ptr<Strategy> make_strategy(const StrategySpec& spec) {
  register_builtin_types();
  const auto it = types().find(spec.type);
  if (it == types().end()) {
    std::string known;
    for (const auto& [k, v] : types()) known += (known.empty() ? "" : ", ") + k;
    throw std::invalid_argument("strategies." + spec.name + ": unknown strategy type '" + spec.type +
                                "' (types: " + known + ")");
  }
  return it->second(spec);
}

std::string type_of(std::string_view name, std::string_view type) {
  if (!type.empty()) return std::string(type);
  std::string s(name);
  // market_direction_v1 -> market_direction; mm_2 -> mm
  std::size_t end = s.size();
  while (end > 0 && std::isdigit(static_cast<unsigned char>(s[end - 1]))) --end;
  if (end < s.size()) {
    if (end > 1 && s[end - 1] == 'v' && s[end - 2] == '_') return s.substr(0, end - 2);
    if (end > 0 && s[end - 1] == '_') return s.substr(0, end - 1);
  }
  return s;
}

// ---- Params

const std::string* Params::find(std::string_view key) {
  read_.emplace_back(key);
  for (const auto& [k, v] : spec_.params)
    if (k == key) return &v;
  return nullptr;
}

void Params::fail(std::string_view key, const std::string& why) const {
  throw std::invalid_argument("strategies." + spec_.name + "." + std::string(key) + ": " + why);
}

double Params::real(std::string_view key, double def, double lo, double hi) {
  const std::string* v = find(key);
  if (!v) return def;
  double x = 0;
  const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  if (ec != std::errc() || p != v->data() + v->size() || !std::isfinite(x))
    fail(key, "expected a number, got '" + *v + "'");
  if (x < lo || x > hi) fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + *v);
  return x;
}

std::int64_t Params::integer(std::string_view key, std::int64_t def, std::int64_t lo, std::int64_t hi) {
  const std::string* v = find(key);
  if (!v) return def;
  std::int64_t x = 0;
  const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  if (ec != std::errc() || p != v->data() + v->size()) fail(key, "expected an integer, got '" + *v + "'");
  if (x < lo || x > hi) fail(key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + *v);
  return x;
}

bool Params::boolean(std::string_view key, bool def) {
  const std::string* v = find(key);
  if (!v) return def;
  if (*v == "true" || *v == "yes" || *v == "on") return true;
  if (*v == "false" || *v == "no" || *v == "off") return false;
  fail(key, "expected true or false, got '" + *v + "'");
}

std::string Params::word(std::string_view key, std::string_view def, const std::vector<std::string_view>& allowed) {
  const std::string* v = find(key);
  if (!v) return std::string(def);
  if (std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : " | ") + std::string(a);
    fail(key, "expected " + list + ", got '" + *v + "'");
  }
  return *v;
}

void Params::finish() const {
  for (const auto& [k, v] : spec_.params)
    if (std::find(read_.begin(), read_.end(), k) == read_.end()) {
      std::string known;
      for (const auto& r : read_) known += (known.empty() ? "" : ", ") + r;
      fail(k, "unknown setting for a " + spec_.type + " strategy (its settings: " + known + ")");
    }
}

}  // namespace hft::strategy
