// LOBSTER reader: message rows -> MarketEvents, with the top-N window kept in step with the
// paired orderbook rows through synthetic orders (see include/hft/lobster/lobster.hpp).
#include "hft/lobster/lobster_source.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <array>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "hft/book/order_book.hpp"
#include "hft/lobster/lobster.hpp"

namespace hft::lobster {

bool parse_lobster_time(std::string_view s, Nanos& out, bool* rounded) noexcept {
  std::size_t i = 0;
  std::int64_t sec = 0;
  int int_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (++int_digits > 12) return false;
    sec = sec * 10 + (s[i] - '0');
    ++i;
  }
  if (int_digits == 0) return false;
  std::int64_t frac = 0;
  int frac_digits = 0;
  bool round_up = false, extra = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (frac_digits < 9) {
        frac = frac * 10 + (s[i] - '0');
      } else {
        // Digits past the nanosecond: a double printed in full (43002.632812672004); round
        // to the nearest nanosecond, which is what the writer meant.
        if (!extra) round_up = s[i] >= '5';
        extra = true;
        if (frac_digits > 30) return false;
      }
      ++frac_digits;
      ++i;
    }
    if (frac_digits == 0) return false;
  }
  if (i != s.size()) return false;
  for (int k = frac_digits; k < 9; ++k) frac *= 10;
  // Twelve digits of seconds may not fit int64 nanoseconds (beyond 9223372036 s): an error
  // (counted as bad_time by the caller), never a wrapped time.
  Nanos ns = 0;
  if (__builtin_mul_overflow(sec, std::int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, frac + (round_up ? 1 : 0), &ns))
    return false;
  out = ns;
  if (rounded != nullptr) *rounded = extra;
  return true;
}

bool parse_lobster_name(const std::string& message_path, LobsterName& out) {
  const std::size_t slash = message_path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : message_path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? message_path : message_path.substr(slash + 1);
  static constexpr std::string_view kMsg = "_message_";
  const std::size_t m = base.rfind(kMsg);
  if (m == std::string::npos) return false;
  const std::size_t us = base.find('_');
  if (us == 0 || us == std::string::npos) return false;
  std::size_t i = m + kMsg.size();
  int n = 0;
  int digits = 0;
  while (i < base.size() && base[i] >= '0' && base[i] <= '9') {
    if (++digits > 4) return false;
    n = n * 10 + (base[i] - '0');
    ++i;
  }
  if (digits == 0 || n == 0 || base.substr(i) != ".csv") return false;
  out.symbol = base.substr(0, us);
  out.levels = n;
  out.orderbook_path = dir + base.substr(0, m) + "_orderbook_" + base.substr(m + kMsg.size());
  return true;
}

namespace {

// A whole input file, memory-mapped read-only (LOBSTER files of a full day run to GBs).
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open LOBSTER file " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw std::runtime_error("not a regular file: " + path);
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p == MAP_FAILED) {
        ::close(fd_);
        throw std::runtime_error("cannot map LOBSTER file " + path + ": " + std::strerror(errno));
      }
      ::madvise(p, size_, MADV_SEQUENTIAL);
      data_ = static_cast<const char*>(p);
    }
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  int fd_ = -1;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

// Counters kept as plain integers on the hot path, named only when stats() is read.
enum Count : int {
  kMessages, kType1, kType2, kType3, kType4, kType5, kType6, kType7, kRowsChecked, kLevelEnter,
  kLevelLeave, kSyntheticOrders, kSeedOrders, kUnknownId, kLeaveDeletes, kTimeRounded,
  kNoOrderbook, kPrestartRefs, kPrestartExecAsTrade, kPrestartSkipped, kDeleteSizeUnseen, kCountN
};
constexpr const char* kCountNames[kCountN] = {
    "lobster.messages", "lobster.type1", "lobster.type2", "lobster.type3", "lobster.type4",
    "lobster.type5", "lobster.type6", "lobster.type7", "lobster.rows_checked",
    "lobster.level_enter", "lobster.level_leave", "lobster.synthetic_orders",
    "lobster.seed_orders", "lobster.unknown_id", "lobster.leave_deletes", "lobster.time_subns_rounded",
    "lobster.no_orderbook_file", "lobster.prestart_refs", "lobster.prestart_exec_as_trade",
    "lobster.prestart_cancel_skipped", "lobster.delete_size_unseen_change"};
