#pragma once
// The spatial convolution: a k x k cross-correlation (as PyTorch's Conv2d) of one or two maps
// to one output map, stride 1, zero padding k / 2. The maps are copied once into a
// zero-padded buffer, so that every tap of every output packet is a plain unaligned load
// (or, on AVX-512, shifted out of two); the forward and the training's forward and backward
// all convolve through it.

#include <algorithm>
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "packet_math.hpp"
#include "squeeze.hpp"

namespace seattn::detail {

/// Layout of `maps` h x w maps stored zero-padded for a k x k convolution: each map is
/// h + k - 1 rows of `stride` values, its image at row and column k / 2. The stride leaves
/// room after the right border for the last output packet's taps to read: a packet past
/// the k - 1 columns of padding, or two past the row (conv_tile_shifted).
template <class S>
struct PaddedMaps {
    Index maps = 0, h = 0, w = 0, k = 1, stride = 0;

    PaddedMaps() = default;
    PaddedMaps(Index maps_, Index h_, Index w_, Index k_)
        : maps(maps_), h(h_), w(w_), k(k_), stride(w_ + std::max(k_ - 1, lanes<S>) + lanes<S>) {}

    /// Values per padded map.
    Index map_size() const { return (h + k - 1) * stride; }
    /// Values of all the padded maps.
    Index size() const { return maps * map_size(); }
    /// Offset of padded row `y` of map m (image row y - k / 2), at its left border.
    Index row(Index m, Index y) const { return m * map_size() + y * stride; }
};

/// Copies rows [row_begin, row_end) of the h x w maps sources[0 .. g.maps) into `padded`
/// with their zero borders, and writes the zero rows above (below) the image when the range
/// starts (ends) at its edge.
template <class S>
void pad_rows(const S* const* sources, const PaddedMaps<S>& g, Index row_begin, Index row_end, S* padded) {
    const Index pad = g.k / 2;
    for (Index m = 0; m < g.maps; ++m) {
        if (row_begin == 0) std::fill(padded + g.row(m, 0), padded + g.row(m, pad), S(0));
        if (row_end == g.h) std::fill(padded + g.row(m, g.h + pad), padded + g.row(m, g.h + 2 * pad), S(0));
        for (Index y = row_begin; y < row_end; ++y) {
            S* row = padded + g.row(m, y + pad);
            std::fill(row, row + pad, S(0));
            std::copy(sources[m] + y * g.w, sources[m] + (y + 1) * g.w, row + pad);
            std::fill(row + pad + g.w, row + g.stride, S(0));
        }
    }
}

/// The weight of tap (i, j) of map m's k x k kernel in `weight` ([maps, k, k] row-major),
/// turned by 180 degrees when Flip (which makes the cross-correlation a convolution).
template <bool Flip, class S>
S tap(const S* weight, Index k, Index m, Index i, Index j) {
    return Flip ? weight[(m * k + k - 1 - i) * k + k - 1 - j] : weight[(m * k + i) * k + j];
}

#if defined(__AVX512F__)
/// Whether conv_tile may shift taps out of loaded packets (conv_tile_shifted): S's packets
/// are AVX-512's, which one instruction shifts across the whole register.
template <class S>
constexpr bool shifts_taps = std::is_same_v<Packet<S>, __m512> || std::is_same_v<Packet<S>, __m512d>;
#else
template <class S>
constexpr bool shifts_taps = false;
#endif

/// Most packets of a row a tile that shifts its taps covers: with five or more, its packets
/// and sums outgrow AVX-512's registers.
constexpr int max_shifted_tile_packets = 4;

/// Whether tiles of `packets` packets of S a row shift their taps: where S allows it
/// (shifts_taps), but not with one packet a row, where shifting measured slower than loading
/// (a permutation for every two multiply-adds), nor with more than max_shifted_tile_packets.
template <class S>
constexpr bool shifts_tile(int packets) {
    return shifts_taps<S> && packets >= 2 && packets <= max_shifted_tile_packets;
}

/// Whether such tiles shift the taps of a k x k kernel: its k - 1 columns past a packet's
/// first must lie in the next packet loaded.
template <class S>
constexpr bool shifts_kernel(Index k) {
    return shifts_taps<S> && k - 1 <= lanes<S>;
}

#if defined(__AVX512F__)
/// Lanes [shift, L) of lo followed by lanes [0, shift) of hi, shift <= L: the values
/// `shift` columns on from lo's first. `indices` is shift_indices(shift).
inline __m512 shifted(const __m512& lo, const __m512& hi, const __m512i& indices) {
    return _mm512_permutex2var_ps(lo, indices, hi);
}
inline __m512d shifted(const __m512d& lo, const __m512d& hi, const __m512i& indices) {
    return _mm512_permutex2var_pd(lo, indices, hi);
}

/// The lane indices shifted takes for `shift`: shift, shift + 1, ... up to shift + L - 1.
template <class S>
__m512i shift_indices(Index shift) {
    if constexpr (sizeof(S) == 4)
        return _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                _mm512_set1_epi32(int(shift)));
    else
        return _mm512_add_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_epi64(shift));
}

