// Synthetic feed generator: the file is read back with the independent parser in
// gen_test_util.hpp, ITCH fields are taken at the specification's offsets, and every order
// event is replayed through hft::book::Books. Asserts: MoldUDP64 framing, the day's system
// event sequence, zero book errors, never crossed or locked, executions hit the FIFO head of
// the best opposite level, determinism, and statistical properties within stated ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "gen_test_util.hpp"
#include "hft/book/order_book.hpp"
#include "hft/gen/generator.hpp"

using gen_test::be;
using gen_test::Bytes;
namespace gen = hft::gen;
namespace book = hft::book;

namespace {

using gen_test::tmp;

gen::GenConfig small_cfg(const std::string& name, std::uint64_t messages, std::uint32_t k, std::uint64_t seed) {
  gen::GenConfig c;
  c.out_path = tmp(name);
  c.messages = messages;
  c.instruments = k;
  c.seed = seed;
  return c;
}

// 2025-01-02 00:00 in New York (EST, UTC-5) = 2025-01-02T05:00:00Z = 1735794000 s.
constexpr std::int64_t kMidnight = 1'735'794'000LL * 1'000'000'000LL;
constexpr std::int64_t kOpen = 34'200'000'000'000LL, kClose = 57'600'000'000'000LL;

struct Msg {
  std::uint8_t type;
  const std::uint8_t* p;
  std::size_t len;
  std::int64_t ts;
  std::uint16_t locate;
  std::int64_t recv;
  std::size_t packet;
};

struct Day {
  Bytes file;
  gen_test::Pcap pcap;
  std::vector<Msg> msgs;
  std::vector<std::string> problems;  // framing problems found while reading
  std::uint64_t heartbeats = 0, end_packets = 0;
};

Day read_day(const std::string& path) {
  Day d;
  d.file = hft::testing::read_bytes(path);
  d.pcap = gen_test::parse_pcap(d.file);
  if (!d.pcap.error.empty()) d.problems.push_back(d.pcap.error);
  std::uint64_t expect_seq = 1;
  for (std::size_t i = 0; i < d.pcap.packets.size(); ++i) {
    const auto& k = d.pcap.packets[i];
    if (k.payload_len < 20) {
      d.problems.push_back("short MoldUDP64 packet");
      continue;
    }
    if (std::string(reinterpret_cast<const char*>(k.payload), 10) != "HFTGEN0001")
      d.problems.push_back("session");
    const std::uint64_t seq = be(k.payload + 10, 8);
    const auto count = static_cast<std::uint16_t>(be(k.payload + 18, 2));
    if (seq != expect_seq) d.problems.push_back("sequence gap at packet " + std::to_string(i));
    if (count == 0) {
      ++d.heartbeats;
      continue;
    }
    if (count == 0xFFFF) {
      ++d.end_packets;
      if (i + 1 != d.pcap.packets.size()) d.problems.push_back("end of session before the end");
      continue;
    }
    if (k.payload_len > 1400) d.problems.push_back("payload over the limit");
    std::size_t off = 20;
    for (unsigned j = 0; j < count; ++j) {
      const auto len = static_cast<std::size_t>(be(k.payload + off, 2));
      const std::uint8_t* m = k.payload + off + 2;
      if (off + 2 + len > k.payload_len || len < 11 || gen_test::spec_len(m[0]) != len) {
        d.problems.push_back("bad message length in packet " + std::to_string(i));
        break;
      }
      d.msgs.push_back({m[0], m, len, static_cast<std::int64_t>(be(m + 5, 6)),
                        static_cast<std::uint16_t>(be(m + 1, 2)), k.ts_ns, i});
      off += 2 + len;
    }
    if (off != k.payload_len) d.problems.push_back("trailing bytes in packet " + std::to_string(i));
    expect_seq += count;
  }
  return d;
}

hft::Side side_of(std::uint8_t c) { return c == 'B' ? hft::Side::Buy : hft::Side::Sell; }

struct ReplayResult {
  std::map<char, std::uint64_t> by_type;
  std::uint64_t book_errors = 0;
  std::string first_error;
  std::uint64_t crossed_or_locked = 0;
  std::uint64_t not_fifo_head = 0;
  std::uint64_t partial_fills = 0;
  std::uint64_t multi_exec_packets = 0;
  std::uint64_t adds_within_5 = 0, adds_measured = 0;
  std::uint64_t bad_prices = 0;
  double add_dist_sum = 0, del_dist_sum = 0;  // ticks behind the side's best, at the time
  std::uint64_t del_measured = 0;
  std::uint64_t adds_at_best = 0, dels_at_best = 0;
  std::size_t live_at_end = 0;
  std::string invariants;
};

// Replays every order message of the day into Books, checking each step.
ReplayResult replay(const Day& d) {
  ReplayResult r;
  book::BookConfig bc;
  bc.max_instruments = 1024;
  book::Books books(bc);
  std::size_t cur_packet = SIZE_MAX;
  std::uint32_t execs_in_packet = 0;
  auto note = [&](book::BookError e, const Msg& m) {
    if (e == book::BookError::None) return;
    ++r.book_errors;
    if (r.first_error.empty())
      r.first_error = std::string(book::book_error_name(e)) + " on '" + static_cast<char>(m.type) + "' at ts " +
                      std::to_string(m.ts);
  };
  for (const Msg& m : d.msgs) {
    if (m.packet != cur_packet) {
      if (execs_in_packet >= 2) ++r.multi_exec_packets;
      execs_in_packet = 0;
      cur_packet = m.packet;
    }
    ++r.by_type[static_cast<char>(m.type)];
    hft::MarketEvent ev;
    ev.ts_exch = m.ts;
    ev.instrument = m.locate;
    const std::uint8_t* p = m.p;
    switch (m.type) {
      case 'A':
      case 'F': {
        ev.kind = hft::EventKind::Add;
        ev.order_id = be(p + 11, 8);
        ev.side = side_of(p[19]);
        ev.qty = static_cast<hft::Qty>(be(p + 20, 4));
        ev.price = static_cast<hft::Price>(be(p + 32, 4));
        if (ev.price <= 0 || ev.price % 100 != 0) ++r.bad_prices;  // $0.01 ticks
        const auto best = books.best(m.locate, ev.side);
        if (best.qty > 0) {
          const hft::Price behind = ev.side == hft::Side::Buy ? best.price - ev.price : ev.price - best.price;
          ++r.adds_measured;
          if (behind <= 5 * 100) ++r.adds_within_5;
          r.add_dist_sum += static_cast<double>(std::max<hft::Price>(behind, 0)) / 100.0;
          if (behind <= 0) ++r.adds_at_best;
        }
        break;
      }
      case 'E':
      case 'C': {
        ev.kind = hft::EventKind::Execute;
        ev.order_id = be(p + 11, 8);
        ev.qty = static_cast<hft::Qty>(be(p + 19, 4));
        ++execs_in_packet;
        book::Books::OrderView o{};
        if (books.find_order(ev.order_id, o)) {
          // Must be the first order of the best level on its side.
          const auto best = books.best(m.locate, o.side);
          const auto q = books.queue(m.locate, o.side, o.price);
          if (best.price != o.price || q.empty() || q.front() != ev.order_id) ++r.not_fifo_head;
          if (ev.qty < o.qty) ++r.partial_fills;
          if (m.type == 'C' && static_cast<hft::Price>(be(p + 32, 4)) != o.price) ++r.bad_prices;
        }
        break;
      }
      case 'X':
        ev.kind = hft::EventKind::Cancel;
        ev.order_id = be(p + 11, 8);
        ev.qty = static_cast<hft::Qty>(be(p + 19, 4));
        break;
      case 'D': {
        ev.kind = hft::EventKind::Delete;
        ev.order_id = be(p + 11, 8);
        book::Books::OrderView o{};
        if (books.find_order(ev.order_id, o)) {
          const auto best = books.best(m.locate, o.side);
          const hft::Price behind = o.side == hft::Side::Buy ? best.price - o.price : o.price - best.price;
          r.del_dist_sum += static_cast<double>(behind) / 100.0;
          if (behind == 0) ++r.dels_at_best;
          ++r.del_measured;
        }
        break;
      }
      case 'U':
        ev.kind = hft::EventKind::Replace;
        ev.order_id = be(p + 11, 8);
        ev.new_order_id = be(p + 19, 8);
        ev.qty = static_cast<hft::Qty>(be(p + 27, 4));
        ev.price = static_cast<hft::Price>(be(p + 31, 4));
        if (ev.price <= 0 || ev.price % 100 != 0) ++r.bad_prices;
        break;
      case 'P': {
        // Hidden print: inside or at the touch, never through it.
        const auto px = static_cast<hft::Price>(be(p + 32, 4));
        const auto bid = books.best(m.locate, hft::Side::Buy), ask = books.best(m.locate, hft::Side::Sell);
        if (bid.qty > 0 && ask.qty > 0 && (px < bid.price || px > ask.price)) ++r.bad_prices;
        continue;
      }
      default:
        continue;  // S, R, H, Q: no book change
    }
    note(books.apply(ev), m);
    const auto bid = books.best(m.locate, hft::Side::Buy), ask = books.best(m.locate, hft::Side::Sell);
    if (bid.qty > 0 && ask.qty > 0 && bid.price >= ask.price) ++r.crossed_or_locked;
  }
  std::uint64_t counted = 0;  // the book's own counters must agree
  for (const auto e : books.counters().errors) counted += e;
  r.book_errors = std::max(r.book_errors, counted);
  r.crossed_or_locked += books.counters().crossed + books.counters().locked;
  r.live_at_end = books.live_orders();
  r.invariants = books.check_invariants();
  return r;
}

double cv_of_gaps(const std::vector<std::int64_t>& ts) {
  std::vector<double> gaps;
  for (std::size_t i = 1; i < ts.size(); ++i) gaps.push_back(static_cast<double>(ts[i] - ts[i - 1]));
  double mean = 0, var = 0;
  for (double g : gaps) mean += g;
  mean /= static_cast<double>(gaps.size());
  for (double g : gaps) var += (g - mean) * (g - mean);
  var /= static_cast<double>(gaps.size() - 1);
  return std::sqrt(var) / mean;
}

// Action times of one instrument: distinct timestamps of its order messages (one action's
// messages share a timestamp).
std::vector<std::int64_t> action_times(const Day& d, std::uint16_t locate) {
  std::vector<std::int64_t> t;
  for (const Msg& m : d.msgs) {
    if (m.locate != locate || m.ts < kOpen || m.ts >= kClose) continue;
    if (std::string("AFEXDUPC").find(static_cast<char>(m.type)) == std::string::npos) continue;
    if (t.empty() || t.back() != m.ts) t.push_back(m.ts);
  }
  return t;
}

}  // namespace

