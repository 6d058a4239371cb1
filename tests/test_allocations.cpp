// forward(x, y) allocates nothing once warmed up: global operator new is replaced in this
// executable to count every allocation, on any thread, and Eigen's own allocator is
// switched off during the measured calls (EIGEN_RUNTIME_NO_MALLOC, its check counted too).

#include "allocation_counting.hpp"

#include "support.hpp"

namespace {

/// Warms forward(x, y, ws) and forward(x, y) up, then counts allocations of further calls,
/// in place and out of place.
template <class V, class Block>
void check_no_allocations(const Block& block, Eigen::ThreadPoolInterface* pool) {
    using S = typename V::Scalar;
    std::mt19937_64 rng(3);
    const auto x = support::in_layout<V>(ref::random_tensor(2, 32, 9, 11, rng));
    const auto single = support::in_layout<V>(ref::random_tensor(1, 32, 9, 11, rng));
    support::T4<S> y(x.dimensions()), in_place = x, y_single(single.dimensions());
    seattn::Workspace<S> ws(pool);
    auto calls = [&] {
        block.forward(x, y, ws);
        block.forward(single, y_single, ws);
        block.forward(in_place, in_place, ws);
        block.forward(x, y);
    };
    calls();
    CHECK(allocations_during(calls, 5) == 0);
}

template <class V>
void check_blocks(Eigen::ThreadPoolInterface* pool) {
    using S = typename V::Scalar;
    using L = typename V::Layout;
    seattn::SEConfig se_config;
    se_config.channels = 32;
    se_config.reduction = 4;
    check_no_allocations<V>(seattn::SEBlock<S, L>(se_config, 1), pool);
    check_no_allocations<V>(seattn::SpatialAttention<S, L>(seattn::SpatialConfig{}, 2), pool);
    seattn::CBAMConfig cbam_config;
    cbam_config.channel = se_config;
    cbam_config.channel.pool = seattn::SqueezePool::avg_max;
    check_no_allocations<V>(seattn::CBAM<S, L>(cbam_config, 3), pool);
}

}  // namespace

TEST_CASE("the allocation counter sees allocations", "[allocations]") {
    CHECK(allocations_during([] { std::make_unique<int>(1); }, 1) == 1);
    CHECK(allocations_during([] { Eigen::VectorXf v(100); }, 1) > 0);
}

TEMPLATE_TEST_CASE("warmed-up forward passes allocate nothing", "[allocations]", SEATTN_VARIANTS) {
    SECTION("calling thread only") { check_blocks<TestType>(nullptr); }
    SECTION("thread pool") {
        Eigen::ThreadPool pool(3);
        check_blocks<TestType>(&pool);
    }
}
