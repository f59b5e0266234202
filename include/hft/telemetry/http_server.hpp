// A small HTTP/1.1 server (Boost.Beast on Asio) for the local control endpoints (/metrics,
// /health, /status, POST /risk/...), run by the caller's io_context (the engine's control
// thread). A target-only Handler serves GET only (405 otherwise); a RequestHandler also sees the
// method (GET or POST; others 405), the headers and the peer, and may answer 405 itself with its
// own Allow. Keep-alive, one request at a time per connection (a pipelined request is read only
// once the previous response is written: one response in flight). Limits (HttpLimits): open
// connections capped; a request larger than max_request_bytes gets 413; a connection is closed
// when a request (or a response write) does not complete within idle_timeout of its start.
// At the cap a new connection takes the place of the longest-idle one (connected, nothing of a
// request received); when none is idle it is answered 503 and closed. So a flood of idle
// connections cannot lock out /health, and descriptors and memory stay bounded.
// Errors are counted and never escape the io_context: a handler that throws yields 500.
// Also a tiny blocking client, http_get / http_request, for tests and tools.
// May touch: sockets (listen on bind_addr:port, connect in http_get); nothing else.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace hft::telemetry {

// (Constructors rather than an aggregate: {status, type, body} stays valid with allow added.)
struct Response {
  Response() = default;
  Response(unsigned st, std::string type, std::string text = {}, std::string allowed = {})
      : status(st), content_type(std::move(type)), body(std::move(text)), allow(std::move(allowed)) {}
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // 405: the methods allowed ("" = the server's own); the client fills it in
};

enum class Method : std::uint8_t { Get, Post };

// One request as a RequestHandler sees it; the views are valid during the call only.
struct Request {
  Method method = Method::Get;
  std::string_view target;  // "/metrics?x"
  std::string_view remote;  // the peer, "127.0.0.1:50312"
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // as received
  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
};

struct HttpLimits {
  std::size_t max_connections = 64;     // open connections served at once, >= 1
  std::size_t max_request_bytes = 8192; // header and body each, bytes
  std::chrono::milliseconds idle_timeout{30000};  // a request (from its first wait) or a write
};

struct HttpStats {
  std::uint64_t connections = 0;     // accepted (served or evicted; rejected ones not included)
  std::uint64_t requests = 0;        // answered by the handler
  std::uint64_t bad_requests = 0;    // unparsable or too large (400/413)
  std::uint64_t not_allowed = 0;     // 405
  std::uint64_t handler_errors = 0;  // handler threw (500)
  std::uint64_t io_errors = 0;       // accept/read/write failures other than a clean close
  std::uint64_t rejected_overload = 0;  // at the cap with no idle connection to evict: 503, closed
  std::uint64_t evicted_idle = 0;    // idle connections closed to make room for a new one
  std::uint64_t timeouts = 0;        // requests or writes not done within idle_timeout
  std::uint64_t open = 0;            // connections open now
};

class HttpServer {
 public:
  // Runs on the handler on the io_context's thread; target is the request target ("/metrics?x").
  using Handler = std::function<Response(std::string_view target)>;
  using RequestHandler = std::function<Response(const Request& req)>;

  // Binds and listens now (throws std::runtime_error with the address if it cannot); serving
  // starts when ioc runs. port 0 = an ephemeral port (see port()).
  // Throws std::invalid_argument when a limit is 0.
  HttpServer(boost::asio::io_context& ioc, std::string bind_addr, std::uint16_t port, Handler handler,
             HttpLimits limits = {});
  HttpServer(boost::asio::io_context& ioc, std::string bind_addr, std::uint16_t port, RequestHandler handler,
             HttpLimits limits = {});
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // Closes the listener and every open connection. Any thread; idempotent. The work is done on
  // the io_context (inline when called from it).
  void stop();
  // Counters (read from any thread).
  HttpStats stats() const noexcept;

  struct State;

 private:
  void listen(const std::string& bind_addr, std::uint16_t port);
  std::shared_ptr<State> state_;
  std::uint16_t port_ = 0;
};

// Blocking GET with an overall timeout (connect + send + receive), on its own io_context.
// nullopt on any error or timeout.
std::optional<Response> http_get(const std::string& host, std::uint16_t port, const std::string& target,
                                 std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
// The same with any method ("GET", "POST", ...) and extra request headers (empty body).
std::optional<Response> http_request(const std::string& host, std::uint16_t port, const std::string& method,
                                     const std::string& target,
                                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace hft::telemetry