TEST(Generator, MidnightEpoch) {
  EXPECT_EQ(gen::midnight_epoch_ns(2025, 1, 2, -300), kMidnight);
  EXPECT_EQ(gen::midnight_epoch_ns(1970, 1, 1, 0), 0);
  EXPECT_EQ(gen::midnight_epoch_ns(2000, 3, 1, 0), 951'868'800LL * 1'000'000'000LL);  // 2000-03-01Z
}

TEST(Generator, RejectsBadConfig) {
  auto c = small_cfg("bad.pcap", 1000, 4, 1);
  c.messages = gen::fixed_messages(4);  // no room for order flow
  EXPECT_THROW(gen::validate(c), std::invalid_argument);
  c = small_cfg("bad.pcap", 1000, 4, 1);
  c.branching = 1.0;  // non-stationary
  EXPECT_THROW(gen::validate(c), std::invalid_argument);
  c = small_cfg("bad.pcap", 1000, 4, 1);
  c.close_ns = c.open_ns;
  EXPECT_THROW(gen::validate(c), std::invalid_argument);
  c = small_cfg("bad.pcap", 1000, 0, 1);
  EXPECT_THROW(gen::validate(c), std::invalid_argument);
  c = small_cfg("bad.pcap", 1000, 4, 1);
  c.p_cancel = 0.95;
  EXPECT_THROW(gen::validate(c), std::invalid_argument);
  c = small_cfg("", 1000, 4, 1);
  c.out_path.clear();
  EXPECT_THROW(gen::validate(c), std::invalid_argument);
  c = small_cfg("bad.pcap", 1000, 4, 1);
  EXPECT_NO_THROW(gen::validate(c));
}

TEST(Generator, DayIsWellFormedAndReplaysCleanly) {
  const auto cfg = small_cfg("day.pcap", 200'000, 5, 7);
  const gen::GenStats s = gen::generate_pcap(cfg);
  const Day d = read_day(cfg.out_path);
  ASSERT_TRUE(d.problems.empty()) << d.problems.front() << " (+" << d.problems.size() - 1 << " more)";
  EXPECT_EQ(d.pcap.magic, 0xa1b23c4du);
  EXPECT_EQ(d.pcap.linktype, 1u);
  for (const auto& k : d.pcap.packets) {
    ASSERT_EQ(gen_test::ones_complement_sum(k.ip, 20), 0xFFFF);
    ASSERT_EQ(k.dst_ip, 0xEF010101u);
    ASSERT_EQ(k.dst_port, 26477);
  }
  // Exactly the requested number of messages, as the summary says.
  ASSERT_EQ(d.msgs.size(), 200'000u);
  EXPECT_EQ(s.messages, 200'000u);
  EXPECT_EQ(d.end_packets, 1u);
  EXPECT_EQ(s.heartbeats, d.heartbeats);
  EXPECT_GT(d.heartbeats, 30'000u);  // 03:05-09:30 and 16:00-20:05 are quiet, 1 s heartbeats

  // System events O S Q M E C in that order; directory and trading state for each locate
  // before any order; times never go backwards; pcap time = midnight + ts + 20..25 us.
  std::string sys;
  std::set<std::uint16_t> dir, trading;
  std::int64_t last_ts = -1;
  std::uint64_t bad_recv = 0, order_before_ready = 0, flow_outside = 0;
  for (const Msg& m : d.msgs) {
    EXPECT_GE(m.ts, last_ts);
    last_ts = m.ts;
    const std::int64_t lat = m.recv - kMidnight - m.ts;
    if (lat < 20'000 || lat >= 25'000) ++bad_recv;
    if (m.type == 'S') sys += static_cast<char>(m.p[11]);
    if (m.type == 'R') {
      dir.insert(m.locate);
      char sym[9] = {};
      std::memcpy(sym, m.p + 11, 8);
      char want[16];
      std::snprintf(want, sizeof want, "SYM%04u    ", static_cast<unsigned>(m.locate));
      EXPECT_EQ(std::string(sym), std::string(want, 8));
      EXPECT_EQ(be(m.p + 21, 4), 100u);  // round lot
    }
    if (m.type == 'H' && m.p[19] == 'T') trading.insert(m.locate);
    if (std::string("AFEXDUPC").find(static_cast<char>(m.type)) != std::string::npos) {
      if (!dir.count(m.locate) || !trading.count(m.locate) || sys.find('Q') == std::string::npos)
        ++order_before_ready;
      if (m.ts < kOpen || m.ts >= kClose) ++flow_outside;
    }
  }
  EXPECT_EQ(sys, "OSQMEC");
  EXPECT_EQ(dir.size(), 5u);
  EXPECT_EQ(*dir.begin(), 1);
  EXPECT_EQ(*dir.rbegin(), 5);
  EXPECT_EQ(trading.size(), 5u);
  EXPECT_EQ(bad_recv, 0u);
  EXPECT_EQ(order_before_ready, 0u);
  EXPECT_EQ(flow_outside, 0u);
  // The flow spans the session: starts right after the open, ends within the last 2%.
  EXPECT_LT(s.first_flow_ns, kOpen + 60'000'000'000LL);
  EXPECT_GT(s.last_flow_ns, kClose - 468'000'000'000LL);

  const ReplayResult r = replay(d);
  EXPECT_EQ(r.book_errors, 0u) << r.first_error;
  EXPECT_EQ(r.crossed_or_locked, 0u);
  EXPECT_EQ(r.not_fifo_head, 0u);
  EXPECT_EQ(r.bad_prices, 0u);
  EXPECT_EQ(r.invariants, "");
  EXPECT_EQ(r.live_at_end, s.end_live_orders);
  EXPECT_GT(r.partial_fills, 0u);        // partial fills happen
  EXPECT_GT(r.multi_exec_packets, 0u);   // and sweeps of several resting orders
  for (char t : std::string("SRHAFECXDUPQ")) EXPECT_GT(r.by_type.count(t), 0u) << "no '" << t << "'";
  for (const auto& [t, n] : r.by_type) EXPECT_EQ(n, s.by_type[static_cast<std::size_t>(t)]) << t;

  // Message mix (shares of all messages; ranges are this model's stated targets).
  const double n = 200'000.0;
  auto share = [&](const char* types) {
    std::uint64_t c = 0;
    for (const char* t = types; *t; ++t) c += r.by_type.count(*t) ? r.by_type.at(*t) : 0;
    return static_cast<double>(c) / n;
  };
  EXPECT_GT(share("AF"), 0.38);
  EXPECT_LT(share("AF"), 0.55);
  EXPECT_GT(share("D"), 0.33);
  EXPECT_LT(share("D"), 0.50);
  EXPECT_GT(share("EC"), 0.03);
  EXPECT_LT(share("EC"), 0.12);
  EXPECT_GT(share("X"), 0.004);
  EXPECT_LT(share("X"), 0.02);
  EXPECT_GT(share("U"), 0.03);
  EXPECT_LT(share("U"), 0.07);
  EXPECT_GT(share("P"), 0.004);
  EXPECT_LT(share("P"), 0.02);
  // Limit placement: most adds land within 5 ticks of their side's best.
  ASSERT_GT(r.adds_measured, 10'000u);
  std::printf("  mix: A+F %.3f D %.3f E+C %.3f X %.4f U %.3f P %.4f; adds within 5 ticks of best %.3f\n",
              share("AF"), share("D"), share("EC"), share("X"), share("U"), share("P"),
              static_cast<double>(r.adds_within_5) / static_cast<double>(r.adds_measured));
  EXPECT_GT(static_cast<double>(r.adds_within_5) / static_cast<double>(r.adds_measured), 0.6);
  // Cancels favour the far book: deleted orders sit farther behind the best than new ones land.
  const double add_d = r.add_dist_sum / static_cast<double>(r.adds_measured);
  const double del_d = r.del_dist_sum / static_cast<double>(r.del_measured);
  const double add_top = static_cast<double>(r.adds_at_best) / static_cast<double>(r.adds_measured);
  const double del_top = static_cast<double>(r.dels_at_best) / static_cast<double>(r.del_measured);
  std::printf("  mean ticks behind best: adds %.2f, deletes %.2f; at (or inside) the best: adds %.3f, deletes %.3f\n",
              add_d, del_d, add_top, del_top);
  EXPECT_GT(del_d, add_d);
  EXPECT_LT(del_top, 0.85 * add_top);
}

TEST(Generator, SameSeedSameBytesOtherSeedOtherBytes) {
  const auto a = small_cfg("det_a.pcap", 60'000, 3, 42);
  auto b = a;
  b.out_path = tmp("det_b.pcap");
  auto c = a;
  c.out_path = tmp("det_c.pcap");
  c.seed = 43;
  gen::generate_pcap(a);
  gen::generate_pcap(b);
  gen::generate_pcap(c);
  const Bytes fa = hft::testing::read_bytes(a.out_path), fb = hft::testing::read_bytes(b.out_path),
              fc = hft::testing::read_bytes(c.out_path);
  EXPECT_GT(fa.size(), 1'000'000u);
  EXPECT_TRUE(fa == fb) << "same seed, different bytes";
  EXPECT_FALSE(fa == fc) << "different seed, same bytes";
}

TEST(Generator, ClusteringComesFromTheHawkesKernel) {
  // Flat intraday profile so only the kernel can cluster. Poisson (branching 0) inter-arrival
  // times have a coefficient of variation near 1; the Hawkes default (0.7) well above it.
  auto h = small_cfg("hawkes.pcap", 150'000, 2, 5);
  h.u_shape = 0;
  auto p = h;
  p.out_path = tmp("poisson.pcap");
  p.branching = 0;
  gen::generate_pcap(h);
  gen::generate_pcap(p);
  const Day dh = read_day(h.out_path), dp = read_day(p.out_path);
  const double cv_h = cv_of_gaps(action_times(dh, 1)), cv_p = cv_of_gaps(action_times(dp, 1));
  std::printf("  inter-arrival CV: Hawkes(0.7) %.3f, Poisson %.3f\n", cv_h, cv_p);
  EXPECT_GT(cv_h, 1.3) << "Hawkes CV " << cv_h;
  EXPECT_GT(cv_p, 0.9) << "Poisson CV " << cv_p;
  EXPECT_LT(cv_p, 1.1) << "Poisson CV " << cv_p;
  // Both replay cleanly too.
  EXPECT_EQ(replay(dp).book_errors, 0u);
}

TEST(Generator, IntradayUShape) {
  auto c = small_cfg("ushape.pcap", 150'000, 3, 9);
  gen::generate_pcap(c);
  const Day d = read_day(c.out_path);
  constexpr std::int64_t kHalfHour = 1'800'000'000'000LL;
  std::uint64_t first = 0, midday = 0, last = 0;
  for (const Msg& m : d.msgs) {
    if (std::string("AFEXDUPC").find(static_cast<char>(m.type)) == std::string::npos) continue;
    if (m.ts < kOpen + kHalfHour) ++first;
    else if (m.ts >= 45'000'000'000'000LL && m.ts < 45'000'000'000'000LL + kHalfHour) ++midday;  // 12:30-13:00
    else if (m.ts >= kClose - kHalfHour) ++last;
  }
  std::printf("  first/midday %.2f, last/midday %.2f\n", static_cast<double>(first) / static_cast<double>(midday),
              static_cast<double>(last) / static_cast<double>(midday));
  // Default shape 0.8: rate at the edges / midday is about 1.9 (both ends)
  EXPECT_GT(static_cast<double>(first) / static_cast<double>(midday), 1.4);
  EXPECT_GT(static_cast<double>(last) / static_cast<double>(midday), 1.4);
}

TEST(Generator, TinyDayAndPackedPacketsStayValid) {
  auto c = small_cfg("tiny.pcap", 3'000, 1, 3);
  c.pack_ns = 5'000'000'000;  // 5 s windows: many actions per packet, split at the limit
  c.payload_limit = 300;
  const auto s = gen::generate_pcap(c);
  const Day d = read_day(c.out_path);
  ASSERT_TRUE(d.problems.empty()) << d.problems.front();
  EXPECT_EQ(d.msgs.size(), 3'000u);
  for (const auto& k : d.pcap.packets) EXPECT_LE(k.payload_len, 300u);
  EXPECT_LT(s.packets, 1500u);  // packed: on average more than 2 messages a packet
  const ReplayResult r = replay(d);
  EXPECT_EQ(r.book_errors, 0u) << r.first_error;
  EXPECT_EQ(r.crossed_or_locked, 0u);
  EXPECT_EQ(r.not_fifo_head, 0u);
}
