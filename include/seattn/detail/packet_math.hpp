#pragma once
// The element-wise loops of the kernels on Eigen's SIMD packets, unaligned and without the
// scalar peeling an Eigen expression does to align its destination: the kernels run them on
// rows of a few dozen values, where that peeling costs more than the vector body.

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>

#include <Eigen/Core>

#include "../layout.hpp"

namespace seattn::detail {

template <class S>
using Packet = typename Eigen::internal::packet_traits<S>::type;

/// Calls f(std::integral_constant<int, i>) for i = 0 .. N - 1, unrolled at compile time:
/// arrays of packets indexed only by such constants can live in registers.
template <class F, int... I>
void unroll_sequence(F& f, std::integer_sequence<int, I...>) {
    (f(std::integral_constant<int, I>{}), ...);
}
template <int N, class F>
void unroll(F&& f) {
    unroll_sequence(f, std::make_integer_sequence<int, N>{});
}

/// Values per packet of S.
template <class S>
constexpr Index lanes = Eigen::internal::unpacket_traits<Packet<S>>::size;

template <class S>
Packet<S> load(const S* p) {
    return Eigen::internal::ploadu<Packet<S>>(p);
}

template <class S>
void store_packet(S* p, const Packet<S>& v) {
    Eigen::internal::pstoreu(p, v);
}

/// The max the poolings take: the plain SIMD max, which may drop a NaN operand. That is
/// safe because every max is pooled beside a mean (or sum) of the same values, which a NaN
/// (or inf - inf) always turns into NaN, and both reach the block's output.
template <class T>
T max_of(const T& a, const T& b) {
    return Eigen::internal::pmax(a, b);
}

/// y[i] = x[i] * factor for i in [0, n); y may be x.
template <class S>
void multiply(const S* x, S factor, S* y, Index n) {
    const Packet<S> f = Eigen::internal::pset1<Packet<S>>(factor);
    Index i = 0;
    for (; i + lanes<S> <= n; i += lanes<S>) store_packet(y + i, Eigen::internal::pmul(load(x + i), f));
    for (; i < n; ++i) y[i] = x[i] * factor;
}

/// y[i] = x[i] * (factors[i] * factor) for i in [0, n); y may be x. Four packets at a time,
/// all loaded before any is stored: one packet at a time, scaling NCHW planes by a spatial
/// map ran 1.3x as long (36-40 against 27-30 us for 64 planes of 56 x 56, whatever the
/// offsets of y and the map), where scaling by a factor alone runs as fast as a copy either way.
template <class S>
void multiply(const S* x, const S* factors, S factor, S* y, Index n) {
    using Eigen::internal::pmul;
    constexpr Index L = lanes<S>;
    const Packet<S> f = Eigen::internal::pset1<Packet<S>>(factor);
    Index i = 0;
    for (; i + 4 * L <= n; i += 4 * L) {
        Packet<S> v[4];
        unroll<4>([&](auto k) { v[k] = pmul(load(x + i + k * L), pmul(load(factors + i + k * L), f)); });
        unroll<4>([&](auto k) { store_packet(y + i + k * L, v[k]); });
    }
    for (; i + L <= n; i += L) store_packet(y + i, pmul(load(x + i), pmul(load(factors + i), f)));
    for (; i < n; ++i) y[i] = x[i] * (factors[i] * factor);
}

/// For K rows r_k = first + k * stride, each scaled by scales[k] (1 when scales is null):
/// sum[i] += sum over k of r_k[i] and, when max is not null, max[i] = max(max[i], r_k[i]).
template <int K, class S>
void accumulate_rows(const S* first, Index stride, const S* scales, Index n, S* sum, S* max) {
    S scale[K];
    Packet<S> weight[K];
    for (int k = 0; k < K; ++k) {
        scale[k] = scales ? scales[k] : S(1);
        weight[k] = Eigen::internal::pset1<Packet<S>>(scale[k]);
    }
    Index i = 0;
    for (; i + lanes<S> <= n; i += lanes<S>) {
        Packet<S> total = Eigen::internal::pmul(load(first + i), weight[0]), largest = total;
        for (int k = 1; k < K; ++k) {
            const Packet<S> v = Eigen::internal::pmul(load(first + k * stride + i), weight[k]);
            total = Eigen::internal::padd(total, v);
            largest = max_of(largest, v);
        }
        store_packet(sum + i, Eigen::internal::padd(load(sum + i), total));
        if (max) store_packet(max + i, max_of(load(max + i), largest));
    }
    for (; i < n; ++i)
        for (int k = 0; k < K; ++k) {
            const S v = first[k * stride + i] * scale[k];
            sum[i] += v;
            if (max) max[i] = max_of(max[i], v);
        }
}

/// Sum and max over i in [0, n) of x[i] * weights[i] (weights may be null: 1), the max only
/// when WithMax; the max of nothing is -inf. Four independent accumulators of each keep the
/// adds from waiting on each other's latency.
template <bool WithMax, class S>
void sum_and_max(const S* x, const S* weights, Index n, S& sum, S& max) {
    using Eigen::internal::padd;
    constexpr Index L = lanes<S>;
    auto value = [x, weights](Index i) {
        return weights ? Eigen::internal::pmul(load(x + i), load(weights + i)) : load(x + i);
    };
    Index i = 0;
    sum = S(0);
    max = -std::numeric_limits<S>::infinity();
    if (n >= 4 * L) {
        Packet<S> s0 = value(0), s1 = value(L), s2 = value(2 * L), s3 = value(3 * L);
        Packet<S> m0 = s0, m1 = s1, m2 = s2, m3 = s3;
        for (i = 4 * L; i + 4 * L <= n; i += 4 * L) {
            const Packet<S> v0 = value(i), v1 = value(i + L), v2 = value(i + 2 * L), v3 = value(i + 3 * L);
            s0 = padd(s0, v0), s1 = padd(s1, v1), s2 = padd(s2, v2), s3 = padd(s3, v3);
            if (WithMax) m0 = max_of(m0, v0), m1 = max_of(m1, v1), m2 = max_of(m2, v2), m3 = max_of(m3, v3);
        }
        sum = Eigen::internal::predux(padd(padd(s0, s1), padd(s2, s3)));
        if (WithMax) max = Eigen::internal::predux_max(max_of(max_of(m0, m1), max_of(m2, m3)));
    }
    if (i + L <= n) {
        Packet<S> total = value(i), top = total;
        for (i += L; i + L <= n; i += L) {
            const Packet<S> v = value(i);
            total = padd(total, v);
            if (WithMax) top = max_of(top, v);
        }
        sum += Eigen::internal::predux(total);
        if (WithMax) max = max_of(max, Eigen::internal::predux_max(top));
    }
    for (; i < n; ++i) {
        const S v = weights ? x[i] * weights[i] : x[i];
        sum += v;
        if (WithMax) max = max_of(max, v);
    }
}

/// y[i] += a * x[i] for i in [0, n).
template <class S>
void multiply_add(S a, const S* x, S* y, Index n) {
    const Packet<S> factor = Eigen::internal::pset1<Packet<S>>(a);
    Index i = 0;
    for (; i + lanes<S> <= n; i += lanes<S>)
        store_packet(y + i, Eigen::internal::pmadd(factor, load(x + i), load(y + i)));
    for (; i < n; ++i) y[i] += a * x[i];
}

/// Prefetches the `count` pixels of `channels` values from pixel `first` of x, a cache line
/// at a time, those from pixel `end` on excepted.
template <class S>
void prefetch_pixels(const S* x, Index channels, Index first, Index count, Index end) {
    constexpr Index line = 64 / Index(sizeof(S));
    const S* begin = x + first * channels;
    const Index values = std::min(count, end - first) * channels;
    for (Index i = 0; i < values; i += line) Eigen::internal::prefetch(begin + i);
}

}  // namespace seattn::detail
