#pragma once
// Squeeze: per-channel mean (and max) of one sample over its H * W pixels, cut into pieces
// that threads compute independently.

#include <algorithm>

#include <Eigen/Core>

#include "../layout.hpp"
#include "cache_order.hpp"
#include "packet_math.hpp"
#include "parallel.hpp"

namespace seattn::detail {

template <class S>
using ArrayMap = Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>>;
template <class S>
using ConstArrayMap = Eigen::Map<const Eigen::Array<S, Eigen::Dynamic, 1>>;

/// max that propagates NaN like PyTorch's max
template <class S>
using nan_max_op = Eigen::internal::scalar_max_op<S, S, Eigen::PropagateNaN>;

/// Piece `piece` of `pieces` of the squeeze of one NCHW sample: a range of channels, whose
/// means (and maxes, when `max` is not null) over their `pixels` contiguous values go
/// straight to mean[c] and max[c]. Its last planes first, which whoever wrote x in memory
/// order leaves cached, and its first planes last, which SE's scaling and the spatial pass's
/// channel pooling (CBAM) read first (tail_first_head_last). The piece buffers and
/// prefetching (the last argument) are unused in this layout: each plane is read in order.
template <class S>
void squeeze_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NCHW, S* mean, S* max,
                   S*, S*, S*, bool) {
    const Index begin = piece_begin(channels, piece, pieces), end = piece_begin(channels, piece + 1, pieces);
    tail_first_head_last(begin, end, pixels * Index(sizeof(S)), [&](Index first, Index last) {
        for (Index c = first; c < last; ++c) {
            const S* plane = x + c * pixels;
            S ignored;
            if (max)
                sum_and_max<true>(plane, static_cast<const S*>(nullptr), pixels, mean[c], max[c]);
            else
                sum_and_max<false>(plane, static_cast<const S*>(nullptr), pixels, mean[c], ignored);
            mean[c] /= S(pixels);
        }
    });
}

/// How far ahead of its reads the NHWC squeeze and channel pooling prefetch x from memory
/// where they read a few neighbouring pixels side by side, which leaves the hardware
/// prefetchers behind: summing 256 channels that way from memory measured 1.5x faster with
/// this, but prefetching what is cached anyway measured 1.4x slower.
constexpr Index prefetch_ahead_pixels = 16;

/// Pixels the NHWC squeeze sums on their own before adding them to a piece's sums, so that a
/// float's rounding error grows with the block, not with the map.
constexpr Index squeeze_block_pixels = 64;

/// The order the NHWC squeeze adds the pixels of a block in: `groups` groups of four pixels,
/// the four `spread` pixels apart and each group `step` pixels after the one before, then
/// the pixels from groups * 4 on one at a time.
struct PixelWalk {
    Index groups, spread, step;
};

/// Bytes per pixel from which the NHWC squeeze reads a full block of pixels as four streams
/// a quarter of the block apart. Four neighbouring pixels side by side are four streams of a
/// few lines each (one pixel of 256 floats is 16 lines), which the hardware prefetchers do
/// not follow: summing 128-512 channels of float as four streams measured 1.1-1.5x faster
/// from cache and 1.3-1.8x from memory than four neighbours at a time (except 128 channels
/// with their maxes from memory: 0.85-1.2x over three runs), while 64 channels, whose four
/// neighbours are one run of 1 KiB, ran 0.86-0.95x as fast.
constexpr Index spread_pixel_bytes = 512;

/// The walk over a block of `pixels` NHWC pixels of `channels` S each: four streams a
/// quarter of the block apart for a full block of pixels of spread_pixel_bytes or more,
/// else four neighbours at a time.
template <class S>
PixelWalk walk_block(Index channels, Index pixels) {
    if (pixels == squeeze_block_pixels && channels * Index(sizeof(S)) >= spread_pixel_bytes)
        return {pixels / 4, pixels / 4, 1};
    return {pixels / 4, 1, 4};
}

/// Most packets of channels per pixel add_pixels_in_registers takes: 8 running sums,
/// or 4 running sums and 4 maxes, leave half of AVX2's 16 vector registers for the loads;
/// with AVX-512's 32, 16 running sums (256 floats of a pixel summed 1.09x as fast as
/// through the scratch row from the L3 cache and 1.18x from memory; SEBlock NHWC on
/// 1x256x56x56 and 8x256x56x56, five alternating runs: 1.05-1.15x), but the maxes stay at
/// 4 (8 sums and 8 maxes pooled 128 floats 0.92-0.94x as fast). More, in passes of that
/// many channels over an L1-sized block of pixels, measured slower than the scratch row
/// (with maxes: 64 channels 0.9x, 128 channels 0.8-1.0x).
constexpr Index register_packets(bool with_max) {
    return with_max ? 4 : EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS >= 32 ? 16 : 8;
}

