// Flattened XGBoost tree-ensemble evaluator: see tree_ensemble.hpp.
#include "hft/model/tree_ensemble.hpp"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <tuple>

namespace hft::model {
namespace {

namespace od = simdjson::ondemand;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("xgboost model: " + what);
}

// Unwraps a simdjson result or throws with the path being read.
template <class T, class R>
T take(R&& r, const std::string& what) {
  T v{};
  if (auto err = std::forward<R>(r).get(v)) fail(what + ": " + simdjson::error_message(err));
  return v;
}

od::object object_field(od::object& o, const char* key, const std::string& where) {
  return take<od::object>(o.find_field_unordered(key).get_object(), where + "." + key);
}
std::string string_field(od::object& o, const char* key, const std::string& where) {
  return std::string(take<std::string_view>(o.find_field_unordered(key).get_string(), where + "." + key));
}

// XGBoost writes its parameters as strings ("num_class": "3", "base_score": "5E-1").
long long parse_int(std::string_view s, const std::string& what) {
  long long v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) fail(what + ": not an integer: '" + std::string(s) + "'");
  return v;
}
// float32 straight from the decimal text, as XGBoost reads it (through double could round
// twice and differ in the last bit).
float parse_float(std::string_view s, const std::string& what) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  float v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) fail(what + ": not a float: '" + std::string(s) + "'");
  return v;
}

std::vector<long long> int_array(od::object& o, const char* key, const std::string& where) {
  std::string what = where + "." + key;
  od::array a = take<od::array>(o.find_field_unordered(key).get_array(), what);
  std::vector<long long> out;
  for (auto item : a) {
    od::value v = take<od::value>(std::move(item), what);
    // default_left: booleans in older files, integers in newer.
    od::json_type t = take<od::json_type>(v.type(), what);
    if (t == od::json_type::boolean) {
      out.push_back(take<bool>(v.get_bool(), what) ? 1 : 0);
    } else {
      out.push_back(take<std::int64_t>(v.get_int64(), what));
    }
  }
  return out;
}
std::vector<float> float_array(od::object& o, const char* key, const std::string& where) {
  std::string what = where + "." + key;
  od::array a = take<od::array>(o.find_field_unordered(key).get_array(), what);
  std::vector<float> out;
  for (auto item : a) {
    od::value v = take<od::value>(std::move(item), what);
    if (take<od::json_type>(v.type(), what) != od::json_type::number) fail(what + ": not a number");
    out.push_back(parse_float(v.raw_json_token(), what));
  }
  return out;
}

struct RawTree {
  std::vector<long long> left, right, split, dl;
  std::vector<float> cond;
  int depth = 0;
};

constexpr std::size_t kMaxNodes = std::size_t{1} << 24;
constexpr std::size_t kMaxFeatures = std::size_t{1} << 24;
constexpr std::uint32_t kFlip = 0x8000'0000u;

// Where the padded layout keeps a node: the levels of a tree in groups of 3, each 7-node
// subtree of a group (14 words) in its own 64-byte line, so that a walk touches one line per 3
// levels (an L2 round trip per line, the rest L1 hits) instead of one line per level. Group g
// has 8^g such blocks; the 2^D leaves follow. A tree's words are a multiple of 16, so with a
// 64-byte aligned base every block sits in one line.
constexpr std::size_t kLineWords = 16;
constexpr std::size_t groups_of(std::size_t D) { return (D + 2) / 3; }
constexpr std::size_t group_levels(std::size_t D, std::size_t g) { return std::min<std::size_t>(3, D - 3 * g); }
constexpr std::size_t group_offset(std::size_t g) {  // 16 (1 + 8 + ... + 8^(g-1))
  std::size_t o = 0, blocks = 1;
  for (std::size_t i = 0; i < g; ++i, blocks *= 8) o += blocks * kLineWords;
  return o;
}
constexpr std::size_t leaf_offset(std::size_t D) { return group_offset(groups_of(D)); }
constexpr std::size_t tree_words(std::size_t D) {
  return leaf_offset(D) + ((std::size_t{1} << D) + kLineWords - 1) / kLineWords * kLineWords;
}
// Word of inner node h (heap order) at depth d.
constexpr std::size_t node_word(std::size_t h, std::size_t d) {
  const std::size_t g = d / 3, ld = d - 3 * g;
  const std::size_t at_level = h - ((std::size_t{1} << d) - 1);  // index among level d's nodes
  const std::size_t block = at_level >> ld;
  const std::size_t j = ((std::size_t{1} << ld) - 1) + (at_level & ((std::size_t{1} << ld) - 1));
  return group_offset(g) + block * kLineWords + 2 * j;
}

