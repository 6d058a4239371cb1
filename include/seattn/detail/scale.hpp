#pragma once
// The final pass of every block: y = x * channel_weight[c] * spatial_map[p], either factor
// optional. Element-wise at the same index, so y may be x itself.

#include "squeeze.hpp"

namespace seattn::detail {

template <class S>
void scale(const S* x, Index channels, Index pixels, NCHW, const S* channel_weights, const S* spatial_map, S* y) {
    for (Index c = 0; c < channels; ++c) {
        ConstArrayMap<S> in(x + c * pixels, pixels);
        ArrayMap<S> out(y + c * pixels, pixels);
        if (channel_weights && spatial_map)
            out = (in * channel_weights[c]) * ConstArrayMap<S>(spatial_map, pixels);
        else if (channel_weights)
            out = in * channel_weights[c];
        else
            out = in * ConstArrayMap<S>(spatial_map, pixels);
    }
}

template <class S>
void scale(const S* x, Index channels, Index pixels, NHWC, const S* channel_weights, const S* spatial_map, S* y) {
    for (Index p = 0; p < pixels; ++p) {
        ConstArrayMap<S> in(x + p * channels, channels);
        ArrayMap<S> out(y + p * channels, channels);
        if (channel_weights && spatial_map)
            out = (in * ConstArrayMap<S>(channel_weights, channels)) * spatial_map[p];
        else if (channel_weights)
            out = in * ConstArrayMap<S>(channel_weights, channels);
        else
            out = in * spatial_map[p];
    }
}

}  // namespace seattn::detail
