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
using bench::shared_pool;
using bench::Tensor4;

constexpr long reduction = 16, kernel = 7;
const Dims shapes[] = {{1, 64, 56, 56}, {1, 256, 56, 56}, {1, 1024, 14, 14}, {8, 256, 56, 56}};
const int thread_counts[] = {1, 2};
const char* const blocks[] = {"se", "spatial", "cbam"};

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
    seattn::SEConfig channel;
    channel.channels = d.c;
    channel.reduction = reduction;
    seattn::SpatialConfig spatial;
    spatial.kernel = kernel;
    if (block == "se") {
        run_backward<Layout>(state, seattn::SEBlock<float, Layout>(channel), d, threads);
    } else if (block == "spatial") {
        run_backward<Layout>(state, seattn::SpatialAttention<float, Layout>(spatial), d, threads);
    } else {
        channel.pool = seattn::SqueezePool::avg_max;
        run_backward<Layout>(state, seattn::CBAM<float, Layout>(seattn::CBAMConfig{channel, spatial}), d, threads);
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

template <class F>
void add(const std::string& name, F&& f) {
    benchmark::RegisterBenchmark(name.c_str(), std::forward<F>(f))->Unit(benchmark::kMicrosecond)->UseRealTime();
}

template <class Layout>
void register_layout(const Dims& d, int threads) {
    const std::string layout = std::is_same<Layout, seattn::NCHW>::value ? "nchw" : "nhwc";
    const std::string suffix = "_backward:" + layout + ":" + d.name() + ":t" + std::to_string(threads);
    for (const std::string block : blocks) {
        add("seattn:" + block + suffix,
            [=](benchmark::State& s) { bench_seattn_backward<Layout>(s, block, d, threads); });
#ifdef SEATTN_BENCH_WITH_TORCH
        const bool nhwc = std::is_same<Layout, seattn::NHWC>::value;
        add("libtorch:" + block + suffix, [=](benchmark::State& s) { bench_torch_backward(s, block, nhwc, d, threads); });
#endif
    }
}

// Registered during static initialisation, so seattn_bench's main runs them with the rest.
[[maybe_unused]] const bool registered = [] {
    for (const Dims& d : shapes)
        for (const int threads : thread_counts) {
            register_layout<seattn::NCHW>(d, threads);
            register_layout<seattn::NHWC>(d, threads);
        }
    return true;
}();

}  // namespace
