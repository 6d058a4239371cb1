// Once warmed up, a training step (forward_train + backward) allocates nothing, also on a
// thread pool: this executable replaces the global operator new to count allocations, and
// counts Eigen's own heap allocations (which bypass operator new) through its
// EIGEN_RUNTIME_NO_MALLOC hook.

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

// Eigen reports a forbidden heap allocation through eigen_assert; counting it here (instead
// of aborting) also works in release builds, where eigen_assert is otherwise compiled out.
#define EIGEN_RUNTIME_NO_MALLOC
#define eigen_assert(condition) ((condition) ? void(0) : void(++allocations))

#include "training_support.hpp"

void* operator new(std::size_t size) {
    if (counting.load()) ++allocations;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
// GCC pairs a replaced operator delete's free() with the operator new it sees and warns
// (-Wmismatched-new-delete); both are replaced here, so the pairing is right.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

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
    allocations = 0;
    counting = true;
    Eigen::internal::set_is_malloc_allowed(false);
    for (int i = 0; i < 3; ++i) {
        block.forward_train(x, y, ws);
        block.backward(grad_y, grad_x, grads, ws);
    }
    Eigen::internal::set_is_malloc_allowed(true);
    counting = false;
    return allocations.load();
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
