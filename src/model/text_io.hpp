// Private to src/model/: the plain-text model format shared by the MLP, the linear models and
// the calibrators. Whitespace-separated tokens; doubles written with std::to_chars (shortest text
// that reads back to the same bits, independent of the locale) and read with std::from_chars, so
// to_text/from_text round-trips exactly. Every read checks what it got and throws
// std::runtime_error naming the model and the reason: a model file is input, never trusted.
// May touch: standard library only.
#pragma once
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace hft::model::text {

inline void put(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
  out.push_back(' ');
}
inline void put(std::string& out, long long v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
  out.push_back(' ');
}
inline void put(std::string& out, std::string_view word) {
  out.append(word);
  out.push_back(' ');
}
inline void put_all(std::string& out, std::span<const double> v) {
  for (double d : v) put(out, d);
}

class Reader {
 public:
  Reader(std::string_view s, const char* what) : s_(s), what_(what) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(std::string(what_) + " text: " + why);
  }
  std::string_view token() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
    std::size_t b = pos_;
    while (pos_ < s_.size() && !is_space(s_[pos_])) ++pos_;
    if (b == pos_) fail("truncated (expected more tokens)");
    return s_.substr(b, pos_ - b);
  }
  void expect(std::string_view word) {
    std::string_view t = token();
    if (t != word) fail("expected '" + std::string(word) + "', found '" + std::string(t) + "'");
  }
  long long integer(long long lo, long long hi, const char* name) {
    std::string_view t = token();
    long long v = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size())
      fail(std::string("bad integer for ") + name + ": '" + std::string(t) + "'");
    if (v < lo || v > hi)
      fail(std::string(name) + " out of range: " + std::to_string(v));
    return v;
  }
  // A finite double (a NaN or infinite weight is a broken model, not a value to run).
  double number(const char* name) {
    std::string_view t = token();
    double v = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size())
      fail(std::string("bad number for ") + name + ": '" + std::string(t) + "'");
    if (!std::isfinite(v)) fail(std::string("non-finite value for ") + name);
    return v;
  }
  void numbers(std::span<double> out, const char* name) {
    for (double& d : out) d = number(name);
  }
  void end() {
    expect("end");
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
    if (pos_ != s_.size()) fail("trailing data after 'end'");
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
  std::string_view s_;
  const char* what_;
  std::size_t pos_ = 0;
};

}  // namespace hft::model::text