/// Whether add_pixels_in_registers loads a group of four neighbouring pixels in memory
/// order, a pixel after another, keeping the group's NP partial sums (and maxes) in
/// registers beside the running ones: when they fit, leaving four registers for the loads.
/// Loading packet j of the four pixels, then packet j + 1, touches their cache lines out of
/// order (on AVX-512 a packet is a line), which from memory costs: in memory order the
/// squeeze of 32x64x56x56 NHWC ran 1.04-1.25x as fast (microbenchmark, four runs), SEBlock
/// and CBAM on it 1.05-1.12x (medians of 10 alternating runs, 1 and 2 threads), cached
/// samples (1x64x56x56, 1x512x28x28) as fast as before. Same adds in the same order.
template <int NP, bool WithMax>
constexpr bool group_in_memory_order() {
    return (WithMax ? 4 : 2) * NP + 4 <= EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS;
}

/// For NP packets of channels of the `pixels` NHWC pixels of `channels` values from x on:
/// sum[c] += the sum and, WithMax, max[c] = the max, of x[p, c] over the pixels, in the
/// order of walk_block. The same operations in the same order as accumulate_rows
/// over that walk (so both give the same bits), but with the running sums and maxes in
/// registers: loading and storing a row of them per group made the squeeze of 16-64
/// channels up to 2.5x slower.
template <int NP, bool WithMax, class S>
void add_pixels_in_registers(const S* x, Index channels, Index pixels, S* sum, S* max) {
    using Eigen::internal::padd;
    constexpr Index L = lanes<S>;
    const PixelWalk walk = walk_block<S>(channels, pixels);
    const Index spread = walk.spread * channels;
    Packet<S> total[NP], largest[NP];
    unroll<NP>([&](auto j) {
        total[j] = Eigen::internal::pset1<Packet<S>>(S(0));
        if constexpr (WithMax) largest[j] = load(max + j * L);
    });
    if (walk.spread == 1 && group_in_memory_order<NP, WithMax>()) {
        for (Index g = 0; g < walk.groups; ++g) {
            const S* group = x + g * walk.step * channels;
            Packet<S> group_total[NP], group_largest[NP];
            unroll<NP>([&](auto j) {
                group_total[j] = load(group + j * L);
                if constexpr (WithMax) group_largest[j] = group_total[j];
            });
            for (int q = 1; q < 4; ++q)
                unroll<NP>([&](auto j) {
                    const Packet<S> v = load(group + q * channels + j * L);
                    group_total[j] = padd(group_total[j], v);
                    if constexpr (WithMax) group_largest[j] = max_of(group_largest[j], v);
                });
            unroll<NP>([&](auto j) {
                total[j] = padd(total[j], group_total[j]);
                if constexpr (WithMax) largest[j] = max_of(largest[j], group_largest[j]);
            });
        }
    } else {
        for (Index g = 0; g < walk.groups; ++g) {
            const S* group = x + g * walk.step * channels;
            unroll<NP>([&](auto j) {
                const Packet<S> v0 = load(group + j * L), v1 = load(group + spread + j * L),
                                v2 = load(group + 2 * spread + j * L), v3 = load(group + 3 * spread + j * L);
                total[j] = padd(total[j], padd(padd(padd(v0, v1), v2), v3));
                if constexpr (WithMax) largest[j] = max_of(largest[j], max_of(max_of(max_of(v0, v1), v2), v3));
            });
        }
    }
    for (Index p = walk.groups * 4; p < pixels; ++p)
        unroll<NP>([&](auto j) {
            const Packet<S> v = load(x + p * channels + j * L);
            total[j] = padd(total[j], v);
            if constexpr (WithMax) largest[j] = max_of(largest[j], v);
        });
    unroll<NP>([&](auto j) {
        store_packet(sum + j * L, padd(load(sum + j * L), total[j]));
        if constexpr (WithMax) store_packet(max + j * L, largest[j]);
    });
}

/// add_pixels_in_registers for a run-time count of `packets`, at most
/// register_packets(WithMax).
template <bool WithMax, class S, int NP = 1>
void add_pixels_in_registers(const S* x, Index channels, Index packets, Index pixels, S* sum, S* max) {
    if (packets == NP) return add_pixels_in_registers<NP, WithMax>(x, channels, pixels, sum, max);
    if constexpr (NP < register_packets(WithMax))
        add_pixels_in_registers<WithMax, S, NP + 1>(x, channels, packets, pixels, sum, max);
}

