// Benchmarks of seattn's blocks against a memcpy of the same bytes (and a sum of x followed
// by that memcpy), the blocks written with naive Eigen Tensor expressions and (when built
// with it) libtorch. Names are
// impl:block:layout:NxCxHxW:tT; bytes processed count one read of x and one write of y.

#define EIGEN_USE_THREADS  // ThreadPoolDevice for the naive_eigen baseline

#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <seattn/seattn.hpp>

#include "bench_support.hpp"
#include "naive_eigen.hpp"
#ifdef SEATTN_BENCH_WITH_TORCH
#include "torch_blocks.hpp"
#endif

namespace {

using bench::Dims;
using bench::kernel;
using bench::make_input;
using bench::reduction;
using bench::register_benchmark;
using bench::se_config;
using bench::shared_pool;
using bench::spatial_config;
using bench::Tensor4;

const Dims shapes[] = {{1, 64, 56, 56},  {1, 256, 56, 56}, {1, 512, 28, 28},  {1, 1024, 14, 14},
                       {1, 2048, 7, 7}, {8, 256, 56, 56}, {32, 64, 56, 56}};

/// Runs `run` once to warm up, then times it; y's writes are kept observable.
template <class F>
void measure(benchmark::State& state, const Dims& d, F&& run) {
    run();
    for (auto _ : state) {
        run();
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * 2 * d.size() * static_cast<long>(sizeof(float)));
}

/// memcpy of x to y, split over the threads like the blocks' passes.
void bench_copy(benchmark::State& state, Dims d, int threads) {
    const Tensor4 x = make_input<seattn::NCHW>(d);
    Tensor4 y(x.dimensions());
    Eigen::ThreadPool* pool = shared_pool(threads - 1);
    auto copy = [&] {
        seattn::detail::parallel_for(pool, x.size(), [&](Eigen::Index begin, Eigen::Index end) {
            std::memcpy(y.data() + begin, x.data() + begin, static_cast<std::size_t>(end - begin) * sizeof(float));
        });
    };
    benchmark::DoNotOptimize(y.data());
    measure(state, d, copy);
}

/// Per sample (or, at batch 1 with 2 threads, per half of it): an Eigen sum of x, then a
/// memcpy of the same values to y. The least that SE's data flow (a full read of the sample
/// before any of y can be written, then a copy-like scaling pass) costs with Eigen's sum
/// and glibc's copy, measured beside the blocks so the README can say what bounds them.
void bench_read_copy(benchmark::State& state, Dims d, int threads) {
    const Tensor4 x = make_input<seattn::NCHW>(d);
    Tensor4 y(x.dimensions());
    Eigen::ThreadPool* pool = shared_pool(threads - 1);
    const Eigen::Index sample = x.size() / d.n, pieces = seattn::detail::pieces_per_sample(pool, d.n);
    std::vector<float> sums(static_cast<std::size_t>(d.n * pieces));
    auto read_copy = [&] {
        seattn::detail::parallel_for(pool, d.n * pieces, [&](Eigen::Index begin, Eigen::Index end) {
            for (Eigen::Index task = begin; task < end; ++task) {
                const Eigen::Index piece = task % pieces, at = task / pieces * sample;
                const Eigen::Index first = at + seattn::detail::piece_begin(sample, piece, pieces);
                const Eigen::Index count = at + seattn::detail::piece_begin(sample, piece + 1, pieces) - first;
                sums[static_cast<std::size_t>(task)] = Eigen::Map<const Eigen::ArrayXf>(x.data() + first, count).sum();
                std::memcpy(y.data() + first, x.data() + first, static_cast<std::size_t>(count) * sizeof(float));
            }
        });
    };
    benchmark::DoNotOptimize(y.data());
    benchmark::DoNotOptimize(sums.data());
    measure(state, d, read_copy);
}

template <class Layout, class Block>
void run_seattn(benchmark::State& state, const Block& block, const Dims& d, int threads) {
    const Tensor4 x = make_input<Layout>(d);
    Tensor4 y(x.dimensions());
    seattn::Workspace<float> ws(shared_pool(threads - 1));
    benchmark::DoNotOptimize(y.data());
    measure(state, d, [&] { block.forward(x, y, ws); });
}

template <class Layout>
void bench_seattn(benchmark::State& state, std::string block, Dims d, int threads) {
    if (block == "se") {
        run_seattn<Layout>(state, seattn::SEBlock<float, Layout>(se_config(d.c, seattn::SqueezePool::avg)), d, threads);
    } else if (block == "spatial") {
        run_seattn<Layout>(state, seattn::SpatialAttention<float, Layout>(spatial_config()), d, threads);
    } else {
        const seattn::CBAMConfig config{se_config(d.c, seattn::SqueezePool::avg_max), spatial_config()};
        run_seattn<Layout>(state, seattn::CBAM<float, Layout>(config), d, threads);
    }
}

template <class Layout, class Device>
void run_naive(benchmark::State& state, const std::string& block, const Dims& d, const Device& device) {
    const Tensor4 x = make_input<Layout>(d);
    Tensor4 y(x.dimensions());
    naive_eigen::Params p;
    p.fc1 = naive_eigen::Tensor2(d.c / reduction, d.c).setRandom() * 0.1f;
    p.fc2 = naive_eigen::Tensor2(d.c, d.c / reduction).setRandom() * 0.1f;
    p.conv_mean = naive_eigen::Tensor2(kernel, kernel).setRandom() * 0.1f;
    p.conv_max = naive_eigen::Tensor2(kernel, kernel).setRandom() * 0.1f;
    auto run = [&] {
        if (block == "se")
            naive_eigen::se<Layout>(x, p, y, device);
        else if (block == "spatial")
            naive_eigen::spatial<Layout>(x, p, y, device);
        else
            naive_eigen::cbam<Layout>(x, p, y, device);
    };
    benchmark::DoNotOptimize(y.data());
    measure(state, d, run);
}

template <class Layout>
void bench_naive(benchmark::State& state, std::string block, Dims d, int threads) {
    if (threads == 1) {
        run_naive<Layout>(state, block, d, Eigen::DefaultDevice());
    } else {
        const Eigen::ThreadPoolDevice device(shared_pool(threads), threads);
        run_naive<Layout>(state, block, d, device);
    }
}

#ifdef SEATTN_BENCH_WITH_TORCH
void bench_torch(benchmark::State& state, std::string block, bool nhwc, Dims d, int threads) {
    const auto runner = torch_blocks::make_runner(block, nhwc, d.n, d.c, d.h, d.w, threads);
    measure(state, d, [&] { runner->run(); });
}
#endif

template <class Layout>
void register_layout(const Dims& d, int threads) {
    const std::string suffix = ":" + bench::case_name<Layout>(d, threads);
    register_benchmark("copy:copy" + suffix, [=](benchmark::State& s) { bench_copy(s, d, threads); });
    register_benchmark("copy:read_copy" + suffix, [=](benchmark::State& s) { bench_read_copy(s, d, threads); });
    for (const std::string block : bench::block_names) {
        register_benchmark("seattn:" + block + suffix,
                           [=](benchmark::State& s) { bench_seattn<Layout>(s, block, d, threads); });
        register_benchmark("naive_eigen:" + block + suffix,
                           [=](benchmark::State& s) { bench_naive<Layout>(s, block, d, threads); });
#ifdef SEATTN_BENCH_WITH_TORCH
        const bool nhwc = std::is_same<Layout, seattn::NHWC>::value;
        register_benchmark("libtorch:" + block + suffix,
                           [=](benchmark::State& s) { bench_torch(s, block, nhwc, d, threads); });
#endif
    }
}

}  // namespace

int main(int argc, char** argv) {
    for (const Dims& d : shapes)
        for (const int threads : bench::thread_counts) {
            register_layout<seattn::NCHW>(d, threads);
            register_layout<seattn::NHWC>(d, threads);
        }
#ifdef SEATTN_BENCH_WITH_TORCH
    benchmark::AddCustomContext("libtorch", "built in");
#else
    benchmark::AddCustomContext("libtorch", "skipped: built without Torch");
    std::cerr << "seattn_bench: libtorch benchmarks skipped (find_package(Torch) failed at configure time)\n";
#endif
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
