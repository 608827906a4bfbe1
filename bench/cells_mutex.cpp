// rill_bench: the cells measured on the mutex + condition_variable queue.
#include "peers/mutex_peer.hpp"
#include "workloads.hpp"

namespace rill_bench {

void add_mutex_cells(registry& r) { add_standard_cells<mutex_peer>(r); }

}  // namespace rill_bench
