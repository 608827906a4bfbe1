// rill_asio library: the registry of operations pending on each execution
// context, one per context and program.
#include <rill/detail/pending_operations.hpp>
#include <rill/detail/impl/pending_operations.ipp>
