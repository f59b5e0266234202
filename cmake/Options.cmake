# Build options: warnings as errors, sanitizers, ccache.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "build type" FORCE)
endif()

add_library(hft_warnings INTERFACE)
target_compile_options(hft_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough -Werror)

# HFT_SANITIZE: "" (none), "address" (address + undefined), or "thread".
set(HFT_SANITIZE "" CACHE STRING "sanitizer configuration: address | thread | empty")
if(HFT_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # UB checks for hftd's code, not for Eigen's, Boost's, ... internals (see the file: CI time)
    add_compile_options(-fsanitize-ignorelist=${CMAKE_CURRENT_LIST_DIR}/ubsan-ignore.txt)
  endif()
  # (GCC says __SANITIZE_ADDRESS__, Clang __has_feature(address_sanitizer): one name for both)
  add_compile_definitions(HFT_SANITIZE_ADDRESS=1)
  # -no-pie: a position-independent test program spends half of its start-up under ASan relocating
  # its 30 MB of instrumented data (0.24 -> 0.14 s a process for test_engine; a test run by hand
  # and every ctest shard start one).
  add_link_options(-fsanitize=address,undefined -no-pie)
elseif(HFT_SANITIZE STREQUAL "thread")
  # -Wno-tsan: GCC warns that TSAN does not model the std::atomic_thread_fence inside Boost.Asio's
  # handler invocation; Asio also synchronises through its own mutexes, which TSAN does see.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_compile_definitions(HFT_SANITIZE_THREAD=1)
  add_link_options(-fsanitize=thread)
elseif(NOT HFT_SANITIZE STREQUAL "")
  message(FATAL_ERROR "HFT_SANITIZE must be address, thread or empty")
endif()

# HFT_PGO: "" (none), "generate" (instrumented: a run writes profiles into HFT_PGO_DIR) or "use"
# (optimised with them). tools/pgo runs both steps (README "Speed build"). GCC only.
set(HFT_PGO "" CACHE STRING "profile-guided optimisation: generate | use | empty")
set(HFT_PGO_DIR "${CMAKE_BINARY_DIR}/pgo-profile" CACHE PATH "where the profiles are written and read")
if(HFT_PGO AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  message(FATAL_ERROR "HFT_PGO is written for GCC's profile flags")
endif()
if(HFT_PGO STREQUAL "generate")
  # prefer-atomic: the engine's threads update the same counters
  add_compile_options(-fprofile-generate=${HFT_PGO_DIR} -fprofile-update=prefer-atomic)
  add_link_options(-fprofile-generate=${HFT_PGO_DIR})
elseif(HFT_PGO STREQUAL "use")
  # Code the training run never reached keeps the ordinary optimisation (partial training), and
  # files it never entered have no profile (not an error).
  add_compile_options(-fprofile-use=${HFT_PGO_DIR} -fprofile-partial-training -Wno-missing-profile)
elseif(NOT HFT_PGO STREQUAL "")
  message(FATAL_ERROR "HFT_PGO must be generate, use or empty")
endif()

set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG")
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O2 -g -DNDEBUG")
if(HFT_SANITIZE)
  # The sanitizer builds keep HFT_ASSERT and assert() on; -O1 compiles about a third faster than
  # -O2 (CI time) and is what the sanitizers' authors recommend. No debug information (-g0): a
  # report names every frame's function from the symbol table, and the build is a fifth faster
  # than with line tables (-g1), the CI's largest cost. For line numbers in a report, configure
  # with -DCMAKE_CXX_FLAGS=-g1.
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -g0")
  # With Boost's assertions on, GCC 12 reports boost::optional inside Beast's parser as maybe
  # uninitialised (a known false positive); the release build keeps the warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()
if(NOT HFT_SANITIZE)
  option(HFT_NATIVE "tune for this machine's CPU (-march=native)" OFF)
  if(HFT_NATIVE)
    add_compile_options(-march=native)
    # On an AVX-512 machine GCC 12 reports its own avx512fintrin.h, inlined into Eigen's
    # reductions, as (maybe) uninitialised: a false positive that -isystem does not hide in an
    # inlined header. The portable build (CI's) keeps both warnings as errors.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      add_compile_options(-Wno-uninitialized -Wno-maybe-uninitialized)
    endif()
  endif()
endif()
