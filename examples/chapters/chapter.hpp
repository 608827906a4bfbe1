// The tour's table of contents: each chapter is a list of named sections,
// defined in its own file, and each section is one runnable story.
//
// `tour basics` runs a chapter, `tour select` one section; both names are
// listed by `tour --help`.
#pragma once

#include "page.hpp"

#include <array>
#include <span>
#include <string_view>

namespace tour {

struct section {
  std::string_view name;   ///< what to type after `tour`
  std::string_view title;  ///< the heading printed above it
  void (*run)(page&);
};

struct chapter {
  std::string_view name;
  std::string_view title;
  std::string_view title_zh;  ///< the tutorial the tour follows is written in Chinese
  std::string_view intro;     ///< the chapter's point, in a sentence, printed under its heading
  std::span<const section> sections;
};

// One per file under chapters/, in the tutorial's order.
extern const chapter basics;
extern const chapter senders;
extern const chapter sync;
extern const chapter errors;
extern const chapter patterns;
extern const chapter performance;
extern const chapter advanced;
extern const chapter applications;

inline constexpr std::array<const chapter*, 8> all_chapters = {
    &basics, &senders, &sync, &errors, &patterns, &performance, &advanced, &applications,
};

}  // namespace tour
