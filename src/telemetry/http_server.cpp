#if defined(HFT_SANITIZE_THREAD)
// GCC 12 warns (-Wtsan) that the atomic_thread_fence in Asio's fenced blocks is not
// instrumented. Each io_context here is run by one thread, so the warning is silenced; it must
// come before the first include to cover the inlined standard headers.
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "hft/telemetry/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hft::telemetry {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
void bump(std::atomic<std::uint64_t>& a) { a.fetch_add(1, std::memory_order_relaxed); }

class Session;
}  // namespace

// Shared by the server object and every pending handler, so that handlers never outlive it.
// Touched only on the io_context's thread (one thread runs it), except the atomic counters.
struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(asio::io_context& io, RequestHandler h, bool get, HttpLimits l)
      : ioc(io), acceptor(io), retry(io), handler(std::move(h)), get_only(get), limits(l) {}

  asio::io_context& ioc;
  tcp::acceptor acceptor;
  asio::steady_timer retry;  // after an accept error (e.g. out of descriptors), wait a little
  RequestHandler handler;
  const bool get_only;  // a target-only Handler: GET only, as before
  const HttpLimits limits;
  bool stopped = false;
  std::vector<std::weak_ptr<Session>> sessions;  // at most limits.max_connections open ones

  std::atomic<std::uint64_t> connections{0}, requests{0}, bad_requests{0}, not_allowed{0},
      handler_errors{0}, io_errors{0}, rejected_overload{0}, evicted_idle{0}, timeouts{0}, open{0};

  void accept();
  void close_all();
  // Room for one more connection: true if below the cap or an idle one was closed for it.
  bool make_room();
  void reject(tcp::socket& sock);
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket s, std::shared_ptr<HttpServer::State> st)
      : stream_(std::move(s)), buffer_(st->limits.max_request_bytes), st_(std::move(st)) {
    error_code ec;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
    st_->open.fetch_add(1, std::memory_order_relaxed);
  }
  ~Session() { st_->open.fetch_sub(1, std::memory_order_relaxed); }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(st_->limits.max_request_bytes, UINT32_MAX)));
    parser_->body_limit(st_->limits.max_request_bytes);
    // One deadline for the whole request (tcp_stream deadlines are absolute): a client that
    // trickles bytes cannot hold the connection longer than one that sends nothing.
    stream_.expires_after(st_->limits.idle_timeout);
    reading_ = true;
    wait_since_ = std::chrono::steady_clock::now();
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
      self->reading_ = false;
      self->on_read(ec);
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }
  bool closed() const noexcept { return closed_; }
  // Waiting for a request of which nothing has arrived: may be evicted for a new connection.
  bool idle() {
    if (closed_ || !reading_ || buffer_.size() != 0 || (parser_ && parser_->got_some())) return false;
    error_code ec;
    const std::size_t avail = stream_.socket().available(ec);
    return !ec && avail == 0;
  }
  std::chrono::steady_clock::time_point wait_since() const noexcept { return wait_since_; }

 private:
  void on_read(error_code ec) {
    if (st_->stopped || closed_) return close();
    if (ec == beast::error::timeout) {
      bump(st_->timeouts);
      return close();
    }
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == asio::error::eof || ec == asio::error::connection_reset)
      return close();
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_method).category() ||
          ec == http::error::buffer_overflow) {
        // Malformed or oversized: answer once, then close (the stream position is unknown).
        bump(st_->bad_requests);
        const bool too_big = ec == http::error::body_limit || ec == http::error::header_limit ||
                             ec == http::error::buffer_overflow;
        return respond(too_big ? 413 : 400, "text/plain", too_big ? "request too large\n" : "bad request\n",
                       false, 11);
      }
      bump(st_->io_errors);
      return close();
    }
    const auto& req = parser_->get();
    const bool keep = req.keep_alive();
    const unsigned version = req.version();
    const bool get = req.method() == http::verb::get;
    if (!get && (st_->get_only || req.method() != http::verb::post)) {
      bump(st_->not_allowed);
      return respond(405, "text/plain", st_->get_only ? "only GET\n" : "only GET and POST\n", keep, version,
                     st_->get_only ? "GET" : "GET, POST");
    }
    Request rq;
    rq.method = get ? Method::Get : Method::Post;
    rq.target = std::string_view(req.target().data(), req.target().size());
    rq.remote = remote_;
    for (const auto& f : req)
      rq.headers.emplace_back(std::string_view(f.name_string().data(), f.name_string().size()),
                              std::string_view(f.value().data(), f.value().size()));
    Response r;
    try {
      r = st_->handler(rq);
      bump(st_->requests);
    } catch (const std::exception& e) {
      bump(st_->handler_errors);
      r = Response{500, "text/plain", std::string("internal error: ") + e.what() + "\n"};
    } catch (...) {
      bump(st_->handler_errors);
      r = Response{500, "text/plain", "internal error\n"};
    }
    respond(r.status, std::move(r.content_type), std::move(r.body), keep, version, std::move(r.allow));
  }

  void respond(unsigned status, std::string content_type, std::string body, bool keep, unsigned version,
               std::string allow = {}) {
    res_ = {};
    res_.version(version);
    res_.result(status);
    res_.set(http::field::server, "hftd");
    res_.set(http::field::content_type, content_type);
    if (status == 405) res_.set(http::field::allow, allow.empty() ? std::string("GET") : allow);
    res_.body() = std::move(body);
    res_.keep_alive(keep);
    res_.prepare_payload();
    stream_.expires_after(st_->limits.idle_timeout);
    http::async_write(stream_, res_, [self = shared_from_this(), keep](error_code ec, std::size_t) {
      if (ec) {
        if (ec == beast::error::timeout) bump(self->st_->timeouts);  // the client does not read
        else if (ec != asio::error::operation_aborted) bump(self->st_->io_errors);
        return self->close();
      }
      if (!keep || self->st_->stopped) return self->close();
      self->read();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;  // at most limits.max_request_bytes
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::shared_ptr<HttpServer::State> st_;
  std::string remote_;
  bool reading_ = false, closed_ = false;
  std::chrono::steady_clock::time_point wait_since_{};
};

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const noexcept {
  const auto same = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
  };
  for (const auto& [n, v] : headers)
    if (same(n, name)) return v;
  return std::nullopt;
}

void HttpServer::State::accept() {
  acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket sock) {
    if (self->stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      bump(self->io_errors);
      self->retry.expires_after(std::chrono::milliseconds(100));
      self->retry.async_wait([self](error_code wec) {
        if (!wec && !self->stopped) self->accept();
      });
      return;
    }
    if (!self->make_room()) {
      self->reject(sock);
      return self->accept();
    }
    bump(self->connections);
    auto s = std::make_shared<Session>(std::move(sock), self);
    self->sessions.push_back(s);
    s->read();
    self->accept();
  });
}

