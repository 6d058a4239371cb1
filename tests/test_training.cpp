// Training-mode behaviour beyond the finite-difference checks: float against double,
// thread pools, in-place use, the max-pooling tie rule, the gates' kinks and misuse.

#include <stdexcept>
#include <thread>

#include "training_support.hpp"

namespace {

seattn::CBAMConfig cbam_config() {
    seattn::CBAMConfig config;
    config.channel = seattn::SEConfig{12, 3, 16, true, seattn::Activation::silu, seattn::Gate::sigmoid,
                                      seattn::SqueezePool::avg_max, seattn::FcKind::linear};
    config.spatial.kernel = 5;
    config.spatial.batchnorm = true;
    config.spatial.bias = true;
    return config;
}

/// Runs one training step; returns grad_x and fills `grads`.
template <class Block, class S>
support::T4<S> step(const Block& block, const support::T4<S>& x, const support::T4<S>& grad_y,
                    seattn::Gradients<S>& grads, Eigen::ThreadPoolInterface* pool = nullptr) {
    seattn::TrainingWorkspace<S> ws(pool);
    support::T4<S> y(x.dimensions()), grad_x(x.dimensions());
    block.forward_train(x, y, ws);
    block.backward(grad_y, grad_x, grads, ws);
    return grad_x;
}

}  // namespace

TEMPLATE_TEST_CASE("float gradients agree with double ones", "[training]", seattn::NCHW, seattn::NHWC) {
    using L = TestType;
    std::mt19937_64 rng(21);
    const seattn::CBAMConfig config = cbam_config();
    seattn::CBAM<double, L> exact(config, 5);
    training::set_batchnorm(exact, "spatial.");
    seattn::CBAM<float, L> single(config, 0);
    training::copy_parameters(single, exact);

    const support::T4<double> x_nchw = ref::random_tensor(3, 12, 9, 7, rng), gy_nchw = ref::random_tensor(3, 12, 9, 7, rng);
    using DoubleVariant = support::Variant<double, L>;
    using FloatVariant = support::Variant<float, L>;
    seattn::Gradients<double> grads_exact;
    seattn::Gradients<float> grads_single;
    const auto gx_exact = step(exact, support::in_layout<DoubleVariant>(x_nchw),
                               support::in_layout<DoubleVariant>(gy_nchw), grads_exact);
    const auto gx_single = step(single, support::in_layout<FloatVariant>(x_nchw),
                                support::in_layout<FloatVariant>(gy_nchw), grads_single);
    support::require_close(gx_single, gx_exact, 1e-5);
    training::require_same_gradients(grads_single, grads_exact, 1e-4);
}

TEST_CASE("NCHW and NHWC give the same gradients", "[training]") {
    std::mt19937_64 rng(22);
    const seattn::CBAMConfig config = cbam_config();
    const seattn::CBAM<double, seattn::NCHW> nchw(config, 6);
    const seattn::CBAM<double, seattn::NHWC> nhwc(config, 6);
    const support::T4<double> x = ref::random_tensor(2, 12, 6, 5, rng), grad_y = ref::random_tensor(2, 12, 6, 5, rng);
    seattn::Gradients<double> a, b;
    const auto gx_nchw = step(nchw, x, grad_y, a);
    const auto gx_nhwc = step(nhwc, support::to_nhwc(x), support::to_nhwc(grad_y), b);
    support::require_close(support::to_nchw(gx_nhwc), gx_nchw, 1e-12);
    training::require_same_gradients(b, a, 1e-12);
}

TEMPLATE_TEST_CASE("a thread pool gives bit-identical gradients", "[training][threads]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    std::mt19937_64 rng(23);
    const seattn::CBAM<S, L> block(cbam_config(), 7);
    Eigen::ThreadPool pool(3);
    // 7 samples: split over the threads; 1 and 2 samples: each split into pieces as well.
    for (int batch : {7, 1, 2}) {
        INFO("batch " << batch);
        const auto x = support::in_layout<TestType>(ref::random_tensor(batch, 12, 8, 6, rng));
        const auto grad_y = support::in_layout<TestType>(ref::random_tensor(batch, 12, 8, 6, rng));
        seattn::Gradients<S> alone, pooled;
        const auto gx_alone = step(block, x, grad_y, alone);
        const auto gx_pooled = step(block, x, grad_y, pooled, &pool);
        support::require_close(gx_pooled, gx_alone, 0);
        training::require_same_gradients(pooled, alone, 0);
    }
}

