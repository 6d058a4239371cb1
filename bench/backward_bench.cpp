// Backward benchmarks, registered into seattn_bench: seattn's backward (grad_x and every
// parameter gradient, after one forward_train) against libtorch autograd's (when built
// with it). Names are impl:block_backward:layout:NxCxHxW:tT, beside the forward ones.

#include <memory>
#include <string>
#include <type_traits>

#include <benchmark/benchmark.h>

#include <seattn/seattn.hpp>

#include "bench_support.hpp"

#ifdef SEATTN_BENCH_WITH_TORCH
#include "torch_backward.hpp"
#endif

namespace {

using bench::Dims;
using bench::make_input;
using bench::register_benchmark;
using bench::se_config;
using bench::shared_pool;
using bench::spatial_config;
using bench::Tensor4;

const Dims shapes[] = {{1, 64, 56, 56}, {1, 256, 56, 56}, {1, 1024, 14, 14}, {8, 256, 56, 56}};

template <class Layout, class Block>
void run_backward(benchmark::State& state, const Block& block, const Dims& d, int threads) {
    const Tensor4 x = make_input<Layout>(d), grad_y = make_input<Layout>(d);
    Tensor4 y(x.dimensions()), grad_x(x.dimensions());
    seattn::TrainingWorkspace<float> ws(shared_pool(threads - 1));
    seattn::Gradients<float> grads;
    block.forward_train(x, y, ws);
    block.backward(grad_y, grad_x, grads, ws);
    for (auto _ : state) {
        block.backward(grad_y, grad_x, grads, ws);
        benchmark::DoNotOptimize(grad_x.data());
        benchmark::ClobberMemory();
    }
}

template <class Layout>
void bench_seattn_backward(benchmark::State& state, const std::string& block, Dims d, int threads) {
    if (block == "se") {
        const seattn::SEBlock<float, Layout> se(se_config(d.c, seattn::SqueezePool::avg));
        run_backward<Layout>(state, se, d, threads);
    } else if (block == "spatial") {
        run_backward<Layout>(state, seattn::SpatialAttention<float, Layout>(spatial_config()), d, threads);
    } else {
        const seattn::CBAMConfig config{se_config(d.c, seattn::SqueezePool::avg_max), spatial_config()};
        run_backward<Layout>(state, seattn::CBAM<float, Layout>(config), d, threads);
    }
}

#ifdef SEATTN_BENCH_WITH_TORCH
void bench_torch_backward(benchmark::State& state, const std::string& block, bool nhwc, Dims d, int threads) {
    const auto runner = torch_backward::make_runner(block, nhwc, d.n, d.c, d.h, d.w, threads);
    runner->run();
    for (auto _ : state) {
        runner->run();
        benchmark::ClobberMemory();
    }
}
#endif

template <class Layout>
void register_layout(const Dims& d, int threads) {
    const std::string suffix = "_backward:" + bench::case_name<Layout>(d, threads);
    for (const std::string block : bench::block_names) {
        register_benchmark("seattn:" + block + suffix,
                           [=](benchmark::State& s) { bench_seattn_backward<Layout>(s, block, d, threads); });
#ifdef SEATTN_BENCH_WITH_TORCH
        const bool nhwc = std::is_same<Layout, seattn::NHWC>::value;
        register_benchmark("libtorch:" + block + suffix,
                           [=](benchmark::State& s) { bench_torch_backward(s, block, nhwc, d, threads); });
#endif
    }
}

// Registered during static initialisation, so seattn_bench's main runs them with the rest.
[[maybe_unused]] const bool registered = [] {
    for (const Dims& d : shapes)
        for (const int threads : bench::thread_counts) {
            register_layout<seattn::NCHW>(d, threads);
            register_layout<seattn::NHWC>(d, threads);
        }
    return true;
}();

}  // namespace
