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
