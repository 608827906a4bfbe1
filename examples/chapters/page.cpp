#include "page.hpp"

#include <string>

namespace tour {

std::string page::styled(fmt::text_style style, std::string_view text) const {
  if (!colour_) return std::string(text);
  return fmt::format(style, "{}", text);
}

void page::chapter_heading(int number, std::string_view title, std::string_view title_zh,
                           std::string_view intro) const {
  const std::string heading = fmt::format("{}. {} · {}", number, title, title_zh);
  fmt::print(out_, "\n{}\n", styled(fmt::emphasis::bold | fg(fmt::terminal_color::bright_cyan), heading));
  // The rule under a heading is as wide as the heading in columns; each
  // CJK character takes two, so count code points, not bytes.
  std::size_t columns = 0;
  for (unsigned char c : heading)
    if ((c & 0xC0) != 0x80) columns += c >= 0xE3 ? 2 : 1;
  std::string rule;
  for (std::size_t i = 0; i < columns; ++i) rule += "═";
  fmt::print(out_, "{}\n{}\n", styled(fg(fmt::terminal_color::bright_cyan), rule), intro);
}

void page::section_heading(std::string_view name, std::string_view title) const {
  fmt::print(out_, "\n  {} {}\n", styled(fmt::emphasis::bold, title),
             styled(fg(fmt::terminal_color::bright_black), fmt::format("(tour {})", name)));
}

bool page::check(bool ok, std::string_view what) {
  ++(ok ? passed_ : failed_);
  const std::string mark = ok ? styled(fg(fmt::terminal_color::green), "✓")
                              : styled(fmt::emphasis::bold | fg(fmt::terminal_color::red), "✗ FAILED:");
  fmt::print(out_, "    {} {}\n", mark, what);
  return ok;
}

}  // namespace tour
