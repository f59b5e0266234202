// Publishing a recorded feed: the UDP payloads of a pcap (feed::PcapReader, same destination
// filter as replay) sent one datagram each to an address and port (unicast or multicast) with
// Boost.Asio, at the recorded pace, N times faster, or as fast as possible, with an optional
// packets-per-second cap. The counterpart of live/udp_source.hpp for tests and demos.
// May touch: feed/ (PcapReader), Boost.Asio.
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
  int ttl = 1;                  // multicast TTL
  std::string interface_addr;   // multicast: outbound interface's IPv4 (empty = routing table)
  bool loopback = false;        // multicast: deliver to receivers on this host too
  std::uint64_t max_datagrams = 0;  // stop after this many (0 = all)
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
  feed::PcapCounters pcap;        // frames read and skipped, by reason
};

// Throws std::runtime_error naming the file or address when the pcap cannot be read or the
// socket cannot be set up; std::invalid_argument for a bad filter.
PublishStats publish_pcap(const PublishOptions& opts);

}  // namespace hft::live
