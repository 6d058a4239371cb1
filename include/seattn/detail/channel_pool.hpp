#pragma once
// Channel pooling for spatial attention: per-pixel mean and max over the channels of one
// sample, optionally of the sample already scaled by channel weights (CBAM), without
// materialising that scaled sample. A range of image rows at a time, so that the fused
// spatial pass can scale the rows while they are cached.

#include "squeeze.hpp"

namespace seattn::detail {

/// mean[p] and max[p] over c of x[c, p] * (channel_weights ? channel_weights[c] : 1) for the
/// pixels p of rows [row_begin, row_end) of one NCHW sample of `channels` x `pixels`, rows
/// `width` long; mean and max start at row_begin.
template <class S>
void channel_pool_rows(const S* x, Index channels, Index pixels, Index width, Index row_begin, Index row_end, NCHW,
                       const S* channel_weights, S* mean, S* max) {
    const Index at = row_begin * width, count = (row_end - row_begin) * width;
    ArrayMap<S> total(mean, count), largest(max, count);
    auto weight = [channel_weights](Index c) { return channel_weights ? channel_weights[c] : S(1); };
    auto scaled = [&](Index c) { return ConstArrayMap<S>(x + c * pixels + at, count) * weight(c); };
    const nan_max_op<S> nan_max;
    total = scaled(0);
    largest = total;
    Index c = 1;
    // Four channels per update keep the loads of x ahead of the loads and stores of the maps.
    for (; c + 4 <= channels; c += 4) {
        total += (scaled(c) + scaled(c + 1)) + (scaled(c + 2) + scaled(c + 3));
        largest = largest.binaryExpr(
            scaled(c).binaryExpr(scaled(c + 1), nan_max).binaryExpr(scaled(c + 2).binaryExpr(scaled(c + 3), nan_max), nan_max),
            nan_max);
    }
    for (; c < channels; ++c) {
        total += scaled(c);
        largest = largest.binaryExpr(scaled(c), nan_max);
    }
    total /= S(channels);
}

/// The same for one NHWC sample.
template <class S>
void channel_pool_rows(const S* x, Index channels, Index, Index width, Index row_begin, Index row_end, NHWC,
                       const S* channel_weights, S* mean, S* max) {
    for (Index p = row_begin * width; p < row_end * width; ++p) {
        ConstArrayMap<S> pixel(x + p * channels, channels);
        const Index i = p - row_begin * width;
        if (channel_weights) {
            ConstArrayMap<S> weights(channel_weights, channels);
            mean[i] = (pixel * weights).sum() / S(channels);
            max[i] = (pixel * weights).template maxCoeff<Eigen::PropagateNaN>();
        } else {
            mean[i] = pixel.sum() / S(channels);
            max[i] = pixel.template maxCoeff<Eigen::PropagateNaN>();
        }
    }
}

}  // namespace seattn::detail
