#include "side.hpp"

#include <asio/bind_executor.hpp>

#include <optional>
#include <utility>

#define SIDE_CAT2(a, b) a##b
#define SIDE_CAT(a, b) SIDE_CAT2(a, b)
#define SIDE(name) SIDE_CAT(SIDE_NAME, name)

namespace {

/// A handler that counts how it ended: run, or destroyed without running
/// (what an io_context's shutdown does to an operation still waiting).
struct counted_handler {
  int* ran;
  int* dropped;
  bool armed = true;

  counted_handler(int& r, int& d) : ran(&r), dropped(&d) {}
  counted_handler(counted_handler&& other) noexcept
      : ran(other.ran), dropped(other.dropped), armed(std::exchange(other.armed, false)) {}
  ~counted_handler() {
    if (armed) ++*dropped;
  }
  template <class... Args>
  void operator()(std::error_code, Args&&...) {
    armed = false;
    ++*ran;
  }
};

}  // namespace

std::error_code SIDE(_disconnected)() {
  auto [tx, rx] = rill::channel<int>();
  tx.close();
  return rx.try_recv().error() == rill::try_recv_error::disconnected ? make_error_code(rill::errc::disconnected)
                                                                     : std::error_code();
}

std::pair<rill::sender<int>, rill::receiver<int>> SIDE(_make_channel)() { return rill::sync_channel<int>(0); }

void SIDE(_start_recv)(asio::io_context& io, const rill::receiver<int>& rx, int& ran, int& dropped) {
  rx.async_recv(asio::bind_executor(io, counted_handler(ran, dropped)));
}

void SIDE(_start_send)(asio::io_context& io, const rill::sender<int>& tx, int value, int& ran, int& dropped) {
  tx.async_send(value, asio::bind_executor(io, counted_handler(ran, dropped)));
}