/// conv_tile for kernels of at most a packet and one columns: each padded row the tile reads
/// is loaded once, as P + 1 packets, and serves every output row whose window holds it (as
/// tap row i = row - r of output row r), each tap's values shifted out of those packets.
/// Loading every tap's values instead splits a cache line in 15 loads of 16 and binds the
/// conv to its loads: the conv of 2 x 56 x 56 maps took 1.6-1.8x as long so, of 28 x 28
/// 1.2-1.5x (float and double; AVX-512 machine, microbenchmark). Each sum still adds its
/// taps in the order m, i, j.
template <int R, int P, bool Flip, class S>
void conv_tile_shifted(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index y, Index x,
                       Packet<S> (&sums)[R][P]) {
    constexpr Index L = lanes<S>;
    const Index k = g.k;
    Packet<S> acc[R][P];  // local and constant-indexed, as in conv_tile
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < P; ++q) acc[r][q] = Eigen::internal::pset1<Packet<S>>(bias);
    for (Index m = 0; m < g.maps; ++m)
        for (Index row = 0; row < k + R - 1; ++row) {
            const S* source = padded + g.row(m, y + row) + x;
            Packet<S> packets[P + 1];
            for (int q = 0; q <= P; ++q) packets[q] = load(source + q * L);
            for (Index j = 0; j < k; ++j) {
                const __m512i indices = shift_indices<S>(j);
                Packet<S> values[P];
                for (int q = 0; q < P; ++q) values[q] = shifted(packets[q], packets[q + 1], indices);
                for (int r = 0; r < R; ++r) {
                    const Index i = row - r;
                    if (i < 0 || i >= k) continue;
                    const Packet<S> w = Eigen::internal::pset1<Packet<S>>(tap<Flip>(weight, k, m, i, j));
                    for (int q = 0; q < P; ++q) acc[r][q] = Eigen::internal::pmadd(w, values[q], acc[r][q]);
                }
            }
        }
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < P; ++q) sums[r][q] = acc[r][q];
}
#endif

/// R output rows from padded row y on, P packets from column x on, into sums (which start
/// at the bias), each adding its taps in the order m, i, j whatever R and P (so every tiling
/// gives the same bits). The R x P sums are independent chains of multiply-adds, which keep
/// both FMA units busy only if there are about eight of them; loading each tap's values
/// afresh for every row, rather than once for the R rows that use them, measured as fast and
/// needs no branch on which rows a tap reaches.
template <int R, int P, bool Flip, class S>
void conv_tile(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index y, Index x,
               Packet<S> (&sums)[R][P]) {
    constexpr Index L = lanes<S>;
    const Index k = g.k;
    // The sums stay in registers only if every index into them is a constant: the loops over
    // R and P have compile-time bounds, which g++ and clang++ unroll, and the sums are local
    // (sums[][] may alias anything).
#if defined(__AVX512F__)
    if constexpr (shifts_tile<S>(P))
        if (shifts_kernel<S>(k)) return conv_tile_shifted<R, P, Flip>(padded, g, weight, bias, y, x, sums);
#endif
    Packet<S> acc[R][P];
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < P; ++q) acc[r][q] = Eigen::internal::pset1<Packet<S>>(bias);
    for (Index m = 0; m < g.maps; ++m)
        for (Index i = 0; i < k; ++i) {
            const S* source = padded + g.row(m, y + i) + x;
            for (Index j = 0; j < k; ++j) {
                const Packet<S> w = Eigen::internal::pset1<Packet<S>>(tap<Flip>(weight, k, m, i, j));
                for (int r = 0; r < R; ++r)
                    for (int q = 0; q < P; ++q)
                        acc[r][q] = Eigen::internal::pmadd(w, load(source + r * g.stride + q * L + j), acc[r][q]);
            }
        }
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < P; ++q) sums[r][q] = acc[r][q];
}

/// Most packets of a row one tile covers: 8 sums and a tap's weight leave AVX2's 16 vector
/// registers room for the loads.
constexpr int max_tile_packets = 8;

/// Rows a tile of P packets of S covers at once: about eight sums in all (conv_tile). One
/// row of a 56-wide map as a tile of 7 packets, and two rows of a 28-wide map as tiles of 4,
/// measured twice as fast as 4 rows of tiles of 2 packets side by side (AVX2). Two rows
/// where the taps are shifted: with four, g++ 12 spilled sums to memory, and the conv of
/// 56- and 28-wide maps took 1.7-1.9x as long.
template <class S>
constexpr int tile_rows(int packets) {
    if (shifts_tile<S>(packets)) return 2;
    return packets >= 5 ? 1 : 8 / packets;
}

