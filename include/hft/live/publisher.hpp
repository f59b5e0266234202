// Publishing a recorded feed: the UDP payloads of a pcap (feed::PcapReader, same destination
// filter as replay) sent one datagram each to an address and port (unicast or multicast) with
// Boost.Asio, at the recorded pace, N times faster, or as fast as possible, with an optional
// packets-per-second cap. The counterpart of live/udp_source.hpp for tests and demos.
// For gap recovery tests it can drop a seeded random fraction of the datagrams and serve
// MoldUDP64 re-requests: a thread answers each request (session, sequence, count) with the
// pcap's packets that hold those messages, sent to the requester; once the pcap is sent it goes
// on serving, with a heartbeat (or the end of session again) every heartbeat interval, as a
// MoldUDP64 server does, until stopped. May touch: feed/ (PcapReader, moldudp64.hpp), Boost.Asio,
// POSIX sockets.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "hft/feed/pcap_reader.hpp"
#include "hft/feed/source.hpp"

namespace hft::live {

struct PublishOptions {
  std::string input;            // pcap file
  feed::FeedOptions filter;     // keep datagrams to this destination (empty / 0 = any)
  std::string to_addr;          // destination IPv4 (unicast or multicast)
  std::uint16_t to_port = 0;
  double speed = 1.0;           // 1 = recorded pace, N = N times faster, 0 = as fast as possible
  std::uint64_t rate_limit_pps = 0;  // cap in datagrams per second (0 = none)
  // The last this-many microseconds before a datagram's due time are spun (sent within a
  // microsecond of it, one core busy while paced faster than ~3,000 a second); longer waits are
  // slept. 0: every wait slept (datagrams leave up to a sleep's overshoot, 70-90 us here, late, in
  // small bursts, and no core is held: tests and demos sharing cores with the receiver).
  std::uint32_t spin_us = 300;
  int ttl = 1;                  // multicast TTL
  std::string interface_addr;   // multicast: outbound interface's IPv4 (empty = routing table)
  bool loopback = false;        // multicast: deliver to receivers on this host too
  std::uint64_t max_datagrams = 0;  // stop after this many (0 = all)
  double drop = 0;              // fraction of datagrams not sent, [0, 1) (a lossy network)
  std::uint64_t seed = 1;       // of the drops
  std::string serve_addr;       // re-request server's IPv4 ("" = none); the pcap is held in memory
  std::uint16_t serve_port = 0; // 0 = any free port (see on_serving)
  double heartbeat_s = 0.5;     // serving, after the last datagram: heartbeat interval
  std::function<void(std::uint16_t)> on_serving;  // the server's port, once it is bound
  const std::atomic<bool>* stop = nullptr;  // set to stop early (signal handler, test)
  // Called after each datagram is sent with the number sent so far (progress, or flow control
  // in tests: it may block until the receiver has caught up).
  std::function<void(std::uint64_t)> on_sent;
};

struct PublishStats {
  std::uint64_t datagrams = 0;    // sent
  std::uint64_t bytes = 0;        // payload bytes sent
  std::uint64_t send_errors = 0;  // send_to failed (datagram not sent)
  std::string last_error;         // reason of the last send error
  double elapsed_s = 0;           // from the first datagram to the last
  std::uint64_t dropped = 0;      // not sent on purpose (PublishOptions::drop)
  std::uint64_t requests = 0;     // re-requests answered
  std::uint64_t bad_requests = 0; // not a 20-byte request, or for no packet held
  std::uint64_t resent = 0;       // packets sent in answer
  feed::PcapCounters pcap;        // frames read and skipped, by reason
};

// Throws std::runtime_error naming the file or address when the pcap cannot be read or the
// socket cannot be set up; std::invalid_argument for a bad filter.
PublishStats publish_pcap(const PublishOptions& opts);

}  // namespace hft::live
