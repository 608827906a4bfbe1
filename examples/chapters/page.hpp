// What every chapter writes to: headings, narration and checks.
//
// A chapter tells its story with say() and proves it with check(): the tour
// exits non-zero when a check fails, which is what makes each chapter a
// test. Only the chapter's own thread calls check() and section(); worker
// threads may say() (stdio locks each call).
#pragma once

#include <fmt/color.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // say() prints containers too

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace tour {

class page {
 public:
  /// `colour`: whether to style the output (only on a terminal); `quick`:
  /// small counts, for tests and sanitizer runs.
  page(std::FILE* out, bool colour, bool quick) noexcept : out_(out), colour_(colour), quick_(quick) {}

  bool quick() const noexcept { return quick_; }

  /// A chapter's heading: its number, English and Chinese titles.
  void chapter_heading(int number, std::string_view title, std::string_view title_zh, std::string_view intro) const;

  /// A section's heading inside a chapter.
  void section_heading(std::string_view name, std::string_view title) const;

  /// One line of narration, indented under the section heading.
  template <class... Args>
  void say(fmt::format_string<Args...> format, Args&&... args) const {
    std::string line = fmt::format(format, std::forward<Args>(args)...);
    fmt::print(out_, "    {}\n", line);
  }

  /// Records whether what the section must show held; prints it either way.
  bool check(bool ok, std::string_view what);

  int checks_passed() const noexcept { return passed_; }
  int checks_failed() const noexcept { return failed_; }

  /// Text in `style`, or plain when not on a terminal.
  std::string styled(fmt::text_style style, std::string_view text) const;

  std::FILE* out() const noexcept { return out_; }

 private:
  std::FILE* out_;
  bool colour_;
  bool quick_;
  int passed_ = 0;
  int failed_ = 0;
};

}  // namespace tour
