#pragma once
// The final pass of every block: y = x * channel_weight[c] * spatial_map[p], either factor
// optional. Element-wise at the same index, so y may be x itself. `streaming` selects
// streaming stores for outputs too large for the cache (stream_output).

#include <algorithm>

#include "squeeze.hpp"
#include "store.hpp"

namespace seattn::detail {

/// y = x * channel_weights[c] over piece `piece` of `pieces` of one NCHW sample (the
/// channels squeeze_piece read), last channel first: what the squeeze read last is what
/// the cache still holds.
template <class S>
void scale_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NCHW, const S* channel_weights,
                 S* y, bool streaming) {
    const Index begin = piece_begin(channels, piece, pieces);
    for (Index c = piece_begin(channels, piece + 1, pieces) - 1; c >= begin; --c)
        store(y + c * pixels, pixels, ConstArrayMap<S>(x + c * pixels, pixels) * channel_weights[c], streaming);
    if (streaming) stream_fence();
}

/// The same over the pixels squeeze_piece read of one NHWC sample, last block first.
template <class S>
void scale_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NHWC, const S* channel_weights,
                 S* y, bool streaming) {
    const Index begin = piece_begin(pixels, piece, pieces), end = piece_begin(pixels, piece + 1, pieces);
    // Blocks of pixels long enough for the hardware prefetcher, walked backwards.
    constexpr Index block = 16;
    ConstArrayMap<S> weights(channel_weights, channels);
    for (Index p1 = end; p1 > begin; p1 -= block)
        for (Index p = std::max(begin, p1 - block); p < p1; ++p)
            store(y + p * channels, channels, ConstArrayMap<S>(x + p * channels, channels) * weights, streaming);
    if (streaming) stream_fence();
}

/// y = x * channel_weights[c] * map[p] (channel_weights may be null: 1) over rows
/// [row_begin, row_end) of one NCHW sample of `channels` x `pixels`, rows `width` long;
/// `map` starts at row_begin. Last channel first, as scale_piece.
template <class S>
void scale_rows(const S* x, Index channels, Index pixels, Index width, Index row_begin, Index row_end, NCHW,
                const S* channel_weights, const S* map, S* y, bool streaming) {
    const Index at = row_begin * width, count = (row_end - row_begin) * width;
    ConstArrayMap<S> factors(map, count);
    for (Index c = channels - 1; c >= 0; --c) {
        ConstArrayMap<S> in(x + c * pixels + at, count);
        store(y + c * pixels + at, count, in * (factors * (channel_weights ? channel_weights[c] : S(1))), streaming);
    }
    if (streaming) stream_fence();
}

/// The same for one NHWC sample.
template <class S>
void scale_rows(const S* x, Index channels, Index, Index width, Index row_begin, Index row_end, NHWC,
                const S* channel_weights, const S* map, S* y, bool streaming) {
    for (Index p = row_begin * width; p < row_end * width; ++p) {
        const S factor = map[p - row_begin * width];
        ConstArrayMap<S> in(x + p * channels, channels);
        if (channel_weights)
            store(y + p * channels, channels, in * (ConstArrayMap<S>(channel_weights, channels) * factor), streaming);
        else
            store(y + p * channels, channels, in * factor, streaming);
    }
    if (streaming) stream_fence();
}

}  // namespace seattn::detail
