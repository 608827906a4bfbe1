#include "environment.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#ifndef RILL_BENCH_SOURCE_DIR
#define RILL_BENCH_SOURCE_DIR "."
#endif

namespace rill_bench {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return trim(line.substr(colon + 1));
    }
  return "unknown";
}

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    pclose(f);
  }
  return trim(out);
}

std::string compiler() {
#if defined(__clang__)
  return fmt::format("clang++ {}", __clang_version__);
#elif defined(__GNUC__)
  return fmt::format("g++ {}", __VERSION__);
#else
  return "unknown";
#endif
}

std::string now_iso() {
  char buf[64];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z", std::localtime(&t));
  return buf;
}

/// The peak RSS of a forked child that exits at once: the part of every
/// cell's peak RSS that it inherits from this process.
long baseline_rss_kib() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  return usage.ru_maxrss;
}

}  // namespace

environment describe_environment(const std::string& git) {
  environment env;
  env.date = now_iso();
  env.cpu = cpu_model();
  env.nproc = std::thread::hardware_concurrency();
  env.compiler_name = compiler();
  env.git = git;
  const std::string src = RILL_BENCH_SOURCE_DIR;
  if (env.git.empty()) env.git = run_command("git -C '" + src + "' rev-parse --short HEAD 2>/dev/null");
  if (env.git.empty()) env.git = "unknown";
  // bench/results is this program's output (run.sh's tee has rewritten
  // latest.txt by now), not source: it does not make the tree dirty.
  env.dirty = !run_command("git -C '" + src +
                           "' status --porcelain --untracked-files=no -- . ':!bench/results' 2>/dev/null")
                   .empty();
  env.baseline_rss = baseline_rss_kib();
  return env;
}

}  // namespace rill_bench
