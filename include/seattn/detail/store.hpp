#pragma once
// Writing a block's output: plain stores while it fits in cache, non-temporal (streaming)
// stores when it does not, so that writing y does not first read it from memory.

#include <algorithm>
#include <cstdint>
#include <type_traits>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <Eigen/Core>

#include "../layout.hpp"
#include "packet_math.hpp"

namespace seattn::detail {

/// Outputs of at least this many bytes are written with streaming stores: a batch that size
/// leaves the caches before anyone reads it again, and streaming halves its memory traffic.
constexpr Index streaming_output_bytes = Index(16) << 20;

/// Whether an output of `elements` scalars is written with streaming stores.
template <class S>
bool stream_output(Index elements) {
    return elements * Index(sizeof(S)) >= streaming_output_bytes;
}

/// Writes packet v to y, which must be aligned to the packet's size, with a plain store
/// where the target has no streaming store for it.
template <class S, class P>
void stream_packet(S* y, const P& v) {
    store_packet(y, v);
}

// Streaming stores of the packets' full width: on the benchmark machine, half-width ones
// took 1.4x as long to write a 24 MiB output.
#if defined(__AVX512F__)
inline void stream_packet(float* y, const __m512& v) { _mm512_stream_ps(y, v); }
inline void stream_packet(double* y, const __m512d& v) { _mm512_stream_pd(y, v); }
#endif
#if defined(__AVX__)
inline void stream_packet(float* y, const __m256& v) { _mm256_stream_ps(y, v); }
inline void stream_packet(double* y, const __m256d& v) { _mm256_stream_pd(y, v); }
#endif
#if defined(__SSE2__)
inline void stream_packet(float* y, const __m128& v) { _mm_stream_ps(y, v); }
inline void stream_packet(double* y, const __m128d& v) { _mm_stream_pd(y, v); }
#endif

/// y[i] = scalar_at(i) for i in [0, n), written from y's first packet-aligned element on as
/// streaming stores of packet_at(i), the packet of values i, i + 1, ...
template <class S, class ScalarAt, class PacketAt>
void stream_values(S* y, Index n, ScalarAt scalar_at, PacketAt packet_at) {
    Index i = 0;
    for (; i < n && reinterpret_cast<std::uintptr_t>(y + i) % sizeof(Packet<S>) != 0; ++i) y[i] = scalar_at(i);
    for (; i + lanes<S> <= n; i += lanes<S>) stream_packet(y + i, packet_at(i));
    for (; i < n; ++i) y[i] = scalar_at(i);
}

/// Orders this thread's streaming stores before whatever it does next (e.g. signalling
/// that its part of y is written).
inline void stream_fence() {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

/// y[0, n) = x * factor, with streaming stores when `streaming`.
template <class S>
void store_scaled(const S* x, S factor, S* y, Index n, bool streaming) {
    if (!streaming) return multiply(x, factor, y, n);
    const Packet<S> f = Eigen::internal::pset1<Packet<S>>(factor);
    stream_values(
        y, n, [&](Index i) { return x[i] * factor; },
        [&](Index i) { return Eigen::internal::pmul(load(x + i), f); });
}

/// y[0, n) = x * (factors * factor), with streaming stores when `streaming`.
template <class S>
void store_scaled(const S* x, const S* factors, S factor, S* y, Index n, bool streaming) {
    if (!streaming) return multiply(x, factors, factor, y, n);
    const Packet<S> f = Eigen::internal::pset1<Packet<S>>(factor);
    stream_values(
        y, n, [&](Index i) { return x[i] * (factors[i] * factor); },
        [&](Index i) { return Eigen::internal::pmul(load(x + i), Eigen::internal::pmul(load(factors + i), f)); });
}

/// y[p, c] = x[p, c] * factors[c] for `pixels` pixels of `channels` contiguous values (an
/// NHWC run), with streaming stores when Streaming. One loop over the whole run: a call per
/// pixel, with its own alignment check, measured slower on 64 channels.
template <bool Streaming, class S>
void store_scaled_run(const S* x, const S* factors, Index channels, Index pixels, S* y) {
    constexpr Index L = lanes<S>;
    for (Index p = 0; p < pixels; ++p, x += channels, y += channels)
        for (Index i = 0; i < channels; i += L) {
            const Packet<S> v = Eigen::internal::pmul(load(x + i), load(factors + i));
            if constexpr (Streaming)
                stream_packet(y + i, v);
            else
                store_packet(y + i, v);
        }
}

/// y[p, c] = x[p, c] * factors[c] for `pixels` pixels of `channels` contiguous values, with
/// streaming stores when `streaming`.
template <class S>
void store_scaled_pixels(const S* x, const S* factors, Index channels, Index pixels, S* y, bool streaming) {
    const bool whole_packets = channels % lanes<S> == 0;
    const bool aligned = reinterpret_cast<std::uintptr_t>(y) % sizeof(Packet<S>) == 0;
    if (whole_packets && !streaming) return store_scaled_run<false>(x, factors, channels, pixels, y);
    if (whole_packets && aligned) return store_scaled_run<true>(x, factors, channels, pixels, y);
    for (Index p = 0; p < pixels; ++p)
        store_scaled(x + p * channels, factors, S(1), y + p * channels, channels, streaming);
}

}  // namespace seattn::detail
