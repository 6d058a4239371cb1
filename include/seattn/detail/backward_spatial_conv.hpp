#pragma once
// The k x k spatial convolution (two maps in, one out, stride 1, zero padding k / 2) as
// training needs it: the forward keeps the zero-padded input maps, the backward gives the
// gradients of the weight and of both input maps.

#include <algorithm>

#include "squeeze.hpp"

namespace seattn::detail {

/// Copies the two h x w maps into `padded` ([2, h + k - 1, w + k - 1], zero border k / 2).
template <class S>
void pad_maps(const S* first, const S* second, Index h, Index w, Index k, S* padded) {
    const Index pad = k / 2, ph = h + k - 1, pw = w + k - 1;
    std::fill(padded, padded + 2 * ph * pw, S(0));
    const S* maps[2] = {first, second};
    for (Index m = 0; m < 2; ++m)
        for (Index y = 0; y < h; ++y)
            std::copy(maps[m] + y * w, maps[m] + (y + 1) * w, padded + m * ph * pw + (y + pad) * pw + pad);
}

/// out[y, x] = bias + sum over m, i, j of weight[m, i, j] * padded[m, y + i, x + j]
/// (PyTorch's Conv2d cross-correlation on the padded maps).
template <class S>
void conv_padded(const S* padded, Index h, Index w, const S* weight, S bias, Index k, S* out) {
    const Index ph = h + k - 1, pw = w + k - 1;
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

/// grad_weight[m, i, j] = sum over y, x of grad_out[y, x] * padded[m, y + i, x + j].
template <class S>
void conv_weight_gradient(const S* padded, const S* grad_out, Index h, Index w, Index k, S* grad_weight) {
    const Index ph = h + k - 1, pw = w + k - 1;
    for (Index m = 0; m < 2; ++m)
        for (Index i = 0; i < k; ++i)
            for (Index j = 0; j < k; ++j) {
                S total = S(0);
                for (Index y = 0; y < h; ++y)
                    total += (ConstArrayMap<S>(grad_out + y * w, w) *
                              ConstArrayMap<S>(padded + m * ph * pw + (y + i) * pw + j, w))
                                 .sum();
                grad_weight[(m * k + i) * k + j] = total;
            }
}

/// grad_map_m[y, x] = sum over i, j of weight[m, i, j] * grad_out[y + k/2 - i, x + k/2 - j]
/// (zero outside the map): the convolution's transpose. `grad_padded` is (h + k - 1) x
/// (w + k - 1) of scratch for grad_out with a zero border.
template <class S>
void conv_input_gradient(const S* grad_out, Index h, Index w, const S* weight, Index k, S* grad_padded, S* grad_first,
                         S* grad_second) {
    const Index pad = k / 2, ph = h + k - 1, pw = w + k - 1;
    std::fill(grad_padded, grad_padded + ph * pw, S(0));
    for (Index y = 0; y < h; ++y) std::copy(grad_out + y * w, grad_out + (y + 1) * w, grad_padded + (y + pad) * pw + pad);
    S* grads[2] = {grad_first, grad_second};
    for (Index m = 0; m < 2; ++m)
        for (Index y = 0; y < h; ++y) {
            ArrayMap<S> row(grads[m] + y * w, w);
            row.setZero();
            for (Index i = 0; i < k; ++i) {
                const S* src = grad_padded + (y + 2 * pad - i) * pw + 2 * pad;
                for (Index j = 0; j < k; ++j) row += weight[(m * k + i) * k + j] * ConstArrayMap<S>(src - j, w);
            }
        }
}

}  // namespace seattn::detail
