// rill tests — turns a hang into a failure that says where it hung. A stuck
// channel operation cannot be interrupted, so when the bound passes the
// watchdog prints what was running (with its seed) and aborts the process.
// The bound is generous: it is never what a passing run waits for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace rill_test {

class watchdog {
 public:
  explicit watchdog(std::chrono::seconds bound) : bound_(bound), thread_([this] { watch(); }) {}
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;
  ~watchdog() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  /// Starts timing `what` (e.g. "round 3, seed 1234"); replaces the previous.
  void arm(std::string what) {
    {
      std::lock_guard lock(mutex_);
      what_ = std::move(what);
      deadline_ = std::chrono::steady_clock::now() + bound_;
      armed_ = true;
    }
    cv_.notify_all();
  }

  void disarm() {
    std::lock_guard lock(mutex_);
    armed_ = false;
  }

 private:
  void watch() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      if (!armed_) {
        cv_.wait(lock);
        continue;
      }
      if (cv_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
          std::chrono::steady_clock::now() >= deadline_) {
        std::fprintf(stderr, "\nrill watchdog: no progress within %lld s: %s\n",
                     static_cast<long long>(bound_.count()), what_.c_str());
        std::fflush(stderr);
        std::abort();
      }
    }
  }

  std::chrono::seconds bound_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string what_;
  std::chrono::steady_clock::time_point deadline_{};
  bool armed_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it reads
};

/// An unsigned integer from the environment, or `fallback` if unset or not a
/// number: how the randomised tests take a seed to replay (RILL_SEED) and a
/// longer run (RILL_MODEL_ROUNDS, ...).
inline unsigned long long env_number(const char* name, unsigned long long fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 0);
  return (end != nullptr && *end == '\0') ? v : fallback;
}

}  // namespace rill_test
