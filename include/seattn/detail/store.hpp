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

// Streaming stores of the packets' full width: on the AVX2 benchmark machine, half-width ones
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

/// y[p, c] = x[p, c] * (factors[c] * pixel_factors[p]) for `pixels` pixels of `channels`
/// contiguous values (an NHWC run), without the factors ByChannel or ByPixel leave out, with
/// streaming stores when Streaming; prefetches pixel p of `ahead` (if not null) before
/// writing pixel p, up to pixel ahead_pixels. The factors are multiplied first, as
/// store_scaled and the NCHW scaling do, so that every path gives the same bits. One loop
/// over the whole run: a call per pixel, with its own alignment check and tail, measured
/// slower on 64 channels.
template <bool Streaming, bool ByChannel, bool ByPixel, class S>
void store_scaled_run(const S* x, const S* factors, const S* pixel_factors, Index channels, Index pixels, S* y,
                      const S* ahead, Index ahead_pixels) {
    using Eigen::internal::pmul;
    constexpr Index L = lanes<S>;
    for (Index p = 0; p < pixels; ++p, x += channels, y += channels) {
        if (ahead) prefetch_pixels(ahead, channels, p, 1, ahead_pixels);
        const Packet<S> pixel_factor = Eigen::internal::pset1<Packet<S>>(ByPixel ? pixel_factors[p] : S(1));
        for (Index i = 0; i < channels; i += L) {
            Packet<S> v = load(x + i);
            if constexpr (ByChannel && ByPixel)
                v = pmul(v, pmul(load(factors + i), pixel_factor));
            else if constexpr (ByChannel)
                v = pmul(v, load(factors + i));
            else if constexpr (ByPixel)
                v = pmul(v, pixel_factor);
            if constexpr (Streaming)
                stream_packet(y + i, v);
            else
                store_packet(y + i, v);
        }
    }
}

/// y[p, c] = x[p, c] * factors[c] * pixel_factors[p] for `pixels` pixels of `channels`
/// contiguous values; factors or pixel_factors may be null (1). Streaming stores when
/// `streaming`. Prefetches pixel p of `ahead`, when it is not null and p < ahead_pixels,
/// before writing pixel p.
template <class S>
void store_scaled_pixels(const S* x, const S* factors, const S* pixel_factors, Index channels, Index pixels, S* y,
                         bool streaming, const S* ahead = nullptr, Index ahead_pixels = 0) {
    const bool aligned = reinterpret_cast<std::uintptr_t>(y) % sizeof(Packet<S>) == 0;
    auto run = [&](auto by_channel, auto by_pixel) {
        constexpr bool ByChannel = decltype(by_channel)::value, ByPixel = decltype(by_pixel)::value;
        if (streaming)
            store_scaled_run<true, ByChannel, ByPixel>(x, factors, pixel_factors, channels, pixels, y, ahead,
                                                       ahead_pixels);
        else
            store_scaled_run<false, ByChannel, ByPixel>(x, factors, pixel_factors, channels, pixels, y, ahead,
                                                        ahead_pixels);
    };
    if (channels % lanes<S> == 0 && (aligned || !streaming)) {
        if (factors && pixel_factors) return run(std::true_type{}, std::true_type{});
        if (factors) return run(std::true_type{}, std::false_type{});
        if (pixel_factors) return run(std::false_type{}, std::true_type{});
    }
    for (Index p = 0; p < pixels; ++p) {
        if (ahead) prefetch_pixels(ahead, channels, p, 1, ahead_pixels);
        const S factor = pixel_factors ? pixel_factors[p] : S(1);
        if (factors)
            store_scaled(x + p * channels, factors, factor, y + p * channels, channels, streaming);
        else
            store_scaled(x + p * channels, factor, y + p * channels, channels, streaming);
    }
}

}  // namespace seattn::detail
