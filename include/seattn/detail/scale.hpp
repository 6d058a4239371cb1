#pragma once
// The final pass of every block: y = x * channel_weight[c] * spatial_map[p], either factor
// optional. Element-wise at the same index, so y may be x itself. `streaming` selects
// streaming stores for outputs too large for the cache (stream_output).

#include <algorithm>

#include "cache_order.hpp"
#include "squeeze.hpp"
#include "store.hpp"

namespace seattn::detail {

/// y = x * channel_weights[c] over piece `piece` of `pieces` of one NCHW sample (the
/// channels squeeze_piece read), in memory order: the squeeze read the first planes last
/// (tail_first_head_last), so the cache still holds them.
template <class S>
void scale_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NCHW, const S* channel_weights,
                 S* y, bool streaming) {
    const Index begin = piece_begin(channels, piece, pieces), end = piece_begin(channels, piece + 1, pieces);
    for (Index c = begin; c < end; ++c)
        store_scaled(x + c * pixels, channel_weights[c], y + c * pixels, pixels, streaming);
    if (streaming) stream_fence();
}

/// The same over the pixels squeeze_piece read of one NHWC sample.
template <class S>
void scale_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NHWC, const S* channel_weights,
                 S* y, bool streaming) {
    const Index begin = piece_begin(pixels, piece, pieces), end = piece_begin(pixels, piece + 1, pieces);
    store_scaled_pixels(x + begin * channels, channel_weights, static_cast<const S*>(nullptr), channels, end - begin,
                        y + begin * channels, streaming);
    if (streaming) stream_fence();
}

/// y = x * channel_weights[c] * map[p] (either may be null: 1, not both) over the pixels
/// [at, at + count) of the planes of channels [channel_begin, channel_end) of one NCHW sample
/// of `pixels` per plane; `map` starts at `at`. The planes the channel pooling read last
/// first (tail_first), each run in memory order.
template <class S>
void scale_planes(const S* x, Index pixels, Index channel_begin, Index channel_end, Index at, Index count,
                  const S* channel_weights, const S* map, S* y, bool streaming) {
    tail_first(channel_begin, channel_end, count * Index(sizeof(S)), [&](Index first, Index last) {
        for (Index c = first; c < last; ++c) {
            const S weight = channel_weights ? channel_weights[c] : S(1);
            if (map)
                store_scaled(x + c * pixels + at, map, weight, y + c * pixels + at, count, streaming);
            else
                store_scaled(x + c * pixels + at, weight, y + c * pixels + at, count, streaming);
        }
    });
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
