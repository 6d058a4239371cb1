#pragma once
// Spatial attention (channel pool, conv, optional eval-mode BatchNorm, gate) of a batch in
// training mode. The BatchNorm is NOT folded into the conv here: it is the affine map
// v = (u - mean) * inv_std * gamma + beta with constant running statistics, so that gamma,
// beta and the raw conv weight each get their own gradient. Shared by SpatialAttention and
// CBAM's spatial half (whose input is x scaled by the channel weights).

#include <unsupported/Eigen/CXX11/ThreadPool>

#include "../config.hpp"
#include "backward_channel_pool.hpp"
#include "backward_gates.hpp"
#include "backward_pieces.hpp"
#include "backward_spatial_conv.hpp"
#include "backward_tape.hpp"
#include "parallel.hpp"

namespace seattn::detail {

/// The spatial block's raw (unfolded) parameters as training uses them.
template <class S>
struct SpatialParameters {
    const S* weight = nullptr;  // [2, k, k], map 0 first in conv order
    S bias = S(0);
    bool batchnorm = false;
    S bn_weight = S(1), bn_bias = S(0), bn_mean = S(0), bn_inv_std = S(1);
    Gate gate = Gate::sigmoid;
    bool max_first = false;  // ChannelPoolOrder::max_avg
    Index kernel = 1;
};

/// Layout of SpatialTape::partials: conv weight [2k^2], conv bias, bn weight, bn bias.
struct SpatialPartial {
    Index conv_bias, bn_weight, bn_bias;
    explicit SpatialPartial(Index k) : conv_bias(2 * k * k), bn_weight(2 * k * k + 1), bn_bias(2 * k * k + 2) {}
};

/// Pooled maps, conv output, logits and gates of every sample of x_in = x * channel_weights
/// (channel_weights, N x C, may be null), into `tape` (prepared for s and the kernel).
template <class Layout, class S>
void spatial_forward_train(Eigen::ThreadPoolInterface* pool, const SpatialParameters<S>& par, const S* x,
                           const S* channel_weights, const Shape& s, SpatialTape<S>& tape) {
    const Index p = s.pixels();
    for_each_piece(pool, s.n, p, pieces_per_sample(pool, s.n, p), [&](Index n, Index begin, Index end) {
        S* first = tape.maps.data() + n * 2 * p + begin;
        S* second = first + p;
        channel_pool_train(x + n * s.sample_size() + pixel_offset(begin, p, s.c, Layout{}), s.c, end - begin, p,
                           Layout{}, channel_weights ? channel_weights + n * s.c : nullptr,
                           par.max_first ? second : first, par.max_first ? first : second,
                           tape.argmax.data() + n * p + begin);
    });
    parallel_for(pool, s.n, [&](Index begin, Index end) {
        for (Index n = begin; n < end; ++n) {
            const S* first = tape.maps.data() + n * 2 * p;
            const S* maps[2] = {first, first + p};
            S* padded = tape.padded.data() + n * tape.padding.size();
            pad_rows(maps, tape.padding, 0, s.h, padded);
            spatial_conv_rows(padded, tape.padding, par.weight, par.bias, 0, s.h, tape.conv.data() + n * p);
            for (Index i = n * p; i < (n + 1) * p; ++i) {
                const S u = tape.conv[i];
                tape.logits[i] = par.batchnorm ? (u - par.bn_mean) * par.bn_inv_std * par.bn_weight + par.bn_bias : u;
            }
            apply_gate(par.gate, tape.logits.data() + n * p, p, tape.gates.data() + n * p);
        }
    });
}

/// dL/dx_in of y = x_in * gate(v) for every sample (grad_x may be grad_y itself), keeping
/// each sample's parameter gradients in tape.partials for spatial_parameter_gradients.
template <class Layout, class S>
void spatial_backward(Eigen::ThreadPoolInterface* pool, const SpatialParameters<S>& par, const S* x,
                      const S* channel_weights, const S* grad_y, S* grad_x, const Shape& s, SpatialTape<S>& tape) {
    const Index p = s.pixels(), k = par.kernel, psize = tape.partial_size();
    const Index pieces = pieces_per_sample(pool, s.n, p);
    const SpatialPartial at(k);
    const S bn_scale = par.bn_inv_std * par.bn_weight;
    for_each_piece(pool, s.n, p, pieces, [&](Index n, Index begin, Index end) {
        const Index offset = n * s.sample_size() + pixel_offset(begin, p, s.c, Layout{});
        spatial_gate_gradient(grad_y + offset, x + offset, s.c, end - begin, p, Layout{},
                              channel_weights ? channel_weights + n * s.c : nullptr,
                              tape.grad_conv.data() + n * p + begin);
    });
    parallel_for(pool, s.n, [&](Index begin, Index end) {
        for (Index n = begin; n < end; ++n) {
            S* grad_conv = tape.grad_conv.data() + n * p;
            S* partial = tape.partials.data() + n * psize;
            const S* logits = tape.logits.data() + n * p;
            const S* gates = tape.gates.data() + n * p;
            const S* conv = tape.conv.data() + n * p;
            S bias = S(0), bn_weight = S(0), bn_bias = S(0);
            for (Index i = 0; i < p; ++i) {
                const S grad_logit = gate_backward(par.gate, logits[i], gates[i], grad_conv[i]);
                if (par.batchnorm) {
                    bn_weight += grad_logit * ((conv[i] - par.bn_mean) * par.bn_inv_std);
                    bn_bias += grad_logit;
                    grad_conv[i] = grad_logit * bn_scale;
                } else {
                    grad_conv[i] = grad_logit;
                }
                bias += grad_conv[i];
            }
            partial[at.conv_bias] = bias, partial[at.bn_weight] = bn_weight, partial[at.bn_bias] = bn_bias;
            conv_weight_gradient(tape.padded.data() + n * tape.padding.size(), tape.padding, grad_conv, partial);
            S* grad_first = tape.grad_maps.data() + n * 2 * p;
            conv_input_gradient(grad_conv, tape.grad_padding, par.weight,
                                tape.grad_padded.data() + n * tape.grad_padding.size(), grad_first, grad_first + p);
        }
    });
    for_each_piece(pool, s.n, p, pieces, [&](Index n, Index begin, Index end) {
        const Index offset = n * s.sample_size() + pixel_offset(begin, p, s.c, Layout{});
        const S* grad_first = tape.grad_maps.data() + n * 2 * p + begin;
        const S* grad_second = grad_first + p;
        channel_pool_backward(grad_y + offset, tape.gates.data() + n * p + begin,
                              par.max_first ? grad_second : grad_first, par.max_first ? grad_first : grad_second,
                              tape.argmax.data() + n * p + begin, s.c, end - begin, p, Layout{}, grad_x + offset);
    });
}

/// Where the spatial block's gradients go: conv weight [2, k, k]; conv bias, bn weight and
/// bn bias may be null when the block lacks them.
template <class S>
struct SpatialGradientSlots {
    S *conv_weight, *conv_bias, *bn_weight, *bn_bias;
};

/// Sums the per-sample parameter gradients in sample order, after spatial_backward.
template <class S>
void spatial_parameter_gradients(const Shape& s, const SpatialTape<S>& tape, const SpatialGradientSlots<S>& out) {
    const Index psize = tape.partial_size();
    const SpatialPartial at(tape.padding.k);
    ArrayMap<S> weight(out.conv_weight, at.conv_bias);
    weight.setZero();
    S totals[3] = {S(0), S(0), S(0)};
    for (Index n = 0; n < s.n; ++n) {
        const S* partial = tape.partials.data() + n * psize;
        weight += ConstArrayMap<S>(partial, at.conv_bias);
        totals[0] += partial[at.conv_bias], totals[1] += partial[at.bn_weight], totals[2] += partial[at.bn_bias];
    }
    if (out.conv_bias) *out.conv_bias = totals[0];
    if (out.bn_weight) *out.bn_weight = totals[1];
    if (out.bn_bias) *out.bn_bias = totals[2];
}

}  // namespace seattn::detail
