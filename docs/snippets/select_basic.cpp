// select waits on channels of different types and completes one receive per
// call; an arm whose channel disconnected is switched off through `enabled`.
#include <rill/rill.hpp>
#include <string>
#include <thread>
#include <vector>

int main() {
  auto [jobs_tx, jobs] = rill::sync_channel<int>(1);
  auto [control_tx, control] = rill::channel<std::string>();
  std::thread producer([tx = std::move(jobs_tx)] {
    for (int i = 1; i <= 4; ++i) if (!tx.send(i)) return;
  });
  std::thread controller([tx = std::move(control_tx)] {
    for (const char* c : {"pause", "resume"}) if (!tx.send(c)) return;
  });

  bool jobs_open = true, control_open = true;
  int job_sum = 0;
  std::vector<std::string> commands;
  while (jobs_open || control_open) {
    auto r = rill::select(rill::recv(jobs, jobs_open), rill::recv(control, control_open));
    switch (r.index()) {  // which arm won, in the order given
      case 0:
        if (auto& job = std::get<0>(r)) job_sum += *job;  // expected<int, recv_error>
        else jobs_open = false;                            // closed and drained
        break;
      case 1:
        if (auto& c = std::get<1>(r)) commands.push_back(*c);
        else control_open = false;
        break;
    }
  }
  producer.join();
  controller.join();
  fmt::print("job sum {}, commands in order: {}\n", job_sum, fmt::join(commands, ", "));
}
