// rill library: the thread that serves timer channels, one per program.
#include <rill/detail/timer_service.hpp>
#include <rill/detail/impl/timer_service.ipp>