RawTree read_tree(od::object& t, std::size_t index, std::size_t num_feature) {
  const std::string where = "tree " + std::to_string(index);
  RawTree r;
  {
    od::object tp = object_field(t, "tree_param", where);
    long long n = parse_int(string_field(tp, "num_nodes", where + ".tree_param"), where + " num_nodes");
    if (n < 1 || static_cast<std::size_t>(n) > kMaxNodes) fail(where + ": num_nodes " + std::to_string(n) + " out of range");
    // size_leaf_vector > 1 would be vector leaves (multi-target trees): not supported.
    auto slv = tp.find_field_unordered("size_leaf_vector");
    std::string_view s;
    if (!slv.error() && !slv.get_string().get(s) && parse_int(s, where + " size_leaf_vector") > 1)
      fail(where + ": vector leaves (size_leaf_vector > 1) are not supported");
    r.left.reserve(static_cast<std::size_t>(n));
  }
  r.left = int_array(t, "left_children", where);
  r.right = int_array(t, "right_children", where);
  r.split = int_array(t, "split_indices", where);
  r.cond = float_array(t, "split_conditions", where);
  r.dl = int_array(t, "default_left", where);
  std::vector<long long> split_type;
  {
    auto st = t.find_field_unordered("split_type");
    if (!st.error()) split_type = int_array(t, "split_type", where);
  }
  const std::size_t n = r.left.size();
  if (n == 0) fail(where + ": no nodes");
  if (n > kMaxNodes) fail(where + ": too many nodes");
  for (auto [name, size] : {std::pair{"right_children", r.right.size()}, {"split_indices", r.split.size()},
                            {"split_conditions", r.cond.size()}, {"default_left", r.dl.size()}})
    if (size != n)
      fail(where + ": " + name + " has " + std::to_string(size) + " entries, left_children " + std::to_string(n));
  if (!split_type.empty() && split_type.size() != n) fail(where + ": split_type size differs from left_children");

  // Walk from the root: every reachable node once (no cycle, no sharing), children in range.
  std::vector<std::uint8_t> seen(n, 0);
  std::vector<std::pair<std::size_t, int>> stack{{0, 0}};
  seen[0] = 1;
  while (!stack.empty()) {
    auto [i, d] = stack.back();
    stack.pop_back();
    const std::string at = where + " node " + std::to_string(i);
    r.depth = std::max(r.depth, d);
    long long L = r.left[i], R = r.right[i];
    if (L == -1 && R == -1) {
      if (!std::isfinite(r.cond[i])) fail(at + ": leaf value is not finite");
      continue;
    }
    for (long long c : {L, R})
      if (c < 1 || static_cast<std::size_t>(c) >= n)
        fail(at + ": child index " + std::to_string(c) + " out of range [1, " + std::to_string(n) + ")");
    if (L == R) fail(at + ": both children are node " + std::to_string(L));
    if (r.split[i] < 0 || static_cast<std::size_t>(r.split[i]) >= num_feature)
      fail(at + ": split feature " + std::to_string(r.split[i]) + " >= num_feature " + std::to_string(num_feature));
    if (std::isnan(r.cond[i])) fail(at + ": split threshold is NaN");
    if (!split_type.empty() && split_type[i] != 0) fail(at + ": categorical splits are not supported");
    if (r.dl[i] != 0 && r.dl[i] != 1) fail(at + ": default_left is " + std::to_string(r.dl[i]));
    for (long long c : {L, R}) {
      auto ci = static_cast<std::size_t>(c);
      if (seen[ci]) fail(at + ": node " + std::to_string(c) + " reached twice (cycle or shared node)");
      seen[ci] = 1;
      stack.emplace_back(ci, d + 1);
    }
  }
  return r;
}

