#pragma once
// The spatial convolution: a k x k cross-correlation (as PyTorch's Conv2d) of the two
// channel-pooled maps to one logit map, stride 1, zero padding k / 2, one output row at a time.

#include <algorithm>

#include "squeeze.hpp"

namespace seattn::detail {

/// out[x] = bias + sum over map m, i, j of weight[m, i, j] * in_m[row + i - k/2, x + j - k/2]
/// for the `w` pixels of output row `row`; inputs outside the h x w maps are zero.
/// `weight` is [2, k, k] row-major, map 0 = `first`, map 1 = `second`.
template <class S>
void spatial_conv_row(const S* first, const S* second, Index h, Index w, const S* weight, S bias, Index k, Index row,
                      S* out) {
    const Index pad = k / 2;
    ArrayMap<S> result(out, w);
    result.setConstant(bias);
    const S* maps[2] = {first, second};
    for (Index m = 0; m < 2; ++m)
        for (Index i = std::max(Index(0), pad - row); i < std::min(k, h + pad - row); ++i) {
            const S* src = maps[m] + (row + i - pad) * w;
            for (Index j = 0; j < k; ++j) {
                // Output pixels whose tap j lands inside the row: x + j - pad in [0, w).
                const Index begin = std::max(Index(0), pad - j), end = std::min(w, w + pad - j);
                if (begin >= end) continue;
                result.segment(begin, end - begin) +=
                    weight[(m * k + i) * k + j] * ConstArrayMap<S>(src + begin + j - pad, end - begin);
            }
        }
}

}  // namespace seattn::detail
