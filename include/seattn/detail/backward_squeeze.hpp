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

/// dL/dx where x (`rows` contiguous rows of `length`) feeds y = x * gate[r] and a mean and a
/// max along each row: grad_y * gate[r] + grad_mean[r] / length, plus grad_max[r] (may be
/// null) at the row's arg-max argmax[r]. grad_x may be grad_y itself.
template <class S>
void mean_max_backward_along_rows(const S* grad_y, const S* gate, const S* grad_mean, const S* grad_max,
                                  const Index* argmax, Index rows, Index length, S* grad_x) {
    for (Index r = 0; r < rows; ++r) {
        ArrayMap<S>(grad_x + r * length, length) =
            ConstArrayMap<S>(grad_y + r * length, length) * gate[r] + grad_mean[r] / S(length);
        if (grad_max) grad_x[r * length + argmax[r]] += grad_max[r];
    }
}

/// dL/dx where x (`rows` rows of `length`, `stride` apart) feeds y = x * gate[i] and a mean
/// and a max across the rows: grad_y * gate[i] + grad_mean[i] / rows, plus grad_max[i] (may
/// be null) in the arg-max row argmax[i]. grad_x may be grad_y itself.
template <class S>
void mean_max_backward_across_rows(const S* grad_y, const S* gate, const S* grad_mean, const S* grad_max,
                                   const Index* argmax, Index rows, Index length, Index stride, S* grad_x) {
    ConstArrayMap<S> scale(gate, length), spread(grad_mean, length);
    for (Index r = 0; r < rows; ++r)
        ArrayMap<S>(grad_x + r * stride, length) =
            ConstArrayMap<S>(grad_y + r * stride, length) * scale + spread / S(rows);
    if (grad_max)
        for (Index i = 0; i < length; ++i) grad_x[argmax[i] * stride + i] += grad_max[i];
}

/// grad_x = grad_y * gate[c] + grad_mean[c] / pixels, plus grad_max[c] at channel c's
/// arg-max pixel, for NCHW channels. grad_x may be grad_y itself.
template <class S>
void squeeze_backward(const S* grad_y, const S* gates, const S* grad_mean, const S* grad_max, const Index* argmax,
                      Index channels, Index pixels, Index, NCHW, S* grad_x) {
    mean_max_backward_along_rows(grad_y, gates, grad_mean, grad_max, argmax, channels, pixels, grad_x);
}

/// The same for NHWC channels.
template <class S>
void squeeze_backward(const S* grad_y, const S* gates, const S* grad_mean, const S* grad_max, const Index* argmax,
                      Index channels, Index pixels, Index stride, NHWC, S* grad_x) {
    mean_max_backward_across_rows(grad_y, gates, grad_mean, grad_max, argmax, pixels, channels, stride, grad_x);
}

}  // namespace seattn::detail
