// rill library: thread parking, one platform layer per program
// (detail/parking.hpp).
#include <rill/detail/parking.hpp>
#include <rill/detail/impl/parking.ipp>
