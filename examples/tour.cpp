// The tour: every chapter of the tutorial rill grew from, run in order.
//
//   tour                 all chapters
//   tour advanced        one chapter
//   tour select          one section of a chapter
//   tour --quick ...     small counts (tests, sanitizers); also RILL_TOUR_QUICK=1
//   tour --help          the chapters and their sections
//
// Each section checks what it shows; the exit code is 0 only if every check
// passed (1 if one failed, 2 for a name the tour does not know).
#include "chapters/chapter.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace {

/// What to run: a whole chapter, or one of its sections.
struct selection {
  const tour::chapter* chapter;
  const tour::section* section;  ///< null: the whole chapter
};

std::optional<selection> find(std::string_view name) {
  for (const tour::chapter* c : tour::all_chapters) {
    if (c->name == name) return selection{c, nullptr};
    for (const tour::section& s : c->sections)
      if (s.name == name) return selection{c, &s};
  }
  return std::nullopt;
}

void print_help(std::FILE* out) {
  fmt::print(out,
             "usage: tour [--quick] [chapter or section]...\n\n"
             "Runs the chapters of the rill tutorial, checking what each one shows.\n"
             "With no name, runs them all in order. --quick (or RILL_TOUR_QUICK=1) uses\n"
             "small counts, for tests.\n\nchapters (and their sections):\n");
  for (const tour::chapter* c : tour::all_chapters) {
    std::string sections;
    for (const tour::section& s : c->sections) sections += fmt::format("{}{}", sections.empty() ? "" : ", ", s.name);
    fmt::print(out, "  {:<13} {} · {}\n  {:<13}   ({})\n", c->name, c->title, c->title_zh, "", sections);
  }
}

int chapter_number(const tour::chapter* c) {
  for (std::size_t i = 0; i < tour::all_chapters.size(); ++i)
    if (tour::all_chapters[i] == c) return static_cast<int>(i) + 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* quick_env = std::getenv("RILL_TOUR_QUICK");
  bool quick = quick_env && *quick_env && std::strcmp(quick_env, "0") != 0;
  std::vector<selection> plan;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_help(stdout);
      return 0;
    }
    if (arg == "--quick") {
      quick = true;
      continue;
    }
    const auto found = find(arg);
    if (!found) {
      fmt::print(stderr, "tour: no chapter or section named '{}'\n\n", arg);
      print_help(stderr);
      return 2;
    }
    plan.push_back(*found);
  }
  if (plan.empty())
    for (const tour::chapter* c : tour::all_chapters) plan.push_back({c, nullptr});

  // Colour only for a person at a terminal, and not when they asked for
  // none (https://no-color.org).
  const bool colour = isatty(fileno(stdout)) && !std::getenv("NO_COLOR");
  tour::page page(stdout, colour, quick);

  const auto start = std::chrono::steady_clock::now();
  for (const selection& s : plan) {
    page.chapter_heading(chapter_number(s.chapter), s.chapter->title, s.chapter->title_zh, s.chapter->intro);
    for (const tour::section& sec : s.chapter->sections) {
      if (s.section && s.section != &sec) continue;
      page.section_heading(sec.name, sec.title);
      sec.run(page);
    }
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;

  const bool ok = page.checks_failed() == 0;
  const std::string summary = fmt::format("{} checks passed, {} failed, in {:.2f} s", page.checks_passed(),
                                          page.checks_failed(), took.count());
  fmt::print("\n{}\n", page.styled(fg(ok ? fmt::terminal_color::green : fmt::terminal_color::red), summary));
  return ok ? 0 : 1;
}