enum Err : int {
  eColumns, eNumber, eTime, eTimeBackwards, eType, eDirection, eValue, eBookRowMissing,
  eBadBookRow, eExtraBookRows, eMismatch, eDuplicateId, eOrderMismatch, eOverReduce,
  eDeleteSize, eUnknownNoLevel, eUnknownNoSynthetic, eSyntheticShort, eSeedInconsistent,
  eUnseeded, eBookError, eErrN
};
constexpr const char* kErrNames[eErrN] = {
    "lobster.bad_columns", "lobster.bad_number", "lobster.bad_time", "lobster.time_backwards",
    "lobster.bad_type", "lobster.bad_direction", "lobster.bad_value", "lobster.book_row_missing",
    "lobster.bad_book_row", "lobster.extra_book_rows", "lobster.mismatch",
    "lobster.duplicate_id", "lobster.order_side_price_mismatch", "lobster.over_reduce",
    "lobster.delete_size_mismatch", "lobster.unknown_no_level", "lobster.unknown_no_synthetic",
    "lobster.synthetic_short", "lobster.seed_inconsistent", "lobster.unseeded_skip",
    "lobster.book_error"};

struct Msg {
  Nanos ts = 0;
  int type = 0;
  OrderId id = 0;
  Qty size = 0;
  Price price = 0;
  Side side = Side::None;
};

struct Lvl {
  Price price;
  Volume qty;
};

// One parsed orderbook row: real levels only, best first.
struct Row {
  std::vector<Lvl> side[2];  // [0] bids, [1] asks
};

inline int six(Side s) { return s == Side::Sell ? 1 : 0; }
// a is worse (further from the top) than b on this side.
inline bool worse(Side s, Price a, Price b) { return s == Side::Buy ? a < b : a > b; }

template <class T>
bool parse_num(std::string_view f, T& v) {
  if (f.empty()) return false;
  const char* b = f.data();
  const char* e = b + f.size();
  auto r = std::from_chars(b, e, v);
  return r.ec == std::errc() && r.ptr == e;
}

inline std::string_view next_line(const MappedFile& d, std::size_t& pos) {
  const char* start = d.data() + pos;
  const void* nl = std::memchr(start, '\n', d.size() - pos);
  std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) : d.size() - pos;
  pos += len + (nl ? 1 : 0);
  if (len > 0 && start[len - 1] == '\r') --len;
  return {start, len};
}

// Splits on commas into out; returns the column count (stops counting past max).
inline std::size_t split(std::string_view line, std::string_view* out, std::size_t max) {
  std::size_t n = 0, b = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      if (n < max) out[n] = line.substr(b, i - b);
      ++n;
      b = i + 1;
    }
  }
  return n;
}

class LobsterSource final : public feed::EventSource {
 public:
  LobsterSource(const std::string& path, const feed::FeedOptions& opts) : book_(book_config()) {
    LobsterName name;
    if (!parse_lobster_name(path, name))
      throw std::runtime_error("not a LOBSTER message file name (TICKER_DATE_START_END_message_N.csv): " +
                               path);
    levels_ = static_cast<std::size_t>(name.levels);
    msg_ = std::make_unique<MappedFile>(path);
    // A message file alone (common in research repositories): start from an empty book and
    // count the references to orders placed before the file starts.
    struct stat st {};
    if (::stat(name.orderbook_path.c_str(), &st) != 0 && errno == ENOENT) {
      message_only_ = true;
      seeded_ = true;
      counts_[kNoOrderbook] = 1;
      path_ = path;
    } else {
      ob_ = std::make_unique<MappedFile>(name.orderbook_path);
    }
    feed::Instrument in;
    in.id = kLobsterInstrument;
    in.symbol = opts.lobster_symbol.empty() ? name.symbol : opts.lobster_symbol;
    instruments_.push_back(in);
    fields_.resize(4 * levels_ + 1);
    pending_.reserve(4096);
    for (auto& s : row_.side) s.reserve(levels_);
    for (auto& s : seed_.side) s.reserve(levels_ + 1);
  }

