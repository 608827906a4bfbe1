// rill — the "rill" error category: compiled into the library
// (src/error.cpp), or inline in header-only mode (detail/config.hpp).
#pragma once

#include <rill/error.hpp>

#include <string>
#include <system_error>

namespace rill {

namespace detail {

class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "rill"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::disconnected:
        return "channel disconnected";
      case errc::full:
        return "channel full";
      case errc::empty:
        return "channel empty";
      case errc::timeout:
        return "channel operation timed out";
      case errc::stopped:
        return "channel operation stopped by its stop token";
      case errc::lagged:
        return "broadcast receiver lagged behind: messages were lost";
    }
    return "unknown rill error";
  }
};

}  // namespace detail

RILL_DECL const std::error_category& error_category() noexcept {
  static const detail::error_category_impl category;
  return category;
}

}  // namespace rill
