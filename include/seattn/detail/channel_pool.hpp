#pragma once
// Channel pooling for spatial attention: per-pixel mean and max over the channels of one
// sample, optionally of the sample already scaled by channel weights (CBAM), without
// materialising that scaled sample.

#include "squeeze.hpp"

namespace seattn::detail {

/// mean[p] and max[p] over c of x[c, p] * (channel_weights ? channel_weights[c] : 1).
template <class S>
void channel_pool(const S* x, Index channels, Index pixels, NCHW, const S* channel_weights, S* mean, S* max) {
    ArrayMap<S> total(mean, pixels), largest(max, pixels);
    for (Index c = 0; c < channels; ++c) {
        ConstArrayMap<S> plane(x + c * pixels, pixels);
        if (channel_weights) {
            const S weight = channel_weights[c];
            if (c == 0) {
                total = plane * weight;
                largest = total;
            } else {
                total += plane * weight;
                largest = largest.binaryExpr(plane * weight, nan_max_op<S>());
            }
        } else if (c == 0) {
            total = plane;
            largest = plane;
        } else {
            total += plane;
            largest = largest.binaryExpr(plane, nan_max_op<S>());
        }
    }
    total /= S(channels);
}

/// The same for one NHWC sample.
template <class S>
void channel_pool(const S* x, Index channels, Index pixels, NHWC, const S* channel_weights, S* mean, S* max) {
    for (Index p = 0; p < pixels; ++p) {
        ConstArrayMap<S> pixel(x + p * channels, channels);
        if (channel_weights) {
            ConstArrayMap<S> weights(channel_weights, channels);
            mean[p] = (pixel * weights).sum() / S(channels);
            max[p] = (pixel * weights).template maxCoeff<Eigen::PropagateNaN>();
        } else {
            mean[p] = pixel.sum() / S(channels);
            max[p] = pixel.template maxCoeff<Eigen::PropagateNaN>();
        }
    }
}

}  // namespace seattn::detail
