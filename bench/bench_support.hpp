#pragma once
// What the forward and backward benchmarks share: the blocks' configurations, the thread
// counts and naming of every case, the shape of an input, its random contents in a layout,
// and the thread pools kept for the whole run.

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <benchmark/benchmark.h>

#include <seattn/seattn.hpp>

namespace bench {

using Tensor4 = seattn::Tensor4<float>;

/// SE reduction ratio r of every benchmarked channel attention.
constexpr long reduction = 16;
/// Conv kernel size of every benchmarked spatial attention.
constexpr long kernel = 7;
/// Thread counts (the tT of a benchmark name) every case is timed with.
inline const int thread_counts[] = {1, 2};
/// The benchmarked blocks, as benchmark names spell them.
inline const char* const block_names[] = {"se", "spatial", "cbam"};

/// N x C x H x W of one benchmarked input.
struct Dims {
    long n, c, h, w;
    std::string name() const {
        return std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
    }
    long size() const { return n * c * h * w; }
};

/// Pool of `size` worker threads (0 to 2), kept for the whole run (nullptr for 0).
inline Eigen::ThreadPool* shared_pool(int size) {
    static std::unique_ptr<Eigen::ThreadPool> pools[3];
    if (size == 0) return nullptr;
    if (!pools[size]) pools[size] = std::make_unique<Eigen::ThreadPool>(size);
    return pools[size].get();
}

/// A random tensor of shape `d`, its dimensions in Layout's order.
template <class Layout>
Tensor4 make_input(const Dims& d) {
    Tensor4 x = std::is_same<Layout, seattn::NCHW>::value ? Tensor4(d.n, d.c, d.h, d.w) : Tensor4(d.n, d.h, d.w, d.c);
    x.setRandom();
    return x;
}

/// The benchmarked SE configuration for `channels` input channels, squeezing with `pool`.
inline seattn::SEConfig se_config(long channels, seattn::SqueezePool pool) {
    seattn::SEConfig config;
    config.channels = channels;
    config.reduction = reduction;
    config.pool = pool;
    return config;
}

/// The benchmarked spatial attention configuration.
inline seattn::SpatialConfig spatial_config() {
    seattn::SpatialConfig config;
    config.kernel = kernel;
    return config;
}

/// The layout:NxCxHxW:tT end of a benchmark name.
template <class Layout>
std::string case_name(const Dims& d, int threads) {
    const std::string layout = std::is_same<Layout, seattn::NCHW>::value ? "nchw" : "nhwc";
    return layout + ":" + d.name() + ":t" + std::to_string(threads);
}

/// Registers `f` as benchmark `name`, in wall-clock microseconds: the caller's CPU time
/// misses the pool's work.
template <class F>
void register_benchmark(const std::string& name, F&& f) {
    benchmark::RegisterBenchmark(name.c_str(), std::forward<F>(f))->Unit(benchmark::kMicrosecond)->UseRealTime();
}

}  // namespace bench