  std::size_t next(std::span<MarketEvent> out) override {
    const std::size_t n = feed::hand_out(pending_, pos_, out, [&] { return process_row(); });
    events_ += n;
    return n;
  }

  feed::TimeBasis time_basis() const noexcept override { return feed::TimeBasis::SinceMidnight; }
  double progress() const noexcept override {
    return msg_->size() == 0 ? 1.0 : static_cast<double>(msg_pos_) / static_cast<double>(msg_->size());
  }
  const std::vector<feed::Instrument>& instruments() const noexcept override { return instruments_; }
  const feed::SourceStats& stats() const noexcept override {
    stats_.events = events_;
    for (int i = 0; i < kCountN; ++i)
      if (counts_[i] != 0) stats_.counts[kCountNames[i]] = counts_[i];
    for (int i = 0; i < eErrN; ++i)
      if (errors_[i] != 0) stats_.errors[kErrNames[i]] = errors_[i];
    return stats_;
  }

 private:
  static book::BookConfig book_config() {
    book::BookConfig c;
    c.max_orders = 1u << 18;
    c.max_levels = 1u << 14;
    c.max_instruments = kLobsterInstrument + 1;
    c.levels_reserve = 1024;
    return c;
  }

  // Reads one message line and its orderbook row, emits their events. False at end of input.
  bool process_row() {
    if (msg_pos_ >= msg_->size()) {
      if (message_only_ && !extra_checked_) {
        extra_checked_ = true;
        std::fprintf(stderr,
                     "hftd: LOBSTER %s read without its orderbook file: the book started empty; %llu "
                     "references to orders placed before the file starts (%llu executions kept as "
                     "trades, %llu cancels/deletes skipped)\n",
                     path_.c_str(), static_cast<unsigned long long>(counts_[kPrestartRefs]),
                     static_cast<unsigned long long>(counts_[kPrestartExecAsTrade]),
                     static_cast<unsigned long long>(counts_[kPrestartSkipped]));
      }
      if (!extra_checked_) {
        extra_checked_ = true;
        while (ob_pos_ < ob_->size()) {
          next_line(*ob_, ob_pos_);
          ++errors_[eExtraBookRows];
        }
      }
      return false;
    }
    const std::string_view line = next_line(*msg_, msg_pos_);
    if (message_only_) return process_message_only(line);
    const bool have_row = ob_pos_ < ob_->size();
    const std::string_view row_line = have_row ? next_line(*ob_, ob_pos_) : std::string_view{};
    Msg m;
    if (!parse_msg(line, m)) return true;  // counted; the pair is skipped
    if (m.ts < last_ts_) {
      ++errors_[eTimeBackwards];
      return true;
    }
    bool row_ok = false;
    if (!have_row) ++errors_[eBookRowMissing];
    else if (!(row_ok = parse_row(row_line, row_))) ++errors_[eBadBookRow];
    if (!seeded_) {
      if (!row_ok) {
        ++errors_[eUnseeded];  // nothing to seed from: wait for a good pair
        return true;
      }
      seed(m);
    }
    last_ts_ = m.ts;
    ts_ = m.ts;
    ++counts_[kMessages];
    ++counts_[kType1 + m.type - 1];
    const std::size_t start = pending_.size();
    apply_message(m);
    if (row_ok) sync();
    close_row(start);
    return true;
  }

