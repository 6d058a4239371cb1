#pragma once
// The scalar non-linearities of the blocks and their derivatives, written so that they
// neither overflow nor lose NaN: sigmoid(-1e30) is 0, sigmoid(NaN) is NaN.

#include <algorithm>
#include <cmath>

#include <Eigen/Core>

#include "../config.hpp"
#include "packet_math.hpp"

namespace seattn::detail {

template <class S>
S sigmoid(S x) {
    // Two branches so that exp never sees a large positive argument.
    if (x >= S(0)) return S(1) / (S(1) + std::exp(-x));
    const S e = std::exp(x);
    return e / (S(1) + e);
}

template <class S>
S hardsigmoid(S x) {
    if (x <= S(-3)) return S(0);
    if (x >= S(3)) return S(1);
    return (x + S(3)) / S(6);  // NaN falls through both comparisons and propagates here
}

template <class S>
S relu(S x) {
    return x > S(0) ? x : (x != x ? x : S(0));
}

template <class S>
S silu(S x) {
    return x * sigmoid(x);
}

template <class S>
S apply_activation(Activation a, S x) {
    return a == Activation::relu ? relu(x) : silu(x);
}

/// out[i] = gate(in[i]) for `count` values. The sigmoid is vectorised as 1 / (1 + exp(-x)):
/// exp(-x) overflowing to inf gives exactly 0, not NaN, and NaN passes through. Every value,
/// the last partial packet's too, goes through the SIMD exp, so that a value's result does
/// not depend on where it lies: an Eigen expression computes the values before out's first
/// aligned packet with the scalar std::exp, which differs in the last bit, and with AVX-512's
/// 64-byte packets where that is depends on the allocation (a batch and its first sample on
/// their own then gave CBAM outputs one bit apart). The channel weights go through it too:
/// std::exp a channel at a time took 1.06 us for 512 channels and 4.3 us for 2048, this
/// 0.07 and 0.35 (microbenchmark, AVX-512 machine), which made SE and CBAM on 1x1024x14x14
/// and 1x2048x7x7 1.06-1.13x as fast on 1 thread and 1.01-1.11x on 2 (medians of 8
/// alternating runs of seattn_bench).
template <class S>
void apply_gate(Gate g, const S* in, Eigen::Index count, S* out) {
    if (g == Gate::hardsigmoid) {
        for (Eigen::Index i = 0; i < count; ++i) out[i] = hardsigmoid(in[i]);
        return;
    }
    using Eigen::internal::padd;
    const Packet<S> one = Eigen::internal::pset1<Packet<S>>(S(1));
    auto gate = [&one](const Packet<S>& x) {
        return Eigen::internal::pdiv(one, padd(one, Eigen::internal::pexp(Eigen::internal::pnegate(x))));
    };
    Eigen::Index i = 0;
    for (; i + lanes<S> <= count; i += lanes<S>) store_packet(out + i, gate(load(in + i)));
    if (i == count) return;
    S tail[lanes<S>] = {};
    std::copy(in + i, in + count, tail);
    store_packet(tail, gate(load(tail)));
    std::copy(tail, tail + (count - i), out + i);
}

}  // namespace seattn::detail
