#pragma once
// Squeeze (per-channel mean and max over H * W) as training needs it: the forward records
// each channel's arg-max pixel, the backward spreads dL/dz back over the pixels.
//
// Tie rule: the max gradient goes to the FIRST pixel (lowest h * W + w) holding the maximum,
// as PyTorch's max_pool2d / adaptive_max_pool2d and torch.max(dim) do; a NaN counts as the
// maximum (its first occurrence). The scan order is the same in both layouts.

#include <cmath>

#include "squeeze.hpp"

namespace seattn::detail {

/// Whether v replaces `best` as the running maximum (first of equals wins, NaN wins once).
template <class S>
bool takes_max(S v, S best) {
    return v > best || (std::isnan(v) && !std::isnan(best));
}

// Each function handles a range of `channels` channels of one sample, pointers at the
// range's first channel; `stride` is the sample's full channel count, the distance between
// pixels in NHWC (NCHW planes are `pixels` apart, so it does not need it). Every channel's
// result is the same whichever ranges the sample is split into.

/// mean[c] over the pixels of NCHW channels; with `max`, also max[c] and its pixel argmax[c].
template <class S>
void squeeze_train(const S* x, Index channels, Index pixels, Index, NCHW, S* mean, S* max, Index* argmax) {
    for (Index c = 0; c < channels; ++c) {
        const S* plane = x + c * pixels;
        mean[c] = ConstArrayMap<S>(plane, pixels).sum() / S(pixels);
        if (!max) continue;
        Index best = 0;
        for (Index p = 1; p < pixels; ++p)
            if (takes_max(plane[p], plane[best])) best = p;
        max[c] = plane[best];
        argmax[c] = best;
    }
}

/// The same for NHWC channels.
template <class S>
void squeeze_train(const S* x, Index channels, Index pixels, Index stride, NHWC, S* mean, S* max, Index* argmax) {
    ArrayMap<S> total(mean, channels);
    total.setZero();
    for (Index p = 0; p < pixels; ++p) total += ConstArrayMap<S>(x + p * stride, channels);
    total /= S(pixels);
    if (!max) return;
    for (Index c = 0; c < channels; ++c) max[c] = x[c], argmax[c] = 0;
    for (Index p = 1; p < pixels; ++p)
        for (Index c = 0; c < channels; ++c) {
            const S v = x[p * stride + c];
            if (takes_max(v, max[c])) max[c] = v, argmax[c] = p;
        }
}

/// dL/dgate[c] = sum over p of grad_y[c, p] * x[c, p] for NCHW channels.
template <class S>
void channel_gate_gradient(const S* grad_y, const S* x, Index channels, Index pixels, Index, NCHW, S* grad_gate) {
    for (Index c = 0; c < channels; ++c)
        grad_gate[c] = (ConstArrayMap<S>(grad_y + c * pixels, pixels) * ConstArrayMap<S>(x + c * pixels, pixels)).sum();
}

/// The same for NHWC channels.
template <class S>
void channel_gate_gradient(const S* grad_y, const S* x, Index channels, Index pixels, Index stride, NHWC,
                           S* grad_gate) {
    ArrayMap<S> total(grad_gate, channels);
    total.setZero();
    for (Index p = 0; p < pixels; ++p)
        total += ConstArrayMap<S>(grad_y + p * stride, channels) * ConstArrayMap<S>(x + p * stride, channels);
}

/// grad_x = grad_y * gate[c] + grad_mean[c] / pixels, plus grad_max[c] at channel c's
/// arg-max pixel, for NCHW channels. grad_x may be grad_y itself.
template <class S>
void squeeze_backward(const S* grad_y, const S* gates, const S* grad_mean, const S* grad_max, const Index* argmax,
                      Index channels, Index pixels, Index, NCHW, S* grad_x) {
    for (Index c = 0; c < channels; ++c) {
        ArrayMap<S>(grad_x + c * pixels, pixels) =
            ConstArrayMap<S>(grad_y + c * pixels, pixels) * gates[c] + grad_mean[c] / S(pixels);
        if (grad_max) grad_x[c * pixels + argmax[c]] += grad_max[c];
    }
}

/// The same for NHWC channels.
template <class S>
void squeeze_backward(const S* grad_y, const S* gates, const S* grad_mean, const S* grad_max, const Index* argmax,
                      Index channels, Index pixels, Index stride, NHWC, S* grad_x) {
    ConstArrayMap<S> gate(gates, channels), spread(grad_mean, channels);
    for (Index p = 0; p < pixels; ++p)
        ArrayMap<S>(grad_x + p * stride, channels) =
            ConstArrayMap<S>(grad_y + p * stride, channels) * gate + spread / S(pixels);
    if (grad_max)
        for (Index c = 0; c < channels; ++c) grad_x[argmax[c] * stride + c] += grad_max[c];
}

}  // namespace seattn::detail