  // No orderbook rows: the message's events only, on a book that started empty.
  bool process_message_only(std::string_view line) {
    Msg m;
    if (!parse_msg(line, m)) return true;  // counted
    if (m.ts < last_ts_) {
      ++errors_[eTimeBackwards];
      return true;
    }
    last_ts_ = ts_ = m.ts;
    ++counts_[kMessages];
    ++counts_[kType1 + m.type - 1];
    const std::size_t start = pending_.size();
    book::Books::OrderView o;
    if (m.type >= 2 && m.type <= 4 && !book_.find_order(m.id, o)) {
      // Placed before the file starts. An execution still printed: kept as a trade at its
      // price and side; a cancel or delete has nothing to act on.
      ++counts_[kPrestartRefs];
      if (m.type == 4) {
        ++counts_[kPrestartExecAsTrade];
        MarketEvent e{};
        e.kind = EventKind::Trade;
        e.side = m.side;
        e.price = m.price;
        e.qty = m.size;
        e.flags = evflag::kPrintable;
        emit(e);
      } else {
        ++counts_[kPrestartSkipped];
      }
    } else {
      // A delete whose size differs from what the book holds: the order changed while its level
      // was outside the file's top-N window (those messages are not in the file, and without
      // the orderbook rows nothing says so). Expected here, so counted, not an error.
      const std::uint64_t before = errors_[eDeleteSize];
      apply_message(m);
      counts_[kDeleteSizeUnseen] += errors_[eDeleteSize] - before;
      errors_[eDeleteSize] = before;
    }
    close_row(start);
    return true;
  }

  bool parse_msg(std::string_view line, Msg& m) {
    std::string_view f[7];
    if (split(line, f, 7) != 6) {
      ++errors_[eColumns];
      return false;
    }
    bool rounded = false;
    if (!parse_lobster_time(f[0], m.ts, &rounded)) {
      ++errors_[eTime];
      return false;
    }
    if (rounded) ++counts_[kTimeRounded];
    std::int64_t dir = 0;
    std::int64_t size = 0;
    if (!parse_num(f[1], m.type) || !parse_num(f[2], m.id) || !parse_num(f[3], size) ||
        !parse_num(f[4], m.price) || !parse_num(f[5], dir)) {
      ++errors_[eNumber];
      return false;
    }
    if (m.type < 1 || m.type > 7) {
      ++errors_[eType];
      return false;
    }
    if (dir != 1 && dir != -1) {
      ++errors_[eDirection];
      return false;
    }
    m.side = dir == 1 ? Side::Buy : Side::Sell;
    if (m.type == 7) {
      m.side = Side::None;
      if (m.price < -1 || m.price > 1) {
        ++errors_[eValue];
        return false;
      }
    } else if (size <= 0 || size > 0xFFFFFFFFLL || m.price <= 0 || (m.type != 5 && m.type != 6 && m.id == 0)) {
      ++errors_[eValue];
      return false;
    }
    m.size = static_cast<Qty>(size);
    return true;
  }

  bool parse_row(std::string_view line, Row& r) {
    r.side[0].clear();
    r.side[1].clear();
    const std::size_t want = 4 * levels_;
    if (split(line, fields_.data(), want + 1) != want) return false;
    bool ended[2] = {false, false};
    for (std::size_t i = 0; i < levels_; ++i) {
      for (int s = 1; s >= 0; --s) {  // ask columns come first, then bid
        const std::size_t c = 4 * i + (s == 1 ? 0 : 2);
        std::int64_t p = 0, q = 0;
        if (!parse_num(fields_[c], p) || !parse_num(fields_[c + 1], q)) return false;
        const Side side = s == 1 ? Side::Sell : Side::Buy;
        if (p == (s == 1 ? kLobsterEmptyAsk : kLobsterEmptyBid) && q == 0) {
          ended[s] = true;
          continue;
        }
        // Real levels are positive, sorted best first, and never follow an empty marker.
        if (ended[s] || p <= 0 || q <= 0 || q > 0xFFFFFFFFLL) return false;
        if (!r.side[s].empty() && !worse(side, p, r.side[s].back().price)) return false;
        r.side[s].push_back(Lvl{p, q});
      }
    }
    return true;
  }