// The uniform node test (see LinkedNode): (fs, b) and which child is first.
struct Encoded {
  std::uint32_t fs;
  float b;
  long long first, second;
};
Encoded encode(const RawTree& r, std::size_t i) {
  const auto f = static_cast<std::uint32_t>(r.split[i]);
  const float t = r.cond[i];
  if (r.dl[i]) return {f, t, r.left[i], r.right[i]};  // !(x >= t): x < t or NaN -> left
  // Default right: first = right when !(-x >= -prev(t)), i.e. x > prev(t) or NaN; t = -inf
  // (never x < t): b = NaN makes the test always true, always right.
  const float b = t == -std::numeric_limits<float>::infinity()
                      ? std::numeric_limits<float>::quiet_NaN()
                      : -std::nextafter(t, -std::numeric_limits<float>::infinity());
  return {f | kFlip, b, r.right[i], r.left[i]};
}

// !(x' >= b) with x' = x, sign flipped when fs has kFlip: true = first child.
inline bool goes_first(const float* row, std::uint32_t fs, float b) noexcept {
  const std::uint32_t xb = std::bit_cast<std::uint32_t>(row[fs & ~kFlip]) ^ (fs & kFlip);
  return !(std::bit_cast<float>(xb) >= b);
}

}  // namespace

float TreeEnsemble::sigmoid(float x) noexcept {
  // XGBoost 1.7 common::Sigmoid, operation for operation (float).
  constexpr float kEps = 1e-16f;
  x = std::min(-x, 88.7f);
  const float denom = std::exp(x) + 1.0f + kEps;
  return 1.0f / denom;
}

void TreeEnsemble::softmax(float* v, std::size_t n) noexcept {
  // XGBoost 1.7 common::Softmax: float max, double sum of the float exps, float divide.
  if (n == 0) return;
  float wmax = v[0];
  for (std::size_t i = 1; i < n; ++i) wmax = std::fmax(v[i], wmax);
  double wsum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = std::exp(v[i] - wmax);
    wsum += v[i];
  }
  for (std::size_t i = 0; i < n; ++i) v[i] /= static_cast<float>(wsum);
}

