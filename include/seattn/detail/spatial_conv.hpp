#pragma once
// The spatial convolution: a k x k cross-correlation (as PyTorch's Conv2d) of one or two maps
// to one output map, stride 1, zero padding k / 2. The maps are copied once into a
// zero-padded buffer, so that every tap of every output packet is a plain unaligned load;
// the forward and the training's forward and backward all convolve through it.

#include <algorithm>

#include "packet_math.hpp"
#include "squeeze.hpp"

namespace seattn::detail {

/// Layout of `maps` h x w maps stored zero-padded for a k x k convolution: each map is
/// h + k - 1 rows of `stride` values, its image at row and column k / 2. The stride leaves
/// a packet of zeros after the right border for the last output packet's taps to read.
template <class S>
struct PaddedMaps {
    Index maps = 0, h = 0, w = 0, k = 1, stride = 0;

    PaddedMaps() = default;
    PaddedMaps(Index maps_, Index h_, Index w_, Index k_)
        : maps(maps_), h(h_), w(w_), k(k_), stride(w_ + k_ - 1 + lanes<S>) {}

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

/// Rows a tile of P packets covers at once: about eight sums in all (conv_tile). One row of
/// a 56-wide map as a tile of 7 packets, and two rows of a 28-wide map as tiles of 4,
/// measured twice as fast as 4 rows of tiles of 2 packets side by side.
constexpr int tile_rows(int packets) { return packets >= 5 ? 1 : 8 / packets; }

/// Packets of the tile that covers `columns` values from its first column on: all of them,
/// up to max_tile_packets.
template <class S>
Index tile_packets(Index columns) {
    return std::min<Index>(max_tile_packets, (columns + lanes<S> - 1) / lanes<S>);
}

/// Output rows the convolution computes at once on maps w values wide, when it is given
/// that many: those of the tiles that cover the start of a row.
template <class S>
Index conv_rows_at_once(Index w) {
    return tile_rows(int(tile_packets<S>(w)));
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
template <int P, bool Flip, int R = tile_rows(P), class S>
void conv_columns(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index row_begin, Index row_end,
                  Index x, S* out) {
    Index y = row_begin;
    for (; y + R <= row_end; y += R)
        conv_tile_rows<R, P, Flip>(padded, g, weight, bias, y, x, out + (y - row_begin) * g.w);
    if constexpr (R > 1)
        conv_columns<P, Flip, R / 2>(padded, g, weight, bias, y, row_end, x, out + (y - row_begin) * g.w);
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
    for (Index x = 0; x < g.w; x += max_tile_packets * lanes<S>)
        conv_columns<Flip>(tile_packets<S>(g.w - x), padded, g, weight, bias, row_begin, row_end, x, out);
}

}  // namespace seattn::detail