  // Ends one message's events: a row with no book effect (counted where it was read) still gets
  // a marker event, so that the consumer sees the row close.
  void close_row(std::size_t start) {
    if (pending_.size() == start) {
      MarketEvent e{};
      e.kind = EventKind::System;
      e.flags = evflag::kSynthetic;
      emit(e);
    }
    pending_.back().flags |= evflag::kLast;
  }
  void emit(MarketEvent e) {
    e.ts_exch = ts_;
    e.ts_recv = ts_;
    e.instrument = kLobsterInstrument;
    if (book_.apply(e) != book::BookError::None) ++errors_[eBookError];
    pending_.push_back(e);
  }

  void emit_add(OrderId id, Side side, Price px, Qty q, std::uint8_t flags) {
    MarketEvent e{};
    e.kind = EventKind::Add;
    e.order_id = id;
    e.side = side;
    e.price = px;
    e.qty = q;
    e.flags = flags;
    emit(e);
  }

  // The book before message 1 is row 1 with message 1's effect undone; one synthetic order per
  // level stands for the orders resting there before the file starts.
  void seed(const Msg& m) {
    for (int s = 0; s < 2; ++s) seed_.side[s] = row_.side[s];
    if (m.type >= 1 && m.type <= 4) {
      auto& v = seed_.side[six(m.side)];
      auto it = std::find_if(v.begin(), v.end(), [&](const Lvl& l) { return l.price == m.price; });
      if (m.type == 1) {
        if (it == v.end() || it->qty < m.size) ++errors_[eSeedInconsistent];
        else if (it->qty == m.size) v.erase(it);
        else it->qty -= m.size;
      } else if (it != v.end()) {
        it->qty += m.size;
      } else {
        auto pos = std::find_if(v.begin(), v.end(),
                                [&](const Lvl& l) { return worse(m.side, l.price, m.price); });
        v.insert(pos, Lvl{m.price, m.size});
      }
    }
    ts_ = m.ts;
    for (int s = 1; s >= 0; --s)
      for (const Lvl& l : seed_.side[s]) {
        emit_add(kSyntheticIdBase + next_synthetic_++, s == 1 ? Side::Sell : Side::Buy, l.price,
                 static_cast<Qty>(l.qty), evflag::kSynthetic | evflag::kSnapshot);
        ++counts_[kSeedOrders];
        ++counts_[kSyntheticOrders];
      }
    seeded_ = true;
  }

  void apply_message(const Msg& m) {
    MarketEvent e{};
    e.side = m.side;
    e.price = m.price;
    e.qty = m.size;
    e.order_id = m.id;
    switch (m.type) {
      case 1: {
        book::Books::OrderView o;
        if (book_.find_order(m.id, o)) {
          ++errors_[eDuplicateId];
          return;
        }
        e.kind = EventKind::Add;
        emit(e);
        return;
      }
      case 2:
      case 3:
      case 4: {
        e.kind = m.type == 2 ? EventKind::Cancel : (m.type == 3 ? EventKind::Delete : EventKind::Execute);
        if (m.type == 4) e.flags = evflag::kPrintable;
        book::Books::OrderView o;
        if (book_.find_order(m.id, o)) {
          if (o.side != m.side || o.price != m.price) ++errors_[eOrderMismatch];
          if (m.type == 3 && m.size != o.qty) ++errors_[eDeleteSize];
          if (m.type != 3 && m.size > o.qty) ++errors_[eOverReduce];
          emit(e);
          return;
        }
        // Placed before the file starts or forgotten when its level left the window: the
        // synthetic order at that price stands for it.
        ++counts_[kUnknownId];
        OrderId sid = 0;
        if (!book_.level_front(kLobsterInstrument, m.side, m.price, sid)) {
          ++errors_[eUnknownNoLevel];
          return;
        }
        book::Books::OrderView so;
        if (sid < kSyntheticIdBase || !book_.find_order(sid, so)) {
          ++errors_[eUnknownNoSynthetic];
          return;
        }
        if (m.size > so.qty) {
          ++errors_[eSyntheticShort];
          return;
        }
        e.order_id = sid;
        if (m.type != 4) e.kind = m.size == so.qty ? EventKind::Delete : EventKind::Cancel;
        emit(e);
        return;
      }
      case 5:
      case 6:
        e.kind = EventKind::Trade;
        e.flags = evflag::kPrintable | (m.type == 6 ? evflag::kCross : 0);
        if (m.type == 5) e.order_id = 0;
        emit(e);
        return;
      case 7:
        e.kind = EventKind::Status;
        e.side = Side::None;
        e.price = 0;
        e.qty = 0;
        e.order_id = 0;
        e.aux = static_cast<std::uint8_t>(m.price == -1 ? TradingState::Halted
                                          : m.price == 0 ? TradingState::Quotation
                                                         : TradingState::Trading);
        emit(e);
        return;
      default: return;
    }
  }

