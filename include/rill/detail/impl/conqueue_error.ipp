// rill — the "conqueue" error category of bounded_queue: compiled into the
// library (src/conqueue_error.cpp), or inline in header-only mode
// (detail/config.hpp).
#pragma once

#include <rill/bounded_queue.hpp>

#include <string>
#include <system_error>

namespace rill {

namespace detail {

class conqueue_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "conqueue"; }

  std::string message(int value) const override {
    switch (static_cast<conqueue_errc>(value)) {
      case conqueue_errc::success:
        return "success";
      case conqueue_errc::empty:
        return "queue empty";
      case conqueue_errc::full:
        return "queue full";
      case conqueue_errc::closed:
        return "queue closed";
    }
    return "unknown conqueue status";
  }
};

}  // namespace detail

RILL_DECL const std::error_category& conqueue_category() noexcept {
  static const detail::conqueue_category_impl category;
  return category;
}

}  // namespace rill
