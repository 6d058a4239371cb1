#pragma once
// The fused spatial pass of SpatialAttention and CBAM: channel pooling, convolution, gate and
// the final scaling. A row is scaled soon after the k/2 rows below it are pooled, so the
// scaling reads x while the pooling's read of it is still cached. A sample split between
// threads is cut into bands of rows in NHWC and into groups of channels in NCHW; tall enough
// NHWC bands also pool the rows their conv windows reach in the neighbouring bands
// (band_pools_halo), and then need no second phase.

#include <algorithm>
#include <utility>

#include "../config.hpp"
#include "channel_pool.hpp"
#include "gates.hpp"
#include "parallel.hpp"
#include "scale.hpp"
#include "shape.hpp"
#include "spatial_conv.hpp"

namespace seattn::detail {

/// What the spatial pass over one batch reads and writes.
template <class S>
struct SpatialPass {
    const S* x = nullptr;                // input batch
    S* y = nullptr;                      // output batch, or null to compute the maps only
    Shape shape;
    const S* channel_weights = nullptr;  // N x C applied to x before pooling (CBAM), or null
    const S* conv_weight = nullptr;      // [2, k, k], BatchNorm folded in
    S conv_bias = 0;
    bool max_first = false;              // the conv's map 0 is the max (ChannelPoolOrder::max_avg)
    Gate gate = Gate::sigmoid;
    S *mean = nullptr, *max = nullptr, *logits = nullptr, *map = nullptr;  // N x H x W each
    PaddedMaps<S> padding;               // the conv's input maps of one sample, in conv order
    // The conv's padded input: one per sample, or, where each task pads its own (bands that
    // pool their halo rows, channel groups), one per task, task_padded_stride apart.
    S* padded = nullptr;
    Index task_padded_stride = 0;
    Index bands = 1;                     // bands of rows per sample, one task each
    bool halo = false;                   // each band pools its halo rows itself (band_pools_halo)
    Index channel_groups = 1;            // groups of channels per NCHW sample, one task each
    S *halo_mean = nullptr, *halo_max = nullptr;  // where tasks pad their own, an H x W map each per task, map_stride apart
    S *group_sums = nullptr, *group_maxes = nullptr;  // N x channel_groups maps each, map_stride apart
    Index map_stride = 0;                // thread_buffer_stride of an H x W map
    bool streaming = false;              // write y with streaming stores (stream_output)
};

/// Rows pooled per step. An NHWC row is contiguous, so one row at a time keeps the rows
/// about to be scaled in cache; an NCHW row is a short piece of every channel plane, so the
/// whole band at once keeps the reads sequential.
inline Index rows_per_step(NCHW, Index band_rows) { return band_rows; }
inline Index rows_per_step(NHWC, Index) { return 1; }

/// Bytes of x the pass may leave between pooling a row and scaling it: the conv window's
/// k / 2 rows and the rows finished at once. Half the 512 KiB L2 of the AVX2 machine it was
/// tuned on (a quarter of the AVX-512 one's since), so that scaling a row still finds it there.
constexpr Index pending_x_bytes = Index(256) << 10;

/// Rows to finish at once: as many as the conv computes at once (conv_rows_at_once), unless
/// the rows of x pending then would exceed pending_x_bytes. An NCHW band is pooled in one
/// step, so this only matters to NHWC.
template <class S>
Index rows_per_finish(const Shape& s, Index pad) {
    const Index row_bytes = s.w * s.c * Index(sizeof(S));
    return std::clamp(pending_x_bytes / row_bytes - pad, Index(1), conv_rows_at_once<S>(s.w, 2 * pad + 1));
}

/// Bands to cut each sample's rows into. NHWC: pieces_per_sample, as a band of rows is
/// contiguous. NCHW: one, as a band is a short run of every plane; its samples are cut into
/// channel groups instead (channel_groups).
template <class S>
Index spatial_bands(Eigen::ThreadPoolInterface*, const Shape&, NCHW) {
    return 1;
}
template <class S>
Index spatial_bands(Eigen::ThreadPoolInterface* pool, const Shape& s, NHWC) {
    return pieces_per_sample(pool, s.n);
}

/// Groups of channels to cut each NCHW sample into: the squeeze's pieces
/// (pieces_per_sample, so that in CBAM each thread pools and scales the planes it squeezed),
/// at most one per channel. Where a band of rows is a short run of every plane (and shares a
/// cache line of y with the next band in every plane, which on 28 x 28 maps and smaller cost
/// more than a second thread gained), a group is one contiguous run of planes. On 2 threads
/// (9 alternating runs), spatial attention ran 1.06-1.18x as fast on 1x64x56x56 and
/// 1x256x56x56 as in bands and 1.13-1.27x as fast on 1x512x28x28 to 1x2048x7x7 as unsplit;
/// CBAM 0.97-0.99x and 1.20-1.57x. NHWC samples are cut into bands.
template <class S>
Index channel_groups(Eigen::ThreadPoolInterface* pool, const Shape& s, NCHW) {
    return std::min(pieces_per_sample(pool, s.n), s.c);
}
template <class S>
Index channel_groups(Eigen::ThreadPoolInterface*, const Shape&, NHWC) {
    return 1;
}

/// Whether each band of a sample cut into `bands` pools, besides its own rows, the rows of
/// its neighbours within its conv windows (its halo rows, `pad` = k / 2 on each side), so
/// that it finishes all its rows without a second phase: NHWC bands at least 8 * pad rows
/// tall, where the halo adds at most an eighth to a band's pooling. On 2 threads (8
/// alternating runs each), spatial attention and CBAM ran 1.24x and 1.26x as fast so on
/// 1x64x56x56 NHWC (28-row bands), 1.01x and 1.00x on 1x256x56x56; with halos on every
/// shape (a trial build), 0.98-1.01x on 1x512x28x28 and 0.80x and 0.88x on 1x1024x14x14,
/// where the halo adds three rows to seven. NCHW bands, short runs of every plane, took
/// 1.4-1.7x as long as channel groups even with halos (1x64x56x56, 1x256x56x56).
template <class S>
bool band_pools_halo(const Shape& s, Index bands, Index pad, NHWC) {
    return bands > 1 && 8 * pad <= s.h / bands;
}
template <class S>
bool band_pools_halo(const Shape&, Index, Index, NCHW) {
    return false;
}

/// Rows [first, end) of a band [r0, r1) whose conv window lies inside the band (or the
/// image border), or in its halo rows when it pools them: the band's own pooling is enough
/// to finish them.
inline std::pair<Index, Index> rows_finished_in_band(Index r0, Index r1, Index h, Index pad, bool halo) {
    if (halo) return {r0, r1};
    const Index first = r0 == 0 ? 0 : std::min(r1, r0 + pad);
    const Index end = r1 == h ? r1 : std::max(first, r1 - pad);
    return {first, end};
}

/// Copies rows [row_begin, row_end) of the H x W maps `mean` and `max` into `padded`, the
/// conv's padded input.
template <class S>
void pad_pooled_rows(const SpatialPass<S>& p, const S* mean, const S* max, Index row_begin, Index row_end,
                     S* padded) {
    const S* maps[2] = {p.max_first ? max : mean, p.max_first ? mean : max};
    pad_rows(maps, p.padding, row_begin, row_end, padded);
}

/// The padded conv input of sample n, where tasks do not pad their own.
template <class S>
S* sample_padded(const SpatialPass<S>& p, Index n) {
    return p.padded + n * p.padding.size();
}

/// The padded conv input of task `task`, where tasks pad their own.
template <class S>
S* task_padded(const SpatialPass<S>& p, Index task) {
    return p.padded + task * p.task_padded_stride;
}

/// Conv and gate of rows [row_begin, row_end) of sample `n`'s map from `padded`, whose
/// rows within k/2 must be ready.
template <class S>
void map_rows(const SpatialPass<S>& p, Index n, Index row_begin, Index row_end, const S* padded) {
    const Index at = n * p.shape.pixels() + row_begin * p.shape.w, count = (row_end - row_begin) * p.shape.w;
    spatial_conv_rows(padded, p.padding, p.conv_weight, p.conv_bias, row_begin, row_end, p.logits + at);
    apply_gate(p.gate, p.logits + at, count, p.map + at);
}

/// Conv, gate and (when the pass has an output) scaling of rows [row_begin, row_end) of
/// sample `n`, whose rows of `padded` within k/2 must be ready; the scaling prefetches rows
/// [ahead_begin, ahead_end) of x alongside (NHWC).
template <class Layout, class S>
void finish_spatial_rows(const SpatialPass<S>& p, Index n, Index row_begin, Index row_end, const S* padded,
                         Index ahead_begin = 0, Index ahead_end = 0) {
    const Shape& s = p.shape;
    const Index at = n * s.pixels() + row_begin * s.w;
    map_rows(p, n, row_begin, row_end, padded);
    if (p.y)
        scale_rows(p.x + n * s.sample_size(), s.c, s.pixels(), s.w, row_begin, row_end, Layout{},
                   p.channel_weights ? p.channel_weights + n * s.c : nullptr, p.map + at,
                   p.y + n * s.sample_size(), p.streaming, ahead_begin, ahead_end);
}

/// First phase of band task `task` (sample task / bands): pools the band's rows (and, when
/// halo, its halo rows, into its own maps, so that no two bands write the same row) and
/// finishes the rows whose conv window is pooled soon after it is, in groups of
/// rows_per_finish.
template <class Layout, class S>
void pool_spatial_band(const SpatialPass<S>& p, Index task) {
    const Shape& s = p.shape;
    const Index n = task / p.bands, band = task % p.bands, pad = p.padding.k / 2;
    const Index r0 = piece_begin(s.h, band, p.bands), r1 = piece_begin(s.h, band + 1, p.bands);
    const auto own = rows_finished_in_band(r0, r1, s.h, pad, p.halo);
    const Index step = rows_per_step(Layout{}, r1 - r0);
    const S* weights = p.channel_weights ? p.channel_weights + n * s.c : nullptr;
    const Index finish_rows = rows_per_finish<S>(s, pad);
    S* padded = p.halo ? task_padded(p, task) : sample_padded(p, n);
    auto pool_rows = [&](Index row_begin, Index row_end) {
        const bool own_rows = row_begin >= r0 && row_begin < r1;
        S* mean = own_rows ? p.mean + n * s.pixels() : p.halo_mean + task * p.map_stride;
        S* max = own_rows ? p.max + n * s.pixels() : p.halo_max + task * p.map_stride;
        channel_pool_rows(p.x + n * s.sample_size(), s.c, s.pixels(), s.w, row_begin, row_end, Layout{}, weights,
                          mean + row_begin * s.w, max + row_begin * s.w, p.streaming);
        pad_pooled_rows(p, mean, max, row_begin, row_end, padded);
    };
    const Index halo_begin = p.halo ? std::max(Index(0), r0 - pad) : r0;
    const Index pooled_last = p.halo ? std::min(s.h, r1 + pad) : r1;
    if (halo_begin < r0) pool_rows(halo_begin, r0);
    Index next = own.first;
    for (Index row = r0; row < pooled_last; row += step) {
        const Index pooled_end = std::min(row < r1 ? r1 : pooled_last, row + step);
        pool_rows(row, pooled_end);
        Index ready = next;
        while (ready < own.second && std::min(s.h - 1, ready + pad) < pooled_end) ++ready;
        if (ready == next || (ready - next < finish_rows && ready < own.second)) continue;
        // From memory, the scaling prefetches the band's rows the pooling reads next, so that
        // reading x from memory overlaps writing y: spatial attention on 8x256x56x56 and
        // 32x64x56x56 NHWC measured 1.13-1.15x faster so. (An NCHW band is pooled in one step,
        // which leaves none; prefetching the next sample instead measured 0.82-0.98x.)
        finish_spatial_rows<Layout>(p, n, next, ready, padded, p.streaming ? pooled_end : 0, p.streaming ? r1 : 0);
        next = ready;
    }
}

/// Second phase of band task `task`, once every band is pooled: finishes the rows whose conv
/// window reaches into a neighbouring band.
template <class Layout, class S>
void finish_spatial_band(const SpatialPass<S>& p, Index task) {
    const Index n = task / p.bands, band = task % p.bands, h = p.shape.h;
    const Index r0 = piece_begin(h, band, p.bands), r1 = piece_begin(h, band + 1, p.bands);
    const auto own = rows_finished_in_band(r0, r1, h, p.padding.k / 2, p.halo);
    if (own.first > r0) finish_spatial_rows<Layout>(p, n, r0, own.first, sample_padded(p, n));
    if (r1 > own.second) finish_spatial_rows<Layout>(p, n, own.second, r1, sample_padded(p, n));
}

/// Channels [begin, end) of group task % channel_groups of NCHW sample task / channel_groups.
template <class S>
std::pair<Index, Index> group_channels(const SpatialPass<S>& p, Index task) {
    const Index group = task % p.channel_groups;
    return {piece_begin(p.shape.c, group, p.channel_groups), piece_begin(p.shape.c, group + 1, p.channel_groups)};
}

/// First phase of group task `task`: the sums and maxes over the group's channels of every
/// pixel, into its slot of group_sums and group_maxes.
template <class S>
void pool_channel_group(const SpatialPass<S>& p, Index task) {
    const Shape& s = p.shape;
    const Index n = task / p.channel_groups, at = task * p.map_stride;
    const auto [begin, end] = group_channels(p, task);
    channel_sum_max_rows(p.x + n * s.sample_size() + begin * s.pixels(), end - begin, s.pixels(), s.w, 0, s.h,
                         p.channel_weights ? p.channel_weights + n * s.c + begin : nullptr, p.group_sums + at,
                         p.group_maxes + at);
}

/// Rows [begin, end) of task `task`'s piece of its sample's rows, cut into as many pieces
/// as it has channel groups.
template <class S>
std::pair<Index, Index> group_rows(const SpatialPass<S>& p, Index task) {
    const Index piece = task % p.channel_groups;
    return {piece_begin(p.shape.h, piece, p.channel_groups), piece_begin(p.shape.h, piece + 1, p.channel_groups)};
}

/// The mean and max of rows [row_begin, row_end) of sample n from its groups' sums and
/// maxes, into the H x W maps `mean_map` and `max_map` and padded into `padded`.
template <class S>
void combine_group_rows(const SpatialPass<S>& p, Index n, Index row_begin, Index row_end, S* mean_map, S* max_map,
                        S* padded) {
    if (row_begin == row_end) return;
    const Index stride = p.map_stride, at = row_begin * p.shape.w, count = (row_end - row_begin) * p.shape.w;
    const Index first = n * p.channel_groups * stride + at;
    ArrayMap<S> mean(mean_map + at, count), max(max_map + at, count);
    mean = ConstArrayMap<S>(p.group_sums + first, count);
    max = ConstArrayMap<S>(p.group_maxes + first, count);
    for (Index g = 1; g < p.channel_groups; ++g) {
        mean += ConstArrayMap<S>(p.group_sums + first + g * stride, count);
        max = max.max(ConstArrayMap<S>(p.group_maxes + first + g * stride, count));
    }
    mean /= S(p.shape.c);
    pad_pooled_rows(p, mean_map, max_map, row_begin, row_end, padded);
}

/// Second phase of group task `task`: combines its piece of rows, and the k/2 rows on each
/// side of it that its conv windows reach (into maps of its own, as the neighbouring pieces
/// combine them too), then convolves and gates its piece. Combining those rows twice costs
/// little (it reads a few maps, not the planes), and waiting for the other pieces' combining
/// cost more: on 2 threads, spatial attention on 1x64x56x56 to 1x2048x7x7 NCHW ran
/// 1.03-1.13x as fast so, CBAM 1.01-1.10x (8 alternating runs).
template <class S>
void map_group_rows(const SpatialPass<S>& p, Index task) {
    const auto [row_begin, row_end] = group_rows(p, task);
    if (row_begin == row_end) return;
    const Index n = task / p.channel_groups, pad = p.padding.k / 2, pixels = p.shape.pixels();
    S* padded = task_padded(p, task);
    S *halo_mean = p.halo_mean + task * p.map_stride, *halo_max = p.halo_max + task * p.map_stride;
    combine_group_rows(p, n, std::max(Index(0), row_begin - pad), row_begin, halo_mean, halo_max, padded);
    combine_group_rows(p, n, row_begin, row_end, p.mean + n * pixels, p.max + n * pixels, padded);
    combine_group_rows(p, n, row_end, std::min(p.shape.h, row_end + pad), halo_mean, halo_max, padded);
    map_rows(p, n, row_begin, row_end, padded);
}

/// Third phase of group task `task`: y over the group's channels.
template <class S>
void scale_channel_group(const SpatialPass<S>& p, Index task) {
    const Shape& s = p.shape;
    const Index n = task / p.channel_groups;
    const auto [begin, end] = group_channels(p, task);
    scale_planes(p.x + n * s.sample_size(), s.pixels(), begin, end, 0, s.pixels(),
                 p.channel_weights ? p.channel_weights + n * s.c : nullptr, p.map + n * s.pixels(),
                 p.y + n * s.sample_size(), p.streaming);
}

/// Phases the pass may have (spatial_phases).
constexpr int max_spatial_phases = 3;

/// Phases of the pass. Samples in bands: pool_spatial_band of every band, then, when there
/// are several bands that do not pool their halo rows, finish_spatial_band of every band.
/// Samples in channel groups: pool_channel_group, map_group_rows and, when the pass has an
/// output, scale_channel_group, each for every group. Fills tasks (max_spatial_phases) and
/// returns the count.
template <class S>
int spatial_phases(const SpatialPass<S>& p, Index* tasks) {
    const Index n = p.shape.n;
    if (p.channel_groups > 1) {
        std::fill(tasks, tasks + max_spatial_phases, n * p.channel_groups);
        return p.y ? 3 : 2;
    }
    tasks[0] = tasks[1] = n * p.bands;
    return p.bands > 1 && !p.halo ? 2 : 1;
}

/// Task `task` of phase `phase` of the pass.
template <class Layout, class S>
void spatial_phase(const SpatialPass<S>& p, int phase, Index task) {
    if (p.channel_groups > 1) {
        if (phase == 0)
            pool_channel_group(p, task);
        else if (phase == 1)
            map_group_rows(p, task);
        else
            scale_channel_group(p, task);
    } else if (phase == 0) {
        pool_spatial_band<Layout>(p, task);
    } else {
        finish_spatial_band<Layout>(p, task);
    }
}

/// Runs the pass over the batch on `pool`'s threads and the calling one.
template <class Layout, class S>
void run_spatial_pass(const SpatialPass<S>& p, Eigen::ThreadPoolInterface* pool) {
    Index tasks[max_spatial_phases];
    const int phases = spatial_phases(p, tasks);
    parallel_phases(pool, tasks, phases, [&p](int phase, Index task) { spatial_phase<Layout>(p, phase, task); });
}

}  // namespace seattn::detail
