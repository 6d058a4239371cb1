#pragma once
// Squeeze: per-channel mean (and max) of one sample over its H * W pixels, cut into pieces
// that threads compute independently.

#include <algorithm>

#include <Eigen/Core>

#include "../layout.hpp"
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
/// straight to mean[c] and max[c]. The piece buffers and prefetching (the last argument) are
/// unused in this layout: planes are read in order.
template <class S>
void squeeze_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NCHW, S* mean, S* max,
                   S*, S*, S*, bool) {
    const Index end = piece_begin(channels, piece + 1, pieces);
    for (Index c = piece_begin(channels, piece, pieces); c < end; ++c) {
        const S* plane = x + c * pixels;
        S ignored;
        if (max)
            sum_and_max<true>(plane, static_cast<const S*>(nullptr), pixels, mean[c], max[c]);
        else
            sum_and_max<false>(plane, static_cast<const S*>(nullptr), pixels, mean[c], ignored);
        mean[c] /= S(pixels);
    }
}

/// How far ahead of its reads the NHWC squeeze and channel pooling prefetch x from memory.
/// Both read a few pixels side by side, which leaves the hardware prefetchers behind:
/// summing 256 channels from memory measured 1.5x faster with this, but prefetching what is
/// cached anyway measured 1.4x slower.
constexpr Index prefetch_ahead_pixels = 16;

/// Prefetches the `count` pixels of `channels` values from pixel `first` of x, a cache line
/// at a time, those from pixel `end` on excepted.
template <class S>
void prefetch_pixels(const S* x, Index channels, Index first, Index count, Index end) {
    constexpr Index line = 64 / Index(sizeof(S));
    const S* begin = x + first * channels;
    const Index values = std::min(count, end - first) * channels;
    for (Index i = 0; i < values; i += line) Eigen::internal::prefetch(begin + i);
}

/// Most packets of channels per pixel add_pixels_in_registers takes: 8 running sums,
/// or 4 running sums and 4 maxes, leave half of AVX2's 16 vector registers for the loads.
/// More, in passes of that many channels over an L1-sized block of pixels, measured slower
/// than the scratch row (with maxes: 64 channels 0.9x, 128 channels 0.8-1.0x).
constexpr Index register_packets(bool with_max) { return with_max ? 4 : 8; }

/// For NP packets of channels of `pixels` NHWC pixels `stride` values apart from x on:
/// sum[c] += the sum and, WithMax, max[c] = the max, of x[p, c] over the pixels. Four
/// pixels per update as accumulate_rows<4> adds them (so both give the same bits), but with
/// the running sums and maxes in registers: loading and storing a row of them per update
/// made the squeeze of 16-64 channels up to 2.5x slower.
template <int NP, bool WithMax, class S>
void add_pixels_in_registers(const S* x, Index stride, Index pixels, S* sum, S* max) {
    using Eigen::internal::padd;
    constexpr Index L = lanes<S>;
    Packet<S> total[NP], largest[NP];
    unroll<NP>([&](auto j) {
        total[j] = Eigen::internal::pset1<Packet<S>>(S(0));
        if constexpr (WithMax) largest[j] = load(max + j * L);
    });
    Index p = 0;
    for (; p + 4 <= pixels; p += 4, x += 4 * stride)
        unroll<NP>([&](auto j) {
            const Packet<S> v0 = load(x + j * L), v1 = load(x + stride + j * L), v2 = load(x + 2 * stride + j * L),
                            v3 = load(x + 3 * stride + j * L);
            total[j] = padd(total[j], padd(padd(padd(v0, v1), v2), v3));
            if constexpr (WithMax) largest[j] = max_of(largest[j], max_of(max_of(max_of(v0, v1), v2), v3));
        });
    for (; p < pixels; ++p, x += stride)
        unroll<NP>([&](auto j) {
            const Packet<S> v = load(x + j * L);
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
void add_pixels_in_registers(const S* x, Index stride, Index packets, Index pixels, S* sum, S* max) {
    if (packets == NP) return add_pixels_in_registers<NP, WithMax>(x, stride, pixels, sum, max);
    if constexpr (NP < register_packets(WithMax))
        add_pixels_in_registers<WithMax, S, NP + 1>(x, stride, packets, pixels, sum, max);
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

/// Piece `piece` of `pieces` of the squeeze of one NHWC sample: a range of pixels, whose
/// per-channel sums (and maxes, when `max` is not null) go to piece_sum and piece_max
/// (`channels` values each) for finish_squeeze; `scratch` holds `channels` values. When
/// `from_memory` (x is not in cache), prefetches prefetch_ahead_pixels ahead.
template <class S>
void squeeze_piece(const S* x, Index channels, Index pixels, Index piece, Index pieces, NHWC, S*, S* max,
                   S* piece_sum, S* piece_max, S* scratch, bool from_memory) {
    const Index begin = piece_begin(pixels, piece, pieces), end = piece_begin(pixels, piece + 1, pieces);
    ArrayMap<S> total(piece_sum, channels), partial(scratch, channels);
    S* largest = max ? piece_max : nullptr;
    // Sums in blocks of pixels so a float's rounding error grows with the block, not the map;
    // four pixels per update keep the loads of x ahead of the loads and stores of partial.
    constexpr Index block = 64;
    total.setZero();
    if (max) std::copy(x + begin * channels, x + (begin + 1) * channels, largest);
    for (Index p0 = begin; p0 < end; p0 += block) {
        const Index p1 = std::min(end, p0 + block);
        if (accumulate_pixels_in_registers(x + p0 * channels, channels, p1 - p0, piece_sum, largest)) continue;
        partial.setZero();
        Index p = p0;
        for (; p + 4 <= p1; p += 4) {
            if (from_memory) prefetch_pixels(x, channels, p + prefetch_ahead_pixels, 4, end);
            accumulate_rows<4, S>(x + p * channels, channels, nullptr, channels, scratch, largest);
        }
        for (; p < p1; ++p) accumulate_rows<1, S>(x + p * channels, channels, nullptr, channels, scratch, largest);
        total += partial;
    }
}

/// Nothing left to do for NCHW: every piece wrote its channels' results.
template <class S>
void finish_squeeze(Index, Index, Index, NCHW, S*, S*, const S*, const S*) {}

/// Means (and maxes) of one NHWC sample from its pieces' sums and maxes (`pieces` x C each).
template <class S>
void finish_squeeze(Index channels, Index pixels, Index pieces, NHWC, S* mean, S* max, const S* piece_sum,
                    const S* piece_max) {
    ArrayMap<S> total(mean, channels);
    total = ConstArrayMap<S>(piece_sum, channels);
    for (Index i = 1; i < pieces; ++i) total += ConstArrayMap<S>(piece_sum + i * channels, channels);
    total /= S(pixels);
    if (!max) return;
    ArrayMap<S> largest(max, channels);
    largest = ConstArrayMap<S>(piece_max, channels);
    for (Index i = 1; i < pieces; ++i)
        largest = largest.binaryExpr(ConstArrayMap<S>(piece_max + i * channels, channels), nan_max_op<S>());
}

}  // namespace seattn::detail