/// add_pixels_in_registers over the `channels` of `pixels` NHWC pixels (and their maxes
/// when max is not null) when they are whole packets, at most register_packets of them;
/// false, with nothing done, otherwise.
template <class S>
bool accumulate_pixels_in_registers(const S* x, Index channels, Index pixels, S* sum, S* max) {
    const Index packets = channels / lanes<S>;
    if (channels % lanes<S> != 0 || packets > register_packets(max != nullptr)) return false;
    if (max)
        add_pixels_in_registers<true>(x, channels, packets, pixels, sum, max);
    else
        add_pixels_in_registers<false>(x, channels, packets, pixels, sum, max);
    return true;
}

/// sum[c] += the sum and, when max is not null, max[c] = the max, of x[p, c] over the
/// `pixels` NHWC pixels of `channels` values from x on, in the order of walk_block,
/// through the `channels` values of `scratch`. When x comes from memory (`prefetch_end`,
/// the pixels from x on that exist, is not 0), a walk of neighbours prefetches
/// prefetch_ahead_pixels ahead: without, 64 channels with their maxes measured 1.8x slower
/// from memory.
template <class S>
void accumulate_pixels_through_scratch(const S* x, Index channels, Index pixels, S* sum, S* max, S* scratch,
                                       Index prefetch_end) {
    ArrayMap<S> partial(scratch, channels);
    partial.setZero();
    const PixelWalk walk = walk_block<S>(channels, pixels);
    const bool prefetch = prefetch_end > 0 && walk.spread == 1;
    for (Index g = 0; g < walk.groups; ++g) {
        if (prefetch) prefetch_pixels(x, channels, g * walk.step + prefetch_ahead_pixels, 4, prefetch_end);
        accumulate_rows<4, S>(x + g * walk.step * channels, walk.spread * channels, nullptr, channels, scratch, max);
    }
    for (Index p = walk.groups * 4; p < pixels; ++p)
        accumulate_rows<1, S>(x + p * channels, channels, nullptr, channels, scratch, max);
    ArrayMap<S>(sum, channels) += partial;
}

/// The same, in registers where accumulate_pixels_in_registers can.
template <class S>
void accumulate_pixels(const S* x, Index channels, Index pixels, S* sum, S* max, S* scratch, Index prefetch_end) {
    if (!accumulate_pixels_in_registers(x, channels, pixels, sum, max))
        accumulate_pixels_through_scratch(x, channels, pixels, sum, max, scratch, prefetch_end);
}

/// Piece `piece` of `pieces` of the squeeze of one NHWC sample: a range of pixels, whose
/// per-channel sums (and maxes, when `max` is not null) go to piece_sum and piece_max
/// (`channels` values each) for finish_squeeze; `scratch` holds `channels` values.
/// `from_memory`: x is not in cache (accumulate_pixels_through_scratch). Its last pixels
/// first and its first pixels last (tail_first_head_last), as the NCHW squeeze's planes;
/// each run in blocks of squeeze_block_pixels from its first pixel.
template <class S>
void squeeze_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NHWC, S*, S* max,
                   S* piece_sum, S* piece_max, S* scratch, bool from_memory) {
    const Index begin = piece_begin(pixels, piece, pieces), end = piece_begin(pixels, piece + 1, pieces);
    S* largest = max ? piece_max : nullptr;
    ArrayMap<S>(piece_sum, channels).setZero();
    if (max) std::copy(x + begin * channels, x + (begin + 1) * channels, largest);
    tail_first_head_last(begin, end, channels * Index(sizeof(S)), [&](Index first, Index last) {
        for (Index p0 = first; p0 < last; p0 += squeeze_block_pixels) {
            const Index p1 = std::min(last, p0 + squeeze_block_pixels);
            accumulate_pixels(x + p0 * channels, channels, p1 - p0, piece_sum, largest, scratch,
                              from_memory ? last - p0 : 0);
        }
    });
}

/// Nothing left to do for NCHW: every piece wrote its channels' results.
template <class S>
void finish_squeeze(Index, Index, Index, NCHW, S*, S*, const S*, const S*, Index) {}

/// Means (and maxes) of `channels` channels of one NHWC sample from its pieces' sums and
/// maxes of them (`pieces` rows, `stride` values apart).
template <class S>
void finish_squeeze(Index channels, Index pixels, Index pieces, NHWC, S* mean, S* max, const S* piece_sum,
                    const S* piece_max, Index stride) {
    ArrayMap<S> total(mean, channels);
    total = ConstArrayMap<S>(piece_sum, channels);
    for (Index i = 1; i < pieces; ++i) total += ConstArrayMap<S>(piece_sum + i * stride, channels);
    total /= S(pixels);
    if (!max) return;
    ArrayMap<S> largest(max, channels);
    largest = ConstArrayMap<S>(piece_max, channels);
    for (Index i = 1; i < pieces; ++i)
        largest = largest.binaryExpr(ConstArrayMap<S>(piece_max + i * stride, channels), nan_max_op<S>());
}

}  // namespace seattn::detail