  // Brings the window in step with the row: levels beyond the row's N-th leave, levels that
  // come in from beyond the previous row's N-th enter; everything else must already agree.
  void sync() {
    ++counts_[kRowsChecked];
    bool ok = true;
    for (int s = 1; s >= 0; --s) {
      const Side side = s == 1 ? Side::Sell : Side::Buy;
      const auto& want = row_.side[s];
      const bool full = want.size() == levels_;
      if (full) {
        const Price edge = want.back().price;
        book::LevelView lv;
        std::size_t d;
        while ((d = book_.depth(kLobsterInstrument, side)) > 0 &&
               book_.level(kLobsterInstrument, side, d - 1, lv) && worse(side, lv.price, edge)) {
          OrderId id = 0;
          while (book_.level_front(kLobsterInstrument, side, lv.price, id)) {
            MarketEvent e{};
            e.kind = EventKind::Delete;
            e.order_id = id;
            e.side = side;
            e.price = lv.price;
            e.flags = evflag::kSynthetic;
            emit(e);
            ++counts_[kLeaveDeletes];
          }
          ++counts_[kLevelLeave];
        }
      }
      for (const Lvl& l : want) {
        book::LevelView lv;
        if (book_.level_at(kLobsterInstrument, side, l.price, lv)) continue;
        if (prev_full_[s] && worse(side, l.price, prev_edge_[s])) {
          emit_add(kSyntheticIdBase + next_synthetic_++, side, l.price, static_cast<Qty>(l.qty),
                   evflag::kSynthetic);
          ++counts_[kLevelEnter];
          ++counts_[kSyntheticOrders];
        }
        // else: a level inside the window the events did not make; the check below counts it.
      }
      if (book_.depth(kLobsterInstrument, side) != want.size()) ok = false;
      for (std::size_t i = 0; ok && i < want.size(); ++i) {
        book::LevelView lv;
        if (!book_.level(kLobsterInstrument, side, i, lv) || lv.price != want[i].price ||
            lv.qty != want[i].qty)
          ok = false;
      }
      prev_full_[s] = full;
      prev_edge_[s] = full ? want.back().price : 0;
    }
    if (!ok) ++errors_[eMismatch];
  }

  book::Books book_;
  std::size_t levels_ = 0;
  std::unique_ptr<MappedFile> msg_, ob_;
  std::size_t msg_pos_ = 0, ob_pos_ = 0;
  std::vector<std::string_view> fields_;
  Row row_, seed_;
  std::vector<MarketEvent> pending_;
  std::size_t pos_ = 0;
  bool seeded_ = false;
  bool message_only_ = false;  // no orderbook file: no seed, no window
  std::string path_;
  bool extra_checked_ = false;
  bool prev_full_[2] = {false, false};
  Price prev_edge_[2] = {0, 0};
  Nanos last_ts_ = 0;
  Nanos ts_ = 0;
  OrderId next_synthetic_ = 0;
  std::uint64_t events_ = 0;
  std::array<std::uint64_t, kCountN> counts_{};
  std::array<std::uint64_t, eErrN> errors_{};
  std::vector<feed::Instrument> instruments_;
  mutable feed::SourceStats stats_;
};

}  // namespace

std::unique_ptr<feed::EventSource> open_lobster_source(const std::string& path,
                                                       const feed::FeedOptions& opts) {
  return std::make_unique<LobsterSource>(path, opts);
}

}  // namespace hft::lobster