bool HttpServer::State::make_room() {
  std::erase_if(sessions, [](const std::weak_ptr<Session>& w) {
    const auto s = w.lock();
    return !s || s->closed();
  });
  if (sessions.size() < limits.max_connections) return true;
  std::shared_ptr<Session> oldest;
  for (const auto& w : sessions)
    if (auto s = w.lock(); s && s->idle() && (!oldest || s->wait_since() < oldest->wait_since())) oldest = std::move(s);
  if (!oldest) return false;
  oldest->close();
  bump(evicted_idle);
  std::erase_if(sessions, [&](const std::weak_ptr<Session>& w) { return w.lock() == oldest; });
  return true;
}

// 503 without any per-connection state: the few bytes go straight into the fresh socket's send
// buffer (never blocks), whatever the client already sent is drained so that the close is a FIN
// rather than a reset that could discard the answer.
void HttpServer::State::reject(tcp::socket& sock) {
  bump(rejected_overload);
  static constexpr std::string_view k503 =
      "HTTP/1.1 503 Service Unavailable\r\nServer: hftd\r\nContent-Type: text/plain\r\n"
      "Content-Length: 33\r\nConnection: close\r\nRetry-After: 1\r\n\r\noverloaded: too many connections\n";
  error_code ec;
  sock.non_blocking(true, ec);
  char scratch[4096];
  for (int i = 0; i < 4 && sock.available(ec) > 0 && !ec; ++i) sock.read_some(asio::buffer(scratch), ec);
  sock.write_some(asio::buffer(k503.data(), k503.size()), ec);
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

void HttpServer::State::close_all() {
  if (stopped) return;
  stopped = true;
  error_code ec;
  acceptor.close(ec);
  retry.cancel();
  for (auto& w : sessions)
    if (auto s = w.lock()) s->close();
  sessions.clear();
}

namespace {
HttpLimits checked(HttpLimits l) {
  if (l.max_connections == 0 || l.max_request_bytes == 0 || l.idle_timeout.count() <= 0)
    throw std::invalid_argument("http: max_connections, max_request_bytes and idle_timeout must be positive");
  return l;
}
}  // namespace

HttpServer::HttpServer(asio::io_context& ioc, std::string bind_addr, std::uint16_t port, Handler handler,
                       HttpLimits limits)
    : state_(std::make_shared<State>(
          ioc, [h = std::move(handler)](const Request& r) { return h(r.target); }, true, checked(limits))) {
  listen(bind_addr, port);
}

HttpServer::HttpServer(asio::io_context& ioc, std::string bind_addr, std::uint16_t port, RequestHandler handler,
                       HttpLimits limits)
    : state_(std::make_shared<State>(ioc, std::move(handler), false, checked(limits))) {
  listen(bind_addr, port);
}

void HttpServer::listen(const std::string& bind_addr, std::uint16_t port) {
  asio::io_context& ioc = state_->ioc;
  const std::string where = bind_addr + ":" + std::to_string(port);
  error_code ec;
  tcp::resolver resolver(ioc);
  auto eps = resolver.resolve(bind_addr, std::to_string(port),
                              tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || eps.empty())
    throw std::runtime_error("http: cannot resolve listen address " + where + ": " + ec.message());
  const tcp::endpoint ep = eps.begin()->endpoint();
  tcp::acceptor& a = state_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("http: cannot listen on " + where + ": " + ec.message());
  port_ = a.local_endpoint(ec).port();
  state_->accept();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  asio::dispatch(state_->ioc, [st = state_] { st->close_all(); });
}

HttpStats HttpServer::stats() const noexcept {
  const State& s = *state_;
  const auto ld = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return HttpStats{ld(s.connections),    ld(s.requests),          ld(s.bad_requests), ld(s.not_allowed),
                   ld(s.handler_errors), ld(s.io_errors),         ld(s.rejected_overload),
                   ld(s.evicted_idle),   ld(s.timeouts),          ld(s.open)};
}

std::optional<Response> http_get(const std::string& host, std::uint16_t port, const std::string& target,
                                 std::chrono::milliseconds timeout) {
  return http_request(host, port, "GET", target, {}, timeout);
}

std::optional<Response> http_request(const std::string& host, std::uint16_t port, const std::string& method,
                                     const std::string& target,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     std::chrono::milliseconds timeout) {
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) return std::nullopt;
  try {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    beast::flat_buffer buf;
    http::request<http::empty_body> req{verb, target, 11};
    req.set(http::field::host, host);
    req.set(http::field::connection, "close");
    for (const auto& [name, value] : headers) req.set(name, value);
    if (verb != http::verb::get && verb != http::verb::head) req.content_length(0);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    std::optional<Response> out;

    resolver.async_resolve(host, std::to_string(port), [&](error_code ec, tcp::resolver::results_type eps) {
      if (ec) return;
      stream.expires_after(timeout);
      stream.async_connect(eps, [&](error_code cec, const tcp::endpoint&) {
        if (cec) return;
        http::async_write(stream, req, [&](error_code wec, std::size_t) {
          if (wec) return;
          http::async_read(stream, buf, parser, [&](error_code rec, std::size_t) {
            if (rec) return;
            const auto& res = parser.get();
            Response r;
            r.status = res.result_int();
            r.content_type = std::string(res[http::field::content_type]);
            r.body = res.body();
            r.allow = std::string(res[http::field::allow]);
            out = std::move(r);
            error_code ignore;
            stream.socket().shutdown(tcp::socket::shutdown_both, ignore);
          });
        });
      });
    });
    ioc.run_for(timeout);
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace hft::telemetry
