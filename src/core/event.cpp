#include "hft/core/event.hpp"

namespace hft {

const char* event_kind_name(EventKind k) noexcept {
  switch (k) {
    case EventKind::Add: return "add";
    case EventKind::Execute: return "execute";
    case EventKind::Cancel: return "cancel";
    case EventKind::Delete: return "delete";
    case EventKind::Replace: return "replace";
    case EventKind::Modify: return "modify";
    case EventKind::Trade: return "trade";
    case EventKind::Clear: return "clear";
    case EventKind::Status: return "status";
    case EventKind::Directory: return "directory";
    case EventKind::System: return "system";
    case EventKind::Count_: break;
  }
  return "?";
}

}  // namespace hft
