// The distributed task queue: chapter 8's factorial task queue split into
// processes joined by two rill::nats queues, "tasks" and "results".
//
//   submitter  sends tasks 0..n-1, collects the results, checks each task
//              was answered once (submitter.cpp)
//   worker     computes tasks and sends their results (worker.cpp)
//   driver     starts a nats-server, two workers and the submitter, kills a
//              worker mid-run, and checks the submitter's verdict (driver.cpp)
//
// Delivery is at least once: a worker killed after sending a result but
// before acking its task has the task computed again by another worker. So
// the submitter keeps the first result for each task id and counts repeats;
// "answered once" means every id has exactly one result kept.
#pragma once

#include <rill/nats.hpp>
#include <rill/nats/json.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace distributed {

struct task {
  int id = 0;  // unique per task
  int n = 0;   // compute n!
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(task, id, n)

struct task_result {
  int id = 0;
  std::optional<long long> value;  // empty: the error says why
  std::string error;
};

inline void to_json(nlohmann::json& j, const task_result& r) {
  j = {{"id", r.id}, {"error", r.error}};
  if (r.value) j["value"] = *r.value;
}
inline void from_json(const nlohmann::json& j, task_result& r) {
  j.at("id").get_to(r.id);
  j.at("error").get_to(r.error);
  if (j.contains("value")) r.value = j.at("value").get<long long>();
}

using task_codec = rill::nats::json_codec<task>;
using result_codec = rill::nats::json_codec<task_result>;

inline rill::nats::queue_options tasks_queue() {
  return {.stream = "tasks", .subject = "tasks.factorial", .durable = "workers", .ack_wait = std::chrono::seconds(2)};
}

inline rill::nats::queue_options results_queue() {
  return {.stream = "results", .subject = "results.factorial", .durable = "submitter"};
}

/// The task itself, as in chapter 8: n! for n up to 20, an error beyond.
inline task_result perform(const task& t) {
  if (t.n > 20) return {t.id, std::nullopt, std::to_string(t.n) + "! does not fit in 64 bits"};
  long long f = 1;
  for (int i = 2; i <= t.n; ++i) f *= i;
  return {t.id, f, {}};
}

inline rill::nats::connection connect(const std::string& url) {
  auto conn = rill::nats::connection::connect({.url = url});
  if (!conn) throw std::runtime_error("cannot connect to " + url + ": " + conn.error().message());
  return std::move(*conn);
}

}  // namespace distributed
