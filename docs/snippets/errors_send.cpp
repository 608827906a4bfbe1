// A failed send hands its value back inside the error, even a move-only one,
// and the error says why: kind(), is_full() and friends, or a std::error_code.
#include <rill/rill.hpp>
#include <chrono>
#include <memory>

int main() {
  using namespace std::chrono_literals;
  auto [tx, rx] = rill::sync_channel<std::unique_ptr<int>>(1);
  if (!tx.send(std::make_unique<int>(1))) return 1;  // fills the channel

  auto t = tx.try_send(std::make_unique<int>(2));    // try_send_error<T>
  if (!t && t.error().is_full()) fmt::print("try_send: {}, value {}\n", t.error(), *t.error().value);

  auto d = tx.send_timeout(std::make_unique<int>(3), 1ms);  // send_timeout_error<T>
  if (!d && d.error().kind() == rill::errc::timeout) {
    std::unique_ptr<int> back = std::move(d.error()).into_inner();  // take it out
    fmt::print("send_timeout: {}, value {}\n", d.error(), *back);
  }

  rx = {};  // the only receiver goes: the buffered message is destroyed
  auto s = tx.send(std::make_unique<int>(4));  // send_error<T>: always disconnected
  std::error_code ec = s.error().code();
  fmt::print("send: {} [{}:{}], value {}\n", s.error(), ec.category().name(), ec.value(),
             *s.error().value);
  fmt::print("ec == errc::disconnected: {}\n", ec == rill::errc::disconnected);
}