TEMPLATE_TEST_CASE("forward_train equals forward, also in place; backward in place", "[training]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    std::mt19937_64 rng(24);
    const seattn::CBAM<S, L> block(cbam_config(), 8);
    const auto x = support::in_layout<TestType>(ref::random_tensor(2, 12, 5, 9, rng));
    const auto grad_y = support::in_layout<TestType>(ref::random_tensor(2, 12, 5, 9, rng));
    seattn::TrainingWorkspace<S> ws;
    seattn::Gradients<S> grads, grads_in_place;
    support::T4<S> y(x.dimensions()), grad_x(x.dimensions());
    block.forward_train(x, y, ws);
    support::require_close(y, block.forward(x), support::tolerance<S>());
    block.backward(grad_y, grad_x, grads, ws);

    support::T4<S> inout = x;
    block.forward_train(inout, inout, ws);
    support::require_close(inout, y, 0);
    support::T4<S> gradient = grad_y;
    block.backward(gradient, gradient, grads_in_place, ws);
    support::require_close(gradient, grad_x, 0);
    training::require_same_gradients(grads_in_place, grads, 0);
}

TEMPLATE_TEST_CASE("gradients do not depend on where x and grad_y lie in memory", "[training]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    seattn::CBAMConfig config = cbam_config();
    config.channel.channels = 40;
    config.channel.reduced = 5;
    const seattn::CBAM<S, typename TestType::Layout> block(config, 11);
    std::mt19937_64 rng(27);
    const auto x = support::in_layout<TestType>(ref::random_tensor(2, 40, 9, 13, rng));
    const auto grad_y = support::in_layout<TestType>(ref::random_tensor(2, 40, 9, 13, rng));
    seattn::Gradients<S> aligned;
    const auto grad_x = step(block, x, grad_y, aligned);
    // Offsets of 1 to 15 elements (a cache line of floats, two of doubles): a reduction that
    // starts its SIMD loop at the first aligned element adds in another order at most of them.
    std::vector<S> x_buffer(std::size_t(x.size()) + 16), grad_y_buffer(x_buffer.size());
    for (Eigen::Index offset = 1; offset < 16; ++offset) {
        INFO("offset " << offset);
        const auto x_moved = support::copy_at(x, x_buffer, offset);
        const auto grad_y_moved = support::copy_at(grad_y, grad_y_buffer, offset);
        seattn::TrainingWorkspace<S> ws;
        seattn::Gradients<S> moved;
        support::T4<S> y(x.dimensions()), grad_x_moved(x.dimensions());
        block.forward_train(x_moved, y, ws);
        block.backward(grad_y_moved, grad_x_moved, moved, ws);
        support::require_close(grad_x_moved, grad_x, 0);
        training::require_same_gradients(moved, aligned, 0);
    }
}

TEST_CASE("the gates' derivatives follow PyTorch at the kinks", "[training]") {
    using seattn::detail::activation_backward;
    using seattn::detail::gate_backward;
    const auto hard = seattn::Gate::hardsigmoid;
    // PyTorch's hardsigmoid_backward: grad * (1.0f / 6.0f), a float constant also for
    // double, strictly inside (-3, 3), else 0.
    const double one_sixth = double(1.0f / 6.0f);
    CHECK(gate_backward(hard, -3.0, 0.0, 6.0) == 0.0);
    CHECK(gate_backward(hard, 3.0, 1.0, 6.0) == 0.0);
    CHECK(gate_backward(hard, -4.0, 0.0, 6.0) == 0.0);
    CHECK(gate_backward(hard, 7.0, 1.0, 6.0) == 0.0);
    CHECK(gate_backward(hard, -2.999, 0.001 / 6, 6.0) == 6.0 * one_sixth);
    CHECK(gate_backward(hard, 2.5, 5.5 / 6, 6.0) == 6.0 * one_sixth);
    CHECK(gate_backward(hard, 2.5f, 5.5f / 6, 6.0f) == 6.0f * (1.0f / 6.0f));
    // ReLU passes nothing at exactly 0 (threshold_backward); SiLU'(0) = 1/2.
    CHECK(activation_backward(seattn::Activation::relu, 0.0, 1.0) == 0.0);
    CHECK(activation_backward(seattn::Activation::relu, 1e-300, 1.0) == 1.0);
    CHECK(activation_backward(seattn::Activation::silu, 0.0, 1.0) == 0.5);
    CHECK(gate_backward(seattn::Gate::sigmoid, 0.0, 0.5, 1.0) == 0.25);
}

TEST_CASE("a saturated hard-sigmoid passes no gradient to the conv", "[training]") {
    seattn::SpatialConfig config;
    config.kernel = 3;
    config.bias = true;
    config.gate = seattn::Gate::hardsigmoid;
    seattn::SpatialAttention<double, seattn::NCHW> block(config, 2);
    const double large = 50.0;
    block.set_parameter("conv.bias", std::vector<seattn::Index>{1}, &large);
    std::mt19937_64 rng(25);
    const auto x = ref::random_tensor(2, 3, 4, 4, rng), grad_y = ref::random_tensor(2, 3, 4, 4, rng);
    seattn::Gradients<double> grads;
    const auto grad_x = step(block, x, grad_y, grads);
    for (double v : grads["conv.weight"]) REQUIRE(v == 0.0);
    REQUIRE(grads["conv.bias"][0] == 0.0);
    support::require_close(grad_x, grad_y, 0);  // the map is 1 everywhere: y = x
}

