// The submitter: sends tasks 0..count-1 (task i computes (i % 25)!), collects
// the results and checks that every task was answered once and right. Prints
// "answered <id>" for each first answer, and a verdict; exits 0 if it holds.
//
//   submitter <url> <count>
#include "task_queue.hpp"

#include <iostream>
#include <map>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: submitter <nats url> <count>\n";
    return 2;
  }
  try {
    const int count = std::stoi(argv[2]);
    auto conn = distributed::connect(argv[1]);
    auto out = rill::nats::remote_sender<distributed::task, distributed::task_codec>(conn, distributed::tasks_queue());
    auto in = rill::nats::remote_receiver<distributed::task_result, distributed::result_codec>(
        conn, distributed::results_queue());
    if (!in || !out) throw std::runtime_error("cannot open the queues");
    auto& [tasks, pub] = *out;
    auto& [results, sub] = *in;
    for (int i = 0; i < count; ++i) {
      if (!tasks.send({i, i % 25})) throw std::runtime_error("the task queue closed");
    }

    // At least once: a task whose worker died after sending its result is
    // computed again, so a result for an id already answered is a repeat.
    std::map<int, distributed::task_result> answers;
    int repeats = 0;
    while (static_cast<int>(answers.size()) < count) {
      auto d = results.recv_timeout(std::chrono::seconds(60));
      if (!d) throw std::runtime_error("no result within 60 s");
      const auto& r = d->value();
      if (answers.emplace(r.id, r).second) {
        std::cout << "answered " << r.id << std::endl;
      } else {
        ++repeats;
      }
      (void)d->ack();
    }
    int right = 0;
    for (const auto& [id, r] : answers) {
      const auto expected = distributed::perform({id, id % 25});
      right += r.value == expected.value && r.error == expected.error;
    }
    std::cout << "answered " << answers.size() << " of " << count << " tasks once, " << right << " right, " << repeats
              << " repeats dropped" << std::endl;
    return right == count ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "submitter: " << e.what() << "\n";
    return 1;
  }
}
