#pragma once
// Channel attention (squeeze, excitation, gate) of a batch in training mode: the forward
// fills a ChannelTape, the backward turns dL/dy into dL/dx and the MLP's gradients. Shared
// by SEBlock and CBAM's channel half.

#include <type_traits>

#include <unsupported/Eigen/CXX11/ThreadPool>

#include "backward_excitation.hpp"
#include "backward_gates.hpp"
#include "backward_pieces.hpp"
#include "backward_squeeze.hpp"
#include "backward_tape.hpp"
#include "parallel.hpp"
#include "squeeze.hpp"
#include "scale.hpp"

namespace seattn::detail {

/// y = x * channel_weights[c] * spatial_map[p] over `rows` rows of `length` values of one
/// sample (either factor may be null, not both); y may be x. Rows are channels in NCHW and
/// pixels in NHWC. The forward's own scaling (scale_planes, store_scaled_pixels), so that
/// the same gates give the same bits.
template <class Layout, class S>
void scale_sample(const S* x, Index rows, Index length, const S* channel_weights, const S* spatial_map, S* y) {
    if constexpr (std::is_same<Layout, NHWC>::value)
        store_scaled_pixels(x, channel_weights, spatial_map, length, rows, y, false);
    else
        scale_planes(x, length, 0, rows, 0, length, channel_weights, spatial_map, y, false);
}

/// y = x * channel_weights[n, c] * spatial_map[n, p] (either factor may be null) over a
/// batch, each sample split into whole rows: channels (NCHW) or pixels (NHWC).
template <class Layout, class S>
void scale_batch(Eigen::ThreadPoolInterface* pool, const S* x, const Shape& s, const S* channel_weights,
                 const S* spatial_map, S* y) {
    constexpr bool nchw = std::is_same<Layout, NCHW>::value;
    const Index rows = nchw ? s.c : s.pixels(), length = nchw ? s.pixels() : s.c;
    for_each_piece(pool, s.n, rows, pieces_per_sample(pool, s.n, rows), [&](Index n, Index begin, Index end) {
        const Index at = n * s.sample_size() + begin * length;
        const S* weights = channel_weights ? channel_weights + n * s.c + (nchw ? begin : 0) : nullptr;
        const S* map = spatial_map ? spatial_map + n * s.pixels() + (nchw ? 0 : begin) : nullptr;
        scale_sample<Layout>(x + at, end - begin, length, weights, map, y + at);
    });
}

/// Pooled vectors, MLP activations, logits and gates of every sample of x, into `tape`
/// (prepared for s and the MLP's width).
template <class Layout, class S>
void channel_forward_train(Eigen::ThreadPoolInterface* pool, const Excitation<S>& mlp, Gate gate, const S* x,
                           const Shape& s, ChannelTape<S>& tape) {
    const Index r = mlp.reduced(), batch_c = s.n * s.c, batch_r = s.n * r;
    const bool with_max = tape.paths == 2;
    for_each_piece(pool, s.n, s.c, pieces_per_sample(pool, s.n, s.c), [&](Index n, Index begin, Index end) {
        const Index at = n * s.c + begin;
        squeeze_train(x + n * s.sample_size() + channel_offset(begin, s.pixels(), s.c, Layout{}), end - begin,
                      s.pixels(), s.c, Layout{}, tape.pooled.data() + at,
                      with_max ? tape.pooled.data() + batch_c + at : nullptr,
                      with_max ? tape.argmax.data() + at : nullptr);
    });
    parallel_for(pool, s.n, [&](Index begin, Index end) {
        for (Index n = begin; n < end; ++n) {
            const Index at = n * s.c;
            const S* pooled[2] = {tape.pooled.data() + at, with_max ? tape.pooled.data() + batch_c + at : nullptr};
            S* pre[2] = {tape.pre.data() + n * r, with_max ? tape.pre.data() + batch_r + n * r : nullptr};
            S* hidden[2] = {tape.hidden.data() + n * r, with_max ? tape.hidden.data() + batch_r + n * r : nullptr};
            mlp.hidden_units(pooled, hidden, tape.paths, pre);
            // fc2 maps the paths' summed hidden units once, as in inference (logit_rows).
            const S* summed = hidden[0];
            if (with_max) {
                S* sum = tape.hidden_sum.data() + n * r;
                mlp.sum_paths(hidden, sum);
                summed = sum;
            }
            S* logits = tape.logits.data() + at;
            mlp.logit_rows(summed, tape.paths, logits, 0, s.c);
            apply_gate(gate, logits, s.c, tape.gates.data() + at);
        }
    });
}

/// dL/dx of y = x * gate(logits) for every sample (grad_x may be grad_y itself), keeping
/// dL/dlogits and dL/dpre in `tape` for channel_parameter_gradients.
template <class Layout, class S>
void channel_backward(Eigen::ThreadPoolInterface* pool, const Excitation<S>& mlp, Gate gate, const S* x,
                      const S* grad_y, S* grad_x, const Shape& s, ChannelTape<S>& tape) {
    const Index r = mlp.reduced(), batch_c = s.n * s.c, batch_r = s.n * r;
    const bool with_max = tape.paths == 2;
    const Index pieces = pieces_per_sample(pool, s.n, s.c);
    for_each_piece(pool, s.n, s.c, pieces, [&](Index n, Index begin, Index end) {
        const Index at = n * s.sample_size() + channel_offset(begin, s.pixels(), s.c, Layout{});
        channel_gate_gradient(grad_y + at, x + at, end - begin, s.pixels(), s.c, Layout{},
                              tape.grad_logits.data() + n * s.c + begin);
    });
    parallel_for(pool, s.n, [&](Index begin, Index end) {
        for (Index n = begin; n < end; ++n) {
            const Index at = n * s.c;
            S* grad_logits = tape.grad_logits.data() + at;
            for (Index c = 0; c < s.c; ++c)
                grad_logits[c] = gate_backward(gate, tape.logits[at + c], tape.gates[at + c], grad_logits[c]);
            for (Index path = 0; path < tape.paths; ++path)
                excitation_backward(mlp, grad_logits, tape.pre.data() + path * batch_r + n * r,
                                    tape.grad_hidden.data() + n * r, tape.grad_pre.data() + path * batch_r + n * r,
                                    tape.grad_pooled.data() + path * batch_c + at);
        }
    });
    for_each_piece(pool, s.n, s.c, pieces, [&](Index n, Index begin, Index end) {
        const Index at = n * s.sample_size() + channel_offset(begin, s.pixels(), s.c, Layout{});
        const Index c0 = n * s.c + begin;
        squeeze_backward(grad_y + at, tape.gates.data() + c0, tape.grad_pooled.data() + c0,
                         with_max ? tape.grad_pooled.data() + batch_c + c0 : nullptr,
                         with_max ? tape.argmax.data() + c0 : nullptr, end - begin, s.pixels(), s.c, Layout{},
                         grad_x + at);
    });
}

/// Where the MLP's gradients go (the biases' may be null).
template <class S>
struct ChannelGradientSlots {
    S *fc1_weight, *fc1_bias, *fc2_weight, *fc2_bias;
};

/// The MLP's weight and bias gradients, summed over the batch, after channel_backward.
template <class S>
void channel_parameter_gradients(Eigen::ThreadPoolInterface* pool, const Shape& s, const ChannelTape<S>& tape,
                                 const ChannelGradientSlots<S>& out) {
    excitation_parameter_gradients(pool, s.n, tape.paths, s.c, tape.reduced, tape.grad_logits.data(),
                                   tape.hidden.data(), tape.grad_pre.data(), tape.pooled.data(), out.fc1_weight,
                                   out.fc1_bias, out.fc2_weight, out.fc2_bias);
}

}  // namespace seattn::detail