// Tie rule: the max's gradient goes to the first maximal element (lowest pixel index for
// the squeeze, lowest channel for the channel pool), in both layouts. Raising that first
// element a hair above its ties must not change the gradients; raising another must.
template <class TestType, class Block>
void check_tie_rule(const Block& block, const support::T4<double>& tied, const support::T4<double>& first_wins,
                    const support::T4<double>& other_wins, std::mt19937_64& rng) {
    using S = typename TestType::Scalar;
    const auto grad_y = support::in_layout<TestType>(
        ref::random_tensor(int(tied.dimension(0)), int(tied.dimension(1)), int(tied.dimension(2)), int(tied.dimension(3)), rng));
    seattn::Gradients<S> grads;
    const auto gx_tied = support::from_layout<TestType>(step(block, support::in_layout<TestType>(tied), grad_y, grads));
    const auto gx_first = support::from_layout<TestType>(step(block, support::in_layout<TestType>(first_wins), grad_y, grads));
    const auto gx_other = support::from_layout<TestType>(step(block, support::in_layout<TestType>(other_wins), grad_y, grads));
    support::require_close(gx_tied, gx_first, 1e-4);
    double largest = 0;
    for (Eigen::Index i = 0; i < gx_tied.size(); ++i)
        largest = std::max(largest, std::abs(gx_other.data()[i] - gx_tied.data()[i]));
    REQUIRE(largest > 1e-2);
}

TEMPLATE_TEST_CASE("max pooling routes a tie's gradient to the first maximum", "[training][ties]", SEATTN_VARIANTS) {
    using S = typename TestType::Scalar;
    using L = typename TestType::Layout;
    std::mt19937_64 rng(26);
    seattn::CBAMConfig config = cbam_config();
    config.spatial.kernel = 3;
    const seattn::CBAM<double, L> exact(config, 9);
    seattn::CBAM<S, L> cbam(config, 0);
    training::copy_parameters(cbam, exact);
    seattn::SpatialAttention<S, L> spatial(config.spatial, 10);
    training::set_batchnorm(spatial, "");

    SECTION("squeeze max over the pixels of a constant channel") {
        const auto noise = ref::random_tensor(2, 12, 1, 1, rng);
        support::T4<double> tied(2, 12, 4, 5);
        for (int n = 0; n < 2; ++n)
            for (int c = 0; c < 12; ++c)
                for (int i = 0; i < 20; ++i) tied(n, c, i / 5, i % 5) = noise(n, c, 0, 0);
        support::T4<double> first = tied, last = tied;
        for (int n = 0; n < 2; ++n)
            for (int c = 0; c < 12; ++c) first(n, c, 0, 0) += 1e-6, last(n, c, 3, 4) += 1e-6;
        check_tie_rule<TestType>(cbam, tied, first, last, rng);
    }
    SECTION("channel max of a pixel where channels 2 and 5 are equal") {
        support::T4<double> tied = ref::random_tensor(2, 12, 4, 5, rng);
        for (int n = 0; n < 2; ++n)
            for (int i = 0; i < 20; ++i) tied(n, 2, i / 5, i % 5) = tied(n, 5, i / 5, i % 5) = 4.0;
        support::T4<double> first = tied, other = tied;
        for (int n = 0; n < 2; ++n)
            for (int i = 0; i < 20; ++i) first(n, 2, i / 5, i % 5) += 1e-6, other(n, 5, i / 5, i % 5) += 1e-6;
        check_tie_rule<TestType>(spatial, tied, first, other, rng);
    }
}

TEST_CASE("backward refuses a workspace it did not fill and a wrong grad_y", "[training][errors]") {
    seattn::SEConfig config;
    config.channels = 8;
    config.reduced = 2;
    const seattn::SEBlock<float, seattn::NCHW> block(config), other(config);
    support::T4<float> x(1, 8, 3, 3), y(1, 8, 3, 3), grad(1, 8, 3, 3), wrong(1, 8, 3, 4);
    x.setRandom();
    grad.setRandom();
    seattn::TrainingWorkspace<float> ws;
    seattn::Gradients<float> grads;
    REQUIRE_THROWS_AS(block.backward(grad, grad, grads, ws), std::logic_error);
    block.forward_train(x, y, ws);
    REQUIRE_THROWS_AS(other.backward(grad, grad, grads, ws), std::logic_error);
    REQUIRE_THROWS_AS(block.backward(wrong, wrong, grads, ws), seattn::shape_error);
    support::T4<float> small(1, 8, 3, 2);
    REQUIRE_THROWS_AS(block.backward(grad, small, grads, ws), seattn::shape_error);
    block.backward(grad, y, grads, ws);
    REQUIRE(grads.names() == std::vector<std::string>{"fc1.weight", "fc2.weight"});
    REQUIRE_THROWS_AS(grads["fc1.bias"], seattn::config_error);
    REQUIRE(ws.channel_weights().dimension(1) == 8);
    REQUIRE_THROWS_AS(ws.spatial_map(), std::logic_error);
}
