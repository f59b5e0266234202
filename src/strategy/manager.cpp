#include "hft/strategy/manager.hpp"

#include <algorithm>
#include <stdexcept>

#include "hft/strategy/registry.hpp"

namespace hft::strategy {

std::vector<StrategySpec> specs_of(const config::Config& c) {
  std::vector<StrategySpec> out;
  for (const auto& s : c.strategies) {
    if (!s.enabled) continue;
    StrategySpec p;
    p.name = s.name;
    p.type = type_of(s.name, s.type);
    p.symbols = s.symbols.empty() ? c.symbols : s.symbols;
    p.max_position = s.max_position;
    p.max_order_qty = s.max_order_qty;
    p.retrain_hours = s.retrain_hours;
    p.min_confidence = s.min_confidence_threshold;
    p.params = s.params;
    p.tick = c.execution.tick_size;
    out.push_back(std::move(p));
  }
  return out;
}

Manager::Manager(std::vector<StrategySpec> specs, engine::OrderRouter& router, engine::Scheduler& sched,
                 const engine::Clock& clock, std::uint16_t owner, const engine::SymbolTable* symbols,
                 std::size_t max_instruments)
    : router_(&router),
      symbols_(symbols),
      max_instr_(max_instruments),
      state_(max_instruments, 0),
      count_(max_instruments, 0),
      subs_(max_instruments * kMaxPerInstrument, 0) {
  if (specs.size() > 0xFFFF) throw std::invalid_argument("strategies: too many");
  list_.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto impl = make_strategy(specs[i]);  // throws with the setting's path
    list_.push_back(Entry{std::move(specs[i]), std::move(impl),
                          Context(router, sched, clock, static_cast<std::uint16_t>(i), owner)});
  }
  for (auto& e : list_) e.impl->calibrate(e.ctx);  // step 5 at start
}

void Manager::resolve(InstrumentId id) noexcept {
  const std::string sym = symbols_ ? symbols_->get(id) : std::string();
  state_[id] = sym.empty() ? 1 : 2;
  if (!sym.empty()) router_->gate().set_symbol(id, sym);  // its position limit (risk_management.position_limits)
  std::uint8_t n = 0;
  for (std::size_t i = 0; i < list_.size() && n < kMaxPerInstrument; ++i) {
    const auto& syms = list_[i].spec.symbols;
    // No symbols: every instrument. Symbols given but the instrument has none yet: not yet.
    const bool match = syms.empty() || (!sym.empty() && std::find(syms.begin(), syms.end(), sym) != syms.end());
    if (match) subs_[id * kMaxPerInstrument + n++] = static_cast<std::uint16_t>(i);
  }
  count_[id] = n;
}

void Manager::resolve_again() noexcept {
  for (std::size_t id = 0; id < max_instr_; ++id)
    if (state_[id] != 0) resolve(static_cast<InstrumentId>(id));
}

void Manager::on_event(const engine::Envelope& e, const book::Books& books, const features::FeatureEngine* fe) noexcept {
  const InstrumentId id = e.ev.instrument;
  if (id >= max_instr_) [[unlikely]] return;  // no book either (the book stage counted it)
  if (state_[id] == 0 || (e.ev.kind == EventKind::Directory && state_[id] == 1)) [[unlikely]] resolve(id);
  const std::uint8_t n = count_[id];
  if (n == 0) return;
  const MarketView m{e, books, fe};
  const std::uint16_t* s = &subs_[id * kMaxPerInstrument];
  for (std::uint8_t k = 0; k < n; ++k) {
    Entry& en = list_[s[k]];
    en.impl->on_market(m, en.ctx);
  }
}

void Manager::on_exec(const ExecReport& r) noexcept {
  if (r.strategy >= list_.size()) return;
  Entry& en = list_[r.strategy];
  en.impl->on_exec(r, en.ctx);
}

void Manager::on_timer(std::uint64_t cookie) noexcept {
  const std::uint64_t s = cookie >> 32;
  if (s >= list_.size()) return;
  Entry& en = list_[s];
  en.impl->on_timer(static_cast<std::uint32_t>(cookie), en.ctx);
}

void Manager::on_trip(std::uint16_t s) noexcept {
  if (s >= list_.size()) return;
  Entry& en = list_[s];
  en.ctx.cancel_all();
  en.impl->on_trip(en.ctx);
}

std::size_t Manager::trading(InstrumentId id, const std::uint16_t*& out) const noexcept {
  if (id >= max_instr_) return 0;
  out = &subs_[id * kMaxPerInstrument];
  return count_[id];
}

}  // namespace hft::strategy
