#pragma once
// Splitting each sample of a small batch into pieces, so that the per-element passes of a
// training step keep every thread of the pool busy also for N = 1. Each piece is a range of
// whole channels or whole pixels, whose results do not depend on where the ranges start:
// any split, and so any thread count, gives bit-identical results. for_each_piece (in
// parallel.hpp, which the forward shares) runs the pieces.

#include <algorithm>

#include <unsupported/Eigen/CXX11/ThreadPool>

#include "../layout.hpp"
#include "parallel.hpp"

namespace seattn::detail {

/// Pieces per sample for n samples on `pool`: pieces_per_sample(pool, n), at most `length`.
inline Index pieces_per_sample(Eigen::ThreadPoolInterface* pool, Index n, Index length) {
    return std::max<Index>(1, std::min(length, pieces_per_sample(pool, n)));
}

/// Offset of channel c of a sample with `pixels` pixels and `channels` channels.
inline Index channel_offset(Index c, Index pixels, Index, NCHW) { return c * pixels; }
inline Index channel_offset(Index c, Index, Index, NHWC) { return c; }

/// Offset of pixel p of a sample with `pixels` pixels and `channels` channels.
inline Index pixel_offset(Index p, Index, Index, NCHW) { return p; }
inline Index pixel_offset(Index p, Index, Index channels, NHWC) { return p * channels; }

}  // namespace seattn::detail
