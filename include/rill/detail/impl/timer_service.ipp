// rill — the timer thread: compiled into the rill library
// (src/timer_service.cpp), or inline in header-only mode (detail/config.hpp).
#pragma once

#include <rill/detail/timer_service.hpp>

#include <algorithm>
#include <utility>

namespace rill::detail {

RILL_DECL timer_service& timer_service::instance() {
  static timer_service service;
  return service;
}

RILL_DECL void timer_service::add(sender<timer_clock::time_point> tx, timer_clock::time_point first,
                                  timer_clock::duration period) {
  std::lock_guard lock(mutex_);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  if (heap_.size() >= sweep_at_) sweep_locked();
  heap_.push(timer{first, period, std::move(tx)});
  // Wakes the thread only when the new timer is due before the one it
  // sleeps towards.
  if (heap_.top().deadline == first) changed_.notify_one();
}

RILL_DECL std::size_t timer_service::pending() {
  std::lock_guard lock(mutex_);
  return heap_.size();
}

RILL_DECL timer_service::~timer_service() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_one();
  if (thread_.joinable()) thread_.join();
}

RILL_DECL void timer_service::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (heap_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const timer_clock::time_point due = heap_.top().deadline;
    if (timer_clock::now() < due) {
      changed_.wait_until(lock, due);
      continue;
    }
    // priority_queue has no non-const top(): copy the handle out (a
    // reference count), then pop.
    timer fired = heap_.top();
    heap_.pop();
    const auto next = fire_timer(fired.tx, fired.deadline, fired.period);
    if (!next) continue;
    fired.deadline = *next;
    heap_.push(std::move(fired));
  }
}

RILL_DECL void timer_service::sweep_locked() {
  std::vector<timer> live;
  live.reserve(heap_.size());
  while (!heap_.empty()) {
    if (!heap_.top().tx.is_closed()) live.push_back(heap_.top());
    heap_.pop();
  }
  for (timer& t : live) heap_.push(std::move(t));
  sweep_at_ = std::max<std::size_t>(64, 2 * heap_.size());
}

}  // namespace rill::detail
