#pragma once
// The spatial convolution: a k x k cross-correlation (as PyTorch's Conv2d) of the two
// channel-pooled maps to one logit map, stride 1, zero padding k / 2.

#include <algorithm>

#include "squeeze.hpp"

namespace seattn::detail {

/// Size of the zero-padded copy of the two input maps that spatial_conv needs as scratch.
inline Index spatial_conv_scratch(Index h, Index w, Index k) { return 2 * (h + k - 1) * (w + k - 1); }

/// out[y, x] = bias + sum over map m, i, j of weight[m, i, j] * in_m[y + i - k/2, x + j - k/2].
/// `weight` is [2, k, k] row-major, map 0 = `first`, map 1 = `second`.
template <class S>
void spatial_conv(const S* first, const S* second, Index h, Index w, const S* weight, S bias, Index k,
                  S* padded, S* out) {
    const Index pad = k / 2, ph = h + k - 1, pw = w + k - 1;
    // Padding once lets every tap run over a whole contiguous row without bounds checks.
    std::fill(padded, padded + 2 * ph * pw, S(0));
    const S* maps[2] = {first, second};
    for (Index m = 0; m < 2; ++m)
        for (Index y = 0; y < h; ++y)
            std::copy(maps[m] + y * w, maps[m] + (y + 1) * w, padded + m * ph * pw + (y + pad) * pw + pad);
    for (Index y = 0; y < h; ++y) {
        ArrayMap<S> row(out + y * w, w);
        row.setConstant(bias);
        for (Index m = 0; m < 2; ++m)
            for (Index i = 0; i < k; ++i) {
                const S* src = padded + m * ph * pw + (y + i) * pw;
                for (Index j = 0; j < k; ++j) row += weight[(m * k + i) * k + j] * ConstArrayMap<S>(src + j, w);
            }
    }
}

}  // namespace seattn::detail
