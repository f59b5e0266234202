// The order-flow model behind `hftd gen`. Structure:
//   - one Hawkes process per instrument in "model time" (exact simulation, Dassios-Zhao 2013),
//     merged by a small binary heap; each point is one action (add, cancel, marketable order,
//     replace, hidden print);
//   - model time maps to exchange time through a slope that follows an intraday U-shape and is
//     re-fitted every few thousand actions so the message budget ends near the close;
//   - each instrument keeps a window of price levels with FIFO queues in an order pool, so
//     every reference is to a live order and the book never crosses.
#include "hft/gen/generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "hft/feed/pcap_writer.hpp"
#include "hft/itch/encoder.hpp"

namespace hft::gen {
namespace {

constexpr std::uint32_t kNil = 0xFFFFFFFFu;
constexpr int kWindow = 2048;  // price levels per instrument, in ticks
constexpr Nanos kNsPerDay = 86'400'000'000'000;

// xoshiro256** seeded through splitmix64: fast, and the same stream on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }
  std::uint64_t next() noexcept {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0,1)
  double open01() noexcept { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  std::uint32_t below(std::uint32_t n) noexcept {  // [0, n)
    return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
  }
  bool chance(double p) noexcept { return uniform() < p; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

struct Order {
  std::uint64_t ref;
  std::uint32_t prev, next;
  std::uint32_t qty;
  std::uint32_t slot;  // index in its instrument's live list
  std::uint32_t inst;
  std::uint16_t level;
  std::uint8_t side;  // 0 buy, 1 sell
};

struct Level {
  std::uint32_t head = kNil, tail = kNil;
  std::uint32_t count = 0;
};

struct Inst {
  itch::enc::Symbol8 sym{};
  std::uint16_t locate = 0;
  std::int64_t base = 0;  // price (in ticks) of level 0
  std::uint32_t tick = 100;
  std::vector<Level> lv[2];
  int best[2] = {-1, kWindow};  // bid: highest occupied, -1 if none; ask: lowest, kWindow if none
  std::vector<std::uint32_t> live;
  double m = 0;        // fair value in level units
  int spread = 1;      // typical spread in ticks
  double sigma = 0.1;  // fair-value step per action, ticks
  std::uint32_t live_cap = 0;
  // Hawkes state (model seconds)
  double mu = 0, excess = 0, t_last = 0, t_next = 0;
  std::uint64_t cum_volume = 0;
  std::uint32_t open_price = 0;
  // cointegrated pair, leg B only: the OU spread in ticks and when it was last advanced
  double coint_spread = 0;
  Nanos coint_last_ns = -1;
};

constexpr std::array<const char*, 6> kMpids = {"GSCO", "MSCO", "JPMS", "UBSS", "CDRG", "VIRT"};

class Generator {
 public:
  explicit Generator(const GenConfig& cfg)
      : cfg_(cfg),
        rng_(cfg.seed),
        writer_(make_writer_cfg(cfg)),
        mold_(writer_, cfg.session, 1, cfg.payload_limit) {}

  GenStats run();

 private:
  static feed::PcapWriterConfig make_writer_cfg(const GenConfig& c) {
    feed::PcapWriterConfig w;
    w.path = c.out_path;
    w.dst_ip = c.dst_ip;
    w.dst_port = c.dst_port;
    return w;
  }

  // --- wire ---
  // Time of the action about to be written: decide packet boundaries and heartbeats first.
  void begin_group(Nanos ts) {
    if (mold_.pending_messages() && (cfg_.pack_ns == 0 || ts - pkt_first_ts_ > cfg_.pack_ns))
      send_pending();
    Nanos recv = epoch_ + ts + cfg_.latency_ns;
    if (cfg_.latency_jitter_ns > 0)
      recv += static_cast<Nanos>(rng_.below(static_cast<std::uint32_t>(cfg_.latency_jitter_ns)));
    if (recv < last_recv_) recv = last_recv_;
    if (cfg_.heartbeat_ns > 0 && !mold_.pending_messages()) {
      while (last_sent_ + cfg_.heartbeat_ns < recv) {
        last_sent_ += cfg_.heartbeat_ns;
        mold_.heartbeat(last_sent_);
        if (last_sent_ > last_recv_) last_recv_ = last_sent_;
      }
    }
    if (!mold_.pending_messages()) pkt_first_ts_ = ts;
    last_recv_ = recv;
    cur_ts_ = ts;
  }
  void send_pending() {
    if (!mold_.pending_messages()) return;
    mold_.flush();
    last_sent_ = last_recv_;
  }
  std::uint8_t* msg(std::size_t len) {
    std::uint8_t* p = mold_.begin_message(len, last_recv_);
    if (!p) throw std::runtime_error("payload limit too small for an ITCH message");
    if (mold_.pending_messages() == 1) {  // a new packet: the previous one (if any) went out
      pkt_first_ts_ = cur_ts_;
      if (last_sent_ < last_recv_) last_sent_ = last_recv_;
    }
    return p;
  }
  itch::enc::Header hdr(const Inst& in) const { return {in.locate, 0, static_cast<std::uint64_t>(cur_ts_)}; }
  void count(char type) {
    ++stats_.by_type[static_cast<unsigned char>(type)];
    ++stats_.messages;
  }

  // --- book ---
  std::uint32_t alloc_order() {
    const std::uint32_t o = free_.back();
    free_.pop_back();
    return o;
  }
  void link(Inst& in, std::uint32_t oi) {
    Order& o = pool_[oi];
    Level& l = in.lv[o.side][o.level];
    o.prev = l.tail;
    o.next = kNil;
    if (l.tail != kNil) pool_[l.tail].next = oi;
    else l.head = oi;
    l.tail = oi;
    ++l.count;
    const int idx = o.level;
    if (o.side == 0) in.best[0] = std::max(in.best[0], idx);
    else in.best[1] = std::min(in.best[1], idx);
  }
  void unlink(Inst& in, std::uint32_t oi) {
    Order& o = pool_[oi];
    Level& l = in.lv[o.side][o.level];
    if (o.prev != kNil) pool_[o.prev].next = o.next;
    else l.head = o.next;
    if (o.next != kNil) pool_[o.next].prev = o.prev;
    else l.tail = o.prev;
    --l.count;
    if (l.count == 0 && in.best[o.side] == o.level) {
      if (o.side == 0) {
        int b = in.best[0];
        while (b >= 0 && in.lv[0][static_cast<std::size_t>(b)].count == 0) --b;
        in.best[0] = b;
      } else {
        int a = in.best[1];
        while (a < kWindow && in.lv[1][static_cast<std::size_t>(a)].count == 0) ++a;
        in.best[1] = a;
      }
    }
  }
  void remove_order(Inst& in, std::uint32_t oi) {
    unlink(in, oi);
    const std::uint32_t slot = pool_[oi].slot;
    const std::uint32_t last = in.live.back();
    in.live[slot] = last;
    pool_[last].slot = slot;
    in.live.pop_back();
    free_.push_back(oi);
    --live_total_;
  }
  std::uint32_t new_order(Inst& in, std::uint32_t inst_idx, std::uint8_t side, int level, std::uint32_t qty) {
    const std::uint32_t oi = alloc_order();
    Order& o = pool_[oi];
    o.ref = next_ref_++;
    o.qty = qty;
    o.inst = inst_idx;
    o.side = side;
    o.level = static_cast<std::uint16_t>(level);
    o.slot = static_cast<std::uint32_t>(in.live.size());
    in.live.push_back(oi);
    link(in, oi);
    ++live_total_;
    if (live_total_ > stats_.max_live_orders) stats_.max_live_orders = live_total_;
    return oi;
  }
  std::uint64_t level_qty(const Inst& in, int side, int level) const {
    std::uint64_t q = 0;
    for (std::uint32_t o = in.lv[side][static_cast<std::size_t>(level)].head; o != kNil; o = pool_[o].next) q += pool_[o].qty;
    return q;
  }
  std::uint32_t price_of(const Inst& in, int level) const {
    return static_cast<std::uint32_t>((in.base + level) * in.tick);
  }

  // --- model draws ---
  std::uint32_t draw_lots() {
    const double x = std::pow(rng_.open01(), -1.0 / cfg_.size_alpha);
    return static_cast<std::uint32_t>(std::min(100.0, std::floor(x)));
  }
  std::uint32_t draw_add_shares() {
    if (rng_.chance(cfg_.p_odd_lot)) return 1 + rng_.below(99);
    return 100 * draw_lots();
  }
  int draw_depth() {
    const double x = cfg_.depth_scale * (std::pow(rng_.open01(), -1.0 / cfg_.depth_alpha) - 1.0);
    return static_cast<int>(std::min(400.0, std::floor(x)));
  }

  // --- actions: each returns the messages written (0 = not possible now) ---
  int sweep(Inst& in, std::uint8_t aggr, std::uint32_t& want, int limit, int max_levels,
            std::uint64_t budget, int& last_level);
  int rest(Inst& in, std::uint32_t ii, std::uint8_t side, int level, std::uint32_t qty);
  int act_add(std::uint32_t ii, int side_hint, std::uint64_t budget);
  int act_cancel(std::uint32_t ii);
  int act_market(std::uint32_t ii, std::uint64_t budget);
  int act_replace(std::uint32_t ii);
  int act_hidden(std::uint32_t ii);
  void fixed_schedule_open();
  void fixed_schedule_close();
  void setup();
  double hawkes_next(Inst& in, double t);
  void advance_coint(Inst& b, Nanos ts);
  double normal() noexcept {  // Box-Muller, one of the pair
    const double r = std::sqrt(-2.0 * std::log(rng_.open01()));
    return r * std::cos(6.283185307179586 * rng_.uniform());
  }

  const GenConfig& cfg_;
  Rng rng_;
  feed::PcapWriter writer_;
  feed::MoldPacketizer mold_;
  std::vector<Inst> inst_;
  std::vector<Order> pool_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> heap_;  // instrument indices, min-heap on t_next
  GenStats stats_;
  Nanos epoch_ = 0;
  Nanos cur_ts_ = 0, pkt_first_ts_ = 0, last_recv_ = 0, last_sent_ = 0;
  std::uint64_t next_ref_ = 1;
  std::uint64_t match_ = 1;
  std::uint64_t live_total_ = 0;
  std::uint32_t live_target_ = 0;
  double beta_ = 50, alpha_ = 35;
  Nanos switch_ns_ = std::numeric_limits<Nanos>::max();  // flow switch (max: none)
  std::uint32_t coint_a_ = kNil, coint_b_ = kNil;        // pair legs (indices; kNil: none)
  double coint_offset_ = 0;                              // a, in ticks
};

void Generator::advance_coint(Inst& b, Nanos ts) {
  // Exact OU step over the exchange time since the last one: s <- s e^{-theta dt} +
  // sd sqrt(1 - e^{-2 theta dt}) N(0, 1), theta = ln 2 / half-life; sd is the stationary sd.
  if (b.coint_last_ns >= 0 && ts > b.coint_last_ns) {
    const double theta = 0.6931471805599453 / cfg_.coint_half_life_s;
    const double decay = std::exp(-theta * static_cast<double>(ts - b.coint_last_ns) * 1e-9);
    b.coint_spread = b.coint_spread * decay + cfg_.coint_spread_sd * std::sqrt(1.0 - decay * decay) * normal();
  }
  b.coint_last_ns = ts;
  const Inst& a = inst_[coint_a_];
  const double pa = static_cast<double>(a.base) + a.m;  // A's fair value, ticks
  b.m = coint_offset_ + cfg_.coint_beta * pa + b.coint_spread - static_cast<double>(b.base);
}

int Generator::sweep(Inst& in, std::uint8_t aggr, std::uint32_t& want, int limit, int max_levels,
                     std::uint64_t budget, int& last_level) {
  const std::uint8_t pas = 1 - aggr;
  int msgs = 0, levels = 0;
  std::uint64_t filled = 0;
  last_level = -1;
  while (want > 0 && static_cast<std::uint64_t>(msgs) < budget) {
    const int b = in.best[pas];
    if (b < 0 || b >= kWindow) break;
    if (aggr == 0 ? b > limit : b < limit) break;  // beyond the aggressor's limit price
    if (b != last_level) {
      if (levels == max_levels) break;
      ++levels;
      last_level = b;
    }
    const std::uint32_t oi = in.lv[pas][static_cast<std::size_t>(b)].head;
    Order& o = pool_[oi];
    const std::uint32_t ex = std::min(want, o.qty);
    if (rng_.chance(cfg_.p_exec_price)) {
      itch::encode_executed_price(msg(itch::enc::kLenExecutedPrice), hdr(in), o.ref, ex, match_++, 'Y',
                                  price_of(in, b));
      count('C');
    } else {
      itch::encode_executed(msg(itch::enc::kLenExecuted), hdr(in), o.ref, ex, match_++);
      count('E');
    }
    ++msgs;
    want -= ex;
    filled += ex;
    if (ex == o.qty) remove_order(in, oi);
    else o.qty -= ex;
  }
  in.cum_volume += filled;
  // No impact on the fair value: trades follow it, they do not push it (a feedback loop here
  // turns the day into runaway momentum).
  return msgs;
}

int Generator::rest(Inst& in, std::uint32_t ii, std::uint8_t side, int level, std::uint32_t qty) {
  // Never cross or lock: a resting order sits strictly behind the opposite best.
  if (side == 0 ? level >= in.best[1] : level <= in.best[0]) return 0;
  if (level < 0 || level >= kWindow || in.live.size() >= in.live_cap) return 0;
  const std::uint32_t oi = new_order(in, ii, side, level, qty);
  const Order& o = pool_[oi];
  const char sc = side == 0 ? 'B' : 'S';
  if (rng_.chance(cfg_.p_mpid)) {
    itch::encode_add_mpid(msg(itch::enc::kLenAddMpid), hdr(in), o.ref, sc, qty, in.sym,
                          price_of(in, level), kMpids[rng_.below(kMpids.size())]);
    count('F');
  } else {
    itch::encode_add(msg(itch::enc::kLenAdd), hdr(in), o.ref, sc, qty, in.sym, price_of(in, level));
    count('A');
  }
  return 1;
}

int Generator::act_add(std::uint32_t ii, int side_hint, std::uint64_t budget) {
  Inst& in = inst_[ii];
  if (in.live.size() >= in.live_cap) return 0;
  std::uint8_t side = side_hint >= 0 ? static_cast<std::uint8_t>(side_hint) : static_cast<std::uint8_t>(rng_.below(2));
  // Keep both sides populated: an empty side draws the flow.
  if (side_hint < 0) {
    if (in.best[0] < 0 && in.best[1] < kWindow) side = 0;
    else if (in.best[1] >= kWindow && in.best[0] >= 0) side = 1;
  }
  const int bid_anchor = static_cast<int>(std::floor(in.m - in.spread / 2.0));
  const int ask_anchor = bid_anchor + in.spread;
  const int cur_spread = (in.best[0] >= 0 && in.best[1] < kWindow) ? in.best[1] - in.best[0] : 0;
  const std::uint32_t qty = draw_add_shares();
  int level;
  if (cur_spread > in.spread && rng_.chance(0.3)) {
    level = side == 0 ? in.best[0] + 1 : in.best[1] - 1;  // improve inside a wide spread
  } else {
    // Depth behind the side's best (books are dense near the top); otherwise behind the
    // fair-value anchor, which may cross the book: a marketable limit order that trades first.
    // That is how the book follows the fair value.
    const int d = draw_depth();
    const bool have = side == 0 ? in.best[0] >= 0 : in.best[1] < kWindow;
    if (have && rng_.chance(0.7)) {
      level = side == 0 ? in.best[0] - d : in.best[1] + d;
    } else {
      level = side == 0 ? bid_anchor - d : ask_anchor + d;
      const bool crosses = side == 0 ? level >= in.best[1] : level <= in.best[0];
      if (crosses && budget > 0 && rng_.chance(0.5)) {  // else it is re-priced to rest
        std::uint32_t want = qty;
        int last = -1;
        const int n = sweep(in, side, want, level, 8, budget - 1, last);
        if (want > 0 && static_cast<std::uint64_t>(n) < budget) return n + rest(in, ii, side, level, want);
        if (n > 0) return n;
      }
      // Not sent as marketable: it joins its side's best instead (clamping it against the
      // opposite best would squeeze every spread to one tick).
      if (crosses) {
        if (have) level = side == 0 ? in.best[0] : in.best[1];
        else level = side == 0 ? in.best[1] - in.spread : in.best[0] + in.spread;
      }
    }
  }
  if (side == 0) level = std::min(level, in.best[1] - 1);
  else level = std::max(level, in.best[0] + 1);
  return rest(in, ii, side, level, qty);
}

int Generator::act_cancel(std::uint32_t ii) {
  Inst& in = inst_[ii];
  if (in.live.empty()) return 0;
  // Three random candidates; the least well placed goes: far behind the fair value, or (three
  // times as urgent) stale in front of it. Cancels thus favour the far book and pull quotes
  // the fair value has moved through.
  const int bid_anchor = static_cast<int>(std::floor(in.m - in.spread / 2.0));
  const int ask_anchor = bid_anchor + in.spread;
  auto score = [&](std::uint32_t oi) {
    const Order& o = pool_[oi];
    const int behind = o.side == 0 ? bid_anchor - o.level : o.level - ask_anchor;
    return behind >= 0 ? behind : -3 * behind;
  };
  const auto n_live = static_cast<std::uint32_t>(in.live.size());
  std::uint32_t oi = in.live[rng_.below(n_live)];
  for (int c = 0; c < 2; ++c) {
    const std::uint32_t o2 = in.live[rng_.below(n_live)];
    if (score(o2) > score(oi)) oi = o2;
  }
  Order& o = pool_[oi];
  if (o.qty >= 200 && rng_.chance(cfg_.p_partial_cancel)) {
    const std::uint32_t lots = o.qty / 100;
    std::uint32_t cut = 100 * (1 + rng_.below(lots - 1));
    if (cut >= o.qty) cut = o.qty - 1;
    itch::encode_cancel(msg(itch::enc::kLenCancel), hdr(in), o.ref, cut);
    count('X');
    o.qty -= cut;  // keeps its place in the queue
    return 1;
  }
  itch::encode_delete(msg(itch::enc::kLenDelete), hdr(in), o.ref);
  count('D');
  remove_order(in, oi);
  return 1;
}

int Generator::act_market(std::uint32_t ii, std::uint64_t budget) {
  Inst& in = inst_[ii];
  if (cur_ts_ >= switch_ns_ && in.best[0] >= 0 && in.best[1] < kWindow) {
    // After the flow switch aggressors seek liquidity: they take the whole heavier best level
    // (ties: a coin), so a heavy queue precedes a move away from it.
    const std::uint64_t qb = level_qty(in, 0, in.best[0]), qa = level_qty(in, 1, in.best[1]);
    const std::uint8_t aggr = qb > qa ? 1 : qa > qb ? 0 : static_cast<std::uint8_t>(rng_.below(2));
    std::uint32_t want = static_cast<std::uint32_t>(std::min<std::uint64_t>(aggr == 1 ? qb : qa, 0xFFFFFFFFu));
    int last_level = -1;
    return sweep(in, aggr, want, aggr == 0 ? kWindow : -1, 1, budget, last_level);
  }
  // Aggressors lean toward the fair value: buy when it is above the book's mid.
  double p_buy = 0.5;
  if (in.best[0] >= 0 && in.best[1] < kWindow) {
    const double mid = 0.5 * (in.best[0] + in.best[1]);
    p_buy = std::clamp(0.5 + 0.25 * (in.m - mid) / in.spread, 0.15, 0.85);
  }
  const std::uint8_t aggr = rng_.chance(p_buy) ? 0 : 1;
  const std::uint8_t pas = 1 - aggr;
  if (pas == 0 ? in.best[0] < 0 : in.best[1] >= kWindow) return 0;
  std::uint32_t want = 100 * draw_lots();
  int last_level = -1;
  int msgs = sweep(in, aggr, want, aggr == 0 ? kWindow : -1, 5, budget, last_level);
  // Part of an unfilled remainder rests at the last swept price when that level emptied.
  if (want > 0 && last_level >= 0 && static_cast<std::uint64_t>(msgs) < budget &&
      in.lv[pas][static_cast<std::size_t>(last_level)].count == 0 && rng_.chance(0.3))
    msgs += rest(in, ii, aggr, last_level, want);
  return msgs;
}

int Generator::act_replace(std::uint32_t ii) {
  Inst& in = inst_[ii];
  if (in.live.empty()) return 0;
  const std::uint32_t oi = in.live[rng_.below(static_cast<std::uint32_t>(in.live.size()))];
  const Order old = pool_[oi];
  int level = old.level + static_cast<int>(rng_.below(5)) - 2;
  // The replaced order leaves first, so only the opposite side bounds the new price.
  if (old.side == 0) level = std::min(level, in.best[1] - 1);
  else level = std::max(level, in.best[0] + 1);
  if (level < 0 || level >= kWindow) return 0;
  const std::uint32_t qty = rng_.chance(0.5) ? old.qty : draw_add_shares();
  remove_order(in, oi);
  const std::uint32_t ni = new_order(in, ii, old.side, level, qty);
  itch::encode_replace(msg(itch::enc::kLenReplace), hdr(in), old.ref, pool_[ni].ref, qty,
                       price_of(in, level));
  count('U');
  return 1;
}

int Generator::act_hidden(std::uint32_t ii) {
  Inst& in = inst_[ii];
  if (in.best[0] < 0 || in.best[1] >= kWindow) return 0;
  const int lo = in.best[0], hi = in.best[1];
  const int level = hi - lo >= 2 ? lo + 1 + static_cast<int>(rng_.below(static_cast<std::uint32_t>(hi - lo - 1)))
                                 : (rng_.chance(0.5) ? lo : hi);
  const std::uint32_t qty = 100 * draw_lots();
  itch::encode_trade(msg(itch::enc::kLenTrade), hdr(in), 0, rng_.chance(0.5) ? 'B' : 'S', qty, in.sym,
                     price_of(in, level), match_++);
  count('P');
  in.cum_volume += qty;
  return 1;
}

double Generator::hawkes_next(Inst& in, double t) {
  // Exact next event of a Hawkes process with exponential kernel given its excess intensity
  // just after time t (Dassios & Zhao 2013): min of the kernel's own first event and the
  // baseline Poisson's.
  double w = std::numeric_limits<double>::infinity();
  if (in.excess > 1e-12) {
    const double d = 1.0 + beta_ * std::log(rng_.open01()) / in.excess;
    if (d > 0) w = -std::log(d) / beta_;
  }
  const double w2 = -std::log(rng_.open01()) / in.mu;
  w = std::min(w, w2);
  in.excess *= std::exp(-beta_ * w);
  in.excess += alpha_;
  in.t_last = t + w;
  return t + w;
}

void Generator::setup() {
  const std::uint32_t k = cfg_.instruments;
  const std::uint64_t flow = cfg_.messages - fixed_messages(k);
  const double day_s = static_cast<double>(cfg_.close_ns - cfg_.open_ns) * 1e-9;
  const double actions = static_cast<double>(flow) / 1.1;
  live_target_ = static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(flow / (50ull * k), 20, cfg_.live_target));
  beta_ = 1000.0 / cfg_.decay_ms;
  alpha_ = cfg_.branching * beta_;
  double wsum = 0;
  for (std::uint32_t i = 0; i < k; ++i) wsum += std::pow(i + 1.0, -cfg_.activity_skew);
  inst_.resize(k);
  std::uint64_t pool_size = 0;
  for (std::uint32_t i = 0; i < k; ++i) {
    Inst& in = inst_[i];
    char name[16];
    std::snprintf(name, sizeof name, "SYM%04u", i + 1);
    in.sym = itch::enc::symbol8(name);
    in.locate = static_cast<std::uint16_t>(i + 1);
    // Prices log-uniform in $2..$500; $0.01 ticks; typical spread grows with price.
    const double dollars = 2.0 * std::exp(rng_.uniform() * std::log(250.0));
    const auto p0 = static_cast<std::int64_t>(std::llround(dollars * 100.0));
    in.base = std::max<std::int64_t>(1, p0 - kWindow / 2);
    in.m = static_cast<double>(p0 - in.base) + rng_.uniform();
    in.spread = std::max(1, static_cast<int>(std::lround(dollars / 60.0 * (0.7 + 0.6 * rng_.uniform()))));
    in.lv[0].assign(kWindow, Level{});
    in.lv[1].assign(kWindow, Level{});
    const double w = std::pow(i + 1.0, -cfg_.activity_skew) / wsum;
    const double rate = std::max(actions * w / day_s, 1e-6);  // actions per second
    in.mu = rate * (1.0 - cfg_.branching);
    // Fair-value step per action: the daily volatility spread over the instrument's actions,
    // but at most 0.2 tick, so a thin day does not turn into a tick-by-tick random walk.
    in.sigma = std::clamp(cfg_.daily_vol * static_cast<double>(p0) / std::sqrt(std::max(1.0, actions * w)),
                          0.01, 0.2);
    in.live_cap = 4 * live_target_ + 64;
    in.live.reserve(in.live_cap);
    in.open_price = static_cast<std::uint32_t>(p0 * in.tick);
    pool_size += in.live_cap;
  }
  if (cfg_.flow_switch_at > 0)
    switch_ns_ = cfg_.open_ns + static_cast<Nanos>(cfg_.flow_switch_at * static_cast<double>(cfg_.close_ns - cfg_.open_ns));
  if (cfg_.coint_a > 0) {
    coint_a_ = cfg_.coint_a - 1;
    coint_b_ = cfg_.coint_b - 1;
    const Inst& a = inst_[coint_a_];
    const Inst& b = inst_[coint_b_];
    // a: B starts at its own drawn price, spread 0.
    coint_offset_ = static_cast<double>(b.base) + b.m - cfg_.coint_beta * (static_cast<double>(a.base) + a.m);
  }
  pool_.resize(pool_size + 1);
  free_.reserve(pool_size + 1);
  for (std::uint64_t i = pool_size + 1; i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
  epoch_ = midnight_epoch_ns(cfg_.year, cfg_.month, cfg_.day, cfg_.utc_offset_min);
}

void Generator::fixed_schedule_open() {
  const Nanos t_o = std::max<Nanos>(0, cfg_.open_ns - 23'100'000'000'000);  // 03:05 for 09:30
  const Nanos t_s = std::max<Nanos>(t_o + 1'000'000'000, cfg_.open_ns - 19'800'000'000'000);
  last_sent_ = epoch_ + t_o;
  last_recv_ = last_sent_;
  const itch::enc::Header h0{0, 0, 0};
  auto sys = [&](Nanos ts, char code) {
    begin_group(ts);
    itch::enc::Header h = h0;
    h.ts_ns = static_cast<std::uint64_t>(ts);
    itch::encode_system_event(msg(itch::enc::kLenSystemEvent), h, code);
    count('S');
  };
  sys(t_o, 'O');
  for (std::uint32_t i = 0; i < inst_.size(); ++i) {
    Inst& in = inst_[i];
    begin_group(t_o + 1000 * (i + 1));
    itch::enc::DirectoryFields f;
    f.stock = in.sym;
    f.luld_tier = in.open_price >= 3'000'000 ? '1' : '2';
    itch::encode_stock_directory(msg(itch::enc::kLenStockDirectory), hdr(in), f);
    count('R');
  }
  sys(t_s, 'S');
  for (std::uint32_t i = 0; i < inst_.size(); ++i) {
    Inst& in = inst_[i];
    begin_group(t_s + 1000 * (i + 1));
    itch::encode_trading_action(msg(itch::enc::kLenTradingAction), hdr(in), in.sym, 'T');
    count('H');
  }
  sys(cfg_.open_ns, 'Q');
  // Opening cross prints, one per instrument, at the open price.
  for (std::uint32_t i = 0; i < inst_.size(); ++i) {
    Inst& in = inst_[i];
    begin_group(cfg_.open_ns + 1000 * (i + 1));
    itch::encode_cross_trade(msg(itch::enc::kLenCrossTrade), hdr(in), 100ull * (10 + rng_.below(5000)),
                             in.sym, in.open_price, match_++, 'O');
    count('Q');
  }
}

void Generator::fixed_schedule_close() {
  auto sys = [&](Nanos ts, char code) {
    begin_group(ts);
    itch::enc::Header h{0, 0, static_cast<std::uint64_t>(ts)};
    itch::encode_system_event(msg(itch::enc::kLenSystemEvent), h, code);
    count('S');
  };
  const Nanos t_m = std::max(cfg_.close_ns, cur_ts_);
  sys(t_m, 'M');
  for (std::uint32_t i = 0; i < inst_.size(); ++i) {
    Inst& in = inst_[i];
    begin_group(t_m + 1000 * (i + 1));
    std::uint32_t px = in.open_price;
    if (in.best[0] >= 0 && in.best[1] < kWindow) px = price_of(in, (in.best[0] + in.best[1]) / 2);
    else if (in.best[0] >= 0) px = price_of(in, in.best[0]);
    else if (in.best[1] < kWindow) px = price_of(in, in.best[1]);
    itch::encode_cross_trade(msg(itch::enc::kLenCrossTrade), hdr(in), 100ull * (10 + rng_.below(8000)),
                             in.sym, px, match_++, 'C');
    count('Q');
  }
  const Nanos t_e = std::min(kNsPerDay - 400'000'000'000, std::max(t_m + 1'000'000'000, cfg_.close_ns + 14'400'000'000'000));
  sys(t_e, 'E');
  sys(t_e + 300'000'000'000, 'C');
  send_pending();
  mold_.end_session(last_recv_);
}

GenStats Generator::run() {
  setup();
  fixed_schedule_open();
  const std::uint64_t flow_budget = cfg_.messages - fixed_messages(cfg_.instruments);
  const std::uint32_t k = cfg_.instruments;
  // Heap of instruments by next event time (model seconds since the open).
  for (std::uint32_t i = 0; i < k; ++i) {
    inst_[i].t_next = hawkes_next(inst_[i], 0.0);
    heap_.push_back(i);
  }
  auto later = [&](std::uint32_t a, std::uint32_t b) { return inst_[a].t_next > inst_[b].t_next; };
  std::make_heap(heap_.begin(), heap_.end(), later);

  const double a = std::clamp(cfg_.u_shape, 0.0, 2.9);
  const double day_ns = static_cast<double>(cfg_.close_ns - cfg_.open_ns);
  auto u = [&](double x) { return 1.0 + a * ((2 * x - 1) * (2 * x - 1) - 1.0 / 3.0); };
  auto U = [&](double x) { return x + a * ((2 * x - 1) * (2 * x - 1) * (2 * x - 1) / 6.0 - x / 3.0); };
  const double target_end = static_cast<double>(cfg_.close_ns) - 0.002 * day_ns;
  double slope = 1.0;  // exchange ns per model ns, before the intraday profile
  double tau = 0;      // model time, seconds
  double t_real = static_cast<double>(cfg_.open_ns);
  std::uint64_t done = 0;
  const auto w_cancel0 = cfg_.p_cancel;
  const double w_add = std::max(0.0, 1.0 - cfg_.p_cancel - cfg_.p_market - cfg_.p_replace - cfg_.p_hidden);

  while (done < flow_budget) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const std::uint32_t ii = heap_.back();
    Inst& in = inst_[ii];
    const double t_ev = in.t_next;
    const double x = std::clamp((t_real - static_cast<double>(cfg_.open_ns)) / day_ns, 0.0, 1.0);
    t_real += (t_ev - tau) * 1e9 * slope / u(x);
    tau = t_ev;
    const Nanos lo = std::max(cfg_.open_ns + 1'000'000, cur_ts_);
    const Nanos ts = std::clamp<Nanos>(static_cast<Nanos>(t_real), lo, std::max(lo, cfg_.close_ns - 1));
    in.t_next = hawkes_next(in, t_ev);
    std::push_heap(heap_.begin(), heap_.end(), later);

    // Fair value random walk (uniform steps with the right variance), kept inside the window.
    // Leg B of a cointegrated pair follows leg A plus its spread instead.
    if (ii == coint_b_) advance_coint(in, ts);
    else in.m += in.sigma * 1.7320508 * (2 * rng_.uniform() - 1);
    in.m = std::clamp(in.m, 64.0, kWindow - 64.0);

    begin_group(ts);
    const double r = static_cast<double>(in.live.size()) / live_target_;
    const double w_cancel = w_cancel0 * r;
    const double total = w_add + w_cancel + cfg_.p_market + cfg_.p_replace + cfg_.p_hidden;
    double pick = rng_.uniform() * total;
    int kind;  // 0 add, 1 cancel, 2 market, 3 replace, 4 hidden
    if ((pick -= w_add) < 0) kind = 0;
    else if ((pick -= w_cancel) < 0) kind = 1;
    else if ((pick -= cfg_.p_market) < 0) kind = 2;
    else if ((pick -= cfg_.p_replace) < 0) kind = 3;
    else kind = 4;
    if (in.live.size() >= in.live_cap && kind == 0) kind = 1;
    int n = 0;
    switch (kind) {
      case 0: n = act_add(ii, -1, flow_budget - done); break;
      case 1: n = act_cancel(ii); break;
      case 2: n = act_market(ii, flow_budget - done); break;
      case 3: n = act_replace(ii); break;
      default: n = act_hidden(ii); break;
    }
    // Not possible in this book state (e.g. nothing to hit): fall back to an add, else a cancel.
    if (n == 0) n = act_add(ii, 0, flow_budget - done);
    if (n == 0) n = act_add(ii, 1, flow_budget - done);
    if (n == 0) n = act_cancel(ii);
    if (n == 0) ++stats_.skipped_actions;
    done += static_cast<std::uint64_t>(n);
    ++stats_.actions;
    if ((stats_.actions & 0xFFFF) == 0 && cfg_.on_progress) [[unlikely]] cfg_.on_progress(done, flow_budget);
    if (stats_.actions == 1) stats_.first_flow_ns = ts;
    stats_.last_flow_ns = ts;

    // Re-fit the slope so the remaining budget lands at the target end (after a warm-up).
    if ((stats_.actions & 255) == 0 && done > 0 && tau > 0) {
      const double rate = static_cast<double>(done) / tau;  // messages per model second
      const double rem_tau = static_cast<double>(flow_budget - done) / rate;
      const double xn = std::clamp((t_real - static_cast<double>(cfg_.open_ns)) / day_ns, 0.0, 1.0);
      const double xe = std::clamp((target_end - static_cast<double>(cfg_.open_ns)) / day_ns, 0.0, 1.0);
      const double integral = (U(xe) - U(xn)) * day_ns;  // ∫ u dt over the rest, ns
      if (rem_tau > 0 && integral > 0) slope = std::clamp(integral / (rem_tau * 1e9), 0.05, 20.0);
      else slope = 0.05;
    }
  }
  fixed_schedule_close();
  writer_.close();
  stats_.packets = mold_.stats().packets;
  stats_.heartbeats = mold_.stats().heartbeats;
  stats_.pcap_bytes = writer_.bytes();
  stats_.end_live_orders = live_total_;
  return stats_;
}

}  // namespace

Nanos midnight_epoch_ns(int y, int m, int d, int utc_offset_min) noexcept {
  // Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return (days * 86400 - static_cast<std::int64_t>(utc_offset_min) * 60) * 1'000'000'000;
}

void validate(const GenConfig& c) {
  auto bad = [](const std::string& why) { throw std::invalid_argument(why); };
  if (c.instruments < 1 || c.instruments > 9999) bad("instruments must be in [1, 9999]");
  if (c.messages < fixed_messages(c.instruments) + 1)
    bad("messages must be at least " + std::to_string(fixed_messages(c.instruments) + 1) +
        " for " + std::to_string(c.instruments) + " instruments");
  if (c.open_ns < 0 || c.close_ns <= c.open_ns + 1'000'000'000 || c.close_ns > kNsPerDay - 3'600'000'000'000)
    bad("need 0 <= open < close - 1s and close <= 23:00");
  if (!(c.branching >= 0 && c.branching <= 0.98)) bad("branching ratio must be in [0, 0.98]");
  if (!(c.decay_ms > 0)) bad("decay must be > 0");
  for (double p : {c.p_cancel, c.p_market, c.p_replace, c.p_hidden, c.p_exec_price,
                   c.p_partial_cancel, c.p_mpid, c.p_odd_lot})
    if (!(p >= 0 && p <= 1)) bad("probabilities must be in [0, 1]");
  if (c.p_cancel + c.p_market + c.p_replace + c.p_hidden > 0.9)
    bad("cancel + market + replace + hidden must leave at least 0.1 for adds");
  if (!(c.depth_alpha > 0.1 && c.depth_scale > 0 && c.size_alpha > 0.1)) bad("bad depth/size shape");
  if (c.live_target < 20) bad("live target must be >= 20");
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31) bad("bad date");
  if (c.out_path.empty()) bad("no output path");
  if (c.latency_ns < 0 || c.latency_jitter_ns < 0 || c.latency_jitter_ns > 1'000'000'000 ||
      c.pack_ns < 0 || c.heartbeat_ns < 0)
    bad("times must be >= 0 (jitter <= 1 s)");
  if (c.payload_limit < 20 + 2 + 50 || c.payload_limit > 65507)
    bad("payload limit must be in [72, 65507]");
  if (!(c.flow_switch_at >= 0 && c.flow_switch_at < 1)) bad("flow_switch_at must be in [0, 1) (0: no switch)");
  if (c.coint_a != 0 || c.coint_b != 0) {
    if (c.coint_a < 1 || c.coint_a > c.instruments || c.coint_b < 1 || c.coint_b > c.instruments ||
        c.coint_a == c.coint_b)
      bad("coint_pair must name two different instruments in [1, instruments]");
  }
  if (!(std::isfinite(c.coint_beta) && c.coint_beta != 0 && std::fabs(c.coint_beta) <= 100))
    bad("coint_beta must be finite, non-zero and at most 100 in size");
  if (!(std::isfinite(c.coint_half_life_s) && c.coint_half_life_s > 0 && c.coint_half_life_s <= 86'400))
    bad("coint_half_life_s must be in (0, 86400]");
  if (!(std::isfinite(c.coint_spread_sd) && c.coint_spread_sd >= 0 && c.coint_spread_sd <= 500))
    bad("coint_spread_sd must be in [0, 500] ticks");
}

GenStats generate_pcap(const GenConfig& cfg) {
  validate(cfg);
  Generator g(cfg);
  return g.run();
}

}  // namespace hft::gen