TreeEnsemble TreeEnsemble::from_xgboost_json(std::string_view json) {
  if (json.empty()) fail("empty model text");
  TreeEnsemble e;
  simdjson::padded_string text(json);
  {
    // The On Demand reader below trusts the document's structure (a truncated document can
    // make it read past the end); the DOM parser validates all of it first.
    simdjson::dom::parser dom;
    simdjson::dom::element ignored;
    if (auto err = dom.parse(text).get(ignored)) fail(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  od::parser parser;
  od::document doc = take<od::document>(parser.iterate(text), "parse");
  od::object root = take<od::object>(doc.get_object(), "top level");
  od::object learner = object_field(root, "learner", "");

  std::string base_score;
  long long num_class = 0, num_feature = 0;
  {
    od::object p = object_field(learner, "learner_model_param", "learner");
    base_score = string_field(p, "base_score", "learner_model_param");
    num_class = parse_int(string_field(p, "num_class", "learner_model_param"), "num_class");
    num_feature = parse_int(string_field(p, "num_feature", "learner_model_param"), "num_feature");
    auto nt = p.find_field_unordered("num_target");
    std::string_view s;
    if (!nt.error() && !nt.get_string().get(s) && parse_int(s, "num_target") > 1)
      fail("multi-target models (num_target > 1) are not supported");
  }
  if (num_class < 0 || num_class > 1 << 16) fail("num_class " + std::to_string(num_class) + " out of range");
  if (num_feature < 1 || static_cast<std::size_t>(num_feature) > kMaxFeatures)
    fail("num_feature " + std::to_string(num_feature) + " out of range");
  e.num_features_ = static_cast<std::size_t>(num_feature);
  e.num_groups_ = static_cast<std::size_t>(std::max<long long>(num_class, 1));

  {
    od::object obj = object_field(learner, "objective", "learner");
    e.objective_name_ = string_field(obj, "name", "learner.objective");
  }
  const float bs = parse_float(base_score, "base_score");
  const std::string& on = e.objective_name_;
  if (on == "reg:squarederror") {
    e.objective_ = TreeObjective::SquaredError;
  } else if (on == "binary:logistic" || on == "reg:logistic") {
    e.objective_ = TreeObjective::Logistic;
  } else if (on == "binary:logitraw") {
    e.objective_ = TreeObjective::LogitRaw;
  } else if (on == "multi:softprob") {
    e.objective_ = TreeObjective::Softprob;
  } else {
    fail("objective '" + on + "' is not supported (reg:squarederror, reg:logistic, binary:logistic, "
         "binary:logitraw, multi:softprob)");
  }
  if (e.objective_ == TreeObjective::Softprob ? num_class < 2 : num_class > 1)
    fail("num_class " + std::to_string(num_class) + " does not fit objective " + on);
  if (e.objective_ == TreeObjective::Logistic || e.objective_ == TreeObjective::LogitRaw) {
    // LogisticRegression::ProbToMargin, in float.
    if (!(bs > 0.0f && bs < 1.0f)) fail("base_score " + base_score + " not in (0, 1) for " + on);
    e.base_margin_ = -std::log(1.0f / bs - 1.0f);
  } else {
    if (!std::isfinite(bs)) fail("base_score " + base_score + " is not finite");
    e.base_margin_ = bs;
  }

  std::vector<RawTree> trees;
  std::vector<long long> tree_info;
  {
    od::object gb = object_field(learner, "gradient_booster", "learner");
    const std::string name = string_field(gb, "name", "gradient_booster");
    if (name != "gbtree")
      fail("booster '" + name + "' is not supported (gbtree only" +
           (name == "dart" ? std::string(": dart scales trees by dropout weights)") : std::string(")")));
    od::object model = object_field(gb, "model", "gradient_booster");
    long long declared = 0;
    {
      od::object p = object_field(model, "gbtree_model_param", "model");
      declared = parse_int(string_field(p, "num_trees", "gbtree_model_param"), "num_trees");
    }
    od::array arr = take<od::array>(model.find_field_unordered("trees").get_array(), "model.trees");
    for (auto item : arr) {
      od::object t = take<od::object>(item.get_object(), "tree " + std::to_string(trees.size()));
      if (trees.size() >= (std::size_t{1} << 20)) fail("too many trees");
      trees.push_back(read_tree(t, trees.size(), e.num_features_));
    }
    tree_info = int_array(model, "tree_info", "model");
    if (declared != static_cast<long long>(trees.size()))
      fail("num_trees " + std::to_string(declared) + " but " + std::to_string(trees.size()) + " trees");
  }
  if (tree_info.size() != trees.size())
    fail("tree_info has " + std::to_string(tree_info.size()) + " entries for " + std::to_string(trees.size()) + " trees");
  for (std::size_t t = 0; t < trees.size(); ++t) {
    if (tree_info[t] < 0 || static_cast<std::size_t>(tree_info[t]) >= e.num_groups_)
      fail("tree " + std::to_string(t) + ": output group " + std::to_string(tree_info[t]) + " >= " +
           std::to_string(e.num_groups_));
    e.group_.push_back(static_cast<std::uint32_t>(tree_info[t]));
  }

  // Used features and depth.
  for (const RawTree& r : trees) {
    e.depth_ = std::max(e.depth_, r.depth);
    // Reachable splits only (an unreachable node may hold anything): walk again.
    std::vector<std::size_t> st{0};
    while (!st.empty()) {
      std::size_t i = st.back();
      st.pop_back();
      if (r.left[i] == -1) continue;
      e.used_.push_back(static_cast<std::uint32_t>(r.split[i]));
      e.splits_.emplace_back(static_cast<std::uint32_t>(r.split[i]), r.cond[i]);
      st.push_back(static_cast<std::size_t>(r.left[i]));
      st.push_back(static_cast<std::size_t>(r.right[i]));
    }
  }
  std::sort(e.used_.begin(), e.used_.end());
  e.used_.erase(std::unique(e.used_.begin(), e.used_.end()), e.used_.end());

  // Linked layout (always built: the deep-model walk, and the reference the tests compare
  // the padded walk with): nodes of a tree in breadth-first order, the two children adjacent.
  for (const RawTree& r : trees) {
    const auto top = static_cast<std::uint32_t>(e.nodes_.size());
    e.roots_.push_back(top);
    e.nodes_.push_back({});
    std::vector<std::pair<std::size_t, std::uint32_t>> queue{{0, top}};  // (raw, slot)
    for (std::size_t q = 0; q < queue.size(); ++q) {
      auto [i, slot] = queue[q];
      if (r.left[i] == -1) {
        e.nodes_[slot] = {0, r.cond[i], 0, 0};
        continue;
      }
      Encoded en = encode(r, i);
      const auto first = static_cast<std::uint32_t>(e.nodes_.size());
      e.nodes_[slot] = {en.fs, en.b, first, 0};
      e.nodes_.push_back({});
      e.nodes_.push_back({});
      queue.emplace_back(static_cast<std::size_t>(en.first), first);
      queue.emplace_back(static_cast<std::size_t>(en.second), first + 1);
    }
  }

  e.perfect_ = e.depth_ <= kMaxPerfectDepth && e.used_.size() <= kMaxStackInputs;
  if (e.perfect_) {
    const std::size_t D = static_cast<std::size_t>(e.depth_);
    const std::size_t inner = (std::size_t{1} << D) - 1;
    const std::size_t U = e.used_.size();
    e.stride_ = tree_words(D);
    const std::size_t padded = (trees.size() + kBlock - 1) / kBlock * kBlock;
    // Zeros: padding nodes test input slot 0 against 0 (their subtrees are all equal).
    e.perfect_words_.assign(padded * e.stride_, 0);
    for (std::size_t t = 0; t < trees.size(); ++t) {
      const RawTree& r = trees[t];
      std::uint32_t* w = e.perfect_words_.data() + t * e.stride_;
      // (raw node, heap index, depth); a leaf above depth D fills its whole subtree.
      std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> st{{0, 0, 0}};
      while (!st.empty()) {
        auto [i, h, d] = st.back();
        st.pop_back();
        if (d == D) {  // D is the deepest leaf: i is a leaf
          w[leaf_offset(D) + (h - inner)] = std::bit_cast<std::uint32_t>(r.cond[i]);
          continue;
        }
        if (r.left[i] == -1) {
          st.emplace_back(i, 2 * h + 1, d + 1);
          st.emplace_back(i, 2 * h + 2, d + 1);
          continue;
        }
        const Encoded en = encode(r, i);
        const auto k = static_cast<std::size_t>(
            std::lower_bound(e.used_.begin(), e.used_.end(), en.fs & ~kFlip) - e.used_.begin());
        w[node_word(h, d)] = static_cast<std::uint32_t>(en.fs & kFlip ? U + k : k);
        w[node_word(h, d) + 1] = std::bit_cast<std::uint32_t>(en.b);
        st.emplace_back(static_cast<std::size_t>(en.first), 2 * h + 1, d + 1);
        st.emplace_back(static_cast<std::size_t>(en.second), 2 * h + 2, d + 1);
      }
    }
  }
  return e;
}

// ---- evaluation (hot path: no allocation, no lock, no branch on the input values) ----

// GCC's vectoriser packs pieces of the unrolled walks into SSE registers and back (shuffles
// on every step, 3x slower): kept scalar. (Clang, which builds the sanitizer configuration, has
// no such per-function switch; that build checks, it is not timed.)
#if defined(__clang__)
#define HFT_SCALAR_LOOPS
#else
#define HFT_SCALAR_LOOPS __attribute__((optimize("no-tree-vectorize")))
#endif
template <int D>
HFT_SCALAR_LOOPS void TreeEnsemble::margin_perfect(const float* row, float* out) const noexcept {
  constexpr std::size_t kStride = tree_words(D), kGroups = groups_of(D);
  // The inputs the trees use, and their negations (the default-right nodes' test).
  const std::size_t U = used_.size();
  float x[2 * kMaxStackInputs];
  for (std::size_t k = 0; k < U; ++k) {
    const float v = row[used_[k]];
    x[k] = v;
    x[U + k] = -v;
  }
  const std::size_t n = group_.size();
  const bool single = num_groups_ == 1;
  float s = out[0];
  const std::uint32_t* w = perfect_words_.data();
  for (std::size_t t0 = 0; t0 < n; t0 += kBlock, w += kBlock * kStride) {
    // kBlock walks in lockstep, fully unrolled (D, the group sizes and the stride are
    // constants): each step is load node, load input, compare, j = 2j + 2 - first. The walks
    // are bound by the latency of their dependent loads; many at once overlap them.
    std::uint32_t b[kBlock] = {};  // block of the current group (then the leaf)
#pragma GCC unroll 3
    for (std::size_t g = 0; g < kGroups; ++g) {
      const std::size_t L = group_levels(D, g);
      std::uint32_t j[kBlock] = {};
#pragma GCC unroll 3
      for (std::size_t step = 0; step < L; ++step) {
#pragma GCC unroll 16
        for (std::size_t l = 0; l < kBlock; ++l) {
          const std::uint32_t* node = w + l * kStride + group_offset(g) + b[l] * kLineWords + 2 * j[l];
          j[l] = 2 * j[l] + 2 - static_cast<std::uint32_t>(!(x[node[0]] >= std::bit_cast<float>(node[1])));
        }
      }
#pragma GCC unroll 16
      for (std::size_t l = 0; l < kBlock; ++l)
        b[l] = (b[l] << L) + j[l] - static_cast<std::uint32_t>((std::size_t{1} << L) - 1);
    }
    // Leaves added in tree order: the float sums are XGBoost's, bit for bit.
    const std::size_t m = std::min(kBlock, n - t0);
    for (std::size_t l = 0; l < m; ++l) {
      const float v = std::bit_cast<float>(w[l * kStride + leaf_offset(D) + b[l]]);
      if (single) {
        s += v;
      } else {
        out[group_[t0 + l]] += v;
      }
    }
  }
  if (single) out[0] = s;
}
#undef HFT_SCALAR_LOOPS  // one function: not into the rest of the module's unity unit

void TreeEnsemble::margin_linked(const float* row, float* out) const noexcept {
  for (std::size_t t = 0; t < roots_.size(); ++t) {
    const LinkedNode* n = &nodes_[roots_[t]];
    while (n->first) n = &nodes_[n->first + (goes_first(row, n->fs, n->b) ? 0u : 1u)];
    out[group_[t]] += n->b;
  }
}

void TreeEnsemble::predict_margin(const float* row, float* out) const noexcept {
  for (std::size_t g = 0; g < num_groups_; ++g) out[g] = base_margin_;
  if (!perfect_ || linked_only_) return margin_linked(row, out);
  switch (depth_) {
    case 0: return margin_perfect<0>(row, out);
    case 1: return margin_perfect<1>(row, out);
    case 2: return margin_perfect<2>(row, out);
    case 3: return margin_perfect<3>(row, out);
    case 4: return margin_perfect<4>(row, out);
    case 5: return margin_perfect<5>(row, out);
    case 6: return margin_perfect<6>(row, out);
    case 7: return margin_perfect<7>(row, out);
    default: return margin_perfect<8>(row, out);
  }
  static_assert(kMaxPerfectDepth == 8);
}

void TreeEnsemble::predict(const float* row, float* out) const noexcept {
  predict_margin(row, out);
  switch (objective_) {
    case TreeObjective::Logistic:
      out[0] = sigmoid(out[0]);
      break;
    case TreeObjective::Softprob:
      softmax(out, num_groups_);
      break;
    case TreeObjective::SquaredError:
    case TreeObjective::LogitRaw:
      break;
  }
}

}  // namespace hft::model
