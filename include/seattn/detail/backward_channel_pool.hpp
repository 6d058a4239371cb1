#pragma once
// Channel pooling for spatial attention (per-pixel mean and max over the channels of
// x * channel_weights) as training needs it: the forward records each pixel's arg-max
// channel, the backward spreads the pooled maps' gradients back over the channels and adds
// the gradient through the output scaling y = x_in * map.
//
// Tie rule: the max gradient goes to the FIRST channel (lowest index) holding the maximum,
// as torch.max(x, dim=1) (the official CBAM's ChannelPool) does; a NaN counts as the maximum.

#include "backward_squeeze.hpp"

namespace seattn::detail {

// Each function handles a range of `pixels` pixels of one sample, pointers at the range's
// first pixel; `stride` is the sample's full pixel count, the distance between channel
// planes in NCHW (NHWC pixels are `channels` apart, so it does not need it). Every pixel's
// result is the same whichever ranges the sample is split into.

/// mean[p], max[p] and argmax[p] over the channels of x_in = x * channel_weights (null: 1)
/// for NCHW pixels.
template <class S>
void channel_pool_train(const S* x, Index channels, Index pixels, Index stride, NCHW, const S* channel_weights,
                        S* mean, S* max, Index* argmax) {
    for (Index c = 0; c < channels; ++c) {
        const S weight = channel_weights ? channel_weights[c] : S(1);
        for (Index p = 0; p < pixels; ++p) {
            const S v = channel_weights ? x[c * stride + p] * weight : x[c * stride + p];
            if (c == 0) {
                mean[p] = max[p] = v, argmax[p] = 0;
                continue;
            }
            mean[p] += v;
            if (takes_max(v, max[p])) max[p] = v, argmax[p] = c;
        }
    }
    ArrayMap<S>(mean, pixels) /= S(channels);
}

/// The same for NHWC pixels.
template <class S>
void channel_pool_train(const S* x, Index channels, Index pixels, Index, NHWC, const S* channel_weights, S* mean,
                        S* max, Index* argmax) {
    for (Index p = 0; p < pixels; ++p) {
        const S* pixel = x + p * channels;
        S total = S(0), best = S(0);
        Index best_c = 0;
        for (Index c = 0; c < channels; ++c) {
            const S v = channel_weights ? pixel[c] * channel_weights[c] : pixel[c];
            total += v;
            if (c == 0 || takes_max(v, best)) best = v, best_c = c;
        }
        mean[p] = total / S(channels);
        max[p] = best;
        argmax[p] = best_c;
    }
}

/// dL/dmap[p] = sum over c of grad_y[c, p] * x_in[c, p] for NCHW pixels.
template <class S>
void spatial_gate_gradient(const S* grad_y, const S* x, Index channels, Index pixels, Index stride, NCHW,
                           const S* channel_weights, S* grad_map) {
    ArrayMap<S> total(grad_map, pixels);
    total.setZero();
    for (Index c = 0; c < channels; ++c) {
        const S weight = channel_weights ? channel_weights[c] : S(1);
        total += ConstArrayMap<S>(grad_y + c * stride, pixels) * (ConstArrayMap<S>(x + c * stride, pixels) * weight);
    }
}

/// The same for NHWC pixels.
template <class S>
void spatial_gate_gradient(const S* grad_y, const S* x, Index channels, Index pixels, Index, NHWC,
                           const S* channel_weights, S* grad_map) {
    for (Index p = 0; p < pixels; ++p) {
        ConstArrayMap<S> gy(grad_y + p * channels, channels), in(x + p * channels, channels);
        grad_map[p] = channel_weights ? (gy * (in * ConstArrayMap<S>(channel_weights, channels))).sum()
                                      : (gy * in).sum();
    }
}

/// dL/dx_in[c, p] = grad_y[c, p] * map[p] + grad_mean[p] / channels, plus grad_max[p] at
/// pixel p's arg-max channel, for NCHW pixels. grad_x may be grad_y itself.
template <class S>
void channel_pool_backward(const S* grad_y, const S* map, const S* grad_mean, const S* grad_max, const Index* argmax,
                           Index channels, Index pixels, Index stride, NCHW, S* grad_x) {
    mean_max_backward_across_rows(grad_y, map, grad_mean, grad_max, argmax, channels, pixels, stride, grad_x);
}

/// The same for NHWC pixels.
template <class S>
void channel_pool_backward(const S* grad_y, const S* map, const S* grad_mean, const S* grad_max, const Index* argmax,
                           Index channels, Index pixels, Index, NHWC, S* grad_x) {
    mean_max_backward_along_rows(grad_y, map, grad_mean, grad_max, argmax, pixels, channels, grad_x);
}

}  // namespace seattn::detail
