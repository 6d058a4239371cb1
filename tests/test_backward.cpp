// Backward passes checked against central finite differences in double, for every block
// and option, in both layouts.

#include "training_support.hpp"

using seattn::Activation;
using seattn::ChannelPoolOrder;
using seattn::FcKind;
using seattn::Gate;
using seattn::SqueezePool;

#define DOUBLE_LAYOUTS (support::Variant<double, seattn::NCHW>), (support::Variant<double, seattn::NHWC>)

/// Checks `block` against finite differences at an x and a grad_y of n x c x h x w drawn
/// from rng (in that order) and laid out as TestType's.
template <class TestType, class Block>
void check_at_random_input(const Block& block, int n, int c, int h, int w, std::mt19937_64& rng) {
    const auto x = support::in_layout<TestType>(ref::random_tensor(n, c, h, w, rng));
    const auto grad_y = support::in_layout<TestType>(ref::random_tensor(n, c, h, w, rng));
    training::check_finite_differences(block, x, grad_y);
}

TEMPLATE_TEST_CASE("SEBlock backward matches finite differences", "[backward][se]", DOUBLE_LAYOUTS) {
    using L = typename TestType::Layout;
    std::mt19937_64 rng(11);
    int seed = 0;
    for (bool bias : {false, true})
        for (Activation act : {Activation::relu, Activation::silu})
            for (Gate gate : {Gate::sigmoid, Gate::hardsigmoid})
                for (SqueezePool pool : {SqueezePool::avg, SqueezePool::avg_max})
                    for (FcKind fc : {FcKind::linear, FcKind::conv1x1}) {
                        INFO("bias " << bias << " silu " << (act == Activation::silu) << " hardsigmoid "
                                     << (gate == Gate::hardsigmoid) << " avg_max " << (pool == SqueezePool::avg_max)
                                     << " conv1x1 " << (fc == FcKind::conv1x1));
                        const seattn::SEConfig config{6, 3, 16, bias, act, gate, pool, fc};
                        const seattn::SEBlock<double, L> block(config, ++seed);
                        check_at_random_input<TestType>(block, 2, 6, 3, 4, rng);
                    }
}

TEMPLATE_TEST_CASE("SpatialAttention backward matches finite differences", "[backward][spatial]", DOUBLE_LAYOUTS) {
    using L = typename TestType::Layout;
    std::mt19937_64 rng(12);
    int seed = 0;
    for (seattn::Index kernel : {1, 3, 5, 7})
        for (ChannelPoolOrder order : {ChannelPoolOrder::avg_max, ChannelPoolOrder::max_avg})
            for (bool bias : {false, true})
                for (bool batchnorm : {false, true})
                    for (Gate gate : {Gate::sigmoid, Gate::hardsigmoid}) {
                        INFO("kernel " << kernel << " max_avg " << (order == ChannelPoolOrder::max_avg) << " bias "
                                       << bias << " batchnorm " << batchnorm << " hardsigmoid "
                                       << (gate == Gate::hardsigmoid));
                        const seattn::SpatialConfig config{kernel, order, bias, batchnorm, 1e-5, gate};
                        seattn::SpatialAttention<double, L> block(config, ++seed);
                        if (batchnorm) training::set_batchnorm(block, "");
                        // 3 x 4 maps: smaller than the 5 x 5 and 7 x 7 kernels.
                        check_at_random_input<TestType>(block, 2, 3, 3, 4, rng);
                    }
}

TEMPLATE_TEST_CASE("CBAM backward matches finite differences", "[backward][cbam]", DOUBLE_LAYOUTS) {
    using L = typename TestType::Layout;
    std::mt19937_64 rng(13);
    int seed = 0;
    for (seattn::Index kernel : {1, 3, 7})
        for (bool bias : {false, true})
            for (Activation act : {Activation::relu, Activation::silu})
                for (Gate gate : {Gate::sigmoid, Gate::hardsigmoid})
                    for (SqueezePool pool : {SqueezePool::avg, SqueezePool::avg_max}) {
                        INFO("kernel " << kernel << " bias " << bias << " silu " << (act == Activation::silu)
                                       << " hardsigmoid " << (gate == Gate::hardsigmoid) << " avg_max "
                                       << (pool == SqueezePool::avg_max));
                        seattn::CBAMConfig config;
                        config.channel = seattn::SEConfig{4, 2, 16, bias, act, gate, pool, FcKind::linear};
                        config.spatial = seattn::SpatialConfig{
                            kernel, bias ? ChannelPoolOrder::max_avg : ChannelPoolOrder::avg_max, bias, !bias, 1e-5, gate};
                        seattn::CBAM<double, L> block(config, ++seed);
                        if (!bias) training::set_batchnorm(block, "spatial.");
                        check_at_random_input<TestType>(block, 2, 4, 3, 5, rng);
                    }
}

TEMPLATE_TEST_CASE("backward on a 1 x 1 map and a single sample", "[backward]", DOUBLE_LAYOUTS) {
    std::mt19937_64 rng(14);
    seattn::CBAMConfig config;
    config.channel = seattn::SEConfig{5, 2, 16, true, Activation::silu, Gate::sigmoid, SqueezePool::avg_max};
    config.spatial.kernel = 7;
    config.spatial.batchnorm = true;
    seattn::CBAM<double, typename TestType::Layout> block(config, 3);
    training::set_batchnorm(block, "spatial.");
    check_at_random_input<TestType>(block, 1, 5, 1, 1, rng);
}
