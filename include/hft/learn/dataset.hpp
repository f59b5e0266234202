// Labeled training data from a recorded source (steps 4-5): the source goes through the engine's
// own stages (book, clean, features, regimes) from the same config, and a sampling stage takes a
// row of model inputs (model/inputs.hpp: scale-free) at each sampling point and hands it to one
// streaming labeler per horizon (model/labels.hpp). A row is kept when every horizon's label has
// resolved (rows near the end of the data, whose horizon runs past it, are dropped and counted).
// Rows are in the order they were sampled, which is exchange-time order within a source.
//
// Sampling (bursts must not dominate): every event, every change of the top of book (a best
// price or size), or the first event at or after each multiple of N ms of exchange time (per
// instrument). No row is taken on a halted instrument, an invalid book or a snapshot event.
//
// May touch: engine/ (runs a pipeline of its stages), model/, features/, config/.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hft/config/config.hpp"
#include "hft/feed/source.hpp"
#include "hft/model/labels.hpp"
#include "hft/model/samples.hpp"

namespace hft::learn {

using model::SampleOn;

struct DatasetSpec {
  std::vector<model::Horizon> horizons;
  SampleOn sample_on = SampleOn::Top;
  Nanos sample_every = 100'000'000;  // SampleOn::Time
  std::string symbol;                // "" = every instrument
  int trading_date = 0;              // YYYYMMDD for sources without epoch times (0 = none)
  std::size_t max_pending = 1 << 16; // labels waiting per instrument
};

struct Dataset {
  model::Samples x;                                 // inputs; y empty (set per horizon by the trainer)
  std::vector<std::vector<model::LabelValue>> labels;  // [horizon][row]
  std::vector<std::uint8_t> regime;                 // the regime label at each row's event
  std::vector<std::uint32_t> source;                // index of the source the row came from
  std::uint64_t feature_schema_hash = 0;
  std::vector<std::string> feature_names;
  std::uint64_t events = 0, sampled = 0, unresolved = 0, dropped = 0;
};

// One source. Throws on a bad source spec or config.
Dataset build_dataset(const config::Config& cfg, const std::string& source_spec, const DatasetSpec& spec);
Dataset build_dataset(const config::Config& cfg, std::unique_ptr<feed::EventSource> source, const DatasetSpec& spec);
// Several sources one after another (each a separate engine run), rows appended in order.
Dataset build_dataset(const config::Config& cfg, const std::vector<std::string>& sources, const DatasetSpec& spec);

// The rows idx of d (in that order), with their labels, regimes and sources.
Dataset rows_of(const Dataset& d, std::span<const std::size_t> idx);

// The model spec from config.yml's models section (horizons, sampling).
DatasetSpec dataset_spec(const config::Config& cfg);

}  // namespace hft::learn
