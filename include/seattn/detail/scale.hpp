#pragma once
// The final pass of every block: y = x * channel_weight[c] * spatial_map[p], either factor
// optional. Element-wise at the same index, so y may be x itself. `streaming` selects
// streaming stores for outputs too large for the cache (stream_output).

#include <algorithm>

#include "squeeze.hpp"
#include "store.hpp"

namespace seattn::detail {

/// Bytes at the end of a squeeze piece its scaling writes first: what the squeeze read last,
/// still in the L2 cache (1 MiB per core on the AVX-512 benchmark machine) after a piece
/// too large for it, which the scaling in memory order would evict before it got there.
/// Squeezing and scaling 8 samples of 256 x 56 x 56 NCHW from memory (1 thread,
/// microbenchmark) ran 1.13x as fast so, 1.03-1.04x with a tail of 0.25 or 1 MiB, and
/// 0.96-1.07x walking the sample backwards. SEBlock, 1 thread, 8x256x56x56 and 32x64x56x56
/// in both layouts (three interleaved runs): 0.93-1.57x, faster in 10 of 12; on 2 threads
/// and at batch 1, where the pieces are smaller or cached anyway, 0.77-1.31x with no
/// consistent sign.
constexpr Index cached_tail_bytes = Index(512) << 10;

/// Where the scaling of units [begin, end) of `unit_bytes` each starts (scale_piece): at the
/// last cached_tail_bytes of them when there are more than that, else at begin.
inline Index cached_tail_begin(Index begin, Index end, Index unit_bytes) {
    const Index tail = cached_tail_bytes / unit_bytes;
    return tail > 0 && end - begin > tail ? end - tail : begin;
}

/// Calls scale(first, last) on the cached tail of units [begin, end), then on the units
/// before it (cached_tail_begin).
template <class F>
void scale_cached_tail_first(Index begin, Index end, Index unit_bytes, F&& scale) {
    const Index tail = cached_tail_begin(begin, end, unit_bytes);
    scale(tail, end);
    scale(begin, tail);
}

/// y = x * channel_weights[c] over piece `piece` of `pieces` of one NCHW sample (the
/// channels squeeze_piece read): the planes of its cached tail first
/// (scale_cached_tail_first), each run in memory order.
template <class S>
void scale_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NCHW, const S* channel_weights,
                 S* y, bool streaming) {
    const Index begin = piece_begin(channels, piece, pieces), end = piece_begin(channels, piece + 1, pieces);
    scale_cached_tail_first(begin, end, pixels * Index(sizeof(S)), [&](Index first, Index last) {
        for (Index c = first; c < last; ++c)
            store_scaled(x + c * pixels, channel_weights[c], y + c * pixels, pixels, streaming);
    });
    if (streaming) stream_fence();
}

/// The same over the pixels squeeze_piece read of one NHWC sample.
template <class S>
void scale_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NHWC, const S* channel_weights,
                 S* y, bool streaming) {
    const Index begin = piece_begin(pixels, piece, pieces), end = piece_begin(pixels, piece + 1, pieces);
    scale_cached_tail_first(begin, end, channels * Index(sizeof(S)), [&](Index first, Index last) {
        store_scaled_pixels(x + first * channels, channel_weights, static_cast<const S*>(nullptr), channels,
                            last - first, y + first * channels, streaming);
    });
    if (streaming) stream_fence();
}

/// y = x * channel_weights[c] * map[p] (channel_weights may be null: 1) over the pixels
/// [at, at + count) of the planes of channels [channel_begin, channel_end) of one NCHW sample
/// of `pixels` per plane; `map` starts at `at`. In memory order.
template <class S>
void scale_planes(const S* x, Index pixels, Index channel_begin, Index channel_end, Index at, Index count,
                  const S* channel_weights, const S* map, S* y, bool streaming) {
    for (Index c = channel_begin; c < channel_end; ++c)
        store_scaled(x + c * pixels + at, map, channel_weights ? channel_weights[c] : S(1), y + c * pixels + at, count,
                     streaming);
    if (streaming) stream_fence();
}

/// The same over rows [row_begin, row_end) of every channel of one NCHW sample of
/// `channels` x `pixels`, rows `width` long. The rows to prefetch (the last two arguments)
/// are unused in this layout: its bands are pooled in one step.
template <class S>
void scale_rows(const S* x, Index channels, Index pixels, Index width, Index row_begin, Index row_end, NCHW,
                const S* channel_weights, const S* map, S* y, bool streaming, Index, Index) {
    scale_planes(x, pixels, 0, channels, row_begin * width, (row_end - row_begin) * width, channel_weights, map, y,
                 streaming);
}

/// The same for one NHWC sample, prefetching rows [ahead_begin, ahead_end) of x alongside,
/// a pixel for each pixel written.
template <class S>
void scale_rows(const S* x, Index channels, Index, Index width, Index row_begin, Index row_end, NHWC,
                const S* channel_weights, const S* map, S* y, bool streaming, Index ahead_begin, Index ahead_end) {
    const Index at = row_begin * width;
    store_scaled_pixels(x + at * channels, channel_weights, map, channels, (row_end - row_begin) * width,
                        y + at * channels, streaming, ahead_end > ahead_begin ? x + ahead_begin * width * channels : nullptr,
                        (ahead_end - ahead_begin) * width);
    if (streaming) stream_fence();
}

}  // namespace seattn::detail
