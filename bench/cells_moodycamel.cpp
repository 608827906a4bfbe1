// rill_bench: the cells measured on moodycamel::BlockingConcurrentQueue.
#include "peers/moodycamel_peer.hpp"
#include "workloads.hpp"

namespace rill_bench {

void add_moodycamel_cells(registry& r) { add_standard_cells<moodycamel_peer>(r); }

}  // namespace rill_bench
