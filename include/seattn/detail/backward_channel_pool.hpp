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

/// x_in[c, p] = x[c, p] * (channel_weights ? channel_weights[c] : 1), the spatial stage's input.
template <class S>
S scaled_input(const S* x, Index at, const S* channel_weights, Index c) {
    return channel_weights ? x[at] * channel_weights[c] : x[at];
}

/// mean[p], max[p] and argmax[p] over the channels of x_in for one NCHW sample.
template <class S>
void channel_pool_train(const S* x, Index channels, Index pixels, NCHW, const S* channel_weights, S* mean, S* max,
                        Index* argmax) {
    for (Index p = 0; p < pixels; ++p) max[p] = scaled_input(x, p, channel_weights, 0), argmax[p] = 0;
    ArrayMap<S> total(mean, pixels);
    total = ConstArrayMap<S>(max, pixels);
    for (Index c = 1; c < channels; ++c)
        for (Index p = 0; p < pixels; ++p) {
            const S v = scaled_input(x, c * pixels + p, channel_weights, c);
            mean[p] += v;
            if (takes_max(v, max[p])) max[p] = v, argmax[p] = c;
        }
    total /= S(channels);
}

/// The same for one NHWC sample.
template <class S>
void channel_pool_train(const S* x, Index channels, Index pixels, NHWC, const S* channel_weights, S* mean, S* max,
                        Index* argmax) {
    for (Index p = 0; p < pixels; ++p) {
        S total = S(0), best = scaled_input(x, p * channels, channel_weights, 0);
        Index best_c = 0;
        for (Index c = 0; c < channels; ++c) {
            const S v = scaled_input(x, p * channels + c, channel_weights, c);
            total += v;
            if (takes_max(v, best)) best = v, best_c = c;
        }
        mean[p] = total / S(channels);
        max[p] = best;
        argmax[p] = best_c;
    }
}

/// dL/dmap[p] = sum over c of grad_y[c, p] * x_in[c, p] for one NCHW sample.
template <class S>
void spatial_gate_gradient(const S* grad_y, const S* x, Index channels, Index pixels, NCHW, const S* channel_weights,
                           S* grad_map) {
    ArrayMap<S> total(grad_map, pixels);
    total.setZero();
    for (Index c = 0; c < channels; ++c) {
        const S weight = channel_weights ? channel_weights[c] : S(1);
        total += ConstArrayMap<S>(grad_y + c * pixels, pixels) * (ConstArrayMap<S>(x + c * pixels, pixels) * weight);
    }
}

/// The same for one NHWC sample.
template <class S>
void spatial_gate_gradient(const S* grad_y, const S* x, Index channels, Index pixels, NHWC, const S* channel_weights,
                           S* grad_map) {
    for (Index p = 0; p < pixels; ++p) {
        ConstArrayMap<S> gy(grad_y + p * channels, channels), in(x + p * channels, channels);
        grad_map[p] = channel_weights ? (gy * (in * ConstArrayMap<S>(channel_weights, channels))).sum()
                                      : (gy * in).sum();
    }
}

/// dL/dx_in[c, p] = grad_y[c, p] * map[p] + grad_mean[p] / channels, plus grad_max[p] at
/// pixel p's arg-max channel, for one NCHW sample. grad_x may be grad_y itself.
template <class S>
void channel_pool_backward(const S* grad_y, const S* map, const S* grad_mean, const S* grad_max, const Index* argmax,
                           Index channels, Index pixels, NCHW, S* grad_x) {
    ConstArrayMap<S> gate(map, pixels), spread(grad_mean, pixels);
    for (Index c = 0; c < channels; ++c)
        ArrayMap<S>(grad_x + c * pixels, pixels) =
            ConstArrayMap<S>(grad_y + c * pixels, pixels) * gate + spread / S(channels);
    for (Index p = 0; p < pixels; ++p) grad_x[argmax[p] * pixels + p] += grad_max[p];
}

/// The same for one NHWC sample.
template <class S>
void channel_pool_backward(const S* grad_y, const S* map, const S* grad_mean, const S* grad_max, const Index* argmax,
                           Index channels, Index pixels, NHWC, S* grad_x) {
    for (Index p = 0; p < pixels; ++p) {
        ArrayMap<S>(grad_x + p * channels, channels) =
            ConstArrayMap<S>(grad_y + p * channels, channels) * map[p] + grad_mean[p] / S(channels);
        grad_x[p * channels + argmax[p]] += grad_max[p];
    }
}

}  // namespace seattn::detail
