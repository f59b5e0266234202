#include "hft/core/decimal.hpp"

#include <cstdio>

namespace hft {

namespace {
__extension__ typedef unsigned __int128 U128;
}  // namespace

const char* decimal_error_name(DecimalError e) noexcept {
  switch (e) {
    case DecimalError::None: return "ok";
    case DecimalError::Empty: return "empty number";
    case DecimalError::NotNumeric: return "not a decimal number";
    case DecimalError::TooPrecise: return "more decimals than the instrument's scale";
    case DecimalError::Overflow: return "number too large";
    case DecimalError::OffGrid: return "not on the tick / lot grid";
  }
  return "?";
}

DecimalError parse_decimal(std::string_view s, std::int64_t scale, std::int64_t& out) noexcept {
  if (scale <= 0) return DecimalError::Overflow;
  // value = mant / 10^dec, kept exact in unsigned 128-bit; units = value * scale, must be whole.
  U128 mant = 0;
  U128 pow10 = 1;  // 10^(decimals kept)
  bool dot = false, any = false;
  int frac_digits = 0;
  for (const char c : s) {
    if (c == '.') {
      if (dot) return DecimalError::NotNumeric;
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') return DecimalError::NotNumeric;
    any = true;
    const unsigned d = static_cast<unsigned>(c - '0');
    if (dot) {
      if (++frac_digits > 30) {  // beyond any scale: only zeros may follow
        if (d != 0) return DecimalError::TooPrecise;
        continue;
      }
      pow10 *= 10;
    }
    mant = mant * 10 + d;
    if (mant > (static_cast<U128>(1) << 100)) return DecimalError::Overflow;
  }
  if (!any) return DecimalError::Empty;
  const U128 num = mant * static_cast<U128>(scale);
  if (num % pow10 != 0) return DecimalError::TooPrecise;
  const U128 u = num / pow10;
  if (u > static_cast<U128>(INT64_MAX)) return DecimalError::Overflow;
  out = static_cast<std::int64_t>(u);
  return DecimalError::None;
}

namespace {
// Decimal text -> units at `scale`, which must fall on the grid of `step` units (tick or lot).
template <class Fx>
DecimalError parse_on_grid(std::string_view s, std::int64_t scale, std::int64_t step, Fx& out) noexcept {
  std::int64_t u = 0;
  if (const auto e = parse_decimal(s, scale, u); e != DecimalError::None) return e;
  if (step > 1 && u % step != 0) return DecimalError::OffGrid;
  out.units = u;
  return DecimalError::None;
}
}  // namespace

DecimalError parse_price(std::string_view s, const InstrumentScale& sc, PriceFx& out) noexcept {
  return parse_on_grid(s, sc.price_scale, sc.tick, out);
}

DecimalError parse_qty(std::string_view s, const InstrumentScale& sc, QtyFx& out) noexcept {
  return parse_on_grid(s, sc.qty_scale, sc.lot, out);
}

std::string format_decimal(std::int64_t units, std::int64_t scale) {
  std::int64_t p = 1;
  int dec = 0;
  while (p < scale && dec < 18) {
    p *= 10;
    ++dec;
  }
  if (p != scale) {
    char b[64];
    std::snprintf(b, sizeof b, "%.9f", static_cast<double>(units) / static_cast<double>(scale));
    return b;
  }
  const bool neg = units < 0;
  const auto a = neg ? 0 - static_cast<std::uint64_t>(units) : static_cast<std::uint64_t>(units);
  const auto up = static_cast<std::uint64_t>(p);
  std::string s = std::to_string(a / up);
  if (dec > 0) {
    std::string f = std::to_string(a % up);
    s += '.';
    s.append(static_cast<std::size_t>(dec) - f.size(), '0');
    s += f;
  }
  return neg ? "-" + s : s;
}

}  // namespace hft
