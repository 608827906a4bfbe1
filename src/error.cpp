// rill library: the "rill" error category, one per program.
#include <rill/error.hpp>
#include <rill/detail/impl/error.ipp>
