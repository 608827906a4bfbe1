// rill_bench: the cells measured on Asio's experimental channels.
#include "peers/asio_peer.hpp"
#include "workloads.hpp"

namespace rill_bench {

void add_asio_cells(registry& r) {
  add_standard_cells<asio_concurrent_peer>(r);
  add_standard_cells<asio_plain_peer>(r);
}

}  // namespace rill_bench
