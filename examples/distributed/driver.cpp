// The driver: a nats-server, two workers and the submitter, each a process;
// one worker is killed with SIGKILL a third of the way through. Passes when
// the submitter reports every task answered once and right, which needs
// every task of the killed worker to have come back to the other.
//
//   driver <worker program> <submitter program> [count]
//
// The server is the tests' fixture (tests/nats/server.hpp): a free loopback
// port, its own store, gone with the driver.
#include "nats/process.hpp"
#include "nats/server.hpp"

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: driver <worker> <submitter> [count]\n";
    return 2;
  }
  const std::string worker_program = argv[1];
  const std::string submitter_program = argv[2];
  const int count = argc > 3 ? std::stoi(argv[3]) : 300;
  try {
    rill_test::nats_server server;
    rill_test::child_process doomed(worker_program, {server.url()});
    rill_test::child_process survivor(worker_program, {server.url()});
    for (auto* w : {&doomed, &survivor}) {
      if (w->read_line() != "ready") throw std::runtime_error("a worker did not start");
    }
    rill_test::child_process submitter(submitter_program, {server.url(), std::to_string(count)});
    int answered = 0;
    bool killed = false;
    std::string verdict;
    while (auto line = submitter.read_line(std::chrono::seconds(120))) {
      if (line->rfind("answered ", 0) != 0) continue;
      if (line->find(" of ") != std::string::npos) {
        verdict = *line;
        break;
      }
      if (++answered == count / 3 && !killed) {
        doomed.kill9();
        killed = true;
        std::cout << "killed a worker after " << answered << " answers" << std::endl;
      }
    }
    const int status = submitter.finish();
    const int survivor_status = survivor.finish();
    std::cout << "submitter: " << (verdict.empty() ? "no verdict" : verdict) << std::endl;
    const bool ok = killed && !verdict.empty() && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                    WIFEXITED(survivor_status) && WEXITSTATUS(survivor_status) == 0;
    std::cout << (ok ? "ok: every task answered once, with a worker killed mid-run" : "FAILED") << std::endl;
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "driver: " << e.what() << "\n";
    return 1;
  }
}
