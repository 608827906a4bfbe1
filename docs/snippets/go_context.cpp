// Go's context cancellation in rill: a std::jthread's stop token, and a
// select arm that wins once it is triggered (case <-ctx.Done()).
#include <rill/rill.hpp>

#include <thread>

int main() {
  auto [jobs_tx, jobs_rx] = rill::channel<int>();
  auto [done_tx, done_rx] = rill::channel<int>();

  // go worker(ctx, jobs, done)
  std::jthread worker([jobs = jobs_rx, done = done_tx](std::stop_token ctx) {
    for (;;) {
      // select { case <-ctx.Done(): return; case j := <-jobs: ... }
      auto r = rill::select(rill::on_stop(ctx), rill::recv(jobs));
      if (r.index() == 0) {
        fmt::print("worker: cancelled\n");
        return;
      }
      if (!std::get<1>(r)) return;  // jobs closed
      if (!done.send(*std::get<1>(r) * 2)) return;
    }
  });

  for (int j = 1; j <= 3; ++j) (void)jobs_tx.send(j);
  for (int k = 0; k < 3; ++k) fmt::print("result {}\n", *done_rx.recv());

  worker.request_stop();  // cancel()
  worker.join();
  fmt::print("main: worker joined; the jobs channel is still open: {}\n", !jobs_tx.is_closed());
}
