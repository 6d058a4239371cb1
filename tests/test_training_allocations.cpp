// Once warmed up, a training step (forward_train + backward) allocates nothing, also on a
// thread pool: this executable replaces the global operator new to count allocations, and
// counts Eigen's own heap allocations (which bypass operator new) through its
// EIGEN_RUNTIME_NO_MALLOC hook.

#include "allocation_counting.hpp"

#include "training_support.hpp"

namespace {

/// Allocations made by `steps` training steps of `block` after two warm-up steps.
template <class Block, class S>
long allocations_per_warm_steps(const Block& block, const support::T4<S>& x, const support::T4<S>& grad_y,
                                Eigen::ThreadPoolInterface* pool) {
    seattn::TrainingWorkspace<S> ws(pool);
    seattn::Gradients<S> grads;
    support::T4<S> y(x.dimensions()), grad_x(x.dimensions());
    for (int warm = 0; warm < 2; ++warm) {
        block.forward_train(x, y, ws);
        block.backward(grad_y, grad_x, grads, ws);
    }
    return allocations_during(
        [&] {
            block.forward_train(x, y, ws);
            block.backward(grad_y, grad_x, grads, ws);
        },
        3);
}

}  // namespace

TEMPLATE_TEST_CASE("a warm training step allocates nothing", "[training][allocations]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    std::mt19937_64 rng(31);
    seattn::CBAMConfig config;
    config.channel = seattn::SEConfig{32, 8, 16, true, seattn::Activation::silu, seattn::Gate::sigmoid,
                                      seattn::SqueezePool::avg_max, seattn::FcKind::conv1x1};
    config.spatial.bias = true;
    config.spatial.batchnorm = true;
    const seattn::CBAM<S, L> cbam(config, 1);
    const seattn::SEBlock<S, L> se(config.channel, 2);
    const seattn::SpatialAttention<S, L> spatial(config.spatial, 3);
    Eigen::ThreadPool pool(2);
    // 4 samples split over the threads; 1 sample split into pieces.
    for (int batch : {4, 1}) {
        const auto x = support::in_layout<TestType>(ref::random_tensor(batch, 32, 13, 11, rng));
        const auto grad_y = support::in_layout<TestType>(ref::random_tensor(batch, 32, 13, 11, rng));
        for (Eigen::ThreadPoolInterface* p : {static_cast<Eigen::ThreadPoolInterface*>(nullptr),
                                              static_cast<Eigen::ThreadPoolInterface*>(&pool)}) {
            INFO("batch " << batch << ", thread pool " << (p != nullptr));
            CHECK(allocations_per_warm_steps(cbam, x, grad_y, p) == 0);
            CHECK(allocations_per_warm_steps(se, x, grad_y, p) == 0);
            CHECK(allocations_per_warm_steps(spatial, x, grad_y, p) == 0);
        }
    }
}
