#pragma once
// Squeeze: per-channel mean (and max) of one sample over its H * W pixels.

#include <Eigen/Core>

#include "../layout.hpp"

namespace seattn::detail {

template <class S>
using ArrayMap = Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>>;
template <class S>
using ConstArrayMap = Eigen::Map<const Eigen::Array<S, Eigen::Dynamic, 1>>;

/// max that propagates NaN like PyTorch's max
template <class S>
using nan_max_op = Eigen::internal::scalar_max_op<S, S, Eigen::PropagateNaN>;

/// Means (and maxes, when `max` is not null) of each of the `channels` channels of one
/// NCHW sample over `pixels` contiguous values.
template <class S>
void squeeze(const S* x, Index channels, Index pixels, NCHW, S* mean, S* max, S*) {
    for (Index c = 0; c < channels; ++c) {
        ConstArrayMap<S> plane(x + c * pixels, pixels);
        mean[c] = plane.sum() / S(pixels);
        if (max) max[c] = plane.template maxCoeff<Eigen::PropagateNaN>();
    }
}

/// The same for one NHWC sample: pixels of `channels` interleaved values; `scratch` holds
/// `channels` values.
template <class S>
void squeeze(const S* x, Index channels, Index pixels, NHWC, S* mean, S* max, S* scratch) {
    ArrayMap<S> total(mean, channels), partial(scratch, channels);
    // Sums in blocks of pixels so a float's rounding error grows with the block, not the map.
    constexpr Index block = 64;
    total.setZero();
    if (max) ArrayMap<S>(max, channels) = ConstArrayMap<S>(x, channels);
    for (Index p0 = 0; p0 < pixels; p0 += block) {
        const Index p1 = std::min(pixels, p0 + block);
        partial.setZero();
        for (Index p = p0; p < p1; ++p) {
            ConstArrayMap<S> pixel(x + p * channels, channels);
            partial += pixel;
            if (max) {
                ArrayMap<S> m(max, channels);
                m = m.binaryExpr(pixel, nan_max_op<S>());
            }
        }
        total += partial;
    }
    total /= S(pixels);
}

}  // namespace seattn::detail
