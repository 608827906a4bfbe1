// rill library: the "conqueue" error category of bounded_queue, one per program.
#include <rill/bounded_queue.hpp>
#include <rill/detail/impl/conqueue_error.ipp>
