// A model version ready for the hot path (step 6): the ensemble of one label horizon from the
// model store, its inputs mapped onto the engine's scale-free inputs. Immutable once built; the
// prediction stage reads it through one pointer, so a new version is one pointer swap.
//
// Loading takes the newest version of the store that passes every check (manifest, sizes and
// SHA-256 of every file, the engine's feature schema, the horizon present, every member
// parses and matches the inputs); each refused version is listed with the file and the
// reason, and an older valid version is used instead.
//
// May touch: model/ (store, ensemble, inputs, labels).
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "hft/model/ensemble.hpp"
#include "hft/model/inputs.hpp"
#include "hft/model/labels.hpp"
#include "hft/model/store.hpp"

namespace hft::model {

struct ServingModel {
  std::string version;
  Horizon horizon;
  Ensemble en;
  std::vector<std::uint16_t> input_def;  // for each ensemble input: its InputMap definition
  std::vector<std::uint16_t> compute;    // InputMap definitions to compute (the used inputs)
  std::vector<std::uint16_t> used;       // ensemble inputs read (columns of the row)

  // The model's row from the engine's feature values: only the used inputs are computed.
  void row(const InputMap& inputs, std::span<const double> features, std::uint8_t regime, float* scratch_defs,
           float* row) const noexcept {
    inputs.compute(features, regime, compute, scratch_defs);
    for (std::uint16_t c : used) row[c] = scratch_defs[input_def[c]];
  }
  // The same from every input already computed (all: the InputMap's order).
  void gather(const float* all, float* row) const noexcept {
    for (std::uint16_t c : used) row[c] = all[input_def[c]];
  }
};

struct ServingLoad {
  std::shared_ptr<const ServingModel> model;  // null when no version passed
  std::vector<Refusal> refusals;              // newest first
  std::string reason;                         // why none was chosen
};

// The boosted trees' total gain by input (the ensemble's input names), largest first; empty when
// the model has no boosted member. Off the hot path (parses the model's JSON).
std::vector<std::pair<std::string, double>> feature_importance(const ServingModel& m);

// The store's model files of one horizon are named "h<name>-...", e.g. h50ev-boosted.json.
std::string horizon_prefix(const std::string& horizon_name);
ServingLoad load_serving(const std::filesystem::path& dir, std::uint64_t feature_schema_hash, const InputMap& inputs,
                         const Horizon& horizon);
// From files already verified (tests, `hftd evaluate`).
std::shared_ptr<const ServingModel> make_serving(const LoadedVersion& v, const InputMap& inputs, const Horizon& horizon);

}  // namespace hft::model
