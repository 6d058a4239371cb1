#pragma once
// Channel pooling for spatial attention: per-pixel mean and max over the channels of one
// sample, optionally of the sample already scaled by channel weights (CBAM), without
// materialising that scaled sample. A range of image rows at a time, so that the fused
// spatial pass can scale the rows while they are cached.

#include <algorithm>
#include <type_traits>

#include "packet_math.hpp"
#include "squeeze.hpp"

namespace seattn::detail {

/// sum[p] and max[p] over c of x[c, p] * (channel_weights ? channel_weights[c] : 1) for the
/// pixels p of rows [row_begin, row_end) of `channels` NCHW planes of `pixels`, rows `width`
/// long; sum and max start at row_begin. Reading planes in order, it needs no prefetching.
template <class S>
void channel_sum_max_rows(const S* x, Index channels, Index pixels, Index width, Index row_begin, Index row_end,
                          const S* channel_weights, S* sum, S* max) {
    const Index at = row_begin * width, count = (row_end - row_begin) * width;
    const S* first = x + at;
    multiply(first, channel_weights ? channel_weights[0] : S(1), sum, count);
    std::copy(sum, sum + count, max);
    Index c = 1;
    auto add_channels = [&](auto k) {
        constexpr int K = decltype(k)::value;
        for (; c + K <= channels; c += K)
            accumulate_rows<K>(first + c * pixels, pixels, channel_weights ? channel_weights + c : nullptr, count, sum,
                               max);
    };
    // Eight channels per update keep the loads of x ahead of the loads and stores of the
    // maps: against four, pooling 256 x 56 x 56 took 0.92x as long from the L3 cache and
    // 0.81x from memory, 512 x 28 x 28 0.95x, 64 x 56 x 56 0.89x from L2 (microbenchmark,
    // AVX-512 machine); sixteen was slower from cache.
    add_channels(std::integral_constant<int, 8>{});
    add_channels(std::integral_constant<int, 4>{});
    add_channels(std::integral_constant<int, 1>{});
}

/// mean[p] and max[p] over c of x[c, p] * (channel_weights ? channel_weights[c] : 1) for the
/// pixels p of rows [row_begin, row_end) of one NCHW sample of `channels` x `pixels`, rows
/// `width` long; mean and max start at row_begin. The last argument (the NHWC overload's
/// prefetching) is unused: planes are read in order.
template <class S>
void channel_pool_rows(const S* x, Index channels, Index pixels, Index width, Index row_begin, Index row_end, NCHW,
                       const S* channel_weights, S* mean, S* max, bool) {
    channel_sum_max_rows(x, channels, pixels, width, row_begin, row_end, channel_weights, mean, max);
    ArrayMap<S>(mean, (row_end - row_begin) * width) /= S(channels);
}

// PacketBlock of a SIMD type draws -Wignored-attributes (the vector type's alignment
// attribute is not part of the template argument), harmless here as in Eigen, which silences
// it for its own headers.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
/// The packet whose lane j is op over the lanes of block.packet[j]: a transpose, then op
/// across the transposed packets.
template <class P, int N, class Op>
P reduce_each(Eigen::internal::PacketBlock<P, N>& block, const Op& op) {
    Eigen::internal::ptranspose(block);
    P result = block.packet[0];
    for (int j = 1; j < N; ++j) result = op(result, block.packet[j]);
    return result;
}

#if defined(EIGEN_VECTORIZE_AVX512)
/// The same for 16 floats as a tree: each step folds pairs of packets into one, half the
/// lanes of each, with two shuffles and one op per pair: 30 shuffles in all against the
/// transpose's 96 (spatial attention and CBAM on 1x64x56x56 NHWC ran 1.06-1.07x as fast so,
/// 1x256x56x56 1.03x).
template <class Op>
Eigen::internal::Packet16f reduce_each(Eigen::internal::PacketBlock<Eigen::internal::Packet16f, 16>& block,
                                       const Op& op) {
    __m512 folded[8];
    // Pixels j and j + 8: 8 lanes each.
    for (int j = 0; j < 8; ++j)
        folded[j] = op(_mm512_shuffle_f32x4(block.packet[j], block.packet[j + 8], 0x44),
                       _mm512_shuffle_f32x4(block.packet[j], block.packet[j + 8], 0xEE));
    // Pixels j, j + 8, j + 4, j + 12 in the 128-bit lanes: 4 lanes each.
    for (int j = 0; j < 4; ++j)
        folded[j] = op(_mm512_shuffle_f32x4(folded[j], folded[j + 4], 0x88),
                       _mm512_shuffle_f32x4(folded[j], folded[j + 4], 0xDD));
    // Pixels j and j + 2 in each 128-bit lane of the last step's: 2 lanes each.
    for (int j = 0; j < 2; ++j)
        folded[j] = op(_mm512_shuffle_ps(folded[j], folded[j + 2], _MM_SHUFFLE(1, 0, 1, 0)),
                       _mm512_shuffle_ps(folded[j], folded[j + 2], _MM_SHUFFLE(3, 2, 3, 2)));
    // Lane by lane, pixels 0 2 1 3, 8 10 9 11, 4 6 5 7, 12 14 13 15: one value each.
    const __m512 values = op(_mm512_shuffle_ps(folded[0], folded[1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_ps(folded[0], folded[1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i pixel_lane = _mm512_setr_epi32(0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15);
    return _mm512_permutexvar_ps(pixel_lane, values);
}
#endif

/// mean and max (lanes<S> pixels each) from the pixels' partial sums and maxes (a packet of
/// channels per pixel).
template <class S>
void store_pooled_packet(Eigen::internal::PacketBlock<Packet<S>, lanes<S>>& sums,
                         Eigen::internal::PacketBlock<Packet<S>, lanes<S>>& maxes, Index channels, S* mean, S* max) {
    const Packet<S> total =
        reduce_each(sums, [](const Packet<S>& a, const Packet<S>& b) { return Eigen::internal::padd(a, b); });
    store_packet(mean, Eigen::internal::pdiv(total, Eigen::internal::pset1<Packet<S>>(S(channels))));
    store_packet(max, reduce_each(maxes, [](const Packet<S>& a, const Packet<S>& b) { return max_of(a, b); }));
}

/// The packet of values i, i + 1, ... of one NHWC pixel, times the same channel weights when
/// Weighted. A template argument rather than a test of channel_weights, so that the loops
/// over the channels carry no branch.
template <bool Weighted, class S>
Packet<S> weighted_packet(const S* pixel, const S* channel_weights, Index i) {
    if constexpr (Weighted)
        return Eigen::internal::pmul(load(pixel + i), load(channel_weights + i));
    else
        return load(pixel + i);
}

/// mean[q] and max[q] over c of x[q, c] * (Weighted ? channel_weights[c] : 1) for the
/// lanes<S> NHWC pixels q starting at x, whose `channels` values fill whole packets. A packet
/// of pixels at once: reducing their partial packets together (reduce_each) leaves a packet
/// of results, where reducing each pixel's packet on its own costs a horizontal sum and max
/// per pixel.
template <bool Weighted, class S>
void pool_pixel_packet(const S* x, Index channels, const S* channel_weights, S* mean, S* max) {
    using Eigen::internal::padd;
    constexpr int L = lanes<S>;
    Eigen::internal::PacketBlock<Packet<S>, L> sums, maxes;
    auto value = [&](Index q, Index i) { return weighted_packet<Weighted>(x + q * channels, channel_weights, i); };
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
    store_pooled_packet(sums, maxes, channels, mean, max);
}

/// The same for K (2 to 4) packets of pixels from x on: the pixels at the same place in each
/// packet go through the channels side by side, so that the reads are K streams of a
/// packet of pixels each. The four neighbouring pixels pool_pixel_packet reads side by side
/// are four streams of a few lines (one pixel of 256 floats is 16 lines), which the hardware
/// prefetchers do not follow: on 256 and 512 channels from memory, four packets at a time
/// measured 1.5-1.8x faster than pool_pixel_packet with prefetching.
template <int K, bool Weighted, class S>
void pool_packets(const S* x, Index channels, const S* channel_weights, S* mean, S* max) {
    using Eigen::internal::padd;
    constexpr int L = lanes<S>;
    Eigen::internal::PacketBlock<Packet<S>, L> sums[K], maxes[K];
    auto value = [&](Index q, Index i) { return weighted_packet<Weighted>(x + q * channels, channel_weights, i); };
    for (int p = 0; p < L; ++p) {
        Packet<S> total[K], largest[K];
        unroll<K>([&](auto k) { total[k] = largest[k] = value(k * L + p, 0); });
        for (Index i = L; i < channels; i += L)
            unroll<K>([&](auto k) {
                const Packet<S> v = value(k * L + p, i);
                total[k] = padd(total[k], v);
                largest[k] = max_of(largest[k], v);
            });
        unroll<K>([&](auto k) {
            sums[k].packet[p] = total[k];
            maxes[k].packet[p] = largest[k];
        });
    }
    for (int k = 0; k < K; ++k) store_pooled_packet(sums[k], maxes[k], channels, mean + k * L, max + k * L);
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/// mean and max of the NHWC pixels [0, count) from `first` on, as channel_pool_rows, whose
/// `channels` fill whole packets, up to the last whole packet of pixels; returns how many
/// pixels that is. `spread`: a few packets at a time (pool_packets); prefetches
/// prefetch_ahead_pixels ahead, up to pixel prefetch_end, when that is not 0.
template <bool Weighted, class S>
Index pool_whole_packets(const S* first, Index channels, Index count, const S* channel_weights, S* mean, S* max,
                         bool spread, Index prefetch_end) {
    constexpr Index L = lanes<S>;
    Index i = 0;
    if (spread) {
        for (; i + 4 * L <= count; i += 4 * L)
            pool_packets<4, Weighted>(first + i * channels, channels, channel_weights, mean + i, max + i);
        if (i + 3 * L <= count) {
            pool_packets<3, Weighted>(first + i * channels, channels, channel_weights, mean + i, max + i);
            i += 3 * L;
        } else if (i + 2 * L <= count) {
            pool_packets<2, Weighted>(first + i * channels, channels, channel_weights, mean + i, max + i);
            i += 2 * L;
        }
    }
    for (; i + L <= count; i += L) {
        if (prefetch_end > 0) prefetch_pixels(first, channels, i + prefetch_ahead_pixels, L, prefetch_end);
        pool_pixel_packet<Weighted>(first + i * channels, channels, channel_weights, mean + i, max + i);
    }
    return i;
}

/// The same as the NCHW channel_pool_rows for one NHWC sample. When `from_memory` (x is not
/// in cache), pixels of spread_pixel_bytes or more go a few packets at a time (pool_packets),
/// and smaller ones prefetch prefetch_ahead_pixels ahead, into the rows after these too. In
/// cache, a packet at a time stays: though four at a time pooled 256 channels 1.3x faster
/// alone, spatial attention on 1x256x56x56 and 1x64x56x56 NHWC ran 0.93x and 0.97x as fast
/// with it (medians of 5 alternating runs).
template <class S>
void channel_pool_rows(const S* x, Index channels, Index pixels, Index width, Index row_begin, Index row_end, NHWC,
                       const S* channel_weights, S* mean, S* max, bool from_memory) {
    const Index count = (row_end - row_begin) * width, prefetch_end = from_memory ? pixels - row_begin * width : 0;
    const S* first = x + row_begin * width * channels;
    const bool spread = from_memory && channels * Index(sizeof(S)) >= spread_pixel_bytes;
    Index i = 0;
    if (channels % lanes<S> == 0)
        i = channel_weights ? pool_whole_packets<true>(first, channels, count, channel_weights, mean, max, spread,
                                                       prefetch_end)
                            : pool_whole_packets<false>(first, channels, count, channel_weights, mean, max, spread,
                                                        prefetch_end);
    for (; i < count; ++i) {
        sum_and_max<true>(first + i * channels, channel_weights, channels, mean[i], max[i]);
        mean[i] /= S(channels);
    }
}

}  // namespace seattn::detail
