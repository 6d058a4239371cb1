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
/// at the bias). Each padded row's taps are loaded once for all R output rows, so that the
/// multiply-adds, not the loads, set the pace.
template <int R, int P, bool Flip, class S>
void conv_tile(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index y, Index x,
               Packet<S> (&sums)[R][P]) {
    constexpr Index L = lanes<S>;
    const Index k = g.k;
    // The sums stay in registers only if every index into them is a constant: hence the
    // unrolled loops, and local sums (sums[][] may alias anything).
    Packet<S> acc[R][P];
    unroll<R>([&](auto r) { unroll<P>([&](auto q) { acc[r][q] = Eigen::internal::pset1<Packet<S>>(bias); }); });
    for (Index m = 0; m < g.maps; ++m)
        for (Index t = 0; t < k + R - 1; ++t) {
            const S* source = padded + g.row(m, y + t) + x;
            for (Index j = 0; j < k; ++j) {
                Packet<S> values[P];
                unroll<P>([&](auto q) { values[q] = load(source + q * L + j); });
                unroll<R>([&](auto r) {
                    const Index i = t - r;
                    if (i < 0 || i >= k) return;
                    const Packet<S> w = Eigen::internal::pset1<Packet<S>>(tap<Flip>(weight, k, m, i, j));
                    unroll<P>([&](auto q) { acc[r][q] = Eigen::internal::pmadd(w, values[q], acc[r][q]); });
                });
            }
        }
    unroll<R>([&](auto r) { unroll<P>([&](auto q) { sums[r][q] = acc[r][q]; }); });
}

/// Output rows [y, y + R) into out (at row y, rows g.w apart) from column x on, in tiles of
/// P packets while they fit; then, if columns remain and the row holds a whole tile, one
/// more tile that ends at the row's end, recomputing some columns rather than leaving a
/// narrower tile, with fewer independent sums, for them. Returns the first column left.
template <int R, int P, bool Flip, class S>
Index conv_tiles(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index y, Index x, S* out) {
    constexpr Index L = lanes<S>, width = P * L;
    const auto tile = [&](Index at) {
        Packet<S> sums[R][P];
        conv_tile<R, P, Flip>(padded, g, weight, bias, y, at, sums);
        for (int r = 0; r < R; ++r)
            for (int q = 0; q < P; ++q) store_packet(out + r * g.w + at + q * L, sums[r][q]);
    };
    for (; x + width <= g.w; x += width) tile(x);
    if (x == g.w || g.w < width) return x;
    tile(g.w - width);
    return g.w;
}

/// Output rows [y, y + R) into out (at row y, rows g.w apart), in tiles of R x P packets
/// with at least eight sums each to cover the latency of the multiply-adds, and narrower
/// tiles only where the row is narrower.
template <int R, bool Flip, class S>
void conv_rows_block(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index y, S* out) {
    constexpr Index L = lanes<S>;
    constexpr int P = R >= 4 ? 2 : 8 / R;
    Index x = conv_tiles<R, P, Flip>(padded, g, weight, bias, y, 0, out);
    if constexpr (P > 2) x = conv_tiles<R, 2, Flip>(padded, g, weight, bias, y, x, out);
    x = conv_tiles<R, 1, Flip>(padded, g, weight, bias, y, x, out);
    if (x == g.w) return;
    // A row narrower than a packet.
    Packet<S> sums[R][1];
    conv_tile<R, 1, Flip>(padded, g, weight, bias, y, x, sums);
    alignas(64) S values[L];
    for (int r = 0; r < R; ++r) {
        store_packet(values, sums[r][0]);
        std::copy(values, values + (g.w - x), out + r * g.w + x);
    }
}

/// Output rows the convolution computes at once, when it is given that many: a single row
/// takes about twice as long per row (measured on 56 x 56 maps).
constexpr int conv_block_rows = 4;

/// out[y, x] = bias + sum over m, i, j of weight[m, i, j] * map_m[y + i - k/2, x + j - k/2]
/// (zero outside the maps) for output rows [row_begin, row_end), w values each from out on;
/// `weight` is [g.maps, k, k] row-major and turned by 180 degrees when Flip. Reads the maps'
/// padded rows from row_begin to row_end + k - 1 (pad_rows).
template <bool Flip = false, class S>
void spatial_conv_rows(const S* padded, const PaddedMaps<S>& g, const S* weight, S bias, Index row_begin,
                       Index row_end, S* out) {
    Index y = row_begin;
    for (; y + conv_block_rows <= row_end; y += conv_block_rows)
        conv_rows_block<conv_block_rows, Flip>(padded, g, weight, bias, y, out + (y - row_begin) * g.w);
    for (; y < row_end; ++y) conv_rows_block<1, Flip>(padded, g, weight, bias, y, out + (y - row_begin) * g.w);
}

}  // namespace seattn::detail
