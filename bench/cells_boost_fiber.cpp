// rill_bench: the cells measured on Boost.Fiber's channels.
#include "peers/boost_fiber_peer.hpp"
#include "workloads.hpp"

namespace rill_bench {

void add_boost_fiber_cells(registry& r) { add_standard_cells<boost_fiber_peer>(r); }

}  // namespace rill_bench
