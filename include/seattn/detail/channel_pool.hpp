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
/// `width` long; mean and max start at row_begin. Reading planes in order, it needs no
/// prefetching (the NHWC overload's last argument).
template <class S>
void channel_pool_rows(const S* x, Index channels, Index pixels, Index width, Index row_begin, Index row_end, NCHW,
                       const S* channel_weights, S* mean, S* max, bool) {
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

// PacketBlock of a SIMD type draws -Wignored-attributes (the vector type's alignment
// attribute is not part of the template argument), harmless here as in Eigen, which silences
// it for its own headers.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
/// mean[q] and max[q] over c of x[q, c] * (channel_weights ? channel_weights[c] : 1) for the
/// lanes<S> NHWC pixels q starting at x, whose `channels` values fill whole packets. A packet
/// of pixels at once: one transpose of their partial packets leaves a packet of results,
/// where reducing each pixel's packet on its own costs a horizontal sum and max per pixel.
template <class S>
void pool_pixel_packet(const S* x, Index channels, const S* channel_weights, S* mean, S* max) {
    using Eigen::internal::padd;
    constexpr int L = lanes<S>;
    Eigen::internal::PacketBlock<Packet<S>, L> sums, maxes;
    auto value = [&](Index q, Index i) {
        const S* pixel = x + q * channels;
        return channel_weights ? Eigen::internal::pmul(load(pixel + i), load(channel_weights + i)) : load(pixel + i);
    };
    // A group of pixels goes through the channels side by side, so that each pixel's chain
    // of adds overlaps the others' latency; four keep every sum and max in registers.
    constexpr int group = L < 4 ? L : 4;
    for (int g = 0; g < L; g += group) {
        Packet<S> total[group], largest[group];
        unroll<group>([&](auto q) { total[q] = largest[q] = value(g + q, 0); });
        for (Index i = L; i < channels; i += L)
            unroll<group>([&](auto q) {
                const Packet<S> v = value(g + q, i);
                total[q] = padd(total[q], v);
                largest[q] = max_of(largest[q], v);
            });
        unroll<group>([&](auto q) {
            sums.packet[g + q] = total[q];
            maxes.packet[g + q] = largest[q];
        });
    }
    Eigen::internal::ptranspose(sums);
    Eigen::internal::ptranspose(maxes);
    Packet<S> total = sums.packet[0], largest = maxes.packet[0];
    for (int j = 1; j < L; ++j) {
        total = padd(total, sums.packet[j]);
        largest = max_of(largest, maxes.packet[j]);
    }
    store_packet(mean, Eigen::internal::pdiv(total, Eigen::internal::pset1<Packet<S>>(S(channels))));
    store_packet(max, largest);
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/// The same as the NCHW channel_pool_rows for one NHWC sample; when `from_memory` (x is not in
/// cache), prefetches prefetch_ahead_pixels ahead, into the rows after these too.
template <class S>
void channel_pool_rows(const S* x, Index channels, Index pixels, Index width, Index row_begin, Index row_end, NHWC,
                       const S* channel_weights, S* mean, S* max, bool from_memory) {
    const Index count = (row_end - row_begin) * width, ahead_end = pixels - row_begin * width;
    const S* first = x + row_begin * width * channels;
    Index i = 0;
    if (channels % lanes<S> == 0)
        for (; i + lanes<S> <= count; i += lanes<S>) {
            if (from_memory) prefetch_pixels(first, channels, i + prefetch_ahead_pixels, lanes<S>, ahead_end);
            pool_pixel_packet(first + i * channels, channels, channel_weights, mean + i, max + i);
        }
    for (; i < count; ++i) {
        sum_and_max<true>(first + i * channels, channel_weights, channels, mean[i], max[i]);
        mean[i] /= S(channels);
    }
}

}  // namespace seattn::detail
