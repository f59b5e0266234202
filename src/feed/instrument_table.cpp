// ITCH instrument table (see instrument_table.hpp).
#include "hft/feed/instrument_table.hpp"

#include <string>

#include "hft/itch/messages.hpp"

namespace hft::feed {

ItchInstrumentTable::ItchInstrumentTable() : locate_index_(65536, -1) { instruments_.reserve(16384); }

// Symbols fit std::string's small buffer, so no allocation while the table stays below its
// reserved size.
void ItchInstrumentTable::on_new_locate(const std::uint8_t* msg, std::uint32_t locate) {
  locate_index_[locate] = static_cast<std::int32_t>(instruments_.size());
  Instrument& ins = instruments_.emplace_back();
  ins.id = locate;
  std::size_t at = 0;
  switch (static_cast<char>(msg[0])) {
    case itch::mt::kAddOrder:
    case itch::mt::kAddOrderMpid:
    case itch::mt::kTrade: at = 24; break;
    case itch::mt::kCrossTrade: at = 19; break;
    case itch::mt::kStockTradingAction: at = 11; break;
    default: break;
  }
  if (at != 0) ins.symbol = std::string(itch::trim_alpha({reinterpret_cast<const char*>(msg + at), 8}));
}

void ItchInstrumentTable::on_directory(const std::uint8_t* msg) {
  const auto v = itch::view_of<itch::StockDirectoryView>(msg);
  const std::uint16_t locate = v.stock_locate();
  if (locate_index_[locate] < 0) {
    locate_index_[locate] = static_cast<std::int32_t>(instruments_.size());
    instruments_.emplace_back();
  }
  Instrument& ins = instruments_[static_cast<std::size_t>(locate_index_[locate])];
  ins.id = locate;
  ins.symbol = std::string(itch::trim_alpha(v.stock()));
  ins.round_lot = v.round_lot_size();
  ins.market_category = v.market_category();
  ins.financial_status = v.financial_status();
  ins.classification = v.issue_classification();
  ins.authenticity = v.authenticity();
  ins.etp = v.etp_flag() == 'Y';
}

}  // namespace hft::feed
