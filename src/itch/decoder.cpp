#include "hft/itch/decoder.hpp"

namespace hft::itch {

const char* decode_status_name(DecodeStatus s) noexcept {
  switch (s) {
    case DecodeStatus::Ok: return "ok";
    case DecodeStatus::Truncated: return "truncated";
    case DecodeStatus::UnknownType: return "unknown_type";
    case DecodeStatus::BadLength: return "bad_length";
  }
  return "?";
}

}  // namespace hft::itch
