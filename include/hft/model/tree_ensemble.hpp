// Flattened tree-ensemble evaluator for XGBoost gbtree models (boosted trees and random forests):
// loaded once from XGBoost's JSON model text (off the hot path: parses, validates, allocates),
// then predict() evaluates one row with no allocation, lock or syscall, bit for bit what
// XGBoost 1.7 predicts for that row (same branches, same float32 leaf sums in tree order, same
// transform), at a few ns per tree instead of XGBoost's microseconds of per-call setup.
//
// XGBoost 1.7 semantics reproduced (src/predictor/predict_fn.h, cpu_predictor.cc, common/math.h,
// learner.cc, objective/*):
//  - a NaN input is missing and goes to the node's default child; any other value, +/-inf
//    included, goes left when value < threshold (float32 compare), else right;
//  - margin[g] = base_margin + leaf values of the trees of output group g (tree_info), summed
//    into a float32 in tree order; base_margin = ProbToMargin(base_score): the logit for the
//    logistic objectives, base_score itself otherwise;
//  - predict() applies the objective's transform with XGBoost's formulas: Sigmoid
//    (1 / (expf(min(-x, 88.7)) + 1 + 1e-16f)) for binary:logistic and reg:logistic, Softmax
//    (float max, double sum of expf) for multi:softprob, identity for reg:squarederror and
//    binary:logitraw.
// Refused with std::runtime_error (naming the tree and node): gblinear and dart boosters,
// other objectives, categorical splits, vector leaves, bad child indices, shared or cyclic
// nodes, split features >= num_feature, NaN thresholds, non-finite leaves, malformed JSON.
//
// Layout (why it is fast): trees of depth <= kMaxPerfectDepth are padded to complete binary
// trees of the ensemble's depth D (a leaf above depth D is repeated below a padding split, so
// the result is unchanged): no child pointers (children of node j at 2j+1, 2j+2) and no leaf
// test. Nodes are 8 bytes (input slot, compare value); each 3 levels of a tree are cut into
// 7-node subtrees, one 64-byte line each, so a walk waits on one cache line per 3 steps (the
// model does not fit in L1; the rest are L1 hits); the leaves follow. The walk is compiled per
// depth (a template on D): D branch-free steps per tree, each a load of the node, a load of
// the input and one compare, and 8 trees advance in lockstep so their chains of dependent
// loads overlap (the walk is latency bound). The missing-value test is folded into the compare
// (see LinkedNode): the inputs the trees use are copied once per row into a stack buffer with
// their negations beside them. Leaf values are then added in tree order.
// Deeper models (or ones using more than kMaxStackInputs inputs) use the plain linked walk.
// Tried and dropped (bench/trees on the 2-core AMD EPYC build machine): AVX2 gathers, 8 trees
// per vector (~13 ns a tree) or a whole 7-node block per gather (~25 ns a tree), are slower
// than this scalar walk (~5 ns a tree); 16 trees in lockstep spill registers; prefetching the
// next trees' lines costs more than it saves.
//
// May touch: nothing (simdjson to parse).
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hft::model {

// 64-byte aligned storage: the padded layout's node blocks are whole cache lines.
template <class T>
struct LineAllocator {
  using value_type = T;
  LineAllocator() = default;
  template <class U>
  LineAllocator(const LineAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{64}); }
  friend bool operator==(const LineAllocator&, const LineAllocator&) noexcept { return true; }
};

enum class TreeObjective : std::uint8_t {
  SquaredError,    // reg:squarederror: identity
  Logistic,        // binary:logistic, reg:logistic: sigmoid, base_score is a probability
  LogitRaw,        // binary:logitraw: identity, base_score is a probability
  Softprob,        // multi:softprob: softmax over the groups
};

class TreeEnsemble {
 public:
  static constexpr int kMaxPerfectDepth = 8;  // 255 nodes + 256 leaves (3 KiB) a padded tree
  static constexpr std::size_t kBlock = 8;    // trees walked in lockstep
  static constexpr std::size_t kMaxStackInputs = 1024;  // used inputs: 8 KiB of stack a row

