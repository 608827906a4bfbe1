// rill — sender<T>::async_reserve, the asynchronous reserve (documented at
// its declaration in sender.hpp). Part of the Asio layer.
//
// It is an async_select over one reserve arm whose completion is unwrapped
// to (error_code, permit): one waiting, claiming and cancelling protocol
// for a reserve alone and for a reserve among other arms. The wrapper
// forwards the handler's executor, allocator and cancellation slot.
#pragma once

#include <rill/async_select.hpp>
#include <rill/detail/initiation.hpp>
#include <rill/error.hpp>
#include <rill/permit.hpp>
#include <rill/sender.hpp>

#include <asio/associator.hpp>
#include <asio/async_result.hpp>

#include <optional>
#include <system_error>
#include <utility>

namespace rill {

namespace detail {

/// The completion of an async_select over one reserve arm, passed on to
/// the caller's handler as (error_code, permit).
template <class T, class Handler>
struct reserve_completion {
  Handler handler;

  void operator()(std::error_code ec, std::optional<select_result<reserve_arm<T>>> result) {
    if (!result) return std::move(handler)(ec, permit<T>());
    auto& won = std::get<0>(*result);
    if (!won) return std::move(handler)(make_error_code(won.error()), permit<T>());
    std::move(handler)(std::error_code(), std::move(*won));
  }
};

template <class T>
struct initiate_async_reserve {
  template <class Handler, class Arm>
  RILL_INITIATION_ENTRY void operator()(Handler&& handler, Arm&& arm) && {
    // The arm moves into the select's operation; nothing here is touched
    // after the select has started (see initiation.hpp).
    rill::async_select(reserve_arm<T>(std::move(arm)),
                       reserve_completion<T, std::decay_t<Handler>>{std::forward<Handler>(handler)});
  }
};

}  // namespace detail

template <class T>
template <class CompletionToken>
auto sender<T>::async_reserve(CompletionToken&& token) const {
  return asio::async_initiate<CompletionToken, void(std::error_code, permit<T>)>(
      detail::initiate_async_reserve<T>{}, token, reserve_arm<T>(*this, true));
}

}  // namespace rill

// A specialization of Asio's trait, outside rill's namespace: the reference
// (Doxygen) skips it.
/// @cond RILL_TRAIT_SPECIALIZATIONS
/// The wrapper answers for the handler it wraps: its executor, allocator
/// and cancellation slot.
template <template <class, class> class Associator, class T, class Handler, class DefaultCandidate>
struct asio::associator<Associator, rill::detail::reserve_completion<T, Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
  static typename Associator<Handler, DefaultCandidate>::type get(const rill::detail::reserve_completion<T, Handler>& h,
                                                                  const DefaultCandidate& c = DefaultCandidate()) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.handler, c);
  }
};
/// @endcond
