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

namespace seattn::detail {

/// Outputs of at least this many bytes are written with streaming stores: a batch that size
/// leaves the caches before anyone reads it again, and streaming halves its memory traffic.
constexpr Index streaming_output_bytes = Index(16) << 20;

/// Whether an output of `elements` scalars is written with streaming stores.
template <class S>
bool stream_output(Index elements) {
    return elements * Index(sizeof(S)) >= streaming_output_bytes;
}

/// Copies n values to y with streaming stores where the target has them (plain ones else).
template <class S>
void stream_copy(const S* values, S* y, Index n) {
    Index i = 0;
#if defined(__SSE2__)
    constexpr Index lanes = 16 / Index(sizeof(S));
    for (; i < n && reinterpret_cast<std::uintptr_t>(y + i) % 16 != 0; ++i) y[i] = values[i];
    for (; i + lanes <= n; i += lanes) {
        if constexpr (std::is_same<S, float>::value)
            _mm_stream_ps(y + i, _mm_loadu_ps(values + i));
        else
            _mm_stream_pd(y + i, _mm_loadu_pd(values + i));
    }
#endif
    for (; i < n; ++i) y[i] = values[i];
}

/// Orders this thread's streaming stores before whatever it does next (e.g. signalling
/// that its part of y is written).
inline void stream_fence() {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

/// y[0, n) = expr, an Eigen array expression of n values; with `streaming`, evaluated
/// through a small buffer in cache and written with streaming stores.
template <class S, class Expr>
void store(S* y, Index n, const Expr& expr, bool streaming) {
    if (!streaming) {
        Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>>(y, n) = expr;
        return;
    }
    constexpr Index chunk = 512;
    alignas(64) S buffer[chunk];
    for (Index i = 0; i < n; i += chunk) {
        const Index len = std::min(chunk, n - i);
        Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>>(buffer, len) = expr.segment(i, len);
        stream_copy(buffer, y + i, len);
    }
}

}  // namespace seattn::detail
