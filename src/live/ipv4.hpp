// An IPv4 address from text, or an exception naming who asked and for what (live/ internal).
#pragma once
#include <stdexcept>
#include <string>

#include <boost/asio/ip/address_v4.hpp>

namespace hft::live::detail {

inline boost::asio::ip::address_v4 parse_v4(const std::string& text, const char* who, const char* what) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address_v4(text, ec);
  if (ec) throw std::runtime_error(std::string(who) + ": " + what + " '" + text + "' is not an IPv4 address");
  return a;
}

}  // namespace hft::live::detail
