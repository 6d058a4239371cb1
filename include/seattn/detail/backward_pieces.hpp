#pragma once
// Splitting each sample of a small batch into pieces, so that the per-element passes of a
// training step keep every thread of the pool busy also for N = 1. Each piece is a range of
// whole channels or whole pixels, whose results do not depend on where the ranges start:
// any split, and so any thread count, gives bit-identical results.

#include <algorithm>

#include <unsupported/Eigen/CXX11/ThreadPool>

#include "../layout.hpp"
#include "parallel.hpp"

namespace seattn::detail {

/// Pieces per sample for n samples on `pool`: enough for every thread, at most `length`.
inline Index pieces_per_sample(Eigen::ThreadPoolInterface* pool, Index n, Index length) {
    const Index threads = pool ? pool->NumThreads() + 1 : 1;
    return std::max<Index>(1, std::min(length, (threads + n - 1) / n));
}

/// Calls f(sample, begin, end) for every sample in [0, n) and every piece [begin, end) of
/// [0, length) in `pieces` near-equal ranges, over the pool's threads.
template <class F>
void for_each_piece(Eigen::ThreadPoolInterface* pool, Index n, Index length, Index pieces, const F& f) {
    parallel_for(pool, n * pieces, [&](Index begin, Index end) {
        for (Index task = begin; task < end; ++task) {
            const Index sample = task / pieces, piece = task % pieces;
            f(sample, length * piece / pieces, length * (piece + 1) / pieces);
        }
    });
}

/// Offset of channel c of a sample with `pixels` pixels and `channels` channels.
inline Index channel_offset(Index c, Index pixels, Index, NCHW) { return c * pixels; }
inline Index channel_offset(Index c, Index, Index, NHWC) { return c; }

/// Offset of pixel p of a sample with `pixels` pixels and `channels` channels.
inline Index pixel_offset(Index p, Index, Index, NCHW) { return p; }
inline Index pixel_offset(Index p, Index, Index channels, NHWC) { return p * channels; }

}  // namespace seattn::detail