/// Packets of the tile that covers `columns` values from its first column on: all of them,
/// up to max_tile_packets, or, for tiles that shift their kernel's taps (shifts_kernel) and
/// cover several rows (`shifted_rows`), up to max_shifted_tile_packets. Cutting wider rows
/// into shifted tiles instead of one tile of up to eight packets that loads its taps made
/// the conv of 2 x 56 x w float maps take 0.67-0.77x as long for w of 80 to 224 (whole maps;
/// 0.68-0.89x two rows at a time), of double maps 0.64-0.84x for w of 40 to 112. A single
/// row stays one tile: cut, it ran 1.03-1.37x as long, as a tile of one row shifts a packet
/// for every multiply-add (microbenchmark, AVX-512 machine).
template <class S>
Index tile_packets(Index columns, bool shifted_rows) {
    const Index most = shifted_rows ? max_shifted_tile_packets : max_tile_packets;
    return std::min<Index>(most, (columns + lanes<S> - 1) / lanes<S>);
}

/// Output rows the convolution with a k x k kernel computes at once on maps w values wide,
/// when it is given that many: those of the tiles that cover the start of a row.
template <class S>
Index conv_rows_at_once(Index w, Index k) {
    return tile_rows<S>(int(tile_packets<S>(w, shifts_kernel<S>(k))));
}

/// Output rows [y, y + R) into out (at row y, rows g.w apart), columns [x, x + P packets)
/// cut at the row's end: the tile's last packet may reach past it into the padding.
template <int R, int P, bool Flip, class S>
void conv_tile_rows(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index y, Index x, S* out) {
    constexpr Index L = lanes<S>;
    Packet<S> sums[R][P];
    conv_tile<R, P, Flip>(padded, g, weight, bias, y, x, sums);
    const Index last = x + (P - 1) * L, tail = std::min(L, g.w - last);
    for (int r = 0; r < R; ++r) {
        S* row = out + r * g.w;
        for (int q = 0; q + 1 < P; ++q) store_packet(row + x + q * L, sums[r][q]);
        if (tail == L) {
            store_packet(row + last, sums[r][P - 1]);
        } else {
            alignas(64) S values[L];
            store_packet(values, sums[r][P - 1]);
            std::copy(values, values + tail, row + last);
        }
    }
}

/// Output rows [row_begin, row_end) of the columns from x on that P packets cover, into out
/// (at row_begin): R rows at a time, then the rows left over R / 2 at a time, and so on.
template <int P, bool Flip, class S, int R = tile_rows<S>(P)>
void conv_columns(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index row_begin, Index row_end,
                  Index x, S* out) {
    Index y = row_begin;
    for (; y + R <= row_end; y += R)
        conv_tile_rows<R, P, Flip>(padded, g, weight, bias, y, x, out + (y - row_begin) * g.w);
    if constexpr (R > 1)
        conv_columns<P, Flip, S, R / 2>(padded, g, weight, bias, y, row_end, x, out + (y - row_begin) * g.w);
}

/// conv_columns for a run-time count of `packets`, 1 to max_tile_packets.
template <bool Flip, class S, int P = 1>
void conv_columns(Index packets, const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index row_begin,
                  Index row_end, Index x, S* out) {
    if (packets == P) return conv_columns<P, Flip>(padded, g, weight, bias, row_begin, row_end, x, out);
    if constexpr (P < max_tile_packets)
        conv_columns<Flip, S, P + 1>(packets, padded, g, weight, bias, row_begin, row_end, x, out);
}

/// out[y, x] = bias + sum over m, i, j of weight[m, i, j] * map_m[y + i - k/2, x + j - k/2]
/// (zero outside the maps) for output rows [row_begin, row_end), w values each from out on;
/// `weight` is [g.maps, k, k] row-major and turned by 180 degrees when Flip. Reads the maps'
/// padded rows from row_begin to row_end + k - 1 (pad_rows).
template <bool Flip = false, class S>
void spatial_conv_rows(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index row_begin,
                       Index row_end, S* out) {
    const bool shifted_rows = row_end - row_begin > 1 && shifts_kernel<S>(g.k);
    for (Index x = 0, packets = 0; x < g.w; x += packets * lanes<S>) {
        packets = tile_packets<S>(g.w - x, shifted_rows);
        conv_columns<Flip>(packets, padded, g, weight, bias, row_begin, row_end, x, out);
    }
}

}  // namespace seattn::detail
