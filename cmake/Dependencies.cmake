# Dependencies, all from Debian's packages (tools/setup installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
add_library(hft::pcap ALIAS PkgConfig::PCAP)
add_library(hft::zstd ALIAS PkgConfig::ZSTD)

find_package(yaml-cpp REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)         # gzip: NASDAQ ITCH files (itch:FILE.gz), read and written as a stream
find_package(Boost 1.74 REQUIRED)   # header-only parts: Asio, Beast, lockfree (bench only)
find_package(spdlog REQUIRED)       # Debian's build uses the packaged fmt
find_package(Eigen3 3.3 REQUIRED NO_MODULE)  # regime: GARCH maximum likelihood
find_package(xgboost REQUIRED)      # model: training (C API) and the reference for the tree evaluator
find_package(ZLIB REQUIRED)         # binance: gzip recorder files, decompressed as they are read
find_package(simdjson REQUIRED)     # model: XGBoost JSON model files and model-store metadata; binance: recorder lines
