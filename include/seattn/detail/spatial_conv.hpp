#pragma once
// The spatial convolution: a k x k cross-correlation (as PyTorch's Conv2d) of the two
// channel-pooled maps to one logit map, stride 1, zero padding k / 2, one output row at a time.

#include <algorithm>

#include "packet_math.hpp"
#include "squeeze.hpp"

namespace seattn::detail {

/// Scratch values spatial_conv_row needs for maps `w` wide and a k x k kernel.
template <class S>
Index spatial_conv_scratch(Index w, Index k) {
    return 2 * k * (w + k - 1 + lanes<S>);
}

/// P consecutive output packets of the convolution from the 2k zero-padded input rows at
/// `padded` (row stride `stride`) into out. Two input rows at a time, so that 2P
/// independent sums hide the latency of the fused multiply-adds.
template <int P, class S>
void conv_packets(const S* padded, Index stride, const S* weight, S bias, Index k, S* out) {
    constexpr Index L = lanes<S>;
    Packet<S> even[P], odd[P];
    for (int q = 0; q < P; ++q) {
        even[q] = Eigen::internal::pset1<Packet<S>>(bias);
        odd[q] = Eigen::internal::pset1<Packet<S>>(S(0));
    }
    for (Index input_row = 0; input_row < 2 * k; input_row += 2) {
        const S* row0 = padded + input_row * stride;
        const S* row1 = row0 + stride;
        for (Index j = 0; j < k; ++j) {
            const Packet<S> w0 = Eigen::internal::pset1<Packet<S>>(weight[input_row * k + j]);
            const Packet<S> w1 = Eigen::internal::pset1<Packet<S>>(weight[(input_row + 1) * k + j]);
            for (int q = 0; q < P; ++q) {
                even[q] = Eigen::internal::pmadd(w0, load(row0 + q * L + j), even[q]);
                odd[q] = Eigen::internal::pmadd(w1, load(row1 + q * L + j), odd[q]);
            }
        }
    }
    for (int q = 0; q < P; ++q) store_packet(out + q * L, Eigen::internal::padd(even[q], odd[q]));
}

/// out[x] = bias + sum over map m, i, j of weight[m, i, j] * in_m[row + i - k/2, x + j - k/2]
/// for the `w` pixels of output row `row`; inputs outside the h x w maps are zero.
/// `weight` is [2, k, k] row-major, map 0 = `first`, map 1 = `second`; `scratch` holds
/// spatial_conv_scratch(w, k) values.
template <class S>
void spatial_conv_row(const S* first, const S* second, Index h, Index w, const S* weight, S bias, Index k, Index row,
                      S* scratch, S* out) {
    constexpr Index L = lanes<S>;
    const Index pad = k / 2, stride = w + k - 1 + L;
    // The k input rows of both maps, zero-padded (with a packet of slack) so that every tap
    // of every output packet is a plain unaligned load.
    const S* maps[2] = {first, second};
    for (Index m = 0; m < 2; ++m)
        for (Index i = 0; i < k; ++i) {
            S* padded = scratch + (m * k + i) * stride;
            const Index source = row + i - pad;
            std::fill(padded, padded + stride, S(0));
            if (source >= 0 && source < h) std::copy(maps[m] + source * w, maps[m] + (source + 1) * w, padded + pad);
        }
    alignas(64) S result[2 * L];
    Index x = 0;
    for (; x + 2 * L <= w; x += 2 * L) {
        conv_packets<2>(scratch + x, stride, weight, bias, k, result);
        std::copy(result, result + 2 * L, out + x);
    }
    for (; x < w; x += L) {
        conv_packets<1>(scratch + x, stride, weight, bias, k, result);
        std::copy(result, result + std::min(L, w - x), out + x);
    }
}

}  // namespace seattn::detail
