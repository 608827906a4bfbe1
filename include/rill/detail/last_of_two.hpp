// rill — two parties that each finish with one object, in either order and
// on any threads, where the second to finish acts on it (frees it, completes
// it): an orphaned operation (its context's shutdown and a partner's late
// completion), a timed async_select (the select and its timer's handler).
#pragma once

#include <atomic>

namespace rill::detail {

class last_of_two {
 public:
  /// Called once by each party; true for the second. acq_rel: the second
  /// sees every write the first made before it finished.
  bool finish() noexcept { return first_done_.exchange(true, std::memory_order_acq_rel); }

 private:
  std::atomic<bool> first_done_{false};
};

}  // namespace rill::detail
