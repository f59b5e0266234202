#if defined(HFT_SANITIZE_THREAD)
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

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hft::telemetry {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kTimeout = std::chrono::milliseconds(60000);  // only to avoid hanging (5 s was reached under TSAN on a loaded machine)

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

// ---- connection cap and per-connection limits ------------------------------------------------

// A blocking loopback client on a raw descriptor (no asio: thousands of them, and usable after
// fork()).
int raw_connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{10, 0};  // only to avoid hanging
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}
void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    off += static_cast<std::size_t>(n);
  }
}
// Everything until the server closes (or an error, or the 10 s guard).
std::string read_to_eof(int fd) {
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}
std::size_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0, res = 0;
  if (f) {
    if (std::fscanf(f, "%lu %lu", &pages, &res) != 2) res = 0;
    std::fclose(f);
  }
  return res * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

struct LimitedServer {
  explicit LimitedServer(HttpLimits l, std::size_t body_bytes = 5)
      : server(ioc, "127.0.0.1", 0,
               [body_bytes](std::string_view target) {
                 return Response{target == "/health" ? 200u : 404u, "text/plain", std::string(body_bytes, 'x')};
               },
               l),
        thread([this] { ioc.run(); }) {}
  ~LimitedServer() {
    server.stop();
    thread.join();
  }
  asio::io_context ioc;
  HttpServer server;
  std::thread thread;
};

TEST(HttpLimitsTest, ZeroLimitsRefused) {
  asio::io_context ioc;
  const auto handler = [](std::string_view) { return Response{}; };
  for (HttpLimits l : {HttpLimits{0, 8192, std::chrono::milliseconds(1000)}, HttpLimits{64, 0, std::chrono::milliseconds(1000)},
                       HttpLimits{64, 8192, std::chrono::milliseconds(0)}})
    EXPECT_THROW(HttpServer(ioc, "127.0.0.1", 0, handler, l), std::invalid_argument);
}

// At the cap with every connection mid-request (none idle), a new one is answered 503 and
// closed, counted; when one finishes, the next connection is served.
TEST(HttpLimitsTest, OverloadAnswered503AndCounted) {
  LimitedServer s({4, 8192, std::chrono::milliseconds(30000)});
  std::vector<int> busy;
  for (int i = 0; i < 4; ++i) {
    busy.push_back(raw_connect(s.server.port()));
    ASSERT_GE(busy.back(), 0);
    send_all(busy.back(), "GET /health HTTP/1.1\r\nHost: a\r\n");  // the request's first part only
  }
  for (int k = 0; k < 3; ++k) {
    const int extra = raw_connect(s.server.port());
    ASSERT_GE(extra, 0);
    const std::string got = read_to_eof(extra);
    ::close(extra);
    EXPECT_EQ(got.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << got;
    EXPECT_NE(got.find("\r\n\r\noverloaded: too many connections\n"), std::string::npos) << got;
  }
  EXPECT_EQ(s.server.stats().rejected_overload, 3u);
  EXPECT_EQ(s.server.stats().evicted_idle, 0u);
  // One busy connection completes its request: answered, closed, and the next one is served.
  send_all(busy[0], "Connection: close\r\n\r\n");
  const std::string done = read_to_eof(busy[0]);
  EXPECT_EQ(done.rfind("HTTP/1.1 200", 0), 0u) << done;
  const auto r = http_get("127.0.0.1", s.server.port(), "/health", kTimeout);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200u);
  for (int fd : busy) ::close(fd);
}

// At the cap with idle connections (connected, nothing sent), a new one takes the place of the
// longest-idle: /health is served, nothing is rejected.
TEST(HttpLimitsTest, IdleConnectionsEvictedOldestFirst) {
  LimitedServer s({4, 8192, std::chrono::milliseconds(30000)});
  std::vector<int> idle;
  for (int i = 0; i < 10; ++i) {
    idle.push_back(raw_connect(s.server.port()));
    ASSERT_GE(idle.back(), 0);
  }
  const auto r = http_get("127.0.0.1", s.server.port(), "/health", kTimeout);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200u);
  const HttpStats st = s.server.stats();
  EXPECT_EQ(st.connections, 11u);
  EXPECT_EQ(st.evicted_idle, 7u);  // 11 accepted, 4 kept at most
  EXPECT_EQ(st.rejected_overload, 0u);
  // The first seven were closed by the server (end of stream, nothing sent); the last three are open.
  for (int i = 0; i < 7; ++i) EXPECT_EQ(read_to_eof(idle[static_cast<std::size_t>(i)]), "") << i;
  for (int fd : idle) ::close(fd);
}

// A connection that sends nothing, and one that trickles part of a request, are closed after
// idle_timeout and counted (the test waits for the close, it does not time it).
TEST(HttpLimitsTest, IdleAndSlowRequestsTimeOut) {
  LimitedServer s({8, 8192, std::chrono::milliseconds(20)});
  const int quiet = raw_connect(s.server.port());
  const int slow = raw_connect(s.server.port());
  ASSERT_GE(quiet, 0);
  ASSERT_GE(slow, 0);
  send_all(slow, "GET /health HT");
  EXPECT_EQ(read_to_eof(quiet), "");
  EXPECT_EQ(read_to_eof(slow), "");
  ::close(quiet);
  ::close(slow);
  // The stream closes the socket when its deadline passes; the handler that counts runs just
  // after, so the count is awaited (the guard only keeps a bug from hanging the suite).
  for (int guard = 0; guard < 2000 && s.server.stats().timeouts < 2; ++guard)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(s.server.stats().timeouts, 2u);
  EXPECT_EQ(s.server.stats().bad_requests, 0u);
}

