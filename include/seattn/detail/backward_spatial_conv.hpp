#pragma once
// The gradients of the k x k spatial convolution (spatial_conv.hpp) as training needs them:
// of the weight, from the zero-padded input maps the forward kept, and of both input maps.

#include "spatial_conv.hpp"

namespace seattn::detail {

/// grad_weight[m, i, j] = sum over y, x of grad_out[y, x] * map_m[y + i - k/2, x + j - k/2],
/// the maps as `padded` holds them (g: two maps).
template <class S>
void conv_weight_gradient(const S* padded, const PaddedMaps<S>& g, const S* grad_out, S* grad_weight) {
    const Index k = g.k;
    for (Index m = 0; m < g.maps; ++m)
        for (Index i = 0; i < k; ++i)
            for (Index j = 0; j < k; ++j) {
                S total = S(0);
                for (Index y = 0; y < g.h; ++y)
                    total += (ConstArrayMap<S>(grad_out + y * g.w, g.w) *
                              ConstArrayMap<S>(padded + g.row(m, y + i) + j, g.w))
                                 .sum();
                grad_weight[(m * k + i) * k + j] = total;
            }
}

/// grad_map_m[y, x] = sum over i, j of weight[m, i, j] * grad_out[y + k/2 - i, x + k/2 - j]
/// (zero outside the map): the convolution's transpose, i.e. grad_out convolved with each
/// map's kernel turned by 180 degrees. `grad_padded` holds grad_g.size() values of scratch
/// (grad_g: one map).
template <class S>
void conv_input_gradient(const S* grad_out, const PaddedMaps<S>& grad_g, const S* weight, S* grad_padded,
                         S* grad_first, S* grad_second) {
    pad_rows(&grad_out, grad_g, 0, grad_g.h, grad_padded);
    const Index kernel_size = grad_g.k * grad_g.k;
    spatial_conv_rows<true>(grad_padded, grad_g, weight, S(0), 0, grad_g.h, grad_first);
    spatial_conv_rows<true>(grad_padded, grad_g, weight + kernel_size, S(0), 0, grad_g.h, grad_second);
}

}  // namespace seattn::detail
