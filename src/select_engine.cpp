// rill library: the random source of select's poll order.
#include <rill/detail/select_engine.hpp>
#include <rill/detail/impl/select_engine.ipp>
