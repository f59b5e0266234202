#if defined(__SANITIZE_THREAD__)
// GCC 12 warns (-Wtsan) that the atomic_thread_fence in Asio's fenced blocks is not
// instrumented. Each io_context here is run by one thread, so the warning is silenced; it must
// come before the first include to cover the inlined standard headers.
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "hft/telemetry/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <stdexcept>
#include <string>
#include <thread>

namespace hft::telemetry {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kTimeout = std::chrono::milliseconds(5000);  // only to avoid hanging

// Sends raw bytes, half-closes, and returns everything received until the server closes (or
// the timeout).
std::string raw_exchange(std::uint16_t port, const std::string& request) {
  asio::io_context ioc;
  tcp::socket sock(ioc);
  std::string got;
  std::string data = request;
  asio::streambuf buf;
  sock.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](boost::system::error_code ec) {
    if (ec) return;
    asio::async_write(sock, asio::buffer(data), [&](boost::system::error_code wec, std::size_t) {
      if (wec) return;
      // Half-close: the server sees the end of the request stream (a truncated request included).
      boost::system::error_code ignore;
      sock.shutdown(tcp::socket::shutdown_send, ignore);
      asio::async_read(sock, buf, asio::transfer_all(), [&](boost::system::error_code, std::size_t) {
        got.assign(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
      });
    });
  });
  ioc.run_for(kTimeout);
  return got;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(ioc_, "127.0.0.1", 0, [](std::string_view target) {
      if (target == "/x") return Response{200, "text/plain", "hello"};
      if (target == "/throw") throw std::runtime_error("boom");
      return Response{404, "text/plain", "not found: " + std::string(target)};
    });
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();  // run() returns once the server has closed everything
    server_.reset();
  }
  asio::io_context ioc_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, GetReturnsHandlerResponse) {
  const auto r = http_get("127.0.0.1", server_->port(), "/x", kTimeout);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->content_type, "text/plain");
  const auto nf = http_get("127.0.0.1", server_->port(), "/nope?a=1", kTimeout);
  ASSERT_TRUE(nf.has_value());
  EXPECT_EQ(nf->status, 404u);
  EXPECT_EQ(nf->body, "not found: /nope?a=1");
}

TEST_F(HttpServerTest, PostIs405) {
  const std::string got = raw_exchange(server_->port(),
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
  EXPECT_EQ(got.rfind("HTTP/1.1 405", 0), 0u) << got;
  EXPECT_NE(got.find("Allow: GET"), std::string::npos) << got;
  EXPECT_EQ(server_->stats().not_allowed, 1u);
}

TEST_F(HttpServerTest, BadRequestsDoNotKillTheServer) {
  std::string got = raw_exchange(server_->port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  got = raw_exchange(server_->port(), "GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got.substr(0, 100);
  got = raw_exchange(server_->port(), "GET /x HTTP/1.1\r\nHost: a\r\n");  // truncated, then closed
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  EXPECT_EQ(raw_exchange(server_->port(), std::string(3, '\0')).rfind("HTTP/1.1 400", 0), 0u);
  const auto thrown = http_get("127.0.0.1", server_->port(), "/throw", kTimeout);
  ASSERT_TRUE(thrown.has_value());
  EXPECT_EQ(thrown->status, 500u);
  const auto r = http_get("127.0.0.1", server_->port(), "/x", kTimeout);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "hello");
  const HttpStats s = server_->stats();
  EXPECT_EQ(s.bad_requests, 4u);
  EXPECT_EQ(s.handler_errors, 1u);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  const std::string got = raw_exchange(server_->port(),
      "GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(count(got, "HTTP/1.1 200"), 2u) << got;
  EXPECT_EQ(count(got, "HTTP/1.1 404"), 1u) << got;
  EXPECT_EQ(server_->stats().connections, 1u);
}

TEST_F(HttpServerTest, SecondServerOnSamePortFailsClearly) {
  asio::io_context other;
  try {
    HttpServer again(other, "127.0.0.1", server_->port(), [](std::string_view) { return Response{}; });
    FAIL() << "expected bind failure";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(server_->port())), std::string::npos)
        << e.what();
  }
}

TEST(HttpGet, ClosedPortGivesNullopt) {
  // Bind a port, then close it so nothing listens there.
  asio::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::uint16_t port = a.local_endpoint().port();
  a.close();
  EXPECT_FALSE(http_get("127.0.0.1", port, "/", std::chrono::milliseconds(2000)).has_value());
}

TEST(HttpServerStop, StopFromAnotherThreadEndsRun) {
  asio::io_context ioc;
  HttpServer s(ioc, "127.0.0.1", 0, [](std::string_view) { return Response{200, "text/plain", "ok"}; });
  std::thread t([&] { ioc.run(); });
  const auto r = http_get("127.0.0.1", s.port(), "/", kTimeout);
  ASSERT_TRUE(r.has_value());
  // An idle keep-alive connection is open too: stop() must close it for run() to return.
  asio::io_context cioc;
  tcp::socket idle(cioc);
  idle.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), s.port()));
  s.stop();
  t.join();
  EXPECT_FALSE(http_get("127.0.0.1", s.port(), "/", std::chrono::milliseconds(1000)).has_value());
}

}  // namespace
}  // namespace hft::telemetry
