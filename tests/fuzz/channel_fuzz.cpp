// A libFuzzer harness: the input bytes decode into one channel kind and a
// sequence of single-threaded operations on it — every non-blocking,
// timed and (where the model says it cannot block) blocking form, the batch
// forms, waits whose stop token was triggered first, try_select, permits
// (reserved, sent, released, won by a select arm), handle copies and drops,
// overflow policies (whose drops, and the last receiver's discards, the
// undelivered hook must see in the model's order),
// weak senders, close, and asynchronous sends and
// receives on an io_context, with callbacks or awaited in rill::tasks
// (rill::use_task), cancelled at chosen points and run with poll(). A
// reference model (a deque, the waiting asynchronous sends and task
// receives, the closed flag) predicts every synchronous result and checks
// every completion when it runs; after each poll() no waiting receive may
// be left behind while the model has something for it. A ledger
// (support/ledger.hpp) checks that every message ended exactly once.
//
// Built with clang's -fsanitize=fuzzer it is the fuzzer; built with any
// compiler and fuzz_replay_main.cpp it replays the corpus as a test.
#include <rill/rill.hpp>
#include <rill/task.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <stop_token>
#include <vector>

#include "support/ledger.hpp"

namespace {

using rill_test::ledger;
using rill_test::ledgered;

[[noreturn]] void fail(const char* what, std::size_t step) {
  std::fprintf(stderr, "channel_fuzz: step %zu: %s\n", step, what);
  std::abort();
}

/// The reads of one input; past its end everything reads as 0.
class input {
 public:
  input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  std::size_t size() const { return size_; }
  std::uint8_t next() { return pos_ < size_ ? data_[pos_++] : 0; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// An asynchronous operation the model follows: with a callback, or
/// awaited in a rill::task.
struct async_op {
  enum class expect { waiting, done, disconnected, aborted };
  bool is_send = false;
  bool in_task = false;
  bool started = true;                 ///< a task's: once the task has run up to its co_await
  ledger::id_type id = ledger::no_id;  ///< a send's message; the message a task's receive gets
  expect outcome = expect::waiting;    ///< sends and task receives: what the model predicts
  bool cancel_requested = false;       ///< callback receives: aborted once resumed
  bool completed = false;
  asio::cancellation_signal signal;
};

class harness {
 public:
  harness(input& in) : in_(in), book_(ledger_size(in)) {
    const std::uint8_t k = in_.next();
    switch (k % 3) {
      case 0:
        capacity_ = std::nullopt;
        break;
      case 1:
        capacity_ = 1 + (k / 3) % 4;
        policy_ = static_cast<rill::overflow>(k / 12 % 4);
        break;
      default:
        capacity_ = 0;
    }
    rill::undelivered_hook<ledgered> hook = [this](ledgered&& m) { hooked_.push_back(m.receive()); };
    auto [tx, rx] = capacity_ ? rill::sync_channel<ledgered>(*capacity_, policy_, std::move(hook))
                              : rill::channel<ledgered>(std::move(hook));
    txs_.push_back(std::move(tx));
    rxs_.push_back(std::move(rx));
  }

  void run() {
    while (!in_.done() && step_ < max_steps) {
      const std::uint8_t b = in_.next();
      step(b % op_count, b / op_count);
      ++step_;
    }
    // Tear down: every handle goes, every operation completes. Tasks hold
    // handles of their own: each one runs, and those still waiting are
    // cancelled, so that they end and drop them.
    poll();
    for (auto& op : ops_)
      if (op->in_task && !op->completed) cancel(*op, asio::cancellation_type::terminal);
    poll();
    while (!permits_.empty()) {
      take_permit(0).release();
      model_slot_freed();
    }
    txs_.clear();
    model_close();
    rxs_.clear();
    model_discard();
    poll();
    check_hooked();
    for (auto& op : ops_)
      if (!op->completed) fail("an operation did not complete after every handle was gone", step_);
    ops_.clear();
  }

  static constexpr std::size_t max_steps = 2000;

  /// Room in the ledger for every message a run can make: one byte is one
  /// step, and a step makes at most a try_send_many's 5 messages.
  static std::size_t ledger_size(const input& in) { return 5 * std::min(in.size(), max_steps) + 16; }

  void verify() {
    book_.allow_discards();  // every receiver is gone at the end
    const std::string problems = book_.verify();
    if (!problems.empty()) {
      std::fprintf(stderr, "%s", problems.c_str());
      fail("ledger does not balance", step_);
    }
  }

 private:
  // ---- the model ------------------------------------------------------------

  /// Reserved slots count as full, as in the core.
  bool room() const {
    return !closed_ && (!capacity_ || (*capacity_ > 0 && buffered_.size() + permits_.size() < *capacity_));
  }
  /// Whether a send completes now: room, or a full channel whose policy
  /// drops instead of waiting.
  bool send_ready() const {
    return room() || (!closed_ && !waiting_recvs_.empty()) ||
           (!closed_ && capacity_.value_or(0) > 0 && policy_ != rill::overflow::wait);
  }

  /// A send that completes hands `id` to the oldest waiting task receive
  /// (the buffer is empty then), or puts it in the buffer or, on a full
  /// channel, drops what the policy says.
  void model_buffer(ledger::id_type id) {
    if (!waiting_recvs_.empty()) {
      async_op* r = waiting_recvs_.front();
      waiting_recvs_.pop_front();
      r->id = id;
      r->outcome = async_op::expect::done;
      return;
    }
    if (room()) return buffered_.push_back(id);
    if (policy_ == rill::overflow::drop_newest || buffered_.empty()) return model_drop(id);
    do {
      model_drop(buffered_.front());
      buffered_.pop_front();
    } while (policy_ == rill::overflow::keep_latest && !buffered_.empty());
    buffered_.push_back(id);
  }

  /// The channel destroys `id` undelivered: the hook gets it.
  void model_drop(ledger::id_type id) {
    expected_drops_.push_back(id);
    ++undelivered_;
  }

  /// The hook saw exactly what the model dropped or discarded, in order.
  void check_hooked() {
    check(std::equal(hooked_.begin(), hooked_.end(), expected_drops_.begin(), expected_drops_.end()),
          "the undelivered hook saw other messages than the model dropped");
    hooked_.clear();
    expected_drops_.clear();
  }

  bool recv_ready() const { return !buffered_.empty() || !waiting_sends_.empty() || closed_; }

  /// What a receive takes now, if anything: the oldest buffered message (a
  /// waiting send's value then moves into the freed slot), or on a
  /// rendezvous channel the oldest waiting send's value.
  std::optional<ledger::id_type> model_take() {
    if (!buffered_.empty()) {
      const auto id = buffered_.front();
      buffered_.pop_front();
      if (!waiting_sends_.empty()) {
        async_op* s = waiting_sends_.front();
        waiting_sends_.pop_front();
        buffered_.push_back(s->id);
        s->outcome = async_op::expect::done;
      }
      return id;
    }
    if (!waiting_sends_.empty()) {
      async_op* s = waiting_sends_.front();
      waiting_sends_.pop_front();
      s->outcome = async_op::expect::done;
      return s->id;
    }
    return std::nullopt;
  }

  /// A slot given back by a permit goes to the oldest waiting send.
  void model_slot_freed() {
    if (closed_ || waiting_sends_.empty()) return;
    async_op* s = waiting_sends_.front();
    waiting_sends_.pop_front();
    buffered_.push_back(s->id);
    s->outcome = async_op::expect::done;
  }

  /// The last sender or permit went: the channel disconnects.
  void model_senders_gone() {
    if (txs_.empty() && permits_.empty() && task_senders_ == 0) model_close();
  }

  /// The last receiver went: what is buffered is discarded.
  void model_receivers_gone() {
    if (rxs_.empty() && task_receivers_ == 0) model_discard();
  }

  void model_close() {
    closed_ = true;
    for (async_op* s : waiting_sends_) s->outcome = async_op::expect::disconnected;
    waiting_sends_.clear();
    for (async_op* r : waiting_recvs_) r->outcome = async_op::expect::disconnected;
    waiting_recvs_.clear();
  }

  /// What is buffered goes to the hook.
  void model_discard() {
    model_close();
    for (const auto id : buffered_) model_drop(id);
    buffered_.clear();
  }

  // ---- helpers -------------------------------------------------------------------

  void check(bool ok, const char* what) {
    if (!ok) fail(what, step_);
  }

  ledgered make() { return ledgered(book_, 0, 0, sequence_++); }

  /// A received message must be the one the model takes now.
  void received(ledgered& m) {
    const auto expected = model_take();
    check(expected.has_value(), "received a message the model does not have");
    check(m.id() == *expected, "received a message out of order");
    m.receive();
  }

  /// A receive that found nothing: empty, or disconnected once closed.
  void nothing_received(bool disconnected) {
    check(buffered_.empty() && waiting_sends_.empty(), "a receive missed a ready message");
    check(disconnected == closed_, "a receive's empty/disconnected does not match the model");
  }

  /// A synchronous send's outcome: `sent`, or refused with `back`.
  template <class Error>
  void send_outcome(bool sent, Error* error, ledger::id_type id, bool disconnected) {
    if (sent) {
      check(send_ready(), "a send succeeded where the model has no room");
      model_buffer(id);
      book_.mark_sent(id);
      return;
    }
    check(!send_ready(), "a send was refused where the model has room");
    check(disconnected == closed_, "a send's full/disconnected does not match the model");
    check(error->value.id() == id, "a refused send handed back another message");
    error->value.take_back();
  }

  const rill::sender<ledgered>* some_sender(unsigned arg) {
    return txs_.empty() ? nullptr : &txs_[arg % txs_.size()];
  }
  const rill::receiver<ledgered>* some_receiver(unsigned arg) {
    return rxs_.empty() ? nullptr : &rxs_[arg % rxs_.size()];
  }

  // ---- asynchronous operations ----------------------------------------------------

  /// An asynchronous send of a new message starts: what the model predicts.
  ledgered predict_send(async_op& op) {
    ledgered m = make();
    op.id = m.id();
    if (closed_) {
      op.outcome = async_op::expect::disconnected;
    } else if (send_ready()) {
      model_buffer(op.id);
      op.outcome = async_op::expect::done;
    } else {
      waiting_sends_.push_back(&op);
    }
    return m;
  }

  void start_async_send(const rill::sender<ledgered>& tx) {
    auto& op = *ops_.emplace_back(std::make_unique<async_op>());
    op.is_send = true;
    ledgered m = predict_send(op);
    tx.async_send(std::move(m), asio::bind_cancellation_slot(
                                    op.signal.slot(),
                                    asio::bind_executor(io_, [this, &op](std::error_code ec, std::optional<ledgered> back) {
                                      send_completed(op, ec, back);
                                    })));
  }

  void send_completed(async_op& op, std::error_code ec, std::optional<ledgered>& back) {
    op.completed = true;
    switch (op.outcome) {
      case async_op::expect::waiting:
        fail("an async send completed while the model has it waiting", step_);
      case async_op::expect::done:
        check(!ec && !back, "an async send the model completed did not report success");
        book_.mark_sent(op.id);
        return;
      case async_op::expect::disconnected:
        check(ec == rill::errc::disconnected, "an async send on a closed channel did not fail with disconnected");
        break;
      case async_op::expect::aborted:
        check(ec == asio::error::operation_aborted, "a cancelled async send did not fail with operation_aborted");
        break;
    }
    check(back.has_value() && back->id() == op.id, "a failed async send did not hand its message back");
    back->take_back();
  }

  void start_async_recv(const rill::receiver<ledgered>& rx) {
    auto& op = *ops_.emplace_back(std::make_unique<async_op>());
    rx.async_recv(asio::bind_cancellation_slot(
        op.signal.slot(), asio::bind_executor(io_, [this, &op](std::error_code ec, std::optional<ledgered> m) {
          recv_completed(op, ec, m);
        })));
  }

  void recv_completed(async_op& op, std::error_code ec, std::optional<ledgered>& m) {
    op.completed = true;
    if (op.cancel_requested) {
      check(ec == asio::error::operation_aborted && !m, "a cancelled async receive did not complete aborted");
      return;
    }
    if (!ec) {
      check(m.has_value(), "an async receive succeeded without a message");
      return received(*m);
    }
    check(ec == rill::errc::disconnected, "an async receive failed other than disconnected");
    check(buffered_.empty() && waiting_sends_.empty() && closed_, "an async receive saw disconnected too early");
  }

  // ---- operations awaited in rill::tasks ------------------------------------------
  // A task runs when the io_context next runs (poll), and the model predicts
  // its operation then, just before the co_await, as it does for a callback
  // operation when it starts. A task's receive waits as a direct receiver:
  // a send hands it the message at once. The model follows those only while
  // no callback receive is pending, whose notify-only wake-ups it cannot
  // order against them. Each task holds a handle of its own (an awaiter
  // refers to the channel through the handle it was made from), counted as
  // a sender or receiver until the task drops it.

  /// An operation for a task that holds a handle of `is_send`'s side.
  async_op& new_task_op(bool is_send) {
    auto& op = *ops_.emplace_back(std::make_unique<async_op>());
    op.is_send = is_send;
    op.in_task = true;
    op.started = false;
    ++(is_send ? task_senders_ : task_receivers_);
    return op;
  }

  /// Starts `task`, cancelled through `op`'s signal; its handler checks
  /// that it ended without an exception.
  void spawn(async_op& op, rill::task<void> task) {
    rill::spawn(io_, std::move(task), asio::bind_cancellation_slot(op.signal.slot(), [this, &op](std::exception_ptr e) {
                  check(e == nullptr, "a task threw");
                  check(op.completed, "a task ended before its operation completed");
                }));
  }

  /// A task drops the handle it held (`handle`, of `is_send`'s side).
  template <class Handle>
  void task_handle_dropped(Handle& handle, bool is_send) {
    { const Handle dropped = std::move(handle); }
    if (is_send) {
      --task_senders_;
      model_senders_gone();
    } else {
      --task_receivers_;
      model_receivers_gone();
    }
  }

  static rill::task<void> task_send(harness& h, async_op& op, rill::sender<ledgered> tx) {
    op.started = true;
    ledgered m = h.predict_send(op);
    auto [ec, back] = co_await tx.async_send(std::move(m), asio::experimental::as_tuple(rill::use_task));
    h.send_completed(op, ec, back);
    h.task_handle_dropped(tx, true);
  }

  static rill::task<void> task_recv(harness& h, async_op& op, rill::receiver<ledgered> rx) {
    op.started = true;
    h.predict_task_recv(op);
    auto [ec, m] = co_await rx.async_recv(asio::experimental::as_tuple(rill::use_task));
    h.task_recv_completed(op, ec, m);
    h.task_handle_dropped(rx, false);
  }

  bool receive_pending(bool in_task) const {
    return std::any_of(ops_.begin(), ops_.end(),
                       [&](const auto& op) { return !op->is_send && op->in_task == in_task && !op->completed; });
  }

  /// A task's receive starts: it takes what the model has now, or waits.
  void predict_task_recv(async_op& op) {
    if (const auto id = model_take()) {
      op.id = *id;
      op.outcome = async_op::expect::done;
    } else if (closed_) {
      op.outcome = async_op::expect::disconnected;
    } else {
      waiting_recvs_.push_back(&op);
    }
  }

  void task_recv_completed(async_op& op, std::error_code ec, std::optional<ledgered>& m) {
    op.completed = true;
    switch (op.outcome) {
      case async_op::expect::waiting:
        fail("a task receive completed while the model has it waiting", step_);
      case async_op::expect::done:
        check(!ec && m.has_value(), "a task receive the model completed did not get a message");
        check(m->id() == op.id, "a task receive got another message than the model handed it");
        m->receive();
        return;
      case async_op::expect::disconnected:
        check(ec == rill::errc::disconnected && !m, "a task receive on a closed channel did not fail with disconnected");
        return;
      case async_op::expect::aborted:
        check(ec == asio::error::operation_aborted && !m, "a cancelled task receive did not complete aborted");
        return;
    }
  }

  void cancel(unsigned arg) {
    if (ops_.empty()) return;
    const auto type = arg % 3 == 0 ? asio::cancellation_type::terminal
                      : arg % 3 == 1 ? asio::cancellation_type::partial
                                     : asio::cancellation_type::total;
    cancel(*ops_[arg % ops_.size()], type);
  }

  /// A send, or a task's receive, still waiting is withdrawn; one that a
  /// partner completed already, or a task's that has not started (its task
  /// has no operation to cancel yet), is not. A callback receive reports the
  /// cancellation whenever it comes before the handler runs.
  void cancel(async_op& op, asio::cancellation_type type) {
    if (op.completed) return;
    if (op.is_send || op.in_task) {
      if (op.started && op.outcome == async_op::expect::waiting) {
        std::erase(op.is_send ? waiting_sends_ : waiting_recvs_, &op);
        op.outcome = async_op::expect::aborted;
      }
    } else {
      op.cancel_requested = true;
    }
    op.signal.emit(type);
  }

  void poll() {
    io_.restart();
    io_.poll();
    // Nothing is left behind: a receive still waiting means the model has
    // nothing for it, and a send still pending is one the model has waiting.
    for (auto& op : ops_) {
      if (op->completed) continue;
      if (op->in_task) {
        check(op->started, "a spawned task has not run");
        check(op->outcome == async_op::expect::waiting, "a task operation the model finished has not completed");
        check(op->is_send || !recv_ready(), "a task receive is stuck while the channel has something for it");
      } else if (op->is_send)
        check(op->outcome == async_op::expect::waiting, "an async send the model finished has not completed");
      else if (!op->cancel_requested)
        check(!recv_ready(), "an async receive is stuck while the channel has something for it");
      else
        fail("a cancelled async receive has not completed", step_);
    }
  }

  // ---- one operation ---------------------------------------------------------------

  static constexpr unsigned op_count = 23;

  void step(unsigned op, unsigned arg) {
    const auto* tx = some_sender(arg);
    const auto* rx = some_receiver(arg);
    switch (op) {
      case 0:
        if (tx) {  // try_send
          ledgered m = make();
          const auto id = m.id();
          auto r = tx->try_send(std::move(m));
          send_outcome(r.has_value(), r ? nullptr : &r.error(), id, !r && r.error().is_disconnected());
        }
        break;
      case 1:
        if (tx) {  // send_timeout(0)
          ledgered m = make();
          const auto id = m.id();
          auto r = tx->send_timeout(std::move(m), std::chrono::nanoseconds(arg % 2));
          send_outcome(r.has_value(), r ? nullptr : &r.error(), id, !r && r.error().is_disconnected());
        }
        break;
      case 2:
        if (tx && (send_ready() || closed_)) {  // send, where it cannot block
          ledgered m = make();
          const auto id = m.id();
          auto r = tx->send(std::move(m));
          send_outcome(r.has_value(), r ? nullptr : &r.error(), id, !r);
        }
        break;
      case 3:
        if (rx) {  // try_recv
          auto r = rx->try_recv();
          if (r)
            received(*r);
          else
            nothing_received(r.error() == rill::try_recv_error::disconnected);
        }
        break;
      case 4:
        if (rx) {  // recv_timeout(0)
          auto r = rx->recv_timeout(std::chrono::nanoseconds(arg % 2));
          if (r)
            received(*r);
          else
            nothing_received(r.error() == rill::recv_timeout_error::disconnected);
        }
        break;
      case 5:
        if (rx && recv_ready()) {  // recv, where it cannot block
          auto r = rx->recv();
          if (r)
            received(*r);
          else
            nothing_received(true);
        }
        break;
      case 6:
        if (rx && recv_ready()) {  // recv_many
          std::vector<ledgered> got;
          got.reserve(arg + 1);
          const std::size_t n = rx->recv_many(got, arg + 1);
          check(n == got.size(), "recv_many miscounted");
          for (auto& m : got) received(m);
          if (n == 0) nothing_received(true);
          else if (n < arg + 1) check(buffered_.empty() && waiting_sends_.empty(), "recv_many stopped early");
        }
        break;
      case 7:
        if (rx) {  // try_iter
          for (ledgered& m : rx->try_iter()) received(m);
          check(buffered_.empty() && waiting_sends_.empty(), "try_iter stopped early");
        }
        break;
      case 8:
        copy_or_drop(txs_, arg, [this] { model_senders_gone(); });
        break;
      case 9:
        copy_or_drop(rxs_, arg, [this] { model_receivers_gone(); });
        break;
      case 10:  // close, rarely
        if (arg == 0 && tx) {
          tx->close();
          model_close();
        } else if (arg == 1 && rx) {
          rx->close();
          model_close();
        }
        break;
      case 11:
      case 12:
        if (tx && arg % 2 == 0) {
          start_async_send(*tx);
        } else if (tx) {
          async_op& op = new_task_op(true);
          spawn(op, task_send(*this, op, *tx));
        }
        break;
      case 13:
      case 14:
        if (rx && arg % 2 == 0 && !receive_pending(true)) {
          start_async_recv(*rx);
        } else if (rx && arg % 2 == 1 && !receive_pending(false)) {
          async_op& op = new_task_op(false);
          spawn(op, task_recv(*this, op, *rx));
        }
        break;
      case 15:
        cancel(arg);
        break;
      case 16:
        poll();
        break;
      case 17:
        if (tx && rx) select(*tx, *rx, arg);
        break;
      case 18:
        if (tx) try_send_many(*tx, arg % 6);
        break;
      case 19:
        if (rx) {  // try_recv_many
          std::vector<ledgered> got;
          const std::size_t max = arg % 5;
          got.reserve(max);  // a reallocation would copy: a copy is a new message to the ledger
          const std::size_t n = rx->try_recv_many(got, max);
          check(n == got.size(), "try_recv_many miscounted");
          for (auto& m : got) received(m);
          if (n < max) check(buffered_.empty() && waiting_sends_.empty(), "try_recv_many stopped early");
        }
        break;
      case 20:
        stopped_waits(tx, rx);
        break;
      case 21:
        permits(tx, arg);
        break;
      default:
        weak_upgrade(arg);
        break;
    }
    observe();
    check_hooked();
  }

  /// try_send_many of `count` new messages: the prefix the model has room
  /// for is sent, the rest is handed back untouched.
  void try_send_many(const rill::sender<ledgered>& tx, std::size_t count) {
    std::vector<ledgered> batch;
    batch.reserve(count);  // a reallocation would copy: a copy is a new message to the ledger
    for (std::size_t i = 0; i < count; ++i) batch.push_back(make());
    std::size_t expected = 0;
    while (expected < count && send_ready()) {
      model_buffer(batch[expected].id());
      book_.mark_sent(batch[expected].id());
      ++expected;
    }
    const std::size_t sent = tx.try_send_many(batch);
    check(sent == expected, "try_send_many sent other than what the model has room for");
    for (std::size_t i = sent; i < count; ++i) batch[i].take_back();
  }

  /// Permits: try_reserve, reserve_timeout(0), a blocking reserve where it
  /// cannot block, a reserve arm of try_select, try_reserve_many (buffered
  /// channels; its slots held as permits); then a send with a held
  /// permit, or a release. A reserve succeeds where the model has room (a
  /// rendezvous channel here has no receiver waiting in a thread to commit).
  void permits(const rill::sender<ledgered>* tx, unsigned arg) {
    // A reserve on a rendezvous channel would commit a waiting task receive
    // to the permit, which a release sends back to wait when its task runs:
    // an order the model does not follow.
    if (capacity_ == 0u && !waiting_recvs_.empty()) return;
    switch (arg % 7) {
      case 6:
        if (tx && capacity_ != 0u) {  // try_reserve_many, its slots taken out as permits
          const std::size_t n = 1 + arg / 7 % (capacity_ ? *capacity_ : 3);
          const std::size_t free = !capacity_ ? n : *capacity_ - buffered_.size() - permits_.size();
          auto batch = tx->try_reserve_many(n);
          check(batch.has_value() == (!closed_ && free >= n), "try_reserve_many disagrees with the model's room");
          if (!batch) return check(batch.error() == (closed_ ? rill::errc::disconnected : rill::errc::full),
                                   "a failed try_reserve_many gave the wrong reason");
          check(batch->size() == n, "try_reserve_many reserved another number of slots");
          while (!batch->empty()) permits_.push_back(batch->take());
        }
        return;
      case 0:
      case 1:
      case 2:
      case 3: {
        if (!tx || (arg % 7 == 2 && !room() && !closed_)) return;
        const bool expected = room();
        rill::expected<rill::permit<ledgered>, rill::errc> r = rill::unexpected(rill::errc::full);
        switch (arg % 7) {
          case 0:
            r = tx->try_reserve();
            break;
          case 1:
            r = tx->reserve_timeout(std::chrono::nanoseconds(arg / 7 % 2));
            break;
          case 2:
            r = tx->reserve();
            break;
          default:
            if (auto won = rill::try_select(rill::reserve(*tx))) r = std::move(std::get<0>(*won));
            break;
        }
        check(r.has_value() == expected, "a reserve disagrees with the model's room");
        if (r) return permits_.push_back(std::move(*r));
        if (arg % 7 == 3 && !closed_) return;  // try_select found nothing ready
        const auto why = closed_ ? rill::errc::disconnected : arg % 7 == 1 ? rill::errc::timeout : rill::errc::full;
        check(r.error() == why, "a failed reserve gave the wrong reason");
        return;
      }
      case 4:
        if (!permits_.empty()) {  // send with a held permit
          auto held = take_permit(arg / 7);
          ledgered m = make();
          const auto id = m.id();
          auto r = held.send(std::move(m));
          check(!held, "a permit that sent is not empty");
          if (closed_) {
            check(!r && r.error().value.id() == id, "a permit of a closed channel did not hand its value back");
            r.error().value.take_back();
          } else {
            check(r.has_value(), "a permit failed to send on an open channel");
            model_buffer(id);
            book_.mark_sent(id);
          }
          model_senders_gone();
        }
        return;
      default:
        if (!permits_.empty()) {  // give one back unused
          take_permit(arg / 7).release();
          model_slot_freed();
          model_senders_gone();
        }
        return;
    }
  }

  /// Takes a held permit out of the model's list (its slot is then no
  /// longer counted as reserved there).
  rill::permit<ledgered> take_permit(unsigned arg) {
    const auto at = permits_.begin() + static_cast<std::ptrdiff_t>(arg % permits_.size());
    rill::permit<ledgered> p = std::move(*at);
    permits_.erase(at);
    return p;
  }

  /// A receive and a send whose stop was requested before the call: both
  /// fail with stopped at once and change nothing.
  void stopped_waits(const rill::sender<ledgered>* tx, const rill::receiver<ledgered>* rx) {
    std::stop_source stop;
    stop.request_stop();
    if (rx) check(rx->recv(stop.get_token()) == rill::unexpected(rill::recv_timeout_error::stopped),
                  "a stopped receive did not report stopped");
    if (tx) {
      ledgered m = make();
      const auto id = m.id();
      auto r = tx->send(std::move(m), stop.get_token());
      check(!r && r.error().is_stopped() && r.error().value.id() == id, "a stopped send did not hand its value back");
      r.error().value.take_back();
    }
  }

  /// A weak sender made from a live sender and upgraded: it counts one
  /// sender more while it lives; with no sender left it upgrades to nothing.
  void weak_upgrade(unsigned arg) {
    if (txs_.empty()) return;
    rill::weak_sender<ledgered> weak = txs_[arg % txs_.size()].downgrade();
    auto strong = weak.upgrade();
    check(strong.has_value(), "a weak sender of a live sender did not upgrade");
    check(strong->sender_count() == senders() + 1, "an upgrade did not count one sender more");
    check(weak.weak_sender_count() == 1, "weak_sender_count() does not match");
  }

  /// Copies a handle, or drops one; `last_gone` updates the model when the
  /// last of its side is gone.
  template <class Handle, class F>
  static void copy_or_drop(std::vector<Handle>& handles, unsigned arg, F last_gone) {
    if (handles.empty()) return;
    if (arg % 2 == 0) {
      handles.push_back(handles[arg % handles.size()]);
      return;
    }
    handles.erase(handles.begin() + static_cast<std::ptrdiff_t>(arg % handles.size()));
    if (handles.empty()) last_gone();
  }

  /// try_select (or select with an expired timeout) over a receive and a
  /// send arm on the channel, either enabled, in random or biased order.
  void select(const rill::sender<ledgered>& tx, const rill::receiver<ledgered>& rx, unsigned arg) {
    const bool recv_on = arg & 1, send_on = arg & 2, biased = arg & 4, timed = arg & 8;
    ledgered m = make();
    const auto id = m.id();
    auto send_arm = rill::send(tx, std::move(m), send_on);
    const bool recv_ready_now = recv_on && recv_ready();
    const bool send_ready_now = send_on && (send_ready() || closed_);
    const auto order = biased ? rill::select_order::biased : rill::select_order::random;
    std::optional<std::size_t> winner;
    std::optional<rill::expected<ledgered, rill::recv_error>> recv_result;
    std::optional<rill::expected<void, rill::send_error<ledgered>>> send_result;
    auto record = [&](auto& r) {
      winner = r.index();
      if (r.index() == 0) recv_result.emplace(std::move(std::get<0>(r)));
      if (r.index() == 1) send_result.emplace(std::move(std::get<1>(r)));
    };
    if (timed) {
      auto r = rill::select(order, rill::recv(rx, recv_on), send_arm, rill::timeout(std::chrono::seconds(0)));
      if (r.index() != 2) record(r);
    } else if (auto r = rill::try_select(order, rill::recv(rx, recv_on), send_arm)) {
      record(*r);
    }
    if (!winner) {
      check(!recv_ready_now && !send_ready_now, "select found nothing although an arm was ready");
    } else if (*winner == 0) {
      check(recv_ready_now, "a receive arm won that was not ready");
      if (*recv_result)
        received(**recv_result);
      else
        nothing_received(true);
    } else {
      check(send_ready_now, "a send arm won that was not ready");
      check(!biased || !recv_ready_now, "biased select passed over a ready first arm");
      if (*send_result) {
        model_buffer(id);
        book_.mark_sent(id);
      } else {
        check(closed_, "a send arm failed on an open channel");
        check(send_result->error().value.id() == id, "a failed send arm handed back another message");
        send_result->error().value.take_back();
      }
    }
    if (auto back = send_arm.take_value()) {
      check(winner != std::size_t{1}, "a send arm that won kept its value");
      check(back->id() == id, "a losing send arm holds another message");
      back->take_back();
    }
  }

  std::size_t senders() const { return txs_.size() + permits_.size() + task_senders_; }

  /// The observers of any handle left agree with the model.
  void observe() {
    if (!txs_.empty()) observe(txs_.front());
    if (!rxs_.empty()) observe(rxs_.front());
  }

  template <class Handle>
  void observe(const Handle& h) {
    check(h.size() == buffered_.size(), "size() does not match the model");
    check(h.is_closed() == closed_, "is_closed() does not match the model");
    check(h.capacity() == capacity_, "capacity() changed");
    check(h.sender_count() == senders(), "sender_count() does not match (a permit and a task's handle count)");
    check(h.receiver_count() == rxs_.size() + task_receivers_, "receiver_count() does not match");
    check(h.waiting_senders() == waiting_sends_.size(), "waiting_senders() does not match the model");
    check(h.high_water_mark() >= h.size(), "high_water_mark() is below what is buffered");
    check(h.undelivered_count() == undelivered_, "undelivered_count() does not match the model");
    check(h.overflow_policy() == policy_, "overflow_policy() changed");
  }

  input& in_;
  ledger book_;
  std::optional<std::size_t> capacity_;
  rill::overflow policy_ = rill::overflow::wait;
  std::uint32_t sequence_ = 0;
  std::size_t step_ = 0;
  // Declared before the handles and operations, so that it outlives them.
  asio::io_context io_;
  std::vector<rill::sender<ledgered>> txs_;
  std::vector<rill::receiver<ledgered>> rxs_;
  std::vector<std::unique_ptr<async_op>> ops_;
  std::vector<rill::permit<ledgered>> permits_;  ///< held: each a reserved slot and a sender
  std::deque<ledger::id_type> buffered_;
  std::deque<async_op*> waiting_sends_;
  std::deque<async_op*> waiting_recvs_;  ///< task receives: direct, handed a message by the send that finds them
  std::size_t task_senders_ = 0;         ///< handles held by tasks
  std::size_t task_receivers_ = 0;
  bool closed_ = false;
  std::deque<ledger::id_type> expected_drops_;  ///< dropped or discarded by the model, not yet checked
  std::vector<ledger::id_type> hooked_;         ///< what the hook saw, not yet checked
  std::uint64_t undelivered_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  {
    harness h(in);
    h.run();
    h.verify();
  }
  return 0;
}
