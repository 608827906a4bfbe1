// A worker: takes tasks, sends each result, and acks the task only once the
// result is stored by the results stream, so that a worker killed at any
// point loses no answer (its task comes back to another worker after
// ack_wait). Runs until its stdin closes, or until it is killed.
//
//   worker <url>
#include "task_queue.hpp"

#include <iostream>
#include <thread>

#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: worker <nats url>\n";
    return 2;
  }
  try {
    auto conn = distributed::connect(argv[1]);
    auto in = rill::nats::remote_receiver<distributed::task, distributed::task_codec>(conn, distributed::tasks_queue(),
                                                                                        {.prefetch = 1});
    auto out = rill::nats::remote_sender<distributed::task_result, distributed::result_codec>(
        conn, distributed::results_queue());
    if (!in || !out) throw std::runtime_error("cannot open the queues");
    auto& [tasks, sub] = *in;
    auto& [results, pub] = *out;

    // stdin closing is the signal to stop: the watcher closes the task channel.
    std::jthread watcher([rx = tasks] {
      char byte;
      while (::read(STDIN_FILENO, &byte, 1) > 0) {
      }
      rx.close();
    });
    std::cout << "ready" << std::endl;
    for (auto& d : tasks) {
      if (!results.send(distributed::perform(d.value()))) break;
      if (!pub.flush(std::chrono::seconds(30))) break;  // not stored: leave the task unacked
      (void)d.ack();
      std::cout << "done " << d.value().id << std::endl;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "worker: " << e.what() << "\n";
    return 1;
  }
}
