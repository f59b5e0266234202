// config.yml's clean, features and regimes sections -> the settings of the clean, features and
// regime modules (which know nothing of config files). May touch: config/, clean/, features/, regime/.
#pragma once
#include "hft/clean/cleaner.hpp"
#include "hft/config/config.hpp"
#include "hft/features/features.hpp"
#include "hft/regime/detector.hpp"

namespace hft::engine {

clean::CleanConfig clean_config(const config::Config& c);
features::FeatureConfig feature_config(const config::Config& c);
regime::RegimeConfig regime_config(const config::Config& c);

}  // namespace hft::engine
