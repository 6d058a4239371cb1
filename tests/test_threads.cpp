// Forward on a const block from many threads at once, and through a thread pool, gives the
// single-threaded result (to rounding: a pool may split the sums differently).

#include <thread>

#include "support.hpp"

TEMPLATE_TEST_CASE("forward is thread-safe and pool-independent", "[threads]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    seattn::CBAMConfig config;
    config.channel.channels = 24;
    config.channel.reduced = 6;
    const seattn::CBAM<S, L> cbam(config, 3);
    std::mt19937_64 rng(4);
    const auto x = support::in_layout<TestType>(ref::random_tensor(5, 24, 11, 9, rng));
    const support::T4<S> expected = cbam.forward(x);

    std::vector<support::T4<S>> outputs(4, support::T4<S>(x.dimensions()));
    std::vector<std::thread> threads;
    for (auto& y : outputs)
        threads.emplace_back([&cbam, &x, &y] {
            for (int repeat = 0; repeat < 20; ++repeat) cbam.forward(x, y);
        });
    for (auto& t : threads) t.join();
    for (const auto& y : outputs) support::require_close(y, expected, 0);

    Eigen::ThreadPool pool(2);
    seattn::Workspace<S> ws(&pool);
    support::T4<S> y(x.dimensions());
    cbam.forward(x, y, ws);
    support::require_close(y, expected, support::tolerance<S>());
    const auto single = support::in_layout<TestType>(ref::random_tensor(1, 24, 11, 9, rng));
    support::T4<S> y1(single.dimensions());
    cbam.forward(single, y1, ws);
    support::require_close(y1, cbam.forward(single), support::tolerance<S>());
}

TEST_CASE("many blocks share one thread pool from several threads", "[threads]") {
    Eigen::ThreadPool pool(2);
    seattn::SEConfig se_config;
    se_config.channels = 16;
    se_config.reduced = 4;
    const seattn::SEBlock<float, seattn::NHWC> se(se_config, 1);
    const seattn::SpatialAttention<float, seattn::NHWC> spatial(seattn::SpatialConfig{}, 2);
    seattn::CBAMConfig cbam_config;
    cbam_config.channel = se_config;
    const seattn::CBAM<float, seattn::NHWC> cbam(cbam_config, 3);

    std::mt19937_64 rng(8);
    const support::T4<float> x = support::to_nhwc(support::T4<float>(ref::random_tensor(3, 16, 12, 10, rng).cast<float>()));
    const support::T4<float> expected[3] = {se.forward(x), spatial.forward(x), cbam.forward(x)};

    std::vector<support::T4<float>> outputs(6, support::T4<float>(x.dimensions()));
    std::vector<std::thread> callers;
    for (int t = 0; t < 6; ++t)
        callers.emplace_back([&, t] {
            seattn::Workspace<float> ws(&pool);
            for (int repeat = 0; repeat < 10; ++repeat) {
                if (t % 3 == 0) se.forward(x, outputs[t], ws);
                if (t % 3 == 1) spatial.forward(x, outputs[t], ws);
                if (t % 3 == 2) cbam.forward(x, outputs[t], ws);
            }
        });
    for (auto& c : callers) c.join();
    for (int t = 0; t < 6; ++t) support::require_close(outputs[t], expected[t % 3], 1e-5);
}
