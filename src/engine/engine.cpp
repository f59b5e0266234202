// The engine for the default pipeline (BasicEngine's code is in engine_impl.hpp), pinning, and
// the hot threads' log message ids.
#include "hft/engine/engine_impl.hpp"

#include <pthread.h>
#include <sched.h>

#include <cstring>

namespace hft::engine {

namespace detail {
const Msgs& msgs() {
  static const Msgs m{
      telemetry::register_message(telemetry::Level::info, "hot thread {} started: stage mask {:#x}, cpu {}"),
      telemetry::register_message(telemetry::Level::warn, "hot thread {}: could not pin to cpu {} / SCHED_FIFO {} (errno {}); running unpinned"),
      telemetry::register_message(telemetry::Level::info, "hot thread {}: config version {:#x} applied (batch {}, latency sample every {})"),
      telemetry::register_message(telemetry::Level::info, "feed: end of input after {} events"),
      telemetry::register_message(telemetry::Level::warn, "hot thread {}: ring to the next thread full ({} times so far, policy {})"),
  };
  return m;
}
}  // namespace detail

std::string pin_current_thread(int cpu, int fifo_priority) {
  std::string err;
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (const int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set))
      err = "cpu " + std::to_string(cpu) + ": " + std::strerror(rc);
  }
  if (fifo_priority > 0) {
    sched_param sp{};
    sp.sched_priority = fifo_priority;
    if (const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp))
      err += (err.empty() ? "" : "; ") + std::string("SCHED_FIFO ") + std::to_string(fifo_priority) + ": " + std::strerror(rc);
  }
  return err;
}

void name_current_thread(const std::string& name) noexcept {
  char n[16] = {};
  name.copy(n, 15);
  (void)pthread_setname_np(pthread_self(), n);
}

template class BasicEngine<DefaultPipeline>;

}  // namespace hft::engine