  // Throws std::runtime_error saying what is wrong (and in which tree / node).
  static TreeEnsemble from_xgboost_json(std::string_view json);

  // out: num_groups() floats. row: num_features() floats; only used_features() are read.
  void predict_margin(const float* row, float* out) const noexcept;
  void predict(const float* row, float* out) const noexcept;

  std::size_t num_features() const noexcept { return num_features_; }
  std::size_t num_groups() const noexcept { return num_groups_; }
  std::size_t num_trees() const noexcept { return group_.size(); }
  // Sorted unique features that some split tests.
  std::span<const std::uint32_t> used_features() const noexcept { return used_; }
  // (feature, threshold) of every reachable split, tree by tree (tests put them in rows).
  const std::vector<std::pair<std::uint32_t, float>>& splits() const noexcept { return splits_; }
  TreeObjective objective() const noexcept { return objective_; }
  const std::string& objective_name() const noexcept { return objective_name_; }
  float base_margin() const noexcept { return base_margin_; }
  int depth() const noexcept { return depth_; }              // deepest leaf (root = 0)
  bool perfect_layout() const noexcept { return perfect_; }  // else the linked walk
  // For tests and benchmarks: evaluate with the linked walk even when the padded one applies.
  void force_linked(bool on) noexcept { linked_only_ = on; }

  // XGBoost's output transforms, exposed for tests.
  static float sigmoid(float x) noexcept;
  static void softmax(float* v, std::size_t n) noexcept;

  // One node of the linked layout (and the padded layout's node test). The test is uniform:
  // go to the "first" child when !(x' >= b), where x' = x with its sign bit flipped when
  // `flip` is set (bit 31 of fs). NaN fails >= and so takes the first child; the first child
  // is the default one:
  //  - default left: first = left, b = threshold, no flip: x < t or NaN -> left;
  //  - default right: first = right, b = -prev(t), flip: !(-x >= -prev(t)) = !(x <= prev(t))
  //    = !(x < t) for any non-NaN x (prev(t) = largest float below t), and NaN -> right.
  // So a step is one compare and no branch on missing values.
  struct LinkedNode {
    std::uint32_t fs;     // feature | flip << 31
    float b;              // compare value, or the leaf value when first == 0
    std::uint32_t first;  // first child (the second is first + 1); 0 = leaf
    std::uint32_t pad_;
  };

 private:
  template <int D>
  void margin_perfect(const float* row, float* out) const noexcept;
  void margin_linked(const float* row, float* out) const noexcept;

  TreeObjective objective_ = TreeObjective::SquaredError;
  std::string objective_name_;
  std::size_t num_features_ = 0;
  std::size_t num_groups_ = 1;
  float base_margin_ = 0;
  int depth_ = 0;
  bool perfect_ = true;
  bool linked_only_ = false;
  std::vector<std::uint32_t> used_;
  std::vector<std::pair<std::uint32_t, float>> splits_;
  std::vector<std::uint32_t> group_;  // output group of each tree

  // Padded layout: tree t at perfect_words_[t * stride_]: inner nodes as (input slot, bits of
  // b) word pairs in 64-byte blocks of 3 levels (see node_word in the .cpp), then the 2^D leaf
  // values (bits). An input slot indexes the per-row buffer: k < U is used_[k], U + k its
  // negation (U = used inputs). Trees are padded to a multiple of kBlock (the padding is
  // walked, never summed).
  std::vector<std::uint32_t, LineAllocator<std::uint32_t>> perfect_words_;
  std::size_t stride_ = 0;

  // Linked layout: each tree's nodes from roots_[t]; children are adjacent.
  std::vector<LinkedNode> nodes_;
  std::vector<std::uint32_t> roots_;
};

}  // namespace hft::model
