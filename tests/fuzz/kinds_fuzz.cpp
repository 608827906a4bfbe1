// A libFuzzer harness for the kinds of channel beside the plain one: the
// first input byte picks oneshot, watch or broadcast (with its capacity and
// overflow policy), the rest decodes into single-threaded operations on its
// handles: every non-blocking and timed(0) form, the blocking forms where
// the model says they cannot block, try_select arms, handle copies, drops
// and subscriptions. A reference model predicts every result: the
// oneshot's one value, the watch's value and version and each receiver's
// seen version, the broadcast's window of the last `capacity` messages and
// each receiver's position in it (with tokio's lag arithmetic). Messages
// are tracked objects, so a copy or a message destroyed twice or never
// shows up once every handle is gone.
//
// Built with clang's -fsanitize=fuzzer it is the fuzzer; built with any
// compiler and fuzz_replay_main.cpp it replays the corpus as a test.
#include <rill/rill.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "support/tracked.hpp"

namespace {

using rill_test::tracked;
using namespace std::chrono_literals;

/// The reads of one input; past its end everything reads as 0.
class input {
 public:
  input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  std::uint8_t next() { return pos_ < size_ ? data_[pos_++] : 0; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

constexpr std::size_t max_steps = 2000;

/// What every harness shares: the step count for failure reports, and the
/// messages' counters.
class harness_base {
 protected:
  explicit harness_base(tracked::counters& counts) : counts_(counts) {}

  void check(bool ok, const char* what) const {
    if (ok) return;
    std::fprintf(stderr, "kinds_fuzz: step %zu: %s\n", step_, what);
    std::abort();
  }

  tracked make(int payload) { return tracked(counts_, payload); }

  /// Runs `step(op, arg)` for each byte of the input.
  template <class Step>
  void each_step(input& in, unsigned op_count, Step step) {
    while (!in.done() && step_ < max_steps) {
      const std::uint8_t b = in.next();
      step(b % op_count, b / op_count);
      ++step_;
    }
  }

  /// Drops a receiver (with what the model keeps for it, at the same
  /// index) or a sender, as `arg` says.
  template <class Senders, class Receivers, class PerReceiver>
  static void drop_one(Senders& txs, Receivers& rxs, PerReceiver& per_receiver, unsigned arg) {
    auto erase = [at = arg / 2](auto& v) { v.erase(v.begin() + static_cast<std::ptrdiff_t>(at % v.size())); };
    if (arg & 1) {
      if (!rxs.empty()) {
        erase(rxs);
        erase(per_receiver);
      }
    } else if (!txs.empty()) {
      erase(txs);
    }
  }

  tracked::counters& counts_;
  std::size_t step_ = 0;
  int next_payload_ = 0;
};

// ---- oneshot -------------------------------------------------------------------

class oneshot_harness : harness_base {
 public:
  explicit oneshot_harness(tracked::counters& counts) : harness_base(counts) { fresh(); }

  void run(input& in) {
    each_step(in, 9, [this](unsigned op, unsigned arg) { step(op, arg); });
  }

 private:
  enum class state { waiting, holding, taken, sender_gone };

  void fresh() {
    tx_.reset();
    rx_.reset();
    auto [tx, rx] = rill::oneshot<tracked>();
    tx_.emplace(std::move(tx));
    rx_.emplace(std::move(rx));
    state_ = state::waiting;
  }

  /// What a receive should find now: the value (taking it), or why not.
  template <class Result>
  void received(Result& r) {
    if (state_ == state::holding) {
      check(r.has_value() && r->payload == value_, "a oneshot receive missed its value");
      state_ = state::taken;
      return;
    }
    check(!r.has_value(), "a oneshot receive found a value the model does not have");
    const bool gone = state_ != state::waiting;
    if constexpr (std::is_same_v<typename Result::error_type, rill::try_recv_error>)
      check(r.error() == (gone ? rill::try_recv_error::disconnected : rill::try_recv_error::empty), "try_recv reason");
    else
      check(r.error() == (gone ? rill::recv_timeout_error::disconnected : rill::recv_timeout_error::timeout),
            "recv_timeout reason");
  }

  /// A receive after the value was taken is a misuse, refused with
  /// std::logic_error; otherwise `receive` runs.
  template <class Receive>
  void receive_or_refused(Receive receive) {
    if (state_ != state::taken) return receive();
    bool refused = false;
    try {
      receive();
    } catch (const std::logic_error&) {
      refused = true;
    }
    check(refused, "a second receive of a oneshot was not refused");
  }

  void step(unsigned op, unsigned arg) {
    switch (op) {
      case 0:
        if (arg % 8 == 0) fresh();
        break;
      case 1:
        if (tx_ && *tx_) {  // send, consuming the sender
          const int v = next_payload_++;
          auto r = std::move(*tx_).send(make(v));
          check(!*tx_, "a sender that sent is not empty");
          if (rx_) {
            check(r.has_value(), "a oneshot send failed with its receiver there");
            value_ = v;
            state_ = state::holding;
          } else {
            check(!r && r.error().value.payload == v, "a refused oneshot send did not hand its value back");
          }
        }
        break;
      case 2:
        if (tx_ && *tx_) {  // the sender goes unsent
          tx_.reset();
          if (state_ == state::waiting) state_ = state::sender_gone;
        }
        break;
      case 3:
        if (rx_) receive_or_refused([this] {
            auto r = rx_->try_recv();
            received(r);
          });
        break;
      case 4:
        if (rx_) receive_or_refused([this, arg] {
            auto r = rx_->recv_timeout(std::chrono::nanoseconds(arg % 2));
            received(r);
          });
        break;
      case 5:
        if (rx_ && state_ != state::waiting) receive_or_refused([this] {  // recv, where it cannot block
            auto r = rx_->recv();
            check(r.has_value() == (state_ == state::holding), "a oneshot recv disagrees with the model");
            if (r) check(r->payload == value_, "a oneshot recv returned another value");
            if (r) state_ = state::taken;
          });
        break;
      case 6:
        if (rx_) receive_or_refused([this] {  // a receive arm of try_select, beside an idle channel
            auto [idle_tx, idle_rx] = rill::channel<int>();
            auto won = rill::try_select(rill::recv(*rx_), rill::recv(idle_rx));
            check(won.has_value() == (state_ != state::waiting), "a oneshot arm's readiness disagrees with the model");
            if (won) {
              auto& r = std::get<0>(*won);
              check(r.has_value() == (state_ == state::holding), "a oneshot arm's result disagrees with the model");
              if (r) check(r->payload == value_, "a oneshot arm returned another value");
              if (r) state_ = state::taken;
            }
          });
        break;
      case 7:
        if (rx_) {
          rx_.reset();
          if (state_ == state::holding) state_ = state::taken;  // destroyed with the receiver
        }
        break;
      default:
        if (rx_) check(rx_->is_ready() == (state_ == state::holding), "is_ready() disagrees with the model");
        if (tx_ && *tx_) check(tx_->is_closed() == !rx_, "is_closed() disagrees with the model");
        break;
    }
  }

  std::optional<rill::oneshot_sender<tracked>> tx_;
  std::optional<rill::oneshot_receiver<tracked>> rx_;
  state state_ = state::waiting;
  int value_ = -1;
};

// ---- watch -----------------------------------------------------------------------

class watch_harness : harness_base {
 public:
  explicit watch_harness(tracked::counters& counts) : harness_base(counts) {
    auto [tx, rx] = rill::watch<tracked>(make(value_));
    txs_.push_back(std::move(tx));
    rxs_.push_back(std::move(rx));
    seen_.push_back(0);
  }

  void run(input& in) {
    each_step(in, 14, [this](unsigned op, unsigned arg) { step(op, arg); });
  }

 private:
  void changed_to(int v) {
    value_ = v;
    ++version_;
  }

  /// A wait for a change on receiver k: done (marking it seen) or why not.
  template <class Result>
  void waited(std::size_t k, const Result& r) {
    if (seen_[k] != version_) {
      check(r.has_value(), "a change the receiver had not seen was not reported");
      seen_[k] = version_;
      return;
    }
    check(!r.has_value(), "a change was reported that the receiver had seen");
  }

  void step(unsigned op, unsigned arg) {
    const rill::watch_sender<tracked>* tx = txs_.empty() ? nullptr : &txs_[arg % txs_.size()];
    const std::size_t k = rxs_.empty() ? 0 : arg % rxs_.size();
    rill::watch_receiver<tracked>* rx = rxs_.empty() ? nullptr : &rxs_[k];
    switch (op) {
      case 0:
        if (tx) {  // send: refused once no receiver is left
          const int v = next_payload_++;
          auto r = tx->send(make(v));
          check(r.has_value() == !rxs_.empty(), "a watch send disagrees with the receiver count");
          if (r)
            changed_to(v);
          else
            check(r.error().value.payload == v, "a refused watch send did not hand its value back");
        }
        break;
      case 1:
        if (tx) {
          const int v = next_payload_++;
          tx->send_modify([v](tracked& t) { t.payload = v; });
          changed_to(v);
        }
        break;
      case 2:
        if (tx) {  // send_if_modified: tells only when it says it changed something
          const int v = next_payload_++;
          const bool modify = arg & 1;
          const bool told = tx->send_if_modified([&](tracked& t) {
            if (modify) t.payload = v;
            return modify;
          });
          check(told == modify, "send_if_modified returned another flag");
          if (modify) changed_to(v);
        }
        break;
      case 3:
        if (tx) {
          const int v = next_payload_++;
          tracked old = tx->send_replace(make(v));
          check(old.payload == value_, "send_replace returned another old value");
          changed_to(v);
        }
        break;
      case 4:
        if (tx) {
          rxs_.push_back(tx->subscribe());
          seen_.push_back(version_);
        }
        break;
      case 5:
        if (rx) {
          rxs_.push_back(*rx);
          seen_.push_back(seen_[k]);
        }
        break;
      case 6:
        drop_one(txs_, rxs_, seen_, arg);
        break;
      case 7:
        if (tx) txs_.push_back(*tx);
        break;
      case 8:
        if (rx) {
          auto r = rx->changed_timeout(std::chrono::nanoseconds(arg % 2));
          waited(k, r);
          if (!r)
            check(r.error() == (txs_.empty() ? rill::recv_timeout_error::disconnected : rill::recv_timeout_error::timeout),
                  "changed_timeout's reason disagrees with the model");
        }
        break;
      case 9:
        if (rx && (seen_[k] != version_ || txs_.empty())) {  // changed(), where it cannot block
          auto r = rx->changed();
          waited(k, r);
        }
        break;
      case 10:
        if (rx) {
          const bool update = arg & 2;
          auto ref = update ? rx->borrow_and_update() : rx->borrow();
          check(ref->payload == value_ && ref.version() == version_, "a borrow saw another value or version");
          check(ref.has_changed() == (seen_[k] != version_), "a borrow's has_changed disagrees with the model");
          if (update) seen_[k] = version_;
        }
        break;
      case 11:
        if (rx) {
          if (arg & 2) {
            rx->mark_changed();
            seen_[k] = version_ - 1;
          } else {
            rx->mark_unchanged();
            seen_[k] = version_;
          }
        }
        break;
      case 12:
        if (rx) {  // a changed() arm of try_select
          auto [idle_tx, idle_rx] = rill::channel<int>();
          auto won = rill::try_select(rill::changed(*rx), rill::recv(idle_rx));
          const bool ready = seen_[k] != version_ || txs_.empty();
          check(won.has_value() == ready, "a watch arm's readiness disagrees with the model");
          if (won) waited(k, std::get<0>(*won));
        }
        break;
      default:
        if (rx) {
          check(rx->has_changed() == (seen_[k] != version_), "has_changed() disagrees with the model");
          check(rx->is_closed() == txs_.empty(), "is_closed() disagrees with the model");
          check(rx->receiver_count() == rxs_.size() && rx->sender_count() == txs_.size(), "handle counts");
        }
        if (tx) check(tx->borrow()->payload == value_, "a sender's borrow saw another value");
        break;
    }
  }

  std::vector<rill::watch_sender<tracked>> txs_;
  std::vector<rill::watch_receiver<tracked>> rxs_;
  std::vector<std::uint64_t> seen_;  ///< per receiver, as rxs_
  int value_ = -1;
  std::uint64_t version_ = 0;
};

// ---- broadcast -------------------------------------------------------------------

class broadcast_harness : harness_base {
 public:
  broadcast_harness(tracked::counters& counts, std::uint8_t kind) : harness_base(counts) {
    capacity_ = 1 + kind % 4;
    policy_ = (kind / 4) % 2 == 0 ? rill::broadcast_overflow::lag : rill::broadcast_overflow::wait;
    auto [tx, rx] = rill::broadcast<tracked>(capacity_, policy_);
    txs_.push_back(std::move(tx));
    rxs_.push_back(std::move(rx));
    next_.push_back(0);
  }

  void run(input& in) {
    each_step(in, 12, [this](unsigned op, unsigned arg) { step(op, arg); });
  }

 private:
  /// The oldest message still held.
  std::uint64_t head() const { return tail_ > capacity_ ? tail_ - capacity_ : 0; }

  /// Under `wait`, a send waits while some receiver has not read the
  /// message it would overwrite.
  bool full() const {
    if (policy_ != rill::broadcast_overflow::wait) return false;
    for (std::uint64_t n : next_)
      if (tail_ - n >= capacity_) return true;
    return false;
  }

  void sent(int v) {
    payloads_.push_back(v);
    if (payloads_.size() > capacity_) payloads_.pop_front();
    ++tail_;
  }

  int payload_of(std::uint64_t seq) const { return payloads_[static_cast<std::size_t>(seq - head())]; }

  /// What a receive on receiver k should find: a lag (moving it to the
  /// oldest held), the next message, or nothing.
  template <class Result>
  void received(std::size_t k, Result& r) {
    std::uint64_t& next = next_[k];
    if (next < head()) {
      check(!r && r.error().is_lagged() && r.error().missed() == head() - next, "a lag was not reported as the model's");
      next = head();
      return;
    }
    if (next < tail_) {
      check(r.has_value() && r->payload == payload_of(next), "a broadcast receive missed the next message");
      ++next;
      return;
    }
    check(!r.has_value() && !r.error().is_lagged(), "a broadcast receive found a message the model does not have");
    check(r.error().is_disconnected() == txs_.empty(), "a broadcast receive's disconnected disagrees with the model");
  }

  void step(unsigned op, unsigned arg) {
    const rill::broadcast_sender<tracked>* tx = txs_.empty() ? nullptr : &txs_[arg % txs_.size()];
    const std::size_t k = rxs_.empty() ? 0 : arg % rxs_.size();
    rill::broadcast_receiver<tracked>* rx = rxs_.empty() ? nullptr : &rxs_[k];
    switch (op) {
      case 0:
        if (tx) {  // try_send
          const int v = next_payload_++;
          auto r = tx->try_send(make(v));
          const bool ok = !rxs_.empty() && !full();
          check(r.has_value() == ok, "a broadcast try_send disagrees with the model");
          if (ok) {
            sent(v);
          } else {
            check(r.error().value.payload == v, "a refused try_send did not hand its value back");
            check(r.error().is_full() == !rxs_.empty(), "a refused try_send gave the wrong reason");
          }
        }
        break;
      case 1:
        if (tx && (rxs_.empty() || !full())) {  // send, where it cannot block
          const int v = next_payload_++;
          auto r = tx->send(make(v));
          check(r.has_value() == !rxs_.empty(), "a broadcast send disagrees with the receiver count");
          if (r) sent(v);
        }
        break;
      case 2:
        if (tx) {
          rxs_.push_back(tx->subscribe());
          next_.push_back(tail_);
        }
        break;
      case 3:
        if (rx) {  // a copy continues where the original is
          rxs_.push_back(*rx);
          next_.push_back(next_[k]);
        }
        break;
      case 4:
        if (rx) {
          rxs_.push_back(rx->resubscribe());
          next_.push_back(tail_);
        }
        break;
      case 5:
        drop_one(txs_, rxs_, next_, arg);
        break;
      case 6:
        if (tx) txs_.push_back(*tx);
        break;
      case 7:
        if (rx) {
          auto r = rx->try_recv();
          received(k, r);
        }
        break;
      case 8:
        if (rx) {
          auto r = rx->recv_timeout(std::chrono::nanoseconds(arg % 2));
          received(k, r);
        }
        break;
      case 9:
        if (rx && (next_[k] < tail_ || txs_.empty())) {  // recv, where it cannot block
          auto r = rx->recv();
          received(k, r);
        }
        break;
      case 10:
        if (rx) {  // a receive arm of try_select
          auto [idle_tx, idle_rx] = rill::channel<int>();
          auto won = rill::try_select(rill::recv(*rx), rill::recv(idle_rx));
          check(won.has_value() == (next_[k] < tail_ || txs_.empty()), "a broadcast arm's readiness disagrees");
          if (won) received(k, std::get<0>(*won));
        }
        break;
      default:
        if (rx) {
          const std::uint64_t from = next_[k] < head() ? head() : next_[k];
          check(rx->size() == tail_ - from, "size() disagrees with the model");
          check(rx->is_closed() == txs_.empty(), "is_closed() disagrees with the model");
          check(rx->receiver_count() == rxs_.size() && rx->sender_count() == txs_.size(), "handle counts");
        }
        if (tx) check(tx->is_closed() == rxs_.empty(), "a sender's is_closed() disagrees with the model");
        break;
    }
  }

  std::size_t capacity_;
  rill::broadcast_overflow policy_;
  std::vector<rill::broadcast_sender<tracked>> txs_;
  std::vector<rill::broadcast_receiver<tracked>> rxs_;
  std::vector<std::uint64_t> next_;  ///< per receiver, as rxs_: the next message it reads
  std::deque<int> payloads_;         ///< the messages held, oldest first
  std::uint64_t tail_ = 0;           ///< messages sent so far
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  tracked::counters counts;
  const std::uint8_t kind = in.next();
  switch (kind % 3) {
    case 0: {
      oneshot_harness h(counts);
      h.run(in);
      break;
    }
    case 1: {
      watch_harness h(counts);
      h.run(in);
      break;
    }
    default: {
      broadcast_harness h(counts, static_cast<std::uint8_t>(kind / 3));
      h.run(in);
      break;
    }
  }
  if (counts.live.load() != 0) {
    std::fprintf(stderr, "kinds_fuzz: %ld messages outlived every handle\n", counts.live.load());
    std::abort();
  }
  return 0;
}
