#pragma once
// The order in which a block's passes walk a sample larger than the L2 cache, so that each
// pass starts on what the pass before it (or the layer before, writing x) touched last and
// the cache still holds.

#include "../layout.hpp"

namespace seattn::detail {

/// Bytes at the end of a pass the next pass finds in the L2 cache (1 MiB per core on the
/// AVX-512 benchmark machine) after a sample too large for it, and would evict before it got
/// there walking in memory order. Squeezing and scaling 8 samples of 256 x 56 x 56 NCHW
/// from memory (1 thread, microbenchmark) ran 1.13x as fast with the scaling starting on
/// them, 1.03-1.04x with 0.25 or 1 MiB, and 0.96-1.07x walking the sample backwards.
/// SEBlock, 1 thread, 8x256x56x56 and 32x64x56x56 in both layouts (three interleaved runs):
/// 0.93-1.57x, faster in 10 of 12; on 2 threads and at batch 1, where the pieces are smaller
/// or cached anyway, 0.77-1.31x with no consistent sign.
constexpr Index cached_tail_bytes = Index(512) << 10;

/// Where the last cached_tail_bytes of units [begin, end) of `unit_bytes` each start: begin
/// when there are no more than that (or a unit is larger).
inline Index cached_tail_begin(Index begin, Index end, Index unit_bytes) {
    const Index tail = cached_tail_bytes / unit_bytes;
    return tail > 0 && end - begin > tail ? end - tail : begin;
}

/// Where the first cached_tail_bytes of units [begin, end) end: end when there are no more
/// than that (or a unit is larger).
inline Index cached_head_end(Index begin, Index end, Index unit_bytes) {
    const Index head = cached_tail_bytes / unit_bytes;
    return head > 0 && end - begin > head ? begin + head : end;
}

/// Calls f(first, last) on the last cached_tail_bytes of units [begin, end), then on the
/// units before them: for a pass after one that read them in memory order.
template <class F>
void tail_first(Index begin, Index end, Index unit_bytes, F&& f) {
    const Index tail = cached_tail_begin(begin, end, unit_bytes);
    f(tail, end);
    f(begin, tail);
}

/// Calls f(first, last) on the last cached_tail_bytes of units [begin, end), then on the
/// units between the first cached_tail_bytes and those, then on the first: for a pass after
/// whatever wrote them in memory order (the layer before) and before one that must read
/// them in memory order. SEBlock and CBAM NCHW on 1x256x56x56, 1 thread, 10 alternating
/// runs: 1.16x and 1.18x as fast as with the head last alone.
template <class F>
void tail_first_head_last(Index begin, Index end, Index unit_bytes, F&& f) {
    const Index head = cached_head_end(begin, end, unit_bytes);
    const Index tail = cached_tail_begin(head, end, unit_bytes);
    f(tail, end);
    f(head, tail);
    f(begin, head);
}

}  // namespace seattn::detail
