// A first look at rill: worker threads share one channel of jobs and report
// on another; the main thread hands out work, collects the results and sees
// both channels close when their senders are gone.
#include <rill/rill.hpp>

#include <fmt/format.h>

#include <string>
#include <thread>
#include <vector>

struct job {
  int id;
  std::string text;
};

struct result {
  int id;
  std::size_t words;
  int worker;
};

int main() {
  auto [jobs_tx, jobs_rx] = rill::sync_channel<job>(4);  // bounded: backpressure on the producer
  auto [results_tx, results_rx] = rill::channel<result>();

  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    // Each worker holds a copy of the job receiver and of the result sender.
    workers.emplace_back([w, jobs = jobs_rx, results = results_tx] {
      for (job& j : jobs) {  // ends when the job channel is closed and drained
        std::size_t words = j.text.empty() ? 0 : 1;
        for (char c : j.text) words += c == ' ';
        (void)results.send({j.id, words, w});
      }
    });
  }
  results_tx = {};  // only the workers send results now

  const std::vector<std::string> texts = {"the quick brown fox", "jumps over", "the lazy dog",
                                          "channels move ownership", "", "one"};
  for (int i = 0; i < static_cast<int>(texts.size()); ++i) (void)jobs_tx.send({i, texts[static_cast<std::size_t>(i)]});
  jobs_tx.close();  // no more jobs: workers finish what is queued, then stop

  std::size_t total = 0, received = 0;
  for (result& r : results_rx) {
    fmt::print("job {} has {} word(s) (worker {})\n", r.id, r.words, r.worker);
    total += r.words;
    ++received;
  }
  for (auto& t : workers) t.join();

  fmt::print("{} results, {} words in all; result channel: {}\n", received, total,
             fmt::format("{}", results_rx.try_recv().error()));
  return received == texts.size() ? 0 : 1;
}
