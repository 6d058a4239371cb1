#pragma once
// What a training-mode forward records for the backward pass, per stage. Buffers only grow,
// so a workspace that has seen the largest shape allocates nothing more.

#include <vector>

#include "shape.hpp"
#include "spatial_conv.hpp"

namespace seattn::detail {

/// Channel attention (squeeze, excitation MLP, gate) of a batch. "paths" is 1 for mean
/// pooling and 2 for mean and max (path 0 mean, path 1 max).
template <class S>
struct ChannelTape {
    Index paths = 1, reduced = 0;
    std::vector<S> pooled;        // paths x N x C: squeezed vectors z
    std::vector<Index> argmax;    // N x C: pixel index of each channel's max (paths == 2)
    std::vector<S> pre;           // paths x N x R: fc1(z) before the activation
    std::vector<S> hidden;        // paths x N x R: act(fc1(z))
    std::vector<S> hidden_sum;    // N x R: the paths' hidden units summed (paths == 2)
    std::vector<S> logits;        // N x C: summed fc2 outputs before the gate
    std::vector<S> gates;         // N x C: channel weights
    std::vector<S> grad_logits;   // N x C
    std::vector<S> grad_pre;      // paths x N x R
    std::vector<S> grad_hidden;   // N x R, per-sample scratch
    std::vector<S> grad_pooled;   // paths x N x C, per-sample scratch

    void prepare(const Shape& s, Index r, bool with_max) {
        paths = with_max ? 2 : 1;
        reduced = r;
        pooled.resize(paths * s.n * s.c);
        argmax.resize(with_max ? s.n * s.c : 0);
        pre.resize(paths * s.n * r);
        hidden.resize(paths * s.n * r);
        hidden_sum.resize(with_max ? s.n * r : 0);
        logits.resize(s.n * s.c);
        gates.resize(s.n * s.c);
        grad_logits.resize(s.n * s.c);
        grad_pre.resize(paths * s.n * r);
        grad_hidden.resize(s.n * r);
        grad_pooled.resize(paths * s.n * s.c);
    }
};

/// Spatial attention (channel pool, conv, optional BatchNorm, gate) of a batch. The conv
/// reads zero-padded copies of the two pooled maps (`padding`).
template <class S>
struct SpatialTape {
    PaddedMaps<S> padding;       // of the two pooled maps of a sample; padding.k is the kernel
    PaddedMaps<S> grad_padding;  // of a sample's dL/du
    std::vector<Index> argmax;     // N x P: channel index of each pixel's max
    std::vector<S> maps;           // N x 2 x P: the pooled maps in the conv's input order
    std::vector<S> padded;         // N x padding.size()
    std::vector<S> conv;           // N x P: conv output u (before the BatchNorm)
    std::vector<S> logits;         // N x P: pre-gate logits v = bn(u), or u without BatchNorm
    std::vector<S> gates;          // N x P: spatial map
    std::vector<S> grad_conv;      // N x P: dL/du
    std::vector<S> grad_padded;    // N x grad_padding.size(): dL/du zero-padded
    std::vector<S> grad_maps;      // N x 2 x P
    std::vector<S> partials;       // N x partial_size(): per-sample parameter gradients

    /// conv weight [2, k, k], conv bias, bn weight, bn bias.
    Index partial_size() const { return 2 * padding.k * padding.k + 3; }

    void prepare(const Shape& s, Index k) {
        padding = PaddedMaps<S>(2, s.h, s.w, k);
        grad_padding = PaddedMaps<S>(1, s.h, s.w, k);
        const Index p = s.pixels();
        argmax.resize(s.n * p);
        maps.resize(s.n * 2 * p);
        padded.resize(s.n * padding.size());
        conv.resize(s.n * p);
        logits.resize(s.n * p);
        gates.resize(s.n * p);
        grad_conv.resize(s.n * p);
        grad_padded.resize(s.n * grad_padding.size());
        grad_maps.resize(s.n * 2 * p);
        partials.resize(s.n * partial_size());
    }
};

}  // namespace seattn::detail
