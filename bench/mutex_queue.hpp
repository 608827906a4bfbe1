// The baseline every C++ programmer can write: a std::deque guarded by a
// std::mutex, with condition variables for "not empty" and "not full" and a
// notify per message.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace rill_bench {

template <class T>
class mutex_queue {
 public:
  /// No capacity: unbounded. Capacity 0 is not supported (no rendezvous).
  explicit mutex_queue(std::optional<std::size_t> capacity) : capacity_(capacity) {}

  void send(T value) {
    std::unique_lock lock(mutex_);
    if (capacity_) not_full_.wait(lock, [&] { return items_.size() < *capacity_; });
    items_.push_back(std::move(value));
    lock.unlock();
    not_empty_.notify_one();
  }

  T recv() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    return take(lock);
  }

  /// Like recv(), but gives up (empty) after `timeout`.
  template <class Rep, class Period>
  std::optional<T> recv_for(const std::chrono::duration<Rep, Period>& timeout) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return !items_.empty(); })) return std::nullopt;
    return take(lock);
  }

 private:
  T take(std::unique_lock<std::mutex>& lock) {
    T value = std::move(items_.front());
    items_.pop_front();
    lock.unlock();
    if (capacity_) not_full_.notify_one();
    return value;
  }

  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  std::optional<std::size_t> capacity_;
};

}  // namespace rill_bench