// max_request_bytes applies to the header and to the body.
TEST(HttpLimitsTest, RequestSizeLimit) {
  LimitedServer s({8, 1024, std::chrono::milliseconds(30000)});
  const std::vector<std::string> bad = {
      "GET /health HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'),
      "GET /" + std::string(1100, 'p') + " HTTP/1.1\r\nHost: a\r\n\r\n"};
  for (const std::string& req : bad) {
    const std::string got = raw_exchange(s.server.port(), req);
    EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got.substr(0, 80);
  }
  const std::string ok = raw_exchange(
      s.server.port(), "GET /health HTTP/1.1\r\nHost: a\r\nX-Fine: " + std::string(500, 'a') + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok;
  EXPECT_EQ(s.server.stats().bad_requests, 3u);
}

// One response in flight per connection: 20,000 pipelined requests for a 64 KiB answer from a
// client that never reads. The server writes one response, stalls on the full socket, times the
// write out and closes; its memory does not grow by the 1.3 GB the answers would take.
TEST(HttpLimitsTest, PipelinedRequestsNeverQueueResponses) {
  LimitedServer s({8, 8192, std::chrono::milliseconds(50)}, 64 * 1024);
  const std::size_t rss0 = rss_bytes();
  const int fd = raw_connect(s.server.port());
  ASSERT_GE(fd, 0);
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  std::string one = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string all;
  for (int i = 0; i < 20000; ++i) all += one;
  std::size_t off = 0;
  while (off < all.size()) {  // as much as the socket takes; the rest is simply not sent
    const ssize_t n = ::send(fd, all.data() + off, all.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  for (int guard = 0; guard < 2000 && s.server.stats().timeouts == 0; ++guard)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(s.server.stats().timeouts, 1u);
  EXPECT_LT(s.server.stats().requests, 200u);  // only as many as the socket buffers held
  EXPECT_LT(rss_bytes(), rss0 + (64u << 20));
  ::close(fd);
}

// 20,000 idle loopback connections (two child processes of 10,000 each: one process may hold
// only RLIMIT_NOFILE descriptors) against the default cap of 64: /health still answers, at most
// 64 connections stay open, and the server's memory stays bounded. The time /health took is
// printed, not asserted.
TEST(HttpLimitsTest, TwentyThousandIdleConnections) {
  LimitedServer s(HttpLimits{});
  const std::size_t rss0 = rss_bytes();
  // Ten clients, each from its own loopback address: the kernel searches a free source port per
  // connect, and with 10,000 connections from one address that search dominated the test.
  constexpr int kChildren = 10, kEach = 2000;
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  // Whatever way the test ends (an ASSERT returns early), the children are released and reaped:
  // a child left waiting for its release byte would hang the test until ctest's timeout.
  std::vector<pid_t> kids;
  struct Reaper {
    std::vector<pid_t>& kids;
    int (&ready)[2];
    int (&release)[2];
    ~Reaper() {
      const std::string go(kids.size(), 'x');  // one byte releases one child
      (void)!::write(release[1], go.data(), go.size());
      for (pid_t pid : kids) ::waitpid(pid, nullptr, 0);
      for (int fd : {ready[0], ready[1], release[0], release[1]})
        if (fd >= 0) ::close(fd);
    }
  } reaper{kids, ready, release};
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {  // only system calls here: the parent has other threads
      ::close(ready[0]);
      ::close(release[1]);  // the parent's end alone: if the parent dies, the read below ends
      rlimit rl{};
      ::getrlimit(RLIMIT_NOFILE, &rl);
      rl.rlim_cur = rl.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &rl);
      int made = 0;
      for (int i = 0; i < kEach; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) break;
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + static_cast<unsigned>(c));  // 127.0.0.2, ...
        const int no_port = 1;  // IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect
        (void)::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &no_port, sizeof no_port);
        (void)::bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from);  // else the kernel's choice
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(s.server.port());
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) ++made;
      }
      (void)!::write(ready[1], &made, sizeof made);
      ::close(ready[1]);  // a child that dies before writing ends the parent's reads (EOF)
      char b;
      (void)!::read(release[0], &b, 1);  // hold every connection until the parent is done
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  ::close(ready[1]);
  ready[1] = -1;
  int total = 0;
  for (int c = 0; c < kChildren; ++c) {
    int made = 0;
    ASSERT_EQ(::read(ready[0], &made, sizeof made), static_cast<ssize_t>(sizeof made));
    total += made;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = http_get("127.0.0.1", s.server.port(), "/health", kTimeout);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const HttpStats st = s.server.stats();
  const std::size_t rss1 = rss_bytes();
  std::printf("[ info ] %d idle connections made; /health answered in %.2f ms; accepted %llu, evicted %llu, "
              "rejected %llu, open %llu; RSS %.1f -> %.1f MB\n",
              total, ms, static_cast<unsigned long long>(st.connections), static_cast<unsigned long long>(st.evicted_idle),
              static_cast<unsigned long long>(st.rejected_overload), static_cast<unsigned long long>(st.open),
              static_cast<double>(rss0) / 1e6, static_cast<double>(rss1) / 1e6);
  EXPECT_EQ(total, kChildren * kEach);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200u);
  EXPECT_LE(st.open, 64u + 1);
  EXPECT_GE(st.evicted_idle, static_cast<std::uint64_t>(total) - 64);
  EXPECT_EQ(st.rejected_overload, 0u);
#if !defined(HFT_SANITIZE_ADDRESS)  // ASan keeps freed blocks in quarantine (256 MB): not the server's
  EXPECT_LT(rss1, rss0 + (32u << 20));  // 64 sessions of 8 KiB buffers; 366 MB was seen uncapped
#endif
}

}  // namespace
}  // namespace hft::telemetry
