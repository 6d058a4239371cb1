#pragma once
// Channel pooling for spatial attention: per-pixel mean and max over the channels of one
// sample, optionally of the sample already scaled by channel weights (CBAM), without
// materialising that scaled sample. A range of image rows at a time, so that the fused
// spatial pass can scale the rows while they are cached.

#include <algorithm>

#include "packet_math.hpp"
#include "squeeze.hpp"

namespace seattn::detail {

/// mean[p] and max[p] over c of x[c, p] * (channel_weights ? channel_weights[c] : 1) for the
/// pixels p of rows [row_begin, row_end) of one NCHW sample of `channels` x `pixels`, rows
/// `width` long; mean and max start at row_begin.
template <class S>
void channel_pool_rows(const S* x, Index channels, Index pixels, Index width, Index row_begin, Index row_end, NCHW,
                       const S* channel_weights, S* mean, S* max) {
    const Index at = row_begin * width, count = (row_end - row_begin) * width;
    const S* first = x + at;
    multiply(first, channel_weights ? channel_weights[0] : S(1), mean, count);
    std::copy(mean, mean + count, max);
    Index c = 1;
    // Four channels per update keep the loads of x ahead of the loads and stores of the maps.
    for (; c + 4 <= channels; c += 4)
        accumulate_rows<4>(first + c * pixels, pixels, channel_weights ? channel_weights + c : nullptr, count, mean, max);
    for (; c < channels; ++c)
        accumulate_rows<1>(first + c * pixels, pixels, channel_weights ? channel_weights + c : nullptr, count, mean, max);
    ArrayMap<S>(mean, count) /= S(channels);
}

/// The same for one NHWC sample.
template <class S>
void channel_pool_rows(const S* x, Index channels, Index, Index width, Index row_begin, Index row_end, NHWC,
                       const S* channel_weights, S* mean, S* max) {
    for (Index p = row_begin * width; p < row_end * width; ++p) {
        const Index i = p - row_begin * width;
        sum_and_max<true>(x + p * channels, channel_weights, channels, mean[i], max[i]);
        mean[i] /= S(channels);
    }
}

}  // namespace seattn::detail
